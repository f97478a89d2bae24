/*
 * sock_inet.c - AF_INET sockets over the kernel/net TCP/IP stack, and the
 * stack's life in the kernel: creation at boot with the loopback
 * (127.0.0.1/8), the net lock, and the thread that runs net_timer().
 *
 * Locking: the stack is single-threaded by design (net.h). net_lock, one
 * mutex, is held around every call into it: socket operations here, the
 * timer thread, and (later) drivers' receive paths. It is a mutex, not a
 * spinlock, because the stack copies to and from user memory through the
 * net_uio callbacks with the lock held, and a user page fault may sleep.
 * Nothing sleeps on a wait queue with net_lock held: the socket layer
 * (socket.c) waits after dropping it. The stack's notify callback runs
 * under net_lock and only records the mask and wakes waiters.
 *
 * Time: one kernel timer (net_tm) is armed for the stack's next deadline,
 * and when it fires it wakes the "net" kernel thread, which runs
 * net_timer() and arms it again. Every entry point ends in net_unlock(),
 * which moves the timer earlier when the call created an earlier deadline
 * (a segment sent arms its retransmission timer, a delayed ACK, ...).
 * That costs a timer_add on the calling CPU; waking the thread to re-plan
 * instead cost a context switch, often an IPI, per packet sent.
 */
#include "core/main.h"
#include "core/printk.h"
#include "core/time.h"
#include "fs/poll.h"
#include "fs/proc/proc.h"
#include "fs/socket.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/net.h"
#include "net/netdev.h"
#include "net/netif.h"
#include "net/procnet.h"
#include "net/route.h"
#include "net/snmp.h"
#include "sched/thread.h"

static struct mutex net_lock = MUTEX_INIT(net_lock);
static struct netstack *the_stack; /* set once at boot */

/*
 * The stack's timers: net_tm is armed for timer_planned (both guarded by
 * net_lock); its callback sets timer_due (atomic) and wakes the thread.
 * TCP's timers are coarse, so net_tm may fire up to NET_TIMER_SLACK late
 * and share an interrupt with other timers.
 */
#define NET_TIMER_SLACK NSEC_PER_MSEC
static uint64_t timer_planned = UINT64_MAX;
static struct timer net_tm;
static bool timer_due;
static struct waitq timer_wq = WAITQ_INIT(timer_wq);

/* Work for after the lock is dropped (net_kernel_defer); guarded by net_lock. */
#define NET_DEFER_MAX 8
struct net_deferred {
    void (*fn)(void *);
    void *arg;
};
static struct net_deferred deferred[NET_DEFER_MAX];
static unsigned int ndeferred;

static bool net_lock_held(void)
{
    return mutex_held(&net_lock);
}

static void net_lock_take(void)
{
    mutex_lock(&net_lock);
}

/* Arm net_tm for the stack's deadline next. net_lock held. */
static void net_timer_plan(uint64_t next)
{
    timer_planned = next;
    if (next == UINT64_MAX)
        timer_del(&net_tm); /* a callback racing this only causes one idle run */
    else
        timer_add_slack(&net_tm, next + NET_TIMER_SLACK, NET_TIMER_SLACK);
}

/* Drop net_lock, then run what was deferred to then. */
static void net_mutex_unlock(void)
{
    struct net_deferred run[NET_DEFER_MAX];
    unsigned int n = ndeferred;

    memcpy(run, deferred, n * sizeof(run[0]));
    ndeferred = 0;
    mutex_unlock(&net_lock);
    for (unsigned int i = 0; i < n; i++)
        run[i].fn(run[i].arg);
}

void net_kernel_defer(void (*fn)(void *), void *arg)
{
    for (unsigned int i = 0; i < ndeferred; i++)
        if (deferred[i].fn == fn && deferred[i].arg == arg)
            return;
    if (ndeferred == NET_DEFER_MAX) {
        fn(arg); /* more devices than slots: at once, under the lock */
        return;
    }
    deferred[ndeferred++] = (struct net_deferred){fn, arg};
}

/* Drop net_lock, moving net_tm earlier if the call made an earlier deadline. */
static void net_unlock(void)
{
    uint64_t next = net_next_deadline(the_stack);

    if (next < timer_planned)
        net_timer_plan(next);
    net_mutex_unlock();
}

/* Timer interrupt: the stack has something due. */
static void net_tm_fire(struct timer *t)
{
    (void)t;
    WRITE_ONCE(timer_due, true);
    waitq_wake_all(&timer_wq);
}

