/*
 * The TCP state machine against a scripted peer that writes raw segments:
 * RST in every state (RFC 9293 3.10.7, RFC 5961), SYN and stray ACKs in
 * synchronized states, PAWS, TIME_WAIT, simultaneous open and close,
 * honouring the peer's MSS and window scale, ICMP errors.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/snmp.h"
#include "nettest.h"

#define A_ADDR IP4(10, 0, 0, 1)
#define P_ADDR IP4(10, 0, 0, 2)
#define A_PORT 80
#define P_PORT 40000
#define P_ISS 1000000u

static struct sim sim;
static struct sim_port *ha;
static struct peer peer;
static uint32_t a_iss; /* A's initial sequence number */
static uint32_t p_nxt; /* the peer's next sequence number */
static uint32_t a_nxt; /* what the peer expects from A next */
static struct net_sock *lsock, *sock;

static void setup(void)
{
    sim_init(&sim, 7);
    ha = sim_add_host(&sim, A_ADDR, NULL);
    peer_init(&peer, &sim, P_ADDR);
    ha->cfg.delay_ns = 1 * MS;
    peer.port->cfg.delay_ns = 1 * MS;
    lsock = sock = NULL;
}

static void teardown(void)
{
    peer_free(&peer);
    sim_destroy(&sim);
}

TestSuite(net_tcp_states, .init = setup, .fini = teardown);

static void send_p(uint8_t flags, uint32_t seq, uint32_t ack, const char *data)
{
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, seq, ack, flags, 65535, NULL, 0, data,
                  data != NULL ? strlen(data) : 0);
    sim_run(&sim, 20 * MS);
}

/* The next segment A sent, which must exist. */
static struct pkt_info next_seg(void)
{
    struct pkt_info p;

    cr_assert(peer_next_tcp(&peer, &p), "A sent nothing");
    return p;
}

static bool no_more_segs(void)
{
    struct pkt_info p;

    return !peer_next_tcp(&peer, &p);
}

static uint8_t state_of(struct net_sock *s)
{
    return test_info(s).tcpi_state;
}

/*
 * Passive open: A listens, the peer connects offering MSS 1460 and SACK
 * (no timestamps, so segments stay simple). sock = the accepted socket.
 */
static void passive_open(void)
{
    static const uint8_t opts[8] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
    struct pkt_info p;

    if (lsock == NULL)
        lsock = test_listen(ha->ns, A_PORT, 8);
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, P_ISS, 0, TCP_SYN, 65535, opts, 8, NULL, 0);
    sim_run(&sim, 20 * MS);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_SYN | TCP_ACK);
    cr_assert_eq(p.ack, P_ISS + 1);
    a_iss = p.seq;
    p_nxt = P_ISS + 1;
    a_nxt = a_iss + 1;
    send_p(TCP_ACK, p_nxt, a_nxt, NULL);
    cr_assert_eq(net_sock_accept(lsock, &sock, NULL), 0);
    cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
}

/* Active open: A connects to the peer, which answers. */
static void active_open(bool complete)
{
    struct net_sockaddr_in a = net_sockaddr(P_ADDR, P_PORT);
    struct net_sockaddr_in local = net_sockaddr(0, A_PORT);
    struct pkt_info p;

    cr_assert_eq(net_sock_create(ha->ns, NET_SOCK_STREAM, 0, &sock), 0);
    cr_assert_eq(net_sock_bind(sock, &local), 0);
    cr_assert_eq(net_sock_connect(sock, &a), -EINPROGRESS);
    sim_run(&sim, 10 * MS);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_SYN);
    cr_assert(p.has_mss && p.has_ws && p.has_sack_perm && p.has_ts);
    a_iss = p.seq;
    a_nxt = a_iss + 1;
    p_nxt = P_ISS + 1;
    cr_assert_eq(state_of(sock), NET_TCPS_SYN_SENT);
    if (complete) {
        send_p(TCP_SYN | TCP_ACK, P_ISS, a_nxt, NULL);
        p = next_seg();
        cr_assert_eq(p.flags, TCP_ACK);
        cr_assert_eq(p.ack, p_nxt);
        cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
    }
}

/* ---- RST in every state ---- */

