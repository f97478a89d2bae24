/*
 * socket.c - the socket API of net.h on top of the protocol endpoints.
 *
 * Every net_sock_* function is an entry point: it brackets its work with
 * net_enter()/net_leave() and dispatches on the socket type. Stream
 * sockets go to tcp_user.c. Datagram sockets (UDP, ping) are handled here:
 * sending builds a pbuf from the caller's bytes and passes it to udp_send()
 * or ping_send(); receiving takes datagrams from the socket's queue, which
 * the endpoint's recv callback fills, bounded by SO_RCVBUF.
 *
 * Readiness: sock_poll() computes the EPOLL* mask; sock_notify() hands it
 * to the owner whenever it may have changed.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/ping.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

#define DGRAM_MAX_PAYLOAD (IP_MAX_LEN - IP_HLEN - UDP_HLEN)
#define PING_MAX_PAYLOAD (IP_MAX_LEN - IP_HLEN)
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

static uint32_t sock_poll(struct net_sock *s);

void sock_notify(struct net_sock *s)
{
    if (s != NULL && s->notify != NULL)
        s->notify(s->owner, sock_poll(s));
}

void sock_set_error(struct net_sock *s, int err)
{
    if (s == NULL || err == 0)
        return;
    s->error = err;
    sock_notify(s);
}

static int take_error(struct net_sock *s)
{
    int err = s->error;

    s->error = 0;
    return err;
}

/* ---- datagram endpoints' callbacks ---- */

static void dgram_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const struct ip_rx *rx,
                       uint16_t sport)
{
    struct net_sock *s = arg;
    struct netstack *ns = s->ns;
    size_t truesize = pbuf_truesize(p);

    (void)pcb;
    if ((s->shut & SOCK_SHUT_RD) || s->rxq_bytes + truesize > s->rcvbuf) {
        if (s->protocol == IPPROTO_UDP) {
            ns->snmp.udp.RcvbufErrors++;
            ns->snmp.udp.InErrors++;
            ns->snmp.udp.InDatagrams--;
        }
        pbuf_free(p);
        return;
    }
    p->meta.from.addr = rx->src;
    p->meta.from.port = sport;
    list_add_tail(&p->link, &s->rxq);
    s->rxq_bytes += (uint32_t)truesize;
    s->rxq_count++;
    sock_notify(s);
}

static void dgram_error(void *arg, struct udp_pcb *pcb, int err)
{
    (void)pcb;
    sock_set_error(arg, err);
}

/* ---- life cycle ---- */

int net_sock_create(struct netstack *ns, int type, int protocol, struct net_sock **out)
{
    struct net_sock *s;
    int err = 0;

    if (type == NET_SOCK_STREAM) {
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        protocol = IPPROTO_TCP;
    } else if (type == NET_SOCK_DGRAM) {
        if (protocol == 0)
            protocol = IPPROTO_UDP;
        if (protocol != IPPROTO_UDP && protocol != IPPROTO_ICMP)
            return -EPROTONOSUPPORT;
    } else {
        return -ESOCKTNOSUPPORT;
    }
    net_enter(ns);
    s = netenv_zalloc(sizeof(*s));
    if (s == NULL) {
        err = -ENOMEM;
        goto out;
    }
    s->ns = ns;
    s->type = type;
    s->protocol = protocol;
    list_init(&s->rxq);
    if (type == NET_SOCK_STREAM) {
        s->tcp = tcp_pcb_new(ns);
        if (s->tcp == NULL)
            goto nomem;
        s->tcp->sock = s;
        s->sndbuf = 2 * s->tcp->sndbuf;
        s->rcvbuf = 2 * s->tcp->rcvbuf;
    } else {
        s->udp = udp_pcb_new(ns, (uint8_t)protocol, dgram_recv, dgram_error, s);
        if (s->udp == NULL)
            goto nomem;
        s->sndbuf = SOCK_DEFAULT_DGRAM_BUF;
        s->rcvbuf = SOCK_DEFAULT_DGRAM_BUF;
    }
    s->rcvlowat = 1;
    list_add_tail(&s->link, &ns->socks);
    *out = s;
    goto out;
nomem:
    netenv_free(s);
    err = -ENOMEM;
out:
    net_leave(ns);
    return err;
}

