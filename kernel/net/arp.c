/*
 * arp.c - ARP for IPv4 over Ethernet (RFC 826), see arp.h.
 *
 * The cache of each interface is an array of arp_max_entries slots, found
 * by a linear search that starts at the slot of the last hit (a host talks
 * mostly to its gateway). Entry lifecycle:
 *
 *   (none) --arp_output--> INCOMPLETE --reply--> REACHABLE --60 s-->
 *     refresh by unicast requests if used, else forgotten
 *   INCOMPLETE --3 requests unanswered--> forgotten, queued packets dropped
 *
 * Floods are bounded: a full cache evicts the least recently used entry,
 * and each unresolved address holds at most arp_max_queue packets (the
 * oldest is dropped first, as Linux does).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/ether.h"
#include "net/netenv.h"
#include "net/stack.h"

int arp_init_netif(struct netif *nif)
{
    uint32_t n = nif->ns->limits.arp_max_entries;

    nif->arp = netenv_zalloc(n * sizeof(struct arp_entry));
    if (nif->arp == NULL)
        return -ENOMEM;
    nif->arp_nentries = n;
    for (uint32_t i = 0; i < n; i++)
        list_init(&nif->arp[i].queue);
    return 0;
}

static void queue_drop_first(struct netif *nif, struct arp_entry *e)
{
    struct pbuf *old = list_first_entry(&e->queue, struct pbuf, link);

    list_del(&old->link);
    nif->arp_queue_bytes -= (uint32_t)pbuf_truesize(old);
    pbuf_free(old);
    e->qlen--;
}

static void entry_clear(struct netif *nif, struct arp_entry *e)
{
    while (e->qlen > 0)
        queue_drop_first(nif, e);
    e->state = ARP_FREE;
    e->tries = 0;
}

void arp_free_netif(struct netif *nif)
{
    if (nif->arp == NULL)
        return;
    for (uint32_t i = 0; i < nif->arp_nentries; i++)
        entry_clear(nif, &nif->arp[i]);
    netenv_free(nif->arp);
    nif->arp = NULL;
    nif->arp_nentries = 0;
}

static struct arp_entry *entry_find(struct netif *nif, uint32_t ip)
{
    struct arp_entry *e = &nif->arp[nif->arp_hint];

    if (e->state != ARP_FREE && e->ip == ip)
        return e;
    for (uint32_t i = 0; i < nif->arp_nentries; i++) {
        e = &nif->arp[i];
        if (e->state != ARP_FREE && e->ip == ip) {
            nif->arp_hint = i;
            return e;
        }
    }
    return NULL;
}

/* A free slot, or the least recently used non-permanent one, emptied. */
static struct arp_entry *entry_alloc(struct netif *nif, uint32_t ip)
{
    struct arp_entry *victim = NULL;

    for (uint32_t i = 0; i < nif->arp_nentries; i++) {
        struct arp_entry *e = &nif->arp[i];
        if (e->state == ARP_FREE) {
            victim = e;
            break;
        }
        if (e->state == ARP_PERMANENT)
            continue;
        if (victim == NULL || e->last_used < victim->last_used)
            victim = e;
    }
    if (victim == NULL)
        return NULL;
    if (victim->state != ARP_FREE) {
        nif->ns->snmp.arp.Evictions++;
        entry_clear(nif, victim);
    }
    victim->ip = ip;
    victim->last_used = nif->ns->now;
    return victim;
}

static int arp_send(struct netif *nif, uint16_t op, const uint8_t eth_dst[ETH_ALEN],
                    const uint8_t tha[ETH_ALEN], uint32_t tpa, uint32_t spa)
{
    struct pbuf *p = pbuf_alloc(PBUF_LINK_HEADROOM, sizeof(struct arp_hdr));
    struct arp_hdr *ah;

    if (p == NULL)
        return -ENOBUFS;
    ah = (struct arp_hdr *)p->data;
    ah->hrd = net_htons(ARP_HRD_ETHER);
    ah->pro = net_htons(ETH_P_IP);
    ah->hln = ETH_ALEN;
    ah->pln = 4;
    ah->op = net_htons(op);
    memcpy(ah->sha, nif->mac, ETH_ALEN);
    put_be32(ah->spa, spa);
    memcpy(ah->tha, tha, ETH_ALEN);
    put_be32(ah->tpa, tpa);
    if (op == ARP_OP_REQUEST)
        nif->ns->snmp.arp.OutRequests++;
    else
        nif->ns->snmp.arp.OutReplies++;
    return ether_output(nif, p, eth_dst, ETH_P_ARP);
}