Test(net_tcp_states, rst_in_listen_is_ignored)
{
    lsock = test_listen(ha->ns, A_PORT, 8);
    send_p(TCP_RST, 12345, 0, NULL);
    send_p(TCP_RST | TCP_ACK, 12345, 999, NULL);
    cr_assert(no_more_segs());
    cr_assert_eq(state_of(lsock), NET_TCPS_LISTEN);
    passive_open(); /* still works (test_listen again is not needed) */
}

Test(net_tcp_states, rst_in_syn_sent)
{
    active_open(false);
    /* Without ACK, or acknowledging something else: ignored (RFC 5961 3.2). */
    send_p(TCP_RST, P_ISS, 0, NULL);
    send_p(TCP_RST | TCP_ACK, P_ISS, a_nxt + 5, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_SYN_SENT);
    cr_assert(no_more_segs(), "no answer to a RST");
    /* Acknowledging our SYN: connection refused. */
    send_p(TCP_RST | TCP_ACK, 0, a_nxt, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), -ECONNREFUSED);
}

Test(net_tcp_states, rst_in_syn_received)
{
    struct pkt_info p;
    struct net_sock *c;

    lsock = test_listen(ha->ns, A_PORT, 8);
    send_p(TCP_SYN, P_ISS, 0, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_SYN | TCP_ACK);
    a_nxt = p.seq + 1;
    /* Out of window: ignored. */
    send_p(TCP_RST, P_ISS + 1 + 1000000, 0, NULL);
    cr_assert(no_more_segs());
    /* At RCV.NXT: the half-open connection is gone. */
    send_p(TCP_RST, P_ISS + 1, 0, NULL);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.EmbryonicRsts, 1);
    /* The final ACK now finds no connection: answered by RST, nothing to accept. */
    send_p(TCP_ACK, P_ISS + 1, a_nxt, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_RST);
    cr_assert_eq(p.seq, a_nxt);
    cr_assert_eq(net_sock_accept(lsock, &c, NULL), -EAGAIN);
}

Test(net_tcp_states, rst_in_established_rfc5961)
{
    struct pkt_info p;
    char buf[16];

    passive_open();
    /* In the window but not at RCV.NXT: a challenge ACK, nothing else. */
    send_p(TCP_RST, p_nxt + 100, 0, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_ACK);
    cr_assert_eq(p.ack, p_nxt);
    cr_assert_eq(p.seq, a_nxt);
    cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPChallengeACK, 1);
    /* Outside the window: silently dropped. */
    send_p(TCP_RST, p_nxt + 0x40000000u, 0, NULL);
    cr_assert(no_more_segs());
    cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
    /* Exactly at RCV.NXT: reset. */
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_poll(sock) & (NET_EPOLLERR | NET_EPOLLHUP), NET_EPOLLERR | NET_EPOLLHUP);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), -ECONNRESET);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), 0, "then end of stream");
    cr_assert_eq(net_sock_send(sock, "x", 1, 0), -EPIPE);
    cr_assert_eq(net_snmp_get(ha->ns)->tcp.EstabResets, 1);
}

Test(net_tcp_states, rst_in_fin_wait_1)
{
    struct pkt_info p;

    passive_open();
    cr_assert_eq(net_sock_shutdown(sock, NET_SHUT_WR), 0);
    sim_run(&sim, 10 * MS);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_FIN | TCP_ACK);
    cr_assert_eq(state_of(sock), NET_TCPS_FIN_WAIT1);
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), -ECONNRESET);
}

Test(net_tcp_states, rst_in_fin_wait_2)
{
    struct pkt_info p;

    passive_open();
    cr_assert_eq(net_sock_shutdown(sock, NET_SHUT_WR), 0);
    sim_run(&sim, 10 * MS);
    p = next_seg();
    send_p(TCP_ACK, p_nxt, p.seq + 1, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_FIN_WAIT2);
    send_p(TCP_RST, p_nxt + 1, 0, NULL); /* in the window, not exact: challenge */
    p = next_seg();
    cr_assert_eq(p.flags, TCP_ACK);
    cr_assert_eq(state_of(sock), NET_TCPS_FIN_WAIT2);
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), -ECONNRESET);
}

