/*
 * UDP sockets (checksums, broadcast, connected sockets and ICMP errors,
 * peek and truncation, buffer limits, binding) and ICMP echo ("ping")
 * sockets.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/snmp.h"
#include "nettest.h"

#define A_ADDR IP4(10, 0, 0, 1)
#define B_ADDR IP4(10, 0, 0, 2)
#define C_ADDR IP4(10, 0, 0, 3)

static struct sim sim;
static struct sim_port *ha, *hb, *hc;

static void setup(void)
{
    sim_init(&sim, 9);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    hb = sim_add_host(&sim, B_ADDR, NULL);
    hc = sim_add_host(&sim, C_ADDR, NULL);
    sim_run(&sim, 10 * MS);
}

static void teardown(void)
{
    sim_destroy(&sim);
}

TestSuite(net_udp, .init = setup, .fini = teardown);

static struct net_sock *udp(struct netstack *ns, uint16_t port)
{
    struct net_sock *s;
    struct net_sockaddr_in a = net_sockaddr(0, port);

    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &s), 0);
    if (port != 0)
        cr_assert_eq(net_sock_bind(s, &a), 0);
    return s;
}

static ssize_t sendto(struct net_sock *s, uint32_t addr, uint16_t port, const void *msg, size_t len)
{
    struct net_uio uio;
    struct net_sockaddr_in to = net_sockaddr(addr, port);

    net_uio_kernel(&uio, (void *)msg, len);
    return net_sock_sendmsg(s, &uio, 0, &to);
}

static ssize_t recvfrom(struct net_sock *s, void *buf, size_t len, int flags,
                        struct net_sockaddr_in *from, int *mflags)
{
    struct net_uio uio;

    net_uio_kernel(&uio, buf, len);
    return net_sock_recvmsg(s, &uio, flags, from, mflags);
}

Test(net_udp, datagrams_both_ways_with_addresses)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 53);
    struct net_sockaddr_in from, me;
    char buf[64];

    cr_assert_eq(sendto(a, B_ADDR, 53, "query", 5), 5);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_poll(b), NET_EPOLLIN | NET_EPOLLRDNORM | NET_EPOLLOUT | NET_EPOLLWRNORM);
    cr_assert_eq(recvfrom(b, buf, sizeof(buf), 0, &from, NULL), 5);
    cr_assert_arr_eq(buf, "query", 5);
    cr_assert_eq(from.sin_addr, net_htonl(A_ADDR));
    net_sock_getname(a, &me, false);
    cr_assert_eq(from.sin_port, me.sin_port, "sent from the auto-bound port");
    cr_assert_geq(net_ntohs(me.sin_port), 32768);
    cr_assert_eq(sendto(b, A_ADDR, net_ntohs(from.sin_port), "answer", 6), 6);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(recvfrom(a, buf, sizeof(buf), 0, &from, NULL), 6);
    cr_assert_eq(from.sin_port, net_htons(53));
    cr_assert_eq(net_snmp_get(hb->ns)->udp.InDatagrams, 1);
    cr_assert_eq(net_snmp_get(ha->ns)->udp.OutDatagrams, 1);
}

Test(net_udp, empty_datagram_and_truncation)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 9);
    char buf[4];
    int mflags;

    cr_assert_eq(sendto(a, B_ADDR, 9, "", 0), 0);
    cr_assert_eq(sendto(a, B_ADDR, 9, "0123456789", 10), 10);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(recvfrom(b, buf, sizeof(buf), 0, NULL, &mflags), 0);
    cr_assert_eq(mflags, 0);
    cr_assert_eq(net_sock_inq(b), 10, "FIONREAD: the next datagram's size");
    cr_assert_eq(recvfrom(b, buf, sizeof(buf), NET_MSG_PEEK, NULL, &mflags), 4);
    cr_assert_eq(mflags, NET_MSG_TRUNC);
    cr_assert_eq(recvfrom(b, buf, sizeof(buf), NET_MSG_TRUNC, NULL, &mflags), 10,
                 "MSG_TRUNC returns the real length");
    cr_assert_arr_eq(buf, "0123", 4);
    cr_assert_eq(recvfrom(b, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN, "the rest is gone");
}

Test(net_udp, connected_socket_filters_and_gets_icmp_errors)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 7), *c = udp(hc->ns, 0);
    struct net_sockaddr_in to = net_sockaddr(B_ADDR, 7), peer;
    char buf[16];

    cr_assert_eq(net_sock_getname(a, &peer, true), -ENOTCONN);
    cr_assert_eq(net_sock_send(a, "x", 1, 0), -EDESTADDRREQ);
    cr_assert_eq(net_sock_connect(a, &to), 0);
    cr_assert_eq(net_sock_getname(a, &peer, true), 0);
    cr_assert_eq(peer.sin_addr, net_htonl(B_ADDR));
    /* Datagrams from elsewhere do not reach a connected socket. */
    struct net_sockaddr_in me;
    net_sock_getname(a, &me, false);
    cr_assert_eq(me.sin_addr, net_htonl(A_ADDR), "getsockname shows the route's source");
    cr_assert_eq(sendto(c, A_ADDR, net_ntohs(me.sin_port), "spam", 4), 4);
    cr_assert_eq(sendto(b, A_ADDR, net_ntohs(me.sin_port), "real", 4), 4);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_recv(a, buf, sizeof(buf), 0), 4);
    cr_assert_arr_eq(buf, "real", 4);
    cr_assert_eq(net_sock_recv(a, buf, sizeof(buf), 0), -EAGAIN);
    /* B goes away: the port unreachable comes back as ECONNREFUSED. */
    net_sock_close(b);
    cr_assert_eq(net_sock_send(a, "x", 1, 0), 1);
    sim_run(&sim, 10 * MS);
    cr_assert(net_sock_poll(a) & NET_EPOLLERR);
    cr_assert_eq(net_sock_recv(a, buf, sizeof(buf), 0), -ECONNREFUSED);
    cr_assert_eq(net_sock_recv(a, buf, sizeof(buf), 0), -EAGAIN, "reported once");
    cr_assert_eq(net_sock_send(a, "x", 1, 0), 1);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_send(a, "x", 1, 0), -ECONNREFUSED, "send reports it too");
    /* AF_UNSPEC dissolves the association. */
    struct net_sockaddr_in unspec = {0};
    cr_assert_eq(net_sock_connect(a, &unspec), 0);
    cr_assert_eq(net_sock_getname(a, &peer, true), -ENOTCONN);
}