static void send_request(struct netif *nif, uint32_t ip, const uint8_t *unicast_mac)
{
    static const uint8_t zero[ETH_ALEN];

    arp_send(nif, ARP_OP_REQUEST, unicast_mac != NULL ? unicast_mac : ether_broadcast, zero, ip,
             nif->addr);
}

void arp_announce(struct netif *nif)
{
    static const uint8_t zero[ETH_ALEN];

    if (nif->arp == NULL || nif->addr == 0 || (nif->flags & NETIF_F_NOARP))
        return;
    arp_send(nif, ARP_OP_REQUEST, ether_broadcast, zero, nif->addr, nif->addr);
}

/* The entry for ip now has mac: send what waited for it. */
static void entry_resolved(struct netif *nif, struct arp_entry *e, const uint8_t mac[ETH_ALEN])
{
    struct pbuf *p, *tmp;

    if (e->state == ARP_INCOMPLETE)
        nif->ns->snmp.arp.Resolved++;
    memcpy(e->mac, mac, ETH_ALEN);
    e->state = ARP_REACHABLE;
    e->tries = 0;
    e->expires = nif->ns->now + ARP_REACHABLE_NS;
    net_timer_arm(nif->ns, e->expires);
    list_for_each_entry_safe (p, tmp, &e->queue, link) {
        list_del(&p->link);
        nif->arp_queue_bytes -= (uint32_t)pbuf_truesize(p);
        ether_output(nif, p, e->mac, ETH_P_IP);
    }
    e->qlen = 0;
}

void arp_input(struct netif *nif, struct pbuf *p)
{
    struct netstack *ns = nif->ns;
    const struct arp_hdr *ah;
    struct arp_entry *e;
    uint32_t spa, tpa;
    uint16_t op;

    if (p->len < sizeof(*ah) || nif->arp == NULL)
        goto bad;
    ah = (const struct arp_hdr *)p->data;
    op = net_ntohs(ah->op);
    if (net_ntohs(ah->hrd) != ARP_HRD_ETHER || net_ntohs(ah->pro) != ETH_P_IP ||
        ah->hln != ETH_ALEN || ah->pln != 4 || (op != ARP_OP_REQUEST && op != ARP_OP_REPLY))
        goto bad;
    /* A sender hardware address must be unicast. */
    if (ah->sha[0] & 1)
        goto bad;
    spa = get_be32(ah->spa);
    tpa = get_be32(ah->tpa);
    if (op == ARP_OP_REQUEST)
        ns->snmp.arp.InRequests++;
    else
        ns->snmp.arp.InReplies++;

    if (nif->addr != 0 && spa == nif->addr) {
        if (memcmp(ah->sha, nif->mac, ETH_ALEN) != 0) {
            ns->snmp.arp.Conflicts++;
            net_warn("%s: address %u.%u.%u.%u is also used by %02x:%02x:%02x:%02x:%02x:%02x",
                     nif->name, spa >> 24, (spa >> 16) & 255, (spa >> 8) & 255, spa & 255,
                     ah->sha[0], ah->sha[1], ah->sha[2], ah->sha[3], ah->sha[4], ah->sha[5]);
        }
        goto done;
    }

    /* RFC 826 merge: refresh what we know about the sender. */
    e = spa != 0 ? entry_find(nif, spa) : NULL;
    if (e != NULL && e->state != ARP_PERMANENT)
        entry_resolved(nif, e, ah->sha);

    if (nif->addr == 0 || tpa != nif->addr)
        goto done;
    /* The packet is for us: remember the sender, answer a request. */
    if (e == NULL && ip4_is_valid_source(spa)) {
        e = entry_alloc(nif, spa);
        if (e != NULL)
            entry_resolved(nif, e, ah->sha);
    }
    if (op == ARP_OP_REQUEST)
        arp_send(nif, ARP_OP_REPLY, ah->sha, ah->sha, spa, nif->addr);
done:
    pbuf_free(p);
    return;
bad:
    ns->snmp.arp.InErrors++;
    nif->stats.rx_errors++;
    pbuf_free(p);
}

static void mac_for_multicast(uint32_t ip, uint8_t mac[ETH_ALEN])
{
    mac[0] = 0x01;
    mac[1] = 0x00;
    mac[2] = 0x5e;
    mac[3] = (ip >> 16) & 0x7f;
    mac[4] = (ip >> 8) & 0xff;
    mac[5] = ip & 0xff;
}

