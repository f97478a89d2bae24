/*
 * Ethernet, ARP, interfaces, routes and the loopback: resolution, the
 * queue of packets waiting for it, timeouts and refreshes, gratuitous ARP,
 * conflicts, floods; several interfaces; the default gateway.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/arp.h"
#include "net/route.h"
#include "net/snmp.h"
#include "net/stack.h"
#include "nettest.h"

#define A_ADDR IP4(10, 0, 0, 1)
#define B_ADDR IP4(10, 0, 0, 2)
#define P_ADDR IP4(10, 0, 0, 3)

static struct sim sim;
static struct sim_port *ha, *hb;
static struct peer peer;

static void setup(void)
{
    sim_init(&sim, 11);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    hb = sim_add_host(&sim, B_ADDR, NULL);
    peer_init(&peer, &sim, P_ADDR);
    ha->cfg.delay_ns = hb->cfg.delay_ns = peer.port->cfg.delay_ns = 1 * MS;
    sim_run(&sim, 10 * MS); /* gratuitous ARPs */
    peer.nframes = peer.next = 0;
}

static void teardown(void)
{
    peer_free(&peer);
    sim_destroy(&sim);
}

TestSuite(net_link, .init = setup, .fini = teardown);

static struct net_sock *udp_sock(struct netstack *ns, uint16_t port)
{
    struct net_sock *s;
    struct net_sockaddr_in a = net_sockaddr(0, port);

    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &s), 0);
    if (port != 0)
        cr_assert_eq(net_sock_bind(s, &a), 0);
    return s;
}

static ssize_t udp_to(struct net_sock *s, uint32_t addr, uint16_t port, const char *msg)
{
    struct net_uio uio;
    struct net_sockaddr_in to = net_sockaddr(addr, port);

    net_uio_kernel(&uio, (void *)msg, strlen(msg));
    return net_sock_sendmsg(s, &uio, 0, &to);
}

struct arp_seen {
    int requests, replies, gratuitous;
    uint32_t last_tpa;
    uint8_t last_dst[6];
};

static bool arp_tap(struct sim *s, int from, const uint8_t *f, size_t len, void *arg)
{
    struct arp_seen *a = arg;
    struct pkt_info p;

    (void)s;
    if (from != ha->index || !pkt_parse(f, len, &p) || p.ethertype != ETH_P_ARP)
        return true;
    if (p.arp_op == ARP_OP_REQUEST)
        a->requests++;
    else
        a->replies++;
    if (p.arp_spa == p.arp_tpa)
        a->gratuitous++;
    a->last_tpa = p.arp_tpa;
    memcpy(a->last_dst, f, 6);
    return true;
}

Test(net_link, arp_resolves_and_caches)
{
    struct net_sock *a = udp_sock(ha->ns, 0), *b = udp_sock(hb->ns, 7);
    struct arp_seen seen = {0};
    uint8_t mac[6];
    char buf[16];

    sim.tap = arp_tap;
    sim.tap_arg = &seen;
    cr_assert(!arp_lookup(ha->nif, B_ADDR, mac));
    cr_assert_eq(udp_to(a, B_ADDR, 7, "one"), 3);
    cr_assert_eq(udp_to(a, B_ADDR, 7, "two"), 3);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(seen.requests, 1, "one request for both packets");
    cr_assert(arp_lookup(ha->nif, B_ADDR, mac));
    cr_assert_arr_eq(mac, hb->mac, 6);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 3);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 3, "the queued packet went too");
    cr_assert_eq(udp_to(a, B_ADDR, 7, "three"), 5);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(seen.requests, 1, "cached");
    cr_assert_eq(net_snmp_get(ha->ns)->arp.Resolved, 1);
    /* B learned A from the request (RFC 826 merge): it did not ask. */
    cr_assert(arp_lookup(hb->nif, A_ADDR, mac));
    cr_assert_eq(net_snmp_get(hb->ns)->arp.OutRequests, 1, "only its gratuitous ARP");
}

