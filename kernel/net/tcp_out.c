/*
 * tcp_out.c - building and sending TCP segments.
 *
 * tcp_output() is called after anything that may let data move: a send
 * call, an ACK, a window update, a timer. It decides what to send:
 *
 *   SACK loss recovery (RFC 6675): holes below the highest SACKed byte
 *     first, then new data, while the estimated pipe is below cwnd;
 *   otherwise from SND.NXT (which the retransmission timer rewinds to
 *     SND.UNA) as far as min(cwnd, peer window) allows, skipping data the
 *     peer has SACKed, holding back small segments for Nagle (RFC 9293
 *     3.7.4) and sender-side silly window avoidance (3.8.6.2.1);
 *   a pure ACK if one is owed and no segment carried it.
 *
 * Segments are copied out of the send ring into a fresh pbuf each time,
 * which is what makes retransmitting any range (go-back-N after a timeout,
 * one SACK hole, a NewReno partial ACK) the same operation. Every segment
 * goes out with a deferred checksum (CSUM_PARTIAL) that the NIC or
 * ip_output() completes.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCP_TS_OPTLEN 12

/* What one outgoing segment looks like apart from its payload. */
struct tcp_tx {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint8_t ttl, tos;
    uint8_t optlen;
    uint8_t opts[40];
};

uint32_t tcp_eff_mss(const struct tcp_pcb *pcb)
{
    uint32_t mss = pcb->mss;

    if (pcb->flags & TF_TS_OK)
        mss -= TCP_TS_OPTLEN;
    return MAX(mss, 1u);
}

uint32_t tcp_rcv_space(const struct tcp_pcb *pcb)
{
    uint32_t cap = pcb->rcvq.buf != NULL ? pcb->rcvq.cap : pcb->rcvbuf;
    uint32_t slack = 1u << pcb->rcv_wscale;

    /*
     * Keep one window-scale unit in reserve: a window that must not shrink
     * is rounded up to that unit (tcp_window_field), and the reserve is
     * what makes the rounded-up promise true.
     */
    return cap > pcb->rcvq.avail + slack ? cap - pcb->rcvq.avail - slack : 0;
}

uint32_t tcp_flight_size(const struct tcp_pcb *pcb)
{
    return pcb->snd_max - pcb->snd_una;
}

uint16_t tcp_window_field(struct tcp_pcb *pcb)
{
    uint32_t ws = pcb->rcv_wscale, space = tcp_rcv_space(pcb);
    uint32_t max = 65535u << ws, cap = pcb->rcvq.buf != NULL ? pcb->rcvq.cap : pcb->rcvbuf;
    uint32_t cur = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    uint32_t wnd = MIN(space, max), field;

    if (wnd <= cur || (wnd - cur < MIN(cap / 2, (uint32_t)pcb->mss) && wnd < max)) {
        /*
         * Never move the right edge back (RFC 9293 3.8.6), and move it
         * forward only by a useful amount (receiver SWS avoidance). The
         * edge stays where it was; the field is rounded up to the scale
         * unit, which tcp_rcv_space() keeps in reserve.
         */
        return (uint16_t)MIN((cur + (1u << ws) - 1) >> ws, 65535u);
    }
    field = MIN(wnd >> ws, 65535u);
    pcb->rcv_adv = pcb->rcv_nxt + (field << ws);
    return (uint16_t)field;
}

/* ---- options ---- */

static void opt_ts(struct tcp_tx *tx, uint32_t tsval, uint32_t tsecr)
{
    uint8_t *o = tx->opts + tx->optlen;

    o[0] = TCPOPT_NOP;
    o[1] = TCPOPT_NOP;
    o[2] = TCPOPT_TS;
    o[3] = 10;
    put_be32(o + 4, tsval);
    put_be32(o + 8, tsecr);
    tx->optlen += TCP_TS_OPTLEN;
}

