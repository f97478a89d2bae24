/*
 * net.h - the EggOS TCP/IP stack: what the kernel's socket layer calls.
 *
 * The stack is one object, struct netstack: its interfaces (netif.h), routes,
 * ARP caches, IPv4 reassembly, and the TCP, UDP and ICMP-echo ("ping")
 * endpoints. The kernel makes one; the host tests make several and wire them
 * together through a simulated link.
 *
 * Rules for callers:
 *
 *  - Concurrency. The stack is not thread-safe. The caller holds one global
 *    net lock around every call: socket calls, netif_input(), net_timer(),
 *    configuration. The stack never sleeps, never blocks and never calls
 *    the scheduler. net_set_lock_check() makes the rule checkable.
 *
 *  - Blocking. Nothing here waits. An operation that cannot proceed returns
 *    -EAGAIN (or -EINPROGRESS for connect); the socket layer sleeps on its
 *    own wait queue and retries when the socket's notify callback reports a
 *    change (docs/net.md shows a blocking recv()).
 *
 *  - Readiness. net_sock_poll() returns Linux EPOLL* bits. Every change that
 *    can alter them (data or a connection arrives, buffer space frees up,
 *    an error, a FIN, a reset) calls the owner's notify callback, with the
 *    lock held; the callback may wake threads but must not call the stack.
 *
 *  - Time. net_timer() runs every protocol timer that is due and returns
 *    the next deadline; any call may move that deadline earlier, so after
 *    each call the kernel re-arms its timer from net_next_deadline().
 *
 *  - Errors are negative Linux errno values (lib/errno.h). Numbers for
 *    flags, socket options and address families are Linux's, so the
 *    syscall layer passes them through unchanged.
 */
#pragma once

#include "lib/types.h"
#include "net/inet.h"

struct netstack;
struct net_sock;

/* ---- the stack ---- */

/*
 * Limits that bound the stack's memory under floods and bad input. Zero
 * fields take the defaults (docs/net.md explains each choice).
 */
struct net_limits {
    uint32_t arp_max_entries;     /* per interface (default 256) */
    uint32_t arp_max_queue;       /* packets waiting per unresolved address (64) */
    uint32_t arp_max_queue_bytes; /* bytes waiting per interface (256 KiB) */
    uint32_t reass_max_bytes;     /* memory held by incomplete datagrams (256 KiB) */
    uint32_t reass_max_datagrams; /* incomplete datagrams at once (64) */
    uint32_t reass_max_frags;     /* fragments per datagram (64) */
    uint32_t loop_max_queue;      /* packets queued on the loopback (4096) */
    uint32_t tcp_max_syn_backlog; /* half-open connections per listener (256) */
    uint32_t tcp_max_orphans;     /* closed-by-the-application connections (4096) */
    uint32_t tcp_max_tw;          /* connections in TIME_WAIT (4096) */
    uint32_t tcp_rto_min_ms;      /* lower bound of the retransmission timeout (200) */
    uint32_t tcp_syncookies;      /* 1 (default): SYN cookies when a SYN queue is full; 2: off */
    uint32_t tcp_options_off;     /* NET_TCP_NO_*: options never offered (Linux's sysctls) */
    uint32_t icmp_rate;           /* ICMP errors per second (1000), burst 50 */
};

/* tcp_options_off bits: like net.ipv4.tcp_sack/tcp_timestamps/tcp_window_scaling = 0. */
#define NET_TCP_NO_SACK 0x1
#define NET_TCP_NO_TIMESTAMPS 0x2
#define NET_TCP_NO_WSCALE 0x4

/* Create a stack with its loopback interface up; NULL when out of memory. */
struct netstack *net_create(const struct net_limits *limits);
/*
 * Tear the whole stack down: interfaces, endpoints and sockets go without
 * any packet being sent. Sockets still open become invalid.
 */
void net_destroy(struct netstack *ns);

/*
 * net_timer runs every timer due at now_ns (a netenv_now_ns() value) and
 * returns the next deadline, or UINT64_MAX when nothing is pending.
 */
uint64_t net_timer(struct netstack *ns, uint64_t now_ns);
/* The earliest pending deadline (UINT64_MAX: none). Cheap. */
uint64_t net_next_deadline(struct netstack *ns);

/*
 * Install a check that the caller holds the net lock; every entry point
 * calls it and treats false as a kernel bug. NULL disables the check.
 */
void net_set_lock_check(struct netstack *ns, bool (*held)(void));

/* ---- addresses, flags and options: Linux's numbers ---- */

