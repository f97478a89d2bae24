/*
 * tcp.c - TCP connection blocks: their life cycle, lookup and naming.
 *
 * A tcp_pcb lives on ns->tcp.pcbs from tcp_pcb_new() until tcp_release(),
 * which moves it to the free list; net_leave() frees it after the event,
 * so no path ever touches freed memory because a reset arrived halfway.
 * A connection (SYN_SENT .. TIME_WAIT) sits in a hash table keyed by its
 * 4-tuple; listeners and bound-but-unconnected blocks sit on short lists.
 *
 * Ending a connection is always tcp_done(): timers stop, the block leaves
 * the hash and its listener's queues, the socket learns the error, and a
 * block nobody holds any more (an orphan, an unaccepted child) is released.
 *
 * Initial sequence numbers follow RFC 6528 (a 4 microsecond clock plus a
 * keyed hash of the 4-tuple); ephemeral ports RFC 6056 algorithm 1.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/siphash.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999

static const char *const state_names[] = {
    [TCP_CLOSED] = "CLOSED",           [TCP_LISTEN] = "LISTEN",
    [TCP_SYN_SENT] = "SYN_SENT",       [TCP_SYN_RECEIVED] = "SYN_RECEIVED",
    [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCP_FIN_WAIT_2] = "FIN_WAIT_2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCP_CLOSING] = "CLOSING",         [TCP_LAST_ACK] = "LAST_ACK",
    [TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state state)
{
    return (unsigned int)state < ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

void tcp_init(struct netstack *ns)
{
    struct tcp_stack *t = &ns->tcp;

    list_init(&t->pcbs);
    list_init(&t->free_list);
    list_init(&t->listeners);
    list_init(&t->bound);
    list_init(&t->time_wait);
    for (int i = 0; i < TCP_HASH_SIZE; i++)
        list_init(&t->hash[i]);
    netenv_random_bytes(t->secret, sizeof(t->secret));
}

struct tcp_pcb *tcp_pcb_new(struct netstack *ns)
{
    struct tcp_pcb *pcb = netenv_zalloc(sizeof(*pcb));

    if (pcb == NULL)
        return NULL;
    pcb->ns = ns;
    pcb->state = TCP_CLOSED;
    list_init(&pcb->hash_link);
    list_init(&pcb->queue_link);
    list_init(&pcb->syn_queue);
    list_init(&pcb->accept_queue);
    pcb->sndbuf = TCP_DEFAULT_BUF;
    pcb->rcvbuf = TCP_DEFAULT_BUF;
    pcb->mss = TCP_DEFAULT_MSS;
    pcb->rto = TCP_INITIAL_RTO_NS;
    pcb->keep_idle_s = TCP_KEEPIDLE_S;
    pcb->keep_intvl_s = TCP_KEEPINTVL_S;
    pcb->keep_cnt = TCP_KEEPCNT;
    pcb->syn_retries = TCP_SYN_RETRIES;
    pcb->fin_timeout_s = TCP_FIN_TIMEOUT_NS / 1000000000ull;
    pcb->ssthresh = 0x7fffffff;
    list_add_tail(&pcb->all_link, &ns->tcp.pcbs);
    ns->tcp.npcbs++;
    return pcb;
}

static void pcb_free(struct tcp_pcb *pcb)
{
    netenv_free(pcb->sndq.buf);
    netenv_free(pcb->rcvq.buf);
    netenv_free(pcb);
}

void tcp_free_released(struct netstack *ns)
{
    while (!list_empty(&ns->tcp.free_list)) {
        struct tcp_pcb *pcb = list_first_entry(&ns->tcp.free_list, struct tcp_pcb, all_link);
        list_del(&pcb->all_link);
        pcb_free(pcb);
    }
}

void tcp_flush(struct netstack *ns)
{
    struct tcp_pcb *pcb, *tmp;

    list_for_each_entry_safe (pcb, tmp, &ns->tcp.pcbs, all_link) {
        list_del(&pcb->all_link);
        pcb_free(pcb);
    }
    tcp_free_released(ns);
    ns->tcp.npcbs = 0;
}

/* ---- the 4-tuple hash ---- */

static uint32_t hash_bucket(const struct netstack *ns, uint32_t laddr, uint16_t lport,
                            uint32_t raddr, uint16_t rport)
{
    uint64_t seed;
    uint64_t h;

    memcpy(&seed, ns->tcp.secret, sizeof(seed));
    h = ((uint64_t)laddr << 32 | raddr) ^ seed;
    h ^= ((uint64_t)lport << 16 | rport) * 0x9e3779b97f4a7c15ull;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    return (uint32_t)(h % TCP_HASH_SIZE);
}