/* The SACK blocks of RFC 2018 4: the newest range first, then the others. */
static void opt_sack(struct tcp_tx *tx, const struct tcp_pcb *pcb)
{
    const struct tcp_rcvq *q = &pcb->rcvq;
    int max = (pcb->flags & TF_TS_OK) ? 3 : 4, n = 0;
    uint8_t *o = tx->opts + tx->optlen;

    if (!(pcb->flags & TF_SACK_OK) || q->nooo == 0)
        return;
    o[0] = TCPOPT_NOP;
    o[1] = TCPOPT_NOP;
    o[2] = TCPOPT_SACK;
    put_be32(o + 4, q->ooo[q->ooo_last].start);
    put_be32(o + 8, q->ooo[q->ooo_last].end);
    n = 1;
    for (int i = q->nooo - 1; i >= 0 && n < max; i--) {
        if (i == q->ooo_last)
            continue;
        put_be32(o + 4 + 8 * n, q->ooo[i].start);
        put_be32(o + 8 + 8 * n, q->ooo[i].end);
        n++;
    }
    o[3] = (uint8_t)(2 + 8 * n);
    tx->optlen += (uint8_t)(4 + 8 * n);
}

static uint32_t sack_optlen(const struct tcp_pcb *pcb)
{
    int max = (pcb->flags & TF_TS_OK) ? 3 : 4;

    if (!(pcb->flags & TF_SACK_OK) || pcb->rcvq.nooo == 0)
        return 0;
    return 4 + 8 * (uint32_t)MIN((int)pcb->rcvq.nooo, max);
}

/* MSS, SACK-permitted, timestamps, window scale: Linux's order, 20 bytes. */
static void opt_syn(struct tcp_tx *tx, uint16_t mss, bool sack, bool ts, uint32_t tsval,
                    uint32_t tsecr, int wscale)
{
    uint8_t *o = tx->opts;
    int n = 0;

    o[n++] = TCPOPT_MSS;
    o[n++] = 4;
    put_be16(o + n, mss);
    n += 2;
    if (sack && ts) {
        o[n++] = TCPOPT_SACK_PERM;
        o[n++] = 2;
    } else if (sack) {
        o[n++] = TCPOPT_NOP;
        o[n++] = TCPOPT_NOP;
        o[n++] = TCPOPT_SACK_PERM;
        o[n++] = 2;
    }
    if (ts) {
        if (!sack) {
            o[n++] = TCPOPT_NOP;
            o[n++] = TCPOPT_NOP;
        }
        o[n++] = TCPOPT_TS;
        o[n++] = 10;
        put_be32(o + n, tsval);
        put_be32(o + n + 4, tsecr);
        n += 8;
    }
    if (wscale >= 0) {
        o[n++] = TCPOPT_NOP;
        o[n++] = TCPOPT_WSCALE;
        o[n++] = 3;
        o[n++] = (uint8_t)wscale;
    }
    tx->optlen = (uint8_t)n;
}

/* ---- transmission ---- */

/* Put the header (and options) in front of p's payload and send it. */
static int tcp_transmit(struct netstack *ns, struct pbuf *p, const struct tcp_tx *tx)
{
    size_t hlen = TCP_HLEN + tx->optlen;
    struct tcp_hdr *th = pbuf_push(p, hlen);
    struct ip_tx ip;

    if (th == NULL) {
        pbuf_free(p);
        return -ENOBUFS;
    }
    th->sport = net_htons(tx->sport);
    th->dport = net_htons(tx->dport);
    th->seq = net_htonl(tx->seq);
    th->ack = net_htonl(tx->ack);
    th->off = (uint8_t)((hlen / 4) << 4);
    th->flags = tx->flags;
    th->wnd = net_htons(tx->wnd);
    th->urp = 0;
    memcpy((uint8_t *)th + TCP_HLEN, tx->opts, tx->optlen);
    put_be16(&th->csum, (uint16_t)inet_pseudo_sum(tx->src, tx->dst, IPPROTO_TCP, (uint16_t)p->len));
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = (uint16_t)pbuf_headroom(p);
    p->csum_offset = 16;

    memset(&ip, 0, sizeof(ip));
    ip.src = tx->src;
    ip.dst = tx->dst;
    ip.proto = IPPROTO_TCP;
    ip.ttl = tx->ttl;
    ip.tos = tx->tos;
    ip.df = true; /* path MTU discovery (RFC 1191) */
    ns->snmp.tcp.OutSegs++;
    if (tx->flags & TCP_RST)
        ns->snmp.tcp.OutRsts++;
    return ip_output(ns, p, &ip);
}

