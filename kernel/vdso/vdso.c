/*
 * vdso.c - the vDSO: clock reads answered in user space, without entering
 * the kernel.
 *
 * This file is not kernel code: the Makefile builds it alone into a small
 * position-independent shared object (build/vdso/vdso.so, linked by
 * vdso.lds), which kernel/vdso/blob.S embeds in the kernel image and
 * kernel/vdso/vdso_map.c maps into every process, named by the auxiliary
 * vector's AT_SYSINFO_EHDR. Go's runtime (and libc) look up its functions
 * by name and version LINUX_2.6 and call them instead of the syscalls.
 *
 * The clocks are computed from the vvar page, mapped read-only one page
 * below the ELF header (vdso_data.h): the TSC, its base and multiplier,
 * the realtime offset, exactly as kernel/arch/x86_64/time.c computes
 * ktime_ns(), so a reading here equals the syscall's. Whatever cannot be
 * answered here (CPU-time clocks, unknown ids, no usable TSC data) falls
 * back to the real system call. Bad pointers fault in the caller, as on
 * Linux.
 */
#include "vdso/vdso_data.h"

#include <stddef.h>

/* Linux clock ids and system call numbers (x86-64). */
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define NR_GETTIMEOFDAY 96
#define NR_TIME 201
#define NR_CLOCK_GETTIME 228
#define NR_CLOCK_GETRES 229

#define NSEC_PER_SEC 1000000000L
#define NSEC_PER_USEC 1000L
#define EINVAL 22

struct timespec {
    long tv_sec;
    long tv_nsec;
};

struct timeval {
    long tv_sec;
    long tv_usec;
};

struct timezone {
    int tz_minuteswest;
    int tz_dsttime;
};

/* Defined by vdso.lds: the vvar page, one page below our ELF header. */
extern const volatile struct vdso_clock vvar_page __attribute__((visibility("hidden")));

static long syscall2(long nr, long a, long b)
{
    long ret;

    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

/* The TSC, not read before the loads that precede it (the sequence count). */
static uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

enum clock_kind { CLOCK_KIND_MONO, CLOCK_KIND_REAL, CLOCK_KIND_OTHER };

static enum clock_kind classify(int clock)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
        return CLOCK_KIND_REAL;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return CLOCK_KIND_MONO;
    default:
        return CLOCK_KIND_OTHER;
    }
}

/*
 * Nanoseconds on the monotonic (real false) or realtime clock, as the
 * kernel's ktime_ns()/ktime_real_ns() give them. Returns 0 when the kernel
 * asks for the syscall instead.
 */
static int read_ns(int real, uint64_t *ns)
{
    const volatile struct vdso_clock *vc = &vvar_page;
    uint32_t seq;
    uint64_t t;

    do {
        seq = vc->seq;
        if (seq & 1) {
            __asm__ volatile("pause");
            continue;
        }
        if (vc->use_syscall)
            return 0;
        t = (uint64_t)(((unsigned __int128)(rdtsc_ordered() - vc->tsc_base) * vc->ns_mult) >>
                       VDSO_NS_SHIFT);
        if (real)
            t += (uint64_t)vc->realtime_ofs;
        __asm__ volatile("" ::: "memory");
    } while ((seq & 1) || vc->seq != seq);
    *ns = t;
    return 1;
}

int __vdso_clock_gettime(int clock, struct timespec *ts)
{
    enum clock_kind kind = classify(clock);
    uint64_t ns;

    if (kind == CLOCK_KIND_OTHER || !read_ns(kind == CLOCK_KIND_REAL, &ns))
        return (int)syscall2(NR_CLOCK_GETTIME, clock, (long)ts);
    ts->tv_sec = (long)(ns / NSEC_PER_SEC);
    ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
    return 0;
}

int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz)
{
    uint64_t ns;

    if (!read_ns(1, &ns))
        return (int)syscall2(NR_GETTIMEOFDAY, (long)tv, (long)tz);
    if (tv != NULL) {
        tv->tv_sec = (long)(ns / NSEC_PER_SEC);
        tv->tv_usec = (long)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
    }
    if (tz != NULL) {
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

long __vdso_time(long *t)
{
    uint64_t ns;
    long sec;

    if (!read_ns(1, &ns))
        return syscall2(NR_TIME, (long)t, 0);
    sec = (long)(ns / NSEC_PER_SEC);
    if (t != NULL)
        *t = sec;
    return sec;
}

int __vdso_clock_getres(int clock, struct timespec *res)
{
    const volatile struct vdso_clock *vc = &vvar_page;
    long ns = 1;

    if (classify(clock) == CLOCK_KIND_OTHER || vc->use_syscall)
        return (int)syscall2(NR_CLOCK_GETRES, clock, (long)res);
    if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
        ns = (long)vc->coarse_res;
    if (res != NULL) {
        res->tv_sec = 0;
        res->tv_nsec = ns;
    }
    return 0;
}

/* The unprefixed names glibc's vDSO also exports. */
int clock_gettime(int clock, struct timespec *ts)
    __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *tv, struct timezone *tz)
    __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *t) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int clock, struct timespec *res)
    __attribute__((weak, alias("__vdso_clock_getres")));
