/*
 * net.c - the stack object: creation, teardown, the event bracket around
 * every entry point, the loopback queue and the one timer entry.
 *
 * Every function the outside calls (socket calls, netif_input, net_timer,
 * configuration) runs between net_enter() and net_leave(). net_leave() of
 * the outermost call delivers packets queued for local addresses and frees
 * what was released during the event (see stack.h).
 *
 * net_timer() is the only clock input: it runs ARP, reassembly, TCP and
 * DHCP timers and returns the next deadline. Subsystems lower that
 * deadline with net_timer_arm() whenever they start a timer.
 */
#include <stdarg.h>

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/netenv.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/udp.h"

/* Loopback packets delivered per event before the rest waits for a timer. */
#define LOOP_DRAIN_BATCH 100000

void *netenv_zalloc(size_t size)
{
    void *p = netenv_alloc(size);

    if (p != NULL)
        memset(p, 0, size);
    return p;
}

static void set_default_limits(struct net_limits *l)
{
#define DEFAULT(field, value)                                                                      \
    do {                                                                                           \
        if (l->field == 0)                                                                         \
            l->field = (value);                                                                    \
    } while (0)
    DEFAULT(arp_max_entries, 256);
    DEFAULT(arp_max_queue, 64);
    DEFAULT(arp_max_queue_bytes, 256 * 1024);
    DEFAULT(reass_max_bytes, 256 * 1024);
    DEFAULT(reass_max_datagrams, 64);
    DEFAULT(reass_max_frags, 64);
    DEFAULT(loop_max_queue, 4096);
    DEFAULT(tcp_max_syn_backlog, 256);
    DEFAULT(tcp_max_orphans, 4096);
    DEFAULT(tcp_max_tw, 4096);
    DEFAULT(tcp_rto_min_ms, 200);
    DEFAULT(tcp_syncookies, 1);
    DEFAULT(icmp_rate, 1000);
#undef DEFAULT
}

static int loopback_output(struct netif *nif, struct pbuf *p)
{
    return net_loopback_queue(nif->ns, p);
}

struct netstack *net_create(const struct net_limits *limits)
{
    static const uint8_t no_mac[ETH_ALEN];
    struct netstack *ns = netenv_zalloc(sizeof(*ns));
    struct netif *lo;

    if (ns == NULL)
        return NULL;
    if (limits != NULL)
        ns->limits = *limits;
    set_default_limits(&ns->limits);
    ns->now = netenv_now_ns();
    ns->next_deadline = UINT64_MAX;
    list_init(&ns->netifs);
    ns->next_ifindex = 1;
    list_init(&ns->loop_queue);
    list_init(&ns->reass.datagrams);
    list_init(&ns->udp_pcbs);
    list_init(&ns->ping_pcbs);
    list_init(&ns->socks);
    list_init(&ns->dhcp_clients);
    netenv_random_bytes(&ns->ip_id, sizeof(ns->ip_id));
    ns->icmp_tokens = 50;
    ns->icmp_tokens_time = ns->now;
    tcp_init(ns);

    lo = netif_add(ns, "lo", no_mac, 65535, NETIF_F_LOOPBACK | NETIF_F_TX_CSUM, loopback_output,
                   NULL);
    if (lo == NULL) {
        netenv_free(ns);
        return NULL;
    }
    ns->loopback = lo;
    netif_set_link(lo, true);
    netif_set_up(lo, true);
    netif_set_addr(lo, IP4_LOOPBACK, IP4(255, 0, 0, 0), 0);
    return ns;
}

void net_destroy(struct netstack *ns)
{
    struct netif *nif, *tmp;

    if (ns == NULL)
        return;
    ns->depth++; /* nothing below may deliver loopback packets */
    sock_flush(ns);
    dhcp_flush(ns);
    tcp_flush(ns);
    udp_flush(ns);
    ip_reass_flush(ns);
    pbuf_free_list(&ns->loop_queue);
    list_for_each_entry_safe (nif, tmp, &ns->netifs, link) {
        list_del(&nif->link);
        arp_free_netif(nif);
        netenv_free(nif);
    }
    netenv_free(ns);
}

