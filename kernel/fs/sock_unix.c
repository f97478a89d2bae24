/*
 * sock_unix.c - AF_UNIX sockets: SOCK_STREAM, SOCK_DGRAM and
 * SOCK_SEQPACKET, socketpair, names in the file system (an S_IFSOCK node
 * made through the VFS) and in the abstract namespace ("\0name"),
 * listen/accept/connect, SCM_RIGHTS file passing, SCM_CREDENTIALS and
 * SO_PEERCRED.
 *
 * Data: each socket has a receive queue of messages (struct unix_msg). A
 * stream send appends a chunk to the peer's queue; a stream receive reads
 * across chunks (but not past one that carries files, as Linux). Datagram
 * and seqpacket receives take one message and drop what does not fit
 * (MSG_TRUNC). Queues are bounded by the receiver's SO_RCVBUF in bytes;
 * a sender that finds no room gets -EAGAIN and sleeps until the receiver
 * drains (the receiver notifies the sockets blocked on it).
 *
 * Locking: one mutex, unix_lock, guards every unix_sock, every queue and
 * the table of bound names. It is a mutex because data is copied between
 * user memory and the queues with it held. Nothing sleeps on a wait queue
 * with it held, and files passed with SCM_RIGHTS are only put after it is
 * dropped (putting a file can release another unix socket).
 *
 * Names (bind, the lookup of a connect or sendto target, getsockname and
 * getpeername) are in sock_unix_name.c; sock_unix_internal.h has what the
 * two files share.
 *
 * Lifetime: a unix_sock is referenced by its socket (until release) and by
 * whoever points at it as a peer or a blocked-on target; it is freed when
 * the last reference goes. A released socket is "dead": senders to it get
 * EPIPE (stream) or ECONNREFUSED (datagram).
 */
#include "fs/poll.h"
#include "fs/socket.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/task.h"
#include "mm/kmalloc.h"
#include "fs/sock_unix_internal.h"

struct mutex unix_lock = MUTEX_INIT(unix_lock);
LIST_HEAD(unix_names);      /* bound sockets, guarded by unix_lock */
static LIST_HEAD(unix_all); /* every unix_sock, guarded by unix_lock */
static const struct sock_ops unix_ops;

static bool connection_based(const struct unix_sock *u)
{
    return u->type != SOCK_DGRAM;
}

static struct k_ucred current_cred(void)
{
    return (struct k_ucred){current_process()->pid, 0, 0};
}

/* Drop a reference; unix_lock held. Files in unread messages go to *deferred. */
static void us_put(struct unix_sock *u, struct list_head *deferred);

static void msg_free(struct unix_msg *m, struct list_head *deferred)
{
    if (m->rights != NULL) {
        /* Put the files after unix_lock is dropped: reuse the message as a carrier. */
        m->len = m->off = 0;
        list_add_tail(&m->link, deferred);
        return;
    }
    kfree(m);
}

/* Put the files of deferred messages (unix_lock not held). */
static void deferred_put(struct list_head *deferred)
{
    while (!list_empty(deferred)) {
        struct unix_msg *m = list_first_entry(deferred, struct unix_msg, link);
        list_del(&m->link);
        for (int i = 0; i < m->rights->count; i++)
            file_put(m->rights->files[i]);
        kfree(m->rights);
        kfree(m);
    }
}

static void us_put(struct unix_sock *u, struct list_head *deferred)
{
    if (--u->refs > 0)
        return;
    while (!list_empty(&u->rxq)) {
        struct unix_msg *m = list_first_entry(&u->rxq, struct unix_msg, link);
        list_del(&m->link);
        msg_free(m, deferred);
    }
    list_del(&u->all);
    kfree(u);
}

static bool has_room(const struct unix_sock *r)
{
    return r->rx_bytes < r->rcvbuf && r->rx_count < UNIX_MAX_QUEUED;
}

