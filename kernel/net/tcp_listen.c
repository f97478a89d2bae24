/*
 * tcp_listen.c - passive open: listeners, the SYN queue, SYN cookies and
 * the accept queue.
 *
 * tcp_input finds no connection for a segment -> tcp_listen_input:
 *   SYN: a child block in SYN_RECEIVED joins the listener's SYN queue and
 *        a SYN-ACK goes out (tcp_send_syn). Its final ACK arrives through
 *        the normal path (tcp_process), which calls tcp_child_established
 *        to move it to the accept queue; net_sock_accept takes it from
 *        there (tcp_accept).
 *   ACK: perhaps the answer to a SYN cookie: rebuild the connection.
 *
 * SYN floods. Each listener's SYN queue holds at most tcp_max_syn_backlog
 * children (a few hundred bytes each, no buffers). When it is full, the
 * listener answers with SYN cookies (RFC 4987 3.6) and keeps no state at
 * all: the initial sequence number carries a keyed hash of the connection,
 * a 64 s time counter and the peer's MSS class, and, when the peer uses
 * timestamps, our TSval carries its window scale and SACK permission, so
 * the ACK that comes back is enough to build the connection. With cookies
 * off (limits.tcp_syncookies = 2) the oldest half-open child is evicted
 * instead. Either way a flood costs bounded memory and real clients still
 * get through.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/siphash.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

#define COOKIE_PERIOD_NS (64ull * 1000000000ull)
#define COOKIE_VALID_NS (2 * COOKIE_PERIOD_NS)
#define TCP_MAX_BACKLOG 4096

/* MSS classes a cookie can carry (3 bits), smallest first. */
static const uint16_t cookie_mss[8] = {536, 1220, 1360, 1400, 1440, 1452, 1460, 8960};

int tcp_listen(struct tcp_pcb *pcb, int backlog)
{
    struct netstack *ns = pcb->ns;
    struct tcp_pcb *o;
    int err;

    if (backlog < 0)
        backlog = 0;
    if (backlog > TCP_MAX_BACKLOG)
        backlog = TCP_MAX_BACKLOG;
    if (pcb->state == TCP_LISTEN) {
        pcb->backlog = (uint32_t)backlog;
        return 0;
    }
    if (pcb->state != TCP_CLOSED || (pcb->flags & TF_WAS_CONN))
        return -EINVAL;
    if (pcb->lport == 0) {
        err = tcp_bind(pcb, 0, 0);
        if (err != 0)
            return err;
    }
    /* Two sockets may share a port while bound, but only one may listen. */
    list_for_each_entry (o, &ns->tcp.listeners, hash_link) {
        if (o->lport == pcb->lport &&
            (o->laddr == 0 || pcb->laddr == 0 || o->laddr == pcb->laddr) &&
            !(o->reuseport && pcb->reuseport))
            return -EADDRINUSE;
    }
    pcb->backlog = (uint32_t)backlog;
    tcp_set_state(pcb, TCP_LISTEN);
    list_del(&pcb->hash_link);
    list_add_tail(&pcb->hash_link, &ns->tcp.listeners);
    return 0;
}

void tcp_child_unlink(struct tcp_pcb *pcb)
{
    struct tcp_pcb *l = pcb->listener;

    if (l == NULL)
        return;
    list_del(&pcb->queue_link);
    if (pcb->in_accept_queue)
        l->accept_qlen--;
    else
        l->syn_qlen--;
    pcb->in_accept_queue = false;
    pcb->listener = NULL;
}

static bool accept_queue_full(const struct tcp_pcb *l)
{
    return l->accept_qlen > l->backlog; /* Linux's rule: backlog 0 still takes one */
}