void net_set_lock_check(struct netstack *ns, bool (*held)(void))
{
    ns->lock_held = held;
}

void net_enter(struct netstack *ns)
{
    uint64_t now;

    if (ns->lock_held != NULL && !ns->lock_held())
        netenv_bug("net: called without the net lock");
    ns->depth++;
    now = netenv_now_ns();
    if (now > ns->now)
        ns->now = now;
}

static void loopback_drain(struct netstack *ns)
{
    unsigned int n = 0;

    while (!list_empty(&ns->loop_queue)) {
        struct pbuf *p = list_first_entry(&ns->loop_queue, struct pbuf, link);

        if (n++ == LOOP_DRAIN_BATCH) {
            /* Something keeps answering itself; let the timer go on. */
            net_timer_arm(ns, ns->now);
            break;
        }
        list_del(&p->link);
        ns->loop_qlen--;
        netif_input(ns->loopback, p);
    }
}

void net_leave(struct netstack *ns)
{
    NET_ASSERT(ns->depth > 0);
    if (ns->depth == 1) {
        loopback_drain(ns);
        tcp_free_released(ns);
    }
    ns->depth--;
}

void net_timer_arm(struct netstack *ns, uint64_t deadline)
{
    if (deadline < ns->next_deadline)
        ns->next_deadline = deadline;
}

uint64_t net_timer(struct netstack *ns, uint64_t now_ns)
{
    uint64_t next;

    net_enter(ns);
    if (now_ns > ns->now)
        ns->now = now_ns;
    if (ns->now >= ns->next_deadline) {
        ns->next_deadline = UINT64_MAX;
        arp_timer(ns);
        ip_reass_timer(ns);
        tcp_timer(ns);
        dhcp_timer_all(ns);
    }
    net_leave(ns);
    next = ns->next_deadline;
    return next;
}

uint64_t net_next_deadline(struct netstack *ns)
{
    return ns->next_deadline;
}

int net_loopback_queue(struct netstack *ns, struct pbuf *p)
{
    struct netif *lo = ns->loopback;

    if (ns->loop_qlen >= ns->limits.loop_max_queue) {
        lo->stats.tx_dropped++;
        pbuf_free(p);
        return -ENOBUFS;
    }
    /* Checksums are never computed for packets that stay in memory. */
    if (p->flags & PBUF_F_CSUM_PARTIAL) {
        p->flags &= ~PBUF_F_CSUM_PARTIAL;
        p->flags |= PBUF_F_CSUM_VERIFIED;
    }
    lo->stats.tx_packets++;
    lo->stats.tx_bytes += p->len;
    list_add_tail(&p->link, &ns->loop_queue);
    ns->loop_qlen++;
    if (ns->depth == 0)
        loopback_drain(ns);
    return 0;
}

static int uio_kernel_in(void *ctx, size_t off, void *dst, size_t n)
{
    memcpy(dst, (uint8_t *)ctx + off, n);
    return 0;
}

static int uio_kernel_out(void *ctx, size_t off, const void *src, size_t n)
{
    memcpy((uint8_t *)ctx + off, src, n);
    return 0;
}

void net_uio_kernel(struct net_uio *uio, void *buf, size_t len)
{
    uio->copy_in = uio_kernel_in;
    uio->copy_out = uio_kernel_out;
    uio->ctx = buf;
    uio->len = len;
}

int net_scnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (size == 0)
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    return (size_t)n >= size ? (int)size - 1 : n;
}

unsigned int net_prefix_len(uint32_t netmask)
{
    unsigned int n = 0;

    while (netmask & 0x80000000u) {
        n++;
        netmask <<= 1;
    }
    return n;
}
