/*
 * tcp.h - TCP (RFC 9293) inside the stack: the connection block and the
 * functions the TCP files share. The socket layer never sees this header;
 * it calls net_sock_* (net.h), which socket.c maps onto tcp_user.c.
 *
 * Files:
 *   tcp.c        connection blocks: allocation, lookup (4-tuple hash),
 *                ports, initial sequence numbers, reaching CLOSED
 *   tcp_listen.c passive open: LISTEN, the SYN queue, SYN cookies, accept
 *   tcp_in.c     segment arrival: the RFC 9293 3.10.7 state machine
 *   tcp_out.c    building and sending segments: data, ACK, SYN, FIN, RST
 *   tcp_cc.c     congestion control (NewReno) and loss recovery with SACK
 *   tcp_timer.c  retransmission (RFC 6298), delayed ACK, persist,
 *                keepalive, TIME_WAIT and FIN_WAIT_2 timers
 *   tcp_user.c   what sockets do: connect, send, recv, shutdown, close,
 *                options, poll, TCP_INFO
 *
 * Call flow of a segment: ip_input -> tcp_input -> (tcp_listen_input |
 * tcp_process) -> tcp_ack -> tcp_cc_* ; tcp_data_in ; tcp_output.
 *
 * Buffers: each connection has a send ring (bytes from SND.UNA on,
 * acknowledged bytes leave from the front, retransmissions are copied out
 * again) and a receive ring in which out-of-order data is stored at its
 * final place, with a short list of the sequence ranges held beyond
 * RCV.NXT. No segment is queued as a pbuf, so a connection's memory is
 * exactly its two rings, whatever the peer sends.
 */
#pragma once

#include "lib/list.h"
#include "net/ip.h"
#include "net/net.h"

struct net_sock;

enum tcp_state {
    TCP_CLOSED = 0,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};

/* Tunables (docs/net.md says why). Times in nanoseconds. */
#define TCP_MSL_NS (30ull * 1000000000ull) /* TIME_WAIT lasts 2 MSL = 60 s */
#define TCP_INITIAL_RTO_NS (1000000000ull) /* RFC 6298 2.1 */
#define TCP_MAX_RTO_NS (120ull * 1000000000ull)
#define TCP_DELACK_NS (40ull * 1000000ull)         /* delayed ACK, as Linux's minimum */
#define TCP_FIN_TIMEOUT_NS (60ull * 1000000000ull) /* orphan FIN_WAIT_2 */
#define TCP_PERSIST_MIN_NS (200ull * 1000000ull)
#define TCP_TS_TICK_NS 1000000ull /* our timestamp clock ticks in ms */
#define TCP_PERSIST_MAX_NS (60ull * 1000000000ull)
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_DATA_RETRIES 15 /* tcp_retries2 */
#define TCP_ORPHAN_RETRIES 8
#define TCP_PROBE_RETRIES 15 /* unanswered zero-window probes */
#define TCP_KEEPIDLE_S 7200
#define TCP_KEEPINTVL_S 75
#define TCP_KEEPCNT 9
#define TCP_DEFAULT_MSS 536 /* when the peer sends no MSS option */
#define TCP_MIN_MSS 88
#define TCP_DEFAULT_BUF (128u * 1024)
#define TCP_MIN_BUF 4608u
#define TCP_MAX_BUF (8u * 1024 * 1024)
#define TCP_MAX_OOO 24    /* out-of-order ranges held by the receiver */
#define TCP_MAX_SACKED 24 /* SACKed ranges the sender remembers */
#define TCP_MAX_RXT 32    /* retransmissions of one recovery watched for loss */
#define TCP_MAX_WSCALE 14
#define TCP_CHALLENGE_PER_S 5  /* RFC 5961 challenge ACKs per connection per second */
#define TCP_DUPTHRESH 3        /* initial duplicate-ACK threshold (RFC 5681) */
#define TCP_MAX_REORDERING 127 /* how far the threshold may grow with reordering */

