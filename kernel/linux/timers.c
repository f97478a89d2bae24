/*
 * timers.c - setitimer/alarm and timer_create/settime/delete.
 *
 * Timers on wall clocks (REALTIME, MONOTONIC, BOOTTIME, ITIMER_REAL) are
 * kernel timers. Timers on CPU time (a thread's or the process's:
 * CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID, ITIMER_PROF,
 * ITIMER_VIRTUAL) are checked by a 1 ms poll on every CPU while any is
 * armed, each CPU for the thread it is running (poll_cpu_timers): this is
 * what Go's CPU profiler uses (per-thread timers with SIGEV_THREAD_ID,
 * 100 Hz), and it costs nothing when nobody profiles.
 *
 * Locking: timers.lock guards the list and every timer's state; it is
 * taken before the process lock (signals are sent with it held).
 */
#include "arch/x86_64/percpu.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/timers.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "sched/smp.h"
#include "sched/timer.h"

#define MAX_TIMERS 4096
#define POLL_NS (1000 * 1000ul)

struct ptimer {
    int id;
    int clock;
    int notify;
    int signo;
    int tid;              /* SIGEV_THREAD_ID target */
    struct thread *owner; /* CLOCK_THREAD_CPUTIME_ID: whose CPU time */
    uint64_t value;       /* sigev_value */
    uint64_t expires;     /* on the timer's clock; wall clocks: monotonic */
    uint64_t interval;
    int overrun;
    bool armed;
    struct timer ktimer;
    struct list_head link;
};

struct posix_timers {
    spinlock_t lock;
    struct list_head list; /* guarded by lock */
    int count;
    struct ptimer itimer[3]; /* ITIMER_REAL, _VIRTUAL, _PROF */
};

static int cpu_timers_armed; /* atomic: armed CPU-time timers */
static struct timer poll_timers[MAX_CPUS];
static bool poll_running[MAX_CPUS];

uint64_t thread_cpu_ns(struct thread *th)
{
    uint64_t t = th->runtime_ns;

    if (cpus[th->cpu] != NULL && cpus[th->cpu]->current == th)
        t += ktime_ns() - th->switched_in;
    return t;
}

uint64_t process_cpu_ns(struct process *p)
{
    struct task *t;
    uint64_t total;
    uint64_t flags = spin_lock_irqsave(&p->lock);

    total = p->dead_threads_cpu_ns;
    list_for_each_entry (t, &p->threads, proc_link)
        total += thread_cpu_ns(t->thread);
    spin_unlock_irqrestore(&p->lock, flags);
    return total;
}

static bool cpu_clock(int clock)
{
    return clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID;
}

static uint64_t timer_now(struct ptimer *pt)
{
    if (pt->clock == CLOCK_THREAD_CPUTIME_ID)
        return pt->owner != NULL ? thread_cpu_ns(pt->owner) : 0;
    if (pt->clock == CLOCK_PROCESS_CPUTIME_ID)
        return process_cpu_ns(init_process);
    return ktime_ns();
}

static void wall_timer_fn(struct timer *kt);

static struct posix_timers *timers(void)
{
    struct process *p = current_process();

    if (p->timers == NULL) {
        struct posix_timers *t = kzalloc(sizeof(*t));
        if (t == NULL)
            return NULL;
        spin_init(&t->lock);
        list_init(&t->list);
        static const int sigs[3] = {SIGALRM, SIGVTALRM, SIGPROF};
        for (int i = 0; i < 3; i++) {
            t->itimer[i].id = -1 - i;
            t->itimer[i].clock = i == 0 ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
            t->itimer[i].notify = SIGEV_SIGNAL;
            t->itimer[i].signo = sigs[i];
            timer_init(&t->itimer[i].ktimer, wall_timer_fn, &t->itimer[i]);
        }
        if (__atomic_compare_exchange_n(&p->timers, &(struct posix_timers *){NULL}, t, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) == false)
            kfree(t);
    }
    return p->timers;
}

