/*
 * IPv4 and ICMP: header validation and the counters of what is dropped,
 * reassembly (order, duplicates, overlaps, limits, timeouts), fragmenting
 * on output, TTL, echo, errors and their rate limit.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/snmp.h"
#include "net/stack.h"
#include "nettest.h"

#define A_ADDR IP4(10, 0, 0, 1)
#define B_ADDR IP4(10, 0, 0, 2)
#define P_ADDR IP4(10, 0, 0, 3)

static struct sim sim;
static struct sim_port *ha, *hb;
static struct peer peer;
static const struct net_snmp *sa;

static void setup(void)
{
    sim_init(&sim, 5);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    hb = sim_add_host(&sim, B_ADDR, NULL);
    peer_init(&peer, &sim, P_ADDR);
    sa = net_snmp_get(ha->ns);
    sim_run(&sim, 10 * MS);
}

static void teardown(void)
{
    peer_free(&peer);
    sim_destroy(&sim);
}

TestSuite(net_ip, .init = setup, .fini = teardown);

static struct net_sock *udp_bound(struct netstack *ns, uint16_t port)
{
    struct net_sock *s;
    struct net_sockaddr_in a = net_sockaddr(0, port);

    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &s), 0);
    cr_assert_eq(net_sock_bind(s, &a), 0);
    return s;
}

/* A UDP payload (header included) from the peer to A, as IP fragments. */
static void send_frag(uint16_t id, uint16_t off_bytes, bool more, const uint8_t *data, size_t len)
{
    uint8_t frame[2000];
    size_t n =
        pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR, IPPROTO_UDP, id,
                     (uint16_t)((off_bytes / 8) | (more ? IP_MF : 0)), 64, data, len);

    sim_send(peer.port, frame, n);
}

/* A UDP datagram to A's port 9 with a checksummed header, len bytes of payload. */
static uint8_t *udp_datagram(size_t len)
{
    uint8_t *u = malloc(UDP_HLEN + len);

    put_be16(u, 5000);
    put_be16(u + 2, 9);
    put_be16(u + 4, (uint16_t)(UDP_HLEN + len));
    put_be16(u + 6, 0);
    for (size_t i = 0; i < len; i++)
        u[UDP_HLEN + i] = (uint8_t)(i * 13);
    put_be16(u + 6, inet_csum_fold(inet_csum_partial(
                        u, UDP_HLEN + len,
                        inet_pseudo_sum(P_ADDR, A_ADDR, IPPROTO_UDP, (uint16_t)(UDP_HLEN + len)))));
    return u;
}

static ssize_t recv_all(struct net_sock *s, uint8_t *buf, size_t len)
{
    return net_sock_recv(s, buf, len, 0);
}

/* ---- header validation ---- */

static void raw_ip(uint8_t *frame, size_t len)
{
    sim_send(peer.port, frame, len);
    sim_run(&sim, 5 * MS);
}

Test(net_ip, bad_headers_are_counted_and_dropped)
{
    uint8_t frame[100], payload[8] = {0};
    size_t n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR,
                            IPPROTO_UDP, 1, 0, 64, payload, sizeof(payload));
    uint8_t *ip = frame + ETH_HLEN;
    uint8_t copy[100];

    memcpy(copy, frame, n);
    ip[0] = 0x65; /* version 6 */
    raw_ip(frame, n);
    memcpy(frame, copy, n);
    ip[0] = 0x44; /* IHL 4 */
    raw_ip(frame, n);
    memcpy(frame, copy, n);
    ip[10] ^= 1; /* checksum */
    raw_ip(frame, n);
    cr_assert_eq(sa->ip.InHdrErrors, 3);
    cr_assert_eq(sa->ipext.InCsumErrors, 1);
    memcpy(frame, copy, n);
    put_be16(ip + 2, 200); /* longer than the frame */
    put_be16(ip + 10, 0);
    put_be16(ip + 10, inet_csum(ip, 20));
    raw_ip(frame, n);
    cr_assert_eq(sa->ipext.InTruncatedPkts, 1);
    raw_ip(frame, ETH_HLEN + 10); /* shorter than a header */
    cr_assert_eq(sa->ip.InHdrErrors, 4);
    /* A broadcast source, and a destination that is not ours. */
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, IP4_BROADCAST, A_ADDR,
                     IPPROTO_UDP, 1, 0, 64, payload, sizeof(payload));
    raw_ip(frame, n);
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, IP4(10, 0, 0, 99),
                     IPPROTO_UDP, 1, 0, 64, payload, sizeof(payload));
    raw_ip(frame, n);
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, IP4(127, 0, 0, 1),
                     IPPROTO_UDP, 1, 0, 64, payload, sizeof(payload));
    raw_ip(frame, n);
    cr_assert_eq(sa->ip.InAddrErrors, 3);
    cr_assert_eq(sa->ip.InDelivers, 0);
    cr_assert_eq(sa->ip.InReceives, 8);
}