void tcp_hash_insert(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;

    if (pcb->flags & TF_IN_HASH)
        return;
    list_del(&pcb->hash_link); /* from the bound list, if it was there */
    list_add(&pcb->hash_link,
             &ns->tcp.hash[hash_bucket(ns, pcb->laddr, pcb->lport, pcb->raddr, pcb->rport)]);
    pcb->flags |= TF_IN_HASH;
}

void tcp_hash_remove(struct tcp_pcb *pcb)
{
    if (!(pcb->flags & TF_IN_HASH))
        return;
    list_del(&pcb->hash_link);
    pcb->flags &= ~TF_IN_HASH;
}

struct tcp_pcb *tcp_lookup(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                           uint16_t rport)
{
    struct list_head *bucket = &ns->tcp.hash[hash_bucket(ns, laddr, lport, raddr, rport)];
    struct tcp_pcb *pcb;

    list_for_each_entry (pcb, bucket, hash_link) {
        if (pcb->lport == lport && pcb->rport == rport && pcb->laddr == laddr &&
            pcb->raddr == raddr)
            return pcb;
    }
    return NULL;
}

struct tcp_pcb *tcp_lookup_listener(struct netstack *ns, uint32_t laddr, uint16_t lport)
{
    struct tcp_pcb *pcb, *wildcard = NULL;

    list_for_each_entry (pcb, &ns->tcp.listeners, hash_link) {
        if (pcb->lport != lport)
            continue;
        if (pcb->laddr == laddr)
            return pcb;
        if (pcb->laddr == 0 && wildcard == NULL)
            wildcard = pcb;
    }
    return wildcard;
}

/* ---- ports ---- */

static bool bind_conflict(struct tcp_pcb *self, uint32_t laddr, uint16_t lport)
{
    struct tcp_pcb *o;

    list_for_each_entry (o, &self->ns->tcp.pcbs, all_link) {
        if (o == self || o->lport != lport)
            continue;
        if (o->state == TCP_CLOSED && list_empty(&o->hash_link))
            continue; /* not bound */
        if (o->laddr != 0 && laddr != 0 && o->laddr != laddr)
            continue;
        if (self->reuseport && o->reuseport)
            continue;
        if (self->reuseaddr && o->reuseaddr && o->state != TCP_LISTEN)
            continue;
        return true;
    }
    return false;
}

static bool port_taken_by_bound(struct netstack *ns, uint16_t port)
{
    struct tcp_pcb *o;

    list_for_each_entry (o, &ns->tcp.listeners, hash_link) {
        if (o->lport == port)
            return true;
    }
    list_for_each_entry (o, &ns->tcp.bound, hash_link) {
        if (o->lport == port)
            return true;
    }
    return false;
}

/* RFC 6056 algorithm 1: a random place to start looking. */
static uint32_t ephemeral_start(void)
{
    uint32_t r;

    netenv_random_bytes(&r, sizeof(r));
    return r % (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1);
}

int tcp_bind(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport)
{
    struct netstack *ns = pcb->ns;

    if (pcb->lport != 0 || pcb->state != TCP_CLOSED)
        return -EINVAL;
    if (laddr != 0 && !ip_is_local(ns, laddr))
        return -EADDRNOTAVAIL;
    if (lport == 0) {
        uint32_t start = ephemeral_start(), n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        for (uint32_t i = 0; i < n; i++) {
            uint16_t cand = (uint16_t)(EPHEMERAL_LOW + (start + i) % n);
            if (!bind_conflict(pcb, laddr, cand)) {
                lport = cand;
                break;
            }
        }
        if (lport == 0)
            return -EADDRINUSE;
    } else if (bind_conflict(pcb, laddr, lport)) {
        return -EADDRINUSE;
    }
    pcb->laddr = laddr;
    pcb->lport = lport;
    list_del(&pcb->hash_link);
    list_add(&pcb->hash_link, &ns->tcp.bound);
    return 0;
}

int tcp_pick_port(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;
    uint32_t start = ephemeral_start(), n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;

    for (uint32_t i = 0; i < n; i++) {
        uint16_t cand = (uint16_t)(EPHEMERAL_LOW + (start + i) % n);
        if (port_taken_by_bound(ns, cand))
            continue;
        if (tcp_lookup(ns, pcb->laddr, cand, pcb->raddr, pcb->rport) != NULL)
            continue;
        pcb->lport = cand;
        return 0;
    }
    return -EADDRNOTAVAIL;
}

