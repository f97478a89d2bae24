/*
 * tcp_cc.c - congestion control and loss recovery.
 *
 * NewReno (RFC 5681 slow start and congestion avoidance with appropriate
 * byte counting, RFC 6582 fast retransmit and fast recovery, RFC 3042
 * limited transmit, RFC 6928 initial window, RFC 6298 5.7 loss window).
 * When both sides permit SACK, recovery follows RFC 6675 instead: the
 * scoreboard below records what the peer SACKed, tcp_output() resends the
 * holes and sends new data while the estimated pipe is below cwnd.
 *
 * States (tcpi_ca_state): OPEN; DISORDER after a duplicate ACK; RECOVERY
 * from the third duplicate ACK (or 3 segments SACKed beyond a hole) until
 * everything sent before it is acknowledged; LOSS after a retransmission
 * timeout, until the same.
 *
 * Call flow: tcp_ack (tcp_in.c) -> tcp_sack_update, tcp_cc_ack |
 *            tcp_cc_dupack; the retransmission timer -> tcp_cc_timeout;
 *            tcp_output -> tcp_sack_pipe / tcp_sack_next_hole.
 */
#include "lib/string.h"
#include "net/stack.h"
#include "net/tcp.h"

#define CWND_MAX (1u << 30)

static uint32_t initial_window(const struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    return MIN(10 * eff, MAX(2 * eff, 14600u)); /* RFC 6928 */
}

void tcp_cc_init(struct tcp_pcb *pcb)
{
    pcb->cwnd = initial_window(pcb);
    pcb->ssthresh = 0x7fffffff;
    pcb->ca_state = TCP_CA_OPEN;
    pcb->dupacks = 0;
    pcb->dupthresh = TCP_DUPTHRESH;
    pcb->undo_ok = false;
    pcb->bytes_acked = 0;
    pcb->recover = pcb->snd_una;
    pcb->nsacked = 0;
    pcb->sacked_bytes = 0;
    pcb->high_rxt = pcb->snd_una;
}

void tcp_cc_idle_restart(struct tcp_pcb *pcb)
{
    pcb->cwnd = MIN(pcb->cwnd, initial_window(pcb));
}

static uint32_t half_flight(const struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    return MAX(tcp_flight_size(pcb) / 2, 2 * eff);
}

/*
 * Resend [seq, seq + max) of sequence space, at most a segment's worth;
 * returns the sequence space sent (0: nothing to send there).
 */
static uint32_t resend(struct tcp_pcb *pcb, uint32_t seq, uint32_t max)
{
    uint32_t data_end = pcb->sndq.seq + pcb->sndq.len;
    uint32_t len = seq_lt(seq, data_end) ? MIN(MIN(data_end - seq, tcp_eff_mss(pcb)), max) : 0;
    bool fin = (pcb->flags & TF_FIN_QUEUED) && seq + len == data_end &&
               seq_gt(pcb->snd_max, data_end) && len < max;

    if (len == 0 && !fin)
        return 0;
    if (tcp_send_segment(pcb, seq, len, fin) != 0)
        return 0;
    return len + (fin ? 1 : 0);
}

/* Resend one segment's worth from seq (the fast retransmission). */
static void retransmit_at(struct tcp_pcb *pcb, uint32_t seq)
{
    uint32_t sent = resend(pcb, seq, UINT32_MAX);

    if (sent == 0)
        return;
    pcb->ns->snmp.tcpext.TCPFastRetrans++;
    if (pcb->flags & TF_SACK_OK) {
        pcb->high_rxt = seq_max(pcb->high_rxt, seq + sent);
        tcp_cc_note_rexmit(pcb, seq, sent);
    }
}

/* Remember what a spurious retransmission would have to restore. */
static void save_for_undo(struct tcp_pcb *pcb)
{
    pcb->undo_cwnd = pcb->cwnd;
    pcb->undo_ssthresh = pcb->ssthresh;
    pcb->undo_tsval = tcp_ts_now(pcb);
    pcb->undo_ok = (pcb->flags & TF_TS_OK) != 0;
}

