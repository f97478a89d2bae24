/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2), see icmp.h.
 *
 * Input: ip_input -> icmp_input: verify the checksum, answer echo
 * requests, give echo replies to ping sockets, and turn destination
 * unreachable / time exceeded / parameter problem into an error for the
 * UDP endpoint, ping socket or TCP connection named by the quoted header.
 *
 * Output: icmp_send_error() for ip_input (protocol unreachable), udp_input
 * (port unreachable) and the reassembly timer (time exceeded). Errors obey
 * RFC 1122's "never in answer to" rules and a token bucket of
 * limits.icmp_rate per second with a burst of 50, so a flood of packets to
 * closed ports cannot turn us into a flood of ICMP.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/icmp.h"
#include "net/ping.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

#define ICMP_BURST 50
#define ICMP_QUOTE_MAX 548 /* 576 bytes in all, as RFC 1812 4.3.2.3 allows */

static bool icmp_is_error_type(uint8_t type)
{
    return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
           type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

static bool icmp_rate_ok(struct netstack *ns)
{
    uint64_t elapsed = MIN(ns->now - ns->icmp_tokens_time, 1000000000000ull);
    uint64_t add = elapsed * ns->limits.icmp_rate / 1000000000ull;

    if (add > 0) {
        ns->icmp_tokens = (uint32_t)MIN((uint64_t)ns->icmp_tokens + add, (uint64_t)ICMP_BURST);
        ns->icmp_tokens_time = ns->now;
    }
    if (ns->icmp_tokens == 0)
        return false;
    ns->icmp_tokens--;
    return true;
}

static void icmp_count_out(struct netstack *ns, uint8_t type)
{
    ns->snmp.icmp.OutMsgs++;
    ns->snmp.icmp_out_type[type]++;
    switch (type) {
    case ICMP_DEST_UNREACH:
        ns->snmp.icmp.OutDestUnreachs++;
        break;
    case ICMP_TIME_EXCEEDED:
        ns->snmp.icmp.OutTimeExcds++;
        break;
    case ICMP_PARAMETERPROB:
        ns->snmp.icmp.OutParmProbs++;
        break;
    case ICMP_ECHOREPLY:
        ns->snmp.icmp.OutEchoReps++;
        break;
    case ICMP_ECHO:
        ns->snmp.icmp.OutEchos++;
        break;
    default:
        break;
    }
}

void icmp_send_error(struct netstack *ns, const struct ip_rx *rx, uint8_t type, uint8_t code,
                     uint32_t info)
{
    const struct ip_hdr *ih = (const struct ip_hdr *)rx->iphdr;
    struct icmp_hdr *icmp;
    struct pbuf *p;
    size_t quote;
    struct ip_tx tx;
    int err;

    if (rx->broadcast || !ip4_is_valid_source(rx->src) || rx->iphdr_len < IP_HLEN)
        return;
    if (net_ntohs(ih->frag_off) & IP_OFFMASK)
        return; /* only about the first fragment */
    if (rx->proto == IPPROTO_ICMP) {
        /* Never about an ICMP error (RFC 1122 3.2.2). */
        if (rx->ip_total_len <= rx->iphdr_len || icmp_is_error_type(rx->iphdr[rx->iphdr_len]))
            return;
    }
    if (!icmp_rate_ok(ns))
        return;
    quote = MIN((size_t)rx->ip_total_len, (size_t)ICMP_QUOTE_MAX);
    p = pbuf_alloc(PBUF_HEADROOM, ICMP_HLEN + quote);
    if (p == NULL) {
        ns->snmp.icmp.OutErrors++;
        return;
    }
    icmp = (struct icmp_hdr *)p->data;
    icmp->type = type;
    icmp->code = code;
    icmp->csum = 0;
    icmp->un.gateway = net_htonl(info);
    memcpy(p->data + ICMP_HLEN, rx->iphdr, quote);
    icmp->csum = net_htons(inet_csum(p->data, p->len));

    memset(&tx, 0, sizeof(tx));
    tx.src = ip_is_local(ns, rx->dst) ? rx->dst : 0;
    tx.dst = rx->src;
    tx.proto = IPPROTO_ICMP;
    tx.tos = 0xc0; /* internetwork control, as Linux */
    icmp_count_out(ns, type);
    err = ip_output(ns, p, &tx);
    if (err != 0)
        ns->snmp.icmp.OutErrors++;
}

static void icmp_echo_reply(struct netstack *ns, struct pbuf *req, const struct ip_rx *rx)
{
    struct pbuf *p;
    struct icmp_hdr *icmp;
    struct ip_tx tx;

    p = pbuf_alloc(PBUF_HEADROOM, req->len);
    if (p == NULL) {
        ns->snmp.icmp.OutErrors++;
        return;
    }
    memcpy(p->data, req->data, req->len);
    icmp = (struct icmp_hdr *)p->data;
    icmp->type = ICMP_ECHOREPLY;
    icmp->code = 0;
    icmp->csum = 0;
    icmp->csum = net_htons(inet_csum(p->data, p->len));
    memset(&tx, 0, sizeof(tx));
    tx.src = rx->dst;
    tx.dst = rx->src;
    tx.proto = IPPROTO_ICMP;
    tx.tos = rx->tos;
    icmp_count_out(ns, ICMP_ECHOREPLY);
    if (ip_output(ns, p, &tx) != 0)
        ns->snmp.icmp.OutErrors++;
}

/* The errno an ICMP error means for the endpoint (Linux's icmp_err_convert). */
static int icmp_errno(uint8_t type, uint8_t code)
{
    if (type == ICMP_TIME_EXCEEDED)
        return -EHOSTUNREACH;
    if (type == ICMP_PARAMETERPROB)
        return -EPROTO;
    switch (code) {
    case ICMP_NET_UNREACH:
        return -ENETUNREACH;
    case ICMP_PROT_UNREACH:
        return -ENOPROTOOPT;
    case ICMP_PORT_UNREACH:
        return -ECONNREFUSED;
    case ICMP_FRAG_NEEDED:
        return -EMSGSIZE;
    default:
        return -EHOSTUNREACH;
    }
}

/* An error about a packet we sent: find who sent it. */
static void icmp_error_input(struct netstack *ns, const struct pbuf *p, const struct icmp_hdr *icmp)
{
    const uint8_t *inner = p->data + ICMP_HLEN;
    size_t len = p->len - ICMP_HLEN;
    const struct ip_hdr *ih = (const struct ip_hdr *)inner;
    uint16_t hlen;
    uint32_t src, dst;
    const uint8_t *l4;

    if (len < IP_HLEN)
        goto bad;
    hlen = (ih->ver_ihl & 0x0f) * 4;
    if ((ih->ver_ihl >> 4) != 4 || hlen < IP_HLEN || len < (size_t)hlen + 8)
        goto bad;
    src = net_ntohl(ih->src);
    dst = net_ntohl(ih->dst);
    if (!ip_is_local(ns, src))
        return; /* not about something we sent */
    l4 = inner + hlen;
    switch (ih->proto) {
    case IPPROTO_UDP:
        udp_icmp_error(ns, IPPROTO_UDP, src, get_be16(l4), dst, get_be16(l4 + 2),
                       icmp_errno(icmp->type, icmp->code));
        break;
    case IPPROTO_ICMP:
        if (l4[0] == ICMP_ECHO)
            udp_icmp_error(ns, IPPROTO_ICMP, src, get_be16(l4 + 4), dst, 0,
                           icmp_errno(icmp->type, icmp->code));
        break;
    case IPPROTO_TCP:
        tcp_icmp_error(ns, src, get_be16(l4), dst, get_be16(l4 + 2), get_be32(l4 + 4), icmp->type,
                       icmp->code, net_ntohs(icmp->un.frag.mtu));
        break;
    default:
        break;
    }
    return;
bad:
    ns->snmp.icmp.InErrors++;
}

void icmp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx)
{
    const struct icmp_hdr *icmp;

    ns->snmp.icmp.InMsgs++;
    if (p->len < ICMP_HLEN) {
        ns->snmp.icmp.InErrors++;
        goto drop;
    }
    if (!(p->flags & PBUF_F_CSUM_VERIFIED) && inet_csum(p->data, p->len) != 0) {
        ns->snmp.icmp.InCsumErrors++;
        ns->snmp.icmp.InErrors++;
        goto drop;
    }
    icmp = (const struct icmp_hdr *)p->data;
    ns->snmp.icmp_in_type[icmp->type]++;
    switch (icmp->type) {
    case ICMP_ECHO:
        ns->snmp.icmp.InEchos++;
        /* Like Linux's icmp_echo_ignore_broadcasts: no smurf amplifier. */
        if (!rx->broadcast)
            icmp_echo_reply(ns, p, rx);
        break;
    case ICMP_ECHOREPLY:
        ns->snmp.icmp.InEchoReps++;
        ping_input(ns, p, rx);
        return;
    case ICMP_DEST_UNREACH:
        ns->snmp.icmp.InDestUnreachs++;
        icmp_error_input(ns, p, icmp);
        break;
    case ICMP_TIME_EXCEEDED:
        ns->snmp.icmp.InTimeExcds++;
        icmp_error_input(ns, p, icmp);
        break;
    case ICMP_PARAMETERPROB:
        ns->snmp.icmp.InParmProbs++;
        icmp_error_input(ns, p, icmp);
        break;
    case ICMP_SOURCE_QUENCH:
        ns->snmp.icmp.InSrcQuenchs++; /* deprecated (RFC 6633): ignored */
        break;
    case ICMP_REDIRECT:
        ns->snmp.icmp.InRedirects++; /* a host need not obey; ignored */
        break;
    case ICMP_TIMESTAMP:
        ns->snmp.icmp.InTimestamps++;
        break;
    case ICMP_TIMESTAMPREPLY:
        ns->snmp.icmp.InTimestampReps++;
        break;
    case ICMP_ADDRESS:
        ns->snmp.icmp.InAddrMasks++;
        break;
    case ICMP_ADDRESSREPLY:
        ns->snmp.icmp.InAddrMaskReps++;
        break;
    default:
        break;
    }
drop:
    pbuf_free(p);
}
