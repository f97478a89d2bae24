/*
 * socket.c - the generic socket layer: socket files and the blocking loop.
 *
 * Families (sock_inet.c, sock_unix.c) never sleep; this file turns their
 * -EAGAIN into blocking calls. Each loop is
 *
 *   op -> -EAGAIN -> family poll (refreshes sock->mask under the family
 *   lock) -> wait_event(sock->wq, sock->mask & wanted) -> op again
 *
 * and the family calls sock_readiness() (mask + wake) under the same lock
 * whenever readiness may change, so no wakeup is lost between the op and
 * the sleep. Sleeps are interruptible: a signal gives -ERESTARTSYS (or the
 * bytes already moved), which the signal code turns into EINTR or a
 * restart per SA_RESTART, as for pipes; SO_RCVTIMEO/SO_SNDTIMEO expire
 * with -EAGAIN as on Linux.
 *
 * Locking: struct socket has no lock of its own. ops, family, type and
 * protocol never change; rcvtimeo/sndtimeo are plain stores (a racing
 * setsockopt sees the old or the new value); mask is written under the
 * family lock and read locklessly by sleepers.
 */
#include "core/time.h"
#include "fs/anon.h"
#include "fs/poll.h"
#include "fs/socket.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define FIONREAD 0x541B
#define SIOCGSTAMP 0x8906

static const struct file_ops socket_fops;

struct socket *sock_alloc(const struct sock_ops *ops, int family, int type, int protocol)
{
    struct socket *s = kzalloc(sizeof(*s));

    if (s == NULL)
        return NULL;
    s->ops = ops;
    s->family = family;
    s->type = type;
    s->protocol = protocol;
    waitq_init(&s->wq);
    return s;
}

void sock_free(struct socket *s)
{
    kfree(s);
}

void sock_readiness(struct socket *s, uint32_t mask)
{
    WRITE_ONCE(s->mask, mask);
    __atomic_fetch_add(&s->changes, 1, __ATOMIC_RELEASE);
    waitq_notify(&s->wq, mask);
}

struct socket *sock_of_file(struct file *f)
{
    return f->ops == &socket_fops ? f->priv : NULL;
}

int sock_from_fd(int fd, struct file **fp, struct socket **sp)
{
    struct file *f = fd_get(fd);

    if (f == NULL)
        return -EBADF;
    if (f->ops != &socket_fops) {
        file_put(f);
        return -ENOTSOCK;
    }
    *fp = f;
    *sp = f->priv;
    return 0;
}

int sock_install(struct socket *s, int flags)
{
    struct file *f =
        anon_file(&socket_fops, s, O_RDWR | (flags & O_NONBLOCK), S_IFSOCK | 0777, "socket");
    int fd;

    if (f == NULL) {
        s->ops->release(s);
        sock_free(s);
        return -ENFILE;
    }
    s->inode = f->path.inode;
    fd = fd_install(f, (flags & O_CLOEXEC) != 0, 0);
    if (fd < 0)
        file_put(f); /* releases the socket */
    return fd;
}

/*
 * Sleep until the socket reports one of events. The family's poll()
 * refreshes s->mask under its lock first, so a change that happened since
 * the failed operation is seen. 0, -ETIMEDOUT or -EINTR.
 */
static int sock_wait(struct socket *s, uint32_t events, uint64_t deadline)
{
    events |= EPOLLERR | EPOLLHUP;
    s->ops->poll(s);
    return wait_event(&s->wq, (READ_ONCE(s->mask) & events) != 0, deadline, SLEEP_INTERRUPTIBLE);
}

static uint64_t deadline_after(uint64_t timeout_ns)
{
    return timeout_ns == 0 ? 0 : ktime_ns() + timeout_ns;
}

static bool nonblocking(struct file *f, int flags)
{
    return (READ_ONCE(f->flags) & O_NONBLOCK) != 0 || (flags & MSG_DONTWAIT) != 0;
}

