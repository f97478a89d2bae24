/*
 * Host-test stand-in for kernel/sched/mutex.h: the host tests are single
 * threaded, so a mutex only records that it is held.
 */
#pragma once

#include "lib/types.h"

struct mutex {
    int locked;
};

#define MUTEX_INIT(name)                                                                           \
    {                                                                                              \
        0                                                                                          \
    }

static inline void mutex_init(struct mutex *m)
{
    m->locked = 0;
}

static inline void mutex_lock(struct mutex *m)
{
    m->locked++;
}

static inline void mutex_unlock(struct mutex *m)
{
    m->locked--;
}

static inline bool mutex_held(struct mutex *m)
{
    return m->locked > 0;
}
