/*
 * net_dhcp.c - libFuzzer target: DHCP server messages (offers, ACKs, NAKs
 * and garbage) delivered to the client in each of its states.
 *
 * Input: [state: 1 byte][stamp: 1 byte][message]. The harness walks the
 * client to SELECTING, REQUESTING or BOUND with well-formed messages, then
 * delivers the fuzzed message as a UDP datagram from port 67. When "stamp"
 * is odd, the message gets the client's transaction ID, hardware address
 * and the magic cookie, so the fuzzer explores the options and the state
 * machine instead of the first checks. The message also goes through
 * dhcp_parse() directly. Then time runs past every lease timer.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzzhost.h"
#include "net/dhcp.h"

#define SERVER IP4(10, 0, 0, 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *arg, enum dhcp_event ev, const struct net_ipconfig *cfg)
{
    (void)arg;
    (void)ev;
    (void)cfg;
}

/* The client's transaction ID, from the last DHCP message it sent. */
static uint32_t client_xid(struct fuzz_host *h)
{
    uint32_t xid = 0;
    size_t len;
    const uint8_t *f;
    struct pkt_info p;

    for (unsigned int i = 0; (f = fuzz_host_sent(h, i, &len)) != NULL; i++) {
        if (pkt_parse(f, len, &p) && p.proto == IPPROTO_UDP && p.dport == 67 && p.len >= 8)
            xid = get_be32(p.data + 4);
    }
    return xid;
}

static void deliver(struct fuzz_host *h, const uint8_t *msg, size_t len)
{
    static uint8_t frame[2048];
    size_t n = pkt_build_udp(frame, sizeof(frame), (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                             fuzz_peer_mac, SERVER, IP4_BROADCAST, 67, 68, msg, len);

    fuzz_host_input(h, frame, n);
}

/* A well-formed reply of the given type for the client's current xid. */
static void good_reply(struct fuzz_host *h, uint8_t type)
{
    uint8_t m[300];

    memset(m, 0, sizeof(m));
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    put_be32(m + 4, client_xid(h));
    put_be32(m + 16, IP4(10, 0, 0, 50));
    memcpy(m + 28, fuzz_host_mac, 6);
    put_be32(m + 236, 0x63825363);
    m[240] = 53;
    m[241] = 1;
    m[242] = type;
    m[243] = 54;
    m[244] = 4;
    put_be32(m + 245, SERVER);
    m[249] = 51;
    m[250] = 4;
    put_be32(m + 251, 120);
    m[255] = 1;
    m[256] = 4;
    put_be32(m + 257, IP4(255, 255, 255, 0));
    m[261] = 255;
    deliver(h, m, sizeof(m));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_host h;
    static uint8_t msg[1600];
    struct dhcp_client *c;
    struct dhcp_msg parsed;
    uint8_t state, stamp;
    size_t len;

    if (size < 2)
        return 0;
    state = data[0] % 4;
    stamp = data[1];
    len = size - 2 < sizeof(msg) ? size - 2 : sizeof(msg);
    memcpy(msg, data + 2, len);
    dhcp_parse(msg, len, &parsed);

    fuzz_host_init(&h);
    if (dhcp_start(h.nif, NULL, on_event, NULL, &c) != 0)
        abort();
    if (state >= 1)
        good_reply(&h, DHCP_OFFER); /* -> REQUESTING */
    if (state >= 2)
        good_reply(&h, DHCP_ACK); /* -> BOUND */
    if (state >= 3)
        fuzz_host_advance(&h, 61 * SEC); /* -> RENEWING */
    if ((stamp & 1) && len >= 240) {
        msg[0] = 2;
        msg[1] = 1;
        msg[2] = 6;
        put_be32(msg + 4, client_xid(&h));
        memcpy(msg + 28, fuzz_host_mac, 6);
        put_be32(msg + 236, 0x63825363);
    }
    deliver(&h, msg, len);
    for (int i = 0; i < 10; i++)
        fuzz_host_advance(&h, 30 * SEC);
    if (stamp & 2)
        dhcp_stop(c, true);
    fuzz_host_destroy(&h);
    return 0;
}
