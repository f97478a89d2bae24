/*
 * smp.c - the other CPUs: bring-up, IPIs, TLB shootdown, stopping.
 *
 * Bring-up (boot CPU, after the scheduler runs): for every enabled CPU in
 * the MADT, allocate its per-CPU block and idle stack, copy the real-mode
 * trampoline below 1 MiB, send INIT and STARTUP IPIs, and wait until the
 * AP reports online from ap_main(). "nosmp" or "maxcpus=N" limit this.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smpboot.h"
#include "arch/x86_64/trap.h"
#include "core/params.h"
#include "core/printk.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/timers.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "mm/vmap.h"
#include "sched/sched.h"
#include "sched/smp.h"

static unsigned int max_cpus = MAX_CPUS;
static unsigned int online_count = 1;

static int set_nosmp(const char *val)
{
    (void)val;
    max_cpus = 1;
    return 0;
}
KERNEL_PARAM("nosmp", set_nosmp);

static int set_maxcpus(const char *val)
{
    uint64_t n;

    if (val == NULL || kstrtou64(val, 10, &n) != 0 || n == 0)
        return -EINVAL;
    max_cpus = n > MAX_CPUS ? MAX_CPUS : (unsigned int)n;
    return 0;
}
KERNEL_PARAM("maxcpus", set_maxcpus);

unsigned int cpus_online(void)
{
    return READ_ONCE(online_count);
}

/*
 * An IPI is an exit to the hypervisor for the sender and an interrupt for
 * the receiver, so none is sent where it would change nothing: to a CPU
 * whose idle loop is polling its run queue (sched_idle), or to one that
 * has an IPI on its way already and has not taken it yet. The fence
 * orders the caller's enqueue before the read of idle_polling; sched_idle
 * clears it, fences and looks at its queue once more before it halts.
 */