/* Deliver one expiry. Called with timers.lock held. */
static void fire(struct ptimer *pt)
{
    struct k_siginfo info = {.si_signo = pt->signo, .si_code = SI_TIMER};
    struct process *p = init_process;

    if (pt->notify == SIGEV_NONE || p == NULL)
        return;
    info.timer.tid = pt->id;
    info.timer.overrun = pt->overrun;
    info.timer.value = pt->value;
    if (pt->id < 0)
        info.si_code = SI_KERNEL; /* itimers */
    if (pt->notify == SIGEV_THREAD_ID) {
        uint64_t flags = spin_lock_irqsave(&p->lock);
        struct task *t = task_find(p, pt->tid);
        spin_unlock_irqrestore(&p->lock, flags);
        if (t != NULL)
            signal_send_thread(t, &info);
    } else if (cpu_clock(pt->clock) && current_thread()->task != NULL &&
               current_task()->proc == p && !(current_task()->blocked & sigmask(pt->signo))) {
        /* From the poll, on the thread using the time: it takes the signal, as on Linux. */
        signal_send_thread(current_task(), &info);
    } else {
        signal_send_process(p, pt->signo, info.si_code);
    }
}

/* The timer expired at `now`: signal and re-arm or disarm. timers.lock held. */
static void expire(struct ptimer *pt, uint64_t now)
{
    fire(pt);
    if (pt->interval == 0) {
        pt->armed = false;
        if (cpu_clock(pt->clock))
            __atomic_fetch_sub(&cpu_timers_armed, 1, __ATOMIC_RELAXED);
        return;
    }
    pt->expires += pt->interval;
    pt->overrun = 0;
    if (pt->expires <= now) {
        uint64_t missed = (now - pt->expires) / pt->interval + 1;
        pt->overrun = (int)MIN(missed, (uint64_t)INT32_MAX);
        pt->expires += missed * pt->interval;
    }
    if (!cpu_clock(pt->clock))
        timer_add(&pt->ktimer, pt->expires);
}

static void wall_timer_fn(struct timer *kt)
{
    struct ptimer *pt = kt->arg;
    struct posix_timers *pts = init_process->timers;
    uint64_t flags = spin_lock_irqsave(&pts->lock);

    uint64_t now = ktime_ns();
    if (pt->armed && now >= pt->expires)
        expire(pt, now);
    spin_unlock_irqrestore(&pts->lock, flags);
}

/*
 * Each CPU's poll checks the CPU-time timers of the thread it interrupted,
 * as Linux's tick does: a timer that expires is signalled while its time is
 * being used, so the signal is taken on the way back to that thread and a
 * profile sees where it ran. (Checking from one CPU found most expiries after
 * the thread had gone to sleep; the signal then woke it, and Go's profiler
 * charged the thread's running time to futex and epoll_wait.)
 */
static void poll_cpu_timers(struct timer *kt)
{
    unsigned int cpu = cpu_id();
    struct process *p = init_process;
    struct thread *cur = current_thread();

    (void)kt;
    if (p == NULL || p->timers == NULL || READ_ONCE(cpu_timers_armed) == 0) {
        poll_running[cpu] = false;
        return;
    }
    if (cur->task != NULL && cur->task->proc == p) {
        struct posix_timers *pts = p->timers;
        struct ptimer *pt;
        uint64_t flags = spin_lock_irqsave(&pts->lock);
        list_for_each_entry (pt, &pts->list, link) {
            bool mine = pt->clock == CLOCK_PROCESS_CPUTIME_ID ||
                        (pt->clock == CLOCK_THREAD_CPUTIME_ID && pt->owner == cur);
            if (pt->armed && mine) {
                uint64_t now = timer_now(pt);
                if (now >= pt->expires)
                    expire(pt, now);
            }
        }
        for (int i = 1; i < 3; i++) {
            struct ptimer *it = &pts->itimer[i];
            if (it->armed) {
                uint64_t now = timer_now(it);
                if (now >= it->expires)
                    expire(it, now);
            }
        }
        spin_unlock_irqrestore(&pts->lock, flags);
    }
    timer_add(&poll_timers[cpu], ktime_ns() + POLL_NS);
}