void net_sock_set_owner(struct net_sock *s, void *owner, net_notify_fn notify)
{
    net_enter(s->ns);
    s->owner = owner;
    s->notify = notify;
    net_leave(s->ns);
}

static void sock_free(struct net_sock *s)
{
    list_del(&s->link);
    pbuf_free_list(&s->rxq);
    netenv_free(s);
}

void net_sock_close(struct net_sock *s)
{
    struct netstack *ns = s->ns;

    net_enter(ns);
    s->notify = NULL;
    if (s->tcp != NULL) {
        s->tcp->sock = NULL;
        tcp_close(s->tcp, &s->linger);
    }
    udp_pcb_free(s->udp);
    sock_free(s);
    net_leave(ns);
}

void sock_flush(struct netstack *ns)
{
    while (!list_empty(&ns->socks)) {
        struct net_sock *s = list_first_entry(&ns->socks, struct net_sock, link);
        if (s->tcp != NULL)
            s->tcp->sock = NULL; /* tcp_flush frees the pcb */
        udp_pcb_free(s->udp);
        sock_free(s);
    }
}

/* ---- addresses ---- */

static int check_addr(const struct net_sockaddr_in *a)
{
    if (a == NULL)
        return -EINVAL;
    if (a->sin_family != NET_AF_INET)
        return -EAFNOSUPPORT;
    return 0;
}

int net_sock_bind(struct net_sock *s, const struct net_sockaddr_in *addr)
{
    uint32_t a;
    uint16_t port;
    int err = check_addr(addr);

    if (err != 0)
        return err;
    a = net_ntohl(addr->sin_addr);
    port = net_ntohs(addr->sin_port);
    net_enter(s->ns);
    if (s->tcp != NULL) {
        s->tcp->reuseaddr = s->reuseaddr;
        s->tcp->reuseport = s->reuseport;
        err = tcp_bind(s->tcp, a, port);
    } else {
        s->udp->reuseaddr = s->reuseaddr || s->reuseport;
        err = udp_bind(s->udp, a, port);
    }
    net_leave(s->ns);
    return err;
}

int net_sock_listen(struct net_sock *s, int backlog)
{
    int err;

    if (s->tcp == NULL)
        return -EOPNOTSUPP;
    net_enter(s->ns);
    s->tcp->reuseaddr = s->reuseaddr;
    s->tcp->reuseport = s->reuseport;
    err = tcp_listen(s->tcp, backlog);
    net_leave(s->ns);
    return err;
}

int net_sock_accept(struct net_sock *s, struct net_sock **out, struct net_sockaddr_in *peer)
{
    struct netstack *ns = s->ns;
    struct tcp_pcb *child;
    struct net_sock *c;
    int err = 0;

    if (s->tcp == NULL)
        return -EOPNOTSUPP;
    net_enter(ns);
    if (s->tcp->state != TCP_LISTEN) {
        err = -EINVAL;
        goto out;
    }
    c = netenv_zalloc(sizeof(*c));
    if (c == NULL) {
        err = -ENOMEM;
        goto out;
    }
    child = tcp_accept(s->tcp);
    if (child == NULL) {
        netenv_free(c);
        err = -EAGAIN;
        goto out;
    }
    /* The new socket inherits the listener's options, as on Linux. */
    *c = *s;
    list_init(&c->rxq);
    c->owner = NULL;
    c->notify = NULL;
    c->error = 0;
    c->tcp = child;
    child->sock = c;
    list_add_tail(&c->link, &ns->socks);
    if (peer != NULL)
        *peer = net_sockaddr(child->raddr, child->rport);
    *out = c;
out:
    net_leave(ns);
    return err;
}

