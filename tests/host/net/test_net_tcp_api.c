/*
 * TCP as the socket layer sees it: readiness and notifications, half-close
 * and close (graceful, SO_LINGER, unread data), simultaneous close,
 * listen backlog and SYN floods, ports and binding, options, TCP_INFO,
 * loopback.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/snmp.h"
#include "net/stack.h"
#include "nettest.h"

#define A_ADDR IP4(10, 0, 0, 1)
#define B_ADDR IP4(10, 0, 0, 2)

static struct sim sim;
static struct sim_port *ha, *hb;

static void setup_with(const struct net_limits *lb)
{
    sim_init(&sim, 3);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    hb = sim_add_host(&sim, B_ADDR, lb);
    ha->cfg.delay_ns = 2 * MS;
    hb->cfg.delay_ns = 2 * MS;
}

static void setup(void)
{
    setup_with(NULL);
}

static void teardown(void)
{
    sim_destroy(&sim);
}

TestSuite(net_tcp_api, .init = setup, .fini = teardown);

static void pair(struct net_sock **c, struct net_sock **s)
{
    struct net_sock *l = test_listen(hb->ns, 80, 16);

    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, c, s));
}

/* ---- readiness ---- */

Test(net_tcp_api, poll_through_a_connection)
{
    struct net_sock *c, *l, *s;
    struct net_sockaddr_in a = net_sockaddr(B_ADDR, 80);
    struct notify_log log = {0}, slog = {0};
    char buf[8];

    l = test_listen(hb->ns, 80, 4);
    cr_assert_eq(net_sock_poll(l), 0);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &c), 0);
    /* A fresh socket: writable and hung up, as Linux says. */
    cr_assert_eq(net_sock_poll(c), NET_EPOLLOUT | NET_EPOLLWRNORM | NET_EPOLLHUP);
    net_sock_set_owner(c, &log, notify_record);
    cr_assert_eq(net_sock_connect(c, &a), -EINPROGRESS);
    cr_assert_eq(net_sock_poll(c), 0, "connecting: nothing yet");
    cr_assert_eq(net_sock_send(c, "x", 1, 0), -EAGAIN);
    sim_run(&sim, 50 * MS);
    cr_assert(log.seen & NET_EPOLLOUT, "connect completion is notified");
    cr_assert_eq(net_sock_poll(c), NET_EPOLLOUT | NET_EPOLLWRNORM);
    cr_assert_eq(net_sock_take_error(c), 0);
    cr_assert_eq(net_sock_poll(l), NET_EPOLLIN | NET_EPOLLRDNORM);
    cr_assert_eq(net_sock_accept(l, &s, NULL), 0);
    cr_assert_eq(net_sock_poll(l), 0);
    net_sock_set_owner(s, &slog, notify_record);
    cr_assert_eq(net_sock_send(c, "ping", 4, 0), 4);
    sim_run(&sim, 50 * MS);
    cr_assert(slog.last & NET_EPOLLIN);
    cr_assert_eq(net_sock_poll(s), NET_EPOLLIN | NET_EPOLLRDNORM | NET_EPOLLOUT | NET_EPOLLWRNORM);
    cr_assert_eq(net_sock_inq(s), 4);
    cr_assert_eq(net_sock_recv(s, buf, 2, NET_MSG_PEEK), 2);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), 4, "peek left the data");
    cr_assert_arr_eq(buf, "ping", 4);
    cr_assert_eq(net_sock_inq(s), 0);
    /* The peer half-closes: readable, RDHUP, EOF. */
    cr_assert_eq(net_sock_shutdown(c, NET_SHUT_WR), 0);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_poll(s) & (NET_EPOLLIN | NET_EPOLLRDHUP | NET_EPOLLHUP),
                 NET_EPOLLIN | NET_EPOLLRDHUP);
    cr_assert(slog.last & NET_EPOLLRDHUP);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), 0);
}

