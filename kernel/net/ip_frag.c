/*
 * ip_frag.c - IPv4 fragmentation on output and reassembly on input.
 *
 * Reassembly (RFC 791 3.2, RFC 815): ip_input -> ip_reass_add. Fragments
 * of one datagram (same source, destination, protocol and ID) wait in a
 * list sorted by offset, payload only. Every limit is explicit, because
 * fragments are the cheapest way to make a host hold memory:
 *
 *  - at most reass_max_datagrams incomplete datagrams and reass_max_bytes
 *    of pbufs; beyond either, the oldest datagram is dropped;
 *  - at most reass_max_frags fragments per datagram;
 *  - 30 s to complete (then ICMP time exceeded if the first fragment came);
 *  - a datagram may not end beyond 65535 bytes ("ping of death");
 *  - overlapping fragments drop the whole datagram, as Linux does since
 *    2018 (exact duplicates are ignored): an overlap is never legitimate
 *    and resolving it is how filters get evaded.
 *
 * Fragmentation: ip_output -> ip_fragment_output, when a packet without DF
 * exceeds the interface MTU.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/icmp.h"
#include "net/netenv.h"
#include "net/stack.h"

struct reass_dgram {
    struct list_head link; /* ns->reass.datagrams, oldest first */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    bool have_first, have_last;
    uint64_t deadline;
    struct list_head frags; /* payload pbufs by offset (meta.frag) */
    uint32_t nfrags;
    uint32_t total; /* payload length, known once the last fragment came */
    uint32_t bytes; /* truesize held */
    uint16_t hlen;
    uint8_t hdr[IP_MAX_HLEN + 8]; /* first fragment's header + 8 bytes, for ICMP */
    uint16_t quoted;
};

static void dgram_free(struct netstack *ns, struct reass_dgram *d)
{
    list_del(&d->link);
    ns->reass.ndatagrams--;
    ns->reass.bytes -= d->bytes;
    pbuf_free_list(&d->frags);
    netenv_free(d);
}

static void dgram_fail(struct netstack *ns, struct reass_dgram *d)
{
    ns->snmp.ip.ReasmFails++;
    dgram_free(ns, d);
}

static struct reass_dgram *dgram_find(struct netstack *ns, uint32_t src, uint32_t dst, uint16_t id,
                                      uint8_t proto)
{
    struct reass_dgram *d;

    list_for_each_entry (d, &ns->reass.datagrams, link) {
        if (d->src == src && d->dst == dst && d->id == id && d->proto == proto)
            return d;
    }
    return NULL;
}

static struct reass_dgram *dgram_new(struct netstack *ns, uint32_t src, uint32_t dst, uint16_t id,
                                     uint8_t proto)
{
    struct reass_dgram *d;

    if (ns->reass.ndatagrams >= ns->limits.reass_max_datagrams)
        dgram_fail(ns, list_first_entry(&ns->reass.datagrams, struct reass_dgram, link));
    d = netenv_zalloc(sizeof(*d));
    if (d == NULL)
        return NULL;
    d->src = src;
    d->dst = dst;
    d->id = id;
    d->proto = proto;
    d->deadline = ns->now + IP_REASS_TIMEOUT_NS;
    list_init(&d->frags);
    list_add_tail(&d->link, &ns->reass.datagrams);
    ns->reass.ndatagrams++;
    net_timer_arm(ns, d->deadline);
    return d;
}

/* The datagram is complete: one pbuf with a rebuilt header. */
static struct pbuf *dgram_build(struct netstack *ns, struct reass_dgram *d)
{
    struct pbuf *p = pbuf_alloc(PBUF_LINK_HEADROOM, d->hlen + d->total), *f;
    struct ip_hdr *ih;

    if (p == NULL) {
        dgram_fail(ns, d);
        return NULL;
    }
    memcpy(p->data, d->hdr, d->hlen);
    list_for_each_entry (f, &d->frags, link) {
        memcpy(p->data + d->hlen + f->meta.frag.offset, f->data, f->len);
    }
    ih = (struct ip_hdr *)p->data;
    ih->tot_len = net_htons((uint16_t)(d->hlen + d->total));
    ih->frag_off = 0;
    ih->csum = 0;
    ih->csum = net_htons(inet_csum(ih, d->hlen));
    ns->snmp.ip.ReasmOKs++;
    dgram_free(ns, d);
    return p;
}

static bool dgram_complete(const struct reass_dgram *d)
{
    const struct pbuf *f;
    uint32_t next = 0;

    if (!d->have_first || !d->have_last)
        return false;
    list_for_each_entry (f, &d->frags, link) {
        if (f->meta.frag.offset != next)
            return false;
        next += f->len;
    }
    return next == d->total;
}

struct pbuf *ip_reass_add(struct netstack *ns, struct pbuf *p)
{
    const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
    uint16_t hlen = (ih->ver_ihl & 0x0f) * 4;
    uint16_t frag = net_ntohs(ih->frag_off);
    uint32_t off = (uint32_t)(frag & IP_OFFMASK) * 8;
    uint32_t len = p->len - hlen;
    bool more = (frag & IP_MF) != 0;
    struct reass_dgram *d;
    struct pbuf *f;

