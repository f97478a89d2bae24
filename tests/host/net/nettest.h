/*
 * nettest.h - helpers for the network stack's host tests and fuzzers.
 *
 *  - netenv_host.c: the virtual clock, deterministic randomness, memory
 *    accounting and failure injection behind kernel/net/netenv.h;
 *  - sim.c: a simulated Ethernet segment joining several stacks (and
 *    scripted endpoints) that can drop, duplicate, reorder, delay, corrupt
 *    and rate-limit frames, driven by the virtual clock;
 *  - pkt.c: building and parsing raw frames, for tests that play the peer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"
#include "net/netif.h"

/* ---- netenv_host.c ---- */

void netenv_host_set_time(uint64_t ns);
void netenv_host_advance(uint64_t ns);
void netenv_host_seed(uint64_t seed);
size_t netenv_host_mem_live(void);
size_t netenv_host_mem_peak(void);
size_t netenv_host_allocs_live(void);
void netenv_host_mem_reset_peak(void);
/* Fail allocations that would take live memory beyond bytes (0: no limit). */
void netenv_host_mem_limit(size_t bytes);
/* Let n allocations succeed, then fail one (-1: never). */
void netenv_host_fail_alloc_after(long n);
/* Fail every n-th allocation from now on (0: stop). */
void netenv_host_fail_alloc_every(unsigned long n);
bool netenv_host_log_contains(const char *s);
const char *netenv_host_log(void);
void netenv_host_log_clear(void);

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- sim.c ---- */

#define SIM_MAX_PORTS 8

/* Impairments applied to frames a port sends. Probabilities in ppm. */
struct sim_link_cfg {
    uint32_t loss_ppm;
    uint32_t dup_ppm;
    uint32_t corrupt_ppm;
    uint32_t reorder_ppm; /* this share of frames is held back reorder_ns more */
    uint64_t delay_ns;    /* one-way propagation delay */
    uint64_t jitter_ns;   /* extra random delay in [0, jitter_ns) */
    uint64_t reorder_ns;
    uint64_t rate_bps;    /* 0: infinite */
    uint32_t queue_limit; /* frames in flight from this port (0: no limit) */
};

struct sim;
struct sim_port;

/* A scripted endpoint's receive function. */
typedef void (*sim_rx_fn)(struct sim_port *port, const uint8_t *frame, size_t len, void *arg);
/* Look at every frame put on the wire; return false to lose it. */
typedef bool (*sim_tap_fn)(struct sim *sim, int from, const uint8_t *frame, size_t len, void *arg);
/* May change a frame the wire carries (after the tap and the impairments). */
typedef void (*sim_rewrite_fn)(struct sim *sim, int from, uint8_t *frame, size_t len, void *arg);

struct sim_port {
    struct sim *sim;
    int index;
    struct netstack *ns;       /* the stack this port created (sim_add_host) */
    struct netstack *attached; /* or joined (sim_attach); not destroyed with the sim */
    struct netif *nif;         /* NULL for a scripted endpoint */
    sim_rx_fn rx;
    void *rx_arg;
    uint8_t mac[6];
    struct sim_link_cfg cfg;
    uint64_t busy_until;
    uint32_t in_flight;
    int segment; /* frames reach only ports on the same segment */
    uint64_t sent, lost, duplicated, corrupted, delivered;
};

struct sim_frame;

struct sim {
    struct sim_port ports[SIM_MAX_PORTS];
    int nports;
    struct sim_frame *queue; /* by delivery time */
    uint64_t rng;
    sim_tap_fn tap;
    void *tap_arg;
    uint64_t tap_delay; /* a tap may set this: extra delay for the frame it lets pass */
    sim_rewrite_fn rewrite;
    void *rewrite_arg;
};

void sim_init(struct sim *sim, uint64_t seed);
/* Free every stack and frame. */
void sim_destroy(struct sim *sim);
/*
 * A stack with one Ethernet interface (MAC 02:00:00:00:00:<index+1>)
 * configured addr/24 and up. Returns the port; port->ns and port->nif.
 */
struct sim_port *sim_add_host(struct sim *sim, uint32_t addr, const struct net_limits *limits);
/*
 * Another interface of an existing stack, on segment (0 is the default
 * one), with addr/24. Returns the port.
 */
struct sim_port *sim_attach(struct sim *sim, struct netstack *ns, int segment, uint32_t addr);
/* An endpoint whose frames the test handles (MAC 02:00:00:00:00:<index+1>). */
struct sim_port *sim_add_scripted(struct sim *sim, sim_rx_fn rx, void *arg);
/* A scripted endpoint puts a frame on the wire (impairments apply). */
void sim_send(struct sim_port *from, const uint8_t *frame, size_t len);
/* Run the simulation for duration_ns of virtual time. */
void sim_run(struct sim *sim, uint64_t duration_ns);
/* Run until cond(arg) holds (true) or timeout_ns passes (false). */
bool sim_run_until(struct sim *sim, bool (*cond)(void *arg), void *arg, uint64_t timeout_ns);
/* Deliver what is due and run due timers, without advancing the clock. */
void sim_step(struct sim *sim);
uint64_t sim_now(void);
/* A reproducible random number for tests. */
uint64_t sim_rand(struct sim *sim);

