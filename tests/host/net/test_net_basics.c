/*
 * The stack's building blocks: checksum, SipHash, packet buffers,
 * sequence arithmetic, ip= parsing, resolv.conf and the /proc/net text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/errno.h"
#include "net/ipconfig.h"
#include "net/netenv.h"
#include "net/pbuf.h"
#include "net/procnet.h"
#include "net/siphash.h"
#include "net/snmp.h"
#include "nettest.h"

/* ---- checksum ---- */

Test(net_basics, checksum_rfc1071_example)
{
    /* RFC 1071 section 3: the sum of these words is ddf2, checksum 220d. */
    static const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

    cr_assert_eq(inet_csum(data, sizeof(data)), 0x220d);
}

Test(net_basics, checksum_of_a_real_ip_header)
{
    /* A header from a capture (Wikipedia's example): checksum b861. */
    uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                     0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

    cr_assert_eq(inet_csum(h, sizeof(h)), 0xb861);
    put_be16(h + 10, 0xb861);
    cr_assert_eq(inet_csum(h, sizeof(h)), 0, "a header with its checksum sums to zero");
}

Test(net_basics, checksum_any_length_and_alignment)
{
    uint8_t buf[301];

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 31 + 7);
    for (size_t off = 0; off < 4; off++) {
        for (size_t len = 0; len + off <= sizeof(buf); len += 13) {
            uint32_t ref = 0;
            for (size_t i = 0; i < len; i++)
                ref += (i % 2 == 0) ? (uint32_t)buf[off + i] << 8 : buf[off + i];
            while (ref >> 16)
                ref = (ref & 0xffff) + (ref >> 16);
            cr_assert_eq(inet_csum(buf + off, len), (uint16_t)~ref, "off %zu len %zu", off, len);
        }
    }
    /* Chained sums over even pieces give the same result. */
    cr_assert_eq(inet_csum_fold(inet_csum_partial(buf + 100, 101, inet_csum_partial(buf, 100, 0))),
                 inet_csum(buf, 201));
}

/* ---- SipHash ---- */

