/*
 * futex.h - fast user-space mutexes: wait on and wake by user address.
 */
#pragma once

#include "lib/types.h"

/* Set up the hash buckets (boot). */
void futex_init(void);

/* Wake up to n waiters on the private futex at uaddr (thread exit). */
int futex_wake_address(uintptr_t uaddr, int n);