Test(net_udp, checksums_are_verified)
{
    struct net_sock *b = udp(hb->ns, 9);
    struct sim_port *attacker = sim_add_scripted(&sim, NULL, NULL);
    uint8_t frame[128];
    size_t n;
    char buf[16];

    n = pkt_build_udp(frame, sizeof(frame), hb->mac, attacker->mac, IP4(10, 0, 0, 9), B_ADDR, 1, 9,
                      (const uint8_t *)"good", 4);
    sim_send(attacker, frame, n);
    frame[n - 1] ^= 0x40; /* payload bit flip */
    sim_send(attacker, frame, n);
    n = pkt_build_udp(frame, sizeof(frame), hb->mac, attacker->mac, IP4(10, 0, 0, 9), B_ADDR, 1, 9,
                      (const uint8_t *)"zero", 4);
    put_be16(frame + ETH_HLEN + IP_HLEN + 6, 0); /* "no checksum" is allowed in IPv4 */
    sim_send(attacker, frame, n);
    /* A length field that does not match the packet. */
    put_be16(frame + ETH_HLEN + IP_HLEN + 4, 60);
    sim_send(attacker, frame, n);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 4);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 4);
    cr_assert_arr_eq(buf, "zero", 4);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), -EAGAIN);
    cr_assert_eq(net_snmp_get(hb->ns)->udp.InCsumErrors, 1);
    cr_assert_eq(net_snmp_get(hb->ns)->udp.InErrors, 2);
}

Test(net_udp, broadcast_needs_so_broadcast_and_reaches_everyone)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 67), *c = udp(hc->ns, 67);
    struct net_sock *b2 = udp(hb->ns, 68);
    int one = 1;
    char buf[16];

    cr_assert_eq(sendto(a, IP4_BROADCAST, 67, "hi all", 6), -EACCES);
    cr_assert_eq(sendto(a, IP4(10, 0, 0, 255), 67, "hi all", 6), -EACCES);
    cr_assert_eq(net_sock_setopt(a, NET_SOL_SOCKET, NET_SO_BROADCAST, &one, sizeof(one)), 0);
    cr_assert_eq(sendto(a, IP4_BROADCAST, 67, "hi all", 6), 6);
    cr_assert_eq(sendto(a, IP4(10, 0, 0, 255), 67, "subnet", 6), 6);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 6);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 6);
    cr_assert_arr_eq(buf, "subnet", 6);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), 6);
    cr_assert_eq(net_sock_recv(c, buf, sizeof(buf), 0), 6);
    cr_assert_eq(net_sock_recv(b2, buf, sizeof(buf), 0), -EAGAIN, "another port");
    /* No port unreachable for broadcasts nobody wanted. */
    cr_assert_eq(sendto(a, IP4_BROADCAST, 999, "nobody", 6), 6);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_snmp_get(hb->ns)->icmp.OutMsgs, 0);
    cr_assert_eq(net_snmp_get(hb->ns)->udp.IgnoredMulti, 1);
}

