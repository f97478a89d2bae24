/*
 * sim.c - a simulated Ethernet segment for the network stack's tests.
 *
 * Every port is a stack's interface (its driver output copies the frame
 * onto the wire) or a scripted endpoint. A frame sent by a port reaches
 * every other port, like a hub, after the sender's impairments: loss,
 * duplication, corruption (one flipped byte), reordering, delay, jitter,
 * serialization at a fixed rate and a bounded queue. The event loop moves
 * the virtual clock to the next frame delivery or stack deadline, so
 * minutes of protocol time run in milliseconds and every run is identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ip.h"
#include "net/netenv.h"
#include "net/stack.h"
#include "nettest.h"

struct sim_frame {
    struct sim_frame *next;
    uint64_t at;
    int from;
    int to;
    size_t len;
    uint8_t data[];
};

uint64_t sim_now(void)
{
    return netenv_now_ns();
}

uint64_t sim_rand(struct sim *sim)
{
    uint64_t x = sim->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sim->rng = x;
    return x;
}

static bool chance(struct sim *sim, uint32_t ppm)
{
    return ppm != 0 && sim_rand(sim) % 1000000 < ppm;
}

void sim_init(struct sim *sim, uint64_t seed)
{
    memset(sim, 0, sizeof(*sim));
    sim->rng = seed * 0x9e3779b97f4a7c15ull + 1;
    netenv_host_seed(seed + 12345);
}

void sim_destroy(struct sim *sim)
{
    while (sim->queue != NULL) {
        struct sim_frame *f = sim->queue;
        sim->queue = f->next;
        free(f);
    }
    for (int i = 0; i < sim->nports; i++) {
        if (sim->ports[i].ns != NULL)
            net_destroy(sim->ports[i].ns);
        sim->ports[i].ns = NULL;
    }
}

static void enqueue(struct sim *sim, int from, int to, const uint8_t *data, size_t len, uint64_t at)
{
    struct sim_frame *f = malloc(sizeof(*f) + len), **pp;

    if (f == NULL)
        abort();
    f->at = at;
    f->from = from;
    f->to = to;
    f->len = len;
    memcpy(f->data, data, len);
    /* Stable: equal times keep their order. */
    for (pp = &sim->queue; *pp != NULL && (*pp)->at <= at; pp = &(*pp)->next)
        ;
    f->next = *pp;
    *pp = f;
    sim->ports[from].in_flight++;
}

static void wire_send(struct sim_port *port, const uint8_t *data, size_t len)
{
    struct sim *sim = port->sim;
    const struct sim_link_cfg *c = &port->cfg;
    uint64_t now = sim_now(), at;
    uint8_t copy[70000];

    port->sent++;
    if (sim->tap != NULL && !sim->tap(sim, port->index, data, len, sim->tap_arg)) {
        port->lost++;
        sim->tap_delay = 0;
        return;
    }
    if (c->queue_limit != 0 && port->in_flight >= c->queue_limit) {
        port->lost++;
        return;
    }
    at = now;
    if (c->rate_bps != 0) {
        uint64_t start = port->busy_until > now ? port->busy_until : now;
        port->busy_until = start + (uint64_t)len * 8 * 1000000000ull / c->rate_bps;
        at = port->busy_until;
    }
    if (chance(sim, c->loss_ppm)) {
        port->lost++;
        return;
    }
    at += c->delay_ns + sim->tap_delay;
    sim->tap_delay = 0;
    if (c->jitter_ns != 0)
        at += sim_rand(sim) % c->jitter_ns;
    if (chance(sim, c->reorder_ppm))
        at += c->reorder_ns;
    if (len > sizeof(copy))
        abort();
    memcpy(copy, data, len);
    if (sim->rewrite != NULL)
        sim->rewrite(sim, port->index, copy, len, sim->rewrite_arg);
    if (chance(sim, c->corrupt_ppm) && len > 14) {
        /* One flipped bit past the Ethernet header (whose FCS we lack). */
        size_t i = 14 + sim_rand(sim) % (len - 14);
        copy[i] ^= (uint8_t)(1u << (sim_rand(sim) % 8));
        port->corrupted++;
    }
    for (int to = 0; to < sim->nports; to++) {
        if (to == port->index || sim->ports[to].segment != port->segment)
            continue;
        enqueue(sim, port->index, to, copy, len, at);
        if (chance(sim, c->dup_ppm)) {
            port->duplicated++;
            enqueue(sim, port->index, to, copy, len, at + 1000 + sim_rand(sim) % 1000000);
        }
    }
}

/* The driver side of a simulated NIC. */
static int sim_netif_output(struct netif *nif, struct pbuf *p)
{
    struct sim_port *port = nif->driver_data;

    if (p->flags & PBUF_F_CSUM_PARTIAL)
        ip_csum_complete(p); /* what the NIC would do */
    wire_send(port, p->data, p->len);
    pbuf_free(p);
    return 0;
}