Test(net_tcp_api, full_send_buffer_then_epollout)
{
    struct net_sock *c, *s;
    struct notify_log log = {0};
    static uint8_t buf[1 << 20];
    ssize_t n;
    int total = 0;

    pair(&c, &s);
    net_sock_set_owner(c, &log, notify_record);
    n = net_sock_send(c, buf, sizeof(buf), 0);
    cr_assert_gt(n, 0);
    cr_assert_lt(n, (ssize_t)sizeof(buf), "the send buffer is smaller than 1 MiB");
    cr_assert_eq(net_sock_send(c, buf, sizeof(buf), 0), -EAGAIN);
    cr_assert_eq(net_sock_poll(c) & NET_EPOLLOUT, 0);
    cr_assert_eq(net_sock_outq(c), n);
    log.seen = 0;
    /* The receiver drains: the sender hears about room. */
    for (int i = 0; i < 200 && total < n; i++) {
        ssize_t r = net_sock_recv(s, buf, sizeof(buf), 0);
        if (r > 0)
            total += (int)r;
        sim_run(&sim, 5 * MS);
    }
    cr_assert_eq(total, n);
    sim_run(&sim, 100 * MS); /* the last ACK */
    cr_assert(log.seen & NET_EPOLLOUT);
    cr_assert(net_sock_poll(c) & NET_EPOLLOUT);
    cr_assert_eq(net_sock_outq(c), 0);
}

/* ---- closing ---- */

Test(net_tcp_api, half_close_both_ways)
{
    struct net_sock *c, *s;
    char buf[16];

    pair(&c, &s);
    cr_assert_eq(net_sock_send(c, "request", 7, 0), 7);
    cr_assert_eq(net_sock_shutdown(c, NET_SHUT_WR), 0);
    cr_assert_eq(net_sock_send(c, "more", 4, 0), -EPIPE);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_FIN_WAIT2);
    cr_assert_eq(test_info(s).tcpi_state, NET_TCPS_CLOSE_WAIT);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), 7);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), 0);
    /* The other direction still works after the first one closed. */
    cr_assert_eq(net_sock_send(s, "response", 8, 0), 8);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), 8);
    cr_assert_arr_eq(buf, "response", 8);
    net_sock_close(s);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), 0);
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_TIME_WAIT, "the active closer waits");
    cr_assert(net_sock_poll(c) & NET_EPOLLHUP);
}

Test(net_tcp_api, simultaneous_close)
{
    struct net_sock *c, *s;

    pair(&c, &s);
    cr_assert_eq(net_sock_shutdown(c, NET_SHUT_WR), 0);
    cr_assert_eq(net_sock_shutdown(s, NET_SHUT_WR), 0);
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_FIN_WAIT1);
    cr_assert_eq(test_info(s).tcpi_state, NET_TCPS_FIN_WAIT1);
    sim_run(&sim, 3 * MS);
    /* Each FIN arrived before the ACK of the other: CLOSING on both sides. */
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_CLOSING);
    cr_assert_eq(test_info(s).tcpi_state, NET_TCPS_CLOSING);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_TIME_WAIT);
    cr_assert_eq(test_info(s).tcpi_state, NET_TCPS_TIME_WAIT);
    sim_run(&sim, 61 * SEC);
    cr_assert_eq(test_info(c).tcpi_state, NET_TCPS_CLOSE);
    cr_assert_eq(test_info(s).tcpi_state, NET_TCPS_CLOSE);
}

Test(net_tcp_api, close_with_unread_data_resets)
{
    struct net_sock *c, *s;
    char buf[8];

    pair(&c, &s);
    cr_assert_eq(net_sock_send(c, "unread", 6, 0), 6);
    sim_run(&sim, 50 * MS);
    net_sock_close(s);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), -ECONNRESET);
    cr_assert_eq(net_snmp_get(hb->ns)->tcpext.TCPAbortOnClose, 1);
}

Test(net_tcp_api, linger_zero_resets)
{
    struct net_sock *c, *s;
    struct net_linger lg = {1, 0};
    char buf[8];

    pair(&c, &s);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_SOCKET, NET_SO_LINGER, &lg, sizeof(lg)), 0);
    net_sock_close(c);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), -ECONNRESET);
    /* No TIME_WAIT is left behind on the closing side. */
    cr_assert_eq(ha->ns->tcp.ntime_wait, 0);
    cr_assert_eq(ha->ns->tcp.npcbs, 0);
}