Test(net_tcp_states, rst_in_close_wait)
{
    struct pkt_info p;

    passive_open();
    send_p(TCP_FIN | TCP_ACK, p_nxt, a_nxt, NULL);
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt + 1, "the FIN is acknowledged at once");
    p_nxt++;
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE_WAIT);
    cr_assert(net_sock_poll(sock) & NET_EPOLLRDHUP);
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), -ECONNRESET);
}

Test(net_tcp_states, rst_in_closing)
{
    struct pkt_info p;

    passive_open();
    cr_assert_eq(net_sock_shutdown(sock, NET_SHUT_WR), 0);
    sim_run(&sim, 10 * MS);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_FIN | TCP_ACK);
    /* The peer's FIN crosses ours (it does not acknowledge our FIN). */
    send_p(TCP_FIN | TCP_ACK, p_nxt, a_nxt, NULL);
    p_nxt++;
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSING);
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), 0, "a reset in CLOSING is no error");
}

Test(net_tcp_states, rst_in_last_ack)
{
    struct pkt_info p;

    passive_open();
    send_p(TCP_FIN | TCP_ACK, p_nxt, a_nxt, NULL);
    p_nxt++;
    cr_assert_eq(net_sock_shutdown(sock, NET_SHUT_WR), 0);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(state_of(sock), NET_TCPS_LAST_ACK);
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    (void)p;
}

static void into_time_wait(void)
{
    struct pkt_info p;

    passive_open();
    cr_assert_eq(net_sock_shutdown(sock, NET_SHUT_WR), 0);
    sim_run(&sim, 10 * MS);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_FIN | TCP_ACK);
    a_nxt = p.seq + 1;
    send_p(TCP_FIN | TCP_ACK, p_nxt, a_nxt, NULL);
    p_nxt++;
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt);
    cr_assert_eq(state_of(sock), NET_TCPS_TIME_WAIT);
}

Test(net_tcp_states, rst_in_time_wait_is_ignored)
{
    into_time_wait();
    send_p(TCP_RST, p_nxt, 0, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_TIME_WAIT, "RFC 1337: no assassination");
}

Test(net_tcp_states, time_wait_acks_fin_and_lasts_2msl)
{
    struct pkt_info p;

    into_time_wait();
    /* Our ACK was lost: the peer's FIN comes again and is acknowledged. */
    send_p(TCP_FIN | TCP_ACK, p_nxt - 1, a_nxt, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_ACK);
    cr_assert_eq(p.ack, p_nxt);
    sim_run(&sim, 59 * SEC);
    cr_assert_eq(state_of(sock), NET_TCPS_TIME_WAIT, "the FIN restarted the 60 s");
    sim_run(&sim, 2 * SEC);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_recv(sock, NULL, 0, 0), 0);
}

Test(net_tcp_states, time_wait_reused_by_newer_syn)
{
    struct pkt_info p;

    into_time_wait();
    net_sock_close(sock);
    /* A new SYN with a higher sequence number: a fresh connection. */
    send_p(TCP_SYN, p_nxt + 100000, 0, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_SYN | TCP_ACK);
    cr_assert_eq(p.ack, p_nxt + 100001);
}

/* ---- other unusual segments ---- */

Test(net_tcp_states, syn_in_established_draws_challenge)
{
    struct pkt_info p;

    passive_open();
    send_p(TCP_SYN, p_nxt + 5, 0, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_ACK);
    cr_assert_eq(p.ack, p_nxt);
    cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPSYNChallenge, 1);
}

Test(net_tcp_states, challenge_acks_are_rate_limited)
{
    passive_open();
    for (int i = 0; i < 20; i++)
        peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt + 10, 0, TCP_RST, 65535, NULL, 0,
                      NULL, 0);
    sim_run(&sim, 50 * MS);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.TCPChallengeACK, 5);
}

Test(net_tcp_states, ack_of_unsent_data_is_dropped)
{
    struct pkt_info p;
    char buf[8];

    passive_open();
    send_p(TCP_ACK, p_nxt, a_nxt + 5000, "data");
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt, "the data was not accepted");
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), -EAGAIN);
}