Test(net_ip, unknown_protocol_draws_protocol_unreachable)
{
    uint8_t frame[100], payload[8] = {1, 2, 3};
    size_t n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR, 99, 1, 0,
                            64, payload, sizeof(payload));
    struct pkt_info p;
    bool seen = false;

    raw_ip(frame, n);
    cr_assert_eq(sa->ip.InUnknownProtos, 1);
    for (int i = 0; i < peer.nframes; i++) {
        if (pkt_parse(peer.frames[i], peer.lens[i], &p) && p.proto == IPPROTO_ICMP &&
            p.icmp_type == ICMP_DEST_UNREACH && p.icmp_code == ICMP_PROT_UNREACH)
            seen = true;
    }
    cr_assert(seen);
}

Test(net_ip, ethernet_padding_is_trimmed)
{
    struct net_sock *s = udp_bound(ha->ns, 9);
    uint8_t *u = udp_datagram(4), frame[128], buf[64];
    size_t n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR,
                            IPPROTO_UDP, 1, 0, 64, u, UDP_HLEN + 4);

    memset(frame + n, 0xee, 20); /* the minimum-frame padding */
    raw_ip(frame, n + 20);
    cr_assert_eq(recv_all(s, buf, sizeof(buf)), 4);
    free(u);
}

/* ---- reassembly ---- */

Test(net_ip, reassembly_out_of_order_with_duplicates)
{
    struct net_sock *s = udp_bound(ha->ns, 9);
    uint8_t *u = udp_datagram(3000);
    static uint8_t buf[4000];

    send_frag(77, 1480, true, u + 1480, 1480);
    send_frag(77, 2960, false, u + 2960, 48);
    send_frag(77, 1480, true, u + 1480, 1480); /* duplicate */
    send_frag(77, 0, true, u, 1480);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(recv_all(s, buf, sizeof(buf)), 3000);
    cr_assert_arr_eq(buf, u + UDP_HLEN, 3000);
    cr_assert_eq(recv_all(s, buf, sizeof(buf)), -EAGAIN, "delivered once");
    cr_assert_eq(sa->ip.ReasmReqds, 4);
    cr_assert_eq(sa->ip.ReasmOKs, 1);
    cr_assert_eq(sa->ip.ReasmFails, 0);
    cr_assert_eq(ha->ns->reass.ndatagrams, 0);
    free(u);
}

Test(net_ip, overlapping_fragments_drop_the_datagram)
{
    struct net_sock *s = udp_bound(ha->ns, 9);
    uint8_t *u = udp_datagram(2000);
    static uint8_t buf[4000];

    send_frag(5, 0, true, u, 1000);
    send_frag(5, 992, false, u + 992, 1016); /* overlaps the first by 8 bytes */
    sim_run(&sim, 10 * MS);
    cr_assert_eq(recv_all(s, buf, sizeof(buf)), -EAGAIN);
    cr_assert_eq(sa->ip.ReasmFails, 1);
    cr_assert_eq(ha->ns->reass.ndatagrams, 0);
    cr_assert_eq(ha->ns->reass.bytes, 0);
    free(u);
}

