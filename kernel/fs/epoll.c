/*
 * epoll.c - event polling over the generic poll interface (fs/poll.h).
 *
 * Each watched fd is an epitem. Adding it polls the file once with a poll
 * table that puts the item's callback waiter on the file's wait queue(s)
 * and reports current readiness at once. From then on, every
 * waitq_notify() on those queues runs ep_callback, which marks the item
 * ready and wakes epoll_wait. epoll_wait re-polls each ready item for its
 * current mask: level-triggered items stay on the ready list while they
 * are ready; edge-triggered (EPOLLET) ones leave it until the next
 * notification; EPOLLONESHOT disables the item after one report.
 *
 * Locking: ep->mtx (a mutex) serializes epoll_ctl, the scan in epoll_wait
 * and item removal on file release; ep->lock (a spinlock, taken in
 * callbacks under the file's wait-queue lock) guards the ready list.
 * items_lock guards every file's list of epitems.
 */
#include "core/time.h"
#include "fs/anon.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EP_MAX_EVENTS (INT32_MAX / sizeof(struct k_epoll_event))
#define EP_MAX_QUEUES 2

struct eventpoll;

struct epitem {
    struct eventpoll *ep;
    struct file *file; /* not referenced: the item dies with the file */
    int fd;
    uint32_t events;
    uint64_t data;
    bool ready;                  /* on ep->ready; guarded by ep->lock */
    struct list_head ep_link;    /* ep->items, guarded by ep->mtx */
    struct list_head file_link;  /* file->epitems, guarded by items_lock */
    struct list_head ready_link; /* ep->ready, guarded by ep->lock */
    int nqueues;
    struct {
        struct waiter w;
        struct waitq *wq;
    } queues[EP_MAX_QUEUES];
};

struct eventpoll {
    struct mutex mtx;
    spinlock_t lock;
    struct list_head items;
    struct list_head ready;
    struct waitq wq;    /* epoll_wait callers */
    struct waitq pollq; /* epoll of epolls */
};

static spinlock_t items_lock = SPINLOCK_INIT;
static const struct file_ops epoll_fops;

static void ep_callback(struct waiter *w, uint32_t events)
{
    struct epitem *it = w->priv;
    struct eventpoll *ep = it->ep;
    uint64_t flags;
    bool wake = false;

    /* Unspecified events (~0) or any the item watches (errors always count). */
    if (!(events & (it->events | EPOLLERR | EPOLLHUP)) || !(it->events & ~(EPOLLET | EPOLLONESHOT)))
        return;
    flags = spin_lock_irqsave(&ep->lock);
    if (!it->ready) {
        it->ready = true;
        list_add_tail(&it->ready_link, &ep->ready);
        wake = true;
    }
    spin_unlock_irqrestore(&ep->lock, flags);
    if (wake) {
        waitq_wake_all(&ep->wq);
        waitq_notify(&ep->pollq, EPOLLIN);
    }
}

struct ep_pt {
    struct poll_table pt;
    struct epitem *item;
};

static void ep_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
    struct epitem *it = ((struct ep_pt *)pt)->item;

    (void)f;
    if (it->nqueues == EP_MAX_QUEUES)
        return;
    struct waiter *w = &it->queues[it->nqueues].w;
    *w = (struct waiter){.func = ep_callback, .priv = it};
    it->queues[it->nqueues].wq = wq;
    it->nqueues++;
    waitq_add(wq, w);
}

static uint32_t item_poll(struct epitem *it)
{
    return file_poll(it->file, NULL) & (it->events | EPOLLERR | EPOLLHUP);
}

/* Remove an item. Caller holds ep->mtx. */
static void item_remove(struct eventpoll *ep, struct epitem *it)
{
    uint64_t flags;

    for (int i = 0; i < it->nqueues; i++)
        waitq_remove(it->queues[i].wq, &it->queues[i].w);
    flags = spin_lock_irqsave(&items_lock);
    list_del(&it->file_link);
    spin_unlock_irqrestore(&items_lock, flags);
    flags = spin_lock_irqsave(&ep->lock);
    if (it->ready)
        list_del(&it->ready_link);
    spin_unlock_irqrestore(&ep->lock, flags);
    list_del(&it->ep_link);
    kfree(it);
}

void epoll_file_release(struct file *f)
{
    for (;;) {
        struct epitem *it = NULL;
        uint64_t flags = spin_lock_irqsave(&items_lock);
        if (!list_empty(&f->epitems))
            it = list_first_entry(&f->epitems, struct epitem, file_link);
        struct eventpoll *ep = it != NULL ? it->ep : NULL;
        spin_unlock_irqrestore(&items_lock, flags);
        if (ep == NULL)
            return;
        mutex_lock(&ep->mtx);
        /* Still there? (another path may have removed it meanwhile) */
        flags = spin_lock_irqsave(&items_lock);
        bool present = false;
        struct epitem *x;
        list_for_each_entry (x, &f->epitems, file_link) {
            if (x == it)
                present = true;
        }
        spin_unlock_irqrestore(&items_lock, flags);
        if (present)
            item_remove(ep, it);
        mutex_unlock(&ep->mtx);
    }
}