static void enter_recovery(struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    save_for_undo(pcb);
    pcb->ssthresh = half_flight(pcb);
    pcb->recover = pcb->snd_max;
    pcb->ca_state = TCP_CA_RECOVERY;
    pcb->high_rxt = pcb->snd_una;
    pcb->nrxt = 0;
    if (pcb->flags & TF_SACK_OK) {
        pcb->ns->snmp.tcpext.TCPSackRecovery++;
        pcb->cwnd = pcb->ssthresh; /* RFC 6675 5 (4.2) */
    } else {
        pcb->ns->snmp.tcpext.TCPRenoRecovery++;
        pcb->cwnd = pcb->ssthresh + TCP_DUPTHRESH * eff; /* RFC 6582 3.2 step 3 */
    }
    /* The first unacknowledged segment goes again at once. */
    retransmit_at(pcb, pcb->snd_una);
    tcp_rexmit_arm(pcb);
}

void tcp_cc_dupack(struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    pcb->dupacks++;
    if (pcb->ca_state == TCP_CA_RECOVERY) {
        if (!(pcb->flags & TF_SACK_OK))
            pcb->cwnd = MIN(pcb->cwnd + eff, CWND_MAX); /* inflate: a segment left */
        return;
    }
    if (pcb->ca_state == TCP_CA_LOSS)
        return;
    if (pcb->dupacks >= pcb->dupthresh ||
        ((pcb->flags & TF_SACK_OK) && pcb->sacked_bytes > (pcb->dupthresh - 1) * eff)) {
        /* RFC 6582 3.2 step 1: not again for losses of the same window. */
        if (seq_gt(pcb->snd_una, pcb->recover) || pcb->recover == pcb->snd_una)
            enter_recovery(pcb);
        return;
    }
    pcb->ca_state = TCP_CA_DISORDER;
}

void tcp_cc_sack_news(struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    if (!(pcb->flags & TF_SACK_OK) || pcb->snd_max == pcb->snd_una ||
        (pcb->ca_state != TCP_CA_OPEN && pcb->ca_state != TCP_CA_DISORDER))
        return;
    /* RFC 6675 5 (and IsLost): a cumulative ACK may leave a hole SACKed beyond. */
    if (pcb->sacked_bytes > (pcb->dupthresh - 1) * eff &&
        (seq_gt(pcb->snd_una, pcb->recover) || pcb->recover == pcb->snd_una))
        enter_recovery(pcb);
}

/* Was the flight (before this ACK) limited by cwnd, as Linux judges it? */
static bool cwnd_limited(const struct tcp_pcb *pcb)
{
    uint32_t flight = tcp_flight_size(pcb);

    if (pcb->cwnd < pcb->ssthresh)
        return flight * 2 > pcb->cwnd; /* slow start: allow doubling what is used */
    return flight + tcp_eff_mss(pcb) >= pcb->cwnd;
}

void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t ack, uint32_t acked)
{
    uint32_t eff = tcp_eff_mss(pcb);

    switch (pcb->ca_state) {
    case TCP_CA_RECOVERY:
        if (seq_geq(ack, pcb->recover)) {
            /* Full acknowledgment: deflate (RFC 6582 3.2 step 6, option 1). */
            uint32_t flight = pcb->snd_max - ack;
            pcb->cwnd = MIN(pcb->ssthresh, MAX(flight, eff) + eff);
            pcb->ca_state = TCP_CA_OPEN;
            pcb->dupacks = 0;
            pcb->bytes_acked = 0;
            return;
        }
        if (pcb->flags & TF_SACK_OK) {
            pcb->high_rxt = seq_max(pcb->high_rxt, ack);
            return;
        }
        /* Partial acknowledgment: resend the next hole, deflate by what left. */
        retransmit_at(pcb, ack);
        pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked : eff;
        if (acked >= eff)
            pcb->cwnd += eff;
        return;
    case TCP_CA_LOSS:
        if (seq_geq(ack, pcb->recover))
            pcb->ca_state = TCP_CA_OPEN;
        break;
    case TCP_CA_DISORDER:
        pcb->ca_state = TCP_CA_OPEN;
        break;
    default:
        break;
    }
    pcb->dupacks = 0;
    /*
     * Grow only a window that is in use (RFC 7661): an application or a
     * receiver that keeps the flight small must not earn a huge cwnd that
     * would later go out as one burst.
     */
    if (!cwnd_limited(pcb))
        return;
    if (pcb->cwnd < pcb->ssthresh) {
        /* Slow start with appropriate byte counting, L = 2 SMSS (RFC 3465). */
        pcb->cwnd += MIN(acked, 2 * eff);
    } else {
        /* Congestion avoidance: one segment per window's worth of ACKs. */
        pcb->bytes_acked += acked;
        if (pcb->bytes_acked >= pcb->cwnd) {
            pcb->bytes_acked -= pcb->cwnd;
            pcb->cwnd += eff;
        }
    }
    if (pcb->cwnd > CWND_MAX)
        pcb->cwnd = CWND_MAX;
}

