/*
 * netif.c - network interfaces (see netif.h): registration by drivers,
 * link and address configuration, and the receive entry point.
 *
 * Call flow: driver -> netif_input -> ether_input (Ethernet) or ip_input
 *            (the loopback carries bare IP packets)
 *            netif_set_addr -> route_add, arp_announce
 */
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/ether.h"
#include "net/netenv.h"
#include "net/stack.h"
#include "net/udp.h"

static struct netif *netif_alloc(struct netstack *ns, const char *name)
{
    struct netif *nif = netenv_zalloc(sizeof(*nif));
    size_t n;

    if (nif == NULL)
        return NULL;
    if (name != NULL) {
        n = strlen(name);
        if (n >= NETIF_NAMESIZE)
            n = NETIF_NAMESIZE - 1;
        memcpy(nif->name, name, n);
    } else {
        /* The first free ethN. */
        for (int i = 0;; i++) {
            snprintf(nif->name, sizeof(nif->name), "eth%d", i);
            if (netif_find(ns, nif->name) == NULL)
                break;
        }
    }
    return nif;
}

struct netif *netif_add(struct netstack *ns, const char *name, const uint8_t mac[ETH_ALEN],
                        uint16_t mtu, uint32_t flags, netif_output_fn output, void *driver_data)
{
    struct netif *nif;

    net_enter(ns);
    nif = netif_alloc(ns, name);
    if (nif == NULL)
        goto out;
    nif->ns = ns;
    nif->index = ns->next_ifindex++;
    nif->flags = flags;
    memcpy(nif->mac, mac, ETH_ALEN);
    nif->mtu = mtu < 576 ? 576 : mtu;
    nif->output = output;
    nif->driver_data = driver_data;
    if (!(flags & NETIF_F_LOOPBACK) && arp_init_netif(nif) != 0) {
        netenv_free(nif);
        nif = NULL;
        goto out;
    }
    list_add_tail(&nif->link, &ns->netifs);
out:
    net_leave(ns);
    return nif;
}

void netif_remove(struct netif *nif)
{
    struct netstack *ns = nif->ns;
    struct udp_pcb *u;

    if (nif == ns->loopback)
        return;
    net_enter(ns);
    route_flush_netif(ns, nif);
    list_for_each_entry (u, &ns->udp_pcbs, link) {
        if (u->netif == nif)
            u->netif = NULL;
    }
    dhcp_netif_removed(ns, nif);
    list_del(&nif->link);
    arp_free_netif(nif);
    net_leave(ns);
    netenv_free(nif);
}

bool netif_is_usable(const struct netif *nif)
{
    return nif->up && nif->link_up;
}

void netif_set_up(struct netif *nif, bool up)
{
    net_enter(nif->ns);
    if (nif->up != up) {
        nif->up = up;
        if (up && nif->link_up && nif->addr != 0 && !(nif->flags & NETIF_F_LOOPBACK))
            arp_announce(nif);
    }
    net_leave(nif->ns);
}

void netif_set_link(struct netif *nif, bool up)
{
    net_enter(nif->ns);
    if (nif->link_up != up) {
        nif->link_up = up;
        net_info("%s: link %s", nif->name, up ? "up" : "down");
        if (up && nif->up && nif->addr != 0 && !(nif->flags & NETIF_F_LOOPBACK))
            arp_announce(nif);
    }
    net_leave(nif->ns);
}

static bool netmask_valid(uint32_t mask)
{
    /* Contiguous ones from the top: ~mask + 1 is a power of two (or 0). */
    uint32_t inv = ~mask;
    return (inv & (inv + 1)) == 0;
}

int netif_set_addr(struct netif *nif, uint32_t addr, uint32_t netmask, uint32_t gateway)
{
    struct netstack *ns = nif->ns;
    int err = 0;

    if (!netmask_valid(netmask) || (addr != 0 && !ip4_is_valid_source(addr)) ||
        (addr == 0 && netmask != 0))
        return -EINVAL;
    net_enter(ns);
    route_flush_netif(ns, nif);
    nif->addr = addr;
    nif->netmask = netmask;
    nif->gateway = gateway;
    if (addr != 0) {
        err = route_add(ns, addr & netmask, netmask, 0, nif, 0);
        if (err == 0 && gateway != 0)
            err = route_add(ns, 0, 0, gateway, nif, 0);
        if (nif->up && nif->link_up && !(nif->flags & NETIF_F_LOOPBACK))
            arp_announce(nif);
        net_info("%s: %u.%u.%u.%u/%u gateway %u.%u.%u.%u", nif->name, addr >> 24,
                 (addr >> 16) & 255, (addr >> 8) & 255, addr & 255, net_prefix_len(netmask),
                 gateway >> 24, (gateway >> 16) & 255, (gateway >> 8) & 255, gateway & 255);
    }
    net_leave(ns);
    return err;
}

void netif_input(struct netif *nif, struct pbuf *p)
{
    struct netstack *ns = nif->ns;

    net_enter(ns);
    p->netif = nif;
    nif->stats.rx_packets++;
    nif->stats.rx_bytes += p->len;
    if (!nif->up) {
        nif->stats.rx_dropped++;
        pbuf_free(p);
    } else if (nif->flags & NETIF_F_LOOPBACK) {
        ip_input(nif, p);
    } else {
        ether_input(nif, p);
    }
    net_leave(ns);
}

struct netif *netif_find(struct netstack *ns, const char *name)
{
    struct netif *nif;

    list_for_each_entry (nif, &ns->netifs, link) {
        if (strncmp(nif->name, name, NETIF_NAMESIZE) == 0)
            return nif;
    }
    return NULL;
}

struct netif *netif_find_by_addr(struct netstack *ns, uint32_t addr)
{
    struct netif *nif;

    if (addr == 0)
        return NULL;
    list_for_each_entry (nif, &ns->netifs, link) {
        if (nif->addr == addr)
            return nif;
    }
    return NULL;
}

struct netif *netif_loopback(struct netstack *ns)
{
    return ns->loopback;
}

struct netif *netif_first_ether(struct netstack *ns)
{
    struct netif *nif;

    list_for_each_entry (nif, &ns->netifs, link) {
        if (!(nif->flags & NETIF_F_LOOPBACK) && nif->up)
            return nif;
    }
    return NULL;
}

int netif_format_dev(struct netstack *ns, char *buf, size_t size)
{
    struct netif *nif;
    int n;

    n = net_scnprintf(
        buf, size,
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|"
        "bytes    packets errs drop fifo colls carrier compressed\n");
    list_for_each_entry (nif, &ns->netifs, link) {
        const struct netif_stats *s = &nif->stats;
        n += net_scnprintf(buf + n, size - (size_t)n,
                           "%6s: %7llu %7llu %4llu %4llu    0     0          0 %9llu "
                           "%8llu %7llu %4llu %4llu    0     0       0          0\n",
                           nif->name, (unsigned long long)s->rx_bytes,
                           (unsigned long long)s->rx_packets, (unsigned long long)s->rx_errors,
                           (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_broadcast,
                           (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_packets,
                           (unsigned long long)s->tx_errors, (unsigned long long)s->tx_dropped);
    }
    return n;
}