/* pcb->flags */
#define TF_ACK_NOW 0x00000001     /* send an ACK at the end of this event */
#define TF_ACK_DELAYED 0x00000002 /* an ACK is owed; the delayed-ACK timer runs */
#define TF_NODELAY 0x00000004     /* TCP_NODELAY: no Nagle */
#define TF_CORK 0x00000008        /* TCP_CORK: only full segments */
#define TF_KEEPALIVE 0x00000010   /* SO_KEEPALIVE */
#define TF_FIN_QUEUED 0x00000020  /* no more data: send FIN after the send ring */
#define TF_RCV_SHUT 0x00000040    /* shutdown(SHUT_RD) by the application */
#define TF_PEER_FIN 0x00000080    /* the peer's FIN was received in order */
#define TF_FIN_PENDING 0x00000100 /* a FIN beyond RCV.NXT is remembered */
#define TF_WS_OK 0x00000200       /* window scaling negotiated */
#define TF_TS_OK 0x00000400       /* timestamps negotiated */
#define TF_SACK_OK 0x00000800     /* SACK permitted both ways */
#define TF_NOSPACE 0x00001000     /* a writer saw a full send ring */
#define TF_ORPHAN 0x00002000      /* the socket was closed; counted in norphans */
#define TF_PASSIVE 0x00004000     /* created by a listener */
#define TF_WAS_CONN 0x00008000    /* reached ESTABLISHED once */
#define TF_LINGER_RST 0x00010000  /* SO_LINGER timed out or zero: reset on close */
#define TF_RTT_TIMING 0x00020000  /* rtt_seq is being timed (no timestamps) */
#define TF_IN_HASH 0x00040000
#define TF_RELEASED 0x00080000     /* on the free list; gone at the end of the event */
#define TF_PERSIST 0x00100000      /* the persist timer owns probing */
#define TF_SWS_OVERRIDE 0x00200000 /* the persist timer lets one small segment out */

/* Congestion-control state (tcpi_ca_state numbers). */
enum tcp_ca_state {
    TCP_CA_OPEN = 0,
    TCP_CA_DISORDER = 1,
    TCP_CA_RECOVERY = 3,
    TCP_CA_LOSS = 4,
};

struct tcp_range {
    uint32_t start; /* first sequence number */
    uint32_t end;   /* one past the last */
};

/* Send ring: the bytes from sequence number seq on (unacked, then unsent). */
struct tcp_sndq {
    uint8_t *buf; /* NULL until the first send */
    uint32_t cap;
    uint32_t head; /* ring index of the byte at seq */
    uint32_t len;
    uint32_t seq;
};

/*
 * Receive ring: avail in-order bytes from head for the application, then
 * room for the window. Out-of-order data sits at its offset from RCV.NXT;
 * ooo[] lists those ranges, sorted and disjoint.
 */
struct tcp_rcvq {
    uint8_t *buf; /* NULL until data arrives */
    uint32_t cap;
    uint32_t head;
    uint32_t avail;
    struct tcp_range ooo[TCP_MAX_OOO];
    uint8_t nooo;
    uint8_t ooo_last; /* index of the range that grew last (first SACK block) */
};

/* One segment as parsed by tcp_input. */
struct tcp_seg {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;
    uint16_t wnd; /* the raw window field */
    const uint8_t *data;
    uint32_t len;      /* payload bytes */
    uint16_t gso_size; /* the sender's segments, when the NIC merged them (pbuf) */
    /* options */
    uint16_t mss;  /* 0: absent */
    int8_t wscale; /* -1: absent */
    bool sack_ok;
    bool has_ts;
    uint32_t tsval;
    uint32_t tsecr;
    uint8_t nsack;
    struct tcp_range sack[4];
};

struct tcp_pcb {
    struct netstack *ns;
    struct list_head all_link;   /* ns->tcp.pcbs, or ns->tcp.free_list */
    struct list_head hash_link;  /* hash bucket, listeners or bound list */
    struct list_head queue_link; /* a listener's SYN/accept queue, or the TIME_WAIT list */
    enum tcp_state state;
    uint32_t flags; /* TF_* */

