/*
 * route.h - the IPv4 routing table.
 *
 * A small table of (destination, netmask, gateway, interface, metric)
 * entries searched by longest prefix, then lowest metric. netif_set_addr()
 * adds the connected route of an interface and its default route; anyone
 * holding the net lock may add more. Local addresses and 127/8 never reach
 * the table: ip_output() sends them through the loopback interface.
 */
#pragma once

#include "lib/types.h"

struct netstack;
struct netif;

#define NET_MAX_ROUTES 32

struct net_route {
    uint32_t dest; /* host order, already masked */
    uint32_t netmask;
    uint32_t gateway; /* 0: directly connected */
    struct netif *netif;
    uint32_t metric;
    bool in_use;
};

/*
 * Add a route (dest & ~netmask must be 0). Replaces an entry with the same
 * destination, mask and interface. Returns 0, -EINVAL, -ENOSPC.
 */
int route_add(struct netstack *ns, uint32_t dest, uint32_t netmask, uint32_t gateway,
              struct netif *nif, uint32_t metric);
/* Remove matching routes (nif NULL: any interface). Returns 0 or -ESRCH. */
int route_del(struct netstack *ns, uint32_t dest, uint32_t netmask, struct netif *nif);
/* Remove every route through nif. */
void route_flush_netif(struct netstack *ns, struct netif *nif);
/*
 * The interface and next hop for dst, skipping interfaces that are down.
 * Returns NULL when there is no route. *nexthop is the gateway or dst.
 */
struct netif *route_lookup(struct netstack *ns, uint32_t dst, uint32_t *nexthop);
/* Format the table like /proc/net/route. Returns the length written. */
int route_format(struct netstack *ns, char *buf, size_t size);
