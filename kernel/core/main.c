/*
 * main.c - kmain(): from boot.S to the first application thread.
 *
 * Order matters and is the order of dependencies: per-CPU block (spinlocks
 * need cpu_id), serial console (to report everything after), boot info and
 * command line, memory (page allocator, then the kernel page tables), CPU
 * tables and features, ACPI, interrupt controllers, clocks, scheduler. The
 * boot context then becomes CPU 0's idle thread and "init" (a kernel
 * thread) starts the application.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "core/boot.h"
#include "core/main.h"
#include "net/netdev.h"
#include "drivers/drivers.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "core/random.h"
#include "core/selftest.h"
#include "core/time.h"
#include "drivers/serial/uart.h"
#include "drivers/video/vgatext.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/memmap.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "sched/sched.h"
#include "sched/smp.h"
#include "vdso/vdso.h"

#ifndef EGGOS_VERSION
#define EGGOS_VERSION "dev"
#endif

struct bootinfo bootinfo;
uint64_t kernel_ready_ns;
static struct cpu boot_cpu;

extern char _kernel_phys_end[];

/* Before paging_init, boot.S's tables map the first 4 GiB. */
static const void *phys_boot(phys_addr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > (4ul << 30))
        return NULL;
    return phys_to_virt(pa);
}

static void memory_init(void)
{
    struct mem_range resv[BOOT_MAX_MODULES + 2];
    static struct mem_range usable[BOOT_MAX_RANGES + 32];
    unsigned int nresv = 0, nusable;
    struct page_stats st;

    resv[nresv++] =
        (struct mem_range){KERNEL_PHYS, (uint64_t)_kernel_phys_end - KERNEL_PHYS, MEM_RESERVED};
    for (unsigned int i = 0; i < bootinfo.nmods; i++)
        resv[nresv++] = (struct mem_range){
            bootinfo.mods[i].base, ALIGN_UP(bootinfo.mods[i].size, PAGE_SIZE), MEM_RESERVED};
    if (bootinfo.nmem == 0) {
        pr_warn("mm: the boot loader gave no memory map; assuming 32 MiB at 1 MiB\n");
        bootinfo.mem[0] = (struct mem_range){0x100000, 31ul << 20, MEM_RAM};
        bootinfo.nmem = 1;
    }
    nusable = memmap_usable(bootinfo.mem, bootinfo.nmem, resv, nresv, usable, ARRAY_SIZE(usable));
    for (unsigned int i = 0; i < bootinfo.nmem; i++)
        pr_info("mm: [mem %#018lx-%#018lx] type %u\n", bootinfo.mem[i].base,
                bootinfo.mem[i].base + bootinfo.mem[i].size - 1, bootinfo.mem[i].type);
    if (page_init(usable, nusable) != 0)
        panic("mm: no usable memory range can hold the page map");
    paging_init();
    page_stats(&st);
    pr_info("mm: %lu MiB usable in %u ranges\n", st.total_pages >> (20 - PAGE_SHIFT), nusable);
}

/* Give the memory page_init left for later to the allocator, a chunk at a time. */
static void page_init_thread(void *arg)
{
    (void)arg;
    while (page_init_deferred())
        sched_yield();
}

static void init_thread(void *arg)
{
    (void)arg;
    if (fault_requested())
        fault_trigger();
    if (selftest_requested())
        selftest_run();
    net_kernel_init(); /* before drivers: NICs attach to the stack */
    drivers_init();
    net_autoconfig(); /* DHCP or ip=, a bounded wait */
    start_application();
}

void kmain(int proto, phys_addr_t info, uint64_t entry_tsc, uint64_t unpacked_tsc)
{
    int err;

    /* Spinlocks read the CPU id through GS: set it up before anything. */
    boot_cpu.id = 0;
    percpu_install(&boot_cpu);
    cpus[0] = &boot_cpu;
    uart_console_init();

    err = bootinfo_parse(&bootinfo, proto, info, phys_boot);
    bootinfo.entry_tsc = entry_tsc;
    bootinfo.unpacked_tsc = unpacked_tsc;
    if (err != 0) {
        pr_emerg("eggos: unreadable boot information (protocol %d at %#lx)\n", proto, info);
        machine_exit(EXIT_KERNEL_PANIC);
    }
    params_parse(bootinfo.cmdline);
    pr_notice("EggOS %s (%s boot) cmdline: %s\n", EGGOS_VERSION,
              proto == BOOT_PROTO_PVH ? "PVH" : "multiboot2", saved_cmdline);

    cpu_features_init();
    cpu_setup();
    memory_init();
    gdt_init(&boot_cpu);
    idt_init();
    syscall_init();
    cpu_features_log();
    fpu_init();
    random_init();

    acpi_init();
    vgatext_console_init();
    apic_init();
    lapic_enable();
    boot_cpu.apic_id = lapic_id();
    ioapic_init();
    time_init();
    vdso_init(); /* publishes the clocks time_init set up */

    sched_init();
    timers_init_cpu();
    smp_init_handlers();
    boot_cpu.online = true;
    irq_enable();
    smp_boot();

    kernel_ready_ns = ktime_ns();
    char unpacking[40] = "";
    if (unpacked_tsc != 0) {
        uint64_t us = tsc_to_ns(unpacked_tsc - entry_tsc) / NSEC_PER_USEC;
        snprintf(unpacking, sizeof(unpacking), "; unpacking %lu.%03lu ms", us / 1000, us % 1000);
    }
    pr_notice("eggos: kernel ready in %lu.%03lu ms (TSC time since entry%s), %u CPUs\n",
              kernel_ready_ns / 1000000, kernel_ready_ns / 1000 % 1000, unpacking, ncpus);

    struct thread *init = thread_create("init", init_thread, NULL);
    struct thread *pginit = thread_create("pageinit", page_init_thread, NULL);
    if (init == NULL || pginit == NULL)
        panic("no memory for the first kernel threads");
    thread_start(init, 0);
    thread_start(pginit, 0);
    sched_idle();
}
