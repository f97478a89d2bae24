/*
 * udp.h - UDP endpoints (internal, RFC 768), shared with ping sockets.
 *
 * A udp_pcb is a local (address, port) with an optional connected peer and
 * a receive callback. Sockets (socket.c) and the DHCP client (dhcp.c) use
 * them. Ping sockets (ping.c) use the same structure with proto
 * IPPROTO_ICMP, where the "port" is the echo identifier, as on Linux.
 *
 * Call flow: ip_input -> udp_input -> pcb->recv
 *            socket / dhcp -> udp_send -> ip_output
 */
#pragma once

#include "lib/list.h"
#include "net/ip.h"

struct udp_pcb;

/* A datagram arrived (p: payload only, from port sport). Consumes p. */
typedef void (*udp_recv_fn)(void *arg, struct udp_pcb *pcb, struct pbuf *p, const struct ip_rx *rx,
                            uint16_t sport);
/* An ICMP error arrived for a datagram this endpoint sent (err: -errno). */
typedef void (*udp_error_fn)(void *arg, struct udp_pcb *pcb, int err);

struct udp_pcb {
    struct list_head link; /* ns->udp_pcbs or ns->ping_pcbs */
    struct netstack *ns;
    uint8_t proto;  /* IPPROTO_UDP or IPPROTO_ICMP */
    uint32_t laddr; /* 0: any local address */
    uint16_t lport; /* 0: not bound */
    uint32_t raddr; /* valid when connected */
    uint16_t rport;
    bool connected;
    bool reuseaddr; /* SO_REUSEADDR or SO_REUSEPORT: the port may be shared */
    bool broadcast; /* SO_BROADCAST */
    uint8_t ttl;    /* 0: default */
    uint8_t tos;
    struct netif *netif; /* bound to one interface (DHCP), or NULL */
    udp_recv_fn recv;
    udp_error_fn error;
    void *arg;
};

/* A new unbound endpoint, or NULL when out of memory. */
struct udp_pcb *udp_pcb_new(struct netstack *ns, uint8_t proto, udp_recv_fn recv,
                            udp_error_fn error, void *arg);
void udp_pcb_free(struct udp_pcb *pcb);
/*
 * Bind to addr (0 = any) and port (0 = ephemeral). Returns 0,
 * -EADDRINUSE, -EADDRNOTAVAIL (addr is not ours), -EINVAL (bound already).
 */
int udp_bind(struct udp_pcb *pcb, uint32_t addr, uint16_t port);
/* Set the default peer; binds an ephemeral port first if needed. */
int udp_connect(struct udp_pcb *pcb, uint32_t addr, uint16_t port);
void udp_disconnect(struct udp_pcb *pcb);
/*
 * Send the payload p (with PBUF_HEADROOM) to dst:dport, binding first if
 * needed. Consumes p. Returns 0, -EACCES (broadcast without SO_BROADCAST),
 * -EMSGSIZE, -ENETUNREACH, ... from ip_output.
 */
int udp_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst, uint16_t dport);
/* Process a datagram (data at the UDP header). Consumes p. */
void udp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx);
/*
 * An ICMP error quoted the IP header and first 8 bytes of one of our
 * datagrams (proto UDP or ICMP echo); tell the endpoint that sent it.
 */
void udp_icmp_error(struct netstack *ns, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                    uint16_t dport, int err);
/* Free every endpoint (stack teardown). */
void udp_flush(struct netstack *ns);
