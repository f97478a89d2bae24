/*
 * pkt.c - raw frames for tests that play a peer: building Ethernet, ARP,
 * IPv4, UDP and TCP with correct (or deliberately wrong) checksums, and
 * parsing what a stack sends. Independent of the stack's own code paths
 * except for the checksum function, which test_net_basics checks against
 * published vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "net/inet.h"
#include "nettest.h"

static size_t eth(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    put_be16(b + 12, type);
    return ETH_HLEN;
}

static void ip_header(uint8_t *h, uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t id,
                      uint16_t frag_off, uint8_t ttl, size_t payload)
{
    memset(h, 0, IP_HLEN);
    h[0] = 0x45;
    put_be16(h + 2, (uint16_t)(IP_HLEN + payload));
    put_be16(h + 4, id);
    put_be16(h + 6, frag_off);
    h[8] = ttl;
    h[9] = proto;
    put_be32(h + 12, saddr);
    put_be32(h + 16, daddr);
    put_be16(h + 10, inet_csum(h, IP_HLEN));
}

size_t pkt_build_ip(uint8_t *buf, size_t size, const uint8_t dst_mac[6], const uint8_t src_mac[6],
                    uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t id, uint16_t frag_off,
                    uint8_t ttl, const uint8_t *payload, size_t len)
{
    size_t n = ETH_HLEN + IP_HLEN + len;

    if (n > size)
        abort();
    eth(buf, dst_mac, src_mac, ETH_P_IP);
    ip_header(buf + ETH_HLEN, saddr, daddr, proto, id, frag_off, ttl, len);
    memcpy(buf + ETH_HLEN + IP_HLEN, payload, len);
    return n;
}

size_t pkt_build_udp(uint8_t *buf, size_t size, const uint8_t dst_mac[6], const uint8_t src_mac[6],
                     uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                     const uint8_t *payload, size_t len)
{
    uint8_t *u = malloc(UDP_HLEN + len);
    uint16_t sum;
    size_t n;

    put_be16(u, sport);
    put_be16(u + 2, dport);
    put_be16(u + 4, (uint16_t)(UDP_HLEN + len));
    put_be16(u + 6, 0);
    memcpy(u + UDP_HLEN, payload, len);
    sum = inet_csum_fold(inet_csum_partial(
        u, UDP_HLEN + len, inet_pseudo_sum(saddr, daddr, IPPROTO_UDP, (uint16_t)(UDP_HLEN + len))));
    put_be16(u + 6, sum == 0 ? 0xffff : sum);
    n = pkt_build_ip(buf, size, dst_mac, src_mac, saddr, daddr, IPPROTO_UDP, 1, 0, 64, u,
                     UDP_HLEN + len);
    free(u);
    return n;
}

size_t pkt_build_tcp(uint8_t *buf, size_t size, const struct pkt_tcp *t)
{
    size_t hlen = TCP_HLEN + t->optlen, n = ETH_HLEN + IP_HLEN + hlen + t->len;
    uint8_t *th = buf + ETH_HLEN + IP_HLEN;
    uint16_t sum;

    if (n > size || t->optlen % 4 != 0)
        abort();
    eth(buf, t->dst_mac, t->src_mac, ETH_P_IP);
    ip_header(buf + ETH_HLEN, t->saddr, t->daddr, IPPROTO_TCP, 7, IP_DF, 64, hlen + t->len);
    memset(th, 0, TCP_HLEN);
    put_be16(th, t->sport);
    put_be16(th + 2, t->dport);
    put_be32(th + 4, t->seq);
    put_be32(th + 8, t->ack);
    th[12] = (uint8_t)((hlen / 4) << 4);
    th[13] = t->flags;
    put_be16(th + 14, t->wnd);
    if (t->optlen > 0)
        memcpy(th + TCP_HLEN, t->opts, t->optlen);
    if (t->len > 0)
        memcpy(th + hlen, t->data, t->len);
    sum = inet_csum_fold(inet_csum_partial(
        th, hlen + t->len,
        inet_pseudo_sum(t->saddr, t->daddr, IPPROTO_TCP, (uint16_t)(hlen + t->len))));
    if (t->bad_csum)
        sum ^= 0x1234;
    put_be16(th + 16, sum);
    return n;
}

size_t pkt_build_arp(uint8_t *buf, size_t size, const uint8_t eth_dst[6], uint16_t op,
                     const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    uint8_t *a = buf + ETH_HLEN;

    if (size < ETH_HLEN + 28)
        abort();
    eth(buf, eth_dst, sha, ETH_P_ARP);
    put_be16(a, ARP_HRD_ETHER);
    put_be16(a + 2, ETH_P_IP);
    a[4] = 6;
    a[5] = 4;
    put_be16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put_be32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    put_be32(a + 24, tpa);
    return ETH_HLEN + 28;
}

static void parse_tcp_options(const uint8_t *p, size_t len, struct pkt_info *o)
{
    size_t i = 0;

    while (i < len) {
        uint8_t kind = p[i], l;
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            break;
        l = p[i + 1];
        if (l < 2 || i + l > len)
            break;
        if (kind == 2 && l == 4) {
            o->has_mss = true;
            o->mss = get_be16(p + i + 2);
        } else if (kind == 3 && l == 3) {
            o->has_ws = true;
            o->ws = p[i + 2];
        } else if (kind == 4 && l == 2) {
            o->has_sack_perm = true;
        } else if (kind == 8 && l == 10) {
            o->has_ts = true;
            o->tsval = get_be32(p + i + 2);
            o->tsecr = get_be32(p + i + 6);
        } else if (kind == 5) {
            for (int k = 0; k < (l - 2) / 8 && o->nsack < 4; k++) {
                o->sack[o->nsack][0] = get_be32(p + i + 2 + 8 * k);
                o->sack[o->nsack][1] = get_be32(p + i + 6 + 8 * k);
                o->nsack++;
            }
        }
        i += l;
    }
}

bool pkt_parse(const uint8_t *f, size_t len, struct pkt_info *o)
{
    const uint8_t *ip, *l4;
    size_t ihl, tot;

    memset(o, 0, sizeof(*o));
    if (len < ETH_HLEN)
        return false;
    o->ethertype = get_be16(f + 12);
    if (o->ethertype == ETH_P_ARP) {
        if (len < ETH_HLEN + 28)
            return false;
        o->arp_op = get_be16(f + ETH_HLEN + 6);
        o->arp_spa = get_be32(f + ETH_HLEN + 14);
        o->arp_tpa = get_be32(f + ETH_HLEN + 24);
        return true;
    }
    if (o->ethertype != ETH_P_IP || len < ETH_HLEN + IP_HLEN)
        return false;
    ip = f + ETH_HLEN;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    tot = get_be16(ip + 2);
    if (tot > len - ETH_HLEN || ihl < IP_HLEN || tot < ihl)
        return false;
    o->proto = ip[9];
    o->saddr = get_be32(ip + 12);
    o->daddr = get_be32(ip + 16);
    o->ip_id = get_be16(ip + 4);
    o->frag_off = get_be16(ip + 6);
    o->ttl = ip[8];
    l4 = ip + ihl;
    o->data = l4;
    o->len = tot - ihl;
    if ((o->frag_off & IP_OFFMASK) != 0)
        return true;
    if (o->proto == IPPROTO_TCP && tot - ihl >= TCP_HLEN) {
        size_t hlen = (size_t)(l4[12] >> 4) * 4;
        if (hlen < TCP_HLEN || hlen > tot - ihl)
            return false;
        o->sport = get_be16(l4);
        o->dport = get_be16(l4 + 2);
        o->seq = get_be32(l4 + 4);
        o->ack = get_be32(l4 + 8);
        o->flags = l4[13];
        o->wnd = get_be16(l4 + 14);
        parse_tcp_options(l4 + TCP_HLEN, hlen - TCP_HLEN, o);
        o->data = l4 + hlen;
        o->len = tot - ihl - hlen;
    } else if (o->proto == IPPROTO_UDP && tot - ihl >= UDP_HLEN) {
        o->sport = get_be16(l4);
        o->dport = get_be16(l4 + 2);
        o->data = l4 + UDP_HLEN;
        o->len = tot - ihl - UDP_HLEN;
    } else if (o->proto == IPPROTO_ICMP && tot - ihl >= ICMP_HLEN) {
        o->icmp_type = l4[0];
        o->icmp_code = l4[1];
        o->data = l4;
        o->len = tot - ihl;
    }
    return true;
}

/* ---- the scripted peer ---- */