/* ---- numbers that must be unpredictable ---- */

static uint64_t tuple_hash(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                           uint16_t rport, uint32_t salt)
{
    uint32_t words[4] = {laddr, raddr, (uint32_t)lport << 16 | rport, salt};

    return siphash24(ns->tcp.secret, words, sizeof(words));
}

uint32_t tcp_new_isn(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                     uint16_t rport)
{
    /* RFC 6528: ISN = M + F(4-tuple, secret), M ticking every 4 us. */
    return (uint32_t)(ns->now / 4000) + (uint32_t)tuple_hash(ns, laddr, lport, raddr, rport, 0);
}

uint32_t tcp_ts_offset(struct netstack *ns, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport)
{
    /* RFC 7323 7.1: a random offset per connection hides the uptime. */
    return (uint32_t)tuple_hash(ns, laddr, lport, raddr, rport, 1);
}

uint32_t tcp_ts_now(const struct tcp_pcb *pcb)
{
    return (uint32_t)(pcb->ns->now / TCP_TS_TICK_NS) + pcb->ts_offset;
}

/* ---- sizes ---- */

uint8_t tcp_wscale_for(uint32_t rcvbuf)
{
    /* Leave room for SO_RCVBUF to grow to 1 MiB after the handshake. */
    uint32_t space = MAX(rcvbuf, 1024u * 1024u);
    uint8_t shift = 0;

    while (shift < TCP_MAX_WSCALE && (space >> shift) > 65535)
        shift++;
    return shift;
}

void tcp_update_mss(struct tcp_pcb *pcb, uint16_t peer_mss)
{
    uint16_t mtu = 576;
    uint32_t mss;

    ip_route_source(pcb->ns, pcb->raddr, NULL, &mtu);
    if (pcb->pmtu != 0 && pcb->pmtu < mtu)
        mtu = pcb->pmtu;
    mss = (uint32_t)mtu - IP_HLEN - TCP_HLEN;
    if (peer_mss != 0 && peer_mss < mss)
        mss = peer_mss;
    if (pcb->user_mss != 0 && pcb->user_mss < mss)
        mss = pcb->user_mss;
    if (mss < TCP_MIN_MSS)
        mss = TCP_MIN_MSS;
    pcb->mss = (uint16_t)mss;
}

/* ---- states and endings ---- */

static bool counts_as_established(enum tcp_state s)
{
    return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT;
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state state)
{
    if (state == TCP_ESTABLISHED)
        pcb->flags |= TF_WAS_CONN;
    pcb->state = state;
}

void tcp_notify(struct tcp_pcb *pcb)
{
    if (pcb->sock != NULL)
        sock_notify(pcb->sock);
}

static void stop_timers(struct tcp_pcb *pcb)
{
    pcb->t_rexmit = 0;
    pcb->t_persist = 0;
    pcb->t_delack = 0;
    pcb->t_keepalive = 0;
    pcb->t_close = 0;
    pcb->t_linger = 0;
    pcb->flags &= ~(TF_PERSIST | TF_ACK_DELAYED);
}

static void leave_time_wait_list(struct tcp_pcb *pcb)
{
    if (pcb->state == TCP_TIME_WAIT && !list_empty(&pcb->queue_link)) {
        list_del(&pcb->queue_link);
        pcb->ns->tcp.ntime_wait--;
        pcb->ns->snmp.tcpext.TW++;
    }
}

void tcp_release(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;

    if (pcb->flags & TF_RELEASED)
        return;
    stop_timers(pcb);
    tcp_hash_remove(pcb);
    list_del(&pcb->hash_link);
    leave_time_wait_list(pcb);
    if (pcb->listener != NULL)
        tcp_child_unlink(pcb);
    if (pcb->flags & TF_ORPHAN) {
        ns->tcp.norphans--;
        pcb->flags &= ~TF_ORPHAN;
    }
    pcb->flags |= TF_RELEASED;
    pcb->state = TCP_CLOSED;
    list_del(&pcb->all_link);
    list_add_tail(&pcb->all_link, &ns->tcp.free_list);
    ns->tcp.npcbs--;
}

