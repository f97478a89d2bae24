/*
 * inet.h - wire formats and byte order for the IPv4 protocol family.
 *
 * Header layouts of Ethernet, ARP, IPv4, ICMP, UDP and TCP as they appear on
 * the wire (all multi-byte fields big-endian), the byte-order helpers, the
 * Internet checksum (checksum.c) and small IPv4 address predicates. Shared
 * by every protocol file; has no state.
 *
 * Inside the stack, IPv4 addresses and ports are kept in host byte order
 * (uint32_t / uint16_t); they are converted only where they meet a header
 * or a struct sockaddr_in.
 */
#pragma once

#include "lib/types.h"

/* ---- byte order (x86-64 and the host tests are little-endian) ---- */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint16_t net_htons(uint16_t x)
{
    return __builtin_bswap16(x);
}
static inline uint32_t net_htonl(uint32_t x)
{
    return __builtin_bswap32(x);
}
#else
static inline uint16_t net_htons(uint16_t x)
{
    return x;
}
static inline uint32_t net_htonl(uint32_t x)
{
    return x;
}
#endif
#define net_ntohs(x) net_htons(x)
#define net_ntohl(x) net_htonl(x)

/* Unaligned big-endian access to packet bytes. */
static inline uint16_t get_be16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t get_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void put_be16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}
static inline void put_be32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* ---- Ethernet ---- */

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_MIN_FRAME 60 /* without FCS; shorter frames are padded */
#define ETH_MAX_MTU 9000
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_VLAN 0x8100

struct eth_hdr {
    uint8_t dst[ETH_ALEN];
    uint8_t src[ETH_ALEN];
    uint16_t type;
} __packed;
_Static_assert(sizeof(struct eth_hdr) == ETH_HLEN, "Ethernet header is 14 bytes");

/* ---- ARP (RFC 826, Ethernet/IPv4 only) ---- */

#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_hdr {
    uint16_t hrd;
    uint16_t pro;
    uint8_t hln;
    uint8_t pln;
    uint16_t op;
    uint8_t sha[ETH_ALEN];
    uint8_t spa[4];
    uint8_t tha[ETH_ALEN];
    uint8_t tpa[4];
} __packed;
_Static_assert(sizeof(struct arp_hdr) == 28, "ARP for Ethernet/IPv4 is 28 bytes");

/* ---- IPv4 (RFC 791) ---- */

#define IP_HLEN 20
#define IP_MAX_HLEN 60
#define IP_MAX_LEN 65535
#define IP_DEFAULT_TTL 64
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

#ifndef IPPROTO_ICMP /* a host test may have the C library's */
#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#endif

struct ip_hdr {
    uint8_t ver_ihl;
    uint8_t tos;
    uint16_t tot_len;
    uint16_t id;
    uint16_t frag_off;
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    uint32_t src;
    uint32_t dst;
} __packed;
_Static_assert(sizeof(struct ip_hdr) == IP_HLEN, "IPv4 header is 20 bytes");

/* ---- ICMP (RFC 792) ---- */

#define ICMP_HLEN 8
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_TIMESTAMP 13
#define ICMP_TIMESTAMPREPLY 14
#define ICMP_ADDRESS 17
#define ICMP_ADDRESSREPLY 18

/* Codes of ICMP_DEST_UNREACH. */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
/* Codes of ICMP_TIME_EXCEEDED. */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

struct icmp_hdr {
    uint8_t type;
    uint8_t code;
    uint16_t csum;
    union {
        struct {
            uint16_t id;
            uint16_t seq;
        } echo;
        struct {
            uint16_t unused;
            uint16_t mtu;
        } frag;
        uint32_t gateway;
    } un;
} __packed;
_Static_assert(sizeof(struct icmp_hdr) == ICMP_HLEN, "ICMP header is 8 bytes");

/* ---- UDP (RFC 768) ---- */

#define UDP_HLEN 8

struct udp_hdr {
    uint16_t sport;
    uint16_t dport;
    uint16_t len;
    uint16_t csum;
} __packed;
_Static_assert(sizeof(struct udp_hdr) == UDP_HLEN, "UDP header is 8 bytes");

/* ---- TCP (RFC 9293) ---- */

#define TCP_HLEN 20
#define TCP_MAX_HLEN 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

struct tcp_hdr {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t off;   /* data offset in the high 4 bits */
    uint8_t flags; /* TCP_FIN ... TCP_CWR */
    uint16_t wnd;
    uint16_t csum;
    uint16_t urp;
} __packed;
_Static_assert(sizeof(struct tcp_hdr) == TCP_HLEN, "TCP header is 20 bytes");

/* ---- IPv4 addresses (host byte order) ---- */

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define IP4_ANY 0u
#define IP4_BROADCAST 0xffffffffu
#define IP4_LOOPBACK IP4(127, 0, 0, 1)

static inline bool ip4_is_loopback(uint32_t a)
{
    return (a >> 24) == 127;
}
static inline bool ip4_is_multicast(uint32_t a)
{
    return (a >> 28) == 0xe;
}
/* Class E (240/4, includes the limited broadcast). */
static inline bool ip4_is_reserved(uint32_t a)
{
    return (a >> 28) == 0xf;
}
/* An address that may appear as the source of a packet we accept. */
static inline bool ip4_is_valid_source(uint32_t a)
{
    return !ip4_is_multicast(a) && !ip4_is_reserved(a) && (a >> 24) != 0;
}

/* Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return seq_gt(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
    return seq_lt(a, b) ? a : b;
}

/* ---- the Internet checksum (RFC 1071), checksum.c ---- */

/*
 * inet_csum_partial adds len bytes at data to the running 32-bit sum (any
 * alignment, any length; pass 0 to start). Chain calls only on even lengths
 * except the last one.
 */
uint32_t inet_csum_partial(const void *data, size_t len, uint32_t sum);
/* Fold a running sum to 16 bits and complement it: the value for the header. */
uint16_t inet_csum_fold(uint32_t sum);
/* The checksum of one buffer. 0 when a buffer with its checksum verifies. */
uint16_t inet_csum(const void *data, size_t len);
/* The running sum of the TCP/UDP pseudo-header (addresses in host order). */
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
