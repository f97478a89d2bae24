/*
 * Host-test stand-in for kernel/sched/spinlock.h: the host tests are single
 * threaded, so a lock is a counter that assert_held() can check.
 */
#pragma once

#include "lib/types.h"

typedef struct {
    int depth;
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0                                                                                          \
    }

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

static inline void spin_init(spinlock_t *l)
{
    l->depth = 0;
}

static inline void spin_acquire(spinlock_t *l)
{
    l->depth++;
}

static inline void spin_release(spinlock_t *l)
{
    l->depth--;
}

static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    l->depth++;
    return 0;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    (void)flags;
    l->depth--;
}

static inline bool spin_held(const spinlock_t *l)
{
    return l->depth > 0;
}

#define assert_held(l)                                                                             \
    do {                                                                                           \
        if (!spin_held(l))                                                                         \
            panic("%s: lock %s not held", __func__, #l);                                           \
    } while (0)
