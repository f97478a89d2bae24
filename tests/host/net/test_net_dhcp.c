/*
 * The DHCP client against a scripted server on the simulated link: the
 * four-message exchange, renewal at T1, rebinding at T2, expiry, NAKs,
 * release, bogus replies, and nobody answering at all.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/dhcp.h"
#include "net/route.h"
#include "nettest.h"

#define SERVER IP4(10, 0, 2, 2)
#define OFFER IP4(10, 0, 2, 15)

struct server {
    struct sim_port *port;
    bool silent;         /* answers nothing */
    bool ignore_unicast; /* ignores renewals sent to its address */
    bool nak;            /* answers requests with NAK */
    uint32_t lease_s;
    uint32_t offer;
    int discovers, requests, releases;
    int unicast_requests, broadcast_requests;
    uint64_t times[64];
    uint8_t types[64];
    int n;
    uint32_t last_ciaddr, last_requested, last_server_id;
    uint32_t xid;
    uint8_t chaddr[6];
};

static struct sim sim;
static struct sim_port *client;
static struct server srv;
static struct dhcp_client *dc;

struct events {
    int bound, renewed, lost, failed;
    struct net_ipconfig cfg;
};
static struct events ev;

static void on_event(void *arg, enum dhcp_event e, const struct net_ipconfig *cfg)
{
    struct events *x = arg;

    if (e == DHCP_EVENT_BOUND)
        x->bound++;
    else if (e == DHCP_EVENT_RENEWED)
        x->renewed++;
    else if (e == DHCP_EVENT_LOST)
        x->lost++;
    else
        x->failed++;
    if (cfg != NULL)
        x->cfg = *cfg;
}

static uint8_t *opt(uint8_t *o, uint8_t code, uint8_t len, const void *v)
{
    o[0] = code;
    o[1] = len;
    memcpy(o + 2, v, len);
    return o + 2 + len;
}

static uint8_t *opt32(uint8_t *o, uint8_t code, uint32_t v)
{
    uint8_t b[4];

    put_be32(b, v);
    return opt(o, code, 4, b);
}

/* A server reply for the last request seen. */
static void reply(struct server *s, uint8_t type)
{
    uint8_t msg[400], frame[600], *o;
    size_t n;
    uint8_t dns[8];

    memset(msg, 0, sizeof(msg));
    msg[0] = 2;
    msg[1] = 1;
    msg[2] = 6;
    put_be32(msg + 4, s->xid);
    put_be32(msg + 16, type == DHCP_NAK ? 0 : s->offer);
    put_be32(msg + 20, SERVER);
    memcpy(msg + 28, s->chaddr, 6);
    put_be32(msg + 236, 0x63825363);
    o = msg + 240;
    o = opt(o, 53, 1, &type);
    o = opt32(o, 54, SERVER);
    if (type != DHCP_NAK) {
        o = opt32(o, 1, IP4(255, 255, 255, 0));
        o = opt32(o, 3, SERVER);
        put_be32(dns, IP4(10, 0, 2, 3));
        put_be32(dns + 4, IP4(8, 8, 8, 8));
        o = opt(o, 6, 8, dns);
        o = opt(o, 15, 11, "example.org");
        o = opt32(o, 51, s->lease_s);
    }
    *o++ = 255;
    n = pkt_build_udp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                      s->port->mac, SERVER, IP4_BROADCAST, 67, 68, msg, (size_t)(o - msg));
    sim_send(s->port, frame, n);
}