Test(net_link, arp_queue_is_bounded_and_fails_cleanly)
{
    struct net_sock *a = udp_sock(ha->ns, 0);
    struct arp_seen seen = {0};
    const struct net_snmp *s = net_snmp_get(ha->ns);

    sim.tap = arp_tap;
    sim.tap_arg = &seen;
    for (int i = 0; i < 100; i++)
        cr_assert_eq(udp_to(a, IP4(10, 0, 0, 77), 7, "lost"), 4);
    cr_assert_eq(s->arp.QueueDrops, 36, "64 wait, 36 dropped");
    cr_assert_gt(ha->nif->arp_queue_bytes, 64 * 100);
    cr_assert_leq(ha->nif->arp_queue_bytes, 256 * 1024);
    sim_run(&sim, 5 * SEC);
    cr_assert_eq(seen.requests, 3, "three tries, a second apart");
    cr_assert_eq(s->arp.Failed, 1);
    cr_assert_eq(s->arp.QueueDrops, 100);
    cr_assert_eq(ha->nif->arp_queue_bytes, 0);
    /* Nothing is held any more. */
    for (uint32_t i = 0; i < ha->nif->arp_nentries; i++)
        cr_assert_eq(ha->nif->arp[i].qlen, 0);
}

Test(net_link, arp_entries_expire_or_refresh)
{
    struct net_sock *a = udp_sock(ha->ns, 0);
    struct arp_seen seen = {0};
    uint8_t mac[6];

    udp_sock(hb->ns, 7);
    cr_assert_eq(udp_to(a, B_ADDR, 7, "x"), 1);
    sim_run(&sim, 10 * MS);
    cr_assert(arp_lookup(ha->nif, B_ADDR, mac));
    /* Used every 10 s: at expiry it is confirmed by a unicast request. */
    sim.tap = arp_tap;
    sim.tap_arg = &seen;
    for (int i = 0; i < 7; i++) {
        sim_run(&sim, 10 * SEC);
        udp_to(a, B_ADDR, 7, "x");
    }
    cr_assert_eq(seen.requests, 1);
    cr_assert_arr_eq(seen.last_dst, hb->mac, 6, "the refresh goes to the known address");
    cr_assert(arp_lookup(ha->nif, B_ADDR, mac));
    /* Unused for a lifetime: forgotten. */
    sim_run(&sim, 125 * SEC);
    cr_assert(!arp_lookup(ha->nif, B_ADDR, mac));
}

Test(net_link, arp_refresh_failure_forgets)
{
    struct net_sock *a = udp_sock(ha->ns, 0);
    uint8_t mac[6];

    cr_assert_eq(udp_to(a, P_ADDR, 7, "x"), 1);
    sim_run(&sim, 10 * MS);
    cr_assert(arp_lookup(ha->nif, P_ADDR, mac));
    peer.addr = IP4(10, 0, 0, 99); /* the peer stops answering for P_ADDR */
    for (int i = 0; i < 8; i++) {
        sim_run(&sim, 10 * SEC);
        udp_to(a, P_ADDR, 7, "x");
    }
    sim_run(&sim, 5 * SEC);
    /* The confirmations went unanswered, so did the new requests. */
    cr_assert(!arp_lookup(ha->nif, P_ADDR, mac));
    cr_assert_geq(net_snmp_get(ha->ns)->arp.Failed, 1);
}

Test(net_link, gratuitous_arp_on_address_change_and_link_up)
{
    struct arp_seen seen = {0};

    sim.tap = arp_tap;
    sim.tap_arg = &seen;
    netif_set_addr(ha->nif, IP4(10, 0, 0, 50), IP4(255, 255, 255, 0), 0);
    cr_assert_eq(seen.gratuitous, 1);
    cr_assert_eq(seen.last_tpa, IP4(10, 0, 0, 50));
    cr_assert_arr_eq(seen.last_dst, "\xff\xff\xff\xff\xff\xff", 6);
    netif_set_link(ha->nif, false);
    netif_set_link(ha->nif, true);
    cr_assert_eq(seen.gratuitous, 2);
    /* Down and up administratively: no announcement while down. */
    netif_set_up(ha->nif, false);
    netif_set_link(ha->nif, false);
    netif_set_link(ha->nif, true);
    cr_assert_eq(seen.gratuitous, 2);
    netif_set_up(ha->nif, true);
    cr_assert_eq(seen.gratuitous, 3);
}