#define NET_AF_INET 2
#define NET_SOCK_STREAM 1
#define NET_SOCK_DGRAM 2
#define NET_IPPROTO_MPTCP 262

/* struct sockaddr_in, byte for byte: port and address in network order. */
struct net_sockaddr_in {
    uint16_t sin_family;
    uint16_t sin_port;
    uint32_t sin_addr;
    uint8_t sin_zero[8];
};
_Static_assert(sizeof(struct net_sockaddr_in) == 16, "struct sockaddr_in is 16 bytes");

/* Make a sockaddr from a host-order address and port. */
static inline struct net_sockaddr_in net_sockaddr(uint32_t addr, uint16_t port)
{
    struct net_sockaddr_in sa = {NET_AF_INET, net_htons(port), net_htonl(addr), {0}};
    return sa;
}

#define NET_EPOLLIN 0x001
#define NET_EPOLLPRI 0x002
#define NET_EPOLLOUT 0x004
#define NET_EPOLLERR 0x008
#define NET_EPOLLHUP 0x010
#define NET_EPOLLRDNORM 0x040
#define NET_EPOLLWRNORM 0x100
#define NET_EPOLLRDHUP 0x2000

#define NET_MSG_OOB 0x1
#define NET_MSG_PEEK 0x2
#define NET_MSG_DONTROUTE 0x4
#define NET_MSG_TRUNC 0x20
#define NET_MSG_DONTWAIT 0x40
#define NET_MSG_WAITALL 0x100
#define NET_MSG_NOSIGNAL 0x4000
#define NET_MSG_MORE 0x8000

#define NET_SHUT_RD 0
#define NET_SHUT_WR 1
#define NET_SHUT_RDWR 2

#define NET_SOL_SOCKET 1
#define NET_SOL_IP 0
#define NET_SOL_TCP 6

#define NET_SO_REUSEADDR 2
#define NET_SO_TYPE 3
#define NET_SO_ERROR 4
#define NET_SO_DONTROUTE 5
#define NET_SO_BROADCAST 6
#define NET_SO_SNDBUF 7
#define NET_SO_RCVBUF 8
#define NET_SO_KEEPALIVE 9
#define NET_SO_OOBINLINE 10
#define NET_SO_LINGER 13
#define NET_SO_REUSEPORT 15
#define NET_SO_RCVLOWAT 18
#define NET_SO_ACCEPTCONN 30
#define NET_SO_SNDBUFFORCE 32
#define NET_SO_RCVBUFFORCE 33
#define NET_SO_PROTOCOL 38
#define NET_SO_DOMAIN 39

#define NET_IP_TOS 1
#define NET_IP_TTL 2

#define NET_TCP_NODELAY 1
#define NET_TCP_MAXSEG 2
#define NET_TCP_CORK 3
#define NET_TCP_KEEPIDLE 4
#define NET_TCP_KEEPINTVL 5
#define NET_TCP_KEEPCNT 6
#define NET_TCP_SYNCNT 7
#define NET_TCP_LINGER2 8
#define NET_TCP_INFO 11
#define NET_TCP_QUICKACK 12
#define NET_TCP_CONGESTION 13
#define NET_TCP_USER_TIMEOUT 18

/* struct linger. */
struct net_linger {
    int32_t l_onoff;
    int32_t l_linger; /* seconds */
};

/* TCP states as Linux numbers them (tcpi_state, /proc/net/tcp). */
enum net_tcp_linux_state {
    NET_TCPS_ESTABLISHED = 1,
    NET_TCPS_SYN_SENT,
    NET_TCPS_SYN_RECV,
    NET_TCPS_FIN_WAIT1,
    NET_TCPS_FIN_WAIT2,
    NET_TCPS_TIME_WAIT,
    NET_TCPS_CLOSE,
    NET_TCPS_CLOSE_WAIT,
    NET_TCPS_LAST_ACK,
    NET_TCPS_LISTEN,
    NET_TCPS_CLOSING,
};

/* tcpi_options bits. */
#define NET_TCPI_OPT_TIMESTAMPS 1
#define NET_TCPI_OPT_SACK 2
#define NET_TCPI_OPT_WSCALE 4

/*
 * struct tcp_info as Linux lays it out, up to tcpi_snd_wnd (times in
 * microseconds). Fields we have no measure for are zero.
 */
struct net_tcp_info {
    uint8_t tcpi_state;
    uint8_t tcpi_ca_state;
    uint8_t tcpi_retransmits;
    uint8_t tcpi_probes;
    uint8_t tcpi_backoff;
    uint8_t tcpi_options;
    uint8_t tcpi_wscale; /* snd_wscale : 4, rcv_wscale : 4 (low nibble first) */
    uint8_t tcpi_flags;  /* delivery_rate_app_limited : 1, fastopen_client_fail : 2 */