Test(net_ip, reassembly_rejects_bad_fragments)
{
    uint8_t data[1600];

    memset(data, 0, sizeof(data));
    send_frag(1, 0, true, data, 1001);       /* not a multiple of 8 */
    send_frag(2, 65000, false, data, 1000);  /* ends beyond 65535 */
    send_frag(3, 0, true, data, 0);          /* empty with MF */
    send_frag(4, 1000 * 8, false, data, 16); /* last says 8016 bytes... */
    send_frag(4, 7000, true, data, 1600);    /* ...but this one goes beyond */
    sim_run(&sim, 10 * MS);
    cr_assert_eq(sa->ip.ReasmFails, 4);
    cr_assert_eq(ha->ns->reass.ndatagrams, 0);
}

Test(net_ip, reassembly_timeout_sends_time_exceeded)
{
    uint8_t *u = udp_datagram(3000);
    struct pkt_info p;
    int exceeded = 0;

    send_frag(9, 0, true, u, 1480);
    sim_run(&sim, 29 * SEC);
    cr_assert_eq(ha->ns->reass.ndatagrams, 1);
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(ha->ns->reass.ndatagrams, 0);
    cr_assert_eq(sa->ip.ReasmTimeout, 1);
    for (int i = 0; i < peer.nframes; i++) {
        if (pkt_parse(peer.frames[i], peer.lens[i], &p) && p.proto == IPPROTO_ICMP &&
            p.icmp_type == ICMP_TIME_EXCEEDED && p.icmp_code == ICMP_EXC_FRAGTIME)
            exceeded++;
    }
    cr_assert_eq(exceeded, 1);
    /* Without the first fragment there is nothing to quote: no ICMP. */
    send_frag(10, 1480, true, u + 1480, 1480);
    sim_run(&sim, 31 * SEC);
    cr_assert_eq(sa->ip.ReasmTimeout, 2);
    cr_assert_eq(sa->icmp.OutTimeExcds, 1);
    free(u);
}

Test(net_ip, reassembly_memory_is_bounded)
{
    uint8_t data[1480];
    size_t before = netenv_host_mem_live();

    memset(data, 0, sizeof(data));
    netenv_host_mem_reset_peak();
    /* 5000 incomplete datagrams: the oldest make way. */
    for (int i = 0; i < 5000; i++) {
        send_frag((uint16_t)i, 0, true, data, sizeof(data));
        if (i % 100 == 0)
            sim_run(&sim, 1 * MS);
    }
    sim_run(&sim, 10 * MS);
    cr_assert_leq(ha->ns->reass.ndatagrams, 64);
    cr_assert_leq(ha->ns->reass.bytes, 256 * 1024);
    cr_assert_lt(netenv_host_mem_peak() - before, 400 * 1024);
    cr_assert_gt(sa->ip.ReasmFails, 4900);
    sim_run(&sim, 31 * SEC);
    cr_assert_eq(ha->ns->reass.ndatagrams, 0);
    cr_assert_eq(netenv_host_mem_live(), before);
}

Test(net_ip, too_many_fragments_per_datagram)
{
    uint8_t data[8];

    memset(data, 0, sizeof(data));
    for (int i = 0; i < 100; i++)
        send_frag(3, (uint16_t)(i * 16), true, data, 8);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(sa->ip.ReasmFails, 1, "dropped at fragment 65");
    cr_assert_leq(ha->ns->reass.ndatagrams, 1);
}

/* ---- fragmentation on output ---- */