static void peer_rx(struct sim_port *port, const uint8_t *frame, size_t len, void *arg)
{
    struct peer *peer = arg;
    struct pkt_info info;

    if (!pkt_parse(frame, len, &info))
        return;
    if (info.ethertype == ETH_P_ARP) {
        if (info.arp_op == ARP_OP_REQUEST && info.arp_tpa == peer->addr) {
            uint8_t reply[64];
            size_t n = pkt_build_arp(reply, sizeof(reply), frame + 6, ARP_OP_REPLY, port->mac,
                                     peer->addr, frame + 6, info.arp_spa);
            sim_send(port, reply, n);
        }
        return;
    }
    if (info.daddr != peer->addr && info.daddr != IP4_BROADCAST)
        return;
    if (peer->nframes == 4096)
        return;
    peer->frames[peer->nframes] = malloc(len);
    memcpy(peer->frames[peer->nframes], frame, len);
    peer->lens[peer->nframes] = len;
    peer->times[peer->nframes] = sim_now();
    peer->nframes++;
}

void peer_init(struct peer *peer, struct sim *sim, uint32_t addr)
{
    memset(peer, 0, sizeof(*peer));
    peer->addr = addr;
    peer->port = sim_add_scripted(sim, peer_rx, peer);
}

void peer_free(struct peer *peer)
{
    for (int i = 0; i < peer->nframes; i++)
        free(peer->frames[i]);
    peer->nframes = 0;
}

bool peer_next_tcp(struct peer *peer, struct pkt_info *out)
{
    while (peer->next < peer->nframes) {
        int i = peer->next++;
        if (pkt_parse(peer->frames[i], peer->lens[i], out) && out->proto == IPPROTO_TCP)
            return true;
    }
    return false;
}

int peer_count_tcp(struct peer *peer, uint8_t flags)
{
    struct pkt_info info;
    int n = 0;

    for (int i = 0; i < peer->nframes; i++) {
        if (pkt_parse(peer->frames[i], peer->lens[i], &info) && info.proto == IPPROTO_TCP &&
            (info.flags & flags) == flags)
            n++;
    }
    return n;
}

void peer_send_tcp(struct peer *peer, struct sim_port *host, uint32_t host_addr, uint16_t sport,
                   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                   const uint8_t *opts, size_t optlen, const void *data, size_t len)
{
    uint8_t *buf = malloc(len + 200);
    struct pkt_tcp t = {
        .saddr = peer->addr,
        .daddr = host_addr,
        .sport = sport,
        .dport = dport,
        .seq = seq,
        .ack = ack,
        .flags = flags,
        .wnd = wnd,
        .opts = opts,
        .optlen = optlen,
        .data = data,
        .len = len,
    };
    size_t n;

    memcpy(t.src_mac, peer->port->mac, 6);
    memcpy(t.dst_mac, host->mac, 6);
    n = pkt_build_tcp(buf, len + 200, &t);
    sim_send(peer->port, buf, n);
    free(buf);
}
