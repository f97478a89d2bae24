/*
 * virtio_net.c - the virtio network device driver (virtio 1.x section 5.1)
 * under the TCP/IP stack (net/netif.h), on every virtio transport: modern
 * and legacy PCI and virtio-mmio.
 *
 * Queues: 0 receive, 1 transmit. Every receive descriptor holds one pbuf
 * big enough for a full frame plus the virtio-net header, so the receive
 * ring stays full (many buffers in flight); with mergeable receive buffers
 * (VIRTIO_NET_F_MRG_RXBUF) a frame may still span several and is copied
 * together. Transmit puts the header in the pbuf's headroom and the frame
 * behind it: no copy. The transmit doorbell is rung once the net lock is
 * dropped (net_kernel_defer), once for all frames sent under it: under
 * emulation it is an exit to the hypervisor, and every CPU that wants the
 * lock would otherwise wait through it.
 *
 * Interrupts and polling (NAPI-like): the receive interrupt masks itself
 * (VIRTQ_AVAIL_F_NO_INTERRUPT) and wakes the interface's "vnet" thread,
 * which takes the net lock, passes up to VNET_BUDGET frames to the stack,
 * reclaims sent buffers and refills the ring. When the budget ran out it
 * polls again at once (after yielding); otherwise it unmasks the interrupt
 * and re-checks the ring for frames that raced the unmask. Transmit
 * completions raise no interrupt: output() and the thread reclaim them.
 *
 * Offloads: VIRTIO_NET_F_CSUM lets the stack leave TCP/UDP checksums to
 * the device (NEEDS_CSUM); VIRTIO_NET_F_GUEST_CSUM lets the device hand us
 * frames whose checksum it vouches for (DATA_VALID) or has not filled in
 * (NEEDS_CSUM, from a host-local sender). VIRTIO_NET_F_GUEST_TSO4 lets it
 * hand us a host TCP sender's segments merged into one IPv4 datagram of up
 * to 64 KiB (a tap backend sends what the host's TCP built, unsegmented):
 * one frame through the stack instead of forty-odd, under emulation the
 * difference between a CPU-bound receiver and a fast one. The frame spans
 * many mergeable buffers and is copied together; TCP learns the sender's
 * MSS from gso_size (pbuf->gso_size). Link state (VIRTIO_NET_F_STATUS)
 * is read from the configuration space once a second by the thread.
 *
 * Locking: the net lock guards everything in struct vnet except `pending`
 * (atomic, set by the interrupt) and the rings (vq->lock, virtio core).
 */
#include "core/printk.h"
#include "core/random.h"
#include "core/time.h"
#include "drivers/drivers.h"
#include "drivers/virtio/virtio.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "net/netdev.h"
#include "net/netif.h"
#include "sched/thread.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* Configuration space. */
#define VIRTIO_NET_CFG_MAC 0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_S_LINK_UP 1

/* virtio_net_hdr.flags */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_MTU 1500
#define VNET_FRAME_MAX (ETH_HLEN + VNET_MTU + 4) /* + a VLAN tag */
/* A merged GUEST_TSO4 frame: one IPv4 datagram of up to 64 KiB. */
#define VNET_GSO_FRAME_MAX (ETH_HLEN + 4 + 65535)
#define VNET_BUDGET 64 /* frames per poll before yielding */
#define VNET_LINK_POLL_NS (1000ull * 1000 * 1000)

struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers; /* only with MRG_RXBUF or VERSION_1 */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr");
/* Legacy devices without MRG_RXBUF use the header without num_buffers. */
#define VNET_HDR_LEGACY_LEN 10

struct vnet {
    struct virtio_device *vd;
    struct virtq *rxq, *txq;
    struct netif *nif;
    unsigned int hdr_len;   /* 10 or 12 */
    bool mergeable;         /* MRG_RXBUF */
    bool split_header;      /* legacy without ANY_LAYOUT: header in its own descriptor */
    unsigned int rx_posted; /* buffers on the receive ring (net lock) */
    unsigned int rx_descs;  /* descriptors per receive buffer */
    bool pending;           /* the interrupt fired (atomic) */
    struct waitq wq;        /* the thread sleeps here */
};

static unsigned int vnet_count;