Test(net_tcp_states, old_duplicate_gets_an_ack)
{
    struct pkt_info p;
    char buf[16];

    passive_open();
    send_p(TCP_ACK | TCP_PSH, p_nxt, a_nxt, "abcd");
    p_nxt += 4;
    sim_run(&sim, 100 * MS);
    while (peer_next_tcp(&peer, &p))
        ;
    send_p(TCP_ACK | TCP_PSH, p_nxt - 4, a_nxt, "abcd");
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), 4, "delivered once");
}

Test(net_tcp_states, out_of_order_data_and_sack_blocks)
{
    struct pkt_info p;
    char buf[32];

    passive_open();
    send_p(TCP_ACK, p_nxt + 4, a_nxt, "efgh");
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt, "a duplicate ACK");
    cr_assert_eq(p.nsack, 1);
    cr_assert_eq(p.sack[0][0], p_nxt + 4);
    cr_assert_eq(p.sack[0][1], p_nxt + 8);
    send_p(TCP_ACK, p_nxt + 12, a_nxt, "mnop");
    p = next_seg();
    cr_assert_eq(p.nsack, 2);
    cr_assert_eq(p.sack[0][0], p_nxt + 12, "the newest block first");
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), -EAGAIN);
    send_p(TCP_ACK, p_nxt, a_nxt, "abcd");
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt + 8, "the hole filled up to the next gap");
    cr_assert_eq(p.nsack, 1);
    send_p(TCP_ACK, p_nxt + 8, a_nxt, "ijkl");
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt + 16);
    cr_assert_eq(p.nsack, 0);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), 16);
    cr_assert_arr_eq(buf, "abcdefghijklmnop", 16);
}

/* Timestamp options with TSval 0x1000 (the newest), 0x0ff0 and 0x0100. */
static const uint8_t ts_new[12] = {1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0};
static const uint8_t ts_recent_past[12] = {1, 1, 8, 10, 0, 0, 0x0f, 0xf0, 0, 0, 0, 0};
static const uint8_t ts_old[12] = {1, 1, 8, 10, 0, 0, 0x01, 0, 0, 0, 0, 0};

/* Passive open with timestamps; the peer's first data "new!" sets TS.Recent = 0x1000. */
static void passive_open_ts(void)
{
    static const uint8_t syn_opts[12] = {1, 1, 8, 10, 0, 0, 0x0f, 0, 0, 0, 0, 0};
    struct pkt_info p;
    char buf[8];

    lsock = test_listen(ha->ns, A_PORT, 8);
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, P_ISS, 0, TCP_SYN, 65535, syn_opts, 12, NULL,
                  0);
    sim_run(&sim, 20 * MS);
    p = next_seg();
    cr_assert(p.has_ts);
    cr_assert_eq(p.tsecr, 0x0f00);
    a_nxt = p.seq + 1;
    p_nxt = P_ISS + 1;
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt, TCP_ACK, 65535, ts_new, 12,
                  "new!", 4);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_sock_accept(lsock, &sock, NULL), 0);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), 4);
    p_nxt += 4;
    while (peer_next_tcp(&peer, &p))
        ;
}

Test(net_tcp_states, paws_drops_old_timestamps)
{
    char buf[8];

    passive_open_ts();
    /* An older timestamp on the next data: dropped as an old duplicate. */
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt, TCP_ACK, 65535, ts_old, 12,
                  "old!", 4);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_sock_recv(sock, buf, sizeof(buf), 0), -EAGAIN);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.PAWSEstab, 1);
}

/*
 * A pure duplicate ACK that the network delivered behind a newer segment
 * carries an older timestamp, but no data and nothing to replay: it is
 * kept (its SACK blocks drive loss recovery), as Linux's
 * tcp_disordered_ack keeps it. The netem relay of issue #5 delivers many.
 */
Test(net_tcp_states, paws_spares_a_disordered_dup_ack)
{
    passive_open_ts();
    cr_assert_eq(net_sock_send(sock, "data", 4, 0), 4);
    sim_run(&sim, 5 * MS);
    cr_assert_eq(next_seg().len, 4);
    /* A duplicate ACK (it does not cover "data") with TSval 16 ms older. */
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt, TCP_ACK, 65535, ts_recent_past,
                  12, NULL, 0);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.PAWSEstab, 0);
    cr_assert(no_more_segs(), "A answered it as a PAWS reject");
    /* The same ACK with a timestamp far older than an RTO is still rejected. */
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt, TCP_ACK, 65535, ts_old, 12, NULL,
                  0);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_snmp_get(ha->ns)->tcpext.PAWSEstab, 1);
}

