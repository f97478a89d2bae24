/*
 * ip.c - IPv4 input and output (RFC 791, RFC 1122 3.2.1).
 *
 * Input: ether_input / the loopback -> ip_input: validate the header
 * (version, lengths, checksum, addresses), accept what is addressed to one
 * of our addresses or a broadcast (weak host model: any address on any
 * interface), reassemble fragments (ip_frag.c), hand the payload to ICMP,
 * UDP or TCP. This host never forwards: anything else is counted and
 * dropped.
 *
 * Output: transports -> ip_output: choose the interface and next hop
 * (local addresses go through "lo", 255.255.255.255 out of the first
 * Ethernet interface, the rest through the routing table), fill in the
 * header, finish a deferred checksum unless the NIC does it, fragment when
 * needed, and pass the packet to ARP or the loopback queue.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/icmp.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

bool ip_is_local(struct netstack *ns, uint32_t addr)
{
    struct netif *nif;

    if (ip4_is_loopback(addr))
        return true;
    if (addr == 0)
        return false;
    list_for_each_entry (nif, &ns->netifs, link) {
        if (nif->addr == addr)
            return true;
    }
    return false;
}

static bool is_subnet_broadcast(const struct netif *nif, uint32_t addr)
{
    return nif->addr != 0 && nif->netmask != 0xffffffffu && nif->netmask != 0 &&
           addr == (nif->addr | ~nif->netmask);
}

bool ip_is_broadcast(struct netstack *ns, uint32_t addr, struct netif *nif)
{
    struct netif *it;

    if (addr == IP4_BROADCAST)
        return true;
    if (nif != NULL)
        return is_subnet_broadcast(nif, addr);
    list_for_each_entry (it, &ns->netifs, link) {
        if (is_subnet_broadcast(it, addr))
            return true;
    }
    return false;
}

void ip_csum_complete(struct pbuf *p)
{
    size_t start = pbuf_csum_start(p);
    uint8_t *field;
    uint16_t sum;

    if (!(p->flags & PBUF_F_CSUM_PARTIAL))
        return;
    p->flags &= ~PBUF_F_CSUM_PARTIAL;
    if (start + p->csum_offset + 2 > p->len)
        return;
    field = p->data + start + p->csum_offset;
    /* The field holds the pseudo-header sum, so it is part of the sum. */
    sum = inet_csum(p->data + start, p->len - start);
    if (sum == 0 && p->csum_offset == 6)
        sum = 0xffff; /* UDP: zero means "no checksum" */
    put_be16(field, sum);
}

/*
 * Where a packet to dst goes: *nif and *nexthop. forced is the interface
 * the caller insists on (DHCP before it has an address), or NULL.
 */
static int ip_route(struct netstack *ns, uint32_t dst, struct netif *forced, struct netif **nif,
                    uint32_t *nexthop)
{
    struct netif *it;

    if (forced != NULL) {
        *nif = forced;
        *nexthop = dst;
        if (!ip_is_broadcast(ns, dst, forced) && forced->addr != 0 &&
            (dst & forced->netmask) != (forced->addr & forced->netmask) && forced->gateway != 0)
            *nexthop = forced->gateway;
        return 0;
    }
    if (ip_is_local(ns, dst)) {
        *nif = ns->loopback;
        *nexthop = dst;
        return 0;
    }
    if (dst == IP4_BROADCAST) {
        list_for_each_entry (it, &ns->netifs, link) {
            if (!(it->flags & NETIF_F_LOOPBACK) && netif_is_usable(it)) {
                *nif = it;
                *nexthop = dst;
                return 0;
            }
        }
        return -ENETUNREACH;
    }
    *nif = route_lookup(ns, dst, nexthop);
    return *nif != NULL ? 0 : -ENETUNREACH;
}

uint32_t ip_route_source(struct netstack *ns, uint32_t dst, struct netif *forced, uint16_t *mtu)
{
    struct netif *nif;
    uint32_t nexthop;

    if (ip_route(ns, dst, forced, &nif, &nexthop) != 0)
        return 0;
    if (mtu != NULL)
        *mtu = nif->mtu;
    /* Talking to ourselves: from the address that was asked for. */
    return nif == ns->loopback ? dst : nif->addr;
}

int ip_output_link(struct netif *nif, struct pbuf *p, uint32_t nexthop)
{
    if (nif->flags & NETIF_F_LOOPBACK)
        return nif->output(nif, p);
    return arp_output(nif, p, nexthop);
}

