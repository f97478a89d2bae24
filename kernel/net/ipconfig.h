/*
 * ipconfig.h - IPv4 configuration of an interface: the type that static
 * configuration (Linux's ip= parameter) and DHCP both produce.
 *
 * The kernel parses "ip=..." with net_ipconfig_parse(); if it asks for
 * DHCP it starts dhcp_start() (dhcp.h), whose callback delivers the same
 * struct; either way net_ipconfig_apply() configures the interface and
 * net_ipconfig_resolv_conf() gives the text of /etc/resolv.conf.
 */
#pragma once

#include "lib/types.h"

struct netif;

#define NET_IPCONFIG_MAX_DNS 3
#define NET_IPCONFIG_NAMELEN 64

struct net_ipconfig {
    bool off;      /* ip=off / ip=none: leave the interfaces unconfigured */
    bool dhcp;     /* configure by DHCP (ip=dhcp, on, any, bootp, both) */
    uint32_t addr; /* host order; 0 = not given */
    uint32_t netmask;
    uint32_t gateway;
    uint32_t server; /* the boot server / DHCP server */
    uint32_t dns[NET_IPCONFIG_MAX_DNS];
    uint32_t ndns;
    uint32_t ntp;
    uint32_t lease_s; /* DHCP lease, 0xffffffff = infinite */
    uint16_t mtu;     /* DHCP interface MTU option, 0 = none */
    char hostname[NET_IPCONFIG_NAMELEN];
    char domain[NET_IPCONFIG_NAMELEN];
    char device[16]; /* interface name, "" = the first */
};

/*
 * Parse the value of Linux's ip= kernel parameter:
 *   <client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:
 *   <dns0-ip>:<dns1-ip>:<ntp0-ip>
 * or one word: off, none, on, any, dhcp, bootp, rarp, both. Every field
 * may be empty; an empty netmask with a static address takes its class
 * default, as Linux does. Returns 0, or -EINVAL for a malformed address or
 * an unknown autoconf word; *cfg is only written on success.
 */
int net_ipconfig_parse(const char *s, struct net_ipconfig *cfg);
/*
 * Put address, netmask and gateway on nif (netif_set_addr) and, if given,
 * a smaller MTU. Returns 0 or -EINVAL.
 */
int net_ipconfig_apply(struct netif *nif, const struct net_ipconfig *cfg);
/* The text of /etc/resolv.conf for cfg. Returns its length (like scnprintf). */
int net_ipconfig_resolv_conf(const struct net_ipconfig *cfg, char *buf, size_t size);
/* A one-line summary for the log. Returns its length. */
int net_ipconfig_format(const struct net_ipconfig *cfg, char *buf, size_t size);
/* Parse a dotted quad ("10.0.2.15") into host order. 0 or -EINVAL. */
int net_parse_ip4(const char *s, size_t len, uint32_t *out);
/* The classful default netmask of addr (A, B or C). */
uint32_t net_default_netmask(uint32_t addr);
