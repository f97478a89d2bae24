/*
 * traps.c - what happens after entry.S saved a trapframe.
 *
 * trap_dispatch() sorts the vector:
 *   exceptions from user mode  -> linux/fault.c turns them into signals or
 *                                 resolves them (demand paging);
 *   exceptions in the kernel   -> a user-copy fixup (exception table), or a
 *                                 fatal oops: registers, backtrace, exit;
 *   device and IPI vectors     -> the registered handler, then EOI.
 * On the way out it runs the return-to-user work (signals, rescheduling) or,
 * for interrupted kernel code, preemption.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "core/ksyms.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/entry.h"
#include "mm/layout.h"
#include "mm/vmap.h"
#include "sched/sched.h"
#include "sched/thread.h"

static const char *const exception_names[32] = {
    [VEC_DE] = "divide error",
    [VEC_DB] = "debug",
    [VEC_NMI] = "NMI",
    [VEC_BP] = "breakpoint",
    [VEC_OF] = "overflow",
    [VEC_BR] = "bound range exceeded",
    [VEC_UD] = "invalid opcode",
    [VEC_NM] = "device not available",
    [VEC_DF] = "double fault",
    [VEC_TS] = "invalid TSS",
    [VEC_NP] = "segment not present",
    [VEC_SS] = "stack segment fault",
    [VEC_GP] = "general protection fault",
    [VEC_PF] = "page fault",
    [VEC_MF] = "x87 floating-point error",
    [VEC_AC] = "alignment check",
    [VEC_MC] = "machine check",
    [VEC_XM] = "SIMD floating-point error",
    [VEC_VE] = "virtualization exception",
    [VEC_CP] = "control protection",
};

static struct {
    irq_handler_t fn;
    void *arg;
    char name[IRQ_NAME_MAX];
} handlers[256];

static int next_vector = VEC_IRQ_BASE;

void irq_set_handler(unsigned int vector, irq_handler_t fn, void *arg, const char *name)
{
    snprintf(handlers[vector].name, sizeof(handlers[vector].name), "%s", name);
    handlers[vector].arg = arg;
    WRITE_ONCE(handlers[vector].fn, fn);
}

bool irq_handler_name(unsigned int vector, char *buf)
{
    if (vector >= ARRAY_SIZE(handlers) || READ_ONCE(handlers[vector].fn) == NULL)
        return false;
    memcpy(buf, handlers[vector].name, IRQ_NAME_MAX);
    return true;
}

int irq_alloc_vector(void)
{
    int v = __atomic_fetch_add(&next_vector, 1, __ATOMIC_RELAXED);
    return v < VEC_RESCHED ? v : -1;
}

/* Exception table: pairs written by user-copy code in section __ex_table. */
struct extable_entry {
    int32_t insn;  /* relative to the entry's own address */
    int32_t fixup; /* relative to the field's own address */
};
extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

uintptr_t extable_lookup(uintptr_t rip)
{
    for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
        uintptr_t insn = (uintptr_t)&e->insn + e->insn;
        if (insn == rip)
            return (uintptr_t)&e->fixup + e->fixup;
    }
    return 0;
}

static void print_symbol(const char *label, uintptr_t addr)
{
    uintptr_t off, size;
    const char *name = ksym_lookup(addr, &off, &size);

    if (name != NULL)
        printk(LOG_EMERG, "%s%016lx <%s+%#lx/%#lx>\n", label, addr, name, off, size);
    else
        printk(LOG_EMERG, "%s%016lx\n", label, addr);
}

void trap_dump(const struct trapframe *tf)
{
    print_symbol("RIP: ", tf->rip);
    printk(LOG_EMERG, "CS: %04lx RSP: %04lx:%016lx RFLAGS: %08lx ERR: %#lx\n", tf->cs, tf->ss,
           tf->rsp, tf->rflags, tf->error);
    printk(LOG_EMERG, "RAX: %016lx RBX: %016lx RCX: %016lx\n", tf->rax, tf->rbx, tf->rcx);
    printk(LOG_EMERG, "RDX: %016lx RSI: %016lx RDI: %016lx\n", tf->rdx, tf->rsi, tf->rdi);
    printk(LOG_EMERG, "RBP: %016lx R08: %016lx R09: %016lx\n", tf->rbp, tf->r8, tf->r9);
    printk(LOG_EMERG, "R10: %016lx R11: %016lx R12: %016lx\n", tf->r10, tf->r11, tf->r12);
    printk(LOG_EMERG, "R13: %016lx R14: %016lx R15: %016lx\n", tf->r13, tf->r14, tf->r15);
    printk(LOG_EMERG, "CR0: %016lx CR2: %016lx CR3: %016lx CR4: %016lx\n", read_cr0(), read_cr2(),
           read_cr3(), read_cr4());
    if (!tf_from_user(tf))
        backtrace_print(tf->rip, tf->rbp);
}

