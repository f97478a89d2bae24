/*
 * tcp_timer.c - the per-connection timers, and round-trip estimation.
 *
 * Each pcb keeps absolute deadlines (nanoseconds, 0 = off):
 *   t_rexmit     retransmission (RFC 6298), also SYN and SYN-ACK
 *   t_persist    zero-window probes (RFC 9293 3.8.6.1)
 *   t_delack     delayed ACK, 40 ms (RFC 9293 3.8.6.3 allows 500)
 *   t_keepalive  keepalive probes (RFC 9293 3.8.4, RFC 1122 4.2.3.6)
 *   t_close      TIME_WAIT's 2 MSL, an orphan's FIN_WAIT_2 limit
 *   t_linger     SO_LINGER's deadline after close()
 * Arming one lowers the stack's next deadline (net_timer_arm); net_timer()
 * -> tcp_timer() visits every pcb and runs what is due.
 *
 * RTO (RFC 6298): SRTT and RTTVAR in nanoseconds, RTO = SRTT + 4 RTTVAR
 * clamped to [tcp_rto_min_ms, 120 s], doubled per consecutive timeout.
 * The lower bound defaults to Linux's 200 ms rather than the RFC's 1 s:
 * on LANs and virtual links a 1 s floor turns each loss into a stall.
 */
#include "lib/errno.h"
#include "net/netenv.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

#define NSEC_PER_S 1000000000ull
#define RTT_GRANULARITY_NS 1000000ull /* the timestamp clock ticks in ms */

void tcp_timer_set(struct tcp_pcb *pcb, uint64_t *timer, uint64_t deadline)
{
    *timer = deadline;
    net_timer_arm(pcb->ns, deadline);
}

static uint64_t current_rto(const struct tcp_pcb *pcb)
{
    uint64_t rto = pcb->rto;

    for (int i = 0; i < pcb->backoff && rto < TCP_MAX_RTO_NS; i++)
        rto *= 2;
    return MIN(rto, TCP_MAX_RTO_NS);
}

void tcp_rexmit_arm(struct tcp_pcb *pcb)
{
    tcp_timer_set(pcb, &pcb->t_rexmit, pcb->ns->now + current_rto(pcb));
}

void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t rtt)
{
    uint64_t min_rto = (uint64_t)pcb->ns->limits.tcp_rto_min_ms * 1000000ull;

    if (rtt == 0)
        rtt = 1;
    if (pcb->min_rtt == 0 || rtt < pcb->min_rtt)
        pcb->min_rtt = rtt;
    if (pcb->srtt == 0) {
        pcb->srtt = rtt; /* RFC 6298 2.2 */
        pcb->rttvar = rtt / 2;
    } else {
        uint64_t delta = pcb->srtt > rtt ? pcb->srtt - rtt : rtt - pcb->srtt;
        pcb->rttvar = (3 * pcb->rttvar + delta) / 4; /* beta = 1/4 */
        pcb->srtt = (7 * pcb->srtt + rtt) / 8;       /* alpha = 1/8 */
    }
    /*
     * RFC 6298 2.3 with Linux's floor: the minimum bounds the variance term,
     * not the whole timeout, so the RTO is at least SRTT + 200 ms. A floor
     * on the sum would fire exactly when a peer that delays its ACKs by
     * 200 ms (BSD stacks, QEMU's slirp) answers a lone segment on a fast
     * path: a spurious timeout and a collapsed window.
     */
    pcb->rto = pcb->srtt + MAX(MAX(RTT_GRANULARITY_NS, 4 * pcb->rttvar), min_rto);
    if (pcb->rto > TCP_MAX_RTO_NS)
        pcb->rto = TCP_MAX_RTO_NS;
}

void tcp_delack_arm(struct tcp_pcb *pcb)
{
    if (pcb->t_delack == 0)
        tcp_timer_set(pcb, &pcb->t_delack, pcb->ns->now + TCP_DELACK_NS);
}

static bool keepalive_state(enum tcp_state s)
{
    return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_2;
}

void tcp_keepalive_arm(struct tcp_pcb *pcb)
{
    if (!(pcb->flags & TF_KEEPALIVE) || !keepalive_state(pcb->state)) {
        pcb->t_keepalive = 0;
        return;
    }
    if (pcb->last_rcv == 0)
        pcb->last_rcv = pcb->ns->now;
    tcp_timer_set(pcb, &pcb->t_keepalive, pcb->last_rcv + pcb->keep_idle_s * NSEC_PER_S);
}