Test(net_basics, siphash_reference_vectors)
{
    /* From the SipHash paper's appendix: key 00..0f, messages 00..(n-1). */
    uint8_t key[16], msg[64];

    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    cr_assert_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
    cr_assert_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
    cr_assert_eq(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
}

/* ---- sequence numbers ---- */

Test(net_basics, sequence_arithmetic_wraps)
{
    cr_assert(seq_lt(0xfffffff0u, 0x10));
    cr_assert(seq_gt(0x10, 0xfffffff0u));
    cr_assert(seq_leq(5, 5));
    cr_assert(!seq_lt(5, 5));
    cr_assert_eq(seq_max(0xfffffffeu, 3), 3);
    cr_assert_eq(seq_min(0xfffffffeu, 3), 0xfffffffeu);
}

/* ---- pbufs ---- */

Test(net_basics, pbuf_headroom_push_pull)
{
    struct pbuf *p = pbuf_alloc(PBUF_HEADROOM, 100);
    uint8_t *payload;

    cr_assert_not_null(p);
    payload = p->data;
    memset(payload, 'x', 100);
    cr_assert_eq(pbuf_headroom(p), PBUF_HEADROOM);
    cr_assert_not_null(pbuf_push(p, 20));
    cr_assert_eq(p->len, 120);
    cr_assert_eq(p->data + 20, payload, "the payload did not move");
    cr_assert_null(pbuf_push(p, PBUF_HEADROOM), "no more headroom than allocated");
    cr_assert_not_null(pbuf_pull(p, 20));
    cr_assert_null(pbuf_pull(p, 101));
    pbuf_trim(p, 50);
    cr_assert_eq(p->len, 50);
    cr_assert_null(pbuf_put(p, pbuf_tailroom(p) + 1));
    cr_assert_not_null(pbuf_put(p, pbuf_tailroom(p)));
    pbuf_free(p);
    cr_assert_null(pbuf_alloc(0, PBUF_MAX_LEN + 1));
    cr_assert_null(pbuf_alloc(PBUF_MAX_LEN, PBUF_MAX_LEN));
}

Test(net_basics, pbuf_out_of_memory_is_null)
{
    netenv_host_fail_alloc_after(0);
    cr_assert_null(pbuf_alloc(0, 10));
    struct pbuf *p = pbuf_alloc(0, 10);
    cr_assert_not_null(p, "only one allocation failed");
    pbuf_free(p);
}

/* ---- ip= ---- */

Test(net_basics, ip_param_static)
{
    struct net_ipconfig c;

    cr_assert_eq(net_ipconfig_parse("10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0:egg:eth0:off:"
                                    "8.8.8.8:1.1.1.1:10.0.2.3",
                                    &c),
                 0);
    cr_assert(!c.dhcp && !c.off);
    cr_assert_eq(c.addr, IP4(10, 0, 2, 15));
    cr_assert_eq(c.server, IP4(10, 0, 2, 2));
    cr_assert_eq(c.gateway, IP4(10, 0, 2, 2));
    cr_assert_eq(c.netmask, IP4(255, 255, 255, 0));
    cr_assert_str_eq(c.hostname, "egg");
    cr_assert_str_eq(c.device, "eth0");
    cr_assert_eq(c.ndns, 2);
    cr_assert_eq(c.dns[0], IP4(8, 8, 8, 8));
    cr_assert_eq(c.dns[1], IP4(1, 1, 1, 1));
    cr_assert_eq(c.ntp, IP4(10, 0, 2, 3));
}

Test(net_basics, ip_param_short_forms)
{
    struct net_ipconfig c;

    cr_assert_eq(net_ipconfig_parse("dhcp", &c), 0);
    cr_assert(c.dhcp);
    cr_assert_eq(net_ipconfig_parse("on", &c), 0);
    cr_assert(c.dhcp);
    cr_assert_eq(net_ipconfig_parse("off", &c), 0);
    cr_assert(c.off && !c.dhcp);
    cr_assert_eq(net_ipconfig_parse("none", &c), 0);
    cr_assert(c.off);
    /* Only an address: static, with the class default netmask. */
    cr_assert_eq(net_ipconfig_parse("192.168.7.9", &c), 0);
    cr_assert(!c.dhcp);
    cr_assert_eq(c.netmask, IP4(255, 255, 255, 0));
    cr_assert_eq(net_ipconfig_parse("10.1.2.3::10.0.0.1", &c), 0);
    cr_assert_eq(c.netmask, IP4(255, 0, 0, 0));
    cr_assert_eq(c.gateway, IP4(10, 0, 0, 1));
    cr_assert_eq(net_ipconfig_parse("172.16.1.1", &c), 0);
    cr_assert_eq(c.netmask, IP4(255, 255, 0, 0));
    /* No address and no autoconf word: DHCP, on the named device. */
    cr_assert_eq(net_ipconfig_parse(":::::eth1:", &c), 0);
    cr_assert(c.dhcp);
    cr_assert_str_eq(c.device, "eth1");
    cr_assert_eq(net_ipconfig_parse("::::::dhcp", &c), 0);
    cr_assert(c.dhcp);
    cr_assert_eq(net_ipconfig_parse("::::::off", &c), 0);
    cr_assert(c.off);
    /* An address with autoconf dhcp: DHCP wins, as on Linux. */
    cr_assert_eq(net_ipconfig_parse("10.0.0.5::::::dhcp", &c), 0);
    cr_assert(c.dhcp);
}

Test(net_basics, ip_param_rejects_garbage)
{
    struct net_ipconfig c = {.addr = 42};
    static const char *bad[] = {
        "10.0.0.256",     "10.0.0",
        "10.0.0.1.2",     "10..0.1",
        "1a.0.0.1",       "10.0.0.1::::::maybe",
        ":::255.0.255.0", "0.0.0.1",
        "224.0.0.1",      "10.0.0.1::::host name",
        "hello",          "10.0.0.1::::x:eth0eth0eth0eth0eth0:",
        "1000.0.0.1",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(net_ipconfig_parse(bad[i], &c), -EINVAL, "accepted \"%s\"", bad[i]);
    cr_assert_eq(c.addr, 42, "a failed parse leaves the output alone");
    cr_assert_eq(net_ipconfig_parse(NULL, &c), -EINVAL);
    /* "ip=" alone asks for nothing in particular: autoconfiguration. */
    cr_assert_eq(net_ipconfig_parse("", &c), 0);
    cr_assert(c.dhcp);
}

Test(net_basics, resolv_conf_text)
{
    struct net_ipconfig c = {.dhcp = true, .ndns = 2, .dns = {IP4(10, 0, 2, 3), IP4(8, 8, 4, 4)}};
    char buf[256];

    strcpy(c.domain, "example.org");
    net_ipconfig_resolv_conf(&c, buf, sizeof(buf));
    cr_assert_str_eq(buf, "# written by EggOS from DHCP\n"
                          "search example.org\n"
                          "nameserver 10.0.2.3\n"
                          "nameserver 8.8.4.4\n");
    /* A short buffer is cut, never overrun. */
    cr_assert_eq(net_ipconfig_resolv_conf(&c, buf, 10), 9);
    cr_assert_eq(strlen(buf), 9);
}

/* ---- /proc/net text ---- */

static const char *find_line(const char *text, const char *prefix, int nth)
{
    const char *p = text;

    while ((p = strstr(p, prefix)) != NULL) {
        if ((p == text || p[-1] == '\n') && nth-- == 0)
            return p;
        p++;
    }
    return NULL;
}

/* The value of field name in a "Tag: names\nTag: values" pair. */
static long long snmp_value(const char *text, const char *tag, const char *name)
{
    const char *names = find_line(text, tag, 0), *values = find_line(text, tag, 1);
    char n[64], line1[4096], line2[4096];
    const char *a, *b;

    if (names == NULL || values == NULL)
        return -1;
    sscanf(names, "%4095[^\n]", line1);
    sscanf(values, "%4095[^\n]", line2);
    a = line1 + strlen(tag);
    b = line2 + strlen(tag);
    while (sscanf(a, " %63s", n) == 1) {
        long long v;
        int used = 0, usedb = 0;
        sscanf(a, " %*s%n", &used);
        sscanf(b, " %lld%n", &v, &usedb);
        if (strcmp(n, name) == 0)
            return v;
        a += used;
        b += usedb;
    }
    return -1;
}

Test(net_basics, proc_net_snmp_format)
{
    struct netstack *ns = net_create(NULL);
    struct net_sock *s;
    char buf[8192];
    int n;

    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &s), 0);
    struct net_sockaddr_in to = net_sockaddr(IP4_LOOPBACK, 9);
    cr_assert_eq(net_sock_connect(s, &to), 0);
    cr_assert_eq(net_sock_send(s, "x", 1, 0), 1); /* port unreachable on lo */
    n = net_snmp_format(ns, buf, sizeof(buf));
    cr_assert_eq(n, (int)strlen(buf));
    cr_assert(strncmp(buf, "Ip: Forwarding DefaultTTL InReceives InHdrErrors", 48) == 0);
    cr_assert_eq(snmp_value(buf, "Ip:", "Forwarding"), 2);
    cr_assert_eq(snmp_value(buf, "Ip:", "DefaultTTL"), 64);
    cr_assert_eq(snmp_value(buf, "Udp:", "OutDatagrams"), 1);
    cr_assert_eq(snmp_value(buf, "Udp:", "NoPorts"), 1);
    cr_assert_eq(snmp_value(buf, "Icmp:", "OutDestUnreachs"), 1);
    cr_assert_eq(snmp_value(buf, "Icmp:", "InDestUnreachs"), 1);
    cr_assert_eq(snmp_value(buf, "IcmpMsg:", "OutType3"), 1);
    cr_assert_eq(snmp_value(buf, "Tcp:", "RtoMin"), 200);
    cr_assert_eq(snmp_value(buf, "Tcp:", "MaxConn"), -1);
    cr_assert_eq(snmp_value(buf, "Tcp:", "CurrEstab"), 0);
    cr_assert_neq(find_line(buf, "UdpLite:", 1), NULL);
    /* Every line ends with a newline; names and values pair up. */
    cr_assert_eq(buf[n - 1], '\n');
    n = net_netstat_format(ns, buf, sizeof(buf));
    cr_assert_gt(n, 0);
    cr_assert_eq(snmp_value(buf, "TcpExt:", "SyncookiesSent"), 0);
    cr_assert_gt(snmp_value(buf, "IpExt:", "OutOctets"), 0);
    /* A small buffer gets a clean prefix. */
    n = net_snmp_format(ns, buf, 100);
    cr_assert_eq(n, 99);
    cr_assert_eq(strlen(buf), 99);
    net_sock_close(s);
    net_destroy(ns);
    cr_assert_eq(netenv_host_allocs_live(), 0, "net_destroy freed everything");
}

