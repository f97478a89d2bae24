/*
 * ipconfig.c - parsing of Linux's ip= parameter, and applying an IPv4
 * configuration to an interface (see ipconfig.h).
 *
 * The syntax is Linux's (Documentation/admin-guide/nfs/nfsroot.rst). The
 * input comes from the command line, so every field is checked and a bad
 * one rejects the whole parameter instead of half-configuring the machine.
 * Called by the kernel's parameter code and by dhcp.c's callback users.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ipconfig.h"
#include "net/netif.h"
#include "net/stack.h"

#define IP_FIELDS 10

int net_parse_ip4(const char *s, size_t len, uint32_t *out)
{
    uint32_t addr = 0, part = 0;
    int parts = 0, digits = 0;

    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : '.';
        if (c >= '0' && c <= '9') {
            part = part * 10 + (uint32_t)(c - '0');
            if (++digits > 3 || part > 255)
                return -EINVAL;
        } else if (c == '.') {
            if (digits == 0 || parts == 4)
                return -EINVAL;
            addr = addr << 8 | part;
            parts++;
            part = 0;
            digits = 0;
        } else {
            return -EINVAL;
        }
    }
    if (parts != 4)
        return -EINVAL;
    *out = addr;
    return 0;
}

uint32_t net_default_netmask(uint32_t addr)
{
    if ((addr >> 31) == 0)
        return 0xff000000u; /* class A */
    if ((addr >> 30) == 2)
        return 0xffff0000u; /* class B */
    return 0xffffff00u;     /* class C (and anything else) */
}

static bool word_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* The autoconf word: 0 static, 1 dynamic, -EINVAL unknown. */
static int autoconf_word(const char *s, size_t len)
{
    if (word_is(s, len, "off") || word_is(s, len, "none"))
        return 0;
    if (word_is(s, len, "on") || word_is(s, len, "any") || word_is(s, len, "dhcp") ||
        word_is(s, len, "bootp") || word_is(s, len, "rarp") || word_is(s, len, "both"))
        return 1;
    return -EINVAL;
}