static void vnet_rx_irq_enable(struct vnet *vn, bool on)
{
    struct virtq *vq = vn->rxq;
    uint64_t flags = spin_lock_irqsave(&vq->lock);

    vq->ring.avail->flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    spin_unlock_irqrestore(&vq->lock, flags);
}

/* Interrupt context: mask, note and wake the thread. */
static void vnet_interrupt(struct virtq *vq)
{
    struct vnet *vn = vq->vdev->priv;

    if (vn == NULL || vq->index != VNET_RXQ)
        return;
    vq->ring.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    __atomic_store_n(&vn->pending, true, __ATOMIC_RELEASE);
    waitq_wake_all(&vn->wq);
}

/* Post one empty receive buffer. 0, -ENOMEM or -ENOSPC (ring full). */
static int vnet_post_rx(struct vnet *vn)
{
    struct pbuf *p = pbuf_alloc(PBUF_LINK_HEADROOM, vn->hdr_len + VNET_FRAME_MAX);
    struct virtq_buf bufs[2];
    int err;

    if (p == NULL)
        return -ENOMEM;
    if (vn->split_header) {
        bufs[0] = (struct virtq_buf){virt_to_phys(p->data), vn->hdr_len};
        bufs[1] = (struct virtq_buf){virt_to_phys(p->data + vn->hdr_len), VNET_FRAME_MAX};
    } else {
        bufs[0] = (struct virtq_buf){virt_to_phys(p->data), vn->hdr_len + VNET_FRAME_MAX};
    }
    err = virtq_submit(vn->rxq, bufs, 0, vn->rx_descs, p);
    if (err != 0) {
        pbuf_free(p);
        return err;
    }
    vn->rx_posted++;
    return 0;
}

static void vnet_fill_rx(struct vnet *vn)
{
    while (vnet_post_rx(vn) == 0)
        ;
}

/*
 * A mergeable frame continues in more buffers: append them to p (which
 * may be reallocated). Returns the whole frame or NULL (dropped). A frame
 * longer than one IPv4 datagram in Ethernet is not one we asked for.
 */
static struct pbuf *vnet_merge(struct vnet *vn, struct pbuf *p, unsigned int more)
{
    size_t cap = MIN((size_t)p->len + more * (size_t)(vn->hdr_len + VNET_FRAME_MAX),
                     (size_t)vn->hdr_len + VNET_GSO_FRAME_MAX);
    struct pbuf *whole = pbuf_alloc(PBUF_LINK_HEADROOM, cap);
    uint32_t len = p->len, blen;
    bool ok = whole != NULL;

    if (ok)
        memcpy(whole->data, p->data, p->len);
    pbuf_free(p);
    while (more-- > 0) {
        struct pbuf *b = virtq_collect(vn->rxq, &blen);
        if (b == NULL) {
            ok = false;
            break;
        }
        vn->rx_posted--;
        if (ok && blen <= vn->hdr_len + VNET_FRAME_MAX && len + blen <= cap) {
            memcpy(whole->data + len, b->data, blen);
            len += blen;
        } else {
            ok = false;
        }
        pbuf_free(b);
    }
    if (!ok) {
        pbuf_free(whole);
        return NULL;
    }
    whole->len = len;
    return whole;
}