/* ---- the timer entry ---- */

static int frames_out;

static int count_output(struct netif *nif, struct pbuf *p)
{
    (void)nif;
    frames_out++;
    pbuf_free(p);
    return 0;
}

Test(net_basics, net_timer_reports_the_next_deadline)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct netstack *ns = net_create(NULL);
    struct netif *nif = netif_add(ns, NULL, mac, 1500, 0, count_output, NULL);
    struct net_sock *s;
    struct net_sockaddr_in to = net_sockaddr(IP4(192, 168, 1, 9), 9);
    uint64_t t0;

    cr_assert_eq(net_next_deadline(ns), UINT64_MAX, "nothing pending");
    netif_set_link(nif, true);
    netif_set_up(nif, true);
    netif_set_addr(nif, IP4(192, 168, 1, 1), IP4(255, 255, 255, 0), 0);
    cr_assert_eq(frames_out, 1, "the gratuitous ARP");
    cr_assert_eq(net_next_deadline(ns), UINT64_MAX);
    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &s), 0);
    cr_assert_eq(net_sock_connect(s, &to), 0);
    t0 = netenv_now_ns();
    cr_assert_eq(net_sock_send(s, "x", 1, 0), 1);
    /* An ARP request went out; its retry is due in a second. */
    cr_assert_eq(frames_out, 2);
    cr_assert_eq(net_next_deadline(ns), t0 + 1 * SEC);
    /* Too early: nothing happens, the same deadline comes back. */
    netenv_host_set_time(t0 + 500 * MS);
    cr_assert_eq(net_timer(ns, netenv_now_ns()), t0 + 1 * SEC);
    cr_assert_eq(frames_out, 2);
    netenv_host_set_time(t0 + 1 * SEC);
    cr_assert_eq(net_timer(ns, netenv_now_ns()), t0 + 2 * SEC);
    cr_assert_eq(frames_out, 3);
    netenv_host_set_time(t0 + 2 * SEC);
    net_timer(ns, netenv_now_ns());
    netenv_host_set_time(t0 + 3 * SEC);
    cr_assert_eq(net_timer(ns, netenv_now_ns()), UINT64_MAX, "resolution gave up");
    cr_assert_eq(frames_out, 4, "three requests in all");
    net_sock_close(s);
    net_destroy(ns);
}