Test(net_tcp_api, linger_timeout_resets_a_stuck_close)
{
    struct net_sock *c, *s;
    struct net_linger lg = {1, 2};
    int sz = 4096;
    static uint8_t buf[65536];

    pair(&c, &s);
    cr_assert_eq(net_sock_setopt(s, NET_SOL_SOCKET, NET_SO_RCVBUF, &sz, sizeof(sz)), 0);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_SOCKET, NET_SO_LINGER, &lg, sizeof(lg)), 0);
    /* B stops reading; A has more to send than B takes, then closes. */
    cr_assert_gt(net_sock_send(c, buf, sizeof(buf), 0), 0);
    sim_run(&sim, 100 * MS);
    net_sock_close(c);
    sim_run(&sim, 1 * SEC);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPAbortOnLinger, 0);
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPAbortOnLinger, 1);
    cr_assert_eq(ha->ns->tcp.npcbs, 0);
}

Test(net_tcp_api, graceful_close_delivers_everything)
{
    struct net_sock *c, *s;
    static uint8_t buf[200000];
    size_t got = 0;

    pair(&c, &s);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = test_pattern(i);
    cr_assert_eq(net_sock_send(c, buf, 100000, 0), 100000);
    net_sock_close(c); /* the rest of the data and the FIN go out after */
    for (int i = 0; i < 1000; i++) {
        ssize_t n = net_sock_recv(s, buf, sizeof(buf), 0);
        if (n == 0)
            break;
        if (n > 0) {
            for (ssize_t k = 0; k < n; k++)
                cr_assert_eq(buf[k], test_pattern(got + (size_t)k));
            got += (size_t)n;
        }
        sim_run(&sim, 5 * MS);
    }
    cr_assert_eq(got, 100000);
    net_sock_close(s);
    sim_run(&sim, 100 * MS);
    cr_assert_eq(hb->ns->tcp.npcbs, 1, "the passive closer is done, the listener stays");
    cr_assert_eq(ha->ns->tcp.ntime_wait, 1);
    sim_run(&sim, 61 * SEC);
    cr_assert_eq(ha->ns->tcp.npcbs, 0);
}

Test(net_tcp_api, orphan_fin_wait_2_times_out)
{
    struct net_sock *c, *s;

    pair(&c, &s);
    net_sock_close(c);
    sim_run(&sim, 50 * MS);
    /* B never closes: A's orphan gives up after 60 s in FIN_WAIT_2. */
    cr_assert_eq(ha->ns->tcp.npcbs, 1);
    cr_assert_eq(ha->ns->tcp.norphans, 1);
    sim_run(&sim, 59 * SEC);
    cr_assert_eq(ha->ns->tcp.npcbs, 1);
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(ha->ns->tcp.npcbs, 0);
    cr_assert_eq(ha->ns->tcp.norphans, 0);
    (void)s;
}

Test(net_tcp_api, data_to_a_closed_socket_resets)
{
    struct net_sock *c, *s;
    char buf[8];

    pair(&c, &s);
    net_sock_close(c); /* A: FIN_WAIT, orphaned */
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_send(s, "late", 4, 0), 4);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPAbortOnData, 1);
    cr_assert_eq(net_sock_recv(s, buf, sizeof(buf), 0), -ECONNRESET);
}

/* ---- listening ---- */

Test(net_tcp_api, accept_backlog_is_bounded)
{
    struct net_sock *l = test_listen(hb->ns, 80, 2), *c[6], *a;
    struct net_sockaddr_in addr = net_sockaddr(B_ADDR, 80);
    int accepted = 0;

    /* Resolve B's address first: ARP holds only 3 packets while it asks. */
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &c[0]), 0);
    net_sock_connect(c[0],
                     &(struct net_sockaddr_in){NET_AF_INET, net_htons(81), net_htonl(B_ADDR), {0}});
    sim_run(&sim, 50 * MS);
    net_sock_close(c[0]);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &c[i]), 0);
        cr_assert_eq(net_sock_connect(c[i], &addr), -EINPROGRESS);
    }
    sim_run(&sim, 500 * MS);
    /* backlog 2 holds 3 (Linux counts the same way); the rest wait. */
    while (net_sock_accept(l, &a, NULL) == 0)
        accepted++;
    cr_assert_eq(accepted, 3);
    cr_assert_gt(net_snmp_get(hb->ns)->tcpext.ListenOverflows, 0);
    /* The others get in on their SYN retransmissions. */
    sim_run(&sim, 10 * SEC);
    while (net_sock_accept(l, &a, NULL) == 0)
        accepted++;
    sim_run(&sim, 10 * SEC);
    while (net_sock_accept(l, &a, NULL) == 0)
        accepted++;
    cr_assert_eq(accepted, 6);
}

