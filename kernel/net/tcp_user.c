/*
 * tcp_user.c - what a TCP socket does: the calls of RFC 9293 3.10.1-3.10.6
 * (OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS) as socket.c needs them.
 *
 * Call flow: net_sock_* (socket.c) -> tcp_connect | tcp_send | tcp_recv |
 *            tcp_shutdown | tcp_close | tcp_poll | tcp_setopt/getopt
 *            -> tcp_output (tcp_out.c) to move data and ACKs.
 *
 * Nothing here waits: a call that cannot proceed returns -EAGAIN (and, for
 * writers, sets TF_NOSPACE so the ACK that frees room notifies the socket).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netenv.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"

static bool synchronized(enum tcp_state s)
{
    return s >= TCP_ESTABLISHED;
}

int tcp_connect(struct tcp_pcb *pcb, uint32_t raddr, uint16_t rport)
{
    struct netstack *ns = pcb->ns;
    uint32_t src;
    int err;

    switch (pcb->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        return -EALREADY;
    case TCP_LISTEN:
        return -EINVAL;
    case TCP_CLOSED:
        if (pcb->flags & TF_WAS_CONN)
            return -EISCONN;
        break;
    default:
        return -EISCONN;
    }
    if (pcb->sock != NULL && pcb->sock->error != 0) {
        err = pcb->sock->error; /* the last attempt's verdict (SO_ERROR) */
        pcb->sock->error = 0;
        return err;
    }
    if (ip4_is_multicast(raddr) || ip_is_broadcast(ns, raddr, NULL) || rport == 0)
        return rport == 0 ? -ECONNREFUSED : -ENETUNREACH;
    src = ip_route_source(ns, raddr, NULL, NULL);
    if (src == 0)
        return -ENETUNREACH;
    if (pcb->laddr == 0)
        pcb->laddr = src;
    pcb->raddr = raddr;
    pcb->rport = rport;
    if (pcb->lport == 0) {
        err = tcp_pick_port(pcb);
        if (err != 0)
            goto fail;
    } else if (tcp_lookup(ns, pcb->laddr, pcb->lport, raddr, rport) != NULL) {
        err = -EADDRNOTAVAIL;
        goto fail;
    }
    pcb->iss = tcp_new_isn(ns, pcb->laddr, pcb->lport, raddr, rport);
    pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
    pcb->sndq.seq = pcb->iss + 1;
    pcb->ts_offset = tcp_ts_offset(ns, pcb->laddr, pcb->lport, raddr, rport);
    pcb->rcv_wscale = tcp_wscale_for(pcb->rcvbuf);
    /* Offer everything; synsent_input keeps what the peer offers back. */
    pcb->flags |= TF_WS_OK | TF_TS_OK | TF_SACK_OK;
    tcp_mask_options(pcb);
    tcp_update_mss(pcb, 0);
    tcp_cc_init(pcb);
    tcp_set_state(pcb, TCP_SYN_SENT);
    tcp_hash_insert(pcb);
    ns->snmp.tcp.ActiveOpens++;
    tcp_send_syn(pcb);
    return -EINPROGRESS;
fail:
    if (list_empty(&pcb->hash_link))
        pcb->laddr = 0;
    pcb->raddr = 0;
    pcb->rport = 0;
    return err;
}

/* Make the send ring exist with room for sndbuf bytes. */
static int sndq_ensure(struct tcp_pcb *pcb)
{
    struct tcp_sndq *q = &pcb->sndq;

    if (q->buf != NULL)
        return 0;
    q->buf = netenv_alloc(pcb->sndbuf);
    if (q->buf == NULL)
        return -ENOBUFS;
    q->cap = pcb->sndbuf;
    q->head = 0;
    return 0;
}