/* ---- /proc/net/tcp and /proc/net/udp ---- */

static uint64_t fake_ino(void *owner)
{
    return (uint64_t)(uintptr_t)owner;
}

Test(net_basics, proc_net_tcp_udp_format)
{
    struct netstack *ns = net_create(NULL);
    struct net_sockaddr_in addr = net_sockaddr(IP4_LOOPBACK, 80);
    struct net_sock *ln, *cl, *srv, *u;
    char buf[8192];
    int n;

    cr_assert_eq(net_sock_create(ns, NET_SOCK_STREAM, 0, &ln), 0);
    net_sock_set_owner(ln, (void *)(uintptr_t)4242, NULL);
    cr_assert_eq(net_sock_bind(ln, &addr), 0);
    cr_assert_eq(net_sock_listen(ln, 8), 0);
    cr_assert_eq(net_sock_create(ns, NET_SOCK_STREAM, 0, &cl), 0);
    cr_assert_eq(net_sock_connect(cl, &addr), -EINPROGRESS);
    cr_assert_eq(net_sock_send(cl, "hello", 5, 0), 5);
    cr_assert_eq(net_sock_create(ns, NET_SOCK_DGRAM, 0, &u), 0);
    addr = net_sockaddr(IP4_LOOPBACK, 53);
    cr_assert_eq(net_sock_bind(u, &addr), 0);

    n = net_tcp_format(ns, buf, sizeof(buf), fake_ino);
    cr_assert_eq(n, (int)strlen(buf));
    cr_assert(strncmp(buf, "  sl  local_address rem_address   st tx_queue", 45) == 0);
    /* Every line is padded to Linux's width. */
    for (char *p = buf; *p != '\0'; p = strchr(p, '\n') + 1)
        cr_assert_eq(strchr(p, '\n') - p, 149);
    /* The listener, with one connection waiting in its accept queue. */
    cr_assert_neq(strstr(buf, ": 0100007F:0050 00000000:0000 0A 00000000:00000001 "), NULL, "%s",
                  buf);
    cr_assert_neq(strstr(buf, " 4242 1 "), NULL, "the listener's inode: %s", buf);
    /* Both ends of the connection, established; the server end has 5 bytes to read. */
    cr_assert_eq(net_sock_accept(ln, &srv, NULL), 0);
    n = net_tcp_format(ns, buf, sizeof(buf), fake_ino);
    cr_assert_neq(strstr(buf, " 01 00000000:00000005 "), NULL, "%s", buf);
    cr_assert_neq(strstr(buf, "0100007F:0050 01 "), NULL, "the client end: %s", buf);

    n = net_udp_format(ns, buf, sizeof(buf), fake_ino);
    cr_assert_eq(n, (int)strlen(buf));
    cr_assert(strncmp(buf, "   sl  local_address", 20) == 0);
    cr_assert_neq(strstr(buf, "    0: 0100007F:0035 00000000:0000 07 00000000:00000000 "), NULL,
                  "%s", buf);
    /* A small buffer gets a clean prefix. */
    cr_assert_eq(net_tcp_format(ns, buf, 50, fake_ino), 49);
    cr_assert_eq(strlen(buf), 49);

    net_sock_close(srv);
    net_sock_close(cl);
    net_sock_close(ln);
    net_sock_close(u);
    net_destroy(ns);
    cr_assert_eq(netenv_host_allocs_live(), 0, "net_destroy freed everything");
}
