/*
 * checksum.c - the Internet checksum (RFC 1071) for IPv4, ICMP, UDP and TCP.
 *
 * The one's-complement sum does not depend on byte order as long as the
 * words are swapped back at the end (RFC 1071 section 2(B)), so the bytes
 * are summed as native 32-bit words into a 64-bit accumulator and only the
 * folded 16-bit result is converted to the big-endian value the headers
 * hold. Called by ip.c, icmp.c, udp.c and tcp_out.c/tcp_in.c.
 */
#include "lib/string.h"
#include "net/inet.h"

static uint16_t fold64(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* The sum of the bytes as native-order 16-bit words, folded to 16 bits. */
static uint16_t native_sum(const uint8_t *p, size_t len)
{
    uint64_t sum = 0;
    uint32_t w;
    uint16_t h;

    while (len >= 16) {
        uint32_t a, b, c, d;
        memcpy(&a, p, 4);
        memcpy(&b, p + 4, 4);
        memcpy(&c, p + 8, 4);
        memcpy(&d, p + 12, 4);
        sum += (uint64_t)a + b + c + d;
        p += 16;
        len -= 16;
    }
    while (len >= 4) {
        memcpy(&w, p, 4);
        sum += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        memcpy(&h, p, 2);
        sum += h;
        p += 2;
        len -= 2;
    }
    if (len == 1) {
        /* The odd byte is the high-order byte of a final zero-padded word. */
        uint8_t last[2] = {p[0], 0};
        memcpy(&h, last, 2);
        sum += h;
    }
    return fold64(sum);
}

uint32_t inet_csum_partial(const void *data, size_t len, uint32_t sum)
{
    uint16_t s = native_sum(data, len);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = __builtin_bswap16(s);
#endif
    return fold64((uint64_t)sum + s);
}

uint16_t inet_csum_fold(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

uint16_t inet_csum(const void *data, size_t len)
{
    return inet_csum_fold(inet_csum_partial(data, len, 0));
}

uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);

    sum += proto;
    sum += len;
    return fold64(sum);
}
