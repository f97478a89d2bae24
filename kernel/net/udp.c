/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1) and the endpoint table that ping
 * sockets share (see udp.h).
 *
 * Input: ip_input -> udp_input: check length and checksum, find the
 * endpoint (connected match first, then a bound address, then the
 * wildcard), call its recv callback. Broadcasts go to every endpoint bound
 * to the port. Nobody listening on a unicast port draws ICMP port
 * unreachable.
 *
 * Output: socket.c / dhcp.c -> udp_send -> ip_output. The checksum is left
 * for the NIC or ip_output to finish (CSUM_PARTIAL).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/icmp.h"
#include "net/netenv.h"
#include "net/stack.h"
#include "net/udp.h"

#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999
#define UDP_MAX_PAYLOAD (IP_MAX_LEN - IP_HLEN - UDP_HLEN)

static struct list_head *pcb_list(struct netstack *ns, uint8_t proto)
{
    return proto == IPPROTO_ICMP ? &ns->ping_pcbs : &ns->udp_pcbs;
}

struct udp_pcb *udp_pcb_new(struct netstack *ns, uint8_t proto, udp_recv_fn recv,
                            udp_error_fn error, void *arg)
{
    struct udp_pcb *pcb = netenv_zalloc(sizeof(*pcb));

    if (pcb == NULL)
        return NULL;
    pcb->ns = ns;
    pcb->proto = proto;
    pcb->recv = recv;
    pcb->error = error;
    pcb->arg = arg;
    list_add_tail(&pcb->link, pcb_list(ns, proto));
    return pcb;
}

void udp_pcb_free(struct udp_pcb *pcb)
{
    if (pcb == NULL)
        return;
    list_del(&pcb->link);
    netenv_free(pcb);
}

void udp_flush(struct netstack *ns)
{
    while (!list_empty(&ns->udp_pcbs))
        udp_pcb_free(list_first_entry(&ns->udp_pcbs, struct udp_pcb, link));
    while (!list_empty(&ns->ping_pcbs))
        udp_pcb_free(list_first_entry(&ns->ping_pcbs, struct udp_pcb, link));
}

static bool port_in_use(struct udp_pcb *self, uint32_t addr, uint16_t port)
{
    struct udp_pcb *o;

    list_for_each_entry (o, pcb_list(self->ns, self->proto), link) {
        if (o == self || o->lport != port)
            continue;
        if (o->laddr != 0 && addr != 0 && o->laddr != addr)
            continue;
        if (o->reuseaddr && self->reuseaddr)
            continue;
        return true;
    }
    return false;
}

int udp_bind(struct udp_pcb *pcb, uint32_t addr, uint16_t port)
{
    struct netstack *ns = pcb->ns;
    uint16_t start;

    if (pcb->lport != 0)
        return -EINVAL;
    if (addr != 0 && !ip_is_local(ns, addr) && !ip_is_broadcast(ns, addr, NULL))
        return -EADDRNOTAVAIL;
    if (port != 0) {
        if (port_in_use(pcb, addr, port))
            return -EADDRINUSE;
        pcb->laddr = addr;
        pcb->lport = port;
        return 0;
    }
    /* RFC 6056 algorithm 1: a random start, then the next free port. */
    netenv_random_bytes(&start, sizeof(start));
    start = EPHEMERAL_LOW + start % (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1);
    for (uint32_t i = 0; i <= EPHEMERAL_HIGH - EPHEMERAL_LOW; i++) {
        uint16_t candidate = (uint16_t)(EPHEMERAL_LOW + (start - EPHEMERAL_LOW + i) %
                                                            (EPHEMERAL_HIGH - EPHEMERAL_LOW + 1));
        if (!port_in_use(pcb, addr, candidate)) {
            pcb->laddr = addr;
            pcb->lport = candidate;
            return 0;
        }
    }
    return -EADDRINUSE;
}

int udp_connect(struct udp_pcb *pcb, uint32_t addr, uint16_t port)
{
    int err;

    if (pcb->lport == 0) {
        err = udp_bind(pcb, 0, 0);
        if (err != 0)
            return err;
    }
    pcb->raddr = addr;
    pcb->rport = port;
    pcb->connected = true;
    return 0;
}

void udp_disconnect(struct udp_pcb *pcb)
{
    pcb->connected = false;
    pcb->raddr = 0;
    pcb->rport = 0;
}

