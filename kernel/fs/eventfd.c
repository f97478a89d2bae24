/*
 * eventfd.c - an 8-byte counter as a file (Go's netpoll wakeup uses it).
 */
#include "fs/anon.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "mm/kmalloc.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX 0xfffffffffffffffeull

struct eventfd {
    spinlock_t lock; /* guards count */
    uint64_t count;
    bool semaphore;
    struct waitq wq;
};

static uint64_t efd_count(struct eventfd *e)
{
    return READ_ONCE(e->count);
}

static ssize_t efd_read(struct file *f, struct uio *u, off_t *pos)
{
    struct eventfd *e = f->priv;
    uint64_t v;

    (void)pos;
    if (u->resid < 8)
        return -EINVAL;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&e->lock);
        if (e->count > 0) {
            v = e->semaphore ? 1 : e->count;
            e->count -= v;
            spin_unlock_irqrestore(&e->lock, flags);
            waitq_notify(&e->wq, EPOLLOUT);
            ssize_t c = uio_copy_to(u, &v, 8);
            return c < 0 ? c : 8;
        }
        spin_unlock_irqrestore(&e->lock, flags);
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (wait_event(&e->wq, efd_count(e) > 0, 0, SLEEP_INTERRUPTIBLE) != 0)
            return -ERESTARTSYS;
    }
}

static ssize_t efd_write(struct file *f, struct uio *u, off_t *pos)
{
    struct eventfd *e = f->priv;
    uint64_t v;

    (void)pos;
    if (u->resid < 8)
        return -EINVAL;
    if (uio_copy_from(u, &v, 8) != 8)
        return -EFAULT;
    if (v == UINT64_MAX)
        return -EINVAL;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&e->lock);
        if (EFD_MAX - e->count >= v) {
            e->count += v;
            spin_unlock_irqrestore(&e->lock, flags);
            if (v > 0)
                waitq_notify(&e->wq, EPOLLIN);
            return 8;
        }
        spin_unlock_irqrestore(&e->lock, flags);
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (wait_event(&e->wq, EFD_MAX - efd_count(e) >= v, 0, SLEEP_INTERRUPTIBLE) != 0)
            return -ERESTARTSYS;
    }
}

static uint32_t efd_poll(struct file *f, struct poll_table *pt)
{
    struct eventfd *e = f->priv;
    uint64_t c;

    poll_wait(f, &e->wq, pt);
    c = efd_count(e);
    return (c > 0 ? EPOLLIN | EPOLLRDNORM : 0) | (c < EFD_MAX ? EPOLLOUT | EPOLLWRNORM : 0);
}

static void efd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops eventfd_fops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .release = efd_release,
    .stream = true,
};

static long do_eventfd(unsigned int count, int flags)
{
    struct eventfd *e;
    struct file *f;
    int fd;

    if (flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE))
        return -EINVAL;
    e = kzalloc(sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    spin_init(&e->lock);
    waitq_init(&e->wq);
    e->count = count;
    e->semaphore = flags & EFD_SEMAPHORE;
    f = anon_file(&eventfd_fops, e, O_RDWR | (flags & O_NONBLOCK), 0600, "anon_inode:[eventfd]");
    if (f == NULL) {
        kfree(e);
        return -ENOMEM;
    }
    fd = fd_install(f, flags & O_CLOEXEC, 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE1(eventfd, unsigned int, count)
{
    return do_eventfd(count, 0);
}

SYSCALL_DEFINE2(eventfd2, unsigned int, count, int, flags)
{
    return do_eventfd(count, flags);
}