static void server_rx(struct sim_port *port, const uint8_t *frame, size_t len, void *arg)
{
    struct server *s = arg;
    struct pkt_info p;
    const uint8_t *m, *o, *end;
    uint8_t type = 0;

    if (pkt_parse(frame, len, &p) && p.ethertype == ETH_P_ARP && p.arp_op == ARP_OP_REQUEST &&
        p.arp_tpa == SERVER) {
        uint8_t r[64];
        size_t n = pkt_build_arp(r, sizeof(r), frame + 6, ARP_OP_REPLY, port->mac, SERVER,
                                 frame + 6, p.arp_spa);
        sim_send(port, r, n);
        return;
    }
    if (!pkt_parse(frame, len, &p) || p.proto != IPPROTO_UDP || p.dport != 67 || p.len < 240)
        return;
    m = p.data;
    s->xid = get_be32(m + 4);
    memcpy(s->chaddr, m + 28, 6);
    s->last_ciaddr = get_be32(m + 12);
    s->last_requested = s->last_server_id = 0;
    for (o = m + 240, end = m + p.len; o + 1 < end && *o != 255;) {
        if (*o == 0) {
            o++;
            continue;
        }
        if (o[0] == 53)
            type = o[2];
        if (o[0] == 50)
            s->last_requested = get_be32(o + 2);
        if (o[0] == 54)
            s->last_server_id = get_be32(o + 2);
        o += 2 + o[1];
    }
    if (s->n < 64) {
        s->times[s->n] = sim_now();
        s->types[s->n] = type;
        s->n++;
    }
    if (type == DHCP_DISCOVER) {
        s->discovers++;
        if (!s->silent)
            reply(s, DHCP_OFFER);
    } else if (type == DHCP_REQUEST) {
        s->requests++;
        if (p.daddr == SERVER)
            s->unicast_requests++;
        else
            s->broadcast_requests++;
        if (s->silent || (s->ignore_unicast && p.daddr == SERVER))
            return;
        reply(s, s->nak ? DHCP_NAK : DHCP_ACK);
    } else if (type == DHCP_RELEASE) {
        s->releases++;
    }
}

static void setup(void)
{
    sim_init(&sim, 21);
    client = sim_add_host(&sim, 0, NULL);
    memset(&srv, 0, sizeof(srv));
    srv.port = sim_add_scripted(&sim, server_rx, &srv);
    srv.lease_s = 3600;
    srv.offer = OFFER;
    memset(&ev, 0, sizeof(ev));
    dc = NULL;
}

static void teardown(void)
{
    sim_destroy(&sim);
}

TestSuite(net_dhcp, .init = setup, .fini = teardown);

static void start(void)
{
    struct dhcp_params p = {.hostname = "egg"};

    cr_assert_eq(dhcp_start(client->nif, &p, on_event, &ev, &dc), 0);
}

Test(net_dhcp, lease_in_four_messages)
{
    uint32_t nh;
    struct net_sock *s;
    struct net_sockaddr_in to = net_sockaddr(SERVER, 9);

    start();
    cr_assert_eq(dhcp_start(client->nif, NULL, on_event, &ev, NULL), -EBUSY);
    sim_run(&sim, 100 * MS);
    cr_assert_eq(srv.discovers, 1);
    cr_assert_eq(srv.requests, 1);
    cr_assert_eq(srv.last_requested, OFFER, "REQUEST names the offer...");
    cr_assert_eq(srv.last_server_id, SERVER, "...and the server");
    cr_assert_eq(srv.last_ciaddr, 0);
    cr_assert_eq(dhcp_get_state(dc), DHCP_BOUND);
    cr_assert_eq(ev.bound, 1);
    cr_assert_eq(ev.cfg.addr, OFFER);
    cr_assert_eq(ev.cfg.netmask, IP4(255, 255, 255, 0));
    cr_assert_eq(ev.cfg.gateway, SERVER);
    cr_assert_eq(ev.cfg.ndns, 2);
    cr_assert_eq(ev.cfg.dns[0], IP4(10, 0, 2, 3));
    cr_assert_str_eq(ev.cfg.domain, "example.org");
    cr_assert_eq(ev.cfg.lease_s, 3600);
    /* The interface is configured and routes through the router. */
    cr_assert_eq(client->nif->addr, OFFER);
    cr_assert_eq(route_lookup(client->ns, IP4(1, 1, 1, 1), &nh), client->nif);
    cr_assert_eq(nh, SERVER);
    cr_assert(netenv_host_log_contains("dhcp: eth0: addr 10.0.2.15/24 gw 10.0.2.2"));
    cr_assert_eq(net_sock_create(client->ns, NET_SOCK_DGRAM, 0, &s), 0);
    cr_assert_eq(net_sock_connect(s, &to), 0);
    cr_assert_eq(net_sock_send(s, "x", 1, 0), 1);
}

Test(net_dhcp, renew_at_t1_by_unicast)
{
    srv.lease_s = 100;
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 1);
    sim_run(&sim, 49 * SEC);
    cr_assert_eq(srv.requests, 1, "nothing before T1 = 50 s");
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(srv.unicast_requests, 1);
    cr_assert_eq(srv.last_ciaddr, OFFER);
    cr_assert_eq(srv.last_requested, 0, "no requested-address option when renewing");
    cr_assert_eq(ev.renewed, 1);
    cr_assert_eq(dhcp_get_state(dc), DHCP_BOUND);
    /* The new lease has its own T1, 50 s later. */
    sim_run(&sim, 50 * SEC);
    cr_assert_eq(ev.renewed, 2);
    cr_assert_eq(ev.lost, 0);
}