/* A listener's accept queue holds backlog + 1 connections (Linux's rule). */
static bool backlog_full(const struct unix_sock *l)
{
    return l->nqueued > l->backlog;
}

/* The EPOLL* mask of u; unix_lock held. */
static uint32_t unix_mask(struct unix_sock *u)
{
    uint32_t mask = 0;

    if (u->state == US_LISTENING)
        return list_empty(&u->acceptq) ? 0 : EPOLLIN | EPOLLRDNORM;
    if (!list_empty(&u->rxq))
        mask |= EPOLLIN | EPOLLRDNORM;
    if (u->shut_rd || u->peer_shut_wr)
        mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    if (u->shut_rd && (u->shut_wr || u->peer_shut_wr) && connection_based(u))
        mask |= EPOLLHUP;
    if (connection_based(u) && u->state == US_CONNECTED && u->peer_shut_wr &&
        (u->peer == NULL || u->peer->dead))
        mask |= EPOLLHUP;
    if (connection_based(u) && u->state == US_UNCONNECTED) {
        /* Writable, unless a connect waits for room in a listener's queue. */
        if (u->full == NULL || u->full->dead || !backlog_full(u->full))
            mask |= EPOLLOUT | EPOLLWRNORM;
    } else if (connection_based(u)) {
        if (u->state != US_CONNECTED || u->peer == NULL || u->peer->dead || has_room(u->peer) ||
            u->shut_wr)
            mask |= EPOLLOUT | EPOLLWRNORM;
    } else {
        struct unix_sock *t = u->full != NULL ? u->full : u->peer;
        if (t == NULL || t->dead || has_room(t))
            mask |= EPOLLOUT | EPOLLWRNORM;
    }
    return mask;
}

/* Tell u's socket (if it still has one) that readiness may have changed. */
static void unix_wake(struct unix_sock *u)
{
    if (u != NULL && u->sock != NULL)
        sock_readiness(u->sock, unix_mask(u));
}

/* r drained: wake the datagram senders that were waiting for room in it. */
static void wake_blocked_on(struct unix_sock *r)
{
    struct unix_sock *x;

    list_for_each_entry (x, &unix_all, all) {
        if (x->full == r || (x->peer == r && !connection_based(x)))
            unix_wake(x);
    }
}

static struct unix_sock *us_new(int type)
{
    struct unix_sock *u = kzalloc(sizeof(*u));

    if (u == NULL)
        return NULL;
    u->type = type;
    u->refs = 1;
    u->rcvbuf = u->sndbuf = UNIX_BUF_DEFAULT;
    list_init(&u->rxq);
    list_init(&u->acceptq);
    list_init(&u->bound);
    list_init(&u->aq_link);
    return u;
}

/* A socket and its unix_sock; NULL when out of memory. */
static struct socket *unix_sock_alloc(int type, int protocol)
{
    struct socket *s = sock_alloc(&unix_ops, AF_UNIX, type, protocol);
    struct unix_sock *u = us_new(type);

    if (s == NULL || u == NULL) {
        kfree(u);
        if (s != NULL)
            sock_free(s);
        return NULL;
    }
    s->priv = u;
    u->sock = s;
    mutex_lock(&unix_lock);
    list_add_tail(&u->all, &unix_all);
    s->mask = unix_mask(u);
    mutex_unlock(&unix_lock);
    return s;
}

static int check_type(int type, int protocol)
{
    if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
        return -ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != AF_UNIX)
        return -EPROTONOSUPPORT;
    return 0;
}

int unix_create(int type, int protocol, struct socket **out)
{
    int err = check_type(type, protocol);

    if (err != 0)
        return err;
    *out = unix_sock_alloc(type, protocol);
    return *out == NULL ? -ENOMEM : 0;
}

