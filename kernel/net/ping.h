/*
 * ping.h - ICMP echo ("ping") sockets (internal).
 *
 * socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) as on Linux: the application
 * writes an ICMP echo request (type 8, code 0, any payload); the stack
 * puts the socket's identifier (its bound "port") into the header,
 * computes the checksum and sends it. Echo replies with that identifier
 * are queued on the socket, ICMP header included.
 *
 * Call flow: icmp_input -> ping_input -> pcb->recv (socket.c)
 *            socket.c -> ping_send -> ip_output
 */
#pragma once

#include "net/udp.h"

/*
 * Send the echo request p (data at the ICMP header, PBUF_HEADROOM of
 * headroom) to dst. Consumes p. Returns 0, -EINVAL (not an echo request),
 * or an ip_output error.
 */
int ping_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst);
/* An echo reply arrived (data at the ICMP header). Consumes p. */
void ping_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx);
