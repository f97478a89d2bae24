/*
 * mutex.c - sleeping locks (see mutex.h).
 */
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "sched/mutex.h"

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

void mutex_lock(struct mutex *m)
{
    if (m->owner == current_thread() && m->locked)
        panic("mutex_lock: %p already held by this thread", (void *)m);
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