static void net_timer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        wait_event(&timer_wq, READ_ONCE(timer_due), 0, 0);
        WRITE_ONCE(timer_due, false);
        mutex_lock(&net_lock);
        net_timer_plan(net_timer(the_stack, ktime_ns()));
        net_mutex_unlock();
    }
}

/* ---- /proc/net ---- */

/* The inode column of /proc/net/tcp and udp: the socket file's inode. */
static uint64_t sock_ino(void *owner)
{
    struct inode *inode = READ_ONCE(((struct socket *)owner)->inode);

    return inode != NULL ? inode->ino : 0;
}

static int format_tcp(struct netstack *ns, char *buf, size_t size)
{
    return net_tcp_format(ns, buf, size, sock_ino);
}

static int format_udp(struct netstack *ns, char *buf, size_t size)
{
    return net_udp_format(ns, buf, size, sock_ino);
}

static const struct net_proc_file {
    const char *path;
    int (*format)(struct netstack *ns, char *buf, size_t size);
} net_proc_files[] = {
    {"net/tcp", format_tcp},       {"net/udp", format_udp},
    {"net/snmp", net_snmp_format}, {"net/netstat", net_netstat_format},
    {"net/dev", netif_format_dev}, {"net/route", route_format},
};

/*
 * Format straight into the rest of the seqbuf; text that fills it may be
 * cut, so it counts as overflow and procfs retries with a larger buffer.
 */
static int net_proc_show(struct seqbuf *s, void *ctx)
{
    const struct net_proc_file *f = ctx;
    size_t room = s->cap - s->len;
    int n;

    if (room < 2) {
        s->overflow = true;
        return 0;
    }
    net_lock_take();
    n = f->format(the_stack, s->buf + s->len, room);
    net_unlock();
    if (n < 0)
        return n;
    if ((size_t)n >= room - 1)
        s->overflow = true;
    else
        s->len += (size_t)n;
    return 0;
}

static void net_proc_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(net_proc_files); i++)
        if (proc_create(net_proc_files[i].path, 0444, net_proc_show, (void *)&net_proc_files[i]) !=
            0)
            pr_warn("net: cannot create /proc/%s\n", net_proc_files[i].path);
}

void net_kernel_init(void)
{
    struct thread *t;

    the_stack = net_create(NULL);
    if (the_stack == NULL) {
        pr_err("net: no memory for the network stack; sockets answer ENOMEM\n");
        return;
    }
    net_set_lock_check(the_stack, net_lock_held);
    timer_init(&net_tm, net_tm_fire, NULL);
    net_proc_init();
    t = thread_create("net", net_timer_thread, NULL);
    if (t == NULL) {
        pr_err("net: no memory for the timer thread\n");
        return;
    }
    thread_start(t, -1);
}

struct netstack *net_kernel_stack(void)
{
    return the_stack;
}

void net_kernel_lock(void)
{
    net_lock_take();
}

void net_kernel_unlock(void)
{
    net_unlock();
}

/* ---- user memory through net_uio ---- */

/*
 * The stack asks for bytes at offsets from the start of the caller's data
 * (in practice in order). The cursor is a copy of the uio at that start,
 * advanced as the stack copies; the caller's uio is advanced afterwards
 * by the bytes the call reports.
 */
struct uio_cursor {
    struct uio start;
    struct uio cur;
    size_t pos; /* offset of cur from start */
};

static void uio_skip(struct uio *u, size_t n)
{
    while (n > 0 && u->idx < u->iovcnt) {
        size_t k = MIN(n, u->iov[u->idx].iov_len - u->off);
        u->off += k;
        u->resid -= k;
        n -= k;
        if (u->off == u->iov[u->idx].iov_len) {
            u->idx++;
            u->off = 0;
        }
    }
}

static void cursor_seek(struct uio_cursor *c, size_t off)
{
    if (off < c->pos) {
        c->cur = c->start;
        c->pos = 0;
    }
    uio_skip(&c->cur, off - c->pos);
    c->pos = off;
}

static int cursor_in(void *ctx, size_t off, void *dst, size_t n)
{
    struct uio_cursor *c = ctx;

    cursor_seek(c, off);
    if (uio_copy_from(&c->cur, dst, n) != (ssize_t)n)
        return -EFAULT;
    c->pos += n;
    return 0;
}