static struct epitem *item_find(struct eventpoll *ep, struct file *f, int fd)
{
    struct epitem *it;

    list_for_each_entry (it, &ep->items, ep_link) {
        if (it->file == f && it->fd == fd)
            return it;
    }
    return NULL;
}

static void mark_ready(struct eventpoll *ep, struct epitem *it)
{
    uint64_t flags = spin_lock_irqsave(&ep->lock);

    if (!it->ready) {
        it->ready = true;
        list_add_tail(&it->ready_link, &ep->ready);
    }
    spin_unlock_irqrestore(&ep->lock, flags);
    waitq_wake_all(&ep->wq);
    waitq_notify(&ep->pollq, EPOLLIN);
}

static long ep_ctl(struct eventpoll *ep, int op, int fd, struct file *f,
                   const struct k_epoll_event *ev)
{
    struct epitem *it;
    uint64_t flags;

    it = item_find(ep, f, fd);
    switch (op) {
    case EPOLL_CTL_ADD: {
        if (it != NULL)
            return -EEXIST;
        it = kzalloc(sizeof(*it));
        if (it == NULL)
            return -ENOMEM;
        it->ep = ep;
        it->file = f;
        it->fd = fd;
        it->events = ev->events | EPOLLERR | EPOLLHUP;
        it->data = ev->data;
        list_init(&it->ready_link);
        list_add_tail(&it->ep_link, &ep->items);
        flags = spin_lock_irqsave(&items_lock);
        list_add_tail(&it->file_link, &f->epitems);
        spin_unlock_irqrestore(&items_lock, flags);
        struct ep_pt pt = {.pt.queue = ep_queue, .item = it};
        uint32_t mask = file_poll(f, &pt.pt) & it->events;
        if (mask != 0)
            mark_ready(ep, it);
        return 0;
    }
    case EPOLL_CTL_MOD:
        if (it == NULL)
            return -ENOENT;
        it->events = ev->events | EPOLLERR | EPOLLHUP;
        it->data = ev->data;
        if (item_poll(it) != 0)
            mark_ready(ep, it);
        return 0;
    case EPOLL_CTL_DEL:
        if (it == NULL)
            return -ENOENT;
        item_remove(ep, it);
        return 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE4(epoll_ctl, int, epfd, int, op, int, fd, const struct k_epoll_event *, uev)
{
    struct file *epf, *f;
    struct k_epoll_event ev = {0};
    long err;

    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)) != 0)
        return -EFAULT;
    epf = fd_get(epfd);
    if (epf == NULL)
        return -EBADF;
    f = fd_get(fd);
    if (f == NULL) {
        file_put(epf);
        return -EBADF;
    }
    if (epf->ops != &epoll_fops) {
        err = -EINVAL;
    } else if (f == epf) {
        err = -EINVAL;
    } else if (f->ops == NULL || f->ops->poll == NULL) {
        /* Regular files and directories cannot be watched (Go relies on EPERM). */
        err = -EPERM;
    } else if ((ev.events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_MOD) {
        err = -EINVAL;
    } else {
        struct eventpoll *ep = epf->priv;
        mutex_lock(&ep->mtx);
        err = ep_ctl(ep, op, fd, f, &ev);
        mutex_unlock(&ep->mtx);
    }
    file_put(f);
    file_put(epf);
    return err;
}

static bool has_ready(struct eventpoll *ep)
{
    return !list_empty(&ep->ready);
}

/* Report up to max events into uevents; returns the count or -EFAULT. */
static long ep_collect(struct eventpoll *ep, struct k_epoll_event *uevents, int max)
{
    LIST_HEAD(batch);
    struct epitem *it;
    bool fault = false;
    uint64_t flags;
    long n = 0;

    mutex_lock(&ep->mtx);
    /*
     * Take the ready list. Items stay marked ready while they wait in the
     * batch, so a callback (which may run on another CPU at any time) does
     * not touch their ready_link; each is un-marked, under ep->lock, just
     * before it is polled, so a notification arriving from then on puts it
     * back on ep->ready.
     */
    flags = spin_lock_irqsave(&ep->lock);
    while (!list_empty(&ep->ready)) {
        it = list_first_entry(&ep->ready, struct epitem, ready_link);
        list_del(&it->ready_link);
        list_add_tail(&it->ready_link, &batch);
    }
    spin_unlock_irqrestore(&ep->lock, flags);

    for (;;) {
        flags = spin_lock_irqsave(&ep->lock);
        it = list_empty(&batch) ? NULL : list_first_entry(&batch, struct epitem, ready_link);
        if (it != NULL) {
            list_del(&it->ready_link);
            it->ready = false;
        }
        spin_unlock_irqrestore(&ep->lock, flags);
        if (it == NULL)
            break;
        if (n >= max || fault) {
            mark_ready(ep, it); /* not reported this time */
            continue;
        }
        uint32_t mask = item_poll(it);
        if (mask == 0)
            continue;
        struct k_epoll_event ev = {.events = mask, .data = it->data};
        if (copy_to_user(&uevents[n], &ev, sizeof(ev)) != 0) {
            mark_ready(ep, it);
            fault = true;
            continue;
        }
        n++;
        if (it->events & EPOLLONESHOT)
            it->events &= EPOLLET | EPOLLONESHOT; /* disabled until EPOLL_CTL_MOD */
        else if (!(it->events & EPOLLET))
            mark_ready(ep, it); /* level-triggered: stays while ready */
    }
    mutex_unlock(&ep->mtx);
    return n == 0 && fault ? -EFAULT : n;
}