    uint32_t laddr, raddr; /* host order; laddr 0 = any (unbound/listening) */
    uint16_t lport, rport;
    bool reuseaddr, reuseport;

    struct net_sock *sock;    /* NULL when orphaned or not yet accepted */
    struct tcp_pcb *listener; /* for children in a SYN or accept queue */
    bool in_accept_queue;     /* in listener->accept_queue (else syn_queue) */

    /* LISTEN only. */
    struct list_head syn_queue;
    struct list_head accept_queue;
    uint32_t syn_qlen, accept_qlen, backlog;
    uint64_t last_synq_overflow; /* when SYN cookies were last needed */

    /* Send sequence space (RFC 9293 3.3.1). */
    uint32_t iss;
    uint32_t snd_una, snd_nxt, snd_max; /* snd_max: highest ever sent */
    uint32_t snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
    uint8_t snd_wscale, rcv_wscale;
    struct tcp_sndq sndq;
    uint32_t sndbuf; /* capacity the send ring may have */

    /* Receive sequence space. */
    uint32_t irs;
    uint32_t rcv_nxt;
    uint32_t rcv_adv;       /* right edge of the window we advertised */
    uint32_t rcv_fin_seq;   /* TF_FIN_PENDING: where the peer's FIN is */
    uint32_t last_ack_sent; /* RCV.NXT in the last ACK we sent */
    struct tcp_rcvq rcvq;
    uint32_t rcvbuf;
    uint32_t rcv_mss; /* largest segment seen, for the delayed-ACK rule */

    /* Segment size: payload of a full segment, before options. */
    uint16_t mss;
    uint16_t advmss;   /* what we announced in our SYN */
    uint16_t user_mss; /* TCP_MAXSEG, 0: none */
    uint16_t pmtu;

    /* Timestamps (RFC 7323). */
    uint32_t ts_offset; /* per connection, added to the millisecond clock */
    uint32_t ts_recent;
    uint64_t ts_recent_time;

    /* Round-trip time (RFC 6298), nanoseconds. */
    uint64_t srtt, rttvar, rto, min_rtt;
    uint32_t rtt_seq;
    uint64_t rtt_start;
    uint8_t backoff; /* consecutive timeouts (RTO doublings) */
    uint8_t retries; /* unanswered retransmissions */
    uint8_t syn_retries;
    uint8_t probes;             /* zero-window or keepalive probes without answer */
    uint64_t first_rexmit_time; /* for TCP_USER_TIMEOUT */

    /* Congestion control and loss recovery (tcp_cc.c). */
    uint8_t ca_state;
    uint32_t cwnd, ssthresh;
    uint32_t recover; /* snd_max when recovery began (RFC 6582) */
    uint32_t dupacks;
    uint32_t dupthresh;   /* grows when reordering fooled us (Linux's "reordering") */
    uint32_t bytes_acked; /* toward the next congestion-avoidance increase */
    /* Undoing a reduction that a spurious retransmission caused (RFC 3522). */
    uint32_t undo_cwnd, undo_ssthresh;
    uint32_t undo_tsval; /* our TSval when the episode's first retransmission left */
    bool undo_ok;
    struct tcp_range sacked[TCP_MAX_SACKED]; /* the SACK scoreboard, sorted */
    uint8_t nsacked;
    uint32_t sacked_bytes;
    uint32_t high_rxt; /* retransmitted up to here in this recovery */
    /*
     * This recovery's retransmissions not yet acknowledged, each with
     * SND.MAX when it left: a SACK beyond that mark means it was lost too.
     */
    struct tcp_rxt {
        uint32_t start, end, mark;
    } rxt[TCP_MAX_RXT];
    uint8_t nrxt;

