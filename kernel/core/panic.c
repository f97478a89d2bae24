/*
 * panic.c - panic(), backtraces, and the end of the run (machine_exit).
 *
 * A panic prints with the console lock bypassed, stops the other CPUs,
 * prints the caller's backtrace, and exits QEMU with EXIT_KERNEL_PANIC. A
 * panic inside a panic on the same CPU goes straight to machine_exit; a
 * second CPU panicking meanwhile halts and leaves the report to the first.
 */
#include <stdarg.h>

#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "core/ksyms.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/printf.h"
#include "mm/paging.h"
#include "sched/smp.h"

static int panicking; /* 1 + the id of the CPU that panicked first, or 0 */

bool panic_in_progress(void)
{
    return READ_ONCE(panicking) != 0;
}

/* Can the kernel read the 8 bytes at va without faulting? */
static bool readable(uintptr_t va)
{
    int level;

    if (va < DIRECT_MAP_BASE || (va & 7) != 0)
        return false;
    return pt_lookup(read_cr3() & PTE_ADDR_MASK, va, &level) != NULL;
}

void backtrace_print(uintptr_t rip, uintptr_t rbp)
{
    printk(LOG_EMERG, "Call trace:\n");
    if (rip != 0) {
        uintptr_t off, size;
        const char *name = ksym_lookup(rip, &off, &size);
        printk(LOG_EMERG, "  [<%016lx>] %s+%#lx/%#lx\n", rip, name ? name : "?", off, size);
    }
    for (int depth = 0; depth < 32 && readable(rbp) && readable(rbp + 8); depth++) {
        uintptr_t ret = ((uintptr_t *)rbp)[1];
        uintptr_t next = ((uintptr_t *)rbp)[0];
        uintptr_t off = 0, size = 0;
        const char *name;

        if (ret < KERNEL_VMA)
            break;
        /* ret is after the call; look up ret-1 to name the caller. */
        name = ksym_lookup(ret - 1, &off, &size);
        printk(LOG_EMERG, "  [<%016lx>] %s+%#lx/%#lx\n", ret, name ? name : "?", off + 1, size);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

void panic(const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    irq_disable();
    int first = 0;
    if (!__atomic_compare_exchange_n(&panicking, &first, (int)cpu_id() + 1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        if (first == (int)cpu_id() + 1)
            machine_exit(EXIT_KERNEL_PANIC); /* the panic itself failed */
        for (;;)
            halt(); /* the first CPU reports and exits */
    }
    smp_stop_others();
    printk_emergency();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk(LOG_EMERG, "\nKernel panic on CPU %u: %s\n", cpu_id(), msg);
    backtrace_print(0, read_rbp());
    machine_exit(EXIT_KERNEL_PANIC);
}

static bool under_hypervisor(void)
{
    return (cpuid(1, 0).ecx >> 31) & 1;
}

void machine_exit(int status)
{
    irq_disable();
    if (under_hypervisor()) {
        /* QEMU's isa-debug-exit (iobase 0xf4, iosize 4); absent: no effect. */
        outl(0xf4, (uint32_t)status);
    }
    acpi_poweroff();
    printk(LOG_EMERG, "eggos: power-off failed; halting (exit status %d)\n", status);
    for (;;) {
        irq_disable();
        halt();
    }
}
