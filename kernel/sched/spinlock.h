/*
 * spinlock.h - ticket spinlocks that save and restore the interrupt state.
 *
 * Every lock is taken with interrupts disabled on this CPU and gives back
 * the caller's previous state on release, so a lock may be shared with
 * interrupt handlers and a thread holding one is never preempted. Locks are
 * fair (FIFO). assert_held() checks that this CPU holds a lock; use it in
 * functions whose contract says "called with X held".
 */
#pragma once

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/types.h"

typedef struct {
    uint32_t next;  /* ticket handed to the next arrival */
    uint32_t owner; /* ticket being served */
    int32_t holder; /* CPU id of the holder, -1 when free (for assert_held) */
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0, 0, -1                                                                                   \
    }

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

static inline void spin_init(spinlock_t *l)
{
    l->next = 0;
    l->owner = 0;
    l->holder = -1;
}

static inline void spin_acquire(spinlock_t *l)
{
    uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
        spin_relax();
    l->holder = (int32_t)cpu_id();
}

static inline void spin_release(spinlock_t *l)
{
    l->holder = -1;
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Disable interrupts, take the lock; returns the flags for the unlock. */
static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags = irq_save();

    spin_acquire(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_release(l);
    irq_restore(flags);
}

/* Try once; on success returns true with IRQs off and *flags set. */
static inline bool spin_trylock_irqsave(spinlock_t *l, uint64_t *flags)
{
    uint32_t owner;
    uint64_t f = irq_save();

    owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    if (__atomic_compare_exchange_n(&l->next, &owner, owner + 1, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED)) {
        l->holder = (int32_t)cpu_id();
        *flags = f;
        return true;
    }
    irq_restore(f);
    return false;
}

static inline bool spin_held(const spinlock_t *l)
{
    return l->holder == (int32_t)cpu_id();
}

#define assert_held(l)                                                                             \
    do {                                                                                           \
        if (!spin_held(l))                                                                         \
            panic("%s: lock %s not held", __func__, #l);                                           \
    } while (0)