/* Join a and b as connected peers; unix_lock held. */
static void pair_up(struct unix_sock *a, struct unix_sock *b, struct k_ucred acred,
                    struct k_ucred bcred)
{
    a->peer = b;
    us_get(b);
    b->peer = a;
    us_get(a);
    a->state = b->state = US_CONNECTED;
    a->peercred = bcred;
    b->peercred = acred;
    a->has_peercred = b->has_peercred = true;
}

int unix_socketpair(int type, int protocol, struct socket **a, struct socket **b)
{
    int err = check_type(type, protocol);
    struct socket *sa, *sb;

    if (err != 0)
        return err;
    sa = unix_sock_alloc(type, protocol);
    sb = sa != NULL ? unix_sock_alloc(type, protocol) : NULL;
    if (sb == NULL) {
        if (sa != NULL) {
            sa->ops->release(sa);
            sock_free(sa);
        }
        return -ENOMEM;
    }
    mutex_lock(&unix_lock);
    pair_up(us_of(sa), us_of(sb), current_cred(), current_cred());
    sa->mask = unix_mask(us_of(sa));
    sb->mask = unix_mask(us_of(sb));
    mutex_unlock(&unix_lock);
    *a = sa;
    *b = sb;
    return 0;
}

/* ---- connections ---- */

static int unix_listen(struct socket *s, int backlog)
{
    struct unix_sock *u = us_of(s);
    int err = 0;

    mutex_lock(&unix_lock);
    if (u->type == SOCK_DGRAM)
        err = -EOPNOTSUPP;
    else if (u->namelen == 0 || u->state == US_CONNECTED)
        err = -EINVAL;
    else {
        u->state = US_LISTENING;
        u->backlog = backlog;
    }
    unix_wake(u);
    mutex_unlock(&unix_lock);
    return err;
}

static int unix_connect(struct socket *s, const void *addr, size_t len)
{
    struct unix_sock *u = us_of(s), *t, *child;
    struct socket *cs;
    LIST_HEAD(deferred);
    int err;

    if (len >= sizeof(uint16_t) && ((const uint8_t *)addr)[0] == AF_UNSPEC &&
        ((const uint8_t *)addr)[1] == 0 && u->type == SOCK_DGRAM) {
        mutex_lock(&unix_lock); /* dissolve the association */
        if (u->peer != NULL) {
            us_put(u->peer, &deferred);
            u->peer = NULL;
        }
        u->state = US_UNCONNECTED;
        mutex_unlock(&unix_lock);
        deferred_put(&deferred);
        return 0;
    }
    err = target_find(addr, len, &t);
    if (err != 0)
        return err;
    if (t->type != u->type) {
        err = -EPROTOTYPE;
        goto out;
    }
    if (u->type == SOCK_DGRAM) {
        mutex_lock(&unix_lock);
        if (t->dead) {
            err = -ECONNREFUSED;
        } else {
            if (u->peer != NULL)
                us_put(u->peer, &deferred);
            u->peer = t;
            us_get(t);
            u->state = US_CONNECTED;
            unix_wake(u);
        }
        mutex_unlock(&unix_lock);
        goto out;
    }
    cs = unix_sock_alloc(u->type, s->protocol);
    if (cs == NULL) {
        err = -ENOMEM;
        goto out;
    }
    child = us_of(cs);
    mutex_lock(&unix_lock);
    if (u->state == US_CONNECTED)
        err = -EISCONN;
    else if (u->state == US_LISTENING)
        err = -EINVAL;
    else if (t->dead || t->state != US_LISTENING)
        err = -ECONNREFUSED;
    else if (backlog_full(t))
        err = -EAGAIN;
    if (err == -EAGAIN && u->full != t) {
        /* Wait for room in t's accept queue: accept wakes us (wake_blocked_on). */
        if (u->full != NULL)
            us_put(u->full, &deferred);
        u->full = t;
        us_get(t);
    }
    if (err == -EAGAIN)
        u->sock->mask = unix_mask(u);
    if (err == 0 && u->full != NULL) {
        us_put(u->full, &deferred);
        u->full = NULL;
    }
    if (err == 0) {
        pair_up(u, child, current_cred(), current_cred());
        child->peercred = current_cred();
        if (t->namelen != 0) {
            memcpy(child->name, t->name, t->namelen);
            child->namelen = t->namelen;
        }
        list_add_tail(&child->aq_link, &t->acceptq);
        us_get(child); /* the accept queue's reference */
        t->nqueued++;
        unix_wake(t);
        unix_wake(u);
    }
    mutex_unlock(&unix_lock);
    if (err != 0) {
        cs->ops->release(cs);
        sock_free(cs);
    }
out:
    mutex_lock(&unix_lock);
    us_put(t, &deferred);
    mutex_unlock(&unix_lock);
    deferred_put(&deferred);
    return err;
}

