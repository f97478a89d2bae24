/*
 * sys_misc.c - identity and resources: uname, limits, usage, credentials,
 * getrandom, prctl, sysinfo. The application runs as root (uid 0) on a
 * machine of its own.
 */
#include "core/params.h"
#include "core/random.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/timers.h"
#include "linux/uaccess.h"
#include "mm/page.h"

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_TIMERSLACK 29
#define PR_GET_TIMERSLACK 30
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42
#define PR_SET_VMA 0x53564d41
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

char hostname[65] = "eggos";

SYSCALL_DEFINE1(uname, struct k_utsname *, ubuf)
{
    struct k_utsname u;

    memset(&u, 0, sizeof(u));
    strscpy(u.sysname, "Linux", sizeof(u.sysname));
    strscpy(u.nodename, hostname, sizeof(u.nodename));
    /* A release Go and musl treat as modern (>= 5.x features are probed). */
    strscpy(u.release, "6.1.0-eggos", sizeof(u.release));
    strscpy(u.version, "#1 SMP EggOS", sizeof(u.version));
    strscpy(u.machine, "x86_64", sizeof(u.machine));
    strscpy(u.domainname, "(none)", sizeof(u.domainname));
    return copy_to_user(ubuf, &u, sizeof(u));
}

static int do_prlimit(int resource, const struct k_rlimit *newlim, struct k_rlimit *old)
{
    struct process *p = current_process();
    uint64_t flags;

    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    if (newlim != NULL && newlim->rlim_cur > newlim->rlim_max)
        return -EINVAL;
    if (newlim != NULL && resource == RLIMIT_NOFILE && newlim->rlim_max > (1u << 20))
        return -EPERM;
    flags = spin_lock_irqsave(&p->lock);
    if (old != NULL)
        *old = p->rlimits[resource];
    if (newlim != NULL)
        p->rlimits[resource] = *newlim;
    spin_unlock_irqrestore(&p->lock, flags);
    return 0;
}

SYSCALL_DEFINE2(getrlimit, int, resource, struct k_rlimit *, ulim)
{
    struct k_rlimit old;
    int err = do_prlimit(resource, NULL, &old);

    if (err != 0)
        return err;
    return copy_to_user(ulim, &old, sizeof(old));
}

SYSCALL_DEFINE2(setrlimit, int, resource, const struct k_rlimit *, ulim)
{
    struct k_rlimit nl;

    if (copy_from_user(&nl, ulim, sizeof(nl)) != 0)
        return -EFAULT;
    return do_prlimit(resource, &nl, NULL);
}

SYSCALL_DEFINE4(prlimit64, int, pid, int, resource, const struct k_rlimit *, unew,
                struct k_rlimit *, uold)
{
    struct k_rlimit nl, old;
    int err;

    if (pid != 0 && pid != current_process()->pid)
        return -ESRCH;
    if (unew != NULL && copy_from_user(&nl, unew, sizeof(nl)) != 0)
        return -EFAULT;
    err = do_prlimit(resource, unew != NULL ? &nl : NULL, &old);
    if (err == 0 && uold != NULL && copy_to_user(uold, &old, sizeof(old)) != 0)
        return -EFAULT;
    return err;
}

SYSCALL_DEFINE2(getrusage, int, who, struct k_rusage *, uru)
{
    struct k_rusage ru;
    uint64_t ns;

    memset(&ru, 0, sizeof(ru));
    if (who == 0 || who == -1)
        ns = who == 0 ? process_cpu_ns(current_process()) : 0; /* no children */
    else if (who == 1)
        ns = thread_cpu_ns(current_thread());
    else
        return -EINVAL;
    /* User/system split is not tracked: report it all as user time. */
    ru.ru_utime =
        (struct k_timeval){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000)};
    return copy_to_user(uru, &ru, sizeof(ru));
}

SYSCALL_DEFINE1(times, struct k_tms *, ubuf)
{
    uint64_t ns = process_cpu_ns(current_process());
    struct k_tms t = {.tms_utime = (int64_t)(ns / (NSEC_PER_SEC / 100))};

    if (ubuf != NULL && copy_to_user(ubuf, &t, sizeof(t)) != 0)
        return -EFAULT;
    return (long)(ktime_ns() / (NSEC_PER_SEC / 100));
}