ssize_t tcp_send(struct tcp_pcb *pcb, const struct net_uio *uio, int flags)
{
    struct tcp_sndq *q = &pcb->sndq;
    uint32_t room, n, done = 0;
    int err;

    if (pcb->sock != NULL && pcb->sock->error != 0) {
        err = pcb->sock->error;
        pcb->sock->error = 0;
        return err;
    }
    switch (pcb->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
        pcb->flags |= TF_NOSPACE; /* notified when the connection is up */
        return -EAGAIN;
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        break;
    default:
        return -EPIPE;
    }
    if (pcb->flags & TF_FIN_QUEUED)
        return -EPIPE;
    if (uio->len == 0)
        return 0;
    err = sndq_ensure(pcb);
    if (err != 0)
        return err;
    room = MIN(pcb->sndbuf, q->cap);
    room = room > q->len ? room - q->len : 0;
    if (room == 0) {
        pcb->flags |= TF_NOSPACE;
        return -EAGAIN;
    }
    n = (uint32_t)MIN((size_t)room, uio->len);
    while (done < n) {
        uint32_t pos = (q->head + q->len) % q->cap;
        uint32_t chunk = MIN(n - done, q->cap - pos);
        if (uio->copy_in(uio->ctx, done, q->buf + pos, chunk) != 0)
            break;
        q->len += chunk;
        done += chunk;
    }
    if (done == 0)
        return -EFAULT;
    if (done < uio->len)
        pcb->flags |= TF_NOSPACE;
    if (flags & NET_MSG_MORE) {
        /* More is coming: only full segments for now, like TCP_CORK. */
        uint32_t cork = pcb->flags & TF_CORK;
        pcb->flags |= TF_CORK;
        tcp_output(pcb);
        pcb->flags = (pcb->flags & ~TF_CORK) | cork;
    } else {
        tcp_output(pcb);
    }
    return done;
}

uint32_t tcp_readable(const struct tcp_pcb *pcb)
{
    return pcb->rcvq.buf != NULL ? pcb->rcvq.avail : 0;
}

void tcp_rcv_window_update(struct tcp_pcb *pcb)
{
    uint32_t cap = pcb->rcvq.cap, mss = pcb->mss;
    uint32_t cur = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    uint32_t space = MIN(tcp_rcv_space(pcb), 65535u << pcb->rcv_wscale);

    if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_FIN_WAIT_1 &&
        pcb->state != TCP_FIN_WAIT_2)
        return;
    if (space <= cur)
        return;
    /* Tell the peer once the window grew enough to be worth a segment. */
    if (space - cur >= MIN(cap / 2, 2 * mss) || (cur < mss && space - cur >= MIN(cap / 2, mss)))
        tcp_send_ack(pcb);
}

ssize_t tcp_recv(struct tcp_pcb *pcb, const struct net_uio *uio, int flags)
{
    struct tcp_rcvq *q = &pcb->rcvq;
    uint32_t n, done = 0;
    int err;

    if (pcb->state == TCP_LISTEN)
        return -ENOTCONN;
    if (tcp_readable(pcb) > 0 && uio->len > 0) {
        n = (uint32_t)MIN((size_t)q->avail, uio->len);
        while (done < n) {
            uint32_t pos = (q->head + done) % q->cap;
            uint32_t chunk = MIN(n - done, q->cap - pos);
            if (uio->copy_out(uio->ctx, done, q->buf + pos, chunk) != 0)
                break;
            done += chunk;
        }
        if (done == 0)
            return -EFAULT;
        if (!(flags & NET_MSG_PEEK)) {
            q->head = (q->head + done) % q->cap;
            q->avail -= done;
            tcp_rcv_window_update(pcb);
        }
        return done;
    }
    if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED)
        return -EAGAIN;
    if (pcb->sock != NULL && pcb->sock->error != 0) {
        err = pcb->sock->error;
        pcb->sock->error = 0;
        return err;
    }
    if (pcb->flags & (TF_PEER_FIN | TF_RCV_SHUT))
        return 0;
    if (pcb->state == TCP_CLOSED)
        return (pcb->flags & TF_WAS_CONN) ? 0 : -ENOTCONN;
    if (uio->len == 0)
        return 0;
    return -EAGAIN;
}