Test(net_tcp_api, closing_a_listener_resets_unaccepted)
{
    struct net_sock *l = test_listen(hb->ns, 80, 8), *c;
    struct net_sockaddr_in addr = net_sockaddr(B_ADDR, 80);
    char buf[4];

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &c), 0);
    cr_assert_eq(net_sock_connect(c, &addr), -EINPROGRESS);
    sim_run(&sim, 50 * MS);
    net_sock_close(l);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), -ECONNRESET);
    cr_assert_eq(hb->ns->tcp.npcbs, 0);
}

struct flood {
    struct sim_port *attacker;
    uint32_t n;
};

static void syn_flood(struct sim_port *from, struct sim_port *to, uint32_t daddr, int count)
{
    uint8_t frame[128];
    static const uint8_t opts[12] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2};

    for (int i = 0; i < count; i++) {
        struct pkt_tcp t = {
            .saddr = IP4(172, 16, (i >> 8) & 255, i & 255),
            .daddr = daddr,
            .sport = (uint16_t)(1024 + i),
            .dport = 80,
            .seq = (uint32_t)i * 7919u,
            .flags = TCP_SYN,
            .wnd = 65535,
            .opts = opts,
            .optlen = 12,
        };
        memcpy(t.src_mac, from->mac, 6);
        memcpy(t.dst_mac, to->mac, 6);
        sim_send(from, frame, pkt_build_tcp(frame, sizeof(frame), &t));
        if (i % 100 == 0)
            sim_run(&sim, 1 * MS);
    }
}

static void flood_then_connect(void)
{
    struct sim_port *attacker = sim_add_scripted(&sim, NULL, NULL);
    struct net_sock *l = test_listen(hb->ns, 80, 128), *c, *s;
    size_t before;

    sim_run(&sim, 10 * MS);
    before = netenv_host_mem_live();
    netenv_host_mem_reset_peak();
    syn_flood(attacker, hb, B_ADDR, 20000);
    /* A real client still gets through while the flood is on. */
    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
    cr_assert_eq(test_transfer(&sim, c, s, 500000, 60 * SEC), 500000);
    /* The flood cost a bounded amount: at most the SYN queue, not 20000 entries. */
    cr_assert_lt(netenv_host_mem_peak() - before, 2u << 20, "peak grew %zu",
                 netenv_host_mem_peak() - before);
    /* The half-open entries expire (SYN-ACK retries run out). */
    sim_run(&sim, 120 * SEC);
    cr_assert_lt(netenv_host_mem_live() - before, 600000u);
}

Test(net_tcp_api, syn_flood_with_cookies)
{
    flood_then_connect();
    cr_assert_gt(net_snmp_get(hb->ns)->tcpext.SyncookiesSent, 10000);
}

Test(net_tcp_api, syn_flood_without_cookies_evicts)
{
    struct net_limits lb = {.tcp_syncookies = 2};

    teardown();
    setup_with(&lb);
    flood_then_connect();
    cr_assert_eq(net_snmp_get(hb->ns)->tcpext.SyncookiesSent, 0);
    cr_assert_gt(net_snmp_get(hb->ns)->tcpext.TCPReqQFullDrop, 10000);
}