static int unix_accept(struct socket *s, struct socket **out, void *addr, size_t *addrlen)
{
    struct unix_sock *u = us_of(s), *child;
    LIST_HEAD(deferred);
    int err = 0;

    mutex_lock(&unix_lock);
    if (u->state != US_LISTENING) {
        err = -EINVAL;
    } else if (list_empty(&u->acceptq)) {
        err = -EAGAIN;
        u->sock->mask = unix_mask(u);
    } else {
        child = list_first_entry(&u->acceptq, struct unix_sock, aq_link);
        list_del(&child->aq_link);
        list_init(&child->aq_link);
        u->nqueued--;
        *out = child->sock;
        us_put(child, &deferred); /* the queue's reference; the socket keeps one */
        child->sock->mask = unix_mask(child);
        unix_wake(u);
        wake_blocked_on(u); /* a connect waiting for room may go on */
    }
    mutex_unlock(&unix_lock);
    deferred_put(&deferred);
    if (err == 0 && addrlen != NULL) {
        uint16_t family = AF_UNIX; /* the connecting side is usually unnamed */
        if (*addrlen >= sizeof(family))
            memcpy(addr, &family, sizeof(family));
        *addrlen = sizeof(family);
    }
    return err;
}

static int unix_shutdown(struct socket *s, int how)
{
    struct unix_sock *u = us_of(s);
    int err = 0;

    mutex_lock(&unix_lock);
    if (u->state != US_CONNECTED && connection_based(u)) {
        err = -ENOTCONN;
    } else {
        if (how == SHUT_RD || how == SHUT_RDWR)
            u->shut_rd = true;
        if (how == SHUT_WR || how == SHUT_RDWR) {
            u->shut_wr = true;
            if (u->peer != NULL && connection_based(u)) {
                u->peer->peer_shut_wr = true;
                unix_wake(u->peer);
            }
        }
        unix_wake(u);
    }
    mutex_unlock(&unix_lock);
    return err;
}

/* ---- data ---- */

static struct unix_msg *msg_new(size_t len)
{
    struct unix_msg *m = kmalloc(sizeof(*m) + len, 0);

    if (m != NULL)
        *m = (struct unix_msg){.len = len};
    return m;
}