    /* Timers: absolute deadlines in ns, 0 when stopped. */
    uint64_t t_rexmit, t_persist, t_delack, t_keepalive, t_close, t_linger;
    uint64_t persist_interval;

    /* Settings. */
    uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
    uint32_t user_timeout_ms;
    uint32_t fin_timeout_s; /* TCP_LINGER2 */
    uint8_t ttl, tos;

    /* Activity, for keepalive, TCP_INFO and RFC 5961 rate limiting. */
    uint64_t last_rcv, last_snd, last_data_rcv, last_data_snd, last_ack_rcv;
    uint64_t challenge_window;
    uint32_t challenge_count;
    int soft_error; /* last ICMP error, reported on timeout */

    /* Statistics (TCP_INFO). */
    uint64_t bytes_acked_total, bytes_received, bytes_sent, bytes_retrans;
    uint32_t segs_in, segs_out, data_segs_in, data_segs_out;
    uint32_t total_retrans, rcv_ooopack;
};

/* Everything TCP keeps per stack. */
#define TCP_HASH_SIZE 1024

struct tcp_stack {
    struct list_head pcbs;      /* every live pcb */
    struct list_head free_list; /* released during this event */
    struct list_head hash[TCP_HASH_SIZE];
    struct list_head listeners;
    struct list_head bound;     /* CLOSED pcbs with a port, not connected */
    struct list_head time_wait; /* oldest first */
    uint32_t ntime_wait, norphans, npcbs;
    uint8_t secret[16]; /* keys ISNs, SYN cookies and the hash */
};

/* ---- tcp.c ---- */

void tcp_init(struct netstack *ns);
void tcp_flush(struct netstack *ns); /* teardown: free every pcb, no packets */
/* A new CLOSED pcb with default settings, or NULL. */
struct tcp_pcb *tcp_pcb_new(struct netstack *ns);
/* Free pcbs released during this event (net_leave). */
void tcp_free_released(struct netstack *ns);
struct tcp_pcb *tcp_lookup(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                           uint16_t rport);
struct tcp_pcb *tcp_lookup_listener(struct netstack *ns, uint32_t laddr, uint16_t lport);
void tcp_hash_insert(struct tcp_pcb *pcb);
void tcp_hash_remove(struct tcp_pcb *pcb);
/* Bind pcb to laddr:lport (0: ephemeral). 0, -EADDRINUSE, -EADDRNOTAVAIL. */
int tcp_bind(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport);
/* Pick a free ephemeral port for a connection to raddr:rport. */
int tcp_pick_port(struct tcp_pcb *pcb);
uint32_t tcp_new_isn(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                     uint16_t rport);
uint32_t tcp_ts_offset(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport);
/* The millisecond timestamp clock of pcb (RFC 7323 TSval). */
uint32_t tcp_ts_now(const struct tcp_pcb *pcb);
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state state);
/* Linux's number for a state (tcpi_state, /proc/net/tcp). */
uint8_t tcp_linux_state(enum tcp_state s);
/*
 * The connection is over: stop timers, leave the hash and queues, record
 * err (negative errno, or 0) for the socket, notify it; an orphan or a
 * child nobody accepted is released.
 */
void tcp_done(struct tcp_pcb *pcb, int err);
/* Send RST (if synchronized) and tcp_done(err). */
void tcp_abort(struct tcp_pcb *pcb, int err);
/* Unlink and put pcb on the free list (freed at the end of the event). */
void tcp_release(struct tcp_pcb *pcb);
/* Enter TIME_WAIT: free the rings, start the 2 MSL timer. */
void tcp_enter_time_wait(struct tcp_pcb *pcb);
/* Tell the socket (if any) that its readiness may have changed. */
void tcp_notify(struct tcp_pcb *pcb);
/* Compute mss from the peer's MSS, the route MTU and TCP_MAXSEG. */
void tcp_update_mss(struct tcp_pcb *pcb, uint16_t peer_mss);
/* Window-scale shift for a receive buffer of rcvbuf bytes. */
uint8_t tcp_wscale_for(uint32_t rcvbuf);
/* Hand an ICMP error for one of our segments to its connection. */
void tcp_icmp_error(struct netstack *ns, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                    uint32_t seq, uint8_t type, uint8_t code, uint16_t mtu);
const char *tcp_state_name(enum tcp_state state);

