/*
 * Bad input and bad luck: random and mutated frames, garbage TCP options,
 * allocation failures in the middle of traffic, teardown with everything
 * in flight. The stack must count and drop, never crash, and give back
 * every byte it took.
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
#define X_ADDR IP4(10, 0, 0, 9)

static struct sim sim;
static struct sim_port *ha, *hb, *attacker;

static void setup(void)
{
    sim_init(&sim, 31);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    hb = sim_add_host(&sim, B_ADDR, NULL);
    attacker = sim_add_scripted(&sim, NULL, NULL);
    ha->cfg.delay_ns = hb->cfg.delay_ns = 1 * MS;
}

static void teardown(void)
{
    sim_destroy(&sim);
    cr_assert_eq(netenv_host_allocs_live(), 0, "%zu allocations leaked", netenv_host_allocs_live());
}

TestSuite(net_robust, .init = setup, .fini = teardown);

/* A valid frame of some kind for A, to be mutated. */
static size_t seed_frame(uint8_t *f, size_t size, int kind)
{
    static const uint8_t opts[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0, 0,    0, 0, 1, 3,  3, 7};
    uint8_t payload[64];
    struct pkt_tcp t = {
        .saddr = X_ADDR,
        .daddr = A_ADDR,
        .sport = 5555,
        .dport = 80,
        .seq = 100,
        .flags = TCP_SYN,
        .wnd = 1000,
        .opts = opts,
        .optlen = 20,
    };

    memset(payload, 'q', sizeof(payload));
    switch (kind % 5) {
    case 0:
        memcpy(t.src_mac, attacker->mac, 6);
        memcpy(t.dst_mac, ha->mac, 6);
        return pkt_build_tcp(f, size, &t);
    case 1:
        return pkt_build_udp(f, size, ha->mac, attacker->mac, X_ADDR, A_ADDR, 5555, 53, payload,
                             sizeof(payload));
    case 2:
        return pkt_build_ip(f, size, ha->mac, attacker->mac, X_ADDR, A_ADDR, IPPROTO_ICMP, 3, IP_MF,
                            64, payload, 48);
    case 3: {
        uint8_t zero[6] = {0};
        return pkt_build_arp(f, size, ha->mac, ARP_OP_REQUEST, attacker->mac, X_ADDR, zero, A_ADDR);
    }
    default:
        payload[0] = ICMP_DEST_UNREACH;
        payload[1] = ICMP_FRAG_NEEDED;
        payload[8] = 0x45;
        return pkt_build_ip(f, size, ha->mac, attacker->mac, X_ADDR, A_ADDR, IPPROTO_ICMP, 3, 0, 64,
                            payload, 48);
    }
}

static void fix_ip_checksum(uint8_t *f, size_t len)
{
    uint8_t *ip = f + ETH_HLEN;
    size_t ihl;

    if (len < ETH_HLEN + IP_HLEN || get_be16(f + 12) != ETH_P_IP)
        return;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    if (ihl < IP_HLEN || ETH_HLEN + ihl > len)
        return;
    put_be16(ip + 10, 0);
    put_be16(ip + 10, inet_csum(ip, ihl));
}

Test(net_robust, random_and_mutated_frames)
{
    struct net_sock *l = test_listen(ha->ns, 80, 16), *u, *c, *s;
    struct net_sockaddr_in p53 = net_sockaddr(0, 53);
    uint8_t f[1600];
    size_t before;
    const struct net_snmp *sn = net_snmp_get(ha->ns);

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, 0, &u), 0);
    cr_assert_eq(net_sock_bind(u, &p53), 0);
    sim_run(&sim, 10 * MS);
    before = netenv_host_mem_live();
    for (int i = 0; i < 30000; i++) {
        size_t len;
        if (i % 3 == 0) {
            /* Pure noise behind a plausible Ethernet header. */
            len = 14 + sim_rand(&sim) % 1500;
            for (size_t k = 0; k < len; k++)
                f[k] = (uint8_t)sim_rand(&sim);
            memcpy(f, ha->mac, 6);
            put_be16(f + 12, (i & 1) ? ETH_P_IP : ETH_P_ARP);
        } else {
            /* A valid frame with a few bytes changed, checksum often repaired. */
            len = seed_frame(f, sizeof(f), i);
            for (int k = 0; k < 1 + (int)(sim_rand(&sim) % 4); k++)
                f[14 + sim_rand(&sim) % (len - 14)] = (uint8_t)sim_rand(&sim);
            if (sim_rand(&sim) % 4 == 0)
                len = 14 + sim_rand(&sim) % (len - 14);
            if (i % 2 == 0)
                fix_ip_checksum(f, len);
        }
        sim_send(attacker, f, len);
        if (i % 1000 == 0)
            sim_run(&sim, 1 * MS);
    }
    sim_run(&sim, 10 * MS);
    cr_assert_gt(sn->ip.InHdrErrors, 1000);
    cr_assert_gt(ha->nif->stats.rx_packets, 29000);
    /* A real client still gets a clean connection. */
    cr_assert(test_connect(&sim, hb->ns, A_ADDR, 80, l, &c, &s));
    cr_assert_eq(test_transfer(&sim, c, s, 200000, 20 * SEC), 200000);
    net_sock_close(c);
    net_sock_close(s);
    /* Everything the noise created times out (ARP, fragments, SYN_RECV, TIME_WAIT). */
    sim_run(&sim, 200 * SEC);
    while (net_sock_recv(u, f, sizeof(f), 0) >= 0)
        ;
    cr_assert_eq(netenv_host_mem_live(), before, "%zd bytes still held",
                 (ssize_t)(netenv_host_mem_live() - before));
}