static ssize_t unix_sendmsg(struct socket *s, struct uio *u, int flags, const void *addr,
                            size_t addrlen, struct sock_ctl *ctl)
{
    struct unix_sock *me = us_of(s), *t = NULL, *target;
    LIST_HEAD(deferred);
    struct unix_msg *m;
    size_t len;
    ssize_t ret;

    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (addr != NULL && !connection_based(me)) {
        int err = target_find(addr, addrlen, &t);
        if (err != 0)
            return err;
    } else if (addr != NULL && me->type == SOCK_STREAM) {
        /* Linux: EISCONN when connected, EOPNOTSUPP otherwise; simply ignore as TCP does. */
    }
    mutex_lock(&unix_lock);
    target = t != NULL ? t : me->peer;
    if (me->shut_wr) {
        ret = -EPIPE;
        goto out;
    }
    if (target == NULL) {
        ret = connection_based(me) ? -ENOTCONN : -EDESTADDRREQ;
        goto out;
    }
    if (target->dead || (connection_based(me) && target->shut_rd)) {
        ret = connection_based(me) ? -EPIPE : -ECONNREFUSED;
        goto out;
    }
    if (!connection_based(me) && target->type != SOCK_DGRAM) {
        ret = -EPROTOTYPE;
        goto out;
    }
    len = u->resid;
    if (me->type != SOCK_STREAM && len > target->rcvbuf) {
        ret = -EMSGSIZE;
        goto out;
    }
    if (!has_room(target) && (me->type != SOCK_STREAM || len > 0)) {
        if (t != NULL && me->full != t) {
            if (me->full != NULL)
                us_put(me->full, &deferred);
            me->full = t;
            us_get(t);
        }
        me->sock->mask = unix_mask(me);
        ret = -EAGAIN;
        goto out;
    }
    if (me->type == SOCK_STREAM)
        len = MIN(len, MIN((size_t)UNIX_STREAM_CHUNK, target->rcvbuf - target->rx_bytes));
    if (len == 0 && me->type == SOCK_STREAM) {
        ret = 0;
        goto out;
    }
    m = msg_new(len);
    if (m == NULL) {
        ret = -ENOBUFS;
        goto out;
    }
    ret = uio_copy_from(u, m->data, len);
    if (ret < 0 || (size_t)ret != len) {
        kfree(m);
        ret = ret < 0 ? ret : -EFAULT;
        goto out;
    }
    m->cred = current_cred();
    memcpy(m->from, me->name, me->namelen);
    m->fromlen = me->namelen;
    if (ctl != NULL && ctl->rights != NULL) {
        m->rights = ctl->rights; /* the message owns the references now */
        ctl->rights = NULL;
    }
    if (me->full != NULL) {
        us_put(me->full, &deferred);
        me->full = NULL;
    }
    list_add_tail(&m->link, &target->rxq);
    target->rx_bytes += len;
    target->rx_count++;
    unix_wake(target);
    ret = (ssize_t)len;
out:
    if (t != NULL)
        us_put(t, &deferred);
    mutex_unlock(&unix_lock);
    deferred_put(&deferred);
    return ret;
}

/* Hand a message's files and credentials to the receiver's ctl. */
static void msg_take_ctl(struct unix_msg *m, struct sock_ctl *ctl, struct unix_sock *me,
                         struct list_head *deferred)
{
    if (ctl == NULL) {
        if (m->rights != NULL) {
            struct unix_msg *carrier = msg_new(0);
            if (carrier != NULL) {
                carrier->rights = m->rights;
                list_add_tail(&carrier->link, deferred);
            }
            m->rights = NULL;
        }
        return;
    }
    ctl->want_cred = me->passcred;
    ctl->cred = m->cred;
    ctl->have_cred = true;
    if (m->rights != NULL) {
        ctl->rights = m->rights;
        m->rights = NULL;
    }
}