Test(net_tcp_states, simultaneous_open)
{
    struct pkt_info p;

    active_open(false);
    /* The peer's own SYN crosses ours. */
    send_p(TCP_SYN, P_ISS, 0, NULL);
    p = next_seg();
    cr_assert_eq(p.flags, TCP_SYN | TCP_ACK);
    cr_assert_eq(p.seq, a_iss);
    cr_assert_eq(p.ack, P_ISS + 1);
    cr_assert_eq(state_of(sock), NET_TCPS_SYN_RECV);
    send_p(TCP_SYN | TCP_ACK, P_ISS, a_nxt, NULL);
    send_p(TCP_ACK, p_nxt, a_nxt, NULL);
    cr_assert_eq(state_of(sock), NET_TCPS_ESTABLISHED);
    cr_assert(net_sock_poll(sock) & NET_EPOLLOUT);
}

Test(net_tcp_states, peer_mss_and_window_scale_honoured)
{
    /* MSS 536, window scale 3, window field 1000: 8000 bytes may be in flight. */
    static const uint8_t opts[8] = {2, 4, 0x02, 0x18, 1, 3, 3, 3};
    static uint8_t big[20000];
    struct pkt_info p;
    uint32_t inflight = 0;
    int segs = 0;

    lsock = test_listen(ha->ns, A_PORT, 8);
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, P_ISS, 0, TCP_SYN, 1000, opts, 8, NULL, 0);
    sim_run(&sim, 20 * MS);
    p = next_seg();
    a_nxt = p.seq + 1;
    p_nxt = P_ISS + 1;
    peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt, TCP_ACK, 1000, NULL, 0, NULL, 0);
    sim_run(&sim, 20 * MS);
    cr_assert_eq(net_sock_accept(lsock, &sock, NULL), 0);
    cr_assert_eq(test_info(sock).tcpi_snd_wnd, 8000);
    cr_assert_eq(net_sock_send(sock, big, sizeof(big), 0), (ssize_t)sizeof(big));
    sim_run(&sim, 20 * MS);
    /* The first flight is the initial window: ten segments of 536 bytes. */
    while (peer_next_tcp(&peer, &p)) {
        cr_assert_leq(p.len, 536);
        inflight += (uint32_t)p.len;
        segs += p.len > 0;
    }
    cr_assert_eq(segs, 10);
    cr_assert_eq(inflight, 5360);
    /* Each segment acknowledged: cwnd doubles past the window, which limits now. */
    for (uint32_t acked = 536; acked <= inflight; acked += 536)
        peer_send_tcp(&peer, ha, A_ADDR, P_PORT, A_PORT, p_nxt, a_nxt + acked, TCP_ACK, 1000, NULL,
                      0, NULL, 0);
    a_nxt += inflight;
    sim_run(&sim, 20 * MS);
    inflight = 0;
    while (peer_next_tcp(&peer, &p)) {
        cr_assert_leq(p.len, 536);
        inflight += (uint32_t)p.len;
    }
    cr_assert_leq(inflight, 8000);
    cr_assert_geq(inflight, 8000 - 536);
}

Test(net_tcp_states, icmp_port_unreachable_refuses_syn_sent)
{
    uint8_t icmp[8 + 20 + 8], frame[128];
    size_t n;
    struct pkt_info p;

    active_open(false);
    /* Rebuild the quoted header of our SYN from what was sent. */
    peer.next = 0;
    cr_assert(peer_next_tcp(&peer, &p));
    memset(icmp, 0, sizeof(icmp));
    icmp[0] = ICMP_DEST_UNREACH;
    icmp[1] = ICMP_PORT_UNREACH;
    memcpy(icmp + 8, peer.frames[0] + ETH_HLEN, 28);
    put_be16(icmp + 2, inet_csum(icmp, sizeof(icmp)));
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR, IPPROTO_ICMP, 9,
                     0, 64, icmp, sizeof(icmp));
    sim_send(peer.port, frame, n);
    sim_run(&sim, 10 * MS);
    cr_assert_eq(state_of(sock), NET_TCPS_CLOSE);
    cr_assert_eq(net_sock_take_error(sock), -ECONNREFUSED);
}