void smp_send_resched(unsigned int cpu)
{
    struct cpu *c;

    /* This CPU notices on its own at its next scheduling point. */
    if (cpu == cpu_id() || cpu >= ncpus || (c = cpus[cpu]) == NULL || !c->online)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (READ_ONCE(c->idle_polling))
        return;
    if (__atomic_exchange_n(&c->resched_ipi, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    lapic_send_ipi(c->apic_id, VEC_RESCHED);
}

/* The reschedule IPI: the IRQ exit path does the work. */
static void resched_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    /* From here on a new request needs a new IPI: this one is taken. */
    __atomic_store_n(&this_cpu()->resched_ipi, 0, __ATOMIC_SEQ_CST);
    this_cpu()->need_resched = true;
    cputimers_cpu_kick();
}

void tlb_flush_pending(void)
{
    uint64_t cr4 = read_cr4();

    /* Clear first: a request posted after this point gets its own flush. */
    __atomic_store_n(&this_cpu()->tlb_pending, 0, __ATOMIC_SEQ_CST);
    if (cr4 & CR4_PGE) {
        write_cr4(cr4 & ~CR4_PGE); /* toggling PGE flushes global entries too */
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

static void tlb_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    if (this_cpu()->tlb_pending)
        tlb_flush_pending();
}

void tlb_shootdown(void)
{
    unsigned int me = cpu_id();

    if (READ_ONCE(online_count) <= 1)
        return;
    for (unsigned int i = 0; i < ncpus; i++) {
        struct cpu *c = cpus[i];
        if (i == me || c == NULL || !c->online)
            continue;
        __atomic_store_n(&c->tlb_pending, 1, __ATOMIC_SEQ_CST);
        lapic_send_ipi(c->apic_id, VEC_TLB);
    }
    for (unsigned int i = 0; i < ncpus; i++) {
        struct cpu *c = cpus[i];
        if (i == me || c == NULL || !c->online)
            continue;
        while (__atomic_load_n(&c->tlb_pending, __ATOMIC_SEQ_CST) != 0)
            spin_relax();
    }
}

static void stop_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    for (;;) {
        irq_disable();
        halt();
    }
}

void smp_stop_others(void)
{
    for (unsigned int i = 0; i < ncpus; i++) {
        if (i != cpu_id() && cpus[i] != NULL && cpus[i]->online)
            lapic_send_ipi(cpus[i]->apic_id, VEC_STOP);
    }
}

void smp_init_handlers(void)
{
    irq_set_handler(VEC_RESCHED, resched_interrupt, NULL, "rescheduling IPI");
    irq_set_handler(VEC_TLB, tlb_interrupt, NULL, "TLB shootdown IPI");
    irq_set_handler(VEC_STOP, stop_interrupt, NULL, "stop IPI");
}

/* First C code of an application processor (trampoline.S). */
void ap_main(struct cpu *c)
{
    percpu_install(c);
    gdt_init(c);
    idt_load();
    syscall_init();
    cpu_setup();
    lapic_enable();
    c->apic_id = lapic_id();
    sched_init_ap();
    timers_init_cpu();
    __atomic_store_n(&c->online, true, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&online_count, 1, __ATOMIC_SEQ_CST);
    irq_enable();
    sched_idle();
}

extern char trampoline_start[], trampoline_end[], trampoline_params[], ap_entry64[];
extern char boot_pml4[];

/* Start the CPU with this APIC id as number idx; true when it came up. */
static bool start_ap(unsigned int idx, uint32_t apic_id)
{
    struct cpu *c = kzalloc(sizeof(*c));
    struct thread *idle = kzalloc(sizeof(*idle));
    void *stack = kstack_alloc();
    struct trampoline_params *tp;
    uint64_t deadline;

    if (c == NULL || idle == NULL || stack == NULL) {
        kfree(c);
        kfree(idle);
        if (stack != NULL)
            kstack_free(stack);
        return false;
    }
    c->id = idx;
    c->apic_id = apic_id;
    idle->kstack = stack;
    strscpy(idle->name, "idle", sizeof(idle->name));
    c->idle = idle;
    c->current = idle;
    c->stats.running = CPU_TIME_IDLE;
    c->stats.since = ktime_ns();
    cpus[idx] = c;

    memcpy(phys_to_virt(TRAMPOLINE_PA), trampoline_start, trampoline_end - trampoline_start);
    tp = phys_to_virt(TRAMPOLINE_PA + (trampoline_params - trampoline_start));
    tp->boot_cr3 = (uint64_t)boot_pml4; /* linked at its physical address */
    tp->efer = EFER_LME | EFER_SCE | (pte_nx ? EFER_NXE : 0);
    tp->stack = (uint64_t)stack + KSTACK_SIZE;
    tp->cpu = (uint64_t)c;
    tp->kernel_cr3 = kernel_pml4;
    tp->entry = (uint64_t)ap_entry64;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    lapic_send_init(apic_id);
    udelay_ns(cpu_features.hypervisor ? 10 * NSEC_PER_USEC : 10 * NSEC_PER_MSEC);
    for (int attempt = 0; attempt < 2; attempt++) {
        lapic_send_startup(apic_id, TRAMPOLINE_PA >> 12);
        deadline = ktime_ns() + (attempt == 0 ? 100 : 500) * NSEC_PER_MSEC;
        while (ktime_ns() < deadline) {
            if (__atomic_load_n(&c->online, __ATOMIC_SEQ_CST))
                return true;
            cpu_relax();
        }
    }
    pr_err("smp: CPU %u (APIC id %u) did not start\n", idx, apic_id);
    cpus[idx] = NULL;
    return false;
}

void smp_boot(void)
{
    uint32_t me = this_cpu()->apic_id;
    unsigned int idx = 1;

    if (!acpi.has_madt || acpi.ncpus <= 1 || max_cpus <= 1)
        return;
    for (unsigned int i = 0; i < acpi.ncpus && idx < max_cpus; i++) {
        if (acpi.cpu_apic_ids[i] == me)
            continue;
        ncpus = idx + 1; /* visible to the scheduler before the AP runs */
        if (start_ap(idx, acpi.cpu_apic_ids[i]))
            idx++;
        else
            ncpus = idx;
    }
    ncpus = idx;
    pr_info("smp: %u CPUs online\n", cpus_online());
}
