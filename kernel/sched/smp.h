/*
 * smp.h - talking to the other CPUs.
 */
#pragma once

#include "lib/types.h"

/* Ask cpu to run its scheduler (a thread was queued there). */
void smp_send_resched(unsigned int cpu);

/*
 * Make every other CPU flush its TLB (user mappings and global kernel
 * mappings alike) and wait until they have. Callable with locks held and
 * IRQs off: waiting CPUs serve each other's requests (spin_relax).
 */
void tlb_shootdown(void);

/* Number of CPUs running. */
unsigned int cpus_online(void);

/* Stop every other CPU (panic): they halt with IRQs off. */
void smp_stop_others(void);

/* Install the IPI handlers (boot CPU). */
void smp_init_handlers(void);

/* Bring up the application processors listed in the MADT. */
void smp_boot(void);