    /* Non-final fragments carry a multiple of 8 bytes, and never nothing. */
    if ((more && (len == 0 || (len & 7) != 0)) || hlen + off + len > IP_MAX_LEN) {
        ns->snmp.ip.ReasmFails++;
        pbuf_free(p);
        return NULL;
    }
    d = dgram_find(ns, net_ntohl(ih->src), net_ntohl(ih->dst), net_ntohs(ih->id), ih->proto);
    if (d == NULL) {
        d = dgram_new(ns, net_ntohl(ih->src), net_ntohl(ih->dst), net_ntohs(ih->id), ih->proto);
        if (d == NULL) {
            ns->snmp.ip.ReasmFails++;
            pbuf_free(p);
            return NULL;
        }
    }
    if (!more) {
        if ((d->have_last && d->total != off + len))
            goto bad;
        d->have_last = true;
        d->total = off + len;
    }
    if (d->have_last && off + len > d->total)
        goto bad;
    list_for_each_entry (f, &d->frags, link) {
        uint32_t fo = f->meta.frag.offset, fl = f->len;
        if (off < fo + fl && fo < off + len) {
            if (fo == off && fl == len) {
                pbuf_free(p); /* a duplicate: keep the first copy */
                return NULL;
            }
            goto bad;
        }
        if (d->have_last && fo + fl > d->total)
            goto bad;
    }
    if (d->nfrags >= ns->limits.reass_max_frags)
        goto bad;

    if (off == 0) {
        d->have_first = true;
        d->hlen = hlen;
        d->quoted = (uint16_t)(hlen + MIN(len, 8u));
        memcpy(d->hdr, p->data, d->quoted);
    }
    pbuf_pull(p, hlen);
    p->meta.frag.offset = (uint16_t)off;
    /* Insert sorted by offset. */
    list_for_each_entry (f, &d->frags, link) {
        if (f->meta.frag.offset > off)
            break;
    }
    list_add_tail(&p->link, &f->link);
    d->nfrags++;
    d->bytes += (uint32_t)pbuf_truesize(p);
    ns->reass.bytes += (uint32_t)pbuf_truesize(p);

    /* Over the memory limit: drop the oldest datagrams (maybe this one). */
    while (ns->reass.bytes > ns->limits.reass_max_bytes) {
        struct reass_dgram *old = list_first_entry(&ns->reass.datagrams, struct reass_dgram, link);
        bool self = old == d;
        dgram_fail(ns, old);
        if (self)
            return NULL;
    }
    if (dgram_complete(d))
        return dgram_build(ns, d);
    return NULL;

bad:
    pbuf_free(p);
    dgram_fail(ns, d);
    return NULL;
}

void ip_reass_timer(struct netstack *ns)
{
    struct reass_dgram *d, *tmp;

    list_for_each_entry_safe (d, tmp, &ns->reass.datagrams, link) {
        if (d->deadline > ns->now) {
            net_timer_arm(ns, d->deadline);
            continue;
        }
        ns->snmp.ip.ReasmTimeout++;
        if (d->have_first) {
            /* RFC 792: time exceeded, code 1, quoting the first fragment. */
            struct ip_rx rx = {
                .netif = NULL,
                .src = d->src,
                .dst = d->dst,
                .proto = d->proto,
                .iphdr = d->hdr,
                .iphdr_len = d->hlen,
                .ip_total_len = d->quoted,
            };
            icmp_send_error(ns, &rx, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
        }
        dgram_fail(ns, d);
    }
}

void ip_reass_flush(struct netstack *ns)
{
    while (!list_empty(&ns->reass.datagrams))
        dgram_free(ns, list_first_entry(&ns->reass.datagrams, struct reass_dgram, link));
}

int ip_fragment_output(struct netif *nif, struct pbuf *p, uint32_t nexthop, uint16_t mtu)
{
    struct netstack *ns = nif->ns;
    const struct ip_hdr *ih = (const struct ip_hdr *)p->data;
    uint16_t hlen = (ih->ver_ihl & 0x0f) * 4;
    uint32_t total = p->len - hlen;
    uint32_t chunk = (uint32_t)(mtu - hlen) & ~7u;
    int err = 0;

    if (chunk == 0) {
        ns->snmp.ip.FragFails++;
        pbuf_free(p);
        return -EMSGSIZE;
    }
    for (uint32_t off = 0; off < total; off += chunk) {
        uint32_t len = MIN(chunk, total - off);
        bool last = off + len == total;
        struct pbuf *f = pbuf_alloc(PBUF_LINK_HEADROOM, hlen + len);
        struct ip_hdr *fh;

        if (f == NULL) {
            err = -ENOBUFS;
            break;
        }
        memcpy(f->data, p->data, hlen);
        memcpy(f->data + hlen, p->data + hlen + off, len);
        fh = (struct ip_hdr *)f->data;
        fh->tot_len = net_htons((uint16_t)(hlen + len));
        fh->frag_off = net_htons((uint16_t)((off / 8) | (last ? 0 : IP_MF)));
        fh->csum = 0;
        fh->csum = net_htons(inet_csum(fh, hlen));
        ns->snmp.ip.FragCreates++;
        err = ip_output_link(nif, f, nexthop);
        if (err != 0)
            break;
    }
    if (err == 0)
        ns->snmp.ip.FragOKs++;
    else
        ns->snmp.ip.FragFails++;
    pbuf_free(p);
    return err;
}
