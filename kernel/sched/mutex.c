/*
 * mutex.c - sleeping locks (see mutex.h).
 *
 * A thread that finds the mutex taken spins while the owner is running on
 * another CPU, for at most mutex_spin_us= (50 µs), before it sleeps (Linux's
 * optimistic spinning): critical sections are short, and a sleep costs
 * both sides a wakeup, a context switch and often an IPI.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/time.h"
#include "sched/mutex.h"
#include "sched/sched.h"

#define MUTEX_SPIN_NS (50 * NSEC_PER_USEC)
static uint64_t mutex_spin_ns = MUTEX_SPIN_NS;

/* mutex_spin_us=N: spin at most N µs for a mutex whose owner runs (0: never). */
static int set_mutex_spin(const char *val)
{
    return param_us_to_ns(val, 10000, &mutex_spin_ns);
}
KERNEL_PARAM("mutex_spin_us", set_mutex_spin);

void mutex_init(struct mutex *m)
{
    spin_init(&m->lock);
    m->locked = false;
    m->owner = NULL;
    waitq_init(&m->wq);
}

bool mutex_trylock(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    bool got = !m->locked;

    if (got) {
        m->locked = true;
        m->owner = current_thread();
    }
    spin_unlock_irqrestore(&m->lock, flags);
    return got;
}

/* Is t running on a CPU right now? t may be stale: only a hint. */
static bool on_cpu(struct thread *t)
{
    unsigned int cpu = (unsigned int)READ_ONCE(t->cpu);

    return cpu < ncpus && cpus[cpu] != NULL && READ_ONCE(cpus[cpu]->current) == t;
}

/* Spin while the owner runs elsewhere; true when the mutex was taken. */
static bool mutex_spin(struct mutex *m)
{
    uint64_t end = ktime_ns() + mutex_spin_ns;

    while (ktime_ns() < end && !this_cpu()->need_resched) {
        struct thread *owner = READ_ONCE(m->owner);
        if (!READ_ONCE(m->locked) && mutex_trylock(m))
            return true;
        if (owner != NULL && !on_cpu(owner))
            return false; /* it sleeps or waits: so do we */
        cpu_relax();
    }
    return false;
}

void mutex_lock(struct mutex *m)
{
    if (m->owner == current_thread() && m->locked)
        panic("mutex_lock: %p already held by this thread", (void *)m);
    if (mutex_trylock(m) || (ncpus > 1 && mutex_spin_ns != 0 && mutex_spin(m)))
        return;
    wait_event(&m->wq, mutex_trylock(m), 0, 0);
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);

    if (!m->locked || m->owner != current_thread())
        panic("mutex_unlock: %p not held by this thread", (void *)m);
    m->locked = false;
    m->owner = NULL;
    spin_unlock_irqrestore(&m->lock, flags);
    waitq_wake_one(&m->wq);
}

bool mutex_held(struct mutex *m)
{
    return m->locked && m->owner == current_thread();
}
