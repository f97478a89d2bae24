/*
 * route.c - the IPv4 routing table (see route.h).
 *
 * A fixed array: a unikernel has a handful of routes (one connected route
 * and one default route per interface), so a linear longest-prefix search
 * is both simplest and fastest. Called by ip_output() through
 * ip_route_source()/route_lookup(), and by netif_set_addr().
 */
#include "lib/errno.h"
#include "net/stack.h"

int route_add(struct netstack *ns, uint32_t dest, uint32_t netmask, uint32_t gateway,
              struct netif *nif, uint32_t metric)
{
    struct net_route *free_slot = NULL;

    if (nif == NULL || (dest & ~netmask) != 0)
        return -EINVAL;
    for (int i = 0; i < NET_MAX_ROUTES; i++) {
        struct net_route *r = &ns->routes[i];
        if (!r->in_use) {
            if (free_slot == NULL)
                free_slot = r;
            continue;
        }
        if (r->dest == dest && r->netmask == netmask && r->netif == nif) {
            r->gateway = gateway;
            r->metric = metric;
            return 0;
        }
    }
    if (free_slot == NULL)
        return -ENOSPC;
    free_slot->dest = dest;
    free_slot->netmask = netmask;
    free_slot->gateway = gateway;
    free_slot->netif = nif;
    free_slot->metric = metric;
    free_slot->in_use = true;
    return 0;
}

int route_del(struct netstack *ns, uint32_t dest, uint32_t netmask, struct netif *nif)
{
    int found = 0;

    for (int i = 0; i < NET_MAX_ROUTES; i++) {
        struct net_route *r = &ns->routes[i];
        if (r->in_use && r->dest == dest && r->netmask == netmask &&
            (nif == NULL || r->netif == nif)) {
            r->in_use = false;
            found = 1;
        }
    }
    return found ? 0 : -ESRCH;
}

void route_flush_netif(struct netstack *ns, struct netif *nif)
{
    for (int i = 0; i < NET_MAX_ROUTES; i++) {
        if (ns->routes[i].in_use && ns->routes[i].netif == nif)
            ns->routes[i].in_use = false;
    }
}

struct netif *route_lookup(struct netstack *ns, uint32_t dst, uint32_t *nexthop)
{
    struct net_route *best = NULL;

    for (int i = 0; i < NET_MAX_ROUTES; i++) {
        struct net_route *r = &ns->routes[i];
        if (!r->in_use || (dst & r->netmask) != r->dest || !netif_is_usable(r->netif))
            continue;
        if (best == NULL || r->netmask > best->netmask ||
            (r->netmask == best->netmask && r->metric < best->metric))
            best = r;
    }
    if (best == NULL)
        return NULL;
    if (nexthop != NULL)
        *nexthop = best->gateway != 0 ? best->gateway : dst;
    return best->netif;
}

int route_format(struct netstack *ns, char *buf, size_t size)
{
    int n = net_scnprintf(buf, size,
                          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\t"
                          "MTU\tWindow\tIRTT\n");

    for (int i = 0; i < NET_MAX_ROUTES; i++) {
        struct net_route *r = &ns->routes[i];
        unsigned int flags = 0x1; /* RTF_UP */
        if (!r->in_use || (r->netif->flags & NETIF_F_LOOPBACK))
            continue;
        if (r->gateway != 0)
            flags |= 0x2; /* RTF_GATEWAY */
        /* Linux prints the addresses as the raw network-order words in hex. */
        n += net_scnprintf(buf + n, size - (size_t)n,
                           "%s\t%08X\t%08X\t%04X\t0\t0\t%u\t%08X\t0\t0\t0\n", r->netif->name,
                           net_htonl(r->dest), net_htonl(r->gateway), flags, r->metric,
                           net_htonl(r->netmask));
    }
    return n;
}