static void tx_from_pcb(struct tcp_tx *tx, struct tcp_pcb *pcb, uint32_t seq, uint8_t flags)
{
    memset(tx, 0, sizeof(*tx));
    tx->src = pcb->laddr;
    tx->dst = pcb->raddr;
    tx->sport = pcb->lport;
    tx->dport = pcb->rport;
    tx->seq = seq;
    tx->ack = pcb->rcv_nxt;
    tx->flags = flags;
    tx->ttl = pcb->ttl;
    tx->tos = pcb->tos;
}

/* Bookkeeping common to every segment that carries our ACK. */
static void ack_sent(struct tcp_pcb *pcb)
{
    pcb->flags &= ~(TF_ACK_NOW | TF_ACK_DELAYED);
    pcb->t_delack = 0;
    pcb->last_ack_sent = pcb->rcv_nxt;
    pcb->segs_out++;
    pcb->last_snd = pcb->ns->now;
}

void tcp_send_ack(struct tcp_pcb *pcb)
{
    struct tcp_tx tx;
    struct pbuf *p;

    if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN || pcb->state == TCP_SYN_SENT)
        return;
    p = pbuf_alloc(PBUF_HEADROOM, 0);
    if (p == NULL)
        return; /* the peer will retransmit, and we answer then */
    tx_from_pcb(&tx, pcb, pcb->snd_nxt, TCP_ACK);
    tx.wnd = tcp_window_field(pcb);
    if (pcb->flags & TF_TS_OK)
        opt_ts(&tx, tcp_ts_now(pcb), pcb->ts_recent);
    opt_sack(&tx, pcb);
    ack_sent(pcb);
    tcp_transmit(pcb->ns, p, &tx);
}

void tcp_send_challenge_ack(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;

    if (ns->now - pcb->challenge_window >= 1000000000ull) {
        pcb->challenge_window = ns->now;
        pcb->challenge_count = 0;
    }
    if (pcb->challenge_count >= TCP_CHALLENGE_PER_S)
        return;
    pcb->challenge_count++;
    ns->snmp.tcpext.TCPChallengeACK++;
    tcp_send_ack(pcb);
}

void tcp_send_probe(struct tcp_pcb *pcb)
{
    struct tcp_tx tx;
    struct pbuf *p = pbuf_alloc(PBUF_HEADROOM, 0);

    if (p == NULL)
        return;
    /* An old sequence number: the peer must answer with an ACK (RFC 9293 3.8.4). */
    tx_from_pcb(&tx, pcb, pcb->snd_una - 1, TCP_ACK);
    tx.wnd = tcp_window_field(pcb);
    if (pcb->flags & TF_TS_OK)
        opt_ts(&tx, tcp_ts_now(pcb), pcb->ts_recent);
    ack_sent(pcb);
    tcp_transmit(pcb->ns, p, &tx);
}

