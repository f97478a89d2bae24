/*
 * dhcp.c - the DHCP client (see dhcp.h for the state machine).
 *
 * Each client owns a UDP endpoint on port 68 bound to its interface (so
 * clients on several interfaces share the port) that may send from
 * 0.0.0.0 to 255.255.255.255 before any address exists. Server replies
 * come back through udp_input -> dhcp_recv; retransmissions and the lease
 * timers through net_timer -> dhcp_timer_all -> client_timer.
 *
 * Retransmission (RFC 2131 4.1): 4 s, 8 s, 16 s, ... up to 64 s, each
 * randomized by +-1 s. In RENEWING and REBINDING, half the time left until
 * T2 or the lease's end, at least 60 s. Replies are trusted only if xid and
 * hardware address match, and every option is bounds-checked (dhcp_parse).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/dhcp.h"
#include "net/netenv.h"
#include "net/stack.h"
#include "net/udp.h"

#define NSEC_PER_S 1000000000ull
#define DHCP_MAGIC 0x63825363u
#define DHCP_MIN_MSG 300 /* BOOTP's minimum; some servers insist */
#define DHCP_MIN_LEASE_S 20
#define DHCP_MAX_BACKOFF_S 64
#define DHCP_REQUEST_TRIES 4
#define DHCP_NAK_DELAY_NS (3 * NSEC_PER_S)

/* Option codes (RFC 2132). */
#define OPT_PAD 0
#define OPT_NETMASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_HOSTNAME 12
#define OPT_DOMAIN 15
#define OPT_MTU 26
#define OPT_REQUESTED_IP 50
#define OPT_LEASE 51
#define OPT_OVERLOAD 52
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAM_LIST 55
#define OPT_MAX_SIZE 57
#define OPT_T1 58
#define OPT_T2 59
#define OPT_CLIENT_ID 61
#define OPT_END 255

struct dhcp_client {
    struct list_head link; /* ns->dhcp_clients */
    struct netstack *ns;
    struct netif *nif;
    struct udp_pcb *pcb;
    enum dhcp_state state;
    struct dhcp_params params;
    char hostname[NET_IPCONFIG_NAMELEN];
    dhcp_callback cb;
    void *arg;

    uint32_t xid;
    uint32_t attempts; /* DISCOVERs sent in this acquisition */
    uint32_t tries;    /* REQUESTs sent in this state */
    uint64_t started;  /* when this acquisition began (the secs field) */
    uint64_t deadline; /* next retransmission or state change, 0: none */

    uint32_t offered;   /* yiaddr of the offer we are requesting */
    uint32_t server_id; /* the server we deal with */
    uint64_t t1, t2, expiry;
    struct net_ipconfig lease;
};

static const char *const state_names[] = {"SELECTING", "REQUESTING", "BOUND",
                                          "RENEWING",  "REBINDING",  "FAILED"};