Test(net_tcp_states, icmp_frag_needed_lowers_mss)
{
    uint8_t icmp[8 + 20 + 8], frame[128];
    static uint8_t big[4000];
    size_t n;
    struct pkt_info p;
    int idx = -1;

    passive_open();
    cr_assert_eq(net_sock_send(sock, big, 1448, 0), 1448);
    sim_run(&sim, 10 * MS);
    for (int i = peer.next; i < peer.nframes; i++) {
        if (pkt_parse(peer.frames[i], peer.lens[i], &p) && p.len == 1448)
            idx = i;
    }
    cr_assert_geq(idx, 0);
    memset(icmp, 0, sizeof(icmp));
    icmp[0] = ICMP_DEST_UNREACH;
    icmp[1] = ICMP_FRAG_NEEDED;
    put_be16(icmp + 6, 1000);
    memcpy(icmp + 8, peer.frames[idx] + ETH_HLEN, 28);
    put_be16(icmp + 2, inet_csum(icmp, sizeof(icmp)));
    n = pkt_build_ip(frame, sizeof(frame), ha->mac, peer.port->mac, P_ADDR, A_ADDR, IPPROTO_ICMP, 9,
                     0, 64, icmp, sizeof(icmp));
    peer.next = peer.nframes;
    sim_send(peer.port, frame, n);
    sim_run(&sim, 10 * MS);
    /* The lost segment went again, in pieces that fit 1000 bytes. */
    cr_assert(peer_next_tcp(&peer, &p));
    cr_assert_leq(p.len + 20 + 20, 1000);
    cr_assert_gt(p.len + 20 + 20, 900);
    cr_assert_gt(p.len, 0);
    cr_assert_eq(test_info(sock).tcpi_pmtu, 1000);
}

/* ---- large receive ---- */

/*
 * A NIC that merged the peer's segments (virtio-net GUEST_TSO4) hands up
 * one 16,000-byte segment with gso_size 1000: the data arrives whole, TCP
 * takes 1000 as the peer's segment size (not 16,000, which would delay
 * ACKs until 32,000 bytes came), ACKs at once, and InSegs counts all 16.
 */
Test(net_tcp_states, merged_segment_from_the_nic)
{
    enum { SEG = 1000, N = 16 };
    static uint8_t data[SEG * N], got[SEG * N], frame[SEG * N + 200];
    const struct net_snmp *snmp = net_snmp_get(ha->ns);
    struct pkt_tcp t = {
        .saddr = P_ADDR,
        .daddr = A_ADDR,
        .sport = P_PORT,
        .dport = A_PORT,
        .flags = TCP_ACK | TCP_PSH,
        .wnd = 65535,
        .data = data,
        .len = sizeof(data),
    };
    struct pkt_info p;
    struct pbuf *pb;
    uint64_t in_before;
    size_t n;

    passive_open();
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    t.seq = p_nxt;
    t.ack = a_nxt;
    memcpy(t.src_mac, peer.port->mac, 6);
    memcpy(t.dst_mac, ha->mac, 6);
    n = pkt_build_tcp(frame, sizeof(frame), &t);
    pb = pbuf_alloc(0, n);
    cr_assert_not_null(pb);
    memcpy(pb->data, frame, n);
    pb->gso_size = SEG;
    in_before = snmp->tcp.InSegs;
    netif_input(ha->nif, pb);
    cr_assert_eq(snmp->tcp.InSegs - in_before, N, "InSegs counted %lu",
                 (unsigned long)(snmp->tcp.InSegs - in_before));
    cr_assert_eq(test_info(sock).tcpi_rcv_mss, SEG);
    sim_run(&sim, 5 * MS); /* less than the delayed-ACK timer */
    p = next_seg();
    cr_assert_eq(p.ack, p_nxt + sizeof(data), "ACK at once for all of it");
    cr_assert_eq(net_sock_recv(sock, got, sizeof(got), 0), (long)sizeof(got));
    cr_assert(memcmp(got, data, sizeof(data)) == 0, "the merged data arrives intact");
}