static ssize_t unix_recvmsg(struct socket *s, struct uio *u, int flags, void *addr, size_t *addrlen,
                            int *msg_flags, struct sock_ctl *ctl)
{
    struct unix_sock *me = us_of(s);
    LIST_HEAD(deferred);
    struct unix_msg *m, *tmp;
    ssize_t done = 0;
    bool drained = false;

    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    mutex_lock(&unix_lock);
    if (me->state == US_LISTENING ||
        (connection_based(me) && me->state != US_CONNECTED && list_empty(&me->rxq))) {
        done = me->state == US_LISTENING ? -EINVAL : -ENOTCONN;
        goto out;
    }
    if (list_empty(&me->rxq)) {
        if (me->shut_rd || me->peer_shut_wr)
            done = 0;
        else {
            done = -EAGAIN;
            me->sock->mask = unix_mask(me);
        }
        goto out;
    }
    if (me->type != SOCK_STREAM) {
        m = list_first_entry(&me->rxq, struct unix_msg, link);
        size_t n = MIN(m->len, u->resid);
        ssize_t c = uio_copy_to(u, m->data, n);
        if (c < 0 || (size_t)c != n) {
            done = -EFAULT;
            goto out;
        }
        done = (flags & MSG_TRUNC) ? (ssize_t)m->len : (ssize_t)n;
        if (n < m->len && msg_flags != NULL)
            *msg_flags |= MSG_TRUNC;
        if (addrlen != NULL) {
            memcpy(addr, m->from, MIN(*addrlen, m->fromlen));
            *addrlen = m->fromlen;
        }
        if (!(flags & MSG_PEEK)) {
            msg_take_ctl(m, ctl, me, &deferred);
            list_del(&m->link);
            me->rx_bytes -= m->len;
            me->rx_count--;
            msg_free(m, &deferred);
            drained = true;
        }
        goto out;
    }
    list_for_each_entry_safe (m, tmp, &me->rxq, link) {
        if (u->resid == 0)
            break;
        if (m->rights != NULL && done > 0)
            break; /* files arrive with the first byte of their message */
        size_t n = MIN(m->len - m->off, u->resid);
        ssize_t c = uio_copy_to(u, m->data + m->off, n);
        if (c <= 0) {
            if (done == 0)
                done = -EFAULT;
            break;
        }
        done += c;
        if (flags & MSG_PEEK)
            continue;
        if (done == c)
            msg_take_ctl(m, ctl, me, &deferred);
        m->off += (size_t)c;
        me->rx_bytes -= (size_t)c;
        drained = true;
        if (m->off < m->len)
            break;
        list_del(&m->link);
        me->rx_count--;
        msg_free(m, &deferred);
    }
    if (addrlen != NULL)
        *addrlen = 0;
out:
    if (drained) {
        unix_wake(me);
        if (me->peer != NULL && connection_based(me))
            unix_wake(me->peer);
        else
            wake_blocked_on(me);
    }
    mutex_unlock(&unix_lock);
    deferred_put(&deferred);
    return done;
}

/* ---- options, readiness, release ---- */

/* SO_SNDBUF/SO_RCVBUF: doubled and bounded, as Linux does. */
static size_t buf_size(int v)
{
    size_t n = (size_t)MAX(v, 0) * 2;

    return MIN(MAX(n, (size_t)UNIX_BUF_MIN), (size_t)UNIX_BUF_MAX);
}