const char *dhcp_state_name(enum dhcp_state state)
{
    return (unsigned int)state < ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

enum dhcp_state dhcp_get_state(const struct dhcp_client *c)
{
    return c->state;
}

/* ---- parsing ---- */

static void parse_options(const uint8_t *p, size_t len, struct dhcp_msg *m, uint8_t *overload)
{
    size_t i = 0;

    while (i < len) {
        uint8_t code = p[i], olen;
        const uint8_t *v;
        if (code == OPT_PAD) {
            i++;
            continue;
        }
        if (code == OPT_END || i + 1 >= len)
            return;
        olen = p[i + 1];
        if (i + 2 + olen > len)
            return; /* runs past the end: ignore the rest */
        v = p + i + 2;
        switch (code) {
        case OPT_MSG_TYPE:
            if (olen == 1)
                m->type = v[0];
            break;
        case OPT_NETMASK:
            if (olen == 4)
                m->cfg.netmask = get_be32(v);
            break;
        case OPT_ROUTER:
            if (olen >= 4)
                m->cfg.gateway = get_be32(v);
            break;
        case OPT_DNS:
            for (int k = 0; k + 4 <= olen && m->cfg.ndns < NET_IPCONFIG_MAX_DNS; k += 4)
                m->cfg.dns[m->cfg.ndns++] = get_be32(v + k);
            break;
        case OPT_HOSTNAME:
        case OPT_DOMAIN: {
            char *dst = code == OPT_HOSTNAME ? m->cfg.hostname : m->cfg.domain;
            size_t n = 0;
            for (int k = 0; k < olen && n + 1 < NET_IPCONFIG_NAMELEN; k++) {
                if (v[k] > ' ' && v[k] <= '~') /* keep it printable */
                    dst[n++] = (char)v[k];
            }
            dst[n] = '\0';
            break;
        }
        case OPT_MTU:
            if (olen == 2)
                m->cfg.mtu = get_be16(v);
            break;
        case OPT_LEASE:
            if (olen == 4)
                m->cfg.lease_s = get_be32(v);
            break;
        case OPT_SERVER_ID:
            if (olen == 4)
                m->server_id = get_be32(v);
            break;
        case OPT_T1:
            if (olen == 4)
                m->t1_s = get_be32(v);
            break;
        case OPT_T2:
            if (olen == 4)
                m->t2_s = get_be32(v);
            break;
        case OPT_OVERLOAD:
            if (olen == 1 && overload != NULL)
                *overload = v[0];
            break;
        default:
            break;
        }
        i += 2 + (size_t)olen;
    }
}

int dhcp_parse(const uint8_t *msg, size_t len, struct dhcp_msg *m)
{
    uint8_t overload = 0;

    memset(m, 0, sizeof(*m));
    if (len < DHCP_FIXED_LEN + 4)
        return -EINVAL;
    if (msg[0] != 2 || msg[1] != 1 || msg[2] != 6) /* BOOTREPLY, Ethernet */
        return -EINVAL;
    if (get_be32(msg + DHCP_FIXED_LEN) != DHCP_MAGIC)
        return -EINVAL;
    m->xid = get_be32(msg + 4);
    m->yiaddr = get_be32(msg + 16);
    m->siaddr = get_be32(msg + 20);
    memcpy(m->chaddr, msg + 28, 6);
    parse_options(msg + DHCP_FIXED_LEN + 4, len - DHCP_FIXED_LEN - 4, m, &overload);
    /* RFC 2132 9.3: options may continue in the file and sname fields. */
    if (overload & 1)
        parse_options(msg + 108, 128, m, NULL);
    if (overload & 2)
        parse_options(msg + 44, 64, m, NULL);
    if (m->type == 0)
        return -EINVAL;
    m->cfg.dhcp = true;
    m->cfg.addr = m->yiaddr;
    m->cfg.server = m->server_id;
    return 0;
}

/* ---- sending ---- */

static uint8_t *put_opt(uint8_t *o, uint8_t code, uint8_t len, const void *val)
{
    o[0] = code;
    o[1] = len;
    memcpy(o + 2, val, len);
    return o + 2 + len;
}

static uint8_t *put_opt32(uint8_t *o, uint8_t code, uint32_t v)
{
    uint8_t b[4];

    put_be32(b, v);
    return put_opt(o, code, 4, b);
}

static void dhcp_send(struct dhcp_client *c, uint8_t type, uint32_t ciaddr, uint32_t requested,
                      uint32_t server_id, uint32_t dst)
{
    static const uint8_t params[] = {OPT_NETMASK, OPT_ROUTER, OPT_DNS, OPT_HOSTNAME, OPT_DOMAIN,
                                     OPT_MTU,     OPT_LEASE,  OPT_T1,  OPT_T2};
    struct pbuf *p = pbuf_alloc(PBUF_HEADROOM, 548);
    uint8_t *m, *o, id[7];
    uint64_t secs = (c->ns->now - c->started) / NSEC_PER_S;
    uint16_t max_size = 1500;

    if (p == NULL)
        return;
    m = p->data;
    memset(m, 0, p->len);
    m[0] = 1; /* BOOTREQUEST */
    m[1] = 1; /* Ethernet */
    m[2] = 6;
    put_be32(m + 4, c->xid);
    put_be16(m + 8, (uint16_t)MIN(secs, 0xffffu));
    put_be32(m + 12, ciaddr);
    memcpy(m + 28, c->nif->mac, ETH_ALEN);
    put_be32(m + DHCP_FIXED_LEN, DHCP_MAGIC);
    o = m + DHCP_FIXED_LEN + 4;
    o = put_opt(o, OPT_MSG_TYPE, 1, &type);
    id[0] = 1;
    memcpy(id + 1, c->nif->mac, ETH_ALEN);
    o = put_opt(o, OPT_CLIENT_ID, sizeof(id), id);
    if (type != DHCP_RELEASE) {
        uint8_t ms[2];
        put_be16(ms, max_size);
        o = put_opt(o, OPT_MAX_SIZE, 2, ms);
        o = put_opt(o, OPT_PARAM_LIST, sizeof(params), params);
        if (c->hostname[0] != '\0')
            o = put_opt(o, OPT_HOSTNAME, (uint8_t)strlen(c->hostname), c->hostname);
    }
    if (requested != 0)
        o = put_opt32(o, OPT_REQUESTED_IP, requested);
    if (server_id != 0)
        o = put_opt32(o, OPT_SERVER_ID, server_id);
    *o++ = OPT_END;
    pbuf_trim(p, MAX((size_t)(o - m), (size_t)DHCP_MIN_MSG));
    udp_send(c->pcb, p, dst, DHCP_SERVER_PORT);
}

/* RFC 2131 4.1: exponential backoff, randomized by -1..+1 s. */
static uint64_t backoff_ns(struct dhcp_client *c, uint32_t attempt)
{
    uint64_t base = (uint64_t)c->params.first_timeout_ms * 1000000ull;
    int16_t jitter;

    for (uint32_t i = 1; i < attempt && base < DHCP_MAX_BACKOFF_S * NSEC_PER_S; i++)
        base *= 2;
    base = MIN(base, DHCP_MAX_BACKOFF_S * NSEC_PER_S);
    netenv_random_bytes(&jitter, sizeof(jitter));
    if (base > 2 * NSEC_PER_S)
        base += (int64_t)(jitter % 1000) * 1000000ll;
    return base;
}

static void set_deadline(struct dhcp_client *c, uint64_t deadline)
{
    c->deadline = deadline;
    net_timer_arm(c->ns, deadline);
}

static void send_discover(struct dhcp_client *c)
{
    c->attempts++;
    dhcp_send(c, DHCP_DISCOVER, 0, 0, 0, IP4_BROADCAST);
    set_deadline(c, c->ns->now + backoff_ns(c, c->attempts));
}

static void restart(struct dhcp_client *c)
{
    netenv_random_bytes(&c->xid, sizeof(c->xid));
    c->state = DHCP_SELECTING;
    c->attempts = 0;
    c->tries = 0;
    c->started = c->ns->now;
    send_discover(c);
}

static void send_request(struct dhcp_client *c)
{
    c->tries++;
    switch (c->state) {
    case DHCP_REQUESTING:
        dhcp_send(c, DHCP_REQUEST, 0, c->offered, c->server_id, IP4_BROADCAST);
        set_deadline(c, c->ns->now + backoff_ns(c, c->tries));
        break;
    case DHCP_RENEWING:
        dhcp_send(c, DHCP_REQUEST, c->lease.addr, 0, 0, c->server_id);
        set_deadline(c, MIN(c->t2, c->ns->now + MAX((c->t2 - c->ns->now) / 2, 60 * NSEC_PER_S)));
        break;
    case DHCP_REBINDING:
        dhcp_send(c, DHCP_REQUEST, c->lease.addr, 0, 0, IP4_BROADCAST);
        set_deadline(
            c, MIN(c->expiry, c->ns->now + MAX((c->expiry - c->ns->now) / 2, 60 * NSEC_PER_S)));
        break;
    default:
        break;
    }
}

/* ---- the state machine ---- */

static void lose_lease(struct dhcp_client *c, const char *why)
{
    net_warn("dhcp: %s: lease on %u.%u.%u.%u %s; asking again", c->nif->name, c->lease.addr >> 24,
             (c->lease.addr >> 16) & 255, (c->lease.addr >> 8) & 255, c->lease.addr & 255, why);
    netif_set_addr(c->nif, 0, 0, 0);
    c->cb(c->arg, DHCP_EVENT_LOST, &c->lease);
    memset(&c->lease, 0, sizeof(c->lease));
    restart(c);
}

static void give_up(struct dhcp_client *c)
{
    uint64_t waited = (c->ns->now - c->started) / NSEC_PER_S;

    c->state = DHCP_FAILED;
    c->deadline = 0;
    net_warn("dhcp: %s: no DHCP server answered %u requests in %u s; giving up, the "
             "interface stays without an IPv4 address",
             c->nif->name, c->attempts, (unsigned int)waited);
    c->cb(c->arg, DHCP_EVENT_FAILED, NULL);
}

static void bind_lease(struct dhcp_client *c, const struct dhcp_msg *m)
{
    bool renewal = c->state == DHCP_RENEWING || c->state == DHCP_REBINDING;
    uint32_t lease = m->cfg.lease_s != 0 ? m->cfg.lease_s : 86400;
    uint64_t now = c->ns->now;
    char line[160];

    if (renewal && m->yiaddr != c->lease.addr) {
        lose_lease(c, "changed");
        return;
    }
    c->lease = m->cfg;
    c->lease.lease_s = lease;
    if (c->lease.server == 0)
        c->lease.server = c->server_id;
    if (c->lease.netmask == 0)
        c->lease.netmask = net_default_netmask(c->lease.addr);
    c->state = DHCP_BOUND;
    c->tries = 0;
    if (lease == 0xffffffffu) {
        c->t1 = c->t2 = c->expiry = 0; /* infinite: nothing to renew */
        c->deadline = 0;
    } else {
        uint64_t l = (uint64_t)MAX(lease, (uint32_t)DHCP_MIN_LEASE_S) * NSEC_PER_S;
        uint64_t t1 = m->t1_s != 0 ? (uint64_t)m->t1_s * NSEC_PER_S : l / 2;
        uint64_t t2 = m->t2_s != 0 ? (uint64_t)m->t2_s * NSEC_PER_S : l / 8 * 7;
        if (t2 >= l || t2 == 0)
            t2 = l / 8 * 7;
        if (t1 >= t2)
            t1 = t2 / 8 * 7;
        c->t1 = now + t1;
        c->t2 = now + t2;
        c->expiry = now + l;
        set_deadline(c, c->t1);
    }
    if (!renewal) {
        if (net_ipconfig_apply(c->nif, &c->lease) != 0) {
            net_warn("dhcp: %s: the offered configuration is unusable", c->nif->name);
            restart(c);
            return;
        }
        net_ipconfig_format(&c->lease, line, sizeof(line));
        net_notice("dhcp: %s: %s", c->nif->name, line);
    }
    c->cb(c->arg, renewal ? DHCP_EVENT_RENEWED : DHCP_EVENT_BOUND, &c->lease);
}

static void dhcp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const struct ip_rx *rx,
                      uint16_t sport)
{
    struct dhcp_client *c = arg;
    struct dhcp_msg m;

    (void)pcb;
    if (sport != DHCP_SERVER_PORT || dhcp_parse(p->data, p->len, &m) != 0 || m.xid != c->xid ||
        memcmp(m.chaddr, c->nif->mac, ETH_ALEN) != 0)
        goto out;
    if (m.server_id == 0)
        m.server_id = rx->src;
    switch (c->state) {
    case DHCP_SELECTING:
        if (m.type != DHCP_OFFER || !ip4_is_valid_source(m.yiaddr) || ip4_is_loopback(m.yiaddr))
            break;
        c->offered = m.yiaddr;
        c->server_id = m.server_id;
        c->state = DHCP_REQUESTING;
        c->tries = 0;
        send_request(c);
        break;
    case DHCP_REQUESTING:
        if (m.server_id != c->server_id)
            break;
        if (m.type == DHCP_ACK && m.yiaddr == c->offered) {
            bind_lease(c, &m);
        } else if (m.type == DHCP_NAK) {
            /* Start over, after a pause so a NAKing server cannot make us spin. */
            net_info("dhcp: %s: server declined our request", c->nif->name);
            c->state = DHCP_SELECTING;
            set_deadline(c, c->ns->now + DHCP_NAK_DELAY_NS);
        }
        break;
    case DHCP_RENEWING:
    case DHCP_REBINDING:
        if (m.type == DHCP_ACK) {
            c->server_id = m.server_id;
            bind_lease(c, &m);
        } else if (m.type == DHCP_NAK) {
            lose_lease(c, "refused by the server");
        }
        break;
    default:
        break;
    }
out:
    pbuf_free(p);
}

