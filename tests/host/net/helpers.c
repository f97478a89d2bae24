/*
 * helpers.c - socket conveniences shared by the network stack's tests
 * (see nettest.h). Everything returns what happened rather than asserting,
 * so each test states its own expectations.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "nettest.h"

void notify_record(void *owner, uint32_t events)
{
    struct notify_log *log = owner;

    log->calls++;
    log->last = events;
    log->seen |= events;
}

struct net_sock *test_listen(struct netstack *ns, uint16_t port, int backlog)
{
    struct net_sock *s;
    struct net_sockaddr_in a = net_sockaddr(0, port);
    int one = 1;

    if (net_sock_create(ns, NET_SOCK_STREAM, 0, &s) != 0)
        abort();
    net_sock_setopt(s, NET_SOL_SOCKET, NET_SO_REUSEADDR, &one, sizeof(one));
    if (net_sock_bind(s, &a) != 0 || net_sock_listen(s, backlog) != 0)
        abort();
    return s;
}

struct connect_wait {
    struct net_sock *cli;
    struct net_sock *listener;
    struct net_sock *srv;
};

static bool connected(void *arg)
{
    struct connect_wait *w = arg;

    if (w->srv == NULL)
        net_sock_accept(w->listener, &w->srv, NULL);
    return w->srv != NULL && (net_sock_poll(w->cli) & NET_EPOLLOUT) &&
           !(net_sock_poll(w->cli) & NET_EPOLLHUP);
}

bool test_connect(struct sim *sim, struct netstack *client, uint32_t server_addr, uint16_t port,
                  struct net_sock *listener, struct net_sock **cli, struct net_sock **srv)
{
    struct connect_wait w = {NULL, listener, NULL};
    struct net_sockaddr_in a = net_sockaddr(server_addr, port);

    if (net_sock_create(client, NET_SOCK_STREAM, 0, &w.cli) != 0)
        return false;
    if (net_sock_connect(w.cli, &a) != -EINPROGRESS)
        return false;
    if (!sim_run_until(sim, connected, &w, 30 * SEC))
        return false;
    *cli = w.cli;
    *srv = w.srv;
    return true;
}

uint8_t test_pattern(size_t i)
{
    return (uint8_t)((i * 7 + (i >> 8) * 13 + (i >> 16)) & 0xff);
}

struct transfer {
    struct net_sock *a, *b;
    size_t len, sent, received, bad;
    uint8_t buf[65536];
};

static bool transfer_step(void *arg)
{
    struct transfer *t = arg;
    ssize_t n;

    while (t->sent < t->len) {
        size_t chunk = t->len - t->sent;
        if (chunk > sizeof(t->buf))
            chunk = sizeof(t->buf);
        for (size_t i = 0; i < chunk; i++)
            t->buf[i] = test_pattern(t->sent + i);
        n = net_sock_send(t->a, t->buf, chunk, 0);
        if (n <= 0)
            break;
        t->sent += (size_t)n;
    }
    for (;;) {
        n = net_sock_recv(t->b, t->buf, sizeof(t->buf), 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (t->buf[i] != test_pattern(t->received + (size_t)i))
                t->bad++;
        }
        t->received += (size_t)n;
    }
    return t->received >= t->len || t->bad > 0;
}

size_t test_transfer(struct sim *sim, struct net_sock *a, struct net_sock *b, size_t len,
                     uint64_t timeout_ns)
{
    struct transfer *t = calloc(1, sizeof(*t));
    size_t good;

    t->a = a;
    t->b = b;
    t->len = len;
    sim_run_until(sim, transfer_step, t, timeout_ns);
    good = t->bad == 0 ? t->received : 0;
    free(t);
    return good;
}

struct net_tcp_info test_info(struct net_sock *s)
{
    struct net_tcp_info info;

    memset(&info, 0, sizeof(info));
    net_sock_tcp_info(s, &info);
    return info;
}
