/*
 * select.c - poll, ppoll, select and pselect6 on the generic poll interface.
 *
 * First pass: poll every file with a poll table that hangs a waiter per
 * wait queue; if nothing is ready, sleep until one of those queues is
 * notified, a signal arrives or the time runs out, then poll again (the
 * waiters stay until the end).
 */
#include "core/time.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"

struct poll_entry {
    struct waiter w;
    struct waitq *wq;
};

struct poll_wqueues {
    struct poll_table pt;
    struct thread *thread;
    volatile bool triggered;
    struct poll_entry *entries;
    unsigned int n, cap;
    int err;
};

static void pollwake(struct waiter *w, uint32_t events)
{
    struct poll_wqueues *pw = w->priv;

    (void)events;
    pw->triggered = true;
    thread_wake(pw->thread);
}

static void pollwait_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
    struct poll_wqueues *pw = (struct poll_wqueues *)pt;

    (void)f;
    if (pw->n == pw->cap) {
        unsigned int cap = pw->cap ? pw->cap * 2 : 16;
        struct poll_entry *e = kmalloc(cap * sizeof(*e), 0);
        if (e == NULL) {
            pw->err = -ENOMEM;
            return;
        }
        /* Waiters are on lists by address: move them carefully. */
        for (unsigned int i = 0; i < pw->n; i++) {
            waitq_remove(pw->entries[i].wq, &pw->entries[i].w);
            e[i] = pw->entries[i];
            waitq_add(e[i].wq, &e[i].w);
        }
        kfree(pw->entries);
        pw->entries = e;
        pw->cap = cap;
    }
    struct poll_entry *pe = &pw->entries[pw->n++];
    pe->wq = wq;
    pe->w = (struct waiter){.func = pollwake, .priv = pw};
    waitq_add(wq, &pe->w);
}

static void poll_init(struct poll_wqueues *pw)
{
    memset(pw, 0, sizeof(*pw));
    pw->pt.queue = pollwait_queue;
    pw->thread = current_thread();
}

static void poll_free(struct poll_wqueues *pw)
{
    for (unsigned int i = 0; i < pw->n; i++)
        waitq_remove(pw->entries[i].wq, &pw->entries[i].w);
    kfree(pw->entries);
}

/*
 * Sleep until woken by a watched queue, a signal or the deadline.
 * Returns -EINTR on a signal, -ETIMEDOUT at the deadline, else 0.
 */
static int poll_sleep(struct poll_wqueues *pw, uint64_t deadline)
{
    for (;;) {
        sched_block(SLEEP_INTERRUPTIBLE);
        if (pw->triggered) {
            sched_unblock_self();
            pw->triggered = false;
            return 0;
        }
        if (signal_pending()) {
            sched_unblock_self();
            return -EINTR;
        }
        if (deadline != 0 && ktime_ns() >= deadline) {
            sched_unblock_self();
            return -ETIMEDOUT;
        }
        schedule_until(deadline);
    }
}

/* One pass over pollfds; registers on queues when pw is non-NULL. */
static int poll_pass(struct k_pollfd *fds, unsigned int nfds, struct poll_wqueues *pw)
{
    int count = 0;

    for (unsigned int i = 0; i < nfds; i++) {
        uint32_t mask = 0;
        if (fds[i].fd >= 0) {
            struct file *f = fd_get(fds[i].fd);
            if (f == NULL) {
                mask = POLLNVAL;
            } else {
                mask = file_poll(f, pw != NULL ? &pw->pt : NULL);
                mask &= (uint32_t)(uint16_t)fds[i].events | POLLERR | POLLHUP;
                file_put(f);
            }
        }
        fds[i].revents = (int16_t)mask;
        if (mask != 0)
            count++;
    }
    return count;
}