Test(net_udp, shared_port_with_reuseaddr)
{
    struct net_sock *a = udp(ha->ns, 0), *b1, *b2, *b3;
    struct net_sockaddr_in p = net_sockaddr(0, 5353);
    int one = 1, one2 = 1;
    char buf[8];

    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_DGRAM, 0, &b1), 0);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_DGRAM, 0, &b2), 0);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_DGRAM, 0, &b3), 0);
    cr_assert_eq(net_sock_bind(b1, &p), 0);
    cr_assert_eq(net_sock_bind(b2, &p), -EADDRINUSE);
    net_sock_close(b1);
    cr_assert_eq(net_sock_create(hb->ns, NET_SOCK_DGRAM, 0, &b1), 0);
    net_sock_setopt(b1, NET_SOL_SOCKET, NET_SO_REUSEADDR, &one, sizeof(one));
    net_sock_setopt(b2, NET_SOL_SOCKET, NET_SO_REUSEPORT, &one2, sizeof(one2));
    cr_assert_eq(net_sock_bind(b1, &p), 0);
    cr_assert_eq(net_sock_bind(b2, &p), 0);
    cr_assert_eq(net_sock_bind(b3, &p), -EADDRINUSE, "b3 did not ask to share");
    /* A unicast datagram goes to one of them. */
    cr_assert_eq(sendto(a, B_ADDR, 5353, "one", 3), 3);
    sim_run(&sim, 10 * MS);
    cr_assert_eq((net_sock_recv(b1, buf, sizeof(buf), 0) == 3) +
                     (net_sock_recv(b2, buf, sizeof(buf), 0) == 3),
                 1);
}

Test(net_udp, receive_buffer_overflow_is_counted)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 9);
    int small = 4096, got = 0;
    static uint8_t msg[1000];
    char buf[1000];

    cr_assert_eq(net_sock_setopt(b, NET_SOL_SOCKET, NET_SO_RCVBUF, &small, sizeof(small)), 0);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(sendto(a, B_ADDR, 9, msg, sizeof(msg)), (ssize_t)sizeof(msg));
    sim_run(&sim, 10 * MS);
    while (net_sock_recv(b, buf, sizeof(buf), 0) > 0)
        got++;
    cr_assert_gt(got, 2);
    cr_assert_lt(got, 10);
    cr_assert_eq(net_snmp_get(hb->ns)->udp.RcvbufErrors, 50 - (unsigned)got);
    cr_assert_eq(net_snmp_get(hb->ns)->udp.InDatagrams, (unsigned)got);
}

Test(net_udp, errors_and_limits)
{
    struct net_sock *a = udp(ha->ns, 0), *b;
    static uint8_t big[70000];
    struct net_sockaddr_in bad = net_sockaddr(B_ADDR, 9), p9 = net_sockaddr(0, 9);
    int v;
    size_t len = sizeof(v);

    cr_assert_eq(sendto(a, B_ADDR, 9, big, 65508), -EMSGSIZE);
    cr_assert_eq(sendto(a, B_ADDR, 0, "x", 1), -EINVAL);
    bad.sin_family = 10; /* AF_INET6 */
    cr_assert_eq(net_sock_bind(a, &bad), -EAFNOSUPPORT);
    cr_assert_eq(net_sock_listen(a, 5), -EOPNOTSUPP);
    cr_assert_eq(net_sock_shutdown(a, NET_SHUT_RD), -ENOTCONN);
    cr_assert_eq(net_sock_shutdown(a, 7), -EINVAL);
    cr_assert_eq(net_sock_getopt(a, NET_SOL_SOCKET, NET_SO_TYPE, &v, &len), 0);
    cr_assert_eq(v, NET_SOCK_DGRAM);
    cr_assert_eq(net_sock_tcp_info(a, NULL), -EOPNOTSUPP);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, IPPROTO_TCP, &b), -EPROTONOSUPPORT);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, IPPROTO_UDP, &b), -EPROTONOSUPPORT);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, NET_IPPROTO_MPTCP, &b), -EPROTONOSUPPORT);
    cr_assert_eq(net_sock_create(ha->ns, 3 /* SOCK_RAW */, 0, &b), -ESOCKTNOSUPPORT);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, 0, &b), 0);
    cr_assert_eq(net_sock_bind(b, &p9), 0);
    cr_assert_eq(net_sock_bind(b, &p9), -EINVAL);
    /* Shut down both ways: reads end, writes fail. */
    struct net_sockaddr_in to = net_sockaddr(B_ADDR, 9);
    cr_assert_eq(net_sock_connect(b, &to), 0);
    cr_assert_eq(net_sock_shutdown(b, NET_SHUT_RDWR), 0);
    cr_assert_eq(net_sock_send(b, "x", 1, 0), -EPIPE);
    cr_assert_eq(net_sock_recv(b, big, 10, 0), 0);
    cr_assert(net_sock_poll(b) & NET_EPOLLHUP);
}