/* One received buffer of len bytes: strip the header and pass it up. */
static void vnet_rx_one(struct vnet *vn, struct pbuf *p, uint32_t len)
{
    struct virtio_net_hdr hdr;

    if (len < vn->hdr_len + ETH_HLEN || len > vn->hdr_len + VNET_FRAME_MAX) {
        vn->nif->stats.rx_errors++;
        pbuf_free(p);
        return;
    }
    p->len = len;
    memset(&hdr, 0, sizeof(hdr));
    memcpy(&hdr, p->data, vn->hdr_len);
    if (vn->mergeable && hdr.num_buffers > 1) {
        p = vnet_merge(vn, p, hdr.num_buffers - 1u);
        if (p == NULL) {
            vn->nif->stats.rx_errors++;
            return;
        }
    }
    pbuf_pull(p, vn->hdr_len);
    if (hdr.flags & (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM))
        p->flags |= PBUF_F_CSUM_VERIFIED;
    if ((hdr.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) {
        /* Segments the host's TCP made, merged (GUEST_TSO4): its MSS was gso_size. */
        p->gso_size = hdr.gso_size;
    } else if (hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE || p->len > VNET_FRAME_MAX) {
        vn->nif->stats.rx_errors++; /* a kind we did not negotiate, or too long */
        pbuf_free(p);
        return;
    }
    netif_input(vn->nif, p);
}

/* Net lock held: pass up to budget frames; returns how many. */
static unsigned int vnet_rx_drain(struct vnet *vn, unsigned int budget)
{
    unsigned int n = 0;
    uint32_t len;
    struct pbuf *p;

    while (n < budget && (p = virtq_collect(vn->rxq, &len)) != NULL) {
        vn->rx_posted--;
        vnet_rx_one(vn, p, len);
        n++;
    }
    vnet_fill_rx(vn);
    return n;
}

static void vnet_tx_reclaim(struct vnet *vn)
{
    struct pbuf *p;

    while ((p = virtq_collect(vn->txq, NULL)) != NULL)
        pbuf_free(p);
}

/* Ring the transmit doorbell (net_kernel_defer: after the net lock is dropped). */
static void vnet_tx_kick(void *arg)
{
    struct vnet *vn = arg;

    virtq_kick(vn->txq);
}

/* netif->output: net lock held; consumes p. */
static int vnet_output(struct netif *nif, struct pbuf *p)
{
    struct vnet *vn = nif->driver_data;
    struct virtio_net_hdr hdr;
    struct virtq_buf bufs[2];
    uint32_t frame_len = p->len;
    uint8_t *h;
    int err;

    memset(&hdr, 0, sizeof(hdr));
    if (p->flags & PBUF_F_CSUM_PARTIAL) {
        hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        hdr.csum_start = (uint16_t)pbuf_csum_start(p);
        hdr.csum_offset = p->csum_offset;
    }
    hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
    vnet_tx_reclaim(vn);
    h = pbuf_push(p, vn->hdr_len);
    if (h == NULL) {
        struct pbuf *c = pbuf_copy(p, PBUF_LINK_HEADROOM);
        pbuf_free(p);
        if (c == NULL)
            return -ENOBUFS;
        p = c;
        h = pbuf_push(p, vn->hdr_len);
    }
    memcpy(h, &hdr, vn->hdr_len);
    bufs[0] = (struct virtq_buf){virt_to_phys(p->data), vn->hdr_len};
    bufs[1] = (struct virtq_buf){virt_to_phys(p->data + vn->hdr_len), frame_len};
    err = virtq_submit_quiet(vn->txq, bufs, 2, 0, p);
    if (err != 0) {
        pbuf_free(p);
        return -ENOBUFS;
    }
    /* One doorbell for every frame sent under this hold of the lock, after it. */
    net_kernel_defer(vnet_tx_kick, vn);
    return 0;
}

static bool vnet_link_up(struct vnet *vn)
{
    uint16_t status = VIRTIO_NET_S_LINK_UP;

    if (virtio_has_feature(vn->vd, VIRTIO_NET_F_STATUS))
        virtio_read_config(vn->vd, VIRTIO_NET_CFG_STATUS, &status, sizeof(status));
    return status & VIRTIO_NET_S_LINK_UP;
}

/* The interface's thread: receive, reclaim, refill, link state. */
static void vnet_thread(void *arg)
{
    struct vnet *vn = arg;
    uint64_t next_link = 0;

    for (;;) {
        unsigned int n;
        bool more;

        net_kernel_lock();
        n = vnet_rx_drain(vn, VNET_BUDGET);
        vnet_tx_reclaim(vn);
        if (ktime_ns() >= next_link) {
            bool up = vnet_link_up(vn);
            if (up != vn->nif->link_up) {
                pr_info("%s: link %s\n", vn->nif->name, up ? "up" : "down");
                netif_set_link(vn->nif, up);
            }
            next_link = ktime_ns() + VNET_LINK_POLL_NS;
        }
        net_kernel_unlock();

        if (n == VNET_BUDGET) {
            sched_yield(); /* under load: keep polling, interrupt masked */
            continue;
        }
        vnet_rx_irq_enable(vn, true);
        /* The flag store must be visible before we read the used index (x86 may reorder). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        more = virtq_has_used(&vn->rxq->ring);
        if (more) {
            vnet_rx_irq_enable(vn, false);
            continue;
        }
        wait_event(&vn->wq, __atomic_exchange_n(&vn->pending, false, __ATOMIC_ACQ_REL), next_link,
                   0);
    }
}

static int vnet_probe(struct virtio_device *vd)
{
    struct netstack *ns = net_kernel_stack();
    uint64_t wanted = (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |
                      (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                      (1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_F_ANY_LAYOUT);
    uint64_t need = (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_MRG_RXBUF);
    uint8_t mac[ETH_ALEN];
    uint32_t nflags = 0;
    struct thread *t;
    struct vnet *vn;
    int err;

    if (ns == NULL)
        return -ENODEV;
    vn = kzalloc(sizeof(*vn));
    if (vn == NULL)
        return -ENOMEM;
    vn->vd = vd;
    waitq_init(&vn->wq);
    /*
     * Large receive (GUEST_TSO4) only with what it needs (5.1.3.1): checksums
     * and mergeable buffers, so a 64 KiB frame fills many small ones.
     */
    if ((virtio_offered_features(vd) & need) == need)
        wanted |= 1ull << VIRTIO_NET_F_GUEST_TSO4;
    err = virtio_start(vd, wanted, 2, vnet_interrupt);
    if (err != 0)
        goto fail;
    vn->rxq = vd->vqs[VNET_RXQ];
    vn->txq = vd->vqs[VNET_TXQ];
    vn->mergeable = virtio_has_feature(vd, VIRTIO_NET_F_MRG_RXBUF);
    vn->hdr_len =
        (!vd->legacy || vn->mergeable) ? sizeof(struct virtio_net_hdr) : VNET_HDR_LEGACY_LEN;
    vn->split_header = vd->legacy && !vn->mergeable && !virtio_has_feature(vd, VIRTIO_F_ANY_LAYOUT);
    vn->rx_descs = vn->split_header ? 2 : 1;
    /* Transmit completions are reaped by polling: no interrupts for them. */
    vn->txq->ring.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;

    if (virtio_has_feature(vd, VIRTIO_NET_F_MAC)) {
        virtio_read_config(vd, VIRTIO_NET_CFG_MAC, mac, sizeof(mac));
    } else {
        random_bytes(mac, sizeof(mac));
        mac[0] = (uint8_t)((mac[0] & ~1u) | 2u); /* unicast, locally administered */
    }
    if (virtio_has_feature(vd, VIRTIO_NET_F_CSUM))
        nflags |= NETIF_F_TX_CSUM;
    if (virtio_has_feature(vd, VIRTIO_NET_F_GUEST_CSUM))
        nflags |= NETIF_F_RX_CSUM;

    net_kernel_lock();
    vn->nif = netif_add(ns, NULL, mac, VNET_MTU, nflags, vnet_output, vn);
    if (vn->nif != NULL) {
        netif_set_up(vn->nif, true);
        netif_set_link(vn->nif, vnet_link_up(vn));
        vd->priv = vn;
        vnet_fill_rx(vn);
    }
    net_kernel_unlock();
    if (vn->nif == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    virtio_ready(vd);
    pr_info("%s: virtio-net %s mac %02x:%02x:%02x:%02x:%02x:%02x%s%s%s%s, %u rx buffers\n",
            vn->nif->name, vd->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
            vd->legacy ? " legacy" : "", (nflags & NETIF_F_TX_CSUM) ? " csum" : "",
            vn->mergeable ? " mrg_rxbuf" : "",
            virtio_has_feature(vd, VIRTIO_NET_F_GUEST_TSO4) ? " guest_tso4" : "", vn->rx_posted);
    vnet_count++;
    t = thread_create("vnet", vnet_thread, vn);
    if (t == NULL)
        return -ENOMEM; /* the interface exists but will not receive */
    thread_start(t, -1);
    return 0;
fail:
    kfree(vn);
    return err;
}

static struct virtio_driver virtio_net_driver = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .probe = vnet_probe,
};

void virtio_net_init(void)
{
    virtio_register_driver(&virtio_net_driver);
}