int net_sock_connect(struct net_sock *s, const struct net_sockaddr_in *addr)
{
    uint32_t a;
    uint16_t port;
    int err;

    if (addr == NULL)
        return -EINVAL;
    net_enter(s->ns);
    if (s->udp != NULL && addr->sin_family == 0) {
        udp_disconnect(s->udp); /* AF_UNSPEC dissolves the association */
        err = 0;
        goto out;
    }
    err = check_addr(addr);
    if (err != 0)
        goto out;
    a = net_ntohl(addr->sin_addr);
    port = net_ntohs(addr->sin_port);
    if (a == 0)
        a = IP4_LOOPBACK; /* "this host", as Linux reads it */
    if (s->tcp != NULL) {
        s->tcp->reuseaddr = s->reuseaddr;
        err = tcp_connect(s->tcp, a, port);
    } else {
        if (ip_is_broadcast(s->ns, a, NULL) && !s->broadcast)
            err = -EACCES;
        else
            err = udp_connect(s->udp, a, port);
    }
out:
    net_leave(s->ns);
    return err;
}

int net_sock_getname(struct net_sock *s, struct net_sockaddr_in *addr, bool peer)
{
    int err = 0;

    net_enter(s->ns);
    if (s->tcp != NULL) {
        struct tcp_pcb *pcb = s->tcp;
        if (peer) {
            if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN || pcb->state == TCP_SYN_SENT)
                err = -ENOTCONN;
            else
                *addr = net_sockaddr(pcb->raddr, pcb->rport);
        } else {
            *addr = net_sockaddr(pcb->laddr, pcb->lport);
        }
    } else {
        struct udp_pcb *u = s->udp;
        if (peer) {
            if (!u->connected)
                err = -ENOTCONN;
            else
                *addr = net_sockaddr(u->raddr, u->rport);
        } else {
            uint32_t local = u->laddr;
            if (local == 0 && u->connected)
                local = ip_route_source(s->ns, u->raddr, NULL, NULL);
            *addr = net_sockaddr(local, u->lport);
        }
    }
    net_leave(s->ns);
    return err;
}

/* ---- data ---- */

static ssize_t dgram_send(struct net_sock *s, const struct net_uio *uio,
                          const struct net_sockaddr_in *to)
{
    struct udp_pcb *u = s->udp;
    uint32_t dst;
    uint16_t dport;
    struct pbuf *p;
    size_t max = s->protocol == IPPROTO_ICMP ? PING_MAX_PAYLOAD : DGRAM_MAX_PAYLOAD;
    int err;

    if (s->shut & SOCK_SHUT_WR)
        return -EPIPE;
    if (s->error != 0)
        return take_error(s);
    if (to != NULL) {
        err = check_addr(to);
        if (err != 0)
            return err;
        dst = net_ntohl(to->sin_addr);
        dport = net_ntohs(to->sin_port);
        if (dst == 0)
            dst = IP4_LOOPBACK;
        if (s->protocol == IPPROTO_UDP && dport == 0)
            return -EINVAL;
    } else if (u->connected) {
        dst = u->raddr;
        dport = u->rport;
    } else {
        return -EDESTADDRREQ;
    }
    if (uio->len > max)
        return -EMSGSIZE;
    p = pbuf_alloc(PBUF_HEADROOM, uio->len);
    if (p == NULL)
        return -ENOBUFS;
    if (uio->len > 0 && uio->copy_in(uio->ctx, 0, p->data, uio->len) != 0) {
        pbuf_free(p);
        return -EFAULT;
    }
    u->ttl = s->ttl;
    u->tos = s->tos;
    u->broadcast = s->broadcast;
    if (s->protocol == IPPROTO_ICMP)
        err = ping_send(u, p, dst);
    else
        err = udp_send(u, p, dst, dport);
    return err != 0 ? err : (ssize_t)uio->len;
}

ssize_t net_sock_sendmsg(struct net_sock *s, const struct net_uio *uio, int flags,
                         const struct net_sockaddr_in *to)
{
    ssize_t ret;

    if (flags & NET_MSG_OOB)
        return -EOPNOTSUPP;
    net_enter(s->ns);
    if (s->tcp != NULL)
        ret = tcp_send(s->tcp, uio, flags);
    else
        ret = dgram_send(s, uio, to);
    net_leave(s->ns);
    return ret;
}

ssize_t net_sock_send(struct net_sock *s, const void *buf, size_t len, int flags)
{
    struct net_uio uio;

    net_uio_kernel(&uio, (void *)buf, len);
    return net_sock_sendmsg(s, &uio, flags, NULL);
}