Test(net_tcp_api, syn_cookie_connection_keeps_options)
{
    struct net_limits lb = {.tcp_max_syn_backlog = 1};
    struct sim_port *attacker;
    struct net_sock *l, *c, *s;
    struct net_tcp_info is;

    teardown();
    setup_with(&lb);
    attacker = sim_add_scripted(&sim, NULL, NULL);
    l = test_listen(hb->ns, 80, 128);
    syn_flood(attacker, hb, B_ADDR, 1); /* fills the one-entry SYN queue */
    sim_run(&sim, 10 * MS);
    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
    cr_assert_eq(net_snmp_get(hb->ns)->tcpext.SyncookiesRecv, 1);
    is = test_info(s);
    /* Window scale and SACK rode in the timestamp. */
    cr_assert_eq(is.tcpi_options,
                 NET_TCPI_OPT_TIMESTAMPS | NET_TCPI_OPT_SACK | NET_TCPI_OPT_WSCALE);
    cr_assert_eq(is.tcpi_wscale & 0xf, test_info(c).tcpi_wscale >> 4);
    cr_assert_eq(test_transfer(&sim, c, s, 2 << 20, 60 * SEC), 2u << 20);
    cr_assert_eq(test_transfer(&sim, s, c, 2 << 20, 60 * SEC), 2u << 20);
}

Test(net_tcp_api, forged_cookie_acks_are_refused)
{
    struct net_limits lb = {.tcp_max_syn_backlog = 1};
    struct sim_port *attacker;
    uint8_t frame[128];

    teardown();
    setup_with(&lb);
    attacker = sim_add_scripted(&sim, NULL, NULL);
    test_listen(hb->ns, 80, 128);
    syn_flood(attacker, hb, B_ADDR, 5);
    sim_run(&sim, 10 * MS);
    for (int i = 0; i < 1000; i++) {
        struct pkt_tcp t = {
            .saddr = IP4(172, 17, 0, 1),
            .daddr = B_ADDR,
            .sport = (uint16_t)(2000 + i),
            .dport = 80,
            .seq = 5000,
            .ack = (uint32_t)i * 2654435761u,
            .flags = TCP_ACK,
            .wnd = 1000,
        };
        memcpy(t.src_mac, attacker->mac, 6);
        memcpy(t.dst_mac, hb->mac, 6);
        sim_send(attacker, frame, pkt_build_tcp(frame, sizeof(frame), &t));
    }
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_snmp_get(hb->ns)->tcpext.SyncookiesRecv, 0);
    cr_assert_eq(net_snmp_get(hb->ns)->tcpext.SyncookiesFailed, 1000);
    cr_assert_leq(hb->ns->tcp.npcbs, 2);
}

/* ---- ports and binding ---- */

Test(net_tcp_api, bind_rules)
{
    struct net_sock *a, *b, *c;
    struct net_sockaddr_in any80 = net_sockaddr(0, 80), me80 = net_sockaddr(B_ADDR, 80);
    struct net_sockaddr_in other = net_sockaddr(IP4(10, 9, 9, 9), 80), got;
    int one = 1;

    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_STREAM, 0, &a), 0);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_STREAM, 0, &b), 0);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_STREAM, 0, &c), 0);
    cr_assert_eq(net_sock_bind(a, &other), -EADDRNOTAVAIL);
    cr_assert_eq(net_sock_bind(a, &any80), 0);
    cr_assert_eq(net_sock_bind(a, &any80), -EINVAL, "bound twice");
    cr_assert_eq(net_sock_bind(b, &me80), -EADDRINUSE);
    cr_assert_eq(net_sock_listen(a, 5), 0);
    /* SO_REUSEADDR does not let a second socket take a listening port. */
    net_sock_setopt(b, NET_SOL_SOCKET, NET_SO_REUSEADDR, &one, sizeof(one));
    cr_assert_eq(net_sock_bind(b, &any80), -EADDRINUSE);
    /* SO_REUSEPORT on both does. */
    net_sock_close(a);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_STREAM, 0, &a), 0);
    net_sock_setopt(a, NET_SOL_SOCKET, NET_SO_REUSEPORT, &one, sizeof(one));
    net_sock_setopt(c, NET_SOL_SOCKET, NET_SO_REUSEPORT, &one, sizeof(one));
    cr_assert_eq(net_sock_bind(a, &any80), 0);
    cr_assert_eq(net_sock_bind(c, &any80), 0);
    cr_assert_eq(net_sock_listen(a, 5), 0);
    cr_assert_eq(net_sock_listen(c, 5), 0);
    /* Port 0 picks an ephemeral port. */
    struct net_sockaddr_in zero = net_sockaddr(0, 0);
    cr_assert_eq(net_sock_bind(b, &zero), 0);
    cr_assert_eq(net_sock_getname(b, &got, false), 0);
    cr_assert_geq(net_ntohs(got.sin_port), 32768);
    cr_assert_eq(net_sock_getname(b, &got, true), -ENOTCONN);
}