void tcp_done(struct tcp_pcb *pcb, int err)
{
    struct netstack *ns = pcb->ns;
    enum tcp_state prev = pcb->state;

    if (pcb->flags & TF_RELEASED)
        return;
    if (err != 0 && counts_as_established(prev))
        ns->snmp.tcp.EstabResets++;
    if (err != 0 && (prev == TCP_SYN_SENT || prev == TCP_SYN_RECEIVED))
        ns->snmp.tcp.AttemptFails++;
    stop_timers(pcb);
    tcp_hash_remove(pcb);
    leave_time_wait_list(pcb);
    pcb->state = TCP_CLOSED;
    pcb->flags |= TF_PEER_FIN | TF_FIN_QUEUED; /* both directions are over */
    pcb->flags &= ~(TF_ACK_NOW | TF_NOSPACE);
    if (pcb->sock == NULL) {
        tcp_release(pcb);
        return;
    }
    /* The socket keeps the block until it is closed; the rings can go. */
    netenv_free(pcb->sndq.buf);
    pcb->sndq.buf = NULL;
    pcb->sndq.len = 0;
    if (err != 0)
        sock_set_error(pcb->sock, err);
    else
        tcp_notify(pcb);
}

void tcp_abort(struct tcp_pcb *pcb, int err)
{
    switch (pcb->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        tcp_send_rst(pcb);
        break;
    default:
        break;
    }
    tcp_done(pcb, err);
}

void tcp_enter_time_wait(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;

    stop_timers(pcb);
    if (pcb->listener != NULL)
        tcp_child_unlink(pcb); /* queue_link is about to hold the TIME_WAIT list */
    pcb->state = TCP_TIME_WAIT;
    if (pcb->flags & TF_ORPHAN) {
        ns->tcp.norphans--;
        pcb->flags &= ~TF_ORPHAN;
    }
    netenv_free(pcb->sndq.buf);
    pcb->sndq.buf = NULL;
    pcb->sndq.len = 0;
    if (pcb->sock == NULL) {
        netenv_free(pcb->rcvq.buf);
        pcb->rcvq.buf = NULL;
        pcb->rcvq.avail = 0;
    }
    list_add_tail(&pcb->queue_link, &ns->tcp.time_wait);
    ns->tcp.ntime_wait++;
    tcp_timer_set(pcb, &pcb->t_close, ns->now + 2 * TCP_MSL_NS);
    /* Too many: the oldest goes early (Linux logs "bucket table overflow"). */
    if (ns->tcp.ntime_wait > ns->limits.tcp_max_tw) {
        struct tcp_pcb *old = list_first_entry(&ns->tcp.time_wait, struct tcp_pcb, queue_link);
        tcp_done(old, 0);
    }
    tcp_notify(pcb);
}

/* ---- ICMP errors (RFC 5927 / RFC 1122 4.2.3.9) ---- */

void tcp_icmp_error(struct netstack *ns, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                    uint32_t seq, uint8_t type, uint8_t code, uint16_t mtu)
{
    struct tcp_pcb *pcb = tcp_lookup(ns, src, sport, dst, dport);
    int err;

    if (pcb == NULL || pcb->state == TCP_TIME_WAIT)
        return;
    /* The quoted sequence number must be one we have sent and not seen acked. */
    if (seq_lt(seq, pcb->snd_una) || seq_gt(seq, pcb->snd_max)) {
        ns->snmp.tcpext.OutOfWindowIcmps++;
        return;
    }
    if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
        /* Path MTU discovery (RFC 1191): shrink and resend what was lost. */
        if (mtu >= 68 && mtu < (pcb->pmtu != 0 ? pcb->pmtu : 65535) &&
            mtu > IP_HLEN + TCP_HLEN + TCP_MIN_MSS) {
            pcb->pmtu = mtu;
            tcp_update_mss(pcb, 0);
            pcb->snd_nxt = pcb->snd_una;
            tcp_output(pcb);
        }
        return;
    }
    if (type != ICMP_DEST_UNREACH && type != ICMP_TIME_EXCEEDED && type != ICMP_PARAMETERPROB)
        return;
    if (type == ICMP_DEST_UNREACH && code == ICMP_PORT_UNREACH)
        err = -ECONNREFUSED;
    else if (type == ICMP_DEST_UNREACH && code == ICMP_NET_UNREACH)
        err = -ENETUNREACH;
    else if (type == ICMP_DEST_UNREACH && code == ICMP_PROT_UNREACH)
        err = -ENOPROTOOPT;
    else
        err = -EHOSTUNREACH;
    /* Hard errors end a connection attempt; otherwise they are soft. */
    if (pcb->state == TCP_SYN_SENT) {
        tcp_done(pcb, err);
        return;
    }
    pcb->soft_error = err;
}