static long do_poll(struct k_pollfd *ufds, unsigned int nfds, uint64_t deadline, bool forever)
{
    struct k_pollfd *fds;
    struct poll_wqueues pw;
    long ret;

    if (nfds > current_process()->rlimits[RLIMIT_NOFILE].rlim_cur && nfds > 1024)
        return -EINVAL;
    fds = kmalloc(MAX(nfds, 1u) * sizeof(*fds), 0);
    if (fds == NULL)
        return -ENOMEM;
    if (copy_from_user(fds, ufds, nfds * sizeof(*fds)) != 0) {
        kfree(fds);
        return -EFAULT;
    }
    poll_init(&pw);
    ret = poll_pass(fds, nfds, &pw);
    while (ret == 0) {
        if (!forever && deadline != 0 && ktime_ns() >= deadline)
            break;
        if (!forever && deadline == 0)
            break;
        int err = poll_sleep(&pw, forever ? 0 : deadline);
        if (err == -EINTR) {
            ret = -ERESTARTNOHAND;
            break;
        }
        ret = poll_pass(fds, nfds, NULL);
        if (err == -ETIMEDOUT)
            break;
    }
    poll_free(&pw);
    if (ret >= 0) {
        for (unsigned int i = 0; i < nfds; i++) {
            if (put_user_u32((char *)&ufds[i] + 4,
                             (uint16_t)fds[i].events |
                                 ((uint32_t)(uint16_t)fds[i].revents << 16)) != 0) {
                ret = -EFAULT;
                break;
            }
        }
    }
    kfree(fds);
    return ret;
}

SYSCALL_DEFINE3(poll, struct k_pollfd *, ufds, unsigned int, nfds, int, timeout_ms)
{
    uint64_t deadline = timeout_ms > 0 ? ktime_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC : 0;
    long r = do_poll(ufds, nfds, deadline, timeout_ms < 0);

    return r == -ERESTARTNOHAND ? -EINTR : r;
}

/* Install a temporary signal mask for ppoll/pselect; true if one was given. */
static int swap_sigmask(const uint64_t *usigmask, size_t size)
{
    struct task *t = current_task();
    uint64_t mask, flags;

    if (usigmask == NULL)
        return 0;
    if (size != 8)
        return -EINVAL;
    if (copy_from_user(&mask, usigmask, 8) != 0)
        return -EFAULT;
    flags = spin_lock_irqsave(&t->proc->lock);
    t->saved_sigmask = t->blocked;
    t->blocked = mask & ~UNBLOCKABLE;
    signal_recalc(t);
    spin_unlock_irqrestore(&t->proc->lock, flags);
    return 1;
}

static void restore_sigmask(long ret)
{
    struct task *t = current_task();
    uint64_t flags = spin_lock_irqsave(&t->proc->lock);

    if (ret == -ERESTARTNOHAND || ret == -EINTR) {
        t->restore_sigmask = true;
    } else {
        t->blocked = t->saved_sigmask;
        signal_recalc(t);
    }
    spin_unlock_irqrestore(&t->proc->lock, flags);
}

