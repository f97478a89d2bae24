/*
 * pipe.c - pipes: a ring buffer between a read end and a write end.
 *
 * Capacity is 64 KiB by default (F_SETPIPE_SZ changes it, up to 1 MiB);
 * writes of at most PIPE_BUF bytes are atomic. Writing with no reader
 * raises SIGPIPE and fails with EPIPE; reading with no writer returns 0
 * (end of file). Readers and writers sleep interruptibly on the pipe's
 * wait queue, which also drives poll and epoll.
 *
 * Named FIFOs (mknod S_IFIFO, on any file system) share the same struct
 * pipe through inode->fifo: the first open creates it, the last close of
 * either end frees it (its data goes). vfs_open gives FIFO files
 * fifo_fops, whose open waits as Linux does: O_RDONLY until a writer
 * opens (not with O_NONBLOCK), O_WRONLY until a reader opens (O_NONBLOCK:
 * ENXIO when there is none), O_RDWR never. Locking: inode->lock guards
 * inode->fifo and the open/close counts' changes; the pipe's lock nests
 * inside it.
 */
#include "fs/anon.h"
#include "fs/internal.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define PIPE_BUF 4096
#define PIPE_DEFAULT (64 * 1024)
#define PIPE_MAX (1024 * 1024)
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032

struct pipe {
    struct mutex lock; /* guards the ring */
    char *buf;
    size_t cap, head, count;
    int readers, writers; /* atomic-ish: changed under lock */
    struct waitq wq;      /* readers, writers, pollers */
    /* FIFOs: how many times each end was opened, for open's waits. */
    unsigned int reader_opens, writer_opens;
};

static const struct file_ops pipe_read_fops, pipe_write_fops;

static size_t pipe_count(struct pipe *p)
{
    return READ_ONCE(p->count);
}

static ssize_t pipe_read(struct file *f, struct uio *u, off_t *pos)
{
    struct pipe *p = f->priv;
    ssize_t done = 0;

    (void)pos;
    if (u->resid == 0)
        return 0;
    for (;;) {
        mutex_lock(&p->lock);
        if (p->count > 0) {
            while (p->count > 0 && u->resid > 0) {
                size_t n = MIN(MIN(p->count, p->cap - p->head), u->resid);
                ssize_t c = uio_copy_to(u, p->buf + p->head, n);
                if (c <= 0) {
                    if (done == 0)
                        done = c < 0 ? c : -EFAULT;
                    break;
                }
                p->head = (p->head + (size_t)c) % p->cap;
                p->count -= (size_t)c;
                done += c;
            }
            if (p->count == 0)
                p->head = 0;
            mutex_unlock(&p->lock);
            waitq_notify(&p->wq, EPOLLOUT | EPOLLWRNORM);
            return done;
        }
        bool no_writers = p->writers == 0;
        mutex_unlock(&p->lock);
        if (no_writers)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (wait_event(&p->wq, pipe_count(p) > 0 || READ_ONCE(p->writers) == 0, 0,
                       SLEEP_INTERRUPTIBLE) != 0)
            return -ERESTARTSYS;
    }
}

static ssize_t pipe_write(struct file *f, struct uio *u, off_t *pos)
{
    struct pipe *p = f->priv;
    size_t total = u->resid;
    ssize_t done = 0;

    (void)pos;
    if (total == 0)
        return 0;
    for (;;) {
        mutex_lock(&p->lock);
        if (p->readers == 0) {
            mutex_unlock(&p->lock);
            signal_send_thread(current_task(),
                               &(struct k_siginfo){.si_signo = SIGPIPE, .si_code = SI_USER});
            return done > 0 ? done : -EPIPE;
        }
        size_t space = p->cap - p->count;
        /* Small writes go in whole or not at all. */
        if (space > 0 && (total > PIPE_BUF || space >= u->resid)) {
            while (u->resid > 0 && p->count < p->cap) {
                size_t tail = (p->head + p->count) % p->cap;
                size_t n = MIN(MIN(p->cap - p->count, p->cap - tail), u->resid);
                ssize_t c = uio_copy_from(u, p->buf + tail, n);
                if (c <= 0) {
                    mutex_unlock(&p->lock);
                    return done > 0 ? done : (c < 0 ? c : -EFAULT);
                }
                p->count += (size_t)c;
                done += c;
            }
            mutex_unlock(&p->lock);
            waitq_notify(&p->wq, EPOLLIN | EPOLLRDNORM);
            if (u->resid == 0)
                return done;
            continue;
        }
        mutex_unlock(&p->lock);
        if (f->flags & O_NONBLOCK)
            return done > 0 ? done : -EAGAIN;
        size_t need = total > PIPE_BUF ? 1 : u->resid;
        if (wait_event(&p->wq, p->cap - pipe_count(p) >= need || READ_ONCE(p->readers) == 0, 0,
                       SLEEP_INTERRUPTIBLE) != 0)
            return done > 0 ? done : -ERESTARTSYS;
    }
}