bool tcp_child_established(struct tcp_pcb *pcb)
{
    struct tcp_pcb *l = pcb->listener;
    struct netstack *ns = pcb->ns;

    if (l == NULL)
        return true;
    if (!pcb->in_accept_queue) {
        if (accept_queue_full(l)) {
            ns->snmp.tcpext.ListenOverflows++;
            ns->snmp.tcpext.ListenDrops++;
            return false;
        }
        list_del(&pcb->queue_link);
        l->syn_qlen--;
        list_add_tail(&pcb->queue_link, &l->accept_queue);
        l->accept_qlen++;
        pcb->in_accept_queue = true;
    }
    ns->snmp.tcp.PassiveOpens++;
    tcp_notify(l);
    return true;
}

struct tcp_pcb *tcp_accept(struct tcp_pcb *lpcb)
{
    struct tcp_pcb *pcb;

    if (list_empty(&lpcb->accept_queue))
        return NULL;
    pcb = list_first_entry(&lpcb->accept_queue, struct tcp_pcb, queue_link);
    tcp_child_unlink(pcb);
    return pcb;
}

void tcp_listen_close(struct tcp_pcb *lpcb)
{
    struct netstack *ns = lpcb->ns;

    while (!list_empty(&lpcb->syn_queue))
        tcp_release(list_first_entry(&lpcb->syn_queue, struct tcp_pcb, queue_link));
    while (!list_empty(&lpcb->accept_queue)) {
        struct tcp_pcb *c = list_first_entry(&lpcb->accept_queue, struct tcp_pcb, queue_link);
        tcp_child_unlink(c);
        ns->snmp.tcpext.TCPAbortOnClose++;
        tcp_abort(c, -ECONNABORTED);
    }
    list_del(&lpcb->hash_link);
    lpcb->state = TCP_CLOSED;
}

/* A child inherits the listener's settings. */
static void inherit(struct tcp_pcb *c, const struct tcp_pcb *l)
{
    c->flags |= l->flags & (TF_NODELAY | TF_KEEPALIVE);
    c->reuseaddr = l->reuseaddr;
    c->reuseport = l->reuseport;
    c->sndbuf = l->sndbuf;
    c->rcvbuf = l->rcvbuf;
    c->user_mss = l->user_mss;
    c->keep_idle_s = l->keep_idle_s;
    c->keep_intvl_s = l->keep_intvl_s;
    c->keep_cnt = l->keep_cnt;
    c->user_timeout_ms = l->user_timeout_ms;
    c->fin_timeout_s = l->fin_timeout_s;
    c->ttl = l->ttl;
    c->tos = l->tos;
}

static struct tcp_pcb *child_new(struct tcp_pcb *l, const struct ip_rx *rx, uint16_t rport,
                                 uint32_t iss, uint32_t irs)
{
    struct netstack *ns = l->ns;
    struct tcp_pcb *c = tcp_pcb_new(ns);

    if (c == NULL) {
        ns->snmp.tcpext.TCPAbortOnMemory++;
        return NULL;
    }
    inherit(c, l);
    c->laddr = rx->dst;
    c->lport = l->lport;
    c->raddr = rx->src;
    c->rport = rport;
    c->flags |= TF_PASSIVE;
    c->ts_offset = tcp_ts_offset(ns, c->laddr, c->lport, c->raddr, c->rport);
    c->iss = iss;
    c->snd_una = c->snd_nxt = c->snd_max = iss;
    c->sndq.seq = iss + 1;
    c->irs = irs;
    c->rcv_nxt = irs + 1;
    c->rcv_adv = c->rcv_nxt;
    c->listener = l;
    return c;
}

/* ---- SYN cookies ---- */

static uint32_t cookie_hash(struct netstack *ns, const struct ip_rx *rx, uint16_t lport,
                            uint16_t rport, uint32_t client_isn, uint32_t count, uint32_t mss_idx)
{
    uint32_t words[6] = {rx->dst,    rx->src, (uint32_t)lport << 16 | rport,
                         client_isn, count,   mss_idx | 0xc0c0c000u};

    return (uint32_t)siphash24(ns->tcp.secret, words, sizeof(words)) & 0x00ffffffu;
}