Test(net_link, arp_reply_and_conflict)
{
    uint8_t frame[64], zero[6] = {0};
    size_t n;

    /* The peer asks for A: A replies to the peer only. */
    n = pkt_build_arp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                      ARP_OP_REQUEST, peer.port->mac, P_ADDR, zero, A_ADDR);
    /* The peer port records only IP; look at the wire instead. */
    struct arp_seen seen = {0};
    sim.tap = arp_tap;
    sim.tap_arg = &seen;
    sim_send(peer.port, frame, n);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(seen.replies, 1);
    cr_assert_arr_eq(seen.last_dst, peer.port->mac, 6);
    /* A request for someone else: no answer. */
    n = pkt_build_arp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                      ARP_OP_REQUEST, peer.port->mac, P_ADDR, zero, IP4(10, 0, 0, 200));
    sim_send(peer.port, frame, n);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(seen.replies, 1);
    /* Somebody else claims A's address: counted and logged. */
    netenv_host_log_clear();
    n = pkt_build_arp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                      ARP_OP_REQUEST, peer.port->mac, A_ADDR, zero, A_ADDR);
    sim_send(peer.port, frame, n);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_snmp_get(ha->ns)->arp.Conflicts, 1);
    cr_assert(netenv_host_log_contains("is also used by 02:00:00:00:00:03"));
}

Test(net_link, arp_garbage_is_counted)
{
    uint8_t frame[64], zero[6] = {0};
    size_t n;
    const struct net_snmp *s = net_snmp_get(ha->ns);

    n = pkt_build_arp(frame, sizeof(frame), ha->mac, ARP_OP_REQUEST, peer.port->mac, P_ADDR, zero,
                      A_ADDR);
    frame[ETH_HLEN + 4] = 8; /* hardware length 8 */
    sim_send(peer.port, frame, n);
    sim_send(peer.port, frame, ETH_HLEN + 10); /* truncated */
    n = pkt_build_arp(frame, sizeof(frame), ha->mac, 9, peer.port->mac, P_ADDR, zero, A_ADDR);
    sim_send(peer.port, frame, n); /* op 9 */
    n = pkt_build_arp(frame, sizeof(frame), ha->mac, ARP_OP_REPLY,
                      (const uint8_t *)"\x01\x00\x5e\x00\x00\x01", P_ADDR, zero, A_ADDR);
    sim_send(peer.port, frame, n); /* multicast sender */
    sim_run(&sim, 10 * MS);
    cr_assert_eq(s->arp.InErrors, 4);
}

Test(net_link, arp_flood_is_bounded)
{
    uint8_t frame[64], zero[6] = {0}, mac[6] = {2, 9, 0, 0, 0, 0};
    size_t before = netenv_host_mem_live();
    int valid = 0;

    for (int i = 0; i < 5000; i++) {
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        size_t n = pkt_build_arp(frame, sizeof(frame), ha->mac, ARP_OP_REQUEST, mac,
                                 IP4(10, 1, (i >> 8) & 255, i & 255), zero, A_ADDR);
        sim_send(peer.port, frame, n);
        if (i % 500 == 0)
            sim_run(&sim, 1 * MS);
    }
    sim_run(&sim, 100 * MS);
    for (uint32_t i = 0; i < ha->nif->arp_nentries; i++)
        valid += ha->nif->arp[i].state != ARP_FREE;
    cr_assert_eq(valid, 256, "the cache is full, not bigger");
    cr_assert_gt(net_snmp_get(ha->ns)->arp.Evictions, 4000);
    cr_assert_eq(netenv_host_mem_live(), before, "the cache does not grow");
}

Test(net_link, ethernet_filtering)
{
    uint8_t frame[100];
    struct netif_stats before = ha->nif->stats;

    memset(frame, 0, sizeof(frame));
    memcpy(frame, "\x02\x00\x00\x00\x00\x42", 6); /* someone else's MAC */
    memcpy(frame + 6, peer.port->mac, 6);
    put_be16(frame + 12, ETH_P_IP);
    sim_send(peer.port, frame, 60);
    memcpy(frame, ha->mac, 6);
    put_be16(frame + 12, 0x86dd); /* IPv6: not ours */
    sim_send(peer.port, frame, 60);
    put_be16(frame + 12, ETH_P_VLAN);
    sim_send(peer.port, frame, 60);
    sim_send(peer.port, frame, 10); /* a runt */
    sim_run(&sim, 10 * MS);
    cr_assert_eq(ha->nif->stats.rx_dropped - before.rx_dropped, 3);
    cr_assert_eq(ha->nif->stats.rx_errors - before.rx_errors, 1);
    cr_assert_eq(ha->nif->stats.rx_packets - before.rx_packets, 4);
}

