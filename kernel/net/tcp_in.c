/*
 * tcp_in.c - segment arrival: the state machine of RFC 9293 3.10.7.
 *
 * Call flow:
 *   ip_input -> tcp_input: check length and checksum, parse options, find
 *     the connection (4-tuple hash) or a listener
 *     -> tcp_listen_input (tcp_listen.c)        no connection, LISTEN
 *     -> timewait_input                         TIME_WAIT
 *     -> synsent_input                          SYN_SENT
 *     -> tcp_process                            every other state:
 *          PAWS (RFC 7323 5.3) -> sequence check -> RST (RFC 5961 3.2)
 *          -> SYN (RFC 5961 4.2) -> tcp_ack (RFC 5961 5.2, RFC 5681,
 *          tcp_cc.c) -> data_in (receive ring, out-of-order ranges) -> FIN
 *     -> tcp_output (tcp_out.c): data the ACK made room for, and the ACK.
 *
 * Whatever the peer sends, a segment's bytes are copied into the receive
 * ring or dropped; the pbuf is freed here.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

#define PAWS_IDLE_NS (24ull * 24 * 3600 * 1000000000ull) /* RFC 7323 5.5 */

void tcp_parse_options(const uint8_t *hdr, size_t hlen, struct tcp_seg *seg)
{
    const uint8_t *p = hdr + TCP_HLEN, *end = hdr + hlen;

    seg->mss = 0;
    seg->wscale = -1;
    seg->sack_ok = false;
    seg->has_ts = false;
    seg->nsack = 0;
    while (p < end) {
        uint8_t kind = p[0], len;
        if (kind == 0)
            break;
        if (kind == 1) {
            p++;
            continue;
        }
        /* A bad length ends parsing; the segment itself is still used. */
        if (end - p < 2)
            break;
        len = p[1];
        if (len < 2 || len > end - p)
            break;
        switch (kind) {
        case 2:
            if (len == 4)
                seg->mss = get_be16(p + 2);
            break;
        case 3:
            if (len == 3)
                seg->wscale = (int8_t)MIN(p[2], TCP_MAX_WSCALE);
            break;
        case 4:
            if (len == 2)
                seg->sack_ok = true;
            break;
        case 5:
            if ((len - 2) % 8 == 0) {
                for (int i = 0; i < (len - 2) / 8 && seg->nsack < 4; i++) {
                    seg->sack[seg->nsack].start = get_be32(p + 2 + 8 * i);
                    seg->sack[seg->nsack].end = get_be32(p + 6 + 8 * i);
                    seg->nsack++;
                }
            }
            break;
        case 8:
            if (len == 10) {
                seg->has_ts = true;
                seg->tsval = get_be32(p + 2);
                seg->tsecr = get_be32(p + 6);
            }
            break;
        default:
            break;
        }
        p += len;
    }
}

void tcp_apply_syn_options(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint16_t peer_mss = seg->mss != 0 ? seg->mss : TCP_DEFAULT_MSS;

    tcp_update_mss(pcb, MAX(peer_mss, (uint16_t)TCP_MIN_MSS));
    if (seg->wscale >= 0) {
        pcb->flags |= TF_WS_OK;
        pcb->snd_wscale = (uint8_t)seg->wscale;
        pcb->rcv_wscale = tcp_wscale_for(pcb->rcvbuf);
    } else {
        pcb->flags &= ~TF_WS_OK;
        pcb->snd_wscale = pcb->rcv_wscale = 0;
    }
    if (seg->sack_ok)
        pcb->flags |= TF_SACK_OK;
    else
        pcb->flags &= ~TF_SACK_OK;
    if (seg->has_ts) {
        pcb->flags |= TF_TS_OK;
        pcb->ts_recent = seg->tsval;
        pcb->ts_recent_time = pcb->ns->now;
    } else {
        pcb->flags &= ~TF_TS_OK;
    }
    tcp_mask_options(pcb);
}

void tcp_mask_options(struct tcp_pcb *pcb)
{
    uint32_t off = pcb->ns->limits.tcp_options_off;

    if (off & NET_TCP_NO_SACK)
        pcb->flags &= ~TF_SACK_OK;
    if (off & NET_TCP_NO_TIMESTAMPS)
        pcb->flags &= ~TF_TS_OK;
    if (off & NET_TCP_NO_WSCALE) {
        pcb->flags &= ~TF_WS_OK;
        pcb->snd_wscale = pcb->rcv_wscale = 0;
    }
}