void tcp_persist_arm(struct tcp_pcb *pcb)
{
    uint64_t interval;

    if (pcb->flags & TF_PERSIST)
        return;
    interval = MAX(current_rto(pcb), TCP_PERSIST_MIN_NS);
    pcb->flags |= TF_PERSIST;
    pcb->persist_interval = MIN(interval, TCP_PERSIST_MAX_NS);
    pcb->probes = 0;
    tcp_timer_set(pcb, &pcb->t_persist, pcb->ns->now + pcb->persist_interval);
}

static int timeout_error(const struct tcp_pcb *pcb)
{
    return pcb->soft_error != 0 ? pcb->soft_error : -ETIMEDOUT;
}

static void rexmit_timeout(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;
    uint32_t limit;

    if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED) {
        limit = pcb->state == TCP_SYN_SENT ? pcb->syn_retries : TCP_SYNACK_RETRIES;
        if (pcb->retries >= limit) {
            tcp_done(pcb, timeout_error(pcb));
            return;
        }
        pcb->retries++;
        if (pcb->backoff < 15)
            pcb->backoff++;
        ns->snmp.tcpext.TCPTimeouts++;
        tcp_send_syn(pcb);
        return;
    }
    if (pcb->snd_una == pcb->snd_max)
        return; /* everything got acknowledged meanwhile */
    limit = pcb->sock == NULL ? TCP_ORPHAN_RETRIES : TCP_DATA_RETRIES;
    if (pcb->first_rexmit_time == 0)
        pcb->first_rexmit_time = ns->now;
    if (pcb->retries >= limit ||
        (pcb->user_timeout_ms != 0 &&
         ns->now - pcb->first_rexmit_time >= (uint64_t)pcb->user_timeout_ms * 1000000ull)) {
        ns->snmp.tcpext.TCPAbortOnTimeout++;
        tcp_done(pcb, timeout_error(pcb));
        return;
    }
    net_debug("tcp: port %u: retransmission timeout %u, state %s, ca %u, una %u max %u nxt %u "
              "cwnd %u wnd %u sacked %u",
              pcb->lport, pcb->retries + 1, tcp_state_name(pcb->state), pcb->ca_state, pcb->snd_una,
              pcb->snd_max, pcb->snd_nxt, pcb->cwnd, pcb->snd_wnd, pcb->sacked_bytes);
    pcb->retries++;
    if (pcb->backoff < 15)
        pcb->backoff++;
    tcp_cc_timeout(pcb);
    pcb->flags &= ~TF_RTT_TIMING;
    pcb->snd_nxt = pcb->snd_una;
    if (pcb->snd_wnd == 0) {
        /* Nothing may be sent into a closed window: probe it instead. */
        pcb->t_rexmit = 0;
        tcp_persist_arm(pcb);
        return;
    }
    tcp_rexmit_arm(pcb);
    tcp_output(pcb);
}

static void persist_timeout(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;

    if (pcb->snd_wnd > 0) {
        /* The window is open again but small: override SWS avoidance once. */
        pcb->flags &= ~TF_PERSIST;
        pcb->flags |= TF_SWS_OVERRIDE;
        tcp_output(pcb);
        pcb->flags &= ~TF_SWS_OVERRIDE;
        return;
    }
    if (pcb->probes >= TCP_PROBE_RETRIES ||
        (pcb->user_timeout_ms != 0 && pcb->last_ack_rcv != 0 &&
         ns->now - pcb->last_ack_rcv >= (uint64_t)pcb->user_timeout_ms * 1000000ull)) {
        ns->snmp.tcpext.TCPAbortOnTimeout++;
        tcp_done(pcb, -ETIMEDOUT);
        return;
    }
    ns->snmp.tcpext.TCPWinProbe++;
    pcb->probes++;
    tcp_send_probe(pcb);
    pcb->persist_interval = MIN(pcb->persist_interval * 2, TCP_PERSIST_MAX_NS);
    tcp_timer_set(pcb, &pcb->t_persist, ns->now + pcb->persist_interval);
}