static int cursor_out(void *ctx, size_t off, const void *src, size_t n)
{
    struct uio_cursor *c = ctx;

    cursor_seek(c, off);
    if (uio_copy_to(&c->cur, src, n) != (ssize_t)n)
        return -EFAULT;
    c->pos += n;
    return 0;
}

static void net_uio_from(struct net_uio *nu, struct uio_cursor *c, struct uio *u)
{
    c->start = *u;
    c->cur = *u;
    c->pos = 0;
    *nu = (struct net_uio){cursor_in, cursor_out, c, u->resid};
}

/* ---- addresses ---- */

static void sockaddr_in_to(const struct net_sockaddr_in *sin, void *addr, size_t *len)
{
    if (addr != NULL)
        memcpy(addr, sin, MIN(*len, sizeof(*sin)));
    *len = sizeof(*sin);
}

/* ---- the family ---- */

static struct net_sock *ns_of(struct socket *s)
{
    return s->priv;
}

/* The stack's notify callback: net_lock held. */
static void inet_notify(void *owner, uint32_t events)
{
    sock_readiness(owner, events);
}

static uint32_t inet_poll(struct socket *s)
{
    uint32_t mask;

    net_lock_take();
    mask = net_sock_poll(ns_of(s));
    WRITE_ONCE(s->mask, mask);
    net_unlock();
    return mask;
}

static int inet_bind(struct socket *s, const void *addr, size_t len)
{
    struct net_sockaddr_in sin;
    int err = inet_addr_parse(addr, len, &sin);

    if (err != 0)
        return err;
    if (sin.sin_family == AF_UNSPEC) {
        if (sin.sin_addr != 0)
            return -EAFNOSUPPORT;
        sin.sin_family = AF_INET; /* Linux accepts AF_UNSPEC with INADDR_ANY */
    }
    net_lock_take();
    err = net_sock_bind(ns_of(s), &sin);
    net_unlock();
    return err;
}

static int inet_connect(struct socket *s, const void *addr, size_t len)
{
    struct net_sockaddr_in sin;
    int err = inet_addr_parse(addr, len, &sin);

    if (err != 0)
        return err;
    net_lock_take();
    err = net_sock_connect(ns_of(s), &sin);
    net_unlock();
    return err;
}

static int inet_listen(struct socket *s, int backlog)
{
    int err;

    net_lock_take();
    err = net_sock_listen(ns_of(s), backlog);
    net_unlock();
    return err;
}

static const struct sock_ops inet_ops;

static int inet_accept(struct socket *s, struct socket **out, void *addr, size_t *addrlen)
{
    struct socket *ns = sock_alloc(&inet_ops, AF_INET, s->type, s->protocol);
    struct net_sockaddr_in peer;
    struct net_sock *child;
    int err;

    if (ns == NULL)
        return -ENOMEM;
    net_lock_take();
    err = net_sock_accept(ns_of(s), &child, &peer);
    if (err == 0) {
        ns->priv = child;
        net_sock_set_owner(child, ns, inet_notify);
        ns->mask = net_sock_poll(child);
    }
    net_unlock();
    if (err != 0) {
        sock_free(ns);
        return err;
    }
    if (addrlen != NULL)
        sockaddr_in_to(&peer, addr, addrlen);
    *out = ns;
    return 0;
}

static ssize_t inet_sendmsg(struct socket *s, struct uio *u, int flags, const void *addr,
                            size_t addrlen, struct sock_ctl *ctl)
{
    struct net_sockaddr_in to;
    struct uio_cursor c;
    struct net_uio nu;
    ssize_t n;

    (void)ctl;
    if (addr != NULL && s->type != SOCK_STREAM) {
        int err = inet_addr_parse(addr, addrlen, &to);
        if (err != 0)
            return err;
    }
    net_uio_from(&nu, &c, u);
    net_lock_take();
    n = net_sock_sendmsg(ns_of(s), &nu, flags & ~MSG_DONTWAIT,
                         addr != NULL && s->type != SOCK_STREAM ? &to : NULL);
    net_unlock();
    if (n > 0)
        uio_skip(u, (size_t)n);
    return n;
}

