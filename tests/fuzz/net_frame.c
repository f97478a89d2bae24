/*
 * net_frame.c - libFuzzer target: arbitrary Ethernet frames into a stack.
 *
 * The stack has an address, a static neighbour, a TCP listener, a UDP
 * socket and a ping socket, so frames can reach every layer: Ethernet,
 * ARP, IPv4 and reassembly, ICMP, UDP, TCP's listener and connections.
 * Input: records of [length: 2 bytes][fixups: 1 byte][frame][time step:
 * 1 byte], until the input ends. Fixups let random bytes get past the
 * first checks so the deeper layers are explored too: bit 0 puts our MAC
 * in the destination, bit 1 repairs the IPv4 header checksum, bit 2 the
 * TCP, UDP or ICMP checksum. Checks: no crash or sanitizer report, and
 * every byte the stack allocated is back after net_destroy().
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzzhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixup(uint8_t *f, size_t len, uint8_t how)
{
    uint8_t *ip = f + ETH_HLEN, *l4;
    size_t ihl, tot;
    uint16_t csum;

    if ((how & 1) && len >= 6)
        memcpy(f, fuzz_host_mac, 6);
    if (len < ETH_HLEN + IP_HLEN || get_be16(f + 12) != ETH_P_IP)
        return;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    if (ihl < IP_HLEN || ETH_HLEN + ihl > len)
        return;
    tot = get_be16(ip + 2);
    if (tot < ihl || ETH_HLEN + tot > len)
        tot = len - ETH_HLEN;
    l4 = ip + ihl;
    if ((how & 4) && (get_be16(ip + 6) & 0x3fff) == 0) {
        size_t l4len = tot - ihl;
        if (ip[9] == IPPROTO_TCP && l4len >= TCP_HLEN) {
            put_be16(l4 + 16, 0);
            csum = inet_csum_fold(
                inet_csum_partial(l4, l4len,
                                  inet_pseudo_sum(get_be32(ip + 12), get_be32(ip + 16), IPPROTO_TCP,
                                                  (uint16_t)l4len)));
            put_be16(l4 + 16, csum);
        } else if (ip[9] == IPPROTO_UDP && l4len >= UDP_HLEN) {
            put_be16(l4 + 6, 0);
            csum = inet_csum_fold(
                inet_csum_partial(l4, l4len,
                                  inet_pseudo_sum(get_be32(ip + 12), get_be32(ip + 16), IPPROTO_UDP,
                                                  (uint16_t)l4len)));
            put_be16(l4 + 6, csum);
        } else if (ip[9] == IPPROTO_ICMP && l4len >= ICMP_HLEN) {
            put_be16(l4 + 2, 0);
            put_be16(l4 + 2, inet_csum(l4, l4len));
        }
    }
    if (how & 2) {
        put_be16(ip + 10, 0);
        put_be16(ip + 10, inet_csum(ip, ihl));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_host h;
    struct net_sock *tcp, *udp, *ping;
    struct net_sockaddr_in p80 = net_sockaddr(0, 80), p53 = net_sockaddr(0, 53);
    uint8_t buf[2048];

    fuzz_host_init(&h);
    fuzz_host_addr(&h);
    if (net_sock_create(h.ns, NET_SOCK_STREAM, 0, &tcp) != 0 || net_sock_bind(tcp, &p80) != 0 ||
        net_sock_listen(tcp, 4) != 0)
        abort();
    if (net_sock_create(h.ns, NET_SOCK_DGRAM, 0, &udp) != 0 || net_sock_bind(udp, &p53) != 0)
        abort();
    if (net_sock_create(h.ns, NET_SOCK_DGRAM, IPPROTO_ICMP, &ping) != 0)
        abort();

    while (size >= 3) {
        static uint8_t frame[65536 + 64];
        size_t len = (size_t)data[0] << 8 | data[1];
        uint8_t how = data[2];
        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        memcpy(frame, data, len);
        fixup(frame, len, how);
        fuzz_host_input(&h, frame, len);
        data += len;
        size -= len;
        if (size > 0) {
            fuzz_host_advance(&h, (uint64_t)data[0] * 50 * MS);
            data++;
            size--;
        }
        /* Drain what arrived, as an application would. */
        while (net_sock_recv(udp, buf, sizeof(buf), 0) >= 0)
            ;
        while (net_sock_recv(ping, buf, sizeof(buf), 0) >= 0)
            ;
        for (;;) {
            struct net_sock *c;
            if (net_sock_accept(tcp, &c, NULL) != 0)
                break;
            net_sock_recv(c, buf, sizeof(buf), 0);
            net_sock_close(c);
        }
    }
    fuzz_host_advance(&h, 200 * SEC);
    fuzz_host_destroy(&h);
    return 0;
}