static uint32_t pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = f->priv;
    uint32_t mask = 0;

    poll_wait(f, &p->wq, pt);
    if (f->ops == &pipe_read_fops) {
        if (pipe_count(p) > 0)
            mask |= EPOLLIN | EPOLLRDNORM;
        if (READ_ONCE(p->writers) == 0)
            mask |= EPOLLHUP;
    } else {
        if (p->cap - pipe_count(p) >= PIPE_BUF || pipe_count(p) == 0)
            mask |= EPOLLOUT | EPOLLWRNORM;
        if (READ_ONCE(p->readers) == 0)
            mask |= EPOLLERR;
    }
    return mask;
}

static void pipe_release(struct file *f)
{
    struct pipe *p = f->priv;
    bool last;

    mutex_lock(&p->lock);
    if (f->ops == &pipe_read_fops)
        p->readers--;
    else
        p->writers--;
    last = p->readers == 0 && p->writers == 0;
    mutex_unlock(&p->lock);
    if (last) {
        kfree(p->buf);
        kfree(p);
        return;
    }
    waitq_notify(&p->wq, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
}

static long pipe_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct pipe *p = f->priv;

    if (cmd == 0x541B) /* FIONREAD */
        return put_user_u32((void *)arg, (uint32_t)pipe_count(p));
    return -ENOTTY;
}

static const struct file_ops pipe_read_fops = {
    .read = pipe_read,
    .poll = pipe_poll,
    .ioctl = pipe_ioctl,
    .release = pipe_release,
    .stream = true,
};

static const struct file_ops pipe_write_fops = {
    .write = pipe_write,
    .poll = pipe_poll,
    .ioctl = pipe_ioctl,
    .release = pipe_release,
    .stream = true,
};

long fcntl_pipe(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct pipe *p;
    long ret;

    if (f->ops != &pipe_read_fops && f->ops != &pipe_write_fops && f->ops != &fifo_fops)
        return -EBADF;
    p = f->priv;
    if (cmd == F_GETPIPE_SZ)
        return (long)p->cap;
    if (arg > PIPE_MAX)
        return -EPERM;
    size_t cap = PAGE_SIZE;
    while (cap < arg)
        cap <<= 1;
    mutex_lock(&p->lock);
    if (cap < p->count) {
        ret = -EBUSY;
    } else {
        char *nb = kmalloc(cap, 0);
        if (nb == NULL) {
            ret = -ENOMEM;
        } else {
            for (size_t i = 0; i < p->count; i++)
                nb[i] = p->buf[(p->head + i) % p->cap];
            kfree(p->buf);
            p->buf = nb;
            p->head = 0;
            p->cap = cap;
            ret = (long)cap;
        }
    }
    mutex_unlock(&p->lock);
    return ret;
}

/* A new empty pipe with no ends; NULL when out of memory. */
static struct pipe *pipe_alloc(void)
{
    struct pipe *p = kzalloc(sizeof(*p));

    if (p == NULL)
        return NULL;
    p->buf = kmalloc(PIPE_DEFAULT, 0);
    if (p->buf == NULL) {
        kfree(p);
        return NULL;
    }
    p->cap = PIPE_DEFAULT;
    mutex_init(&p->lock);
    waitq_init(&p->wq);
    return p;
}

