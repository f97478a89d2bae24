/*
 * waitq.c - wait queue operations (see waitq.h).
 */
#include "arch/x86_64/percpu.h"
#include "core/time.h"
#include "lib/errno.h"
#include "sched/waitq.h"

void waitq_init(struct waitq *wq)
{
    spin_init(&wq->lock);
    list_init(&wq->waiters);
}

void waitq_prepare(struct waitq *wq, struct waiter *w, int flags)
{
    uint64_t irq = spin_lock_irqsave(&wq->lock);

    if (!w->queued) {
        w->thread = current_thread();
        w->func = NULL;
        list_add_tail(&w->link, &wq->waiters);
        w->queued = true;
    }
    sched_block(flags);
    spin_unlock_irqrestore(&wq->lock, irq);
}

void waitq_finish(struct waitq *wq, struct waiter *w)
{
    uint64_t irq;

    sched_unblock_self();
    irq = spin_lock_irqsave(&wq->lock);
    if (w->queued) {
        list_del(&w->link);
        w->queued = false;
    }
    spin_unlock_irqrestore(&wq->lock, irq);
}

int wait_check(uint64_t deadline, int flags)
{
    if ((flags & SLEEP_INTERRUPTIBLE) && current_thread()->sigpending)
        return -EINTR;
    if (deadline != 0 && ktime_ns() >= deadline)
        return -ETIMEDOUT;
    return 0;
}

static int wake(struct waitq *wq, bool all, uint32_t events)
{
    struct waiter *w, *tmp;
    int n = 0;
    uint64_t irq;

    /*
     * Unlocked fast path. The fence orders the caller's "make cond true"
     * store before this load (x86 may otherwise reorder them), pairing with
     * the locked enqueue in waitq_prepare, so a wakeup is never lost.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (list_empty(&wq->waiters))
        return 0;
    irq = spin_lock_irqsave(&wq->lock);
    list_for_each_entry_safe (w, tmp, &wq->waiters, link) {
        if (w->func != NULL) {
            w->func(w, events);
            n++;
        } else if (thread_wake(w->thread)) {
            n++;
            if (!all)
                break;
        }
    }
    spin_unlock_irqrestore(&wq->lock, irq);
    return n;
}

int waitq_wake_all(struct waitq *wq)
{
    return wake(wq, true, ~0u);
}

int waitq_wake_one(struct waitq *wq)
{
    return wake(wq, false, ~0u);
}

int waitq_notify(struct waitq *wq, uint32_t events)
{
    return wake(wq, true, events);
}

void waitq_add(struct waitq *wq, struct waiter *w)
{
    uint64_t irq = spin_lock_irqsave(&wq->lock);

    list_add_tail(&w->link, &wq->waiters);
    w->queued = true;
    spin_unlock_irqrestore(&wq->lock, irq);
}

void waitq_remove(struct waitq *wq, struct waiter *w)
{
    uint64_t irq = spin_lock_irqsave(&wq->lock);

    if (w->queued) {
        list_del(&w->link);
        w->queued = false;
    }
    spin_unlock_irqrestore(&wq->lock, irq);
}

bool waitq_has_waiters(struct waitq *wq)
{
    return !list_empty(&wq->waiters);
}