int tcp_send_syn(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;
    bool synack = pcb->state == TCP_SYN_RECEIVED;
    struct tcp_tx tx;
    struct pbuf *p;
    uint16_t mtu = 576;

    p = pbuf_alloc(PBUF_HEADROOM, 0);
    if (p == NULL) {
        tcp_rexmit_arm(pcb);
        return -ENOBUFS;
    }
    ip_route_source(ns, pcb->raddr, NULL, &mtu);
    pcb->advmss = (uint16_t)(mtu - IP_HLEN - TCP_HLEN);
    if (pcb->user_mss != 0 && pcb->user_mss < pcb->advmss)
        pcb->advmss = pcb->user_mss;
    tx_from_pcb(&tx, pcb, pcb->iss, synack ? TCP_SYN | TCP_ACK : TCP_SYN);
    if (!synack)
        tx.ack = 0;
    tx.wnd = (uint16_t)MIN(tcp_rcv_space(pcb), 65535u);
    if (synack)
        pcb->rcv_adv = pcb->rcv_nxt + tx.wnd;
    opt_syn(&tx, pcb->advmss, (pcb->flags & TF_SACK_OK) != 0, (pcb->flags & TF_TS_OK) != 0,
            tcp_ts_now(pcb), synack ? pcb->ts_recent : 0,
            (pcb->flags & TF_WS_OK) ? pcb->rcv_wscale : -1);
    if (pcb->retries == 0 && !(pcb->flags & TF_TS_OK)) {
        pcb->flags |= TF_RTT_TIMING;
        pcb->rtt_seq = pcb->iss;
        pcb->rtt_start = ns->now;
    } else if (pcb->retries > 0) {
        pcb->flags &= ~TF_RTT_TIMING; /* Karn: never time a retransmission */
        ns->snmp.tcp.RetransSegs++;
        pcb->total_retrans++;
    }
    pcb->snd_nxt = pcb->iss + 1;
    pcb->snd_max = seq_max(pcb->snd_max, pcb->snd_nxt);
    if (synack)
        ack_sent(pcb);
    else
        pcb->segs_out++;
    tcp_rexmit_arm(pcb);
    return tcp_transmit(ns, p, &tx);
}

void tcp_send_synack_cookie(struct tcp_pcb *lpcb, const struct ip_rx *rx, uint16_t rport,
                            const struct tcp_seg *syn, uint32_t iss, uint32_t tsval)
{
    struct tcp_tx tx;
    struct pbuf *p = pbuf_alloc(PBUF_HEADROOM, 0);
    uint16_t mtu = 576;

    if (p == NULL)
        return;
    ip_route_source(lpcb->ns, rx->src, NULL, &mtu);
    memset(&tx, 0, sizeof(tx));
    tx.src = rx->dst;
    tx.dst = rx->src;
    tx.sport = lpcb->lport;
    tx.dport = rport;
    tx.seq = iss;
    tx.ack = syn->seq + 1;
    tx.flags = TCP_SYN | TCP_ACK;
    tx.wnd = (uint16_t)MIN(lpcb->rcvbuf, 65535u);
    tx.ttl = lpcb->ttl;
    tx.tos = lpcb->tos;
    /* Without timestamps there is nowhere to keep window scale and SACK. */
    opt_syn(&tx, (uint16_t)(mtu - IP_HLEN - TCP_HLEN), syn->sack_ok && syn->has_ts, syn->has_ts,
            tsval, syn->tsval, syn->has_ts && syn->wscale >= 0 ? tcp_wscale_for(lpcb->rcvbuf) : -1);
    tcp_transmit(lpcb->ns, p, &tx);
}

void tcp_send_rst(struct tcp_pcb *pcb)
{
    struct tcp_tx tx;
    struct pbuf *p = pbuf_alloc(PBUF_HEADROOM, 0);

    if (p == NULL)
        return;
    tx_from_pcb(&tx, pcb, pcb->snd_nxt, TCP_RST | TCP_ACK);
    tcp_transmit(pcb->ns, p, &tx);
}

void tcp_send_rst_reply(struct netstack *ns, const struct ip_rx *rx, const struct tcp_seg *seg)
{
    struct tcp_tx tx;
    struct pbuf *p;

    if (seg->flags & TCP_RST)
        return;
    p = pbuf_alloc(PBUF_HEADROOM, 0);
    if (p == NULL)
        return;
    memset(&tx, 0, sizeof(tx));
    tx.src = rx->dst;
    tx.dst = rx->src;
    tx.sport = seg->dport;
    tx.dport = seg->sport;
    if (seg->flags & TCP_ACK) {
        tx.seq = seg->ack;
        tx.flags = TCP_RST;
    } else {
        tx.seq = 0;
        tx.ack = seg->seq + seg->len + ((seg->flags & TCP_SYN) ? 1 : 0) +
                 ((seg->flags & TCP_FIN) ? 1 : 0);
        tx.flags = TCP_RST | TCP_ACK;
    }
    tcp_transmit(ns, p, &tx);
}

