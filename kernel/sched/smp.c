/*
 * smp.c - the other CPUs (single-CPU for now: nothing to send or stop).
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "sched/smp.h"

void smp_send_resched(unsigned int cpu)
{
    if (cpu < ncpus && cpus[cpu] != NULL && cpus[cpu]->online)
        lapic_send_ipi(cpus[cpu]->apic_id, VEC_RESCHED);
}

void smp_stop_others(void)
{
}

void smp_boot(void)
{
}