Test(net_ip, large_datagrams_are_fragmented_and_reassembled)
{
    struct net_sock *a, *b = udp_bound(hb->ns, 9);
    static uint8_t msg[20000], buf[20000];

    struct net_sockaddr_in to = net_sockaddr(B_ADDR, 9);
    struct net_uio uio;

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, 0, &a), 0);
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i ^ (i >> 8));
    net_uio_kernel(&uio, msg, sizeof(msg));
    cr_assert_eq(net_sock_sendmsg(a, &uio, 0, &to), (ssize_t)sizeof(msg));
    sim_run(&sim, 20 * MS);
    cr_assert_eq(recv_all(b, buf, sizeof(buf)), (ssize_t)sizeof(msg));
    cr_assert_arr_eq(buf, msg, sizeof(msg));
    cr_assert_eq(sa->ip.FragOKs, 1);
    cr_assert_eq(sa->ip.FragCreates, 14); /* 20008 bytes in 1480-byte pieces */
    cr_assert_eq(net_snmp_get(hb->ns)->ip.ReasmOKs, 1);
    /* The biggest datagram there is, and one byte more. */
    {
        static uint8_t huge[65508], back[65508];
        for (size_t i = 0; i < sizeof(huge); i++)
            huge[i] = (uint8_t)(i * 3);
        net_uio_kernel(&uio, huge, 65507);
        cr_assert_eq(net_sock_sendmsg(a, &uio, 0, &to), 65507);
        sim_run(&sim, 20 * MS);
        cr_assert_eq(recv_all(b, back, sizeof(back)), 65507);
        cr_assert_arr_eq(back, huge, 65507);
        net_uio_kernel(&uio, huge, 65508);
        cr_assert_eq(net_sock_sendmsg(a, &uio, 0, &to), -EMSGSIZE);
    }
}

/* ---- TTL ---- */

struct ttl_seen {
    uint8_t ttl;
    uint8_t tos;
};

static bool ttl_tap(struct sim *s, int from, const uint8_t *f, size_t len, void *arg)
{
    struct ttl_seen *t = arg;
    struct pkt_info p;

    (void)s;
    if (from == ha->index && pkt_parse(f, len, &p) && p.proto == IPPROTO_UDP) {
        t->ttl = p.ttl;
        t->tos = f[ETH_HLEN + 1];
    }
    return true;
}

Test(net_ip, ttl_and_tos_options)
{
    struct net_sock *a;
    struct net_sockaddr_in to = net_sockaddr(B_ADDR, 9);
    struct ttl_seen t = {0};
    int ttl = 3, tos = 0x10, v;
    size_t len = sizeof(v);

    udp_bound(hb->ns, 9);
    sim.tap = ttl_tap;
    sim.tap_arg = &t;
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, 0, &a), 0);
    cr_assert_eq(net_sock_connect(a, &to), 0);
    cr_assert_eq(net_sock_send(a, "x", 1, 0), 1);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(t.ttl, 64);
    cr_assert_eq(net_sock_setopt(a, NET_SOL_IP, NET_IP_TTL, &ttl, sizeof(ttl)), 0);
    cr_assert_eq(net_sock_setopt(a, NET_SOL_IP, NET_IP_TOS, &tos, sizeof(tos)), 0);
    cr_assert_eq(net_sock_send(a, "x", 1, 0), 1);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(t.ttl, 3);
    cr_assert_eq(t.tos, 0x10);
    cr_assert_eq(net_sock_getopt(a, NET_SOL_IP, NET_IP_TTL, &v, &len), 0);
    cr_assert_eq(v, 3);
    ttl = 256;
    cr_assert_eq(net_sock_setopt(a, NET_SOL_IP, NET_IP_TTL, &ttl, sizeof(ttl)), -EINVAL);
}

/* ---- ICMP ---- */

static size_t echo_request(uint8_t *frame, size_t size, uint32_t dst, const uint8_t dst_mac[6],
                           uint16_t id, uint16_t seq, bool bad_csum)
{
    uint8_t icmp[8 + 32];

    icmp[0] = ICMP_ECHO;
    icmp[1] = 0;
    put_be16(icmp + 2, 0);
    put_be16(icmp + 4, id);
    put_be16(icmp + 6, seq);
    for (int i = 0; i < 32; i++)
        icmp[8 + i] = (uint8_t)i;
    put_be16(icmp + 2, inet_csum(icmp, sizeof(icmp)) ^ (bad_csum ? 1 : 0));
    return pkt_build_ip(frame, size, dst_mac, peer.port->mac, P_ADDR, dst, IPPROTO_ICMP, 1, 0, 64,
                        icmp, sizeof(icmp));
}