static long do_pipe(int *ufds, int flags)
{
    struct pipe *p;
    struct file *rf, *wf;
    int fds[2];

    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    p = pipe_alloc();
    if (p == NULL)
        return -ENFILE;
    p->readers = p->writers = 1;
    rf = anon_file(&pipe_read_fops, p, O_RDONLY | (flags & O_NONBLOCK), S_IFIFO | 0600, "pipe");
    wf = anon_file(&pipe_write_fops, p, O_WRONLY | (flags & O_NONBLOCK), S_IFIFO | 0600, "pipe");
    if (rf == NULL || wf == NULL) {
        if (rf != NULL) {
            rf->ops = NULL;
            file_put(rf);
        }
        if (wf != NULL) {
            wf->ops = NULL;
            file_put(wf);
        }
        kfree(p->buf);
        kfree(p);
        return -ENFILE;
    }
    wf->path.inode->ino = rf->path.inode->ino; /* one pipe, one inode number */
    fds[0] = fd_install(rf, flags & O_CLOEXEC, 0);
    if (fds[0] < 0) {
        file_put(rf);
        file_put(wf);
        return fds[0];
    }
    fds[1] = fd_install(wf, flags & O_CLOEXEC, 0);
    if (fds[1] < 0) {
        fd_close(fds[0]);
        file_put(wf);
        return fds[1];
    }
    if (copy_to_user(ufds, fds, sizeof(fds)) != 0) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

/* ---- named FIFOs ---- */

static bool fifo_reads(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool fifo_writes(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_RDONLY;
}

/* Drop f's ends of the FIFO; the last one frees the pipe. Caller holds inode->lock. */
static void fifo_detach(struct inode *inode, struct file *f)
{
    struct pipe *p = inode->fifo;
    bool last;

    mutex_lock(&p->lock);
    if (fifo_reads(f))
        p->readers--;
    if (fifo_writes(f))
        p->writers--;
    last = p->readers == 0 && p->writers == 0;
    mutex_unlock(&p->lock);
    if (last) {
        inode->fifo = NULL;
        kfree(p->buf);
        kfree(p);
        return;
    }
    waitq_notify(&p->wq, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR);
}

/*
 * file_ops.open of a FIFO: join (or create) the inode's pipe, then wait for
 * the other end as Linux does. 0, -ENXIO (O_WRONLY|O_NONBLOCK and no
 * reader), -ENOMEM, -ERESTARTSYS (a signal while waiting).
 */
static int fifo_open(struct inode *inode, struct file *f)
{
    struct pipe *p;
    unsigned int seen;
    int err = 0;

    mutex_lock(&inode->lock);
    p = inode->fifo;
    if (p == NULL) {
        p = pipe_alloc();
        if (p == NULL) {
            mutex_unlock(&inode->lock);
            return -ENOMEM;
        }
        inode->fifo = p;
    }
    if ((f->flags & O_ACCMODE) == O_WRONLY && (f->flags & O_NONBLOCK) && p->readers == 0) {
        if (p->writers == 0) { /* nobody else has it open either */
            inode->fifo = NULL;
            kfree(p->buf);
            kfree(p);
        }
        mutex_unlock(&inode->lock);
        return -ENXIO;
    }
    mutex_lock(&p->lock);
    if (fifo_reads(f)) {
        p->readers++;
        p->reader_opens++;
    }
    if (fifo_writes(f)) {
        p->writers++;
        p->writer_opens++;
    }
    mutex_unlock(&p->lock);
    f->priv = p;
    mutex_unlock(&inode->lock);
    waitq_notify(&p->wq, EPOLLIN | EPOLLOUT);

    /* The pipe lives while f is counted in it, so waiting unlocked is safe. */
    if ((f->flags & O_ACCMODE) == O_RDONLY && !(f->flags & O_NONBLOCK)) {
        seen = READ_ONCE(p->writer_opens);
        if (READ_ONCE(p->writers) == 0)
            err = wait_event(&p->wq, READ_ONCE(p->writer_opens) != seen, 0, SLEEP_INTERRUPTIBLE);
    } else if ((f->flags & O_ACCMODE) == O_WRONLY) {
        seen = READ_ONCE(p->reader_opens);
        if (READ_ONCE(p->readers) == 0)
            err = wait_event(&p->wq, READ_ONCE(p->reader_opens) != seen, 0, SLEEP_INTERRUPTIBLE);
    }
    if (err != 0) {
        mutex_lock(&inode->lock);
        fifo_detach(inode, f);
        mutex_unlock(&inode->lock);
        return -ERESTARTSYS;
    }
    return 0;
}

static void fifo_release(struct file *f)
{
    struct inode *inode = file_inode(f);

    mutex_lock(&inode->lock);
    fifo_detach(inode, f);
    mutex_unlock(&inode->lock);
}

/* Readiness of whichever ends f has open (both for O_RDWR). */
static uint32_t fifo_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = f->priv;
    uint32_t mask = 0;

    poll_wait(f, &p->wq, pt);
    if (fifo_reads(f)) {
        if (pipe_count(p) > 0)
            mask |= EPOLLIN | EPOLLRDNORM;
        if (READ_ONCE(p->writers) == 0)
            mask |= EPOLLHUP;
    }
    if (fifo_writes(f)) {
        if (p->cap - pipe_count(p) >= PIPE_BUF || pipe_count(p) == 0)
            mask |= EPOLLOUT | EPOLLWRNORM;
        if (READ_ONCE(p->readers) == 0)
            mask |= EPOLLERR;
    }
    return mask;
}

const struct file_ops fifo_fops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = fifo_poll,
    .ioctl = pipe_ioctl,
    .open = fifo_open,
    .release = fifo_release,
    .stream = true,
};

SYSCALL_DEFINE1(pipe, int *, fds)
{
    return do_pipe(fds, 0);
}

SYSCALL_DEFINE2(pipe2, int *, fds, int, flags)
{
    return do_pipe(fds, flags);
}
