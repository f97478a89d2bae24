/*
 * ip.h - IPv4 input and output, fragmentation and reassembly (internal).
 *
 * Call flow:
 *   ether_input / loopback -> ip_input -> [ip_reass_add] -> icmp_input |
 *                                          udp_input | tcp_input
 *   tcp / udp / icmp -> ip_output -> route_lookup -> [fragment] ->
 *                       arp_output (Ethernet) | loopback queue
 */
#pragma once

#include "lib/list.h"
#include "net/netif.h"

/* What ip_input learned about a packet, handed to the transports. */
struct ip_rx {
    struct netif *netif;
    uint32_t src; /* host order */
    uint32_t dst;
    uint8_t proto;
    uint8_t ttl;
    uint8_t tos;
    bool broadcast;        /* sent to a broadcast or multicast address */
    const uint8_t *iphdr;  /* the IP header, still inside the pbuf */
    uint16_t iphdr_len;    /* its length */
    uint16_t ip_total_len; /* header plus payload */
};

/* How a transport wants a packet sent. */
struct ip_tx {
    uint32_t src; /* 0: the outgoing interface's address */
    uint32_t dst;
    uint8_t proto;
    uint8_t ttl; /* 0: IP_DEFAULT_TTL */
    uint8_t tos;
    bool df;              /* set Don't Fragment (path MTU discovery) */
    bool allow_broadcast; /* 255.255.255.255 or a subnet broadcast is fine */
    struct netif *netif;  /* send on this interface (DHCP); NULL: route */
};

/* IPv4 reassembly state of one stack (ip_frag.c). */
struct ip_reass {
    struct list_head datagrams; /* oldest first */
    uint32_t ndatagrams;
    uint32_t bytes; /* truesize of every pbuf held */
};

#define IP_REASS_TIMEOUT_NS (30ull * 1000000000ull)

/* Process a received IPv4 packet (data at the IP header). Consumes p. */
void ip_input(struct netif *nif, struct pbuf *p);
/*
 * Send the transport packet p (data at the transport header; the IP header
 * goes into the headroom). Completes a CSUM_PARTIAL checksum in software
 * unless the interface offloads it; fragments when the packet exceeds the
 * MTU and df is false. Consumes p. Returns 0, -ENETUNREACH (no route),
 * -EHOSTUNREACH, -EMSGSIZE (too big with df), -ENOBUFS, -ENETDOWN.
 */
int ip_output(struct netstack *ns, struct pbuf *p, const struct ip_tx *tx);
/*
 * The source address ip_output would use for dst (forced interface nif may
 * be NULL), or 0 when dst is unreachable. *mtu (if not NULL) gets the MTU
 * of the path's first hop.
 */
uint32_t ip_route_source(struct netstack *ns, uint32_t dst, struct netif *nif, uint16_t *mtu);
/* True when addr is one of the stack's unicast addresses (or 127/8). */
bool ip_is_local(struct netstack *ns, uint32_t addr);
/* True when addr is a broadcast address of nif (or of any interface if NULL). */
bool ip_is_broadcast(struct netstack *ns, uint32_t addr, struct netif *nif);
/* Complete the checksum of a CSUM_PARTIAL pbuf in software. */
void ip_csum_complete(struct pbuf *p);

/*
 * Add the fragment p (data at the IP header) to its datagram. Consumes p.
 * Returns the whole datagram (data at a rebuilt IP header, MF and offset
 * clear) when this fragment completed it, else NULL.
 */
struct pbuf *ip_reass_add(struct netstack *ns, struct pbuf *p);
/* Expire datagrams whose time is up (ICMP time exceeded for them). */
void ip_reass_timer(struct netstack *ns);
/* Free everything (stack teardown). */
void ip_reass_flush(struct netstack *ns);
/*
 * Split p (data at a complete IP header) into fragments that fit mtu and
 * send each through nif to nexthop. Consumes p. 0 or -errno.
 */
int ip_fragment_output(struct netif *nif, struct pbuf *p, uint32_t nexthop, uint16_t mtu);
/* Hand a finished IP packet to nif: ARP, the driver, or the loopback queue. */
int ip_output_link(struct netif *nif, struct pbuf *p, uint32_t nexthop);