static int int_val(const void *val, size_t len, int *out)
{
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

static int unix_setsockopt(struct socket *s, int level, int name, const void *val, size_t len)
{
    struct unix_sock *u = us_of(s);
    int v, err;

    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    err = int_val(val, len, &v);
    if (err != 0)
        return err;
    mutex_lock(&unix_lock);
    switch (name) {
    case SO_SNDBUF:
    case SO_SNDBUFFORCE:
        u->sndbuf = buf_size(v);
        break;
    case SO_RCVBUF:
    case SO_RCVBUFFORCE:
        u->rcvbuf = buf_size(v);
        break;
    case SO_PASSCRED:
        u->passcred = v != 0;
        break;
    case SO_REUSEADDR:
    case SO_REUSEPORT:
    case SO_KEEPALIVE:
    case SO_BROADCAST:
    case SO_LINGER:
        break; /* accepted, no meaning for AF_UNIX */
    default:
        err = -ENOPROTOOPT;
        break;
    }
    unix_wake(u);
    mutex_unlock(&unix_lock);
    return err;
}

static int unix_getsockopt(struct socket *s, int level, int name, void *val, size_t *len)
{
    struct unix_sock *u = us_of(s);
    int v = 0, err = 0;

    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    mutex_lock(&unix_lock);
    switch (name) {
    case SO_SNDBUF:
        v = (int)u->sndbuf;
        break;
    case SO_RCVBUF:
        v = (int)u->rcvbuf;
        break;
    case SO_PASSCRED:
        v = u->passcred;
        break;
    case SO_ACCEPTCONN:
        v = u->state == US_LISTENING;
        break;
    case SO_PEERCRED: {
        struct k_ucred c = u->has_peercred ? u->peercred : (struct k_ucred){0, ~0u, ~0u};
        size_t n = MIN(*len, sizeof(c));
        memcpy(val, &c, n);
        *len = n;
        mutex_unlock(&unix_lock);
        return 0;
    }
    default:
        err = -ENOPROTOOPT;
        break;
    }
    mutex_unlock(&unix_lock);
    if (err != 0)
        return err;
    if (*len < sizeof(int))
        return -EINVAL;
    memcpy(val, &v, sizeof(int));
    *len = sizeof(int);
    return 0;
}

static uint32_t unix_poll(struct socket *s)
{
    uint32_t mask;

    mutex_lock(&unix_lock);
    mask = unix_mask(us_of(s));
    s->mask = mask;
    mutex_unlock(&unix_lock);
    return mask;
}

static int unix_take_error(struct socket *s)
{
    (void)s;
    return 0; /* connects complete at once; nothing is ever pending */
}

static int unix_inq(struct socket *s)
{
    struct unix_sock *u = us_of(s);
    int n = 0;

    mutex_lock(&unix_lock);
    if (u->type == SOCK_STREAM)
        n = (int)u->rx_bytes;
    else if (!list_empty(&u->rxq))
        n = (int)list_first_entry(&u->rxq, struct unix_msg, link)->len;
    mutex_unlock(&unix_lock);
    return n;
}

static void unix_release(struct socket *s)
{
    struct unix_sock *u = us_of(s), *peer;
    LIST_HEAD(deferred);
    LIST_HEAD(orphans);
    struct inode *inode = NULL;

    mutex_lock(&unix_lock);
    u->dead = true;
    u->sock = NULL;
    if (u->namelen != 0) {
        list_del(&u->bound);
        inode = u->inode;
        u->inode = NULL;
    }
    while (!list_empty(&u->acceptq)) { /* children nobody accepted */
        struct unix_sock *child = list_first_entry(&u->acceptq, struct unix_sock, aq_link);
        list_del(&child->aq_link);
        list_add_tail(&child->aq_link, &orphans);
    }
    peer = u->peer;
    u->peer = NULL;
    if (peer != NULL) {
        if (connection_based(u) && peer->peer == u) {
            peer->peer_shut_wr = true;
            unix_wake(peer);
        } else if (!connection_based(u)) {
            wake_blocked_on(u);
        }
        us_put(peer, &deferred);
    }
    if (u->full != NULL) {
        us_put(u->full, &deferred);
        u->full = NULL;
    }
    wake_blocked_on(u); /* senders and connects waiting for room get ECONNREFUSED now */
    us_put(u, &deferred);
    mutex_unlock(&unix_lock);
    /* Children nobody accepted: their sockets go like closed files. */
    while (!list_empty(&orphans)) {
        struct unix_sock *child = list_first_entry(&orphans, struct unix_sock, aq_link);
        struct socket *cs = child->sock;
        list_del(&child->aq_link);
        mutex_lock(&unix_lock);
        us_put(child, &deferred); /* the queue's reference */
        mutex_unlock(&unix_lock);
        unix_release(cs);
        sock_free(cs);
    }
    deferred_put(&deferred);
    if (inode != NULL)
        inode_put(inode);
}

static const struct sock_ops unix_ops = {
    .bind = unix_bind,
    .connect = unix_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .sendmsg = unix_sendmsg,
    .recvmsg = unix_recvmsg,
    .shutdown = unix_shutdown,
    .getname = unix_getname,
    .setsockopt = unix_setsockopt,
    .getsockopt = unix_getsockopt,
    .poll = unix_poll,
    .take_error = unix_take_error,
    .inq = unix_inq,
    .release = unix_release,
};