Test(net_robust, garbage_tcp_options)
{
    struct net_sock *l = test_listen(ha->ns, 80, 16), *a;
    static const uint8_t bad[][8] = {
        {2, 0, 0, 0, 0, 0, 0, 0},   /* length 0 */
        {2, 1, 0, 0, 0, 0, 0, 0},   /* length 1 */
        {3, 200, 0, 0, 0, 0, 0, 0}, /* longer than the header */
        {8, 10, 1, 2, 3, 4, 5, 6},  /* timestamps cut short */
        {5, 7, 1, 2, 3, 4, 5, 0},   /* SACK of an odd length */
        {3, 3, 255, 1, 2, 4, 0, 0}, /* window scale 255 */
        {2, 4, 0, 0, 1, 1, 1, 1},   /* MSS 0 */
    };
    uint8_t f[200];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pkt_tcp t = {
            .saddr = X_ADDR,
            .daddr = A_ADDR,
            .sport = (uint16_t)(6000 + i),
            .dport = 80,
            .seq = 1,
            .flags = TCP_SYN,
            .wnd = 1000,
            .opts = bad[i],
            .optlen = 8,
        };
        memcpy(t.src_mac, attacker->mac, 6);
        memcpy(t.dst_mac, ha->mac, 6);
        sim_send(attacker, f, pkt_build_tcp(f, sizeof(f), &t));
    }
    sim_run(&sim, 10 * MS);
    /* Every SYN was still answered (the options are just not used). */
    cr_assert_eq(net_snmp_get(ha->ns)->tcp.OutSegs, sizeof(bad) / sizeof(bad[0]));
    cr_assert_eq(net_sock_accept(l, &a, NULL), -EAGAIN);
}

Test(net_robust, allocation_failures_during_traffic)
{
    struct net_sock *l = test_listen(hb->ns, 80, 16), *c, *s;
    size_t moved;

    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
    ha->cfg.loss_ppm = 20000;
    /* One allocation in 37 fails: packets, rings, everything. */
    netenv_host_fail_alloc_every(37);
    moved = test_transfer(&sim, c, s, 1 << 20, 300 * SEC);
    netenv_host_fail_alloc_every(0);
    /* The connection either finished intact or failed cleanly. */
    cr_assert(moved == 1u << 20 || (net_sock_poll(c) & NET_EPOLLERR) ||
                  (net_sock_poll(s) & NET_EPOLLERR),
              "moved %zu", moved);
    cr_assert_gt(net_snmp_get(ha->ns)->tcp.RetransSegs, 0);
}

Test(net_robust, memory_limit_during_flood)
{
    struct net_sock *l = test_listen(ha->ns, 80, 16), *c, *s;
    uint8_t f[1600], payload[1400] = {0};

    /* The stack may use at most 4 MiB more than now. */
    netenv_host_mem_limit(netenv_host_mem_live() + (4u << 20));
    for (int i = 0; i < 20000; i++) {
        size_t len =
            pkt_build_ip(f, sizeof(f), ha->mac, attacker->mac, IP4(10, 0, (i >> 8) & 255, i & 255),
                         A_ADDR, IPPROTO_UDP, (uint16_t)i, IP_MF, 64, payload, 1400);
        sim_send(attacker, f, len);
        if (i % 500 == 0)
            sim_run(&sim, 1 * MS);
    }
    sim_run(&sim, 10 * MS);
    cr_assert(test_connect(&sim, hb->ns, A_ADDR, 80, l, &c, &s));
    cr_assert_eq(test_transfer(&sim, c, s, 100000, 20 * SEC), 100000);
    netenv_host_mem_limit(0);
}

Test(net_robust, destroy_with_everything_in_flight)
{
    struct net_sock *l = test_listen(hb->ns, 80, 16), *c, *s, *u;
    static uint8_t buf[300000];
    uint8_t f[1600];
    struct net_sockaddr_in to = net_sockaddr(IP4(10, 0, 0, 77), 9);

    cr_assert(test_connect(&sim, ha->ns, B_ADDR, 80, l, &c, &s));
    ha->cfg.loss_ppm = 100000;
    cr_assert_gt(net_sock_send(c, buf, sizeof(buf), 0), 0);
    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_DGRAM, 0, &u), 0);
    cr_assert_eq(net_sock_connect(u, &to), 0);
    cr_assert_eq(net_sock_send(u, "waiting for arp", 15, 0), 15);
    sim_send(attacker, f,
             pkt_build_ip(f, sizeof(f), ha->mac, attacker->mac, X_ADDR, A_ADDR, IPPROTO_UDP, 1,
                          IP_MF, 64, buf, 1400));
    sim_run(&sim, 30 * MS);
    net_sock_close(c); /* an orphan with data in flight */
    /* teardown() destroys both stacks and checks that nothing is left. */
}