static uint32_t cookie_make(struct netstack *ns, const struct ip_rx *rx, uint16_t lport,
                            uint16_t rport, uint32_t client_isn, uint32_t mss_idx)
{
    uint32_t count = (uint32_t)(ns->now / COOKIE_PERIOD_NS);

    return (count & 0x1f) << 27 | mss_idx << 24 |
           cookie_hash(ns, rx, lport, rport, client_isn, count, mss_idx);
}

/* The MSS class the cookie carries, or -1 when it is not ours or too old. */
static int cookie_check(struct netstack *ns, const struct ip_rx *rx, uint16_t lport, uint16_t rport,
                        uint32_t client_isn, uint32_t cookie)
{
    uint32_t now_count = (uint32_t)(ns->now / COOKIE_PERIOD_NS);
    uint32_t age = (now_count - (cookie >> 27)) & 0x1f;
    uint32_t mss_idx = (cookie >> 24) & 0x7;

    if (age > 1)
        return -1;
    if (cookie_hash(ns, rx, lport, rport, client_isn, now_count - age, mss_idx) !=
        (cookie & 0x00ffffffu))
        return -1;
    return (int)mss_idx;
}

/* Options riding in the low 5 bits of our TSval: wscale (15: none), SACK. */
static uint32_t cookie_ts_opts(const struct tcp_seg *syn)
{
    uint32_t ws = syn->wscale >= 0 ? (uint32_t)MIN(syn->wscale, TCP_MAX_WSCALE) : 0xf;

    return ws | (syn->sack_ok ? 0x10 : 0);
}

static void send_cookie(struct tcp_pcb *l, const struct tcp_seg *peer_syn, const struct ip_rx *rx)
{
    uint32_t off = l->ns->limits.tcp_options_off;
    struct tcp_seg masked = *peer_syn, *syn = &masked;
    uint16_t rport = syn->sport;
    struct netstack *ns = l->ns;
    uint32_t mss_idx = 0, iss, tsval = 0;
    uint16_t peer_mss = syn->mss != 0 ? syn->mss : TCP_DEFAULT_MSS;

    /* Offer back only what this stack uses. */
    if (off & NET_TCP_NO_TIMESTAMPS)
        masked.has_ts = false;
    if (off & NET_TCP_NO_SACK)
        masked.sack_ok = false;
    if (off & NET_TCP_NO_WSCALE)
        masked.wscale = -1;
    for (uint32_t i = 0; i < ARRAY_SIZE(cookie_mss); i++) {
        if (cookie_mss[i] <= peer_mss)
            mss_idx = i;
    }
    iss = cookie_make(ns, rx, l->lport, rport, syn->seq, mss_idx);
    if (syn->has_ts) {
        uint32_t now =
            (uint32_t)(ns->now / 1000000ull) + tcp_ts_offset(ns, rx->dst, l->lport, rx->src, rport);
        tsval = (now & ~0x1fu) | cookie_ts_opts(syn);
        if (seq_gt(tsval, now))
            tsval -= 32;
    }
    ns->snmp.tcpext.SyncookiesSent++;
    tcp_send_synack_cookie(l, rx, rport, syn, iss, tsval);
}

