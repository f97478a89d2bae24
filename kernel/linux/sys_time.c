/*
 * sys_time.c - clocks and sleeping: clock_gettime and friends, nanosleep.
 *
 * CLOCK_MONOTONIC, _RAW, _COARSE and BOOTTIME are the kernel's monotonic
 * clock (nanoseconds since boot, from the TSC; the machine never
 * suspends); REALTIME adds the offset set from the RTC or clock_settime.
 * The CPU-time clocks sum the time threads spent running.
 */
#include "core/time.h"
#include "lib/errno.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/timers.h"
#include "linux/uaccess.h"
#include "sched/sched.h"

static struct k_timespec ns_to_ts(uint64_t ns)
{
    return (struct k_timespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

static bool ts_valid(const struct k_timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (int64_t)NSEC_PER_SEC;
}

static uint64_t ts_to_ns(const struct k_timespec *ts)
{
    if ((uint64_t)ts->tv_sec > UINT64_MAX / NSEC_PER_SEC - 1)
        return UINT64_MAX;
    return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

int clock_read(int clock, uint64_t *ns)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
        *ns = ktime_real_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
        *ns = ktime_ns();
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
        *ns = process_cpu_ns(current_process());
        return 0;
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = thread_cpu_ns(current_thread());
        return 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE2(clock_gettime, int, clock, struct k_timespec *, uts)
{
    uint64_t ns;
    int err = clock_read(clock, &ns);
    struct k_timespec ts;

    if (err != 0)
        return err;
    ts = ns_to_ts(ns);
    return copy_to_user(uts, &ts, sizeof(ts));
}

SYSCALL_DEFINE2(clock_getres, int, clock, struct k_timespec *, uts)
{
    uint64_t ns;
    struct k_timespec ts = {0, 1};

    if (clock_read(clock, &ns) != 0)
        return -EINVAL;
    if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
        ts.tv_nsec = 4000000; /* as Linux with HZ=250 */
    if (uts == NULL)
        return 0;
    return copy_to_user(uts, &ts, sizeof(ts));
}

SYSCALL_DEFINE2(clock_settime, int, clock, const struct k_timespec *, uts)
{
    struct k_timespec ts;

    if (clock != CLOCK_REALTIME)
        return -EINVAL;
    if (copy_from_user(&ts, uts, sizeof(ts)) != 0)
        return -EFAULT;
    if (!ts_valid(&ts))
        return -EINVAL;
    ktime_set_real(ts_to_ns(&ts));
    return 0;
}

SYSCALL_DEFINE2(gettimeofday, struct k_timeval *, utv, void *, tz)
{
    uint64_t ns = ktime_real_ns();
    struct k_timeval tv = {(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000)};

    if (tz != NULL && clear_user(tz, 8) != 0)
        return -EFAULT;
    if (utv != NULL && copy_to_user(utv, &tv, sizeof(tv)) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(settimeofday, const struct k_timeval *, utv, const void *, tz)
{
    struct k_timeval tv;

    (void)tz;
    if (utv == NULL)
        return 0;
    if (copy_from_user(&tv, utv, sizeof(tv)) != 0)
        return -EFAULT;
    if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return -EINVAL;
    ktime_set_real((uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000);
    return 0;
}

SYSCALL_DEFINE1(time, int64_t *, ut)
{
    int64_t t = (int64_t)(ktime_real_ns() / NSEC_PER_SEC);

    if (ut != NULL && put_user_u64(ut, (uint64_t)t) != 0)
        return -EFAULT;
    return t;
}

/*
 * Sleep until the monotonic deadline. On a signal, report the time left
 * in rem (relative sleeps) and return -EINTR (nanosleep is not restarted
 * after a handler, as on Linux).
 */
static long sleep_until(uint64_t deadline, struct k_timespec *urem)
{
    int err = thread_sleep_until(deadline, SLEEP_INTERRUPTIBLE);
    uint64_t now;

    if (err == 0)
        return 0;
    now = ktime_ns();
    if (urem != NULL) {
        struct k_timespec rem = ns_to_ts(deadline > now ? deadline - now : 0);
        if (copy_to_user(urem, &rem, sizeof(rem)) != 0)
            return -EFAULT;
    }
    return -EINTR;
}

SYSCALL_DEFINE2(nanosleep, const struct k_timespec *, ureq, struct k_timespec *, urem)
{
    struct k_timespec ts;
    uint64_t ns;

    if (copy_from_user(&ts, ureq, sizeof(ts)) != 0)
        return -EFAULT;
    if (!ts_valid(&ts))
        return -EINVAL;
    ns = ts_to_ns(&ts);
    return sleep_until(ns > UINT64_MAX - ktime_ns() ? UINT64_MAX : ktime_ns() + ns, urem);
}

SYSCALL_DEFINE4(clock_nanosleep, int, clock, int, flags, const struct k_timespec *, ureq,
                struct k_timespec *, urem)
{
    struct k_timespec ts;
    uint64_t ns, now, deadline;

    if (clock == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    if (clock_read(clock, &now) != 0)
        return -EINVAL;
    if (copy_from_user(&ts, ureq, sizeof(ts)) != 0)
        return -EFAULT;
    if (!ts_valid(&ts))
        return -EINVAL;
    ns = ts_to_ns(&ts);
    if (flags & TIMER_ABSTIME) {
        /* Convert the target on clock into monotonic time. */
        uint64_t delta = ns > now ? ns - now : 0;
        deadline = ktime_ns() + delta;
        long r = sleep_until(deadline, NULL);
        return r == -EINTR ? -ERESTARTNOHAND : r;
    }
    deadline = ns > UINT64_MAX - ktime_ns() ? UINT64_MAX : ktime_ns() + ns;
    return sleep_until(deadline, urem);
}
