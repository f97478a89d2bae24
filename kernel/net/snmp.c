/*
 * snmp.c - the counters of snmp.h in Linux's /proc/net/snmp and
 * /proc/net/netstat text formats.
 *
 * Each protocol prints as two lines that start with the same tag: the
 * field names, then the values, separated by single spaces, exactly as
 * Linux's net/ipv4/proc.c does, so tools that parse those files (netstat
 * -s, nstat, Go's and Prometheus' readers) read ours too.
 */
#include "lib/string.h"
#include "net/snmp.h"
#include "net/stack.h"

struct field {
    const char *name;
    size_t offset;
};

#define FIELD_OF(type, name) {#name, offsetof(type, name)},

/* The named counters as anonymous struct types, for offsetof. */
typedef __typeof__(((struct net_snmp *)0)->ip) snmp_ip_t;
typedef __typeof__(((struct net_snmp *)0)->icmp) snmp_icmp_t;
typedef __typeof__(((struct net_snmp *)0)->tcp) snmp_tcp_t;
typedef __typeof__(((struct net_snmp *)0)->udp) snmp_udp_t;
typedef __typeof__(((struct net_snmp *)0)->tcpext) snmp_tcpext_t;
typedef __typeof__(((struct net_snmp *)0)->ipext) snmp_ipext_t;
typedef __typeof__(((struct net_snmp *)0)->arp) snmp_arp_t;

#define IP_FIELD(n) FIELD_OF(snmp_ip_t, n)
#define ICMP_FIELD(n) FIELD_OF(snmp_icmp_t, n)
#define TCP_FIELD(n) FIELD_OF(snmp_tcp_t, n)
#define UDP_FIELD(n) FIELD_OF(snmp_udp_t, n)
#define TCPEXT_FIELD(n) FIELD_OF(snmp_tcpext_t, n)
#define IPEXT_FIELD(n) FIELD_OF(snmp_ipext_t, n)
#define ARP_FIELD(n) FIELD_OF(snmp_arp_t, n)

static const struct field ip_fields[] = {NET_SNMP_IP(IP_FIELD)};
static const struct field icmp_fields[] = {NET_SNMP_ICMP(ICMP_FIELD)};
static const struct field tcp_fields[] = {NET_SNMP_TCP(TCP_FIELD)};
static const struct field udp_fields[] = {NET_SNMP_UDP(UDP_FIELD)};
static const struct field tcpext_fields[] = {NET_SNMP_TCPEXT(TCPEXT_FIELD)};
static const struct field ipext_fields[] = {NET_SNMP_IPEXT(IPEXT_FIELD)};
static const struct field arp_fields[] = {NET_SNMP_ARP(ARP_FIELD)};

static uint64_t value(const void *base, const struct field *f)
{
    uint64_t v;

    memcpy(&v, (const uint8_t *)base + f->offset, sizeof(v));
    return v;
}

/* "Tag: names...\nTag: values...\n" for one group of counters. */
static int group(char *buf, size_t size, const char *tag, const struct field *fields, size_t n,
                 const void *base)
{
    int len = net_scnprintf(buf, size, "%s:", tag);

    for (size_t i = 0; i < n; i++)
        len += net_scnprintf(buf + len, size - (size_t)len, " %s", fields[i].name);
    len += net_scnprintf(buf + len, size - (size_t)len, "\n%s:", tag);
    for (size_t i = 0; i < n; i++)
        len += net_scnprintf(buf + len, size - (size_t)len, " %llu",
                             (unsigned long long)value(base, &fields[i]));
    len += net_scnprintf(buf + len, size - (size_t)len, "\n");
    return len;
}

static uint64_t curr_estab(struct netstack *ns)
{
    struct tcp_pcb *pcb;
    uint64_t n = 0;

    list_for_each_entry (pcb, &ns->tcp.pcbs, all_link) {
        if (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT)
            n++;
    }
    return n;
}

