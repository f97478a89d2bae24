/*
 * icmp.h - ICMP for IPv4 (internal, RFC 792 and RFC 1122 3.2.2).
 *
 * Answers echo requests, sends errors (port and protocol unreachable,
 * fragmentation needed, reassembly time exceeded) under a rate limit, and
 * hands errors it receives to the transport whose packet caused them.
 * Echo replies go to ping sockets (ping.c).
 *
 * Call flow: ip_input -> icmp_input -> ping_input | udp_icmp_error |
 *                                     tcp_icmp_error
 */
#pragma once

#include "net/ip.h"

/* Process an ICMP message (data at the ICMP header). Consumes p. */
void icmp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx);
/*
 * Send an ICMP error about the received packet described by rx (its IP
 * header and payload must still be readable). Does nothing for packets
 * that must never draw an error (RFC 1122 3.2.2): ICMP errors, broadcasts,
 * non-initial fragments, bad sources; and nothing beyond the rate limit.
 * info is the 32-bit "rest of header" (the next-hop MTU for FRAG_NEEDED).
 */
void icmp_send_error(struct netstack *ns, const struct ip_rx *rx, uint8_t type, uint8_t code,
                     uint32_t info);