int tcp_send_segment(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin)
{
    struct netstack *ns = pcb->ns;
    struct tcp_sndq *q = &pcb->sndq;
    struct tcp_tx tx;
    struct pbuf *p;
    uint8_t flags = TCP_ACK;

    p = pbuf_alloc(PBUF_HEADROOM, len);
    if (p == NULL) {
        if (pcb->t_rexmit == 0)
            tcp_rexmit_arm(pcb); /* try again later */
        return -ENOBUFS;
    }
    if (len > 0) {
        uint32_t pos = (q->head + (seq - q->seq)) % q->cap;
        uint32_t first = MIN(len, q->cap - pos);
        memcpy(p->data, q->buf + pos, first);
        memcpy(p->data + first, q->buf, len - first);
        if (seq + len == q->seq + q->len)
            flags |= TCP_PSH;
    }
    if (fin)
        flags |= TCP_FIN;
    tx_from_pcb(&tx, pcb, seq, flags);
    tx.wnd = tcp_window_field(pcb);
    if (pcb->flags & TF_TS_OK)
        opt_ts(&tx, tcp_ts_now(pcb), pcb->ts_recent);
    opt_sack(&tx, pcb);

    if (seq_lt(seq, pcb->snd_max)) {
        ns->snmp.tcp.RetransSegs++;
        pcb->total_retrans++;
        pcb->bytes_retrans += len;
        if (pcb->flags & TF_RTT_TIMING && seq_leq(seq, pcb->rtt_seq))
            pcb->flags &= ~TF_RTT_TIMING; /* Karn's rule */
    } else {
        if (len > 0)
            ns->snmp.tcpext.TCPOrigDataSent++;
        pcb->bytes_sent += len;
        if (!(pcb->flags & (TF_TS_OK | TF_RTT_TIMING)) && len > 0) {
            pcb->flags |= TF_RTT_TIMING;
            pcb->rtt_seq = seq;
            pcb->rtt_start = ns->now;
        }
    }
    if (len > 0) {
        pcb->data_segs_out++;
        pcb->last_data_snd = ns->now;
    }
    ack_sent(pcb);
    if (pcb->t_rexmit == 0)
        tcp_rexmit_arm(pcb);
    tcp_transmit(ns, p, &tx);
    return 0;
}

/* ---- the output decision ---- */

static bool can_send_data(enum tcp_state s)
{
    return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 || s == TCP_CLOSING ||
           s == TCP_LAST_ACK;
}