int net_snmp_format(struct netstack *ns, char *buf, size_t size)
{
    const struct net_snmp *s = &ns->snmp;
    int n, types = 0;

    net_enter(ns);
    /* Forwarding 2 = "not a router"; DefaultTTL 64. */
    n = net_scnprintf(buf, size, "Ip: Forwarding DefaultTTL");
    for (size_t i = 0; i < ARRAY_SIZE(ip_fields); i++)
        n += net_scnprintf(buf + n, size - (size_t)n, " %s", ip_fields[i].name);
    n += net_scnprintf(buf + n, size - (size_t)n, "\nIp: 2 %d", IP_DEFAULT_TTL);
    for (size_t i = 0; i < ARRAY_SIZE(ip_fields); i++)
        n += net_scnprintf(buf + n, size - (size_t)n, " %llu",
                           (unsigned long long)value(&s->ip, &ip_fields[i]));
    n += net_scnprintf(buf + n, size - (size_t)n, "\n");
    n += group(buf + n, size - (size_t)n, "Icmp", icmp_fields, ARRAY_SIZE(icmp_fields), &s->icmp);

    /* IcmpMsg lists only the types seen, and is absent when there are none. */
    for (int t = 0; t < 256; t++)
        types += s->icmp_in_type[t] != 0 || s->icmp_out_type[t] != 0;
    if (types > 0) {
        n += net_scnprintf(buf + n, size - (size_t)n, "IcmpMsg:");
        for (int t = 0; t < 256; t++) {
            if (s->icmp_in_type[t] != 0)
                n += net_scnprintf(buf + n, size - (size_t)n, " InType%d", t);
            if (s->icmp_out_type[t] != 0)
                n += net_scnprintf(buf + n, size - (size_t)n, " OutType%d", t);
        }
        n += net_scnprintf(buf + n, size - (size_t)n, "\nIcmpMsg:");
        for (int t = 0; t < 256; t++) {
            if (s->icmp_in_type[t] != 0)
                n += net_scnprintf(buf + n, size - (size_t)n, " %llu",
                                   (unsigned long long)s->icmp_in_type[t]);
            if (s->icmp_out_type[t] != 0)
                n += net_scnprintf(buf + n, size - (size_t)n, " %llu",
                                   (unsigned long long)s->icmp_out_type[t]);
        }
        n += net_scnprintf(buf + n, size - (size_t)n, "\n");
    }

    /* RtoAlgorithm 1 = "other" (RFC 6298), RtoMin/RtoMax in ms, MaxConn -1. */
    n += net_scnprintf(buf + n, size - (size_t)n, "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn");
    for (size_t i = 0; i < ARRAY_SIZE(tcp_fields); i++) {
        if (strcmp(tcp_fields[i].name, "InSegs") == 0)
            n += net_scnprintf(buf + n, size - (size_t)n, " CurrEstab");
        n += net_scnprintf(buf + n, size - (size_t)n, " %s", tcp_fields[i].name);
    }
    n += net_scnprintf(buf + n, size - (size_t)n, "\nTcp: 1 %u %llu -1", ns->limits.tcp_rto_min_ms,
                       (unsigned long long)(TCP_MAX_RTO_NS / 1000000ull));
    for (size_t i = 0; i < ARRAY_SIZE(tcp_fields); i++) {
        if (strcmp(tcp_fields[i].name, "InSegs") == 0)
            n += net_scnprintf(buf + n, size - (size_t)n, " %llu",
                               (unsigned long long)curr_estab(ns));
        n += net_scnprintf(buf + n, size - (size_t)n, " %llu",
                           (unsigned long long)value(&s->tcp, &tcp_fields[i]));
    }
    n += net_scnprintf(buf + n, size - (size_t)n, "\n");
    n += group(buf + n, size - (size_t)n, "Udp", udp_fields, ARRAY_SIZE(udp_fields), &s->udp);
    {
        /* We have no UDP-Lite: all zeros, but the lines parsers expect. */
        static const uint64_t zeros[ARRAY_SIZE(udp_fields)];
        struct field lite[ARRAY_SIZE(udp_fields)];
        for (size_t i = 0; i < ARRAY_SIZE(udp_fields); i++) {
            lite[i].name = udp_fields[i].name;
            lite[i].offset = i * sizeof(uint64_t);
        }
        n += group(buf + n, size - (size_t)n, "UdpLite", lite, ARRAY_SIZE(lite), zeros);
    }
    net_leave(ns);
    return n;
}

int net_netstat_format(struct netstack *ns, char *buf, size_t size)
{
    const struct net_snmp *s = &ns->snmp;
    int n;

    net_enter(ns);
    n = group(buf, size, "TcpExt", tcpext_fields, ARRAY_SIZE(tcpext_fields), &s->tcpext);
    n += group(buf + n, size - (size_t)n, "IpExt", ipext_fields, ARRAY_SIZE(ipext_fields),
               &s->ipext);
    n += group(buf + n, size - (size_t)n, "ArpExt", arp_fields, ARRAY_SIZE(arp_fields), &s->arp);
    net_leave(ns);
    return n;
}

const struct net_snmp *net_snmp_get(struct netstack *ns)
{
    return &ns->snmp;
}