    uint32_t tcpi_rto;
    uint32_t tcpi_ato;
    uint32_t tcpi_snd_mss;
    uint32_t tcpi_rcv_mss;

    uint32_t tcpi_unacked;
    uint32_t tcpi_sacked;
    uint32_t tcpi_lost;
    uint32_t tcpi_retrans;
    uint32_t tcpi_fackets;

    uint32_t tcpi_last_data_sent;
    uint32_t tcpi_last_ack_sent;
    uint32_t tcpi_last_data_recv;
    uint32_t tcpi_last_ack_recv;

    uint32_t tcpi_pmtu;
    uint32_t tcpi_rcv_ssthresh;
    uint32_t tcpi_rtt;
    uint32_t tcpi_rttvar;
    uint32_t tcpi_snd_ssthresh;
    uint32_t tcpi_snd_cwnd;
    uint32_t tcpi_advmss;
    uint32_t tcpi_reordering;

    uint32_t tcpi_rcv_rtt;
    uint32_t tcpi_rcv_space;

    uint32_t tcpi_total_retrans;

    uint64_t tcpi_pacing_rate;
    uint64_t tcpi_max_pacing_rate;
    uint64_t tcpi_bytes_acked;
    uint64_t tcpi_bytes_received;
    uint32_t tcpi_segs_out;
    uint32_t tcpi_segs_in;

    uint32_t tcpi_notsent_bytes;
    uint32_t tcpi_min_rtt;
    uint32_t tcpi_data_segs_in;
    uint32_t tcpi_data_segs_out;

    uint64_t tcpi_delivery_rate;

    uint64_t tcpi_busy_time;
    uint64_t tcpi_rwnd_limited;
    uint64_t tcpi_sndbuf_limited;

    uint32_t tcpi_delivered;
    uint32_t tcpi_delivered_ce;

    uint64_t tcpi_bytes_sent;
    uint64_t tcpi_bytes_retrans;
    uint32_t tcpi_dsack_dups;
    uint32_t tcpi_reord_seen;

    uint32_t tcpi_rcv_ooopack;

    uint32_t tcpi_snd_wnd;
};

/* ---- moving bytes between the stack and the caller ---- */

/*
 * A net_uio describes the caller's side of a send or receive: len bytes,
 * reached through copy functions so the socket layer can copy straight
 * from and to user memory (returning -EFAULT on a bad address). A
 * function that fails part-way reports the bytes it moved, or -EFAULT when
 * it moved none, as Linux does.
 */
struct net_uio {
    /* Copy n bytes at offset off of the caller's data into dst. 0 or -EFAULT. */
    int (*copy_in)(void *ctx, size_t off, void *dst, size_t n);
    /* Copy n bytes from src to offset off of the caller's data. 0 or -EFAULT. */
    int (*copy_out)(void *ctx, size_t off, const void *src, size_t n);
    void *ctx;
    size_t len;
};

/* A uio over a kernel buffer (memcpy). */
void net_uio_kernel(struct net_uio *uio, void *buf, size_t len);

/* ---- sockets ---- */

/* Called with the net lock held; must not call into the stack. */
typedef void (*net_notify_fn)(void *owner, uint32_t events);

/*
 * net_sock_create makes an AF_INET socket: SOCK_STREAM with protocol 0 or
 * IPPROTO_TCP; SOCK_DGRAM with 0 or IPPROTO_UDP; SOCK_DGRAM with
 * IPPROTO_ICMP (ping socket). Returns 0 and *out, -EPROTONOSUPPORT (for
 * instance MPTCP), -ESOCKTNOSUPPORT for other types, -ENOMEM.
 */
int net_sock_create(struct netstack *ns, int type, int protocol, struct net_sock **out);
/*
 * Set who is told about readiness changes. Until this is called nobody is;
 * accepted sockets start without an owner too. notify gets the current
 * net_sock_poll() mask.
 */
void net_sock_set_owner(struct net_sock *s, void *owner, net_notify_fn notify);
/*
 * Bind to a local address and port (0 = pick an ephemeral port). Returns
 * 0, -EINVAL (already bound, bad length or family), -EADDRNOTAVAIL (not one
 * of our addresses), -EADDRINUSE, -EACCES (broadcast address).
 */