void tcp_output(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;
    struct tcp_sndq *q = &pcb->sndq;
    uint32_t data_end = q->seq + q->len;
    bool fin_queued = (pcb->flags & TF_FIN_QUEUED) != 0;
    uint32_t eff = tcp_eff_mss(pcb), sack_len = sack_optlen(pcb);
    bool blocked_by_window = false;

    /* Nothing but the SYN may be in flight before the SYN is acknowledged. */
    if (!can_send_data(pcb->state) || seq_lt(pcb->snd_una, q->seq))
        goto ack;
    /* RFC 5681 4.1: after an idle period, restart from the initial window. */
    if (pcb->snd_una == pcb->snd_max && pcb->last_snd != 0 && ns->now - pcb->last_snd > pcb->rto)
        tcp_cc_idle_restart(pcb);
    if (eff > sack_len + 1)
        eff -= sack_len;

    for (int guard = 0; guard < 100000; guard++) {
        uint32_t seq, avail, wnd_end, wnd_avail, budget, len;
        bool fin;

        if (pcb->ca_state == TCP_CA_RECOVERY && (pcb->flags & TF_SACK_OK)) {
            uint32_t pipe = tcp_sack_pipe(pcb), hole_seq, hole_len;
            if (pipe >= pcb->cwnd)
                break;
            budget = pcb->cwnd - pipe;
            if (tcp_sack_next_hole(pcb, &hole_seq, &hole_len)) {
                /* RFC 6675 5 (C): only when a whole segment fits in cwnd - pipe. */
                hole_len = MIN(hole_len, eff);
                if (budget < hole_len)
                    break;
                if (seq_lt(hole_seq, data_end))
                    hole_len = MIN(hole_len, data_end - hole_seq);
                else
                    hole_len = 0;
                fin =
                    fin_queued && hole_seq + hole_len == data_end && seq_gt(pcb->snd_max, data_end);
                if (hole_len == 0 && !fin) {
                    pcb->high_rxt = seq_max(pcb->high_rxt, hole_seq + 1);
                    continue;
                }
                if (tcp_send_segment(pcb, hole_seq, hole_len, fin) != 0)
                    break;
                pcb->high_rxt = hole_seq + hole_len + (fin ? 1 : 0);
                tcp_cc_note_rexmit(pcb, hole_seq, hole_len + (fin ? 1 : 0));
                continue;
            }
        } else {
            uint32_t flight = pcb->snd_nxt - pcb->snd_una, cwnd = pcb->cwnd;
            /* Limited transmit (RFC 3042): the first two duplicate ACKs. */
            if (pcb->ca_state == TCP_CA_DISORDER && pcb->dupacks < pcb->dupthresh)
                cwnd += pcb->dupacks * eff;
            budget = cwnd > flight ? cwnd - flight : 0;
        }

        seq = pcb->snd_nxt;
        /* After a timeout, retransmit only what the peer has not SACKed. */
        if (seq_lt(seq, pcb->snd_max) && pcb->nsacked > 0) {
            uint32_t end;
            if (tcp_sack_covered(pcb, seq, &end)) {
                pcb->snd_nxt = seq_min(end, pcb->snd_max);
                continue;
            }
        }
        avail = seq_lt(seq, data_end) ? data_end - seq : 0;
        wnd_end = pcb->snd_una + pcb->snd_wnd;
        wnd_avail = seq_lt(seq, wnd_end) ? wnd_end - seq : 0;
        len = MIN(MIN(avail, eff), MIN(wnd_avail, budget));
        fin = fin_queued && seq + len == data_end;
        if (len == 0 && !fin) {
            if (avail > 0 && wnd_avail == 0)
                blocked_by_window = true;
            break;
        }
        if (!fin && len < eff && seq_geq(seq, pcb->snd_max) && !(pcb->flags & TF_SWS_OVERRIDE)) {
            if (len < avail) {
                /* Window- or cwnd-limited: avoid a runt unless it is big. */
                if (len == budget || pcb->max_sndwnd == 0 || len < pcb->max_sndwnd / 2) {
                    if (len == wnd_avail)
                        blocked_by_window = true;
                    break;
                }
            } else if ((pcb->flags & TF_CORK) ||
                       (!(pcb->flags & TF_NODELAY) && pcb->snd_nxt != pcb->snd_una)) {
                break; /* Nagle: one runt in flight at a time */
            }
        }
        if (seq_lt(seq, pcb->snd_max) && pcb->ca_state == TCP_CA_LOSS)
            ns->snmp.tcpext.TCPSlowStartRetrans++;
        if (tcp_send_segment(pcb, seq, len, fin) != 0)
            break;
        pcb->flags &= ~TF_SWS_OVERRIDE;
        pcb->snd_nxt = seq + len + (fin ? 1 : 0);
        pcb->snd_max = seq_max(pcb->snd_max, pcb->snd_nxt);
    }

    /* Data waits for a window that may never be announced: probe it. */
    if (blocked_by_window && pcb->snd_una == pcb->snd_max && pcb->t_rexmit == 0)
        tcp_persist_arm(pcb);
ack:
    if (pcb->flags & TF_ACK_NOW)
        tcp_send_ack(pcb);
}
