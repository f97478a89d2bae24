/*
 * net_tcp_state.c - libFuzzer target: TCP segments delivered to a
 * connection in each state of RFC 9293's state machine.
 *
 * Input: [state: 1 byte] then records describing segments from the peer:
 *   flags(1) seq-delta(4) ack-delta(4) window(2) optlen(1) options(optlen)
 *   paylen(1) payload(paylen) time-step(1) user-op(1)
 * Sequence and acknowledgment numbers are deltas from what the peer
 * should send next (RCV.NXT and SND.NXT as the peer sees them), so small
 * deltas land inside the window and reach the deep paths; checksums are
 * always right. The user-op byte makes the application read, write, shut
 * down or close between segments. The harness drives the connection into
 * the chosen state with well-formed segments first: LISTEN, SYN_SENT,
 * SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
 * LAST_ACK, TIME_WAIT, and ESTABLISHED with options and data in flight.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzzhost.h"

#define HOST_PORT 80
#define PEER_PORT 40000
#define PEER_ISS 5000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_host h;
static uint32_t p_nxt;    /* the peer's next sequence number */
static uint32_t a_nxt;    /* the host's next sequence number, as the peer knows it */
static unsigned int seen; /* frames of h already scanned */

static void peer_segment(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
                         const uint8_t *opts, size_t optlen, const uint8_t *payload, size_t len)
{
    static uint8_t frame[2048];
    struct pkt_tcp t = {
        .saddr = FUZZ_PEER_ADDR,
        .daddr = FUZZ_HOST_ADDR,
        .sport = PEER_PORT,
        .dport = HOST_PORT,
        .seq = seq,
        .ack = ack,
        .flags = flags,
        .wnd = wnd,
        .opts = opts,
        .optlen = optlen,
        .data = payload,
        .len = len,
    };

    memcpy(t.src_mac, fuzz_peer_mac, 6);
    memcpy(t.dst_mac, fuzz_host_mac, 6);
    fuzz_host_input(&h, frame, pkt_build_tcp(frame, sizeof(frame), &t));
}

/* Learn the host's sequence numbers from what it sent since last time. */
static void track(void)
{
    const uint8_t *f;
    size_t len;
    struct pkt_info p;
    unsigned int first = h.nout > FUZZ_OUT ? h.nout - FUZZ_OUT : 0;

    if (seen < first)
        seen = first;
    for (; seen < h.nout; seen++) {
        f = fuzz_host_sent(&h, seen - first, &len);
        if (f == NULL || !pkt_parse(f, len, &p) || p.proto != IPPROTO_TCP)
            continue;
        uint32_t end =
            p.seq + (uint32_t)p.len + ((p.flags & TCP_SYN) ? 1 : 0) + ((p.flags & TCP_FIN) ? 1 : 0);
        if (seq_gt(end, a_nxt) || (p.flags & TCP_SYN))
            a_nxt = end;
    }
}

static void send_p(uint8_t flags, const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;

    peer_segment(flags, p_nxt, a_nxt, 65535, NULL, 0, (const uint8_t *)text, len);
    p_nxt += (uint32_t)len + ((flags & TCP_FIN) ? 1 : 0);
    track();
}

/* Bring a connection to the state numbered s; returns its socket. */
static struct net_sock *prepare(unsigned int s, struct net_sock *l)
{
    static const uint8_t opts[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0, 0,    0, 0, 1, 3,  3, 7};
    struct net_sock *c = NULL;