static void client_timer(struct dhcp_client *c)
{
    uint64_t now = c->ns->now;

    if (c->deadline == 0)
        return;
    if (c->deadline > now) {
        net_timer_arm(c->ns, c->deadline);
        return;
    }
    c->deadline = 0;
    switch (c->state) {
    case DHCP_SELECTING:
        if (c->attempts >= c->params.max_attempts)
            give_up(c);
        else
            send_discover(c);
        break;
    case DHCP_REQUESTING:
        if (c->tries >= DHCP_REQUEST_TRIES) {
            /* The offer went stale: look for servers again. */
            c->state = DHCP_SELECTING;
            if (c->attempts >= c->params.max_attempts)
                give_up(c);
            else
                send_discover(c);
        } else {
            send_request(c);
        }
        break;
    case DHCP_BOUND:
        c->state = DHCP_RENEWING;
        c->tries = 0;
        c->started = now;
        send_request(c);
        break;
    case DHCP_RENEWING:
        if (now >= c->t2) {
            c->state = DHCP_REBINDING;
            c->tries = 0;
        }
        send_request(c);
        break;
    case DHCP_REBINDING:
        if (now >= c->expiry)
            lose_lease(c, "expired");
        else
            send_request(c);
        break;
    case DHCP_FAILED:
        break;
    }
}