static int timeout_deadline(const struct k_timespec *uts, uint64_t *deadline, bool *forever)
{
    struct k_timespec ts;

    *forever = uts == NULL;
    *deadline = 0;
    if (uts == NULL)
        return 0;
    if (copy_from_user(&ts, uts, sizeof(ts)) != 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    *deadline = ns == 0 ? 0 : ktime_ns() + ns;
    return 0;
}

SYSCALL_DEFINE5(ppoll, struct k_pollfd *, ufds, unsigned int, nfds, const struct k_timespec *, uts,
                const uint64_t *, usigmask, size_t, sigsetsize)
{
    uint64_t deadline;
    bool forever;
    int err = timeout_deadline(uts, &deadline, &forever);
    int swapped;
    long r;

    if (err != 0)
        return err;
    swapped = swap_sigmask(usigmask, sigsetsize);
    if (swapped < 0)
        return swapped;
    r = do_poll(ufds, nfds, deadline, forever);
    if (swapped)
        restore_sigmask(r);
    return r == -ERESTARTNOHAND ? -EINTR : r;
}

/* ---- select ---- */

#define FD_SETSIZE_MAX 65536

static long do_select(int n, uint64_t *uin, uint64_t *uout, uint64_t *uex, uint64_t deadline,
                      bool forever)
{
    size_t words = ((size_t)n + 63) / 64;
    uint64_t *sets, *in, *out, *ex, *rin, *rout, *rex;
    struct poll_wqueues pw;
    long ret = 0;
    bool first = true;

    if (n < 0 || n > FD_SETSIZE_MAX)
        return -EINVAL;
    sets = kzalloc(MAX(words, (size_t)1) * 8 * 6);
    if (sets == NULL)
        return -ENOMEM;
    in = sets;
    out = in + words;
    ex = out + words;
    rin = ex + words;
    rout = rin + words;
    rex = rout + words;
    if ((uin != NULL && copy_from_user(in, uin, words * 8) != 0) ||
        (uout != NULL && copy_from_user(out, uout, words * 8) != 0) ||
        (uex != NULL && copy_from_user(ex, uex, words * 8) != 0)) {
        kfree(sets);
        return -EFAULT;
    }
    poll_init(&pw);
    for (;;) {
        ret = 0;
        memset(rin, 0, words * 8 * 3);
        for (int fd = 0; fd < n; fd++) {
            uint64_t bit = 1ul << (fd % 64);
            size_t w = (size_t)fd / 64;
            if (!((in[w] | out[w] | ex[w]) & bit))
                continue;
            struct file *f = fd_get(fd);
            if (f == NULL) {
                ret = -EBADF;
                goto done;
            }
            uint32_t mask = file_poll(f, first ? &pw.pt : NULL);
            file_put(f);
            if ((in[w] & bit) && (mask & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
                rin[w] |= bit;
                ret++;
            }
            if ((out[w] & bit) && (mask & (POLLOUT | POLLWRNORM | POLLERR))) {
                rout[w] |= bit;
                ret++;
            }
            if ((ex[w] & bit) && (mask & POLLPRI)) {
                rex[w] |= bit;
                ret++;
            }
        }
        first = false;
        if (ret != 0 || (!forever && (deadline == 0 || ktime_ns() >= deadline)))
            break;
        int err = poll_sleep(&pw, forever ? 0 : deadline);
        if (err == -EINTR) {
            ret = -ERESTARTNOHAND;
            goto done;
        }
        if (err == -ETIMEDOUT)
            deadline = 0, forever = false;
    }
    if ((uin != NULL && copy_to_user(uin, rin, words * 8) != 0) ||
        (uout != NULL && copy_to_user(uout, rout, words * 8) != 0) ||
        (uex != NULL && copy_to_user(uex, rex, words * 8) != 0))
        ret = -EFAULT;
done:
    poll_free(&pw);
    kfree(sets);
    return ret;
}

SYSCALL_DEFINE5(select, int, n, uint64_t *, in, uint64_t *, out, uint64_t *, ex, struct k_timeval *,
                utv)
{
    struct k_timeval tv;
    uint64_t deadline = 0;
    bool forever = utv == NULL;
    long r;

    if (utv != NULL) {
        if (copy_from_user(&tv, utv, sizeof(tv)) != 0)
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return -EINVAL;
        uint64_t ns = (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000;
        deadline = ns == 0 ? 0 : ktime_ns() + ns;
    }
    r = do_select(n, in, out, ex, deadline, forever);
    return r == -ERESTARTNOHAND ? -EINTR : r;
}

struct sigset_arg {
    const uint64_t *ss;
    size_t len;
};

SYSCALL_DEFINE6(pselect6, int, n, uint64_t *, in, uint64_t *, out, uint64_t *, ex,
                const struct k_timespec *, uts, const struct sigset_arg *, usig)
{
    struct sigset_arg sa = {0};
    uint64_t deadline;
    bool forever;
    int swapped = 0;
    long r;
    int err = timeout_deadline(uts, &deadline, &forever);

    if (err != 0)
        return err;
    if (usig != NULL) {
        if (copy_from_user(&sa, usig, sizeof(sa)) != 0)
            return -EFAULT;
        swapped = swap_sigmask(sa.ss, sa.len);
        if (swapped < 0)
            return swapped;
    }
    r = do_select(n, in, out, ex, deadline, forever);
    if (swapped)
        restore_sigmask(r);
    return r == -ERESTARTNOHAND ? -EINTR : r;
}