/* A round-trip sample from the echoed timestamp or the timed segment. */
static void rtt_from_ack(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    if ((pcb->flags & TF_TS_OK) && seg->has_ts && seg->tsecr != 0) {
        uint32_t ms = tcp_ts_now(pcb) - seg->tsecr;
        if (ms < 60 * 1000) /* a sane echo of one of ours */
            tcp_rtt_sample(pcb, (uint64_t)ms * 1000000ull + 500000ull);
    } else if ((pcb->flags & TF_RTT_TIMING) && seq_gt(seg->ack, pcb->rtt_seq)) {
        tcp_rtt_sample(pcb, pcb->ns->now - pcb->rtt_start);
    }
    pcb->flags &= ~TF_RTT_TIMING;
}

static void synsent_input(struct tcp_pcb *pcb, const struct tcp_seg *seg, const struct ip_rx *rx)
{
    struct netstack *ns = pcb->ns;
    bool ack = (seg->flags & TCP_ACK) != 0;

    if (ack && (seq_leq(seg->ack, pcb->iss) || seq_gt(seg->ack, pcb->snd_max))) {
        if (!(seg->flags & TCP_RST))
            tcp_send_rst_reply(ns, rx, seg);
        return;
    }
    if (seg->flags & TCP_RST) {
        /* RFC 5961 3.2: only a RST acknowledging our SYN counts here. */
        if (ack)
            tcp_done(pcb, -ECONNREFUSED);
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;

    pcb->irs = seg->seq;
    pcb->rcv_nxt = seg->seq + 1;
    pcb->rcv_adv = pcb->rcv_nxt + MIN(pcb->rcvbuf, 65535u);
    /* Keep what both sides offered. */
    if (seg->wscale < 0 || !(pcb->flags & TF_WS_OK)) {
        pcb->flags &= ~TF_WS_OK;
        pcb->snd_wscale = pcb->rcv_wscale = 0;
    } else {
        pcb->snd_wscale = (uint8_t)seg->wscale;
    }
    if (!seg->sack_ok)
        pcb->flags &= ~TF_SACK_OK;
    if (seg->has_ts) {
        pcb->ts_recent = seg->tsval;
        pcb->ts_recent_time = ns->now;
    } else {
        pcb->flags &= ~TF_TS_OK;
    }
    tcp_update_mss(
        pcb, MAX(seg->mss != 0 ? seg->mss : (uint16_t)TCP_DEFAULT_MSS, (uint16_t)TCP_MIN_MSS));
    pcb->snd_wnd = seg->wnd; /* never scaled in a SYN */
    pcb->max_sndwnd = pcb->snd_wnd;
    pcb->snd_wl1 = seg->seq;
    pcb->snd_wl2 = seg->ack;

    if (!ack) {
        /* Simultaneous open (RFC 9293 figure 8): answer with SYN-ACK. */
        tcp_set_state(pcb, TCP_SYN_RECEIVED);
        pcb->snd_nxt = pcb->iss;
        tcp_send_syn(pcb);
        return;
    }
    rtt_from_ack(pcb, seg);
    pcb->snd_una = seg->ack;
    pcb->snd_nxt = seq_max(pcb->snd_nxt, pcb->snd_una);
    pcb->t_rexmit = 0;
    pcb->retries = 0;
    pcb->first_rexmit_time = 0;
    tcp_cc_init(pcb);
    if (pcb->backoff > 0)
        pcb->cwnd = pcb->mss; /* RFC 6298 5.7: the SYN was lost once */
    pcb->backoff = 0;
    tcp_set_state(pcb, TCP_ESTABLISHED);
    tcp_keepalive_arm(pcb);
    pcb->flags |= TF_ACK_NOW;
    if (pcb->flags & TF_FIN_QUEUED)
        tcp_set_state(pcb, TCP_FIN_WAIT_1); /* shut down while connecting */
    tcp_output(pcb);
    pcb->flags &= ~TF_NOSPACE;
    tcp_notify(pcb);
}

/* The RFC 9293 3.10.7.4 acceptance test, against the window we announced. */
static bool seq_acceptable(const struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint32_t len = seg->len + ((seg->flags & TCP_SYN) ? 1 : 0) + ((seg->flags & TCP_FIN) ? 1 : 0);
    uint32_t wnd = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    uint32_t nxt = pcb->rcv_nxt;

    /* A zero window still takes ACKs, RSTs and (trimmed) data at RCV.NXT. */
    if (wnd == 0)
        return seg->seq == nxt;
    if (len == 0)
        return seq_leq(nxt, seg->seq) && seq_lt(seg->seq, nxt + wnd);
    return (seq_leq(nxt, seg->seq) && seq_lt(seg->seq, nxt + wnd)) ||
           (seq_leq(nxt, seg->seq + len - 1) && seq_lt(seg->seq + len - 1, nxt + wnd));
}

static void rst_received(struct tcp_pcb *pcb)
{
    switch (pcb->state) {
    case TCP_SYN_RECEIVED:
        if (pcb->flags & TF_PASSIVE)
            pcb->ns->snmp.tcpext.EmbryonicRsts++;
        tcp_done(pcb, -ECONNREFUSED);
        break;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        tcp_done(pcb, -ECONNRESET);
        break;
    default:
        tcp_done(pcb, 0);
        break;
    }
}

static void fin_received(struct tcp_pcb *pcb)
{
    pcb->rcv_nxt++;
    pcb->flags |= TF_PEER_FIN | TF_ACK_NOW;
    pcb->flags &= ~TF_FIN_PENDING;
    switch (pcb->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
        tcp_set_state(pcb, TCP_CLOSE_WAIT);
        break;
    case TCP_FIN_WAIT_1:
        tcp_set_state(pcb, TCP_CLOSING);
        break;
    case TCP_FIN_WAIT_2:
        tcp_enter_time_wait(pcb);
        break;
    default:
        break;
    }
    tcp_notify(pcb);
}

/* Remember [start, end) as received beyond RCV.NXT. False: no room. */
static bool ooo_add(struct tcp_rcvq *q, uint32_t start, uint32_t end)
{
    int i, j;

    /* Merge with every range it touches. */
    for (i = 0; i < q->nooo; i++) {
        struct tcp_range *r = &q->ooo[i];
        if (seq_lt(end, r->start))
            break;
        if (seq_gt(start, r->end))
            continue;
        r->start = seq_min(r->start, start);
        r->end = seq_max(r->end, end);
        /* Swallow the ranges the grown one now reaches. */
        while (i + 1 < q->nooo && seq_geq(r->end, q->ooo[i + 1].start)) {
            r->end = seq_max(r->end, q->ooo[i + 1].end);
            for (j = i + 1; j + 1 < q->nooo; j++)
                q->ooo[j] = q->ooo[j + 1];
            q->nooo--;
        }
        q->ooo_last = (uint8_t)i;
        return true;
    }
    if (q->nooo == TCP_MAX_OOO)
        return false;
    for (j = q->nooo; j > i; j--)
        q->ooo[j] = q->ooo[j - 1];
    q->ooo[i].start = start;
    q->ooo[i].end = end;
    q->nooo++;
    q->ooo_last = (uint8_t)i;
    return true;
}

/* Copy len bytes to the ring at offset off beyond the readable bytes. */
static void ring_write(struct tcp_rcvq *q, uint32_t off, const uint8_t *data, uint32_t len)
{
    uint32_t pos = (q->head + q->avail + off) % q->cap;
    uint32_t first = MIN(len, q->cap - pos);

    memcpy(q->buf + pos, data, first);
    memcpy(q->buf, data + first, len - first);
}

static void data_in(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    struct netstack *ns = pcb->ns;
    struct tcp_rcvq *q = &pcb->rcvq;
    uint32_t seq = seg->seq, len = seg->len, free_space, off;
    const uint8_t *data = seg->data;
    bool fin = (seg->flags & TCP_FIN) != 0;

    if (seq_lt(seq, pcb->rcv_nxt)) {
        uint32_t skip = pcb->rcv_nxt - seq;
        if (skip > len) {
            pcb->flags |= TF_ACK_NOW; /* an old duplicate: tell where we are */
            return;
        }
        data += skip;
        len -= skip;
        seq = pcb->rcv_nxt;
        if (len == 0 && !fin)
            pcb->flags |= TF_ACK_NOW;
    }
    if (len > 0) {
        if (q->buf == NULL) {
            q->buf = netenv_alloc(pcb->rcvbuf);
            if (q->buf == NULL) {
                ns->snmp.tcpext.TCPRcvQDrop++;
                pcb->flags |= TF_ACK_NOW;
                return;
            }
            q->cap = pcb->rcvbuf;
            q->head = 0;
        }
        free_space = q->cap - q->avail;
        off = seq - pcb->rcv_nxt;
        if (off >= free_space) {
            if (free_space == 0)
                ns->snmp.tcpext.TCPZeroWindowDrop++;
            else
                ns->snmp.tcpext.TCPOFODrop++;
            pcb->flags |= TF_ACK_NOW;
            return;
        }
        if (off + len > free_space) {
            len = free_space - off;
            fin = false;
        }
        pcb->data_segs_in++;
        pcb->last_data_rcv = ns->now;
        /* The sender's segment size: a merged segment's parts were gso_size long. */
        uint32_t unit = seg->gso_size != 0 ? MIN(seg->len, seg->gso_size) : seg->len;
        if (unit > pcb->rcv_mss)
            pcb->rcv_mss = unit;
        ring_write(q, off, data, len);
        if (off == 0) {
            bool filled_hole = q->nooo > 0;
            pcb->rcv_nxt += len;
            q->avail += len;
            pcb->bytes_received += len;
            while (q->nooo > 0 && seq_leq(q->ooo[0].start, pcb->rcv_nxt)) {
                if (seq_gt(q->ooo[0].end, pcb->rcv_nxt)) {
                    uint32_t more = q->ooo[0].end - pcb->rcv_nxt;
                    pcb->rcv_nxt += more;
                    q->avail += more;
                    pcb->bytes_received += more;
                }
                memmove(&q->ooo[0], &q->ooo[1], (q->nooo - 1) * sizeof(q->ooo[0]));
                q->nooo--;
                q->ooo_last = 0;
            }
            /* RFC 5681 4.2: ACK at least every second full segment. */
            if (filled_hole || pcb->rcv_nxt - pcb->last_ack_sent >= 2u * MAX(pcb->rcv_mss, 536u))
                pcb->flags |= TF_ACK_NOW;
            else
                pcb->flags |= TF_ACK_DELAYED;
            tcp_notify(pcb);
        } else {
            pcb->rcv_ooopack++;
            if (ooo_add(q, seq, seq + len))
                ns->snmp.tcpext.TCPOFOQueue++;
            else
                ns->snmp.tcpext.TCPOFODrop++;
            pcb->flags |= TF_ACK_NOW; /* a duplicate ACK, with SACK blocks */
        }
    }
    if (fin) {
        uint32_t fin_seq = seq + len;
        if (fin_seq == pcb->rcv_nxt) {
            fin_received(pcb);
        } else {
            pcb->flags |= TF_FIN_PENDING | TF_ACK_NOW;
            pcb->rcv_fin_seq = fin_seq;
        }
    } else if ((pcb->flags & TF_FIN_PENDING) && pcb->rcv_fin_seq == pcb->rcv_nxt) {
        fin_received(pcb);
    }
}

static void notify_writable(struct tcp_pcb *pcb)
{
    /* Wake a writer once a third of the ring is free, as Linux does. */
    if ((pcb->flags & TF_NOSPACE) && pcb->sndq.len <= pcb->sndbuf * 2 / 3) {
        pcb->flags &= ~TF_NOSPACE;
        tcp_notify(pcb);
    }
}

/*
 * The ACK field (RFC 9293 3.10.7.4 fifth check). Returns false when the
 * segment must go no further.
 */
static bool tcp_ack(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    struct netstack *ns = pcb->ns;
    uint32_t ack = seg->ack;
    bool fin_acked = false;
    uint32_t scaled_wnd = (uint32_t)seg->wnd << pcb->snd_wscale;
    uint32_t sacked_before = pcb->sacked_bytes;
    bool sack_news = false;

    /* RFC 5961 5.2: an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT]. */
    if (seq_gt(ack, pcb->snd_max) || seq_lt(ack, pcb->snd_una - pcb->max_sndwnd)) {
        tcp_send_challenge_ack(pcb);
        return false;
    }
    pcb->last_ack_rcv = ns->now;
    pcb->probes = 0; /* the peer answers: keepalive and window probes start over */
    if ((pcb->flags & TF_SACK_OK) && seg->nsack > 0) {
        tcp_sack_update(pcb, seg);
        sack_news = pcb->sacked_bytes > sacked_before;
    }

    if (seq_gt(ack, pcb->snd_una)) {
        struct tcp_sndq *q = &pcb->sndq;
        uint32_t acked = ack - pcb->snd_una, data_acked = 0;

        if (seq_gt(ack, q->seq)) {
            data_acked = MIN(ack - q->seq, q->len);
            q->head = q->cap != 0 ? (q->head + data_acked) % q->cap : 0;
            q->len -= data_acked;
            q->seq += data_acked;
        }
        if ((pcb->flags & TF_FIN_QUEUED) && q->len == 0 && seq_gt(ack, q->seq))
            fin_acked = true;
        rtt_from_ack(pcb, seg);
        tcp_cc_check_undo(pcb, seg);
        tcp_cc_ack(pcb, ack, acked);
        pcb->snd_una = ack;
        if (seq_lt(pcb->snd_nxt, pcb->snd_una))
            pcb->snd_nxt = pcb->snd_una;
        tcp_sack_trim(pcb);
        pcb->retries = 0;
        pcb->backoff = 0;
        pcb->first_rexmit_time = 0;
        pcb->soft_error = 0;
        pcb->bytes_acked_total += data_acked;
        if (pcb->snd_una == pcb->snd_max)
            pcb->t_rexmit = 0;
        else
            tcp_rexmit_arm(pcb);
        if (data_acked > 0)
            notify_writable(pcb);
        if (sack_news)
            tcp_cc_sack_news(pcb);
    } else if (ack == pcb->snd_una && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
               (scaled_wnd == pcb->snd_wnd || sack_news) && pcb->snd_max != pcb->snd_una) {
        /*
         * RFC 5681 section 2's duplicate ACK, or RFC 6675's: one that SACKs
         * new data counts whatever window it carries (a receiver's window
         * moves as its application reads; Linux's nearly always does).
         */
        tcp_cc_dupack(pcb);
    }
    if (sack_news)
        tcp_cc_lost_rexmit(pcb);

    /* Window update, unless the segment is older than the last one used. */
    if (seq_lt(pcb->snd_wl1, seg->seq) ||
        (pcb->snd_wl1 == seg->seq && seq_leq(pcb->snd_wl2, ack))) {
        bool opened = pcb->snd_wnd == 0 && scaled_wnd > 0;
        pcb->snd_wnd = scaled_wnd;
        pcb->snd_wl1 = seg->seq;
        pcb->snd_wl2 = ack;
        if (scaled_wnd > pcb->max_sndwnd)
            pcb->max_sndwnd = scaled_wnd;
        if (opened || (pcb->flags & TF_PERSIST)) {
            if (scaled_wnd > 0) {
                pcb->t_persist = 0;
                pcb->flags &= ~TF_PERSIST;
                pcb->probes = 0;
            }
        }
    }

    if (fin_acked) {
        switch (pcb->state) {
        case TCP_FIN_WAIT_1:
            tcp_set_state(pcb, TCP_FIN_WAIT_2);
            if (pcb->sock == NULL)
                tcp_timer_set(pcb, &pcb->t_close, ns->now + pcb->fin_timeout_s * 1000000000ull);
            tcp_notify(pcb);
            break;
        case TCP_CLOSING:
            tcp_enter_time_wait(pcb);
            return false;
        case TCP_LAST_ACK:
            tcp_done(pcb, 0);
            return false;
        default:
            break;
        }
    }
    return true;
}

/*
 * A pure duplicate ACK that the network delivered after a newer segment
 * (Linux's tcp_disordered_ack): its older timestamp makes it no replay, and
 * dropping it would throw away the SACK blocks that drive loss recovery.
 * Only one that changes nothing else passes: no data, at RCV.NXT, acking
 * exactly SND.UNA, no larger window, and a timestamp at most an RTO old.
 */
static bool tcp_disordered_ack(const struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    /* The peer's timestamps count milliseconds, as ours and Linux's do. */
    uint32_t rto_ticks = (uint32_t)(pcb->rto / TCP_TS_TICK_NS);

    return (seg->flags & TCP_ACK) && !(seg->flags & (TCP_SYN | TCP_FIN)) && seg->len == 0 &&
           seg->seq == pcb->rcv_nxt && seg->ack == pcb->snd_una &&
           ((uint32_t)seg->wnd << pcb->snd_wscale) <= pcb->snd_wnd &&
           pcb->ts_recent - seg->tsval <= rto_ticks;
}

static void tcp_process(struct tcp_pcb *pcb, const struct tcp_seg *seg, const struct ip_rx *rx)
{
    struct netstack *ns = pcb->ns;

    /* PAWS: a timestamp older than the last one seen is an old duplicate. */
    if ((pcb->flags & TF_TS_OK) && seg->has_ts && !(seg->flags & TCP_RST) &&
        seq_lt(seg->tsval, pcb->ts_recent) && ns->now - pcb->ts_recent_time < PAWS_IDLE_NS &&
        !tcp_disordered_ack(pcb, seg)) {
        ns->snmp.tcpext.PAWSEstab++;
        tcp_send_ack(pcb);
        return;
    }
    if (!seq_acceptable(pcb, seg)) {
        if (!(seg->flags & TCP_RST))
            tcp_send_ack(pcb);
        return;
    }
    if (seg->flags & TCP_RST) {
        /* RFC 5961 3.2: exactly RCV.NXT resets, the rest of the window challenges. */
        if (seg->seq == pcb->rcv_nxt)
            rst_received(pcb);
        else
            tcp_send_challenge_ack(pcb);
        return;
    }
    if (seg->flags & TCP_SYN) {
        if (pcb->state == TCP_SYN_RECEIVED && seg->seq == pcb->irs && !(seg->flags & TCP_ACK)) {
            tcp_send_syn(pcb); /* our SYN-ACK was lost: send it again */
            return;
        }
        ns->snmp.tcpext.TCPSYNChallenge++;
        tcp_send_challenge_ack(pcb);
        return;
    }
    if (!(seg->flags & TCP_ACK))
        return;
    /* RFC 7323 4.3: remember the timestamp to echo. */
    if (seg->has_ts && !seq_lt(seg->tsval, pcb->ts_recent) &&
        seq_leq(seg->seq, pcb->last_ack_sent) &&
        seq_leq(pcb->last_ack_sent, seg->seq + seg->len + ((seg->flags & TCP_FIN) ? 1 : 0))) {
        pcb->ts_recent = seg->tsval;
        pcb->ts_recent_time = ns->now;
    }

    if (pcb->state == TCP_SYN_RECEIVED) {
        if (!seq_lt(pcb->snd_una, seg->ack) || !seq_leq(seg->ack, pcb->snd_max)) {
            tcp_send_rst_reply(ns, rx, seg);
            return;
        }
        if (!tcp_child_established(pcb))
            return; /* accept queue full: the peer will retransmit */
        rtt_from_ack(pcb, seg);
        pcb->snd_una = seg->ack;
        pcb->snd_nxt = seq_max(pcb->snd_nxt, pcb->snd_una);
        pcb->snd_wnd = (uint32_t)seg->wnd << pcb->snd_wscale;
        pcb->max_sndwnd = MAX(pcb->max_sndwnd, pcb->snd_wnd);
        pcb->snd_wl1 = seg->seq;
        pcb->snd_wl2 = seg->ack;
        pcb->t_rexmit = 0;
        pcb->retries = 0;
        pcb->backoff = 0;
        tcp_set_state(pcb, TCP_ESTABLISHED);
        if (pcb->flags & TF_FIN_QUEUED)
            tcp_set_state(pcb, (pcb->flags & TF_PEER_FIN) ? TCP_LAST_ACK : TCP_FIN_WAIT_1);
        tcp_keepalive_arm(pcb);
        tcp_notify(pcb);
    }
    if (!tcp_ack(pcb, seg))
        return;

    if (seg->len > 0 || (seg->flags & TCP_FIN)) {
        switch (pcb->state) {
        case TCP_ESTABLISHED:
        case TCP_FIN_WAIT_1:
        case TCP_FIN_WAIT_2:
            /* New data for a socket that is gone: RFC 9293 3.10.4 reset. */
            if ((pcb->flags & TF_ORPHAN) && seg->len > 0 &&
                seq_gt(seg->seq + seg->len, pcb->rcv_nxt)) {
                ns->snmp.tcpext.TCPAbortOnData++;
                tcp_abort(pcb, 0);
                return;
            }
            data_in(pcb, seg);
            break;
        default:
            break; /* the peer's FIN came already: ignore */
        }
    }
    if (pcb->state == TCP_CLOSED)
        return;
    tcp_output(pcb);
    if (pcb->flags & TF_ACK_NOW)
        tcp_send_ack(pcb);
    else if (pcb->flags & TF_ACK_DELAYED)
        tcp_delack_arm(pcb);
}

/* TIME_WAIT: ACK retransmitted FINs; a new SYN may reuse the pair. */
static struct tcp_pcb *timewait_input(struct tcp_pcb *pcb, const struct tcp_seg *seg,
                                      const struct ip_rx *rx)
{
    struct netstack *ns = pcb->ns;

    if (seg->flags & TCP_RST)
        return NULL; /* RFC 1337: no TIME_WAIT assassination */
    if ((seg->flags & TCP_SYN) && !(seg->flags & TCP_ACK)) {
        bool newer = ((pcb->flags & TF_TS_OK) && seg->has_ts) ? seq_gt(seg->tsval, pcb->ts_recent)
                                                              : seq_gt(seg->seq, pcb->rcv_nxt);
        struct tcp_pcb *l = tcp_lookup_listener(ns, rx->dst, seg->dport);
        if (newer && l != NULL) {
            tcp_done(pcb, 0);
            return l;
        }
        tcp_send_ack(pcb);
        return NULL;
    }
    if (seg->flags & TCP_FIN) {
        tcp_send_ack(pcb);
        tcp_timer_set(pcb, &pcb->t_close, ns->now + 2 * TCP_MSL_NS);
    } else if (!seq_acceptable(pcb, seg)) {
        tcp_send_ack(pcb);
    }
    return NULL;
}

void tcp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx)
{
    const struct tcp_hdr *th;
    struct tcp_seg seg;
    struct tcp_pcb *pcb;
    size_t hlen;

    ns->snmp.tcp.InSegs++;
    if (p->len < TCP_HLEN)
        goto error;
    th = (const struct tcp_hdr *)p->data;
    hlen = (size_t)(th->off >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > p->len)
        goto error;
    if (rx->broadcast)
        goto drop;
    if (!(p->flags & PBUF_F_CSUM_VERIFIED)) {
        uint32_t sum = inet_pseudo_sum(rx->src, rx->dst, IPPROTO_TCP, (uint16_t)p->len);
        if (inet_csum_fold(inet_csum_partial(p->data, p->len, sum)) != 0) {
            ns->snmp.tcp.InCsumErrors++;
            goto error;
        }
    }
    seg.sport = net_ntohs(th->sport);
    seg.dport = net_ntohs(th->dport);
    seg.seq = net_ntohl(th->seq);
    seg.ack = net_ntohl(th->ack);
    seg.flags = th->flags;
    seg.wnd = net_ntohs(th->wnd);
    seg.data = p->data + hlen;
    seg.len = (uint32_t)(p->len - hlen);
    tcp_parse_options(p->data, hlen, &seg);
    seg.gso_size = p->gso_size;
    if (seg.gso_size != 0 && seg.len > seg.gso_size)
        ns->snmp.tcp.InSegs += (seg.len - 1) / seg.gso_size; /* as Linux: every merged one */

    pcb = tcp_lookup(ns, rx->dst, seg.dport, rx->src, seg.sport);
    if (pcb != NULL && pcb->state == TCP_TIME_WAIT) {
        pcb->segs_in++;
        pcb = timewait_input(pcb, &seg, rx);
        if (pcb == NULL)
            goto drop;
        pcb = tcp_listen_input(pcb, &seg, rx);
    } else if (pcb == NULL) {
        struct tcp_pcb *l = tcp_lookup_listener(ns, rx->dst, seg.dport);
        if (l != NULL) {
            pcb = tcp_listen_input(l, &seg, rx);
        } else if (!(seg.flags & TCP_RST)) {
            tcp_send_rst_reply(ns, rx, &seg);
        }
    }
    if (pcb == NULL)
        goto drop;
    pcb->segs_in++;
    pcb->last_rcv = ns->now;
    if (pcb->state == TCP_SYN_SENT)
        synsent_input(pcb, &seg, rx);
    else
        tcp_process(pcb, &seg, rx);
drop:
    pbuf_free(p);
    return;
error:
    ns->snmp.tcp.InErrs++;
    pbuf_free(p);
}