/* ---- tcp_listen.c ---- */

int tcp_listen(struct tcp_pcb *pcb, int backlog);
/*
 * A segment for a listener (no connection matched). Returns a connection
 * that was just rebuilt from a SYN cookie, for the segment to be processed
 * by (its data), or NULL when the segment has been dealt with.
 */
struct tcp_pcb *tcp_listen_input(struct tcp_pcb *lpcb, struct tcp_seg *seg, const struct ip_rx *rx);
/* Take the first connection from the accept queue, or NULL. */
struct tcp_pcb *tcp_accept(struct tcp_pcb *lpcb);
/* A child left SYN_RECEIVED: move it to the accept queue (false: full). */
bool tcp_child_established(struct tcp_pcb *pcb);
/* Remove a child from its listener's queues. */
void tcp_child_unlink(struct tcp_pcb *pcb);
/* Close a listener: reset and free every child. */
void tcp_listen_close(struct tcp_pcb *lpcb);

/* ---- tcp_in.c ---- */

void tcp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx);
/* Parse the options in hdr (hlen bytes) into seg. */
void tcp_parse_options(const uint8_t *hdr, size_t hlen, struct tcp_seg *seg);
/* Apply the SYN options of seg to pcb (MSS, window scale, SACK, timestamps). */
void tcp_apply_syn_options(struct tcp_pcb *pcb, const struct tcp_seg *seg);
/* Drop the options the stack is configured never to use (limits.tcp_options_off). */
void tcp_mask_options(struct tcp_pcb *pcb);

/* ---- tcp_out.c ---- */

/* Send whatever the windows, Nagle and the ACK state allow. */
void tcp_output(struct tcp_pcb *pcb);
void tcp_send_ack(struct tcp_pcb *pcb);
/* SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED); arms the retransmission timer. */
int tcp_send_syn(struct tcp_pcb *pcb);
/* RST for pcb's connection at SND.NXT. */
void tcp_send_rst(struct tcp_pcb *pcb);
/* RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_rst_reply(struct netstack *ns, const struct ip_rx *rx, const struct tcp_seg *seg);
/* A SYN-ACK from no pcb (SYN cookie): the listener's addresses, given seqs. */
void tcp_send_synack_cookie(struct tcp_pcb *lpcb, const struct ip_rx *rx, uint16_t rport,
                            const struct tcp_seg *syn, uint32_t iss, uint32_t tsval);
/* Send a segment of len bytes starting at seq from the send ring. */
int tcp_send_segment(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin);
/* Keepalive / zero-window probe without data (seq SND.UNA - 1). */
void tcp_send_probe(struct tcp_pcb *pcb);
/* RFC 5961 challenge ACK, rate limited per connection. */
void tcp_send_challenge_ack(struct tcp_pcb *pcb);
/* The window field for the next segment, updating rcv_adv. */
uint16_t tcp_window_field(struct tcp_pcb *pcb);
/* The free receive space the window could announce now. */
uint32_t tcp_rcv_space(const struct tcp_pcb *pcb);
/* Payload of a full data segment after options. */
uint32_t tcp_eff_mss(const struct tcp_pcb *pcb);
/* Bytes of the peer's window and cwnd we may still fill. */
uint32_t tcp_flight_size(const struct tcp_pcb *pcb);

/* ---- tcp_cc.c ---- */