static int copy_name(char *dst, size_t size, const char *s, size_t len)
{
    if (len >= size)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        /* Printable, no spaces: these end up in files and log lines. */
        if (s[i] <= ' ' || s[i] > '~')
            return -EINVAL;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

int net_ipconfig_parse(const char *s, struct net_ipconfig *out)
{
    struct net_ipconfig cfg;
    const char *field[IP_FIELDS];
    size_t flen[IP_FIELDS];
    int nfields = 0, autoconf = -1, err;
    const char *p = s;

    if (s == NULL)
        return -EINVAL;
    memset(&cfg, 0, sizeof(cfg));
    /* The one-word forms. */
    if (strchr(s, ':') == NULL && autoconf_word(s, strlen(s)) >= 0) {
        int a = autoconf_word(s, strlen(s));
        cfg.off = a == 0;
        cfg.dhcp = a == 1;
        *out = cfg;
        return 0;
    }
    /* Split on ':' (fields beyond the tenth are ignored, as on Linux). */
    while (nfields < IP_FIELDS) {
        const char *colon = strchr(p, ':');
        field[nfields] = p;
        flen[nfields] = colon != NULL ? (size_t)(colon - p) : strlen(p);
        nfields++;
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    for (int i = nfields; i < IP_FIELDS; i++) {
        field[i] = "";
        flen[i] = 0;
    }
#define ADDR_FIELD(i, dst)                                                                         \
    do {                                                                                           \
        if (flen[i] > 0 && net_parse_ip4(field[i], flen[i], &(dst)) != 0)                          \
            return -EINVAL;                                                                        \
    } while (0)
    ADDR_FIELD(0, cfg.addr);
    ADDR_FIELD(1, cfg.server);
    ADDR_FIELD(2, cfg.gateway);
    ADDR_FIELD(3, cfg.netmask);
    if (flen[7] > 0) {
        ADDR_FIELD(7, cfg.dns[0]);
        cfg.ndns = 1;
    }
    if (flen[8] > 0) {
        ADDR_FIELD(8, cfg.dns[cfg.ndns]);
        cfg.ndns++;
    }
    ADDR_FIELD(9, cfg.ntp);
#undef ADDR_FIELD
    err = copy_name(cfg.hostname, sizeof(cfg.hostname), field[4], flen[4]);
    if (err == 0)
        err = copy_name(cfg.device, sizeof(cfg.device), field[5], flen[5]);
    if (err != 0)
        return err;
    if (flen[6] > 0) {
        autoconf = autoconf_word(field[6], flen[6]);
        if (autoconf < 0)
            return -EINVAL;
    }
    if (cfg.addr != 0 && !ip4_is_valid_source(cfg.addr))
        return -EINVAL;
    /*
     * Linux's rules: an explicit autoconf word decides; without one, a
     * client address means static configuration and no address means DHCP.
     */
    if (autoconf == 1 || (autoconf < 0 && cfg.addr == 0))
        cfg.dhcp = true;
    else if (cfg.addr == 0)
        cfg.off = true;
    if (!cfg.dhcp && cfg.addr != 0 && cfg.netmask == 0)
        cfg.netmask = net_default_netmask(cfg.addr);
    if (cfg.netmask != 0 && ((~cfg.netmask) & (~cfg.netmask + 1)) != 0)
        return -EINVAL; /* not a contiguous mask */
    *out = cfg;
    return 0;
}

int net_ipconfig_apply(struct netif *nif, const struct net_ipconfig *cfg)
{
    uint32_t mask = cfg->netmask != 0 ? cfg->netmask : net_default_netmask(cfg->addr);

    if (cfg->addr == 0)
        return -EINVAL;
    if (cfg->mtu >= 576 && cfg->mtu < nif->mtu)
        nif->mtu = cfg->mtu;
    return netif_set_addr(nif, cfg->addr, mask, cfg->gateway);
}

#define IP_ARGS(a) (a) >> 24, ((a) >> 16) & 255, ((a) >> 8) & 255, (a)&255

int net_ipconfig_resolv_conf(const struct net_ipconfig *cfg, char *buf, size_t size)
{
    int n = net_scnprintf(buf, size, "# written by EggOS from %s\n",
                          cfg->dhcp ? "DHCP" : "the ip= parameter");

    if (cfg->domain[0] != '\0')
        n += net_scnprintf(buf + n, size - (size_t)n, "search %s\n", cfg->domain);
    for (uint32_t i = 0; i < cfg->ndns && i < NET_IPCONFIG_MAX_DNS; i++)
        n += net_scnprintf(buf + n, size - (size_t)n, "nameserver %u.%u.%u.%u\n",
                           IP_ARGS(cfg->dns[i]));
    return n;
}

int net_ipconfig_format(const struct net_ipconfig *cfg, char *buf, size_t size)
{
    int n;

    if (cfg->off)
        return net_scnprintf(buf, size, "off");
    n = net_scnprintf(buf, size, "addr %u.%u.%u.%u/%u gw %u.%u.%u.%u", IP_ARGS(cfg->addr),
                      net_prefix_len(cfg->netmask), IP_ARGS(cfg->gateway));
    for (uint32_t i = 0; i < cfg->ndns && i < NET_IPCONFIG_MAX_DNS; i++)
        n += net_scnprintf(buf + n, size - (size_t)n, " dns %u.%u.%u.%u", IP_ARGS(cfg->dns[i]));
    if (cfg->hostname[0] != '\0')
        n += net_scnprintf(buf + n, size - (size_t)n, " host %s", cfg->hostname);
    if (cfg->lease_s != 0)
        n += net_scnprintf(buf + n, size - (size_t)n, " lease %u s", cfg->lease_s);
    return n;
}
