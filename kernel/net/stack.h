/*
 * stack.h - struct netstack, the state of one TCP/IP stack (internal).
 *
 * Everything lives here rather than in globals so that tests can run
 * several stacks side by side. net.c creates and destroys it, runs the
 * timers and brackets every entry point with net_enter()/net_leave():
 *
 *   entry (socket call, netif_input, net_timer, ...)
 *     net_enter: check the lock rule, read the clock
 *     ... protocol work; packets to local addresses are queued on "lo" ...
 *     net_leave: deliver the loopback queue (which may queue more), then
 *                free the connection blocks released during the event
 *
 * Deferring loopback delivery keeps every path non-recursive: TCP never
 * sees its own ACK arrive while it is still sending.
 */
#pragma once

#include "lib/list.h"
#include "net/ip.h"
#include "net/net.h"
#include "net/netif.h"
#include "net/route.h"
#include "net/snmp.h"
#include "net/tcp.h"

struct netstack {
    struct net_limits limits;
    bool (*lock_held)(void);
    int depth;    /* nesting of net_enter */
    uint64_t now; /* the clock at the current event (ns) */
    uint64_t next_deadline;

    struct list_head netifs;
    int next_ifindex;
    struct netif *loopback;
    struct net_route routes[NET_MAX_ROUTES];

    struct list_head loop_queue; /* IP packets for local delivery */
    uint32_t loop_qlen;

    uint16_t ip_id;
    struct ip_reass reass;
    uint64_t icmp_tokens_time; /* ICMP error rate limit (token bucket) */
    uint32_t icmp_tokens;

    struct list_head udp_pcbs;
    struct list_head ping_pcbs;
    struct tcp_stack tcp;
    struct list_head socks;
    struct list_head dhcp_clients;

    struct net_snmp snmp;
};

void net_enter(struct netstack *ns);
void net_leave(struct netstack *ns);
/* Make sure net_timer runs no later than deadline (ns). */
void net_timer_arm(struct netstack *ns, uint64_t deadline);
/* Queue an IP packet for local delivery on the loopback (consumes p). */
int net_loopback_queue(struct netstack *ns, struct pbuf *p);

/*
 * snprintf that returns the bytes actually written (not counting the NUL),
 * for code appending to a buffer: buf + n stays inside it.
 */
int net_scnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
/* The number of one bits in a netmask (its prefix length). */
unsigned int net_prefix_len(uint32_t netmask);

/* dhcp.c: timers of every client, and teardown. */
void dhcp_timer_all(struct netstack *ns);
void dhcp_flush(struct netstack *ns);
/* An interface goes away: its client (if any) is stopped and freed. */
void dhcp_netif_removed(struct netstack *ns, struct netif *nif);
