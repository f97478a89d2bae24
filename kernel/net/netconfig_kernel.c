/*
 * netconfig_kernel.c - boot-time IPv4 configuration of the NICs, as
 * Linux's ipconfig does it, and the files it leaves for the application.
 *
 * Parameters:
 *   ip=dhcp (the default) DHCP on every Ethernet interface
 *   ip=<addr>::<gw>:<mask>:<host>:<dev>:off[:<dns0>:<dns1>]
 *                         static configuration of one interface
 *   ip=off / ip=none      leave every interface unconfigured
 *   dhcp_timeout=<s>      how long boot waits for DHCP (default 10 s)
 *
 * init_thread calls net_autoconfig() after the drivers have registered
 * their interfaces. DHCP clients keep running after the bounded wait
 * (renewing their leases from net_timer); an interface whose server never
 * answers gets a warning and no address, and boot goes on. Then
 * start_application calls net_write_etc(), which writes /etc/resolv.conf
 * (so Go's resolver finds the DNS server) by unpacking a small cpio
 * archive into the root, before the initramfs, whose own files win; a
 * host name from DHCP or ip= goes into the kernel's hostname, from which
 * etc_defaults() (fs/etc_defaults.c) makes /etc/hostname and /etc/hosts.
 * A lease obtained only after the wait configures its interface but writes
 * no resolv.conf.
 *
 * Locking: the DHCP callback runs under the net lock and writes `boot`;
 * net_autoconfig reads it under the same lock.
 */
#include "core/params.h"
#include "core/printk.h"
#include "core/time.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "net/dhcp.h"
#include "net/ipconfig.h"
#include "net/netdev.h"
#include "net/netif.h"
#include "sched/waitq.h"

#define NETCONFIG_MAX_IFS 8
#define DHCP_BOOT_WAIT_S 10
#define NS_PER_S 1000000000ull
#define ETC_FILE_MAX 2048

extern char hostname[65]; /* linux/sys_misc.c */

enum ifstate { IF_WAITING, IF_BOUND, IF_FAILED };

struct ifslot {
    struct netif *nif;
    enum ifstate state;
};

static struct net_ipconfig ip_param = {.dhcp = true};
static uint64_t dhcp_wait_s = DHCP_BOOT_WAIT_S;

/* What boot learnt: guarded by the net lock until net_autoconfig returns. */
static struct {
    struct ifslot ifs[NETCONFIG_MAX_IFS];
    unsigned int nifs;
    struct net_ipconfig cfg; /* the first lease / the static config */
    bool have_cfg;
} boot;
static struct waitq boot_wq = WAITQ_INIT(boot_wq);

static int set_ip(const char *val)
{
    struct net_ipconfig cfg;

    if (val == NULL || net_ipconfig_parse(val, &cfg) != 0)
        return -EINVAL;
    ip_param = cfg;
    return 0;
}
KERNEL_PARAM("ip", set_ip);

static int set_dhcp_timeout(const char *val)
{
    uint64_t v = 0;

    if (val == NULL || *val == '\0')
        return -EINVAL;
    for (const char *s = val; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > 3600)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    dhcp_wait_s = v;
    return 0;
}
KERNEL_PARAM("dhcp_timeout", set_dhcp_timeout);

static void log_cfg(const char *ifname, const struct net_ipconfig *cfg)
{
    char line[192];

    net_ipconfig_format(cfg, line, sizeof(line));
    pr_info("net: %s: %s\n", ifname, line);
}

/* Net lock held: a DHCP client has news. */
static void dhcp_event(void *arg, enum dhcp_event event, const struct net_ipconfig *cfg)
{
    struct ifslot *slot = arg;

    switch (event) {
    case DHCP_EVENT_BOUND:
        log_cfg(slot->nif->name, cfg);
        if (!boot.have_cfg) {
            boot.cfg = *cfg;
            boot.have_cfg = true;
        }
        slot->state = IF_BOUND;
        break;
    case DHCP_EVENT_RENEWED:
        break;
    case DHCP_EVENT_LOST:
        pr_warn("net: %s: DHCP lease lost; the address is gone\n", slot->nif->name);
        break;
    case DHCP_EVENT_FAILED:
        pr_warn("net: %s: no answer from a DHCP server; the interface has no IPv4 address\n",
                slot->nif->name);
        slot->state = IF_FAILED;
        break;
    }
    waitq_wake_all(&boot_wq);
}

static bool all_settled(void)
{
    for (unsigned int i = 0; i < boot.nifs; i++) {
        if (READ_ONCE(boot.ifs[i].state) == IF_WAITING)
            return false;
    }
    return true;
}

/* Net lock held: the interfaces the configuration applies to. */
static void collect_ifs(struct netstack *ns, const char *device)
{
    char name[NETIF_NAMESIZE];

    for (unsigned int i = 0; i < 16 && boot.nifs < NETCONFIG_MAX_IFS; i++) {
        struct netif *nif;
        snprintf(name, sizeof(name), "eth%u", i);
        nif = netif_find(ns, name);
        if (nif == NULL)
            continue;
        if (device[0] != '\0' && strcmp(device, name) != 0)
            continue;
        boot.ifs[boot.nifs++] = (struct ifslot){nif, IF_WAITING};
    }
}