static ssize_t dgram_recv_msg(struct net_sock *s, const struct net_uio *uio, int flags,
                              struct net_sockaddr_in *from, int *msg_flags)
{
    struct pbuf *p;
    size_t n;

    if (list_empty(&s->rxq)) {
        if (s->error != 0)
            return take_error(s);
        if (s->shut & SOCK_SHUT_RD)
            return 0;
        return -EAGAIN;
    }
    p = list_first_entry(&s->rxq, struct pbuf, link);
    n = MIN((size_t)p->len, uio->len);
    if (n > 0 && uio->copy_out(uio->ctx, 0, p->data, n) != 0)
        return -EFAULT;
    if (p->len > uio->len && msg_flags != NULL)
        *msg_flags |= NET_MSG_TRUNC;
    if (from != NULL)
        *from = net_sockaddr(p->meta.from.addr, p->meta.from.port);
    if (flags & NET_MSG_TRUNC)
        n = p->len;
    if (!(flags & NET_MSG_PEEK)) {
        list_del(&p->link);
        s->rxq_bytes -= (uint32_t)pbuf_truesize(p);
        s->rxq_count--;
        pbuf_free(p);
    }
    return (ssize_t)n;
}

ssize_t net_sock_recvmsg(struct net_sock *s, const struct net_uio *uio, int flags,
                         struct net_sockaddr_in *from, int *msg_flags)
{
    ssize_t ret;

    if (flags & NET_MSG_OOB)
        return -EOPNOTSUPP;
    net_enter(s->ns);
    if (msg_flags != NULL)
        *msg_flags = 0;
    if (s->tcp != NULL) {
        ret = tcp_recv(s->tcp, uio, flags);
        if (ret >= 0 && from != NULL && s->tcp->state != TCP_CLOSED)
            *from = net_sockaddr(s->tcp->raddr, s->tcp->rport);
    } else {
        ret = dgram_recv_msg(s, uio, flags, from, msg_flags);
    }
    net_leave(s->ns);
    return ret;
}

ssize_t net_sock_recv(struct net_sock *s, void *buf, size_t len, int flags)
{
    struct net_uio uio;

    net_uio_kernel(&uio, buf, len);
    return net_sock_recvmsg(s, &uio, flags, NULL, NULL);
}

int net_sock_shutdown(struct net_sock *s, int how)
{
    int err = 0;

    if (how != NET_SHUT_RD && how != NET_SHUT_WR && how != NET_SHUT_RDWR)
        return -EINVAL;
    net_enter(s->ns);
    if (s->tcp != NULL) {
        err = tcp_shutdown(s->tcp, how);
    } else if (!s->udp->connected) {
        err = -ENOTCONN;
    } else {
        if (how != NET_SHUT_WR)
            s->shut |= SOCK_SHUT_RD;
        if (how != NET_SHUT_RD)
            s->shut |= SOCK_SHUT_WR;
        sock_notify(s);
    }
    net_leave(s->ns);
    return err;
}

/* ---- readiness and errors ---- */

static uint32_t sock_poll(struct net_sock *s)
{
    uint32_t mask = 0;

    if (s->tcp != NULL) {
        mask = tcp_poll(s->tcp);
        if (s->error != 0)
            mask |= NET_EPOLLERR;
        return mask;
    }
    if (s->error != 0)
        mask |= NET_EPOLLERR;
    if (s->shut == (SOCK_SHUT_RD | SOCK_SHUT_WR))
        mask |= NET_EPOLLHUP;
    if (s->shut & SOCK_SHUT_RD)
        mask |= NET_EPOLLIN | NET_EPOLLRDNORM | NET_EPOLLRDHUP;
    if (!list_empty(&s->rxq))
        mask |= NET_EPOLLIN | NET_EPOLLRDNORM;
    mask |= NET_EPOLLOUT | NET_EPOLLWRNORM;
    return mask;
}

uint32_t net_sock_poll(struct net_sock *s)
{
    uint32_t mask;

    net_enter(s->ns);
    mask = sock_poll(s);
    net_leave(s->ns);
    return mask;
}