    p_nxt = PEER_ISS;
    a_nxt = 0;
    if (s == 0)
        return NULL; /* LISTEN: segments go to the listener */
    if (s == 1) {
        struct net_sockaddr_in local = net_sockaddr(0, HOST_PORT);
        struct net_sockaddr_in to = net_sockaddr(FUZZ_PEER_ADDR, PEER_PORT);
        net_sock_close(l);
        if (net_sock_create(h.ns, NET_SOCK_STREAM, 0, &c) != 0 || net_sock_bind(c, &local) != 0)
            abort();
        net_sock_connect(c, &to); /* SYN_SENT */
        track();
        return c;
    }
    peer_segment(TCP_SYN, p_nxt, 0, 65535, s == 10 ? opts : NULL, s == 10 ? 20 : 0, NULL, 0);
    p_nxt++;
    track(); /* SYN_RECEIVED */
    if (s == 2)
        return NULL;
    send_p(TCP_ACK, NULL);
    if (net_sock_accept(l, &c, NULL) != 0)
        abort(); /* ESTABLISHED */
    switch (s) {
    case 4: /* FIN_WAIT_1 */
        net_sock_shutdown(c, NET_SHUT_WR);
        break;
    case 5: /* FIN_WAIT_2 */
    case 9: /* TIME_WAIT */
        net_sock_shutdown(c, NET_SHUT_WR);
        track();
        send_p(TCP_ACK, NULL);
        if (s == 9)
            send_p(TCP_FIN | TCP_ACK, NULL);
        break;
    case 6: /* CLOSE_WAIT */
    case 8: /* LAST_ACK */
        send_p(TCP_FIN | TCP_ACK, NULL);
        if (s == 8)
            net_sock_shutdown(c, NET_SHUT_WR);
        break;
    case 7: /* CLOSING */
        net_sock_shutdown(c, NET_SHUT_WR);
        peer_segment(TCP_FIN | TCP_ACK, p_nxt, a_nxt - 1, 65535, NULL, 0, NULL, 0);
        p_nxt++;
        break;
    case 10: /* ESTABLISHED, data both ways, a hole in what we received */
        net_sock_send(c, "0123456789abcdef", 16, 0);
        peer_segment(TCP_ACK, p_nxt + 10, a_nxt, 65535, NULL, 0, (const uint8_t *)"later", 5);
        break;
    default:
        break;
    }
    track();
    return c;
}

static void user_op(struct net_sock **c, uint8_t op)
{
    char buf[512];

    if (*c == NULL)
        return;
    switch (op % 8) {
    case 1:
        net_sock_recv(*c, buf, sizeof(buf), 0);
        break;
    case 2:
        memset(buf, 'w', sizeof(buf));
        net_sock_send(*c, buf, op, 0);
        break;
    case 3:
        net_sock_shutdown(*c, NET_SHUT_WR);
        break;
    case 4:
        net_sock_close(*c);
        *c = NULL;
        break;
    case 5:
        net_sock_recv(*c, buf, sizeof(buf), NET_MSG_PEEK);
        break;
    case 6: {
        struct net_tcp_info info;
        net_sock_tcp_info(*c, &info);
        net_sock_poll(*c);
        break;
    }
    default:
        break;
    }
    track();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct net_sock *l, *c;
    struct net_sockaddr_in p80 = net_sockaddr(0, HOST_PORT);

    if (size < 1)
        return 0;
    fuzz_host_init(&h);
    fuzz_host_addr(&h);
    seen = 0;
    if (net_sock_create(h.ns, NET_SOCK_STREAM, 0, &l) != 0 || net_sock_bind(l, &p80) != 0 ||
        net_sock_listen(l, 4) != 0)
        abort();
    c = prepare(data[0] % 11, l);
    if (data[0] % 11 == 1)
        l = NULL;
    data++;
    size--;

    while (size >= 13) {
        uint8_t flags = data[0];
        int32_t dseq = (int32_t)get_be32(data + 1), dack = (int32_t)get_be32(data + 5);
        uint16_t wnd = get_be16(data + 9);
        size_t optlen = (size_t)(data[11] % 11) * 4, paylen;
        const uint8_t *opts;

        data += 12;
        size -= 12;
        if (optlen > size)
            optlen = size & ~(size_t)3;
        opts = data;
        data += optlen;
        size -= optlen;
        if (size == 0)
            break;
        paylen = data[0];
        data++;
        size--;
        if (paylen > size)
            paylen = size;
        peer_segment(flags, p_nxt + (uint32_t)dseq, a_nxt + (uint32_t)dack, wnd, opts, optlen, data,
                     paylen);
        if (dseq == 0)
            p_nxt += (uint32_t)paylen + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
        data += paylen;
        size -= paylen;
        track();
        if (size >= 2) {
            fuzz_host_advance(&h, (uint64_t)data[0] * 10 * MS);
            user_op(&c, data[1]);
            data += 2;
            size -= 2;
        }
    }
    /* Let every timer run out: retransmissions, probes, TIME_WAIT. */
    for (int i = 0; i < 40; i++)
        fuzz_host_advance(&h, 30 * SEC);
    if (c != NULL)
        net_sock_close(c);
    if (l != NULL)
        net_sock_close(l);
    fuzz_host_advance(&h, 200 * SEC);
    fuzz_host_destroy(&h);
    return 0;
}