/* No more data will be queued: the FIN follows what is in the ring. */
static void queue_fin(struct tcp_pcb *pcb)
{
    if (pcb->flags & TF_FIN_QUEUED)
        return;
    pcb->flags |= TF_FIN_QUEUED;
    switch (pcb->state) {
    case TCP_ESTABLISHED:
        tcp_set_state(pcb, TCP_FIN_WAIT_1);
        break;
    case TCP_CLOSE_WAIT:
        tcp_set_state(pcb, TCP_LAST_ACK);
        break;
    default:
        /*
         * SYN_SENT, SYN_RECEIVED: our SYN is not acknowledged yet; the FIN
         * waits, and the state moves on once the connection is up
         * (RFC 9293 3.10.4: "queue for processing after entering
         * ESTABLISHED").
         */
        break;
    }
    tcp_output(pcb);
}

int tcp_shutdown(struct tcp_pcb *pcb, int how)
{
    if (pcb->state == TCP_CLOSED)
        return -ENOTCONN;
    if (pcb->state == TCP_LISTEN) {
        if (how == NET_SHUT_WR)
            return -ENOTCONN;
        tcp_listen_close(pcb); /* as Linux: stop listening */
        tcp_notify(pcb);
        return 0;
    }
    if (how != NET_SHUT_WR)
        pcb->flags |= TF_RCV_SHUT;
    if (how != NET_SHUT_RD)
        queue_fin(pcb);
    tcp_notify(pcb);
    return 0;
}

void tcp_close(struct tcp_pcb *pcb, const struct net_linger *linger)
{
    struct netstack *ns = pcb->ns;

    pcb->sock = NULL;
    switch (pcb->state) {
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        tcp_release(pcb);
        return;
    case TCP_LISTEN:
        tcp_listen_close(pcb);
        tcp_release(pcb);
        return;
    case TCP_TIME_WAIT:
        return; /* the timer ends it */
    default:
        break;
    }
    /* RFC 9293 3.10.4 / Linux: unread data or a zero linger time reset. */
    if (tcp_readable(pcb) > 0) {
        ns->snmp.tcpext.TCPAbortOnClose++;
        tcp_abort(pcb, 0);
        return;
    }
    if (linger != NULL && linger->l_onoff && linger->l_linger == 0) {
        ns->snmp.tcpext.TCPAbortOnData++;
        tcp_abort(pcb, 0);
        return;
    }
    pcb->flags |= TF_ORPHAN | TF_RCV_SHUT;
    ns->tcp.norphans++;
    if (ns->tcp.norphans > ns->limits.tcp_max_orphans) {
        net_warn("tcp: too many orphaned connections, resetting one");
        ns->snmp.tcpext.TCPAbortOnMemory++;
        tcp_abort(pcb, 0);
        return;
    }
    if (linger != NULL && linger->l_onoff)
        tcp_timer_set(pcb, &pcb->t_linger, ns->now + (uint64_t)linger->l_linger * 1000000000ull);
    if (pcb->state == TCP_FIN_WAIT_2)
        tcp_timer_set(pcb, &pcb->t_close, ns->now + pcb->fin_timeout_s * 1000000000ull);
    queue_fin(pcb);
}

uint32_t tcp_poll(struct tcp_pcb *pcb)
{
    uint32_t mask = 0;
    bool rd_shut = (pcb->flags & (TF_PEER_FIN | TF_RCV_SHUT)) != 0;
    bool wr_shut = (pcb->flags & TF_FIN_QUEUED) != 0;
    int lowat = pcb->sock != NULL ? pcb->sock->rcvlowat : 1;

    if (pcb->state == TCP_LISTEN)
        return pcb->accept_qlen > 0 ? NET_EPOLLIN | NET_EPOLLRDNORM : 0;
    /* The rules of Linux's tcp_poll(). */
    if ((rd_shut && wr_shut) || pcb->state == TCP_CLOSED)
        mask |= NET_EPOLLHUP;
    if (rd_shut)
        mask |= NET_EPOLLIN | NET_EPOLLRDNORM | NET_EPOLLRDHUP;
    if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED)
        return mask;
    if (tcp_readable(pcb) >= (uint32_t)lowat || (tcp_readable(pcb) > 0 && rd_shut))
        mask |= NET_EPOLLIN | NET_EPOLLRDNORM;
    if (wr_shut) {
        mask |= NET_EPOLLOUT | NET_EPOLLWRNORM;
    } else if (pcb->sndq.len <= pcb->sndbuf * 2 / 3) {
        mask |= NET_EPOLLOUT | NET_EPOLLWRNORM;
    } else {
        pcb->flags |= TF_NOSPACE;
    }
    return mask;
}