int net_sock_take_error(struct net_sock *s)
{
    int err;

    net_enter(s->ns);
    err = take_error(s);
    net_leave(s->ns);
    return err;
}

int net_sock_inq(struct net_sock *s)
{
    int n = 0;

    net_enter(s->ns);
    if (s->tcp != NULL)
        n = (int)tcp_readable(s->tcp);
    else if (!list_empty(&s->rxq))
        n = (int)list_first_entry(&s->rxq, struct pbuf, link)->len;
    net_leave(s->ns);
    return n;
}

int net_sock_outq(struct net_sock *s)
{
    int n = 0;

    net_enter(s->ns);
    if (s->tcp != NULL)
        n = (int)s->tcp->sndq.len;
    net_leave(s->ns);
    return n;
}

int net_sock_tcp_info(struct net_sock *s, struct net_tcp_info *info)
{
    if (s->tcp == NULL)
        return -EOPNOTSUPP;
    net_enter(s->ns);
    tcp_get_info(s->tcp, info);
    net_leave(s->ns);
    return 0;
}

int net_sock_type(const struct net_sock *s)
{
    return s->type;
}

int net_sock_protocol(const struct net_sock *s)
{
    return s->protocol;
}

/* ---- options ---- */

static int get_int(const void *val, size_t len, int *out)
{
    if (val == NULL || len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

static int put_bytes(void *val, size_t *len, const void *src, size_t n)
{
    if (val == NULL || len == NULL)
        return -EINVAL;
    if (*len < n)
        n = *len;
    memcpy(val, src, n);
    *len = n;
    return 0;
}

static int put_int(void *val, size_t *len, int v)
{
    return put_bytes(val, len, &v, sizeof(v));
}

/* Linux doubles SO_SNDBUF/SO_RCVBUF for bookkeeping and reports the double. */
static uint32_t buf_value(int v, uint32_t min)
{
    uint64_t d = v < 0 ? 0 : (uint64_t)v * 2;

    if (d < min)
        d = min;
    if (d > 2ull * TCP_MAX_BUF)
        d = 2ull * TCP_MAX_BUF;
    return (uint32_t)d;
}

static int sol_socket_set(struct net_sock *s, int name, const void *val, size_t len)
{
    struct net_linger lg;
    int v, err;

    if (name == NET_SO_LINGER) {
        if (val == NULL || len < sizeof(lg))
            return -EINVAL;
        memcpy(&lg, val, sizeof(lg));
        s->linger.l_onoff = lg.l_onoff != 0;
        s->linger.l_linger = lg.l_linger < 0 ? 0 : lg.l_linger;
        return 0;
    }
    err = get_int(val, len, &v);
    if (err != 0)
        return err;
    switch (name) {
    case NET_SO_REUSEADDR:
        s->reuseaddr = v != 0;
        if (s->tcp != NULL)
            s->tcp->reuseaddr = s->reuseaddr;
        else
            s->udp->reuseaddr = s->reuseaddr || s->reuseport;
        return 0;
    case NET_SO_REUSEPORT:
        s->reuseport = v != 0;
        if (s->tcp != NULL)
            s->tcp->reuseport = s->reuseport;
        else
            s->udp->reuseaddr = s->reuseaddr || s->reuseport;
        return 0;
    case NET_SO_BROADCAST:
        s->broadcast = v != 0;
        if (s->udp != NULL)
            s->udp->broadcast = s->broadcast;
        return 0;
    case NET_SO_KEEPALIVE:
        s->keepalive = v != 0;
        if (s->tcp != NULL) {
            if (s->keepalive)
                s->tcp->flags |= TF_KEEPALIVE;
            else
                s->tcp->flags &= ~TF_KEEPALIVE;
            tcp_keepalive_arm(s->tcp);
        }
        return 0;
    case NET_SO_SNDBUF:
    case NET_SO_SNDBUFFORCE:
        s->sndbuf = buf_value(v, SOCK_MIN_SNDBUF);
        if (s->tcp != NULL)
            tcp_set_bufsizes(s->tcp, s->sndbuf / 2, s->tcp->rcvbuf);
        return 0;
    case NET_SO_RCVBUF:
    case NET_SO_RCVBUFFORCE:
        s->rcvbuf = buf_value(v, SOCK_MIN_RCVBUF);
        if (s->tcp != NULL)
            tcp_set_bufsizes(s->tcp, s->tcp->sndbuf, s->rcvbuf / 2);
        return 0;
    case NET_SO_RCVLOWAT:
        s->rcvlowat = v < 1 ? 1 : v;
        sock_notify(s);
        return 0;
    case NET_SO_OOBINLINE:
    case NET_SO_DONTROUTE:
        return 0; /* accepted; urgent data is always inline, routing is ours */
    default:
        return -ENOPROTOOPT;
    }
}

static int sol_socket_get(struct net_sock *s, int name, void *val, size_t *len)
{
    switch (name) {
    case NET_SO_ERROR:
        return put_int(val, len, -take_error(s));
    case NET_SO_TYPE:
        return put_int(val, len, s->type);
    case NET_SO_PROTOCOL:
        return put_int(val, len, s->protocol);
    case NET_SO_DOMAIN:
        return put_int(val, len, NET_AF_INET);
    case NET_SO_ACCEPTCONN:
        return put_int(val, len, s->tcp != NULL && s->tcp->state == TCP_LISTEN);
    case NET_SO_REUSEADDR:
        return put_int(val, len, s->reuseaddr);
    case NET_SO_REUSEPORT:
        return put_int(val, len, s->reuseport);
    case NET_SO_BROADCAST:
        return put_int(val, len, s->broadcast);
    case NET_SO_KEEPALIVE:
        return put_int(val, len, s->keepalive);
    case NET_SO_SNDBUF:
        return put_int(val, len, (int)s->sndbuf);
    case NET_SO_RCVBUF:
        return put_int(val, len, (int)s->rcvbuf);
    case NET_SO_RCVLOWAT:
        return put_int(val, len, s->rcvlowat);
    case NET_SO_LINGER:
        return put_bytes(val, len, &s->linger, sizeof(s->linger));
    case NET_SO_OOBINLINE:
        return put_int(val, len, 1);
    default:
        return -ENOPROTOOPT;
    }
}

static int sol_ip_set(struct net_sock *s, int name, const void *val, size_t len)
{
    int v, err = get_int(val, len, &v);

    if (err != 0)
        return err;
    switch (name) {
    case NET_IP_TTL:
        if (v == -1)
            v = 0;
        if (v < 0 || v > 255)
            return -EINVAL;
        s->ttl = (uint8_t)v;
        break;
    case NET_IP_TOS:
        s->tos = (uint8_t)v;
        break;
    default:
        return -ENOPROTOOPT;
    }
    if (s->tcp != NULL) {
        s->tcp->ttl = s->ttl;
        s->tcp->tos = s->tos;
    }
    return 0;
}

int net_sock_setopt(struct net_sock *s, int level, int name, const void *val, size_t len)
{
    int err;

    net_enter(s->ns);
    if (level == NET_SOL_SOCKET)
        err = sol_socket_set(s, name, val, len);
    else if (level == NET_SOL_IP)
        err = sol_ip_set(s, name, val, len);
    else if (level == NET_SOL_TCP && s->tcp != NULL)
        err = tcp_setopt(s->tcp, name, val, len);
    else
        err = -ENOPROTOOPT;
    net_leave(s->ns);
    return err;
}

int net_sock_getopt(struct net_sock *s, int level, int name, void *val, size_t *len)
{
    int err;

    net_enter(s->ns);
    if (level == NET_SOL_SOCKET)
        err = sol_socket_get(s, name, val, len);
    else if (level == NET_SOL_IP && name == NET_IP_TTL)
        err = put_int(val, len, s->ttl != 0 ? s->ttl : IP_DEFAULT_TTL);
    else if (level == NET_SOL_IP && name == NET_IP_TOS)
        err = put_int(val, len, s->tos);
    else if (level == NET_SOL_TCP && s->tcp != NULL)
        err = tcp_getopt(s->tcp, name, val, len);
    else
        err = -ENOPROTOOPT;
    net_leave(s->ns);
    return err;
}