int ip_output(struct netstack *ns, struct pbuf *p, const struct ip_tx *tx)
{
    struct netif *nif;
    struct ip_hdr *ih;
    uint32_t nexthop, src;
    int err;

    ns->snmp.ip.OutRequests++;
    err = ip_route(ns, tx->dst, tx->netif, &nif, &nexthop);
    if (err != 0) {
        ns->snmp.ip.OutNoRoutes++;
        goto drop;
    }
    if (!netif_is_usable(nif)) {
        err = -ENETDOWN;
        goto discard;
    }
    if (!tx->allow_broadcast && ip_is_broadcast(ns, tx->dst, NULL)) {
        err = -EACCES;
        goto discard;
    }
    src = tx->src;
    if (src == 0)
        src = nif == ns->loopback ? tx->dst : nif->addr;
    if (src == 0 && tx->netif == NULL) {
        err = -EADDRNOTAVAIL;
        goto discard;
    }
    if ((p->flags & PBUF_F_CSUM_PARTIAL) && !(nif->flags & NETIF_F_TX_CSUM))
        ip_csum_complete(p);

    ih = pbuf_push(p, IP_HLEN);
    if (ih == NULL || p->len > IP_MAX_LEN) {
        err = ih == NULL ? -ENOBUFS : -EMSGSIZE;
        goto discard;
    }
    ih->ver_ihl = 0x45;
    ih->tos = tx->tos;
    ih->tot_len = net_htons((uint16_t)p->len);
    ih->id = net_htons(ns->ip_id++);
    ih->frag_off = net_htons(tx->df ? IP_DF : 0);
    ih->ttl = tx->ttl != 0 ? tx->ttl : IP_DEFAULT_TTL;
    ih->proto = tx->proto;
    ih->csum = 0;
    ih->src = net_htonl(src);
    ih->dst = net_htonl(tx->dst);
    ih->csum = net_htons(inet_csum(ih, IP_HLEN));
    ns->snmp.ipext.OutOctets += p->len;
    if (ip_is_broadcast(ns, tx->dst, NULL))
        ns->snmp.ipext.OutBcastPkts++;

    if (p->len > nif->mtu) {
        if (tx->df) {
            ns->snmp.ip.FragFails++;
            err = -EMSGSIZE;
            goto discard;
        }
        ip_csum_complete(p);
        return ip_fragment_output(nif, p, nexthop, nif->mtu);
    }
    return ip_output_link(nif, p, nexthop);

discard:
    ns->snmp.ip.OutDiscards++;
drop:
    pbuf_free(p);
    return err;
}

/* Is a packet to dst on nif for us? Sets *bcast for broadcasts. */
static bool ip_accept(struct netstack *ns, struct netif *nif, uint32_t dst, uint8_t proto,
                      bool *bcast)
{
    *bcast = false;
    if (nif->flags & NETIF_F_LOOPBACK)
        return ip_is_local(ns, dst);
    if (ip4_is_loopback(dst))
        return false; /* martian: 127/8 never comes from a wire */
    if (dst == IP4_BROADCAST || ip_is_broadcast(ns, dst, nif)) {
        *bcast = true;
        return true;
    }
    if (ip_is_local(ns, dst))
        return true;
    /* Before it has an address, DHCP may be answered by unicast. */
    return nif->addr == 0 && proto == IPPROTO_UDP;
}

void ip_input(struct netif *nif, struct pbuf *p)
{
    struct netstack *ns = nif->ns;
    const struct ip_hdr *ih;
    struct ip_rx rx;
    uint16_t hlen, tot, frag;
    bool bcast;

    ns->snmp.ip.InReceives++;
    if (p->len < IP_HLEN)
        goto hdr_error;
    ih = (const struct ip_hdr *)p->data;
    hlen = (ih->ver_ihl & 0x0f) * 4;
    tot = net_ntohs(ih->tot_len);
    if ((ih->ver_ihl >> 4) != 4 || hlen < IP_HLEN || hlen > p->len || tot < hlen)
        goto hdr_error;
    if (tot > p->len) {
        ns->snmp.ipext.InTruncatedPkts++;
        goto drop;
    }
    if (inet_csum(ih, hlen) != 0) {
        ns->snmp.ipext.InCsumErrors++;
        goto hdr_error;
    }
    pbuf_trim(p, tot); /* Ethernet padding */

    memset(&rx, 0, sizeof(rx));
    rx.netif = nif;
    rx.src = net_ntohl(ih->src);
    rx.dst = net_ntohl(ih->dst);
    rx.proto = ih->proto;
    rx.ttl = ih->ttl;
    rx.tos = ih->tos;
    if (!ip4_is_valid_source(rx.src) ||
        (ip4_is_loopback(rx.src) && !(nif->flags & NETIF_F_LOOPBACK))) {
        ns->snmp.ip.InAddrErrors++;
        goto drop;
    }
    if (!ip_accept(ns, nif, rx.dst, rx.proto, &bcast)) {
        ns->snmp.ip.InAddrErrors++;
        goto drop;
    }
    rx.broadcast = bcast || (p->flags & PBUF_F_BROADCAST) != 0;
    ns->snmp.ipext.InOctets += tot;
    if (rx.broadcast)
        ns->snmp.ipext.InBcastPkts++;

    frag = net_ntohs(ih->frag_off);
    if (frag & (IP_MF | IP_OFFMASK)) {
        ns->snmp.ip.ReasmReqds++;
        p = ip_reass_add(ns, p);
        if (p == NULL)
            return;
        ih = (const struct ip_hdr *)p->data;
        hlen = (ih->ver_ihl & 0x0f) * 4;
        tot = net_ntohs(ih->tot_len);
    }
    rx.iphdr = p->data;
    rx.iphdr_len = hlen;
    rx.ip_total_len = tot;
    pbuf_pull(p, hlen);

    switch (rx.proto) {
    case IPPROTO_ICMP:
        ns->snmp.ip.InDelivers++;
        icmp_input(ns, p, &rx);
        return;
    case IPPROTO_UDP:
        ns->snmp.ip.InDelivers++;
        udp_input(ns, p, &rx);
        return;
    case IPPROTO_TCP:
        ns->snmp.ip.InDelivers++;
        tcp_input(ns, p, &rx);
        return;
    default:
        ns->snmp.ip.InUnknownProtos++;
        icmp_send_error(ns, &rx, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
        goto drop;
    }

hdr_error:
    ns->snmp.ip.InHdrErrors++;
    nif->stats.rx_errors++;
drop:
    pbuf_free(p);
}