void tcp_set_bufsizes(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf)
{
    struct tcp_sndq *sq = &pcb->sndq;
    struct tcp_rcvq *rq = &pcb->rcvq;

    sndbuf = MIN(MAX(sndbuf, TCP_MIN_BUF), TCP_MAX_BUF);
    rcvbuf = MIN(MAX(rcvbuf, TCP_MIN_BUF), TCP_MAX_BUF);
    pcb->sndbuf = sndbuf;
    /* A ring that exists is re-laid out when it must grow. */
    if (sq->buf != NULL && sndbuf > sq->cap) {
        uint8_t *nb = netenv_alloc(sndbuf);
        if (nb != NULL) {
            for (uint32_t i = 0; i < sq->len; i++)
                nb[i] = sq->buf[(sq->head + i) % sq->cap];
            netenv_free(sq->buf);
            sq->buf = nb;
            sq->cap = sndbuf;
            sq->head = 0;
        }
    }
    if (rq->buf == NULL) {
        pcb->rcvbuf = rcvbuf;
    } else if (rcvbuf > rq->cap) {
        /* Out-of-order bytes keep their offsets: copy the whole ring. */
        uint8_t *nb = netenv_alloc(rcvbuf);
        if (nb != NULL) {
            for (uint32_t i = 0; i < rq->cap; i++)
                nb[i] = rq->buf[(rq->head + i) % rq->cap];
            netenv_free(rq->buf);
            rq->buf = nb;
            rq->cap = rcvbuf;
            rq->head = 0;
            pcb->rcvbuf = rcvbuf;
        }
    }
    if (pcb->sock != NULL)
        tcp_notify(pcb);
}

/* ---- options (level IPPROTO_TCP) ---- */

static int int_opt(const void *val, size_t len, int *v)
{
    if (val == NULL || len < sizeof(int))
        return -EINVAL;
    memcpy(v, val, sizeof(int));
    return 0;
}

static int put(void *val, size_t *len, const void *src, size_t n)
{
    if (val == NULL || len == NULL)
        return -EINVAL;
    n = MIN(n, *len);
    memcpy(val, src, n);
    *len = n;
    return 0;
}