Test(net_ip, echo_request_gets_reply)
{
    uint8_t frame[128];
    struct pkt_info p;
    bool replied = false;

    raw_ip(frame, echo_request(frame, sizeof(frame), A_ADDR, ha->mac, 0x1234, 7, false));
    for (int i = 0; i < peer.nframes; i++) {
        if (pkt_parse(peer.frames[i], peer.lens[i], &p) && p.proto == IPPROTO_ICMP &&
            p.icmp_type == ICMP_ECHOREPLY) {
            cr_assert_eq(get_be16(p.data + 4), 0x1234);
            cr_assert_eq(get_be16(p.data + 6), 7);
            cr_assert_eq(p.len, 40);
            cr_assert_eq(p.data[8 + 31], 31, "the payload comes back");
            cr_assert_eq(inet_csum(p.data, p.len), 0);
            replied = true;
        }
    }
    cr_assert(replied);
    cr_assert_eq(sa->icmp.InEchos, 1);
    cr_assert_eq(sa->icmp.OutEchoReps, 1);
}

Test(net_ip, echo_to_broadcast_and_bad_checksum_ignored)
{
    uint8_t frame[128];

    raw_ip(frame, echo_request(frame, sizeof(frame), IP4(10, 0, 0, 255),
                               (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 1, 1, false));
    raw_ip(frame, echo_request(frame, sizeof(frame), A_ADDR, ha->mac, 1, 2, true));
    cr_assert_eq(sa->icmp.InEchos, 1, "the broadcast one counts, the bad one does not");
    cr_assert_eq(sa->icmp.OutEchoReps, 0);
    cr_assert_eq(sa->icmp.InCsumErrors, 1);
}

Test(net_ip, port_unreachable_is_rate_limited)
{
    uint8_t *u = udp_datagram(10), frame[128];
    int unreach = 0;

    /* A knows the peer already, so no error waits for ARP. */
    raw_ip(frame, echo_request(frame, sizeof(frame), A_ADDR, ha->mac, 1, 1, false));
    struct pkt_info p;

    for (int i = 0; i < 500; i++) {
        size_t n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR,
                                IPPROTO_UDP, (uint16_t)i, 0, 64, u, UDP_HLEN + 10);
        sim_send(peer.port, frame, n);
    }
    sim_run(&sim, 10 * MS);
    for (int i = 0; i < peer.nframes; i++) {
        if (pkt_parse(peer.frames[i], peer.lens[i], &p) && p.proto == IPPROTO_ICMP &&
            p.icmp_type == ICMP_DEST_UNREACH && p.icmp_code == ICMP_PORT_UNREACH) {
            unreach++;
            /* The quote: the original IP header and the UDP header. */
            cr_assert_eq(get_be32(p.data + 8 + 12), P_ADDR);
            cr_assert_eq(get_be16(p.data + 8 + 20 + 2), 9);
        }
    }
    cr_assert_eq(net_snmp_get(ha->ns)->udp.NoPorts, 500);
    /* Echo replies are not rate limited; errors come in a burst of 50 plus 1000/s. */
    cr_assert_geq(unreach, 50);
    cr_assert_leq(unreach, 61);
    free(u);
}

Test(net_ip, no_icmp_error_about_icmp_errors)
{
    uint8_t icmp[8 + 28], frame[128];
    size_t n;

    memset(icmp, 0, sizeof(icmp));
    icmp[0] = ICMP_DEST_UNREACH;
    icmp[1] = ICMP_HOST_UNREACH;
    /* Quoting a packet from A to P (so it is "ours"). */
    icmp[8] = 0x45;
    put_be32(icmp + 8 + 12, A_ADDR);
    put_be32(icmp + 8 + 16, P_ADDR);
    icmp[8 + 9] = 200; /* an unknown protocol */
    put_be16(icmp + 2, inet_csum(icmp, sizeof(icmp)));
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR, IPPROTO_ICMP, 2,
                     0, 64, icmp, sizeof(icmp));
    raw_ip(frame, n);
    cr_assert_eq(sa->icmp.InDestUnreachs, 1);
    cr_assert_eq(sa->icmp.OutMsgs, 0);
}
