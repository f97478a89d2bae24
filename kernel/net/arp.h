/*
 * arp.h - the ARP cache and resolver (internal to the stack, RFC 826).
 *
 * Each Ethernet interface has a fixed-size cache. An unresolved address
 * gets an INCOMPLETE entry that holds a few packets while requests are
 * retried; when the reply comes they are sent, when it does not they are
 * dropped. Resolved entries expire; a full cache evicts its least recently
 * used entry.
 *
 * Call flow: ether_input -> arp_input (replies, cache updates)
 *            ip_output -> arp_output -> ether_output
 *            net_timer -> arp_timer (retries, expiry)
 */
#pragma once

#include "net/netif.h"

#define ARP_REACHABLE_NS (60ull * 1000000000ull) /* a resolved entry lives 60 s */
#define ARP_RETRY_NS (1000000000ull)             /* request interval when unresolved */
#define ARP_MAX_TRIES 3                          /* requests before giving up */

enum arp_state {
    ARP_FREE = 0,
    ARP_INCOMPLETE, /* request sent, packets may wait in queue */
    ARP_REACHABLE,  /* mac valid until expires */
    ARP_PERMANENT,  /* added by arp_add_static(); never expires */
};

struct arp_entry {
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    uint8_t state; /* enum arp_state */
    uint8_t tries;
    uint64_t expires;       /* REACHABLE: end of life; INCOMPLETE: next retry */
    uint64_t last_used;     /* for LRU eviction */
    struct list_head queue; /* pbufs (IP packets) waiting for the address */
    uint32_t qlen;
};

/* Allocate nif's cache; 0 or -ENOMEM. */
int arp_init_netif(struct netif *nif);
/* Drop every entry and queued packet, and free the cache. */
void arp_free_netif(struct netif *nif);
/* Process an ARP packet (data at the ARP header). Consumes p. */
void arp_input(struct netif *nif, struct pbuf *p);
/*
 * Send the IP packet p (data at the IP header) to nexthop on nif,
 * resolving the hardware address first if needed. Consumes p. Returns 0
 * (sent or queued), -EHOSTUNREACH (resolution failed recently), -ENOBUFS.
 */
int arp_output(struct netif *nif, struct pbuf *p, uint32_t nexthop);
/* Broadcast a gratuitous ARP request for nif's address. */
void arp_announce(struct netif *nif);
/* Add or replace a permanent entry. 0, -EINVAL, -ENOSPC. */
int arp_add_static(struct netif *nif, uint32_t ip, const uint8_t mac[ETH_ALEN]);
/* Copy the resolved address of ip into mac; false when unknown. */
bool arp_lookup(struct netif *nif, uint32_t ip, uint8_t mac[ETH_ALEN]);
/* Retries and expiry for every interface. */
void arp_timer(struct netstack *ns);