Test(net_dhcp, rebind_at_t2_by_broadcast)
{
    srv.lease_s = 800;
    srv.ignore_unicast = true;
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 1);
    /* T1 = 400 s: renewals go unanswered (retried at half the time to T2). */
    sim_run(&sim, 690 * SEC);
    cr_assert_geq(srv.unicast_requests, 2);
    cr_assert_eq(srv.broadcast_requests, 1, "only the first REQUEST so far");
    cr_assert_eq(dhcp_get_state(dc), DHCP_RENEWING);
    /* T2 = 700 s: the broadcast reaches the server, which answers. */
    sim_run(&sim, 20 * SEC);
    cr_assert_eq(srv.broadcast_requests, 2);
    cr_assert_eq(ev.renewed, 1);
    cr_assert_eq(dhcp_get_state(dc), DHCP_BOUND);
    cr_assert_eq(client->nif->addr, OFFER);
}

Test(net_dhcp, lease_expires_when_nobody_renews)
{
    srv.lease_s = 100;
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 1);
    srv.silent = true;
    sim_run(&sim, 99 * SEC);
    cr_assert_eq(ev.lost, 0);
    cr_assert_eq(client->nif->addr, OFFER);
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(ev.lost, 1);
    cr_assert_eq(client->nif->addr, 0, "the address is gone");
    cr_assert_eq(dhcp_get_state(dc), DHCP_SELECTING);
    cr_assert_gt(srv.discovers, 1, "and the client looks for a server again");
    cr_assert(netenv_host_log_contains("expired"));
}

Test(net_dhcp, nak_restarts_and_nak_on_renewal_loses)
{
    srv.nak = true;
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 0);
    cr_assert_eq(srv.discovers, 1);
    sim_run(&sim, 4 * SEC);
    cr_assert_eq(srv.discovers, 2, "a NAK sends the client back to DISCOVER, after a pause");
    srv.nak = false;
    sim_run(&sim, 4 * SEC);
    cr_assert_eq(ev.bound, 1);
    srv.nak = true;
    srv.lease_s = 3600;
    sim_run(&sim, 1801 * SEC);
    cr_assert_eq(ev.lost, 1);
    cr_assert_eq(client->nif->addr, 0);
}

Test(net_dhcp, nobody_answers_gives_up_cleanly)
{
    srv.silent = true;
    netenv_host_log_clear();
    start();
    sim_run(&sim, 200 * SEC);
    cr_assert_eq(srv.discovers, 4);
    /* 4 s, 8 s, 16 s between tries (each +-1 s), then 32 s before giving up. */
    cr_assert_geq(srv.times[1] - srv.times[0], 3 * SEC);
    cr_assert_leq(srv.times[1] - srv.times[0], 5 * SEC);
    cr_assert_geq(srv.times[2] - srv.times[1], 7 * SEC);
    cr_assert_leq(srv.times[2] - srv.times[1], 9 * SEC);
    cr_assert_geq(srv.times[3] - srv.times[2], 15 * SEC);
    cr_assert_eq(ev.failed, 1);
    cr_assert_eq(dhcp_get_state(dc), DHCP_FAILED);
    cr_assert_eq(client->nif->addr, 0);
    cr_assert(netenv_host_log_contains("no DHCP server answered 4 requests"), "%s",
              netenv_host_log());
    cr_assert(netenv_host_log_contains("stays without an IPv4 address"));
    /* The stack carries on: loopback works, timers are idle. */
    cr_assert_eq(net_next_deadline(client->ns), UINT64_MAX);
    dhcp_stop(dc, true);
}