int udp_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst, uint16_t dport)
{
    struct netstack *ns = pcb->ns;
    struct udp_hdr *uh;
    struct ip_tx tx;
    uint32_t src;
    int err;

    if (p->len > UDP_MAX_PAYLOAD) {
        err = -EMSGSIZE;
        goto drop;
    }
    if (ip_is_broadcast(ns, dst, NULL) && !pcb->broadcast) {
        err = -EACCES;
        goto drop;
    }
    if (pcb->lport == 0) {
        err = udp_bind(pcb, 0, 0);
        if (err != 0)
            goto drop;
    }
    src = pcb->laddr;
    if (src == 0 || ip_is_broadcast(ns, src, NULL))
        src = ip_route_source(ns, dst, pcb->netif, NULL);
    if (src == 0 && pcb->netif == NULL) {
        ns->snmp.ip.OutNoRoutes++;
        err = -ENETUNREACH;
        goto drop;
    }
    uh = pbuf_push(p, UDP_HLEN);
    if (uh == NULL) {
        err = -ENOBUFS;
        goto drop;
    }
    uh->sport = net_htons(pcb->lport);
    uh->dport = net_htons(dport);
    uh->len = net_htons((uint16_t)p->len);
    put_be16(&uh->csum, (uint16_t)inet_pseudo_sum(src, dst, IPPROTO_UDP, (uint16_t)p->len));
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = (uint16_t)pbuf_headroom(p);
    p->csum_offset = 6;

    memset(&tx, 0, sizeof(tx));
    tx.src = src;
    tx.dst = dst;
    tx.proto = IPPROTO_UDP;
    tx.ttl = pcb->ttl;
    tx.tos = pcb->tos;
    tx.allow_broadcast = pcb->broadcast;
    tx.netif = pcb->netif;
    err = ip_output(ns, p, &tx);
    if (err == 0)
        ns->snmp.udp.OutDatagrams++;
    else if (err == -ENOBUFS)
        ns->snmp.udp.SndbufErrors++;
    return err;
drop:
    pbuf_free(p);
    return err;
}

static bool pcb_matches(const struct udp_pcb *pcb, const struct ip_rx *rx, uint16_t sport,
                        uint16_t dport)
{
    if (pcb->lport != dport)
        return false;
    if (pcb->netif != NULL && pcb->netif != rx->netif)
        return false;
    if (pcb->connected && (pcb->raddr != rx->src || pcb->rport != sport))
        return false;
    if (pcb->laddr != 0 && pcb->laddr != rx->dst && !rx->broadcast)
        return false;
    return true;
}

/* The best endpoint for a unicast datagram: the most specific match. */
static struct udp_pcb *udp_lookup(struct netstack *ns, const struct ip_rx *rx, uint16_t sport,
                                  uint16_t dport)
{
    struct udp_pcb *pcb, *best = NULL;
    int best_score = -1;

    list_for_each_entry (pcb, &ns->udp_pcbs, link) {
        int score;
        if (!pcb_matches(pcb, rx, sport, dport))
            continue;
        score = (pcb->connected ? 2 : 0) + (pcb->laddr != 0 ? 1 : 0);
        if (score > best_score) {
            best = pcb;
            best_score = score;
        }
    }
    return best;
}

void udp_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx)
{
    const struct udp_hdr *uh;
    struct udp_pcb *pcb, *last = NULL;
    uint16_t ulen, sport, dport;

    if (p->len < UDP_HLEN)
        goto error;
    uh = (const struct udp_hdr *)p->data;
    ulen = net_ntohs(uh->len);
    if (ulen < UDP_HLEN || ulen > p->len)
        goto error;
    pbuf_trim(p, ulen);
    if (uh->csum != 0 && !(p->flags & PBUF_F_CSUM_VERIFIED)) {
        uint32_t sum = inet_pseudo_sum(rx->src, rx->dst, IPPROTO_UDP, ulen);
        if (inet_csum_fold(inet_csum_partial(p->data, p->len, sum)) != 0) {
            ns->snmp.udp.InCsumErrors++;
            goto error;
        }
    }
    sport = net_ntohs(uh->sport);
    dport = net_ntohs(uh->dport);

    if (rx->broadcast) {
        /* Every endpoint on the port gets a copy. */
        list_for_each_entry (pcb, &ns->udp_pcbs, link) {
            if (!pcb_matches(pcb, rx, sport, dport))
                continue;
            if (last != NULL) {
                struct pbuf *copy = pbuf_copy(p, 0);
                if (copy != NULL) {
                    pbuf_pull(copy, UDP_HLEN);
                    ns->snmp.udp.InDatagrams++;
                    last->recv(last->arg, last, copy, rx, sport);
                } else {
                    ns->snmp.udp.MemErrors++;
                }
            }
            last = pcb;
        }
        if (last == NULL) {
            ns->snmp.udp.IgnoredMulti++;
            goto drop;
        }
        pcb = last;
    } else {
        pcb = udp_lookup(ns, rx, sport, dport);
        if (pcb == NULL) {
            ns->snmp.udp.NoPorts++;
            icmp_send_error(ns, rx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
            goto drop;
        }
    }
    pbuf_pull(p, UDP_HLEN);
    ns->snmp.udp.InDatagrams++;
    pcb->recv(pcb->arg, pcb, p, rx, sport);
    return;

error:
    ns->snmp.udp.InErrors++;
drop:
    pbuf_free(p);
}

void udp_icmp_error(struct netstack *ns, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                    uint16_t dport, int err)
{
    struct udp_pcb *pcb;

    list_for_each_entry (pcb, pcb_list(ns, proto), link) {
        if (pcb->lport != sport || (pcb->laddr != 0 && pcb->laddr != src))
            continue;
        /* Like Linux without IP_RECVERR: only connected endpoints hear of it. */
        if (proto == IPPROTO_UDP && (!pcb->connected || pcb->raddr != dst || pcb->rport != dport))
            continue;
        if (proto == IPPROTO_ICMP && (!pcb->connected || pcb->raddr != dst))
            continue;
        if (pcb->error != NULL)
            pcb->error(pcb->arg, pcb, err);
        return;
    }
}