static void keepalive_timeout(struct tcp_pcb *pcb)
{
    struct netstack *ns = pcb->ns;
    uint64_t idle_ns = pcb->keep_idle_s * NSEC_PER_S;

    if (!(pcb->flags & TF_KEEPALIVE) || !keepalive_state(pcb->state))
        return;
    if (ns->now - pcb->last_rcv < idle_ns && pcb->probes == 0) {
        tcp_timer_set(pcb, &pcb->t_keepalive, pcb->last_rcv + idle_ns);
        return;
    }
    if (pcb->snd_una != pcb->snd_max || pcb->sndq.len > 0) {
        /* Data is in flight: the retransmission timer watches the peer. */
        tcp_timer_set(pcb, &pcb->t_keepalive, ns->now + pcb->keep_intvl_s * NSEC_PER_S);
        return;
    }
    if (pcb->probes >= pcb->keep_cnt) {
        tcp_abort(pcb, -ETIMEDOUT);
        return;
    }
    ns->snmp.tcpext.TCPKeepAlive++;
    pcb->probes++;
    tcp_send_probe(pcb);
    tcp_timer_set(pcb, &pcb->t_keepalive, ns->now + pcb->keep_intvl_s * NSEC_PER_S);
}

static void close_timeout(struct tcp_pcb *pcb)
{
    /* TIME_WAIT is over, or an orphan waited too long in FIN_WAIT_2. */
    tcp_done(pcb, 0);
}

static void linger_timeout(struct tcp_pcb *pcb)
{
    if (pcb->state == TCP_TIME_WAIT || pcb->state == TCP_CLOSED)
        return;
    pcb->ns->snmp.tcpext.TCPAbortOnLinger++;
    tcp_abort(pcb, 0);
}

#define FIRE(pcb, field, fn)                                                                       \
    do {                                                                                           \
        if ((pcb)->field != 0 && (pcb)->field <= now && !((pcb)->flags & TF_RELEASED)) {           \
            (pcb)->field = 0;                                                                      \
            fn(pcb);                                                                               \
        }                                                                                          \
    } while (0)

static void delack_timeout(struct tcp_pcb *pcb)
{
    if (pcb->flags & (TF_ACK_DELAYED | TF_ACK_NOW)) {
        pcb->ns->snmp.tcpext.DelayedACKs++;
        tcp_send_ack(pcb);
    }
}

static void pcb_timers(struct tcp_pcb *pcb)
{
    uint64_t now = pcb->ns->now;
    uint64_t next = UINT64_MAX;

    FIRE(pcb, t_delack, delack_timeout);
    FIRE(pcb, t_rexmit, rexmit_timeout);
    FIRE(pcb, t_persist, persist_timeout);
    FIRE(pcb, t_keepalive, keepalive_timeout);
    FIRE(pcb, t_close, close_timeout);
    FIRE(pcb, t_linger, linger_timeout);
    if (pcb->flags & TF_RELEASED)
        return;
    if (pcb->t_delack != 0)
        next = MIN(next, pcb->t_delack);
    if (pcb->t_rexmit != 0)
        next = MIN(next, pcb->t_rexmit);
    if (pcb->t_persist != 0)
        next = MIN(next, pcb->t_persist);
    if (pcb->t_keepalive != 0)
        next = MIN(next, pcb->t_keepalive);
    if (pcb->t_close != 0)
        next = MIN(next, pcb->t_close);
    if (pcb->t_linger != 0)
        next = MIN(next, pcb->t_linger);
    if (next != UINT64_MAX)
        net_timer_arm(pcb->ns, next);
}

void tcp_timer(struct netstack *ns)
{
    struct list_head todo;

    /*
     * A handler may release other pcbs (TIME_WAIT overflow, a listener's
     * children), so walk a private list: each pcb goes back to the main
     * list before its timers run, and released ones leave for the free list.
     */
    list_init(&todo);
    if (!list_empty(&ns->tcp.pcbs)) {
        todo.next = ns->tcp.pcbs.next;
        todo.prev = ns->tcp.pcbs.prev;
        todo.next->prev = &todo;
        todo.prev->next = &todo;
        list_init(&ns->tcp.pcbs);
    }
    while (!list_empty(&todo)) {
        struct tcp_pcb *pcb = list_first_entry(&todo, struct tcp_pcb, all_link);
        list_del(&pcb->all_link);
        list_add_tail(&pcb->all_link, &ns->tcp.pcbs);
        pcb_timers(pcb);
    }
}