Test(net_tcp_api, reuseaddr_binds_over_time_wait)
{
    struct net_sock *l = test_listen(hb->ns, 80, 8), *c, *s, *n;
    struct net_sockaddr_in any = net_sockaddr(0, 80);
    int one = 1;

    /* The server closes first, so its side of the connection waits. */
    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
    net_sock_close(s);
    sim_run(&sim, 50 * MS);
    net_sock_close(c);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(hb->ns->tcp.ntime_wait, 1);
    net_sock_close(l);
    /* A restarted server: without SO_REUSEADDR the port is busy... */
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_STREAM, 0, &n), 0);
    cr_assert_eq(net_sock_bind(n, &any), -EADDRINUSE);
    /* ...with it (on both, as the old listener had it) it is free. */
    net_sock_setopt(n, NET_SOL_SOCKET, NET_SO_REUSEADDR, &one, sizeof(one));
    cr_assert_eq(net_sock_bind(n, &any), 0);
    cr_assert_eq(net_sock_listen(n, 8), 0);
}

Test(net_tcp_api, many_connections_get_distinct_ports)
{
    struct net_sock *l = test_listen(hb->ns, 80, 256), *c, *s;
    struct net_sockaddr_in a;
    static uint16_t ports[200];

    for (int i = 0; i < 200; i++) {
        cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
        net_sock_getname(c, &a, false);
        ports[i] = net_ntohs(a.sin_port);
        for (int k = 0; k < i; k++)
            cr_assert_neq(ports[k], ports[i]);
    }
    cr_assert_eq(net_snmp_get(ha->ns)->tcp.ActiveOpens, 200);
    cr_assert_eq(net_snmp_get(hb->ns)->tcp.PassiveOpens, 200);
}

/* ---- options ---- */

Test(net_tcp_api, socket_and_tcp_options)
{
    struct net_sock *c, *s;
    int v = 0, one = 1;
    size_t len = sizeof(v);
    char cc[16];

    pair(&c, &s);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_SOCKET, NET_SO_TYPE, &v, &len), 0);
    cr_assert_eq(v, NET_SOCK_STREAM);
    len = sizeof(v);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_SOCKET, NET_SO_PROTOCOL, &v, &len), 0);
    cr_assert_eq(v, IPPROTO_TCP);
    /* SO_SNDBUF: Linux doubles what is asked. */
    v = 50000;
    cr_assert_eq(net_sock_setopt(c, NET_SOL_SOCKET, NET_SO_SNDBUF, &v, sizeof(v)), 0);
    len = sizeof(v);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_SOCKET, NET_SO_SNDBUF, &v, &len), 0);
    cr_assert_eq(v, 100000);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_NODELAY, &one, sizeof(one)), 0);
    len = sizeof(v);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_TCP, NET_TCP_NODELAY, &v, &len), 0);
    cr_assert_eq(v, 1);
    v = 0;
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_KEEPIDLE, &v, sizeof(v)), -EINVAL);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, 9999, &one, sizeof(one)), -ENOPROTOOPT);
    cr_assert_eq(net_sock_setopt(c, 99, 1, &one, sizeof(one)), -ENOPROTOOPT);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_NODELAY, &one, 2), -EINVAL);
    len = sizeof(v);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_TCP, NET_TCP_MAXSEG, &v, &len), 0);
    cr_assert_eq(v, 1448);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_CONGESTION, "reno", 4), 0);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_CONGESTION, "bbr", 3), -ENOENT);
    len = sizeof(cc);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_TCP, NET_TCP_CONGESTION, cc, &len), 0);
    cr_assert_str_eq(cc, "reno");
}

