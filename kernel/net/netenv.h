/*
 * netenv.h - everything the network stack needs from its host.
 *
 * The protocol code in kernel/net is portable: it never calls the kernel's
 * allocator, clock, random generator or console directly, only these
 * functions. netenv_kernel.c implements them for EggOS (kmalloc, ktime_ns,
 * random_bytes, printk); tests/host/net/netenv_host.c implements them for
 * the host unit tests and fuzzers (malloc with accounting, a virtual clock,
 * a deterministic random source).
 *
 * None of these may call back into the stack, and none may sleep: the stack
 * runs with the caller's net lock held (see net.h).
 */
#pragma once

#include "lib/types.h"

/* Log levels, the same numbers as the kernel's LOG_* (core/printk.h). */
#define NET_LOG_ERR 3
#define NET_LOG_WARNING 4
#define NET_LOG_NOTICE 5
#define NET_LOG_INFO 6
#define NET_LOG_DEBUG 7

/*
 * Allocate size bytes (any alignment suitable for a struct; 16 bytes is
 * enough). Returns NULL when memory is short; never sleeps. The memory is
 * not zeroed.
 */
void *netenv_alloc(size_t size);
/* Free memory from netenv_alloc (NULL is ignored). */
void netenv_free(void *p);
/* Monotonic time in nanoseconds; never goes backwards. */
uint64_t netenv_now_ns(void);
/* Fill buf with n cryptographically strong random bytes. Never fails. */
void netenv_random_bytes(void *buf, size_t n);
/* Log one line (the format has no trailing newline). */
void netenv_log(int level, const char *fmt, ...) __printf(2, 3);
/*
 * A broken invariant of the stack itself (never something a packet or an
 * application can cause): the kernel panics, the host aborts.
 */
__noreturn void netenv_bug(const char *what);

/* Zeroed allocation, a convenience on top of netenv_alloc. */
void *netenv_zalloc(size_t size);

#define net_err(...) netenv_log(NET_LOG_ERR, __VA_ARGS__)
#define net_warn(...) netenv_log(NET_LOG_WARNING, __VA_ARGS__)
#define net_notice(...) netenv_log(NET_LOG_NOTICE, __VA_ARGS__)
#define net_info(...) netenv_log(NET_LOG_INFO, __VA_ARGS__)
#define net_debug(...) netenv_log(NET_LOG_DEBUG, __VA_ARGS__)

/* Checked invariant of the stack's own data structures. */
#define NET_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (unlikely(!(cond)))                                                                     \
            netenv_bug(__FILE__ ":" STRINGIFY(__LINE__) ": " #cond);                               \
    } while (0)
