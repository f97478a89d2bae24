/*
 * netif.h - network interfaces: what a NIC driver and the configuration
 * code see of the stack.
 *
 * A driver registers its device with netif_add(), giving a transmit
 * callback, the MAC address, MTU and offload flags. Received frames go in
 * through netif_input(); link changes through netif_set_link(). Addresses
 * come from netif_set_addr() (static configuration, DHCP). Every stack
 * also has a loopback interface "lo" (127.0.0.1/8) of its own.
 *
 * Call flow: driver rx -> netif_input -> ether_input -> arp_input | ip_input
 *            ip_output -> route -> ether_output -> arp_resolve -> netif->output
 *
 * All functions here expect the net lock held (see net.h).
 */
#pragma once

#include "lib/list.h"
#include "lib/types.h"
#include "net/inet.h"
#include "net/pbuf.h"

struct netstack;
struct arp_entry;

#define NETIF_NAMESIZE 16

/* Capabilities a driver declares (netif->flags). */
#define NETIF_F_LOOPBACK 0x01 /* frames are bare IPv4 packets (the stack's lo) */
#define NETIF_F_TX_CSUM 0x02  /* the NIC completes TCP/UDP checksums (PBUF_F_CSUM_PARTIAL) */
#define NETIF_F_RX_CSUM 0x04  /* the driver sets PBUF_F_CSUM_VERIFIED on good packets */
#define NETIF_F_NOARP 0x08    /* point-to-point: no ARP, frames to the broadcast MAC */

/*
 * The driver's transmit function. Takes ownership of p (a complete frame
 * starting with the Ethernet header) whether it succeeds or not. Returns 0
 * or -ENOBUFS when the transmit queue is full (the stack counts a drop;
 * TCP retransmits). Called with the net lock held: it must not call back
 * into the stack.
 */
typedef int (*netif_output_fn)(struct netif *nif, struct pbuf *p);

/* Counters in the style of /proc/net/dev. */
struct netif_stats {
    uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
    uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
    uint64_t rx_broadcast;
};

struct netif {
    struct list_head link; /* ns->netifs */
    struct netstack *ns;
    char name[NETIF_NAMESIZE];
    int index;      /* interface index, "lo" is 1 */
    uint32_t flags; /* NETIF_F_* */
    uint8_t mac[ETH_ALEN];
    uint16_t mtu;  /* IP packet size the link carries (1500 on Ethernet) */
    bool up;       /* administratively up (netif_set_up) */
    bool link_up;  /* carrier, from the driver */
    uint32_t addr; /* IPv4 address, netmask and gateway, host order; 0 = none */
    uint32_t netmask;
    uint32_t gateway;

    netif_output_fn output;
    void *driver_data;

    /* Stack-private from here on. */
    struct arp_entry *arp; /* the ARP cache: limits.arp_max_entries slots */
    uint32_t arp_nentries;
    uint32_t arp_hint;        /* slot of the last lookup that hit */
    uint32_t arp_queue_bytes; /* truesize of every packet waiting for resolution */
    struct netif_stats stats;
};

/*
 * Register an Ethernet interface. name may be NULL ("ethN" is chosen).
 * Returns the interface (down, no address) or NULL when out of memory.
 */
struct netif *netif_add(struct netstack *ns, const char *name, const uint8_t mac[ETH_ALEN],
                        uint16_t mtu, uint32_t flags, netif_output_fn output, void *driver_data);
/*
 * Unregister and free nif: its routes, ARP cache and queued packets go, and
 * so does its DHCP client (whose handle becomes invalid); sockets bound to
 * its address stay but stop receiving. Not for "lo".
 */
void netif_remove(struct netif *nif);
/* Administrative up/down (ip link set up). A new interface is down. */
void netif_set_up(struct netif *nif, bool up);
/* Carrier state from the driver; link up announces our address (ARP). */
void netif_set_link(struct netif *nif, bool up);
/*
 * Set the IPv4 address, netmask and default gateway (any may be 0). Adds
 * the connected route and, when gateway != 0, a default route through
 * this interface; announces the address with a gratuitous ARP. Returns 0
 * or -EINVAL (a netmask that is not contiguous, a bad address).
 */
int netif_set_addr(struct netif *nif, uint32_t addr, uint32_t netmask, uint32_t gateway);

/*
 * netif_input hands a received frame to the stack. Consumes p. Frames that
 * are malformed or not for us are counted and dropped. Any context that
 * holds the net lock; never call it from inside netif->output.
 */
void netif_input(struct netif *nif, struct pbuf *p);

/* The interface called name, or NULL. */
struct netif *netif_find(struct netstack *ns, const char *name);
/* The interface whose address is addr, or NULL. */
struct netif *netif_find_by_addr(struct netstack *ns, uint32_t addr);
/* The stack's loopback interface. */
struct netif *netif_loopback(struct netstack *ns);
/* The first interface that is up and not loopback, or NULL. */
struct netif *netif_first_ether(struct netstack *ns);
/* True when the interface can send (up, and carrier or loopback). */
bool netif_is_usable(const struct netif *nif);

/*
 * Format the interface counters as Linux's /proc/net/dev. Returns the
 * length written (like scnprintf).
 */
int netif_format_dev(struct netstack *ns, char *buf, size_t size);
