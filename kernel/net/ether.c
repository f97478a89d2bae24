/*
 * ether.c - Ethernet II framing.
 *
 * Receive: netif_input -> ether_input: check the length and destination,
 * strip the header, dispatch IPv4 to ip_input and ARP to arp_input.
 * Transmit: arp_output (or a broadcast) -> ether_output -> netif->output.
 * VLAN-tagged, multicast (other than broadcast) and unknown frames are
 * counted and dropped.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/ether.h"
#include "net/ip.h"
#include "net/stack.h"

const uint8_t ether_broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void ether_input(struct netif *nif, struct pbuf *p)
{
    const struct eth_hdr *eh;
    uint16_t type;

    if (p->len < ETH_HLEN) {
        nif->stats.rx_errors++;
        goto drop;
    }
    eh = (const struct eth_hdr *)p->data;
    type = net_ntohs(eh->type);
    if (memcmp(eh->dst, ether_broadcast, ETH_ALEN) == 0) {
        p->flags |= PBUF_F_BROADCAST;
        nif->stats.rx_broadcast++;
    } else if (memcmp(eh->dst, nif->mac, ETH_ALEN) != 0) {
        /* Multicast or someone else's unicast (promiscuous NIC). */
        nif->stats.rx_dropped++;
        goto drop;
    }
    pbuf_pull(p, ETH_HLEN);
    switch (type) {
    case ETH_P_IP:
        ip_input(nif, p);
        return;
    case ETH_P_ARP:
        arp_input(nif, p);
        return;
    default:
        nif->stats.rx_dropped++;
        goto drop;
    }
drop:
    pbuf_free(p);
}

int ether_output(struct netif *nif, struct pbuf *p, const uint8_t dst[ETH_ALEN], uint16_t type)
{
    struct eth_hdr *eh;
    uint32_t len;
    int err;

    if (!netif_is_usable(nif)) {
        nif->stats.tx_dropped++;
        pbuf_free(p);
        return -ENETDOWN;
    }
    eh = pbuf_push(p, ETH_HLEN);
    if (eh == NULL) {
        nif->stats.tx_errors++;
        pbuf_free(p);
        return -ENOBUFS;
    }
    memcpy(eh->dst, dst, ETH_ALEN);
    memcpy(eh->src, nif->mac, ETH_ALEN);
    eh->type = net_htons(type);
    /* Pad runts to the minimum frame size; the NIC adds the FCS. */
    if (p->len < ETH_MIN_FRAME) {
        size_t pad = ETH_MIN_FRAME - p->len;
        uint8_t *tail = pbuf_put(p, pad);
        if (tail != NULL)
            memset(tail, 0, pad);
    }
    len = p->len;
    err = nif->output(nif, p); /* p belongs to the driver now */
    if (err != 0) {
        nif->stats.tx_dropped++;
        return err;
    }
    nif->stats.tx_packets++;
    nif->stats.tx_bytes += len;
    return 0;
}