/* ---- interfaces and routes ---- */

Test(net_link, two_interfaces_two_networks)
{
    /* A has a second interface on segment 1 (10.0.1.0/24) where C lives. */
    struct sim_port *a2 = sim_attach(&sim, ha->ns, 1, IP4(10, 0, 1, 1));
    struct sim_port *hc = sim_add_host(&sim, 0, NULL);
    struct net_sock *a = udp_sock(ha->ns, 0), *b = udp_sock(hb->ns, 7), *c;
    char buf[16];
    struct net_sockaddr_in from;
    struct net_uio uio;

    hc->segment = 1;
    netif_set_addr(hc->nif, IP4(10, 0, 1, 5), IP4(255, 255, 255, 0), 0);
    c = udp_sock(hc->ns, 7);
    cr_assert_eq(udp_to(a, B_ADDR, 7, "to b"), 4);
    cr_assert_eq(udp_to(a, IP4(10, 0, 1, 5), 7, "to c"), 4);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), 4);
    net_uio_kernel(&uio, buf, sizeof(buf));
    cr_assert_eq(net_sock_recvmsg(c, &uio, 0, &from, NULL), 4);
    cr_assert_arr_eq(buf, "to c", 4);
    /* The source address is that of the interface used. */
    cr_assert_eq(from.sin_addr, net_htonl(IP4(10, 0, 1, 1)));
    cr_assert_eq(a2->nif->stats.tx_packets >= 1, true);
    cr_assert_str_eq(a2->nif->name, "eth1");
    cr_assert_eq(netif_find(ha->ns, "eth1"), a2->nif);
    cr_assert_eq(netif_find_by_addr(ha->ns, IP4(10, 0, 1, 1)), a2->nif);
    /* Removing the interface removes its routes. */
    netif_remove(a2->nif);
    a2->nif = NULL;
    cr_assert_eq(udp_to(a, IP4(10, 0, 1, 5), 7, "gone"), -ENETUNREACH);
}

struct gw_seen {
    int frames;
    uint8_t dst_mac[6];
};

static bool gw_tap(struct sim *s, int from, const uint8_t *f, size_t len, void *arg)
{
    struct gw_seen *g = arg;
    struct pkt_info p;

    (void)s;
    if (from == ha->index && pkt_parse(f, len, &p) && p.ethertype == ETH_P_IP &&
        p.daddr == IP4(8, 8, 8, 8)) {
        g->frames++;
        memcpy(g->dst_mac, f, 6);
    }
    return true;
}

Test(net_link, default_gateway_and_no_route)
{
    struct net_sock *a = udp_sock(ha->ns, 0);
    struct gw_seen g = {0};
    uint8_t mac[6];

    cr_assert_eq(udp_to(a, IP4(8, 8, 8, 8), 53, "dns?"), -ENETUNREACH);
    cr_assert_eq(net_snmp_get(ha->ns)->ip.OutNoRoutes, 1);
    netif_set_addr(ha->nif, A_ADDR, IP4(255, 255, 255, 0), P_ADDR);
    sim.tap = gw_tap;
    sim.tap_arg = &g;
    cr_assert_eq(udp_to(a, IP4(8, 8, 8, 8), 53, "dns?"), 4);
    sim_run(&sim, 20 * MS);
    /* The packet for 8.8.8.8 went to the gateway's hardware address. */
    cr_assert_eq(g.frames, 1);
    cr_assert_arr_eq(g.dst_mac, peer.port->mac, 6);
    cr_assert(arp_lookup(ha->nif, P_ADDR, mac));
}