static struct sim_port *port_new(struct sim *sim)
{
    struct sim_port *port;

    if (sim->nports == SIM_MAX_PORTS)
        abort();
    port = &sim->ports[sim->nports];
    memset(port, 0, sizeof(*port));
    port->sim = sim;
    port->index = sim->nports++;
    port->mac[0] = 0x02;
    port->mac[5] = (uint8_t)(port->index + 1);
    return port;
}

struct sim_port *sim_add_host(struct sim *sim, uint32_t addr, const struct net_limits *limits)
{
    struct sim_port *port = port_new(sim);

    port->ns = net_create(limits);
    if (port->ns == NULL)
        abort();
    port->nif = netif_add(port->ns, NULL, port->mac, 1500, NETIF_F_TX_CSUM, sim_netif_output, port);
    if (port->nif == NULL)
        abort();
    netif_set_link(port->nif, true);
    netif_set_up(port->nif, true);
    if (addr != 0)
        netif_set_addr(port->nif, addr, IP4(255, 255, 255, 0), 0);
    return port;
}

struct sim_port *sim_attach(struct sim *sim, struct netstack *ns, int segment, uint32_t addr)
{
    struct sim_port *port = port_new(sim);

    port->segment = segment;
    port->nif = netif_add(ns, NULL, port->mac, 1500, NETIF_F_TX_CSUM, sim_netif_output, port);
    if (port->nif == NULL)
        abort();
    port->attached = ns;
    netif_set_link(port->nif, true);
    netif_set_up(port->nif, true);
    if (addr != 0)
        netif_set_addr(port->nif, addr, IP4(255, 255, 255, 0), 0);
    return port;
}

struct sim_port *sim_add_scripted(struct sim *sim, sim_rx_fn rx, void *arg)
{
    struct sim_port *port = port_new(sim);

    port->rx = rx;
    port->rx_arg = arg;
    return port;
}

void sim_send(struct sim_port *from, const uint8_t *frame, size_t len)
{
    wire_send(from, frame, len);
}

static void deliver(struct sim *sim, struct sim_frame *f)
{
    struct sim_port *to = &sim->ports[f->to];

    sim->ports[f->from].in_flight--;
    to->delivered++;
    if (to->nif != NULL) {
        struct pbuf *p = pbuf_alloc(0, f->len);
        if (p == NULL)
            return;
        memcpy(p->data, f->data, f->len);
        netif_input(to->nif, p);
    } else if (to->rx != NULL) {
        to->rx(to, f->data, f->len, to->rx_arg);
    }
}

void sim_step(struct sim *sim)
{
    uint64_t now = sim_now();

    for (int guard = 0; guard < 1000; guard++) {
        bool busy = false;
        while (sim->queue != NULL && sim->queue->at <= now) {
            struct sim_frame *f = sim->queue;
            sim->queue = f->next;
            deliver(sim, f);
            free(f);
            busy = true;
        }
        for (int i = 0; i < sim->nports; i++) {
            struct netstack *ns = sim->ports[i].ns;
            if (ns != NULL && net_next_deadline(ns) <= now) {
                net_timer(ns, now);
                busy = true;
            }
        }
        if (!busy)
            return;
    }
}

static uint64_t next_event(struct sim *sim)
{
    uint64_t next = sim->queue != NULL ? sim->queue->at : UINT64_MAX;

    for (int i = 0; i < sim->nports; i++) {
        struct netstack *ns = sim->ports[i].ns;
        if (ns != NULL && net_next_deadline(ns) < next)
            next = net_next_deadline(ns);
    }
    return next;
}

bool sim_run_until(struct sim *sim, bool (*cond)(void *arg), void *arg, uint64_t timeout_ns)
{
    uint64_t end = sim_now() + timeout_ns, last = sim_now();
    unsigned long stuck = 0;

    for (;;) {
        uint64_t next;
        /* Events that never let time move on are a livelock: a bug. */
        if (sim_now() == last && ++stuck > 1000000) {
            fprintf(stderr, "sim: no progress at t=%llu ns\n", (unsigned long long)last);
            abort();
        } else if (sim_now() != last) {
            last = sim_now();
            stuck = 0;
        }
        sim_step(sim);
        if (cond != NULL && cond(arg))
            return true;
        next = next_event(sim);
        if (next > end) {
            netenv_host_set_time(end);
            sim_step(sim);
            return cond != NULL && cond(arg);
        }
        if (next > sim_now())
            netenv_host_set_time(next);
    }
}

void sim_run(struct sim *sim, uint64_t duration_ns)
{
    sim_run_until(sim, NULL, NULL, duration_ns);
}