/* An interrupted or timed-out wait: the bytes so far, or the error. */
static ssize_t wait_result(ssize_t done, int err)
{
    if (done > 0)
        return done;
    return err == -ETIMEDOUT ? -EAGAIN : -ERESTARTSYS;
}

ssize_t sock_sendmsg(struct file *f, struct socket *s, struct uio *u, int flags, const void *addr,
                     size_t addrlen, struct sock_ctl *ctl)
{
    uint64_t deadline = deadline_after(READ_ONCE(s->sndtimeo_ns));
    ssize_t done = 0;

    for (;;) {
        ssize_t n = s->ops->sendmsg(s, u, flags, addr, addrlen, ctl);
        int err;

        if (n >= 0) {
            done += n;
            /* Streams block until everything is queued; datagrams go whole. */
            if (s->type != SOCK_STREAM || u->resid == 0 || n == 0)
                return done;
            ctl = NULL; /* ancillary data goes with the first bytes only */
            continue;
        }
        if (n != -EAGAIN) {
            if (done > 0)
                return done;
            if (n == -EPIPE && !(flags & MSG_NOSIGNAL))
                signal_send_thread(current_task(),
                                   &(struct k_siginfo){.si_signo = SIGPIPE, .si_code = SI_USER});
            return n;
        }
        if (nonblocking(f, flags))
            return done > 0 ? done : -EAGAIN;
        err = sock_wait(s, EPOLLOUT, deadline);
        if (err != 0)
            return wait_result(done, err);
    }
}

ssize_t sock_recvmsg(struct file *f, struct socket *s, struct uio *u, int flags, void *addr,
                     size_t *addrlen, int *msg_flags, struct sock_ctl *ctl)
{
    uint64_t deadline = deadline_after(READ_ONCE(s->rcvtimeo_ns));
    size_t room = addrlen != NULL ? *addrlen : 0;
    ssize_t done = 0;

    for (;;) {
        ssize_t n;
        int err;

        if (addrlen != NULL)
            *addrlen = room;
        n = s->ops->recvmsg(s, u, flags, addr, addrlen, msg_flags, ctl);
        if (n > 0) {
            done += n;
            /* MSG_WAITALL: a stream keeps reading until the buffer is full. */
            if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) || s->type != SOCK_STREAM ||
                u->resid == 0)
                return done;
            continue;
        }
        if (n == 0)
            return done;
        if (n != -EAGAIN)
            return done > 0 ? done : n;
        if (nonblocking(f, flags))
            return done > 0 ? done : -EAGAIN;
        err = sock_wait(s, EPOLLIN | EPOLLRDHUP, deadline);
        if (err != 0)
            return wait_result(done, err);
    }
}

int sock_connect(struct file *f, struct socket *s, const void *addr, size_t len)
{
    uint64_t deadline = deadline_after(READ_ONCE(s->sndtimeo_ns));
    int err = s->ops->connect(s, addr, len);

    /* AF_UNIX: the listener's queue is full; a blocking connect waits for room. */
    while (err == -EAGAIN && !nonblocking(f, 0)) {
        err = sock_wait(s, EPOLLOUT, deadline);
        if (err != 0)
            return err == -ETIMEDOUT ? -EAGAIN : -ERESTARTSYS;
        err = s->ops->connect(s, addr, len);
    }
    if (err != -EINPROGRESS || nonblocking(f, 0))
        return err;
    err = sock_wait(s, EPOLLOUT, deadline);
    if (err == -ETIMEDOUT)
        return -EINPROGRESS;
    if (err != 0)
        return -ERESTARTSYS; /* a restarted connect answers EALREADY, as on Linux */
    return s->ops->take_error(s);
}

int sock_accept(struct file *f, struct socket *s, struct socket **out, void *addr, size_t *addrlen)
{
    uint64_t deadline = deadline_after(READ_ONCE(s->rcvtimeo_ns));
    size_t room = addrlen != NULL ? *addrlen : 0;

    for (;;) {
        int err;

        if (addrlen != NULL)
            *addrlen = room;
        err = s->ops->accept(s, out, addr, addrlen);
        if (err != -EAGAIN || nonblocking(f, 0))
            return err;
        err = sock_wait(s, EPOLLIN, deadline);
        if (err != 0)
            return err == -ETIMEDOUT ? -EAGAIN : -ERESTARTSYS;
    }
}