Test(net_link, route_table_rules)
{
    struct netstack *ns = ha->ns;
    uint32_t nh;
    struct sim_port *a2 = sim_attach(&sim, ha->ns, 1, IP4(10, 0, 1, 1));
    char buf[1024];

    cr_assert_eq(route_add(ns, IP4(10, 0, 0, 0), IP4(255, 0, 0, 0), IP4(10, 0, 1, 254), a2->nif, 5),
                 0);
    cr_assert_eq(route_add(ns, IP4(10, 0, 0, 1), IP4(255, 0, 0, 0), 0, a2->nif, 5), -EINVAL);
    /* Longest prefix wins: 10.0.0.x is on-link on eth0, 10.9.x via eth1's gateway. */
    cr_assert_eq(route_lookup(ns, IP4(10, 0, 0, 9), &nh), ha->nif);
    cr_assert_eq(nh, IP4(10, 0, 0, 9));
    cr_assert_eq(route_lookup(ns, IP4(10, 9, 0, 1), &nh), a2->nif);
    cr_assert_eq(nh, IP4(10, 0, 1, 254));
    cr_assert_null(route_lookup(ns, IP4(11, 0, 0, 1), &nh));
    /* Equal prefixes: the lower metric. */
    cr_assert_eq(route_add(ns, 0, 0, IP4(10, 0, 0, 254), ha->nif, 10), 0);
    cr_assert_eq(route_add(ns, 0, 0, IP4(10, 0, 1, 254), a2->nif, 1), 0);
    cr_assert_eq(route_lookup(ns, IP4(11, 0, 0, 1), &nh), a2->nif);
    /* An interface that is down is skipped. */
    netif_set_up(a2->nif, false);
    cr_assert_eq(route_lookup(ns, IP4(11, 0, 0, 1), &nh), ha->nif);
    cr_assert_eq(nh, IP4(10, 0, 0, 254));
    cr_assert_eq(route_del(ns, 0, 0, NULL), 0);
    cr_assert_null(route_lookup(ns, IP4(11, 0, 0, 1), &nh));
    cr_assert_eq(route_del(ns, 0, 0, NULL), -ESRCH);
    route_format(ns, buf, sizeof(buf));
    cr_assert(strstr(buf, "eth0\t0000000A\t00000000\t0001") != NULL, "%s", buf);
}

Test(net_link, loopback_any_127_address)
{
    struct net_sock *a = udp_sock(ha->ns, 7), *b = udp_sock(ha->ns, 0);
    struct net_sockaddr_in from;
    struct net_uio uio;
    char buf[16];

    cr_assert_eq(udp_to(b, IP4(127, 0, 0, 1), 7, "lo1"), 3);
    cr_assert_eq(udp_to(b, IP4(127, 1, 2, 3), 7, "lo2"), 3);
    net_uio_kernel(&uio, buf, sizeof(buf));
    cr_assert_eq(net_sock_recvmsg(a, &uio, 0, &from, NULL), 3);
    cr_assert_eq(from.sin_addr, net_htonl(IP4(127, 0, 0, 1)));
    cr_assert_eq(net_sock_recvmsg(a, &uio, 0, &from, NULL), 3);
    cr_assert_eq(from.sin_addr, net_htonl(IP4(127, 1, 2, 3)));
    cr_assert_eq(netif_loopback(ha->ns)->stats.rx_packets, 2);
}

Test(net_link, interface_down_drops)
{
    struct net_sock *a = udp_sock(ha->ns, 0), *b = udp_sock(hb->ns, 7);
    char buf[8];

    netif_set_up(hb->nif, false);
    cr_assert_eq(udp_to(a, B_ADDR, 7, "x"), 1);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(net_sock_recv(b, buf, sizeof(buf), 0), -EAGAIN);
    cr_assert_gt(hb->nif->stats.rx_dropped, 0);
    netif_set_link(ha->nif, false);
    cr_assert_eq(udp_to(a, B_ADDR, 7, "x"), -ENETUNREACH);
}

Test(net_link, proc_net_dev)
{
    char buf[2048];

    netif_format_dev(ha->ns, buf, sizeof(buf));
    cr_assert(strstr(buf, "    lo:") != NULL);
    cr_assert(strstr(buf, "  eth0:") != NULL);
    cr_assert(strncmp(buf, "Inter-|", 7) == 0);
}
