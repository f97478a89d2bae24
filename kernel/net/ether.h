/*
 * ether.h - Ethernet framing (internal to the stack).
 *
 * ether_input() is where netif_input() sends frames from Ethernet
 * interfaces; ether_output() adds the header and hands the frame to the
 * driver. ip_output() goes through arp_output() to reach it.
 */
#pragma once

#include "net/netif.h"

extern const uint8_t ether_broadcast[ETH_ALEN];

/* Demultiplex a received frame (data at the Ethernet header). Consumes p. */
void ether_input(struct netif *nif, struct pbuf *p);
/*
 * Prepend an Ethernet header (to dst, ethertype type) and transmit.
 * Consumes p. Returns 0 or -ENOBUFS (no headroom, driver queue full),
 * -ENETDOWN.
 */
int ether_output(struct netif *nif, struct pbuf *p, const uint8_t dst[ETH_ALEN], uint16_t type);