static long do_epoll_wait(int epfd, struct k_epoll_event *uevents, int max, int timeout_ms)
{
    struct file *f = fd_get(epfd);
    struct eventpoll *ep;
    uint64_t deadline = 0;
    long n;

    if (f == NULL)
        return -EBADF;
    if (f->ops != &epoll_fops || max <= 0 || (size_t)max > EP_MAX_EVENTS) {
        file_put(f);
        return f->ops != &epoll_fops ? -EINVAL : -EINVAL;
    }
    if (!user_range_ok(uevents, (size_t)max * sizeof(*uevents))) {
        file_put(f);
        return -EFAULT;
    }
    ep = f->priv;
    if (timeout_ms > 0)
        deadline = ktime_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
    for (;;) {
        n = ep_collect(ep, uevents, max);
        if (n != 0 || timeout_ms == 0)
            break;
        int err = wait_event(&ep->wq, has_ready(ep), deadline, SLEEP_INTERRUPTIBLE);
        if (err == -ETIMEDOUT) {
            n = ep_collect(ep, uevents, max);
            break;
        }
        if (err == -EINTR) {
            n = -EINTR;
            break;
        }
    }
    file_put(f);
    return n;
}

SYSCALL_DEFINE4(epoll_wait, int, epfd, struct k_epoll_event *, events, int, max, int, timeout)
{
    return do_epoll_wait(epfd, events, max, timeout);
}

SYSCALL_DEFINE6(epoll_pwait, int, epfd, struct k_epoll_event *, events, int, max, int, timeout,
                const uint64_t *, usigmask, size_t, sigsetsize)
{
    struct task *t = current_task();
    uint64_t mask, flags;
    long n;

    if (usigmask == NULL)
        return do_epoll_wait(epfd, events, max, timeout);
    if (sigsetsize != 8)
        return -EINVAL;
    if (copy_from_user(&mask, usigmask, 8) != 0)
        return -EFAULT;
    flags = spin_lock_irqsave(&t->proc->lock);
    t->saved_sigmask = t->blocked;
    t->blocked = mask & ~UNBLOCKABLE;
    signal_recalc(t);
    spin_unlock_irqrestore(&t->proc->lock, flags);
    n = do_epoll_wait(epfd, events, max, timeout);
    flags = spin_lock_irqsave(&t->proc->lock);
    if (n == -EINTR) {
        t->restore_sigmask = true; /* the handler runs with the temporary mask */
    } else {
        t->blocked = t->saved_sigmask;
        signal_recalc(t);
    }
    spin_unlock_irqrestore(&t->proc->lock, flags);
    return n;
}

static uint32_t epoll_poll(struct file *f, struct poll_table *pt)
{
    struct eventpoll *ep = f->priv;

    poll_wait(f, &ep->pollq, pt);
    return has_ready(ep) ? EPOLLIN | EPOLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
    struct eventpoll *ep = f->priv;
    struct epitem *it, *tmp;

    mutex_lock(&ep->mtx);
    list_for_each_entry_safe (it, tmp, &ep->items, ep_link)
        item_remove(ep, it);
    mutex_unlock(&ep->mtx);
    kfree(ep);
}

static const struct file_ops epoll_fops = {
    .poll = epoll_poll,
    .release = epoll_release,
    .stream = true,
};

static long do_epoll_create(int flags)
{
    struct eventpoll *ep;
    struct file *f;
    int fd;

    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    ep = kzalloc(sizeof(*ep));
    if (ep == NULL)
        return -ENOMEM;
    mutex_init(&ep->mtx);
    spin_init(&ep->lock);
    list_init(&ep->items);
    list_init(&ep->ready);
    waitq_init(&ep->wq);
    waitq_init(&ep->pollq);
    f = anon_file(&epoll_fops, ep, O_RDWR, 0600, "anon_inode:[eventpoll]");
    if (f == NULL) {
        kfree(ep);
        return -ENOMEM;
    }
    fd = fd_install(f, flags & O_CLOEXEC, 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE1(epoll_create, int, size)
{
    if (size <= 0)
        return -EINVAL;
    return do_epoll_create(0);
}

SYSCALL_DEFINE1(epoll_create1, int, flags)
{
    return do_epoll_create(flags);
}