static ssize_t inet_recvmsg(struct socket *s, struct uio *u, int flags, void *addr, size_t *addrlen,
                            int *msg_flags, struct sock_ctl *ctl)
{
    struct net_sockaddr_in from = {0};
    struct uio_cursor c;
    struct net_uio nu;
    int mflags = 0;
    ssize_t n;

    (void)ctl;
    net_uio_from(&nu, &c, u);
    net_lock_take();
    n = net_sock_recvmsg(ns_of(s), &nu, flags & ~MSG_DONTWAIT & ~MSG_WAITALL, &from, &mflags);
    net_unlock();
    if (n < 0)
        return n;
    uio_skip(u, MIN((size_t)n, u->resid));
    if (msg_flags != NULL)
        *msg_flags |= mflags;
    if (addrlen != NULL) {
        if (s->type == SOCK_STREAM)
            *addrlen = 0;
        else
            sockaddr_in_to(&from, addr, addrlen);
    }
    return n;
}

static int inet_shutdown(struct socket *s, int how)
{
    int err;

    net_lock_take();
    err = net_sock_shutdown(ns_of(s), how);
    net_unlock();
    return err;
}

static int inet_getname(struct socket *s, void *addr, size_t *len, bool peer)
{
    struct net_sockaddr_in sin;
    int err;

    net_lock_take();
    err = net_sock_getname(ns_of(s), &sin, peer);
    net_unlock();
    if (err == 0)
        sockaddr_in_to(&sin, addr, len);
    return err;
}

static int inet_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
    int err;

    net_lock_take();
    err = net_sock_setopt(ns_of(s), level, name, val, len);
    net_unlock();
    return err;
}

static int inet_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
    int err;

    net_lock_take();
    err = net_sock_getopt(ns_of(s), level, name, val, len);
    net_unlock();
    return err;
}

static int inet_take_error(struct socket *s)
{
    int err;

    net_lock_take();
    err = net_sock_take_error(ns_of(s));
    WRITE_ONCE(s->mask, net_sock_poll(ns_of(s)));
    net_unlock();
    return err;
}

static int inet_inq(struct socket *s)
{
    int n;

    net_lock_take();
    n = net_sock_inq(ns_of(s));
    net_unlock();
    return n;
}

/*
 * SO_LINGER with a time: close() waits until the peer has acknowledged
 * everything we sent, the time passes or a signal comes (as Linux does,
 * O_NONBLOCK or not); the stack then resets a connection that did not
 * finish in time.
 */
static void inet_linger(struct socket *s)
{
    struct net_linger l = {0};
    size_t len = sizeof(l);
    uint64_t deadline;

    if (s->type != SOCK_STREAM)
        return;
    net_lock_take();
    if (net_sock_getopt(ns_of(s), SOL_SOCKET, NET_SO_LINGER, &l, &len) != 0)
        l.l_onoff = 0;
    net_unlock();
    if (l.l_onoff == 0 || l.l_linger <= 0)
        return;
    deadline = ktime_ns() + (uint64_t)l.l_linger * NSEC_PER_SEC;
    for (;;) {
        uint32_t seen = READ_ONCE(s->changes);
        int outq;

        net_lock_take();
        outq = net_sock_outq(ns_of(s));
        net_unlock();
        if (outq <= 0)
            return;
        if (wait_event(&s->wq, READ_ONCE(s->changes) != seen, deadline, SLEEP_INTERRUPTIBLE) != 0)
            return;
    }
}

static void inet_release(struct socket *s)
{
    inet_linger(s);
    net_lock_take();
    net_sock_close(ns_of(s));
    net_unlock();
}

static const struct sock_ops inet_ops = {
    .bind = inet_bind,
    .connect = inet_connect,
    .listen = inet_listen,
    .accept = inet_accept,
    .sendmsg = inet_sendmsg,
    .recvmsg = inet_recvmsg,
    .shutdown = inet_shutdown,
    .getname = inet_getname,
    .setsockopt = inet_setsockopt,
    .getsockopt = inet_getsockopt,
    .poll = inet_poll,
    .take_error = inet_take_error,
    .inq = inet_inq,
    .release = inet_release,
};

int inet_create(int type, int protocol, struct socket **out)
{
    struct socket *s;
    struct net_sock *ns;
    int err;

    if (the_stack == NULL)
        return -ENOMEM;
    s = sock_alloc(&inet_ops, AF_INET, type, protocol);
    if (s == NULL)
        return -ENOMEM;
    net_lock_take();
    err = net_sock_create(the_stack, type, protocol, &ns);
    if (err == 0) {
        s->priv = ns;
        s->protocol = net_sock_protocol(ns);
        net_sock_set_owner(ns, s, inet_notify);
        s->mask = net_sock_poll(ns);
    }
    net_unlock();
    if (err != 0) {
        sock_free(s);
        return err;
    }
    *out = s;
    return 0;
}