int tcp_setopt(struct tcp_pcb *pcb, int name, const void *val, size_t len)
{
    int v, err;

    if (name == NET_TCP_CONGESTION) {
        /* Only NewReno is built in; Linux calls it "reno". */
        if (val == NULL || len < 4 || memcmp(val, "reno", 4) != 0 ||
            (len > 4 && ((const char *)val)[4] != '\0'))
            return -ENOENT;
        return 0;
    }
    err = int_opt(val, len, &v);
    if (err != 0)
        return err;
    switch (name) {
    case NET_TCP_NODELAY:
        if (v) {
            pcb->flags |= TF_NODELAY;
            tcp_output(pcb); /* what Nagle held back goes now */
        } else {
            pcb->flags &= ~TF_NODELAY;
        }
        return 0;
    case NET_TCP_CORK:
        if (v) {
            pcb->flags |= TF_CORK;
        } else {
            pcb->flags &= ~TF_CORK;
            tcp_output(pcb);
        }
        return 0;
    case NET_TCP_KEEPIDLE:
    case NET_TCP_KEEPINTVL:
        if (v < 1 || v > 32767)
            return -EINVAL;
        if (name == NET_TCP_KEEPIDLE)
            pcb->keep_idle_s = (uint32_t)v;
        else
            pcb->keep_intvl_s = (uint32_t)v;
        tcp_keepalive_arm(pcb);
        return 0;
    case NET_TCP_KEEPCNT:
        if (v < 1 || v > 127)
            return -EINVAL;
        pcb->keep_cnt = (uint32_t)v;
        return 0;
    case NET_TCP_MAXSEG:
        if (v != 0 && (v < TCP_MIN_MSS || v > 65535))
            return -EINVAL;
        pcb->user_mss = (uint16_t)v;
        if (synchronized(pcb->state))
            tcp_update_mss(pcb, MIN(pcb->mss, (uint16_t)(v != 0 ? v : 65535)));
        return 0;
    case NET_TCP_SYNCNT:
        if (v < 1 || v > 127)
            return -EINVAL;
        pcb->syn_retries = (uint8_t)v;
        return 0;
    case NET_TCP_LINGER2:
        pcb->fin_timeout_s =
            v <= 0 ? (uint32_t)(TCP_FIN_TIMEOUT_NS / 1000000000ull) : (uint32_t)MIN(v, 120);
        return 0;
    case NET_TCP_USER_TIMEOUT:
        if (v < 0)
            return -EINVAL;
        pcb->user_timeout_ms = (uint32_t)v;
        return 0;
    case NET_TCP_QUICKACK:
        if (v && (pcb->flags & TF_ACK_DELAYED))
            tcp_send_ack(pcb);
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

int tcp_getopt(struct tcp_pcb *pcb, int name, void *val, size_t *len)
{
    struct net_tcp_info info;
    int v;

    switch (name) {
    case NET_TCP_NODELAY:
        v = (pcb->flags & TF_NODELAY) != 0;
        break;
    case NET_TCP_CORK:
        v = (pcb->flags & TF_CORK) != 0;
        break;
    case NET_TCP_KEEPIDLE:
        v = (int)pcb->keep_idle_s;
        break;
    case NET_TCP_KEEPINTVL:
        v = (int)pcb->keep_intvl_s;
        break;
    case NET_TCP_KEEPCNT:
        v = (int)pcb->keep_cnt;
        break;
    case NET_TCP_MAXSEG:
        v = synchronized(pcb->state) ? (int)tcp_eff_mss(pcb)
                                     : (pcb->user_mss != 0 ? pcb->user_mss : TCP_DEFAULT_MSS);
        break;
    case NET_TCP_SYNCNT:
        v = pcb->syn_retries;
        break;
    case NET_TCP_LINGER2:
        v = (int)pcb->fin_timeout_s;
        break;
    case NET_TCP_USER_TIMEOUT:
        v = (int)pcb->user_timeout_ms;
        break;
    case NET_TCP_QUICKACK:
        v = 1;
        break;
    case NET_TCP_INFO:
        tcp_get_info(pcb, &info);
        return put(val, len, &info, sizeof(info));
    case NET_TCP_CONGESTION: {
        char name16[16] = "reno";
        return put(val, len, name16, sizeof(name16));
    }
    default:
        return -ENOPROTOOPT;
    }
    return put(val, len, &v, sizeof(v));
}

/* ---- TCP_INFO ---- */

uint8_t tcp_linux_state(enum tcp_state s)
{
    static const uint8_t map[] = {
        [TCP_CLOSED] = NET_TCPS_CLOSE,
        [TCP_LISTEN] = NET_TCPS_LISTEN,
        [TCP_SYN_SENT] = NET_TCPS_SYN_SENT,
        [TCP_SYN_RECEIVED] = NET_TCPS_SYN_RECV,
        [TCP_ESTABLISHED] = NET_TCPS_ESTABLISHED,
        [TCP_FIN_WAIT_1] = NET_TCPS_FIN_WAIT1,
        [TCP_FIN_WAIT_2] = NET_TCPS_FIN_WAIT2,
        [TCP_CLOSE_WAIT] = NET_TCPS_CLOSE_WAIT,
        [TCP_CLOSING] = NET_TCPS_CLOSING,
        [TCP_LAST_ACK] = NET_TCPS_LAST_ACK,
        [TCP_TIME_WAIT] = NET_TCPS_TIME_WAIT,
    };
    return map[s];
}

static uint32_t ms_since(uint64_t now, uint64_t then)
{
    return then == 0 ? 0 : (uint32_t)((now - then) / 1000000ull);
}

void tcp_get_info(struct tcp_pcb *pcb, struct net_tcp_info *info)
{
    uint64_t now = pcb->ns->now;
    uint32_t eff = tcp_eff_mss(pcb);
    uint32_t data_end = pcb->sndq.seq + pcb->sndq.len;

    memset(info, 0, sizeof(*info));
    info->tcpi_state = tcp_linux_state(pcb->state);
    info->tcpi_ca_state = pcb->ca_state;
    info->tcpi_retransmits = pcb->retries;
    info->tcpi_probes = pcb->probes;
    info->tcpi_backoff = pcb->backoff;
    if (pcb->flags & TF_TS_OK)
        info->tcpi_options |= NET_TCPI_OPT_TIMESTAMPS;
    if (pcb->flags & TF_SACK_OK)
        info->tcpi_options |= NET_TCPI_OPT_SACK;
    if (pcb->flags & TF_WS_OK) {
        info->tcpi_options |= NET_TCPI_OPT_WSCALE;
        info->tcpi_wscale = (uint8_t)((pcb->snd_wscale & 0xf) | (pcb->rcv_wscale & 0xf) << 4);
    }
    info->tcpi_rto = (uint32_t)(pcb->rto / 1000);
    info->tcpi_ato = (uint32_t)(TCP_DELACK_NS / 1000);
    info->tcpi_snd_mss = eff;
    info->tcpi_rcv_mss = pcb->rcv_mss != 0 ? pcb->rcv_mss : TCP_DEFAULT_MSS;
    info->tcpi_unacked = DIV_ROUND_UP(tcp_flight_size(pcb), eff);
    info->tcpi_sacked = DIV_ROUND_UP(pcb->sacked_bytes, eff);
    info->tcpi_retrans = pcb->ca_state >= TCP_CA_RECOVERY ? 1 : 0;
    info->tcpi_last_data_sent = ms_since(now, pcb->last_data_snd);
    info->tcpi_last_data_recv = ms_since(now, pcb->last_data_rcv);
    info->tcpi_last_ack_recv = ms_since(now, pcb->last_ack_rcv);
    info->tcpi_pmtu = pcb->pmtu != 0 ? pcb->pmtu : (uint32_t)pcb->mss + IP_HLEN + TCP_HLEN;
    info->tcpi_rcv_ssthresh = tcp_rcv_space(pcb);
    info->tcpi_rtt = (uint32_t)(pcb->srtt / 1000);
    info->tcpi_rttvar = (uint32_t)(pcb->rttvar / 1000);
    info->tcpi_snd_ssthresh = pcb->ssthresh >= 0x7fffffff ? 0x7fffffff : pcb->ssthresh / eff;
    info->tcpi_snd_cwnd = pcb->cwnd / eff;
    info->tcpi_advmss = pcb->advmss;
    info->tcpi_reordering = pcb->dupthresh;
    info->tcpi_rcv_space = pcb->rcvbuf;
    info->tcpi_total_retrans = pcb->total_retrans;
    info->tcpi_bytes_acked = pcb->bytes_acked_total;
    info->tcpi_bytes_received = pcb->bytes_received;
    info->tcpi_segs_out = pcb->segs_out;
    info->tcpi_segs_in = pcb->segs_in;
    info->tcpi_notsent_bytes = seq_gt(data_end, pcb->snd_nxt) ? data_end - pcb->snd_nxt : 0;
    info->tcpi_min_rtt = (uint32_t)(pcb->min_rtt / 1000);
    info->tcpi_data_segs_in = pcb->data_segs_in;
    info->tcpi_data_segs_out = pcb->data_segs_out;
    info->tcpi_bytes_sent = pcb->bytes_sent + pcb->bytes_retrans;
    info->tcpi_bytes_retrans = pcb->bytes_retrans;
    info->tcpi_rcv_ooopack = pcb->rcv_ooopack;
    info->tcpi_snd_wnd = pcb->snd_wnd;
}