/* ---- pkt.c: raw frames ---- */

struct pkt_tcp {
    uint8_t src_mac[6], dst_mac[6];
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    const uint8_t *opts; /* raw option bytes, a multiple of 4 */
    size_t optlen;
    const uint8_t *data;
    size_t len;
    bool bad_csum;
};

/* Build an Ethernet + IPv4 + TCP frame into buf. Returns its length. */
size_t pkt_build_tcp(uint8_t *buf, size_t size, const struct pkt_tcp *t);
/* Build Ethernet + IPv4 around a payload (proto, fragment fields as given). */
size_t pkt_build_ip(uint8_t *buf, size_t size, const uint8_t dst_mac[6], const uint8_t src_mac[6],
                    uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t id, uint16_t frag_off,
                    uint8_t ttl, const uint8_t *payload, size_t len);
/* Build Ethernet + IPv4 + UDP (checksum computed). */
size_t pkt_build_udp(uint8_t *buf, size_t size, const uint8_t dst_mac[6], const uint8_t src_mac[6],
                     uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                     const uint8_t *payload, size_t len);
/* Build an Ethernet + ARP frame. */
size_t pkt_build_arp(uint8_t *buf, size_t size, const uint8_t eth_dst[6], uint16_t op,
                     const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/* A parsed TCP/IPv4 frame. */
struct pkt_info {
    uint16_t ethertype;
    uint8_t proto;
    uint32_t saddr, daddr;
    uint16_t ip_id, frag_off;
    uint8_t ttl;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    bool has_mss, has_ws, has_sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    int nsack;
    uint32_t sack[4][2];
    const uint8_t *data;
    size_t len;
    /* ICMP / UDP */
    uint8_t icmp_type, icmp_code;
    /* ARP */
    uint16_t arp_op;
    uint32_t arp_spa, arp_tpa;
};

/* Parse a frame (Ethernet, then ARP or IPv4 with TCP/UDP/ICMP). False if it is not one. */
bool pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *out);

/*
 * A scripted peer that records every frame it receives (up to 4096) and
 * answers ARP requests for its address.
 */
struct peer {
    struct sim_port *port;
    uint32_t addr;
    uint8_t *frames[4096];
    size_t lens[4096];
    uint64_t times[4096];
    int nframes;
    int next; /* first frame not yet consumed by peer_next_tcp */
};

void peer_init(struct peer *peer, struct sim *sim, uint32_t addr);
void peer_free(struct peer *peer);
/* The next TCP frame the peer received (skipping others), or false. */
bool peer_next_tcp(struct peer *peer, struct pkt_info *out);
/* Send a TCP segment from the peer to the host behind port host. */
void peer_send_tcp(struct peer *peer, struct sim_port *host, uint32_t host_addr, uint16_t sport,
                   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                   const uint8_t *opts, size_t optlen, const void *data, size_t len);
/* Count of TCP frames received so far with all of the given flags. */
int peer_count_tcp(struct peer *peer, uint8_t flags);

/* ---- helpers.c: socket conveniences for tests ---- */

/* Records what a socket's notify callback was told. */
struct notify_log {
    int calls;
    uint32_t last;
    uint32_t seen; /* OR of every mask reported */
};
void notify_record(void *owner, uint32_t events);

/* A listening TCP socket on port (any address). Asserts on failure. */
struct net_sock *test_listen(struct netstack *ns, uint16_t port, int backlog);
/*
 * Connect from client to server_addr:port, run the simulation until the
 * connection is established and accepted; returns the accepted socket in
 * *srv and the client socket in *cli. False on failure.
 */
bool test_connect(struct sim *sim, struct netstack *client, uint32_t server_addr, uint16_t port,
                  struct net_sock *listener, struct net_sock **cli, struct net_sock **srv);
/*
 * Move len bytes of a deterministic pattern from a to b through the
 * simulation (a writes as fast as it can, b reads everything), checking
 * every byte. Returns the bytes b received correctly (len on success).
 */
size_t test_transfer(struct sim *sim, struct net_sock *a, struct net_sock *b, size_t len,
                     uint64_t timeout_ns);
/* The pattern byte at offset i of a transfer. */
uint8_t test_pattern(size_t i);
/* The TCP_INFO of a socket. */
struct net_tcp_info test_info(struct net_sock *s);