Test(net_tcp_api, maxseg_limits_segments)
{
    struct net_sock *l = test_listen(hb->ns, 80, 4), *c, *s;
    struct net_sockaddr_in a = net_sockaddr(B_ADDR, 80);
    static uint8_t buf[10000];
    int mss = 500;
    struct connect_wait {
        int dummy;
    };

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &c), 0);
    cr_assert_eq(net_sock_setopt(c, NET_SOL_TCP, NET_TCP_MAXSEG, &mss, sizeof(mss)), 0);
    cr_assert_eq(net_sock_connect(c, &a), -EINPROGRESS);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_sock_accept(l, &s, NULL), 0);
    /* Both directions: our segments and the peer's (we announced 500). */
    cr_assert_leq(test_info(c).tcpi_snd_mss, 500 - 12);
    cr_assert_leq(test_info(s).tcpi_snd_mss, 500 - 12);
    cr_assert_eq(net_sock_send(s, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    sim_run(&sim, 200 * MS);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    cr_assert_geq(test_info(c).tcpi_data_segs_in, 10000 / 488);
}

Test(net_tcp_api, tcp_info_reports_the_connection)
{
    struct net_sock *c, *s;
    struct net_tcp_info info;
    size_t len = sizeof(info);

    pair(&c, &s);
    cr_assert_eq(test_transfer(&sim, c, s, 100000, 10 * SEC), 100000);
    sim_run(&sim, 100 * MS);
    cr_assert_eq(net_sock_getopt(c, NET_SOL_TCP, NET_TCP_INFO, &info, &len), 0);
    cr_assert_eq(len, sizeof(info));
    cr_assert_eq(info.tcpi_bytes_acked, 100000);
    cr_assert_eq(test_info(s).tcpi_bytes_received, 100000);
    cr_assert_geq(info.tcpi_data_segs_out, 100000 / 1448);
    cr_assert_eq(info.tcpi_unacked, 0);
    cr_assert_eq(info.tcpi_notsent_bytes, 0);
    cr_assert_geq(info.tcpi_min_rtt, 4000);
    /* SRTT plus the 200 ms floor on the variance term (tcp_rtt_sample). */
    cr_assert_geq(info.tcpi_rto, 200000 + info.tcpi_rtt - 1);
    cr_assert_lt(info.tcpi_rto, 200000 + info.tcpi_rtt + 1000);
    cr_assert_eq(net_sock_tcp_info(s, &info), 0);
    cr_assert_eq(info.tcpi_state, NET_TCPS_ESTABLISHED);
}

/* ---- loopback ---- */

Test(net_tcp_api, loopback_and_own_address)
{
    struct net_sock *l = test_listen(ha->ns, 8080, 8), *c, *s;
    uint64_t wire = ha->sent;

    cr_assert(test_connect(&sim, ha->ns, IP4_LOOPBACK, 8080, l, &c, &s));
    cr_assert_eq(test_transfer(&sim, c, s, 8 << 20, 10 * SEC), 8u << 20);
    cr_assert_eq(test_transfer(&sim, s, c, 1 << 20, 10 * SEC), 1u << 20);
    /* The big loopback MTU gives big segments. */
    cr_assert_gt(test_info(c).tcpi_snd_mss, 60000);
    /* Our own Ethernet address goes through the loopback too. */
    cr_assert(test_connect(&sim, ha->ns, A_ADDR, 8080, l, &c, &s));
    cr_assert_eq(test_transfer(&sim, c, s, 1 << 20, 10 * SEC), 1u << 20);
    cr_assert_eq(ha->sent, wire, "nothing went on the wire");
}

static int lock_checks;

static bool always_held(void)
{
    lock_checks++;
    return true;
}

Test(net_tcp_api, every_entry_point_checks_the_lock)
{
    struct net_sock *s;
    struct pbuf *p = pbuf_alloc(0, 60);
    int before;

    net_set_lock_check(ha->ns, always_held);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &s), 0);
    cr_assert_eq(lock_checks, 1);
    net_sock_poll(s);
    net_sock_close(s);
    cr_assert_eq(lock_checks, 3);
    memset(p->data, 0, 60);
    before = lock_checks;
    netif_input(ha->nif, p);
    net_timer(ha->ns, sim_now());
    netif_set_up(ha->nif, true);
    cr_assert_eq(lock_checks, before + 3);
    net_set_lock_check(ha->ns, NULL);
}

static bool never_held(void)
{
    return false;
}

Test(net_tcp_api, calling_without_the_lock_is_a_bug, .signal = SIGABRT)
{
    struct net_sock *s;

    net_set_lock_check(ha->ns, never_held);
    net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &s);
}