void cputimers_cpu_kick(void)
{
    unsigned int cpu = cpu_id();

    if (READ_ONCE(cpu_timers_armed) == 0 || poll_running[cpu])
        return;
    poll_running[cpu] = true;
    timer_init(&poll_timers[cpu], poll_cpu_timers, NULL);
    timer_add(&poll_timers[cpu], ktime_ns() + POLL_NS);
}

/* Arm or disarm pt: value/interval in ns (relative to now unless absolute). */
static void arm(struct ptimer *pt, uint64_t value, uint64_t interval, bool absolute)
{
    bool was_cpu_armed = pt->armed && cpu_clock(pt->clock);

    if (pt->armed && !cpu_clock(pt->clock))
        timer_del(&pt->ktimer); /* a callback already running rechecks expires */
    pt->armed = value != 0;
    pt->interval = interval;
    pt->overrun = 0;
    if (!pt->armed) {
        if (was_cpu_armed)
            __atomic_fetch_sub(&cpu_timers_armed, 1, __ATOMIC_RELAXED);
        return;
    }
    if (cpu_clock(pt->clock)) {
        uint64_t now = timer_now(pt);
        pt->expires = absolute ? value : now + value;
        if (!was_cpu_armed)
            __atomic_fetch_add(&cpu_timers_armed, 1, __ATOMIC_RELAXED);
        return;
    }
    if (absolute) {
        /* REALTIME absolute targets become monotonic deadlines. */
        if (pt->clock == CLOCK_REALTIME) {
            uint64_t real = ktime_real_ns();
            value = ktime_ns() + (value > real ? value - real : 0);
        }
        pt->expires = value;
    } else {
        pt->expires = ktime_ns() + value;
    }
    timer_add(&pt->ktimer, pt->expires);
}

/* Start the CPU-time pollers if a CPU timer just became armed. */
static void kick_all(void)
{
    if (READ_ONCE(cpu_timers_armed) == 0)
        return;
    cputimers_cpu_kick();
    for (unsigned int i = 0; i < ncpus; i++) {
        if (i != cpu_id())
            smp_send_resched(i);
    }
}

static uint64_t remaining(struct ptimer *pt)
{
    uint64_t now;

    if (!pt->armed)
        return 0;
    now = timer_now(pt);
    return pt->expires > now ? pt->expires - now : 1;
}

void timers_thread_exit(struct thread *th)
{
    struct process *p = init_process;
    struct ptimer *pt;
    uint64_t flags;

    if (p == NULL || p->timers == NULL)
        return;
    flags = spin_lock_irqsave(&p->timers->lock);
    list_for_each_entry (pt, &p->timers->list, link) {
        if (pt->owner == th) {
            if (pt->clock == CLOCK_THREAD_CPUTIME_ID)
                arm(pt, 0, 0, false);
            pt->owner = NULL;
        }
    }
    spin_unlock_irqrestore(&p->timers->lock, flags);
}

/* ---- setitimer / alarm ---- */

static uint64_t tv_ns(const struct k_timeval *tv)
{
    return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

static struct k_timeval ns_tv(uint64_t ns)
{
    return (struct k_timeval){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000)};
}

SYSCALL_DEFINE2(getitimer, int, which, struct k_itimerval *, uval)
{
    struct posix_timers *pts = timers();
    struct k_itimerval v;
    uint64_t flags;

    if (which < 0 || which > 2)
        return -EINVAL;
    if (pts == NULL)
        return -ENOMEM;
    flags = spin_lock_irqsave(&pts->lock);
    v.it_value = ns_tv(remaining(&pts->itimer[which]));
    v.it_interval = ns_tv(pts->itimer[which].interval);
    spin_unlock_irqrestore(&pts->lock, flags);
    return copy_to_user(uval, &v, sizeof(v));
}

