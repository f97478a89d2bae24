/*
 * mutex.h - sleeping locks for code that may block while holding them
 * (file systems, device I/O). Not for interrupt context. FIFO-ish: waiters
 * retry in wake order. Not recursive.
 */
#pragma once

#include "sched/waitq.h"

struct mutex {
    spinlock_t lock; /* guards locked and owner */
    bool locked;
    struct thread *owner;
    struct waitq wq;
};

#define MUTEX_INIT(name)                                                                           \
    {                                                                                              \
        SPINLOCK_INIT, false, NULL, WAITQ_INIT(name.wq)                                            \
    }

void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(struct mutex *m);
