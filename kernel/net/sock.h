/*
 * sock.h - the socket object behind struct net_sock (internal).
 *
 * socket.c implements net.h's net_sock_* on top of the protocol endpoints:
 * a TCP connection block (tcp_user.c) or a UDP / ping endpoint (udp.c,
 * ping.c) with a datagram receive queue kept here.
 */
#pragma once

#include "lib/list.h"
#include "net/net.h"

struct tcp_pcb;
struct udp_pcb;

struct net_sock {
    struct netstack *ns;
    struct list_head link; /* ns->socks */
    int type;              /* NET_SOCK_STREAM / NET_SOCK_DGRAM */
    int protocol;          /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
    void *owner;
    net_notify_fn notify;
    int error;    /* pending error (SO_ERROR), negative errno or 0 */
    uint8_t shut; /* SOCK_SHUT_* (datagram sockets) */
    bool reuseaddr, reuseport, broadcast, keepalive;
    uint32_t sndbuf, rcvbuf; /* as getsockopt reports them */
    int rcvlowat;
    struct net_linger linger;
    uint8_t ttl, tos;

    struct tcp_pcb *tcp; /* SOCK_STREAM */
    struct udp_pcb *udp; /* SOCK_DGRAM: UDP or ping */

    /* Datagram receive queue: payload pbufs, sender in meta.from. */
    struct list_head rxq;
    uint32_t rxq_bytes; /* truesize held */
    uint32_t rxq_count;
};

#define SOCK_SHUT_RD 1
#define SOCK_SHUT_WR 2

#define SOCK_DEFAULT_DGRAM_BUF (208u * 1024) /* Linux's rmem_default */

/* Report the current readiness to the owner (if any). */
void sock_notify(struct net_sock *s);
/* Record a pending error and notify. */
void sock_set_error(struct net_sock *s, int err);
/* Close every socket (stack teardown). */
void sock_flush(struct netstack *ns);