int arp_output(struct netif *nif, struct pbuf *p, uint32_t nexthop)
{
    struct netstack *ns = nif->ns;
    struct arp_entry *e;
    uint8_t mac[ETH_ALEN];

    if ((nif->flags & NETIF_F_NOARP) || ip_is_broadcast(ns, nexthop, nif))
        return ether_output(nif, p, ether_broadcast, ETH_P_IP);
    if (ip4_is_multicast(nexthop)) {
        mac_for_multicast(nexthop, mac);
        return ether_output(nif, p, mac, ETH_P_IP);
    }
    e = entry_find(nif, nexthop);
    if (e != NULL && (e->state == ARP_REACHABLE || e->state == ARP_PERMANENT)) {
        e->last_used = ns->now;
        return ether_output(nif, p, e->mac, ETH_P_IP);
    }
    if (e == NULL) {
        e = entry_alloc(nif, nexthop);
        if (e == NULL) {
            ns->snmp.arp.QueueDrops++;
            pbuf_free(p);
            return -ENOBUFS;
        }
        e->state = ARP_INCOMPLETE;
        e->tries = 1;
        e->expires = ns->now + ARP_RETRY_NS;
        net_timer_arm(ns, e->expires);
        send_request(nif, nexthop, NULL);
    }
    /* INCOMPLETE: wait in the queue, dropping the oldest beyond the limit. */
    e->last_used = ns->now;
    while (e->qlen > 0 &&
           (e->qlen >= ns->limits.arp_max_queue ||
            nif->arp_queue_bytes + pbuf_truesize(p) > ns->limits.arp_max_queue_bytes)) {
        queue_drop_first(nif, e);
        ns->snmp.arp.QueueDrops++;
    }
    if (nif->arp_queue_bytes + pbuf_truesize(p) > ns->limits.arp_max_queue_bytes) {
        ns->snmp.arp.QueueDrops++; /* other addresses hold the interface's share */
        pbuf_free(p);
        return -ENOBUFS;
    }
    list_add_tail(&p->link, &e->queue);
    e->qlen++;
    nif->arp_queue_bytes += (uint32_t)pbuf_truesize(p);
    return 0;
}

int arp_add_static(struct netif *nif, uint32_t ip, const uint8_t mac[ETH_ALEN])
{
    struct arp_entry *e;
    int err = 0;

    if (nif->arp == NULL || ip == 0 || (mac[0] & 1))
        return -EINVAL;
    net_enter(nif->ns);
    e = entry_find(nif, ip);
    if (e == NULL)
        e = entry_alloc(nif, ip);
    if (e == NULL) {
        err = -ENOSPC;
    } else {
        entry_resolved(nif, e, mac);
        e->state = ARP_PERMANENT;
    }
    net_leave(nif->ns);
    return err;
}

bool arp_lookup(struct netif *nif, uint32_t ip, uint8_t mac[ETH_ALEN])
{
    struct arp_entry *e;

    if (nif->arp == NULL)
        return false;
    e = entry_find(nif, ip);
    if (e == NULL || (e->state != ARP_REACHABLE && e->state != ARP_PERMANENT))
        return false;
    memcpy(mac, e->mac, ETH_ALEN);
    return true;
}

static void entry_timer(struct netif *nif, struct arp_entry *e)
{
    struct netstack *ns = nif->ns;

    if (e->state == ARP_INCOMPLETE) {
        if (e->tries >= ARP_MAX_TRIES) {
            ns->snmp.arp.Failed++;
            ns->snmp.arp.QueueDrops += e->qlen;
            nif->stats.tx_dropped += e->qlen;
            entry_clear(nif, e);
            return;
        }
        e->tries++;
        e->expires = ns->now + ARP_RETRY_NS;
        send_request(nif, e->ip, NULL);
    } else if (e->state == ARP_REACHABLE) {
        /*
         * Expired. An entry in use is confirmed by unicast requests to the
         * address we know (RFC 1122 2.3.2.1); an idle one is forgotten.
         */
        bool used = e->last_used + ARP_REACHABLE_NS > e->expires || e->tries > 0;
        if (!used || e->tries >= ARP_MAX_TRIES) {
            entry_clear(nif, e);
            return;
        }
        e->tries++;
        e->expires = ns->now + ARP_RETRY_NS;
        send_request(nif, e->ip, e->mac);
    }
}

void arp_timer(struct netstack *ns)
{
    struct netif *nif;

    list_for_each_entry (nif, &ns->netifs, link) {
        for (uint32_t i = 0; i < nif->arp_nentries; i++) {
            struct arp_entry *e = &nif->arp[i];
            if (e->state != ARP_INCOMPLETE && e->state != ARP_REACHABLE)
                continue;
            if (e->expires <= ns->now)
                entry_timer(nif, e);
            if (e->state == ARP_INCOMPLETE || e->state == ARP_REACHABLE)
                net_timer_arm(ns, e->expires);
        }
    }
}