static int timeo_set(uint64_t *slot, const void *val, size_t len)
{
    struct k_timeval tv;

    if (len < sizeof(tv))
        return -EINVAL;
    memcpy(&tv, val, sizeof(tv));
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return -EDOM;
    if (tv.tv_sec < 0) {
        WRITE_ONCE(*slot, 1); /* Linux: a negative time means "do not wait" (1 ns here) */
        return 0;
    }
    if ((uint64_t)tv.tv_sec > UINT64_MAX / NSEC_PER_SEC / 2)
        tv.tv_sec = (int64_t)(UINT64_MAX / NSEC_PER_SEC / 2);
    WRITE_ONCE(*slot, (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * NSEC_PER_USEC);
    return 0;
}

static int timeo_get(uint64_t ns, void *val, size_t *len)
{
    struct k_timeval tv = {(int64_t)(ns / NSEC_PER_SEC),
                           (int64_t)((ns % NSEC_PER_SEC) / NSEC_PER_USEC)};

    if (*len < sizeof(tv))
        return -EINVAL;
    memcpy(val, &tv, sizeof(tv));
    *len = sizeof(tv);
    return 0;
}

static int int_get(int v, void *val, size_t *len)
{
    if (*len < sizeof(int))
        return -EINVAL;
    memcpy(val, &v, sizeof(int));
    *len = sizeof(int);
    return 0;
}

int sock_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_RCVTIMEO:
            return timeo_set(&s->rcvtimeo_ns, val, len);
        case SO_SNDTIMEO:
            return timeo_set(&s->sndtimeo_ns, val, len);
        case SO_TYPE:
        case SO_ERROR:
        case SO_DOMAIN:
        case SO_PROTOCOL:
        case SO_ACCEPTCONN:
            return -ENOPROTOOPT;
        default:
            break;
        }
    }
    return s->ops->setsockopt(s, level, name, val, len);
}

int sock_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_RCVTIMEO:
            return timeo_get(READ_ONCE(s->rcvtimeo_ns), val, len);
        case SO_SNDTIMEO:
            return timeo_get(READ_ONCE(s->sndtimeo_ns), val, len);
        case SO_TYPE:
            return int_get(s->type, val, len);
        case SO_DOMAIN:
            return int_get(s->family, val, len);
        case SO_PROTOCOL:
            return int_get(s->protocol, val, len);
        case SO_ERROR:
            return int_get(-s->ops->take_error(s), val, len);
        default:
            break;
        }
    }
    return s->ops->getsockopt(s, level, name, val, len);
}

/* ---- the file ---- */

static ssize_t socket_read(struct file *f, struct uio *u, off_t *pos)
{
    (void)pos;
    return sock_recvmsg(f, f->priv, u, 0, NULL, NULL, NULL, NULL);
}

static ssize_t socket_write(struct file *f, struct uio *u, off_t *pos)
{
    (void)pos;
    return sock_sendmsg(f, f->priv, u, 0, NULL, 0, NULL);
}

static uint32_t socket_poll(struct file *f, struct poll_table *pt)
{
    struct socket *s = f->priv;

    poll_wait(f, &s->wq, pt);
    return s->ops->poll(s);
}

static long socket_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct socket *s = f->priv;

    switch (cmd) {
    case FIONREAD: {
        int n = s->ops->inq(s);
        if (n < 0)
            return n;
        return put_user_u32((void *)arg, (uint32_t)n);
    }
    default:
        return -ENOTTY;
    }
}

static void socket_release(struct file *f)
{
    struct socket *s = f->priv;

    s->ops->release(s);
    sock_free(s);
}

static const struct file_ops socket_fops = {
    .read = socket_read,
    .write = socket_write,
    .poll = socket_poll,
    .ioctl = socket_ioctl,
    .release = socket_release,
    .stream = true,
};