SYSCALL_DEFINE1(sysinfo, struct k_sysinfo *, uinfo)
{
    struct k_sysinfo si;
    struct page_stats st;

    page_stats(&st);
    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(ktime_ns() / NSEC_PER_SEC);
    si.totalram = st.total_pages * PAGE_SIZE;
    si.freeram = st.free_pages * PAGE_SIZE;
    si.procs = (uint16_t)MIN(current_process()->nthreads, 65535u);
    si.mem_unit = 1;
    return copy_to_user(uinfo, &si, sizeof(si));
}

SYSCALL_DEFINE3(getrandom, uint8_t *, ubuf, size_t, len, unsigned int, flags)
{
    uint8_t buf[256];
    size_t done = 0;

    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
        return -EINVAL;
    if (len > INT32_MAX)
        len = INT32_MAX;
    while (done < len) {
        size_t n = MIN(len - done, sizeof(buf));
        random_bytes(buf, n);
        if (copy_to_user(ubuf + done, buf, n) != 0) {
            memset(buf, 0, sizeof(buf));
            return done > 0 ? (long)done : -EFAULT;
        }
        done += n;
        if (done < len && signal_pending() && done >= 256)
            break; /* large requests may be cut short by signals, as on Linux */
    }
    memset(buf, 0, sizeof(buf));
    return (long)done;
}

SYSCALL_DEFINE1(umask, uint32_t, mask)
{
    struct process *p = current_process();
    uint32_t old = p->umask;

    p->umask = mask & 0777;
    return old;
}

SYSCALL_DEFINE0(getuid)
{
    return 0;
}

SYSCALL_DEFINE0(geteuid)
{
    return 0;
}

SYSCALL_DEFINE0(getgid)
{
    return 0;
}

SYSCALL_DEFINE0(getegid)
{
    return 0;
}

SYSCALL_DEFINE3(getresuid, uint32_t *, r, uint32_t *, e, uint32_t *, s)
{
    if (put_user_u32(r, 0) != 0 || put_user_u32(e, 0) != 0 || put_user_u32(s, 0) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE3(getresgid, uint32_t *, r, uint32_t *, e, uint32_t *, s)
{
    if (put_user_u32(r, 0) != 0 || put_user_u32(e, 0) != 0 || put_user_u32(s, 0) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(getgroups, int, size, uint32_t *, list)
{
    (void)list;
    if (size < 0)
        return -EINVAL;
    return 0;
}

SYSCALL_DEFINE1(setuid, uint32_t, uid)
{
    return uid == 0 ? 0 : -EPERM;
}

SYSCALL_DEFINE1(setgid, uint32_t, gid)
{
    return gid == 0 ? 0 : -EPERM;
}

SYSCALL_DEFINE5(prctl, int, option, uint64_t, a2, uint64_t, a3, uint64_t, a4, uint64_t, a5)
{
    struct thread *th = current_thread();
    char name[16];

    (void)a3;
    (void)a4;
    (void)a5;
    switch (option) {
    case PR_SET_NAME:
        if (strncpy_from_user(name, (const char *)a2, sizeof(name)) == -EFAULT)
            return -EFAULT;
        name[15] = '\0';
        strscpy(th->name, name, sizeof(th->name));
        return 0;
    case PR_GET_NAME:
        memset(name, 0, sizeof(name));
        strscpy(name, th->name, sizeof(name));
        return copy_to_user((void *)a2, name, sizeof(name));
    case PR_SET_TIMERSLACK:
        /* 0 restores the default; more than the timers allow is capped. */
        th->timer_slack_ns = a2 == 0 ? TIMER_SLACK_USER : MIN(a2, TIMER_SLACK_MAX);
        return 0;
    case PR_GET_TIMERSLACK:
        return (long)th->timer_slack_ns;
    case PR_SET_PDEATHSIG:
        return a2 <= NSIG ? 0 : -EINVAL;
    case PR_GET_PDEATHSIG:
        return put_user_u32((void *)a2, 0);
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return a2 <= 1 ? 0 : -EINVAL;
    case PR_SET_NO_NEW_PRIVS:
        return a2 == 1 ? 0 : -EINVAL;
    case PR_GET_NO_NEW_PRIVS:
        return 1;
    case PR_SET_THP_DISABLE:
        return 0;
    case PR_GET_THP_DISABLE:
        return 0;
    case PR_SET_CHILD_SUBREAPER:
        return 0;
    case PR_GET_CHILD_SUBREAPER:
        return put_user_u32((void *)a2, 0);
    case PR_SET_VMA:
        return -EINVAL; /* naming anonymous memory is not supported (Go ignores this) */
    default:
        return -EINVAL;
    }
}