Test(net_udp, many_messages_under_loss_are_counted_not_corrupted)
{
    struct net_sock *a = udp(ha->ns, 0), *b = udp(hb->ns, 9);
    int sent = 0, got = 0;
    uint8_t msg[200], buf[256];

    ha->cfg.loss_ppm = 100000;
    ha->cfg.corrupt_ppm = 50000;
    for (int i = 0; i <= 2000; i++) {
        if (i < 2000) {
            memset(msg, (uint8_t)i, sizeof(msg));
            msg[0] = (uint8_t)(i >> 8);
            msg[1] = (uint8_t)i;
            cr_assert_eq(sendto(a, B_ADDR, 9, msg, sizeof(msg)), (ssize_t)sizeof(msg));
            sent++;
        }
        if (i % 50 != 0)
            continue;
        sim_run(&sim, 1 * MS);
        for (;;) {
            ssize_t n = net_sock_recv(b, buf, sizeof(buf), 0);
            int k;
            if (n < 0)
                break;
            cr_assert_eq(n, (ssize_t)sizeof(msg));
            k = buf[0] << 8 | buf[1];
            for (size_t j = 2; j < sizeof(msg); j++)
                cr_assert_eq(buf[j], (uint8_t)k, "a corrupted datagram got through");
            got++;
        }
    }
    cr_assert_lt(got, sent);
    cr_assert_gt(got, sent * 8 / 10);
    cr_assert_gt(net_snmp_get(hb->ns)->udp.InCsumErrors + net_snmp_get(hb->ns)->ip.InHdrErrors, 0);
}

/* ---- ping sockets ---- */

Test(net_udp, ping_socket_echo)
{
    struct net_sock *p;
    uint8_t req[8 + 16] = {ICMP_ECHO, 0, 0, 0, 0x11, 0x22, 0, 5}, buf[64];
    struct net_sockaddr_in from, me;
    struct net_uio uio;
    int proto;
    size_t len = sizeof(proto);

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, IPPROTO_ICMP, &p), 0);
    cr_assert_eq(net_sock_getopt(p, NET_SOL_SOCKET, NET_SO_PROTOCOL, &proto, &len), 0);
    cr_assert_eq(proto, IPPROTO_ICMP);
    memset(req + 8, 'p', 16);
    cr_assert_eq(sendto(p, B_ADDR, 0, req, sizeof(req)), (ssize_t)sizeof(req));
    sim_run(&sim, 10 * MS);
    net_uio_kernel(&uio, buf, sizeof(buf));
    cr_assert_eq(net_sock_recvmsg(p, &uio, 0, &from, NULL), (ssize_t)sizeof(req));
    cr_assert_eq(buf[0], ICMP_ECHOREPLY);
    cr_assert_eq(from.sin_addr, net_htonl(B_ADDR));
    /* The identifier is the socket's own, not what we wrote. */
    net_sock_getname(p, &me, false);
    cr_assert_eq(get_be16(buf + 4), net_ntohs(me.sin_port));
    cr_assert_eq(get_be16(buf + 6), 5, "the sequence number is ours");
    cr_assert_arr_eq(buf + 8, req + 8, 16);
    /* Ourselves, through the loopback. */
    cr_assert_eq(sendto(p, IP4_LOOPBACK, 0, req, sizeof(req)), (ssize_t)sizeof(req));
    cr_assert_eq(net_sock_recvmsg(p, &uio, 0, &from, NULL), (ssize_t)sizeof(req));
    cr_assert_eq(from.sin_addr, net_htonl(IP4_LOOPBACK));
    /* Only echo requests may be sent. */
    req[0] = ICMP_TIMESTAMP;
    cr_assert_eq(sendto(p, B_ADDR, 0, req, sizeof(req)), -EINVAL);
    cr_assert_eq(sendto(p, B_ADDR, 0, req, 4), -EINVAL);
}

Test(net_udp, ping_replies_go_to_the_right_socket)
{
    struct net_sock *p1, *p2;
    uint8_t req[8] = {ICMP_ECHO, 0, 0, 0, 0, 0, 0, 1}, buf[64];

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, IPPROTO_ICMP, &p1), 0);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, IPPROTO_ICMP, &p2), 0);
    cr_assert_eq(sendto(p1, B_ADDR, 0, req, sizeof(req)), (ssize_t)sizeof(req));
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_recv(p2, buf, sizeof(buf), 0), -EAGAIN);
    cr_assert_eq(net_sock_recv(p1, buf, sizeof(buf), 0), 8);
}