void tcp_cc_timeout(struct tcp_pcb *pcb)
{
    uint32_t eff = tcp_eff_mss(pcb);

    /*
     * A timeout in DISORDER with several segments SACKed means the
     * duplicate-ACK threshold waited for reordering that was really loss:
     * it is overestimated, so start it over (Linux's tcp_enter_loss does
     * the same). Otherwise every undo raises it for good, and a long
     * transfer through a reordering path ends up repairing every loss
     * with a timeout.
     */
    if (pcb->ca_state == TCP_CA_DISORDER && pcb->sacked_bytes >= TCP_DUPTHRESH * eff)
        pcb->dupthresh = TCP_DUPTHRESH;
    /* RFC 5681 (4): halve once per loss episode, not per backoff. */
    if (pcb->ca_state != TCP_CA_LOSS || pcb->backoff <= 1) {
        if (pcb->ca_state != TCP_CA_RECOVERY)
            save_for_undo(pcb);
        pcb->ssthresh = half_flight(pcb);
    }
    pcb->cwnd = eff; /* the loss window */
    pcb->ca_state = TCP_CA_LOSS;
    pcb->recover = pcb->snd_max;
    pcb->dupacks = 0;
    pcb->bytes_acked = 0;
    /* RFC 2018 8: the peer may have reneged; start the scoreboard afresh. */
    pcb->nsacked = 0;
    pcb->sacked_bytes = 0;
    pcb->high_rxt = pcb->snd_una;
    pcb->nrxt = 0;
    pcb->ns->snmp.tcpext.TCPTimeouts++;
}

void tcp_cc_note_rexmit(struct tcp_pcb *pcb, uint32_t seq, uint32_t len)
{
    int n = 0;

    if (pcb->nrxt == TCP_MAX_RXT) {
        /* Make room: forget what the peer acknowledged since. */
        for (int i = 0; i < pcb->nrxt; i++)
            if (seq_gt(pcb->rxt[i].end, pcb->snd_una))
                pcb->rxt[n++] = pcb->rxt[i];
        pcb->nrxt = n;
        if (n == TCP_MAX_RXT)
            return; /* this one is left to the retransmission timer */
    }
    pcb->rxt[pcb->nrxt++] = (struct tcp_rxt){.start = seq, .end = seq + len, .mark = pcb->snd_max};
}

/*
 * A retransmission can be lost too, and with nothing else to detect that
 * only the retransmission timer would: a pause of at least 200 ms, cwnd
 * down to one segment and slow start again. Through 5% loss that was most
 * of our timeouts. When the peer SACKs data first sent after a
 * retransmission left (above SND.MAX at the time, the record's mark)
 * while the retransmitted range is still missing, the retransmission was
 * lost: send it again (Linux's tcp_mark_lost_retrans; RACK, RFC 8985,
 * reaches the same verdict by time). The recovery goes on; this is no new
 * reduction, as in Linux. Reordering can fool it into a spurious resend,
 * which costs one segment.
 */
