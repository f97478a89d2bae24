/*
 * waitq.h - wait queues: sleep until a condition holds.
 *
 *   wait_event(wq, cond, deadline, flags)
 *
 * blocks the calling thread until cond is true (returns 0), the monotonic
 * deadline passes (-ETIMEDOUT; 0 means no deadline) or, with
 * SLEEP_INTERRUPTIBLE, a signal arrives (-EINTR). Whoever makes cond true
 * calls waitq_wake_all() or waitq_wake_one() afterwards. cond is evaluated
 * without the queue's lock, after the thread is on the queue, so a wakeup
 * cannot be lost; callers protect cond's data as they see fit.
 *
 * A waiter may instead carry a callback (poll and epoll use this): a wake
 * calls func(waiter, events) under the queue's lock, where events says
 * what happened (EPOLLIN, EPOLLOUT, ... or ~0 when unspecified).
 */
#pragma once

#include "lib/list.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

struct waitq {
    spinlock_t lock;
    struct list_head waiters; /* struct waiter, guarded by lock */
};

struct waiter {
    struct thread *thread;
    struct list_head link; /* on waitq.waiters, guarded by its lock */
    bool queued;
    /* Optional: called instead of waking thread. Must not sleep. */
    void (*func)(struct waiter *w, uint32_t events);
    void *priv;
};

#define WAITQ_INIT(name)                                                                           \
    {                                                                                              \
        SPINLOCK_INIT, LIST_HEAD_INIT(name.waiters)                                                \
    }

void waitq_init(struct waitq *wq);
/* Wake every waiter / the first waiter. Returns how many were woken. Any context. */
int waitq_wake_all(struct waitq *wq);
int waitq_wake_one(struct waitq *wq);
/* Wake every waiter, telling callback waiters which events happened. */
int waitq_notify(struct waitq *wq, uint32_t events);

/* Add / remove a callback waiter (poll tables). */
void waitq_add(struct waitq *wq, struct waiter *w);
void waitq_remove(struct waitq *wq, struct waiter *w);
bool waitq_has_waiters(struct waitq *wq);

/* The steps of wait_event, for code that needs them separately. */
void waitq_prepare(struct waitq *wq, struct waiter *w, int flags);
void waitq_finish(struct waitq *wq, struct waiter *w);
/* -EINTR / -ETIMEDOUT / 0 for the current thread (after waitq_prepare). */
int wait_check(uint64_t deadline, int flags);

#define wait_event(wq, cond, deadline, flags)                                                      \
    ({                                                                                             \
        struct waiter __w = {.queued = false};                                                     \
        int __ret = 0;                                                                             \
        for (;;) {                                                                                 \
            waitq_prepare((wq), &__w, (flags));                                                    \
            if (cond)                                                                              \
                break;                                                                             \
            __ret = wait_check((deadline), (flags));                                               \
            if (__ret != 0)                                                                        \
                break;                                                                             \
            schedule_until(deadline);                                                              \
        }                                                                                          \
        waitq_finish((wq), &__w);                                                                  \
        __ret;                                                                                     \
    })