void tcp_cc_init(struct tcp_pcb *pcb);
/* New data acknowledged (acked bytes), called before snd_una moves. */
void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t ack, uint32_t acked);
/* A duplicate ACK (RFC 5681's definition, or one that SACKs new data: RFC 6675's). */
void tcp_cc_dupack(struct tcp_pcb *pcb);
/* A cumulative ACK that also SACKed new data: enter recovery if the scoreboard shows a loss. */
void tcp_cc_sack_news(struct tcp_pcb *pcb);
/* The retransmission timer expired. */
void tcp_cc_timeout(struct tcp_pcb *pcb);
/*
 * Before acting on an ACK of new data during recovery: if its timestamp
 * echo shows the original transmission arrived (the Eifel algorithm, RFC
 * 3522), the retransmission was spurious; undo the reduction and grow the
 * duplicate-ACK threshold.
 */
void tcp_cc_check_undo(struct tcp_pcb *pcb, const struct tcp_seg *seg);
/* A retransmission of [seq, seq + len) left during recovery. */
void tcp_cc_note_rexmit(struct tcp_pcb *pcb, uint32_t seq, uint32_t len);
/* After new SACK information: resend retransmissions that were lost again. */
void tcp_cc_lost_rexmit(struct tcp_pcb *pcb);
/* After idle longer than an RTO, restart from the initial window. */
void tcp_cc_idle_restart(struct tcp_pcb *pcb);
/* Merge the SACK blocks of an ACK into the scoreboard. */
void tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_seg *seg);
/* Forget scoreboard entries below snd_una. */
void tcp_sack_trim(struct tcp_pcb *pcb);
/* True when seq is covered by the scoreboard; *end gets the block end. */
bool tcp_sack_covered(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *end);
/*
 * In SACK recovery: the next hole to retransmit at or above high_rxt below
 * the highest SACKed byte. Returns false when there is none.
 */
bool tcp_sack_next_hole(const struct tcp_pcb *pcb, uint32_t *seq, uint32_t *len);
/* RFC 6675 pipe: bytes we believe are in the network. */
uint32_t tcp_sack_pipe(const struct tcp_pcb *pcb);

/* ---- tcp_timer.c ---- */

/* Run the pcb timers that are due; arm the stack timer for the rest. */
void tcp_timer(struct netstack *ns);
void tcp_timer_set(struct tcp_pcb *pcb, uint64_t *timer, uint64_t deadline);
/* Start (or restart) the retransmission timer at the current RTO. */
void tcp_rexmit_arm(struct tcp_pcb *pcb);
/* A new round-trip sample (RFC 6298 2.2-2.3). */
void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t rtt_ns);
/* Arm the delayed-ACK timer unless it runs. */
void tcp_delack_arm(struct tcp_pcb *pcb);
/* Restart the keepalive timer (after activity or a settings change). */
void tcp_keepalive_arm(struct tcp_pcb *pcb);
/* Start probing a zero window. */
void tcp_persist_arm(struct tcp_pcb *pcb);

/* ---- tcp_user.c: the socket side ---- */

int tcp_connect(struct tcp_pcb *pcb, uint32_t raddr, uint16_t rport);
ssize_t tcp_send(struct tcp_pcb *pcb, const struct net_uio *uio, int flags);
ssize_t tcp_recv(struct tcp_pcb *pcb, const struct net_uio *uio, int flags);
int tcp_shutdown(struct tcp_pcb *pcb, int how);
/* The socket is closing: graceful close, reset, or free. */
void tcp_close(struct tcp_pcb *pcb, const struct net_linger *linger);
uint32_t tcp_poll(struct tcp_pcb *pcb);
int tcp_setopt(struct tcp_pcb *pcb, int name, const void *val, size_t len);
int tcp_getopt(struct tcp_pcb *pcb, int name, void *val, size_t *len);
void tcp_get_info(struct tcp_pcb *pcb, struct net_tcp_info *info);
/* Grow or shrink the rings' capacity (SO_SNDBUF / SO_RCVBUF). */
void tcp_set_bufsizes(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf);
/* Called when the receive ring gained free space (after a read). */
void tcp_rcv_window_update(struct tcp_pcb *pcb);
/* Bytes the application can read now. */
uint32_t tcp_readable(const struct tcp_pcb *pcb);