void tcp_cc_lost_rexmit(struct tcp_pcb *pcb)
{
    uint32_t highest, end;
    int n = 0;

    if (pcb->ca_state != TCP_CA_RECOVERY || pcb->nsacked == 0)
        return;
    highest = pcb->sacked[pcb->nsacked - 1].end;
    for (int i = 0; i < pcb->nrxt; i++) {
        struct tcp_rxt r = pcb->rxt[i];
        uint32_t seq = seq_max(r.start, pcb->snd_una), sent;

        while (seq_lt(seq, r.end) && tcp_sack_covered(pcb, seq, &end))
            seq = end;
        if (!seq_lt(seq, r.end))
            continue; /* acknowledged or SACKed: it arrived */
        if (seq_gt(highest, r.mark)) {
            sent = resend(pcb, seq, r.end - seq);
            if (sent == 0) {
                pcb->rxt[n++] = r;
                continue;
            }
            pcb->ns->snmp.tcpext.TCPLostRetransmit++;
            if (seq == pcb->snd_una)
                tcp_rexmit_arm(pcb); /* give the new copy its round trip */
            r.start = seq;
            r.mark = pcb->snd_max;
        }
        pcb->rxt[n++] = r;
    }
    pcb->nrxt = n;
}

void tcp_cc_check_undo(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint32_t eff = tcp_eff_mss(pcb), reordering;
    struct netstack *ns = pcb->ns;

    if (!pcb->undo_ok || !seg->has_ts || seg->tsecr == 0 ||
        (pcb->ca_state != TCP_CA_RECOVERY && pcb->ca_state != TCP_CA_LOSS))
        return;
    if (!seq_lt(seg->tsecr, pcb->undo_tsval))
        return; /* the retransmission is what arrived: the loss was real */
    /*
     * The peer echoes the timestamp of the segment that filled the hole:
     * the original, sent before any retransmission. Nothing was lost; the
     * network reordered (or delayed) it. Undo, and wait for more duplicate
     * ACKs next time: as many segments as were SACKed beyond the hole.
     */
    reordering = pcb->nsacked > 0 ? (pcb->sacked[pcb->nsacked - 1].end - pcb->snd_una) / eff + 1
                                  : pcb->dupthresh + 1;
    pcb->dupthresh = MIN(MAX(pcb->dupthresh + 1, reordering), TCP_MAX_REORDERING);
    pcb->cwnd = MAX(pcb->cwnd, pcb->undo_cwnd);
    pcb->ssthresh = MAX(pcb->ssthresh, pcb->undo_ssthresh);
    if (pcb->ca_state == TCP_CA_LOSS) {
        ns->snmp.tcpext.TCPLossUndo++;
        pcb->snd_nxt = pcb->snd_max; /* stop resending what arrived */
    } else {
        ns->snmp.tcpext.TCPFullUndo++;
    }
    pcb->ca_state = TCP_CA_OPEN;
    pcb->dupacks = 0;
    pcb->undo_ok = false;
    /* No reduction stands, so RFC 6582's guard must not hold back the next one. */
    pcb->recover = pcb->snd_una;
}

/* ---- the SACK scoreboard ---- */

static void recount(struct tcp_pcb *pcb)
{
    uint32_t n = 0;

    for (int i = 0; i < pcb->nsacked; i++)
        n += pcb->sacked[i].end - pcb->sacked[i].start;
    pcb->sacked_bytes = n;
}

static void sb_insert(struct tcp_pcb *pcb, uint32_t start, uint32_t end)
{
    struct tcp_range *sb = pcb->sacked;
    int i, j;

    for (i = 0; i < pcb->nsacked; i++) {
        if (seq_lt(end, sb[i].start))
            break;
        if (seq_gt(start, sb[i].end))
            continue;
        sb[i].start = seq_min(sb[i].start, start);
        sb[i].end = seq_max(sb[i].end, end);
        while (i + 1 < pcb->nsacked && seq_geq(sb[i].end, sb[i + 1].start)) {
            sb[i].end = seq_max(sb[i].end, sb[i + 1].end);
            for (j = i + 1; j + 1 < pcb->nsacked; j++)
                sb[j] = sb[j + 1];
            pcb->nsacked--;
        }
        return;
    }
    if (pcb->nsacked == TCP_MAX_SACKED) {
        if (i == TCP_MAX_SACKED)
            return; /* the highest news is the least useful to keep */
        pcb->nsacked--;
    }
    for (j = pcb->nsacked; j > i; j--)
        sb[j] = sb[j - 1];
    sb[i].start = start;
    sb[i].end = end;
    pcb->nsacked++;
}

void tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    for (int i = 0; i < seg->nsack; i++) {
        uint32_t start = seg->sack[i].start, end = seg->sack[i].end;
        if (!seq_lt(start, end) || seq_leq(end, seg->ack) || seq_leq(end, pcb->snd_una))
            continue; /* empty, or a D-SACK of something acknowledged */
        if (seq_gt(end, pcb->snd_max) || seq_lt(start, pcb->snd_una - pcb->max_sndwnd)) {
            pcb->ns->snmp.tcpext.TCPSACKDiscard++;
            continue;
        }
        sb_insert(pcb, seq_max(start, pcb->snd_una), end);
    }
    recount(pcb);
}

void tcp_sack_trim(struct tcp_pcb *pcb)
{
    int i = 0, j;

    while (i < pcb->nsacked && seq_leq(pcb->sacked[i].end, pcb->snd_una))
        i++;
    if (i > 0) {
        for (j = 0; j + i < pcb->nsacked; j++)
            pcb->sacked[j] = pcb->sacked[j + i];
        pcb->nsacked -= i;
    }
    if (pcb->nsacked > 0 && seq_lt(pcb->sacked[0].start, pcb->snd_una))
        pcb->sacked[0].start = pcb->snd_una;
    recount(pcb);
}

bool tcp_sack_covered(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *end)
{
    for (int i = 0; i < pcb->nsacked; i++) {
        if (seq_leq(pcb->sacked[i].start, seq) && seq_lt(seq, pcb->sacked[i].end)) {
            *end = pcb->sacked[i].end;
            return true;
        }
    }
    return false;
}

bool tcp_sack_next_hole(const struct tcp_pcb *pcb, uint32_t *seq, uint32_t *len)
{
    uint32_t s, high;

    if (pcb->nsacked == 0)
        return false;
    high = pcb->sacked[pcb->nsacked - 1].end;
    s = seq_max(pcb->high_rxt, pcb->snd_una);
    for (int i = 0; i < pcb->nsacked; i++) {
        const struct tcp_range *r = &pcb->sacked[i];
        if (seq_leq(r->end, s))
            continue;
        if (seq_leq(r->start, s)) {
            s = r->end; /* inside a SACKed block: skip it */
            continue;
        }
        /* [s, r->start) was not SACKed, and data above it was: lost. */
        *seq = s;
        *len = r->start - s;
        return seq_lt(s, high);
    }
    return false;
}

uint32_t tcp_sack_pipe(const struct tcp_pcb *pcb)
{
    uint32_t high = pcb->nsacked > 0 ? pcb->sacked[pcb->nsacked - 1].end : pcb->snd_una;
    uint32_t above, retrans = 0;

    high = seq_max(high, pcb->snd_una);
    above = seq_gt(pcb->snd_max, high) ? pcb->snd_max - high : 0;
    if (seq_gt(pcb->high_rxt, pcb->snd_una)) {
        /* Retransmitted bytes below high_rxt that are not SACKed since. */
        uint32_t top = seq_min(pcb->high_rxt, high);
        retrans = seq_gt(top, pcb->snd_una) ? top - pcb->snd_una : 0;
        for (int i = 0; i < pcb->nsacked; i++) {
            uint32_t a = seq_max(pcb->sacked[i].start, pcb->snd_una);
            uint32_t b = seq_min(pcb->sacked[i].end, top);
            if (seq_lt(a, b))
                retrans -= b - a;
        }
    }
    return above + retrans;
}
