/*
 * sched.h - the scheduler: per-CPU run queues, time slices, blocking.
 *
 * Threads on a CPU's run queue are served round-robin with equal time
 * slices (SCHED_SLICE_NS); a thread that blocks and wakes goes to the back
 * of the queue. The timer interrupt ends slices (preemption), including in
 * kernel code running with IRQs on. Idle CPUs halt.
 *
 * Blocking follows the usual protocol: mark yourself BLOCKED (sched_block),
 * check the condition, then schedule(); a waker calls thread_wake(), which
 * makes a BLOCKED thread READY again. A wakeup between the mark and
 * schedule() is never lost.
 */
#pragma once

#include "sched/thread.h"

#define SCHED_SLICE_NS (4 * 1000 * 1000ul)

/* Boot CPU: adopt the running boot context as this CPU's idle thread. */
void sched_init(void);
/* Another CPU: adopt its boot context as its idle thread. */
void sched_init_ap(void);

/* Give up the CPU. The current thread's state says whether it stays runnable. */
void schedule(void);
/* Let other ready threads on this CPU run first. */
void sched_yield(void);

/* Mark the current thread BLOCKED with SLEEP_* flags; call schedule() next. */
void sched_block(int flags);
/* Undo sched_block when the condition turned out to be true already. */
void sched_unblock_self(void);

/*
 * Make t runnable if it is BLOCKED. Returns true when it was woken. Safe
 * from any context, including interrupt handlers, on any CPU.
 */
bool thread_wake(struct thread *t);

/* Wake t only if it sleeps interruptibly (signal delivery). */
bool thread_wake_interruptible(struct thread *t);

/*
 * Sleep until the monotonic time deadline (ns). Returns 0 when the time
 * came, -EINTR when interrupted (SLEEP_INTERRUPTIBLE and a signal).
 */
int thread_sleep_until(uint64_t deadline, int flags);

/*
 * After sched_block(): schedule with a timeout. Returns when woken or when
 * the deadline (0: none) passes; the caller rechecks its condition.
 */
void schedule_until(uint64_t deadline);

/* IRQ exit into kernel code: preempt if the slice ended. */
void sched_preempt_irq(void);

/* The idle loop of a CPU (never returns). */
void sched_idle(void) __noreturn;

/* Called from the timer interrupt: end the slice if it expired. */
void sched_tick(uint64_t now);

/* The end of the current slice (for the timer code); UINT64_MAX if none. */
uint64_t sched_slice_deadline(void);

/* Queue a new thread on cpu's run queue (thread_start). */
void sched_enqueue_new(struct thread *t, int cpu);

/*
 * Restrict t to the CPUs in mask (bit i: CPU i; CPUS_ALL: any). Returns 0,
 * or -EINVAL when no online CPU is in mask. If t is the caller and its CPU
 * is no longer allowed, it moves before this returns; another thread moves
 * at its next wakeup or switch.
 */
int sched_set_affinity(struct thread *t, uint64_t mask);
/* The online CPUs t may run on (bit i: CPU i, 0-63); t NULL: every online CPU. */
uint64_t sched_get_affinity(struct thread *t);

/* Number of queued runnable threads on this CPU. */
unsigned int sched_nr_ready(void);

/* Preemption control for per-CPU data accessed with IRQs on. */
void preempt_disable(void);
void preempt_enable(void);
