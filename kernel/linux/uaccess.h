/*
 * uaccess.h - the only way the kernel touches application memory.
 *
 * Every function checks that the range lies below USER_TOP (no wrap) and
 * returns -EFAULT instead of faulting: pages that are not present yet are
 * faulted in on the way (demand paging), addresses with no mapping or the
 * wrong permission give -EFAULT. Never call these with a spinlock held that
 * the page-fault path takes (the mm lock).
 */
#pragma once

#include "lib/errno.h"
#include "mm/layout.h"

size_t raw_copy_user(void *dst, const void *src, size_t n);
size_t raw_clear_user(void *dst, size_t n);
long raw_strncpy_user(char *dst, const char *src, size_t n);
int raw_get_user64(uint64_t *dst, const void *uptr);
int raw_get_user32(uint32_t *dst, const void *uptr);
int raw_put_user64(void *uptr, uint64_t v);
int raw_put_user32(void *uptr, uint32_t v);
int raw_cmpxchg_user32(void *uptr, uint32_t old, uint32_t new_val, uint32_t *cur);
int raw_atomic_op_user32(void *uptr, int op, uint32_t arg, uint32_t *old);

/* True when [p, p+n) is a possible user range. */
static inline bool user_range_ok(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    return a < USER_TOP && n <= USER_TOP - a;
}

static inline int copy_from_user(void *dst, const void *usrc, size_t n)
{
    if (!user_range_ok(usrc, n))
        return -EFAULT;
    return raw_copy_user(dst, usrc, n) == 0 ? 0 : -EFAULT;
}

static inline int copy_to_user(void *udst, const void *src, size_t n)
{
    if (!user_range_ok(udst, n))
        return -EFAULT;
    return raw_copy_user(udst, src, n) == 0 ? 0 : -EFAULT;
}

static inline int clear_user(void *udst, size_t n)
{
    if (!user_range_ok(udst, n))
        return -EFAULT;
    return raw_clear_user(udst, n) == 0 ? 0 : -EFAULT;
}

/*
 * strncpy_from_user copies a NUL-terminated string of at most n-1 bytes.
 * Returns its length, -ENAMETOOLONG (or the given too_long) when no NUL is
 * within n bytes, or -EFAULT.
 */
static inline long strncpy_from_user(char *dst, const char *usrc, size_t n)
{
    long r;

    if ((uintptr_t)usrc >= USER_TOP)
        return -EFAULT;
    if (n > USER_TOP - (uintptr_t)usrc)
        n = USER_TOP - (uintptr_t)usrc;
    r = raw_strncpy_user(dst, usrc, n);
    if (r < 0)
        return r;
    if ((size_t)r == n) {
        if (n > 0)
            dst[n - 1] = '\0';
        return -ENAMETOOLONG;
    }
    return r;
}

static inline int get_user_u64(uint64_t *dst, const void *uptr)
{
    if (!user_range_ok(uptr, 8))
        return -EFAULT;
    return raw_get_user64(dst, uptr);
}

static inline int get_user_u32(uint32_t *dst, const void *uptr)
{
    if (!user_range_ok(uptr, 4))
        return -EFAULT;
    return raw_get_user32(dst, uptr);
}

static inline int put_user_u64(void *uptr, uint64_t v)
{
    if (!user_range_ok(uptr, 8))
        return -EFAULT;
    return raw_put_user64(uptr, v);
}

static inline int put_user_u32(void *uptr, uint32_t v)
{
    if (!user_range_ok(uptr, 4))
        return -EFAULT;
    return raw_put_user32(uptr, v);
}