SYSCALL_DEFINE3(setitimer, int, which, const struct k_itimerval *, unew, struct k_itimerval *, uold)
{
    struct posix_timers *pts = timers();
    struct k_itimerval nv = {0}, ov;
    uint64_t flags;

    if (which < 0 || which > 2)
        return -EINVAL;
    if (pts == NULL)
        return -ENOMEM;
    if (unew != NULL && copy_from_user(&nv, unew, sizeof(nv)) != 0)
        return -EFAULT;
    if (nv.it_value.tv_sec < 0 || nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 ||
        nv.it_interval.tv_sec < 0 || nv.it_interval.tv_usec < 0 ||
        nv.it_interval.tv_usec >= 1000000)
        return -EINVAL;
    flags = spin_lock_irqsave(&pts->lock);
    ov.it_value = ns_tv(remaining(&pts->itimer[which]));
    ov.it_interval = ns_tv(pts->itimer[which].interval);
    if (unew != NULL)
        arm(&pts->itimer[which], tv_ns(&nv.it_value), tv_ns(&nv.it_interval), false);
    spin_unlock_irqrestore(&pts->lock, flags);
    kick_all();
    if (uold != NULL && copy_to_user(uold, &ov, sizeof(ov)) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE1(alarm, unsigned int, seconds)
{
    struct posix_timers *pts = timers();
    uint64_t flags, left;

    if (pts == NULL)
        return -ENOMEM;
    flags = spin_lock_irqsave(&pts->lock);
    left = remaining(&pts->itimer[0]);
    arm(&pts->itimer[0], (uint64_t)seconds * NSEC_PER_SEC, 0, false);
    spin_unlock_irqrestore(&pts->lock, flags);
    return (long)((left + NSEC_PER_SEC / 2) / NSEC_PER_SEC);
}

/* ---- POSIX timers ---- */

static struct ptimer *find_timer(struct posix_timers *pts, int id)
{
    struct ptimer *pt;

    list_for_each_entry (pt, &pts->list, link) {
        if (pt->id == id)
            return pt;
    }
    return NULL;
}

SYSCALL_DEFINE3(timer_create, int, clock, const struct k_sigevent *, uev, int *, uid)
{
    struct posix_timers *pts = timers();
    struct k_sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
    struct ptimer *pt;
    uint64_t now, flags;
    int id;

    if (pts == NULL)
        return -ENOMEM;
    if (clock_read(clock, &now) != 0)
        return -EINVAL;
    if (uev != NULL && copy_from_user(&ev, uev, sizeof(ev)) != 0)
        return -EFAULT;
    switch (ev.sigev_notify) {
    case SIGEV_NONE:
        break;
    case SIGEV_SIGNAL:
    case SIGEV_THREAD_ID:
        if (ev.sigev_signo < 1 || ev.sigev_signo > NSIG)
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    if (ev.sigev_notify == SIGEV_THREAD_ID) {
        struct process *p = current_process();
        flags = spin_lock_irqsave(&p->lock);
        bool ok = task_find(p, ev.sigev_tid) != NULL;
        spin_unlock_irqrestore(&p->lock, flags);
        if (!ok)
            return -EINVAL;
    }
    pt = kzalloc(sizeof(*pt));
    if (pt == NULL)
        return -EAGAIN;
    pt->clock = clock;
    pt->notify = ev.sigev_notify;
    pt->signo = ev.sigev_signo;
    pt->tid = ev.sigev_tid;
    pt->value = uev != NULL ? ev.sigev_value : 0;
    pt->owner = current_thread();
    /* Initialized now: timer_delete of a timer never armed cancels it too. */
    timer_init(&pt->ktimer, wall_timer_fn, pt);
    flags = spin_lock_irqsave(&pts->lock);
    if (pts->count >= MAX_TIMERS) {
        spin_unlock_irqrestore(&pts->lock, flags);
        kfree(pt);
        return -EAGAIN;
    }
    for (id = 0; find_timer(pts, id) != NULL; id++)
        ;
    pt->id = id;
    if (uev == NULL)
        pt->value = (uint64_t)id;
    list_add_tail(&pt->link, &pts->list);
    pts->count++;
    spin_unlock_irqrestore(&pts->lock, flags);
    if (put_user_u32(uid, (uint32_t)id) != 0) {
        flags = spin_lock_irqsave(&pts->lock);
        list_del(&pt->link);
        pts->count--;
        spin_unlock_irqrestore(&pts->lock, flags);
        kfree(pt);
        return -EFAULT;
    }
    return 0;
}

SYSCALL_DEFINE4(timer_settime, int, id, int, flags, const struct k_itimerspec *, unew,
                struct k_itimerspec *, uold)
{
    struct posix_timers *pts = timers();
    struct k_itimerspec nv, ov;
    struct ptimer *pt;
    uint64_t irq, rem;

    if (pts == NULL)
        return -EINVAL;
    if (copy_from_user(&nv, unew, sizeof(nv)) != 0)
        return -EFAULT;
    if (nv.it_value.tv_sec < 0 || nv.it_value.tv_nsec < 0 ||
        nv.it_value.tv_nsec >= (int64_t)NSEC_PER_SEC || nv.it_interval.tv_sec < 0 ||
        nv.it_interval.tv_nsec < 0 || nv.it_interval.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    irq = spin_lock_irqsave(&pts->lock);
    pt = find_timer(pts, id);
    if (pt == NULL) {
        spin_unlock_irqrestore(&pts->lock, irq);
        return -EINVAL;
    }
    rem = remaining(pt);
    ov.it_value = (struct k_timespec){(int64_t)(rem / NSEC_PER_SEC), (int64_t)(rem % NSEC_PER_SEC)};
    ov.it_interval = (struct k_timespec){(int64_t)(pt->interval / NSEC_PER_SEC),
                                         (int64_t)(pt->interval % NSEC_PER_SEC)};
    uint64_t value = (uint64_t)nv.it_value.tv_sec * NSEC_PER_SEC + (uint64_t)nv.it_value.tv_nsec;
    uint64_t interval =
        (uint64_t)nv.it_interval.tv_sec * NSEC_PER_SEC + (uint64_t)nv.it_interval.tv_nsec;
    arm(pt, value, interval, (flags & TIMER_ABSTIME) != 0);
    spin_unlock_irqrestore(&pts->lock, irq);
    kick_all();
    if (uold != NULL && copy_to_user(uold, &ov, sizeof(ov)) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(timer_gettime, int, id, struct k_itimerspec *, ucur)
{
    struct posix_timers *pts = timers();
    struct k_itimerspec cur;
    struct ptimer *pt;
    uint64_t irq, rem;

    if (pts == NULL)
        return -EINVAL;
    irq = spin_lock_irqsave(&pts->lock);
    pt = find_timer(pts, id);
    if (pt == NULL) {
        spin_unlock_irqrestore(&pts->lock, irq);
        return -EINVAL;
    }
    rem = remaining(pt);
    cur.it_value =
        (struct k_timespec){(int64_t)(rem / NSEC_PER_SEC), (int64_t)(rem % NSEC_PER_SEC)};
    cur.it_interval = (struct k_timespec){(int64_t)(pt->interval / NSEC_PER_SEC),
                                          (int64_t)(pt->interval % NSEC_PER_SEC)};
    spin_unlock_irqrestore(&pts->lock, irq);
    return copy_to_user(ucur, &cur, sizeof(cur));
}

SYSCALL_DEFINE1(timer_getoverrun, int, id)
{
    struct posix_timers *pts = timers();
    struct ptimer *pt;
    uint64_t irq;
    int n;

    if (pts == NULL)
        return -EINVAL;
    irq = spin_lock_irqsave(&pts->lock);
    pt = find_timer(pts, id);
    n = pt != NULL ? pt->overrun : -EINVAL;
    spin_unlock_irqrestore(&pts->lock, irq);
    return n;
}

SYSCALL_DEFINE1(timer_delete, int, id)
{
    struct posix_timers *pts = timers();
    struct ptimer *pt;
    uint64_t irq;

    if (pts == NULL)
        return -EINVAL;
    irq = spin_lock_irqsave(&pts->lock);
    pt = find_timer(pts, id);
    if (pt == NULL) {
        spin_unlock_irqrestore(&pts->lock, irq);
        return -EINVAL;
    }
    arm(pt, 0, 0, false);
    list_del(&pt->link);
    pts->count--;
    spin_unlock_irqrestore(&pts->lock, irq);
    if (!cpu_clock(pt->clock))
        timer_cancel(&pt->ktimer);
    kfree(pt);
    return 0;
}