static __noreturn void die(struct trapframe *tf, const char *what)
{
    struct thread *t = current_thread();

    irq_disable();
    printk_emergency();
    printk(LOG_EMERG, "\nKernel oops: %s (vector %lu, error %#lx) on CPU %u, thread %s\n", what,
           tf->vector, tf->error, cpu_id(), t != NULL ? t->name : "(boot)");
    trap_dump(tf);
    machine_exit(EXIT_KERNEL_PANIC);
}

/*
 * An NMI, from the kernel or from user mode: another CPU panicking stops
 * this one, otherwise it came from outside (QEMU's monitor "nmi", which
 * the test harness sends to a guest that outlived its timeout) and shows
 * what every CPU and thread is doing. It runs on its own IST stack and
 * returns straight to what it interrupted, never through the scheduler.
 */
static void nmi(struct trapframe *tf)
{
    if (panic_in_progress()) {
        for (;;)
            halt();
    }
    printk_nmi(true);
    pr_warn("NMI received on CPU %u in %s mode at rip %#lx sp %#lx\n", cpu_id(),
            tf_from_user(tf) ? "user" : "kernel", tf->rip, tf->rsp);
    thread_dump();
    timers_dump();
    printk_nmi(false);
}

static void kernel_exception(struct trapframe *tf)
{
    unsigned int v = tf->vector;
    uintptr_t fixup;
    char what[96];

    switch (v) {
    case VEC_PF: {
        uintptr_t addr = read_cr2();
        /*
         * copy_*_user touching a page not mapped yet: demand paging first.
         * A file page may have to be read from the disk (sleeping), so
         * IRQs come back on when the interrupted copy ran with them on.
         */
        if (addr < USER_TOP && extable_lookup(tf->rip) != 0) {
            bool irqs = (tf->rflags & RFLAGS_IF) != 0;
            int r;

            if (irqs)
                irq_enable();
            r = user_page_fault(addr, tf->error);
            if (irqs)
                irq_disable();
            if (r == 0)
                return;
        }
        fixup = extable_lookup(tf->rip);
        if (fixup != 0) {
            tf->rip = fixup;
            return;
        }
        if (vmap_is_guard(addr)) {
            die(tf, "kernel stack overflow (guard page hit)");
        }
        snprintf(what, sizeof(what), "page fault at %#lx (%s %s)", addr,
                 (tf->error & 2) ? "write" : "read",
                 (tf->error & 1) ? "protection violation" : "not present");
        die(tf, what);
    }
    case VEC_DF:
        if (vmap_is_guard(read_cr2()) || (current_thread() != NULL && vmap_is_guard(tf->rsp - 8)))
            die(tf, "double fault: kernel stack overflow");
        die(tf, "double fault");
    case VEC_GP:
        fixup = extable_lookup(tf->rip);
        if (fixup != 0) {
            tf->rip = fixup;
            return;
        }
        die(tf, exception_names[v]);
    default:
        die(tf, exception_names[v] != NULL ? exception_names[v] : "reserved exception");
    }
}

void trap_dispatch(struct trapframe *tf)
{
    unsigned int v = tf->vector;

    this_cpu()->stats.irqs[v]++;
    if (v == VEC_NMI) {
        nmi(tf);
        return;
    }
    if (v < 32) {
        if (tf_from_user(tf))
            user_exception(tf);
        else
            kernel_exception(tf);
    } else if (handlers[v].fn != NULL) {
        handlers[v].fn(tf, handlers[v].arg);
        lapic_eoi();
    } else if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16) {
        /* Spurious 8259 interrupt (all lines are masked): no EOI. */
    } else if (v == VEC_SPURIOUS) {
        /* Spurious LAPIC interrupt: no EOI. */
    } else {
        pr_warn("unexpected interrupt vector %u on CPU %u\n", v, cpu_id());
        lapic_eoi();
    }

    if (tf_from_user(tf))
        exit_to_user(tf);
    else if (v >= 32 && (tf->rflags & RFLAGS_IF))
        sched_preempt_irq();
}