static void bogus_offer(uint32_t xid_delta, int damage)
{
    uint8_t msg[300], frame[400];
    size_t n, len = 300;
    uint8_t t = DHCP_OFFER;

    memset(msg, 0, sizeof(msg));
    msg[0] = 2;
    msg[1] = 1;
    msg[2] = 6;
    put_be32(msg + 4, srv.xid + xid_delta);
    put_be32(msg + 16, IP4(10, 0, 2, 66));
    memcpy(msg + 28, srv.chaddr, 6);
    put_be32(msg + 236, 0x63825363);
    opt(msg + 240, 53, 1, &t);
    msg[243] = 255;
    if (damage == 1)
        msg[28] ^= 1; /* someone else's hardware address */
    if (damage == 2)
        msg[236] = 0; /* no magic cookie */
    if (damage == 3)
        len = 200; /* truncated */
    if (damage == 4)
        msg[241] = 200; /* option running off the end */
    if (damage == 5)
        msg[0] = 1; /* a request, not a reply */
    n = pkt_build_udp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                      srv.port->mac, SERVER, IP4_BROADCAST, 67, 68, msg, len);
    sim_send(srv.port, frame, n);
}

Test(net_dhcp, a_server_that_always_naks_is_given_up)
{
    srv.nak = true;
    start();
    sim_run(&sim, 300 * SEC);
    cr_assert_eq(ev.failed, 1);
    cr_assert_eq(srv.discovers, 4);
    cr_assert_eq(dhcp_get_state(dc), DHCP_FAILED);
}

Test(net_dhcp, bogus_replies_are_ignored)
{
    srv.silent = true;
    start();
    sim_run(&sim, 10 * MS);
    bogus_offer(1, 0);
    for (int d = 1; d <= 5; d++)
        bogus_offer(0, d);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(dhcp_get_state(dc), DHCP_SELECTING);
    cr_assert_eq(srv.requests, 0);
    /* A proper offer afterwards works. */
    srv.silent = false;
    sim_run(&sim, 5 * SEC);
    cr_assert_eq(ev.bound, 1);
}

Test(net_dhcp, infinite_lease_never_renews)
{
    srv.lease_s = 0xffffffffu;
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 1);
    sim_run(&sim, 100000 * SEC);
    cr_assert_eq(srv.requests, 1);
}

Test(net_dhcp, stop_releases_the_lease)
{
    start();
    sim_run(&sim, 100 * MS);
    cr_assert_eq(client->nif->addr, OFFER);
    dhcp_stop(dc, true);
    sim_run(&sim, 100 * MS);
    cr_assert_eq(srv.releases, 1);
    cr_assert_eq(client->nif->addr, 0);
}

Test(net_dhcp, parse_overloaded_and_malformed)
{
    uint8_t msg[300];
    struct dhcp_msg m;
    uint8_t t = DHCP_ACK;

    memset(msg, 0, sizeof(msg));
    msg[0] = 2;
    msg[1] = 1;
    msg[2] = 6;
    put_be32(msg + 236, 0x63825363);
    /* Options continue in the "file" field (overload 1). */
    msg[240] = 52;
    msg[241] = 1;
    msg[242] = 1;
    msg[243] = 255;
    opt(msg + 108, 53, 1, &t);
    opt32(msg + 111, 51, 1234);
    msg[117] = 255;
    cr_assert_eq(dhcp_parse(msg, 244, &m), 0);
    cr_assert_eq(m.type, DHCP_ACK);
    cr_assert_eq(m.cfg.lease_s, 1234);
    /* A hostname with control characters is cleaned. */
    memset(msg + 240, 0, 60);
    opt(msg + 240, 53, 1, &t);
    opt(msg + 243, 12, 6, "a\nb c\x01");
    msg[251] = 255;
    cr_assert_eq(dhcp_parse(msg, 252, &m), 0);
    cr_assert_str_eq(m.cfg.hostname, "abc");
    /* No message type: not DHCP. */
    memset(msg + 240, 0, 60);
    msg[240] = 255;
    cr_assert_eq(dhcp_parse(msg, 241, &m), -EINVAL);
    cr_assert_eq(dhcp_parse(msg, 100, &m), -EINVAL);
}

Test(net_dhcp, two_interfaces_two_clients)
{
    struct sim_port *second = sim_attach(&sim, client->ns, 0, 0);
    struct dhcp_client *dc2;
    struct events ev2 = {0};

    start();
    cr_assert_eq(dhcp_start(second->nif, NULL, on_event, &ev2, &dc2), 0);
    sim_run(&sim, 100 * MS);
    cr_assert_eq(ev.bound, 1);
    cr_assert_eq(ev2.bound, 1);
    cr_assert_eq(srv.discovers, 2);
    dhcp_stop(dc2, false);
    cr_assert_eq(second->nif->addr, 0);
}