/* Net lock held: ip=<addr>:... on one interface. */
static void configure_static(void)
{
    struct ifslot *slot = &boot.ifs[0];
    int err;

    if (boot.nifs == 0) {
        pr_warn("net: ip=: no interface %s to configure\n",
                ip_param.device[0] ? ip_param.device : "eth0");
        return;
    }
    err = net_ipconfig_apply(slot->nif, &ip_param);
    if (err != 0) {
        pr_warn("net: %s: ip= configuration rejected (%d)\n", slot->nif->name, err);
        slot->state = IF_FAILED;
        return;
    }
    slot->state = IF_BOUND;
    boot.cfg = ip_param;
    boot.have_cfg = true;
    boot.nifs = 1;
    log_cfg(slot->nif->name, &ip_param);
}

/* Net lock held: start a DHCP client on every collected interface. */
static void configure_dhcp(void)
{
    for (unsigned int i = 0; i < boot.nifs; i++) {
        struct ifslot *slot = &boot.ifs[i];
        struct dhcp_client *c;
        int err = dhcp_start(slot->nif, NULL, dhcp_event, slot, &c);
        if (err != 0) {
            pr_warn("net: %s: DHCP client not started (%d)\n", slot->nif->name, err);
            slot->state = IF_FAILED;
        }
    }
}

void net_autoconfig(void)
{
    struct netstack *ns = net_kernel_stack();
    bool is_static = !ip_param.dhcp && !ip_param.off;
    uint64_t deadline;

    if (ns == NULL)
        return;
    if (ip_param.off) {
        pr_info("net: ip=off: interfaces left unconfigured\n");
        return;
    }
    net_kernel_lock();
    collect_ifs(ns, ip_param.device);
    if (is_static)
        configure_static();
    else if (boot.nifs > 0)
        configure_dhcp();
    net_kernel_unlock();
    if (boot.nifs == 0)
        return;
    if (!is_static) {
        pr_info("net: waiting up to %lu s for DHCP on %u interface%s\n", dhcp_wait_s, boot.nifs,
                boot.nifs == 1 ? "" : "s");
        deadline = ktime_ns() + dhcp_wait_s * NS_PER_S;
        wait_event(&boot_wq, all_settled(), deadline, 0);
    }
    net_kernel_lock();
    for (unsigned int i = 0; i < boot.nifs; i++) {
        if (boot.ifs[i].state == IF_WAITING)
            pr_warn("net: %s: no DHCP lease after %lu s; going on without an address (the "
                    "client keeps trying)\n",
                    boot.ifs[i].nif->name, dhcp_wait_s);
    }
    if (boot.have_cfg && boot.cfg.hostname[0] != '\0')
        strscpy(hostname, boot.cfg.hostname, sizeof(hostname));
    net_kernel_unlock();
}

/* ---- /etc files as a cpio archive ---- */

#define CPIO_HDR_LEN 110
#define CPIO_ALIGN 4

/* Append one newc entry; returns the new length or -ENOSPC. */
static int cpio_add(char *buf, size_t size, size_t len, const char *name, uint32_t mode,
                    const char *data, size_t dlen)
{
    size_t nlen = strlen(name) + 1;
    size_t need = ALIGN_UP(CPIO_HDR_LEN + nlen, CPIO_ALIGN) + ALIGN_UP(dlen, CPIO_ALIGN);

    if (len + need > size)
        return -ENOSPC;
    snprintf(buf + len, size - len, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
             0u, mode, 0u, 0u, 1u, 0u, (uint32_t)dlen, 0u, 0u, 0u, 0u, (uint32_t)nlen, 0u);
    len += CPIO_HDR_LEN;
    memcpy(buf + len, name, nlen);
    len += nlen;
    while (len % CPIO_ALIGN != 0)
        buf[len++] = '\0';
    memcpy(buf + len, data, dlen);
    len += dlen;
    while (len % CPIO_ALIGN != 0)
        buf[len++] = '\0';
    return (int)len;
}

void net_write_etc(struct super_block *root)
{
    char resolv[512];
    size_t size = ETC_FILE_MAX;
    char *buf;
    int len, rlen;

    if (!boot.have_cfg)
        return;
    rlen = net_ipconfig_resolv_conf(&boot.cfg, resolv, sizeof(resolv));
    buf = kmalloc(size, 0);
    if (buf == NULL)
        return;
    len = cpio_add(buf, size, 0, "etc", 040755, "", 0);
    if (len >= 0 && rlen > 0)
        len = cpio_add(buf, size, (size_t)len, "etc/resolv.conf", 0100644, resolv, (size_t)rlen);
    if (len >= 0)
        len = cpio_add(buf, size, (size_t)len, "TRAILER!!!", 0, "", 0);
    if (len < 0 || initramfs_unpack(root, buf, (size_t)len) != 0)
        pr_warn("net: could not write /etc/resolv.conf\n");
    kfree(buf);
}