int net_sock_bind(struct net_sock *s, const struct net_sockaddr_in *addr);
/* Start listening (TCP). Returns 0, -EOPNOTSUPP (not TCP), -EINVAL, -EADDRINUSE. */
int net_sock_listen(struct net_sock *s, int backlog);
/*
 * Take an established connection from a listener. Returns 0 with *out (a
 * new socket, no owner) and *peer if not NULL; -EAGAIN when none is ready;
 * -EINVAL when s is not listening.
 */
int net_sock_accept(struct net_sock *s, struct net_sock **out, struct net_sockaddr_in *peer);
/*
 * TCP: start connecting; returns -EINPROGRESS (success so far: wait for
 * EPOLLOUT, then net_sock_take_error()), -EALREADY while in progress,
 * -EISCONN, -ECONNREFUSED/-ETIMEDOUT/... from an earlier attempt,
 * -ENETUNREACH, -EADDRNOTAVAIL (no ephemeral port). UDP/ping: set the
 * default destination (AF_UNSPEC dissolves it), returns 0.
 */
int net_sock_connect(struct net_sock *s, const struct net_sockaddr_in *addr);
/*
 * Send bytes. to may be NULL (TCP always ignores it). Returns the bytes
 * accepted (TCP may accept fewer than asked), -EAGAIN when no buffer space
 * is free, -EPIPE after shutdown or on a dead connection (the socket layer
 * raises SIGPIPE unless MSG_NOSIGNAL), -ENOTCONN, -EDESTADDRREQ,
 * -EMSGSIZE (datagram too large), -EACCES (broadcast without
 * SO_BROADCAST), -ECONNREFUSED (pending ICMP error), -EFAULT.
 */
ssize_t net_sock_sendmsg(struct net_sock *s, const struct net_uio *uio, int flags,
                         const struct net_sockaddr_in *to);
ssize_t net_sock_send(struct net_sock *s, const void *buf, size_t len, int flags);
/*
 * Receive bytes (NET_MSG_PEEK: leave them queued; NET_MSG_TRUNC on a
 * datagram socket: return the full datagram length). Returns the bytes
 * copied, 0 at end of stream, -EAGAIN when nothing is there, -ENOTCONN,
 * -ECONNRESET and other pending errors, -EFAULT. from (if not NULL) gets
 * the sender; *msg_flags (if not NULL) gets NET_MSG_TRUNC when a datagram
 * did not fit.
 */
ssize_t net_sock_recvmsg(struct net_sock *s, const struct net_uio *uio, int flags,
                         struct net_sockaddr_in *from, int *msg_flags);
ssize_t net_sock_recv(struct net_sock *s, void *buf, size_t len, int flags);
/* Shut down one or both directions. Returns 0, -ENOTCONN or -EINVAL. */
int net_sock_shutdown(struct net_sock *s, int how);
/*
 * Release the socket. TCP closes gracefully in the background (the
 * connection may outlive the socket in FIN_WAIT/TIME_WAIT); with SO_LINGER
 * on and a zero timeout, or unread data, it resets instead (RFC 9293
 * 3.10.4); with a non-zero linger timeout the connection is reset if it
 * has not closed cleanly when the timeout expires. s is invalid after.
 */
void net_sock_close(struct net_sock *s);
/* Local (peer = false) or remote address. -ENOTCONN for an unconnected peer. */
int net_sock_getname(struct net_sock *s, struct net_sockaddr_in *addr, bool peer);
/*
 * Socket options, with Linux levels, names and value layouts (ints,
 * struct linger, struct tcp_info). Returns 0, -ENOPROTOOPT for options we
 * do not know, -EINVAL for a short or bad value. getsockopt's *len is in
 * (buffer size) and out (bytes written).
 */
int net_sock_setopt(struct net_sock *s, int level, int name, const void *val, size_t len);
int net_sock_getopt(struct net_sock *s, int level, int name, void *val, size_t *len);
/* Current EPOLL* readiness. */
uint32_t net_sock_poll(struct net_sock *s);
/* Return and clear the pending error (SO_ERROR): 0 or -errno. */
int net_sock_take_error(struct net_sock *s);
/* Bytes ready to read (FIONREAD/SIOCINQ) and not yet acknowledged (SIOCOUTQ). */
int net_sock_inq(struct net_sock *s);
int net_sock_outq(struct net_sock *s);
/* TCP_INFO; -EOPNOTSUPP for non-TCP sockets. */
int net_sock_tcp_info(struct net_sock *s, struct net_tcp_info *info);
/* SOCK_STREAM or SOCK_DGRAM, and the protocol (IPPROTO_*). */
int net_sock_type(const struct net_sock *s);
int net_sock_protocol(const struct net_sock *s);