void dhcp_timer_all(struct netstack *ns)
{
    struct dhcp_client *c, *tmp;

    list_for_each_entry_safe (c, tmp, &ns->dhcp_clients, link) {
        client_timer(c);
    }
}

int dhcp_start(struct netif *nif, const struct dhcp_params *params, dhcp_callback cb, void *arg,
               struct dhcp_client **out)
{
    struct netstack *ns = nif->ns;
    struct dhcp_client *c, *it;
    int err = 0;

    net_enter(ns);
    list_for_each_entry (it, &ns->dhcp_clients, link) {
        if (it->nif == nif) {
            err = -EBUSY;
            goto out;
        }
    }
    c = netenv_zalloc(sizeof(*c));
    if (c == NULL) {
        err = -ENOMEM;
        goto out;
    }
    c->ns = ns;
    c->nif = nif;
    c->cb = cb;
    c->arg = arg;
    if (params != NULL)
        c->params = *params;
    if (c->params.max_attempts == 0)
        c->params.max_attempts = 4;
    if (c->params.first_timeout_ms == 0)
        c->params.first_timeout_ms = 4000;
    if (c->params.hostname != NULL) {
        size_t n = MIN(strlen(c->params.hostname), sizeof(c->hostname) - 1);
        memcpy(c->hostname, c->params.hostname, n);
    }
    c->params.hostname = NULL;
    c->pcb = udp_pcb_new(ns, IPPROTO_UDP, dhcp_recv, NULL, c);
    if (c->pcb == NULL) {
        netenv_free(c);
        err = -ENOMEM;
        goto out;
    }
    c->pcb->reuseaddr = true; /* one client per interface, all on port 68 */
    c->pcb->broadcast = true;
    c->pcb->netif = nif;
    err = udp_bind(c->pcb, 0, DHCP_CLIENT_PORT);
    if (err != 0) {
        udp_pcb_free(c->pcb);
        netenv_free(c);
        goto out;
    }
    list_add_tail(&c->link, &ns->dhcp_clients);
    restart(c);
    if (out != NULL)
        *out = c;
out:
    net_leave(ns);
    return err;
}

static void client_free(struct dhcp_client *c)
{
    list_del(&c->link);
    udp_pcb_free(c->pcb);
    netenv_free(c);
}

void dhcp_stop(struct dhcp_client *c, bool release)
{
    struct netstack *ns = c->ns;
    bool bound = c->state == DHCP_BOUND || c->state == DHCP_RENEWING || c->state == DHCP_REBINDING;

    net_enter(ns);
    if (bound) {
        if (release)
            dhcp_send(c, DHCP_RELEASE, c->lease.addr, 0, c->server_id, c->server_id);
        netif_set_addr(c->nif, 0, 0, 0);
    }
    client_free(c);
    net_leave(ns);
}

void dhcp_flush(struct netstack *ns)
{
    while (!list_empty(&ns->dhcp_clients))
        client_free(list_first_entry(&ns->dhcp_clients, struct dhcp_client, link));
}

void dhcp_netif_removed(struct netstack *ns, struct netif *nif)
{
    struct dhcp_client *c, *tmp;

    list_for_each_entry_safe (c, tmp, &ns->dhcp_clients, link) {
        if (c->nif == nif)
            client_free(c);
    }
}