/* An ACK without a connection: maybe the end of a cookie handshake. */
static bool cookie_ack(struct tcp_pcb *l, struct tcp_seg *seg, const struct ip_rx *rx)
{
    uint16_t rport = seg->sport;
    struct netstack *ns = l->ns;
    struct tcp_pcb *c;
    struct tcp_seg syn;
    int mss_idx;

    if (ns->limits.tcp_syncookies != 1 || l->last_synq_overflow == 0 ||
        ns->now - l->last_synq_overflow > COOKIE_VALID_NS)
        return false;
    mss_idx = cookie_check(ns, rx, l->lport, rport, seg->seq - 1, seg->ack - 1);
    if (mss_idx < 0) {
        ns->snmp.tcpext.SyncookiesFailed++;
        return false;
    }
    ns->snmp.tcpext.SyncookiesRecv++;
    if (accept_queue_full(l)) {
        ns->snmp.tcpext.ListenOverflows++;
        ns->snmp.tcpext.ListenDrops++;
        return true; /* the peer retransmits; maybe there is room then */
    }
    c = child_new(l, rx, rport, seg->ack - 1, seg->seq - 1);
    if (c == NULL)
        return true;
    /* Rebuild the SYN's options from what the cookie kept. */
    memset(&syn, 0, sizeof(syn));
    syn.mss = cookie_mss[mss_idx];
    syn.wscale = -1;
    if (seg->has_ts) {
        uint32_t opts = seg->tsecr & 0x1f;
        syn.has_ts = true;
        syn.tsval = seg->tsval;
        syn.wscale = (opts & 0xf) == 0xf ? -1 : (int8_t)(opts & 0xf);
        syn.sack_ok = (opts & 0x10) != 0;
    }
    tcp_apply_syn_options(c, &syn);
    c->snd_una = seg->ack;
    c->snd_nxt = c->snd_max = seg->ack;
    c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
    c->max_sndwnd = c->snd_wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
    c->rcv_adv = c->rcv_nxt + MIN(c->rcvbuf, 65535u);
    tcp_cc_init(c);
    list_add_tail(&c->queue_link, &l->syn_queue);
    l->syn_qlen++;
    tcp_hash_insert(c);
    tcp_set_state(c, TCP_ESTABLISHED);
    tcp_child_established(c);
    return true;
}

/* The SYN queue is full: make room or fall back to cookies. */
static bool synq_full(struct tcp_pcb *l)
{
    struct netstack *ns = l->ns;

    if (l->syn_qlen < ns->limits.tcp_max_syn_backlog)
        return false;
    l->last_synq_overflow = ns->now;
    if (ns->limits.tcp_syncookies == 1) {
        ns->snmp.tcpext.TCPReqQFullDoCookies++;
        return true;
    }
    /* No cookies: the oldest half-open connection makes way. */
    ns->snmp.tcpext.TCPReqQFullDrop++;
    tcp_release(list_first_entry(&l->syn_queue, struct tcp_pcb, queue_link));
    return false;
}

struct tcp_pcb *tcp_listen_input(struct tcp_pcb *l, struct tcp_seg *seg, const struct ip_rx *rx)
{
    struct netstack *ns = l->ns;
    struct tcp_pcb *c;

    if (seg->flags & TCP_RST)
        return NULL;
    if (seg->flags & TCP_ACK) {
        /* An ACK to a listener: a cookie's answer, or a stray (RST it). */
        if (!(seg->flags & TCP_SYN) && cookie_ack(l, seg, rx)) {
            c = tcp_lookup(ns, rx->dst, seg->dport, rx->src, seg->sport);
            return c;
        }
        tcp_send_rst_reply(ns, rx, seg);
        return NULL;
    }
    if (!(seg->flags & TCP_SYN) || (seg->flags & TCP_FIN))
        return NULL;
    if (accept_queue_full(l)) {
        /* Like Linux: no point in a handshake nobody will accept. */
        ns->snmp.tcpext.ListenOverflows++;
        ns->snmp.tcpext.ListenDrops++;
        return NULL;
    }
    if (synq_full(l)) {
        send_cookie(l, seg, rx);
        return NULL;
    }
    c = child_new(l, rx, seg->sport, tcp_new_isn(ns, rx->dst, l->lport, rx->src, seg->sport),
                  seg->seq);
    if (c == NULL) {
        ns->snmp.tcpext.ListenDrops++;
        return NULL;
    }
    tcp_apply_syn_options(c, seg);
    c->snd_wnd = seg->wnd; /* never scaled in a SYN */
    c->max_sndwnd = c->snd_wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = c->iss;
    list_add_tail(&c->queue_link, &l->syn_queue);
    l->syn_qlen++;
    tcp_hash_insert(c);
    tcp_set_state(c, TCP_SYN_RECEIVED);
    tcp_cc_init(c);
    tcp_send_syn(c);
    return NULL;
}
