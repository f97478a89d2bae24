/*
 * smp.c - the other CPUs (single-CPU for now: nothing to send or stop).
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "linux/timers.h"
#include "sched/smp.h"

void smp_send_resched(unsigned int cpu)
{
    /* This CPU notices on its own at its next scheduling point. */
    if (cpu == cpu_id())
        return;
    if (cpu < ncpus && cpus[cpu] != NULL && cpus[cpu]->online)
        lapic_send_ipi(cpus[cpu]->apic_id, VEC_RESCHED);
}

/* The reschedule IPI: the IRQ exit path does the work. */
static void resched_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    this_cpu()->need_resched = true;
    cputimers_cpu_kick();
}

void smp_init_handlers(void)
{
    irq_set_handler(VEC_RESCHED, resched_interrupt, NULL);
}

void smp_stop_others(void)
{
}

void smp_boot(void)
{
}
