/*
 * e1000.c - Intel 8254x (e1000, QEMU's 82540EM) and 82574L (e1000e)
 * Ethernet driver under the TCP/IP stack (net/netif.h).
 *
 * Both chips are driven the same way, through legacy descriptors:
 *
 *   receive   a ring of E1000_NRX descriptors, each pointing at a 2 KiB
 *             slot of one contiguous buffer area; a received frame is
 *             copied into a fresh pbuf and the slot handed straight back
 *             (RDT), so the ring is always full
 *   transmit  a ring of E1000_NTX descriptors; each frame's pbuf is sent
 *             in place (one descriptor, EOP|IFCS|RS) and freed once the
 *             NIC sets DD
 *
 * Interrupts (MSI-X on the 82574 with every cause on vector 0 through
 * IVAR, else MSI, else INTx): the handler reads and acknowledges ICR,
 * masks everything (IMC) and wakes the interface's "e1000" thread, which
 * takes the net lock, passes up to E1000_BUDGET frames to the stack,
 * reclaims sent buffers, follows link changes (LSC) and then unmasks
 * (IMS); when the budget ran out it keeps polling with interrupts masked,
 * as Linux's NAPI does. The original EggOS polled with the interrupt
 * masked all the time.
 *
 * The ring indices are kept by e1000_ring.h (host-tested).
 *
 * Locking: the net lock guards the rings and struct e1000 after probe;
 * the interrupt handler touches only ICR/IMC and `pending`. The transmit
 * tail (TDT) is written after the net lock is dropped (net_kernel_defer),
 * once for all frames queued under one hold of it, as virtio_net.c rings
 * its doorbell: an MMIO write traps to QEMU, which serves it under its big
 * lock, and the other vCPU must not spin for the net lock meanwhile.
 * `tdt_lock` orders those writes: each writes the newest tail published
 * under the net lock, so TDT never moves back.
 */
#include "core/printk.h"
#include "core/time.h"
#include "drivers/drivers.h"
#include "drivers/net/e1000_ring.h"
#include "drivers/pci/pci.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/page.h"
#include "net/netdev.h"
#include "net/netif.h"
#include "sched/spinlock.h"
#include "sched/thread.h"
#include "sched/waitq.h"

/* Registers (8254x / 82574 software developer's manuals). */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD 0x0014
#define E1000_ICR 0x00c0
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_IVAR 0x00e4 /* 82574 */
#define E1000_RCTL 0x0100
#define E1000_TCTL 0x0400
#define E1000_TIPG 0x0410
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_MTA 0x5200
#define E1000_MTA_NREGS 128
#define E1000_RAL0 0x5400
#define E1000_RAH0 0x5404

#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_STATUS_LU (1u << 1)
#define E1000_RAH_AV (1u << 31)

#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_SECRC (1u << 26) /* BSIZE 00: 2048-byte buffers */
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_TCTL_CT (0x10u << 4)
#define E1000_TCTL_COLD (0x40u << 12)
#define E1000_TIPG_DEFAULT (10u | (8u << 10) | (6u << 20))

/* Interrupt causes. */
#define E1000_ICR_TXDW (1u << 0)
#define E1000_ICR_LSC (1u << 2)
#define E1000_ICR_RXDMT0 (1u << 4)
#define E1000_ICR_RXO (1u << 6)
#define E1000_ICR_RXT0 (1u << 7)
#define E1000_ICR_RXQ0 (1u << 20) /* 82574: the causes MSI-X routes (IVAR) */
#define E1000_ICR_OTHER (1u << 24)
#define E1000_IMS_WANTED (E1000_ICR_LSC | E1000_ICR_RXDMT0 | E1000_ICR_RXO | E1000_ICR_RXT0)
#define E1000_IMS_WANTED_82574 (E1000_IMS_WANTED | E1000_ICR_RXQ0 | E1000_ICR_OTHER)

/* 82574 IVAR: rx queue 0, tx queue 0 and "other" causes all on vector 0. */
#define E1000_IVAR_VALID 0x8u
#define E1000_IVAR_ALL_VECTOR0                                                                     \
    (E1000_IVAR_VALID | (E1000_IVAR_VALID << 8) | (E1000_IVAR_VALID << 16))

/* EEPROM read register, whose layout differs per family. */
#define E1000_EERD_START 1u
#define E1000_EERD_DONE_8254X (1u << 4)
#define E1000_EERD_ADDR_SHIFT_8254X 8
#define E1000_EERD_DONE_82574 (1u << 1)
#define E1000_EERD_ADDR_SHIFT_82574 2
#define E1000_EERD_DATA_SHIFT 16
#define E1000_EEPROM_POLLS 100000

/* Descriptor bits. */
#define E1000_RXD_STAT_DD 0x01
#define E1000_RXD_STAT_EOP 0x02
#define E1000_TXD_CMD_EOP 0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_RS 0x08
#define E1000_TXD_STAT_DD 0x01

#define E1000_NRX 256
#define E1000_NTX 256
#define E1000_RX_BUFSIZE 2048
#define E1000_MTU 1500
#define E1000_BUDGET 64
#define E1000_RESET_POLLS 100000

#define PCI_VENDOR_INTEL 0x8086
#define E1000_DEV_82574L 0x10d3

struct e1000_rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "e1000_rx_desc");

struct e1000_tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "e1000_tx_desc");

struct e1000 {
    struct pci_dev *pci;
    volatile uint8_t *regs;
    bool is_82574;
    uint32_t ims; /* the interrupt causes we enable */
    struct netif *nif;

    /* The rings: net lock. */
    volatile struct e1000_rx_desc *rx;
    volatile struct e1000_tx_desc *tx;
    uint8_t *rx_bufs; /* E1000_NRX slots of E1000_RX_BUFSIZE */
    struct e1000_ring rxr, txr;
    struct pbuf *tx_pbufs[E1000_NTX];

    uint32_t tx_tail;     /* the tail to write (net lock to set, atomic to read) */
    spinlock_t tdt_lock;  /* serializes TDT writes, after the net lock */
    uint32_t tdt_written; /* tdt_lock */

    bool pending;    /* the interrupt fired (atomic) */
    struct waitq wq; /* the thread sleeps here */
};

static uint32_t rd32(struct e1000 *e, unsigned int reg)
{
    return *(volatile uint32_t *)(e->regs + reg);
}

static void wr32(struct e1000 *e, unsigned int reg, uint32_t v)
{
    *(volatile uint32_t *)(e->regs + reg) = v;
}

/* Interrupt context: acknowledge, mask and wake the thread. */
static void e1000_interrupt(struct trapframe *tf, void *arg)
{
    struct e1000 *e = arg;
    uint32_t icr;

    (void)tf;
    icr = rd32(e, E1000_ICR);
    if (icr == 0)
        return; /* a shared INTx line: not ours */
    wr32(e, E1000_ICR, icr);
    wr32(e, E1000_IMC, ~0u);
    __atomic_store_n(&e->pending, true, __ATOMIC_RELEASE);
    waitq_wake_all(&e->wq);
}

/* One 16-bit EEPROM word, or -EIO when the EEPROM does not answer. */
static int e1000_eeprom_read(struct e1000 *e, unsigned int word, uint16_t *out)
{
    uint32_t done = e->is_82574 ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;
    unsigned int shift = e->is_82574 ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;

    wr32(e, E1000_EERD, E1000_EERD_START | (word << shift));
    for (unsigned int i = 0; i < E1000_EEPROM_POLLS; i++) {
        uint32_t v = rd32(e, E1000_EERD);
        if (v & done) {
            *out = (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
            return 0;
        }
    }
    return -EIO;
}

/* The MAC address: receive address 0 when valid, else the EEPROM. */
static int e1000_read_mac(struct e1000 *e, uint8_t mac[ETH_ALEN])
{
    uint32_t lo = rd32(e, E1000_RAL0), hi = rd32(e, E1000_RAH0);

    if (hi & E1000_RAH_AV) {
        for (int i = 0; i < 4; i++)
            mac[i] = (uint8_t)(lo >> (8 * i));
        mac[4] = (uint8_t)hi;
        mac[5] = (uint8_t)(hi >> 8);
        return 0;
    }
    for (unsigned int w = 0; w < ETH_ALEN / 2; w++) {
        uint16_t v;
        if (e1000_eeprom_read(e, w, &v) != 0)
            return -EIO;
        mac[2 * w] = (uint8_t)v;
        mac[2 * w + 1] = (uint8_t)(v >> 8);
    }
    return 0;
}

static int e1000_reset(struct e1000 *e)
{
    wr32(e, E1000_IMC, ~0u);
    wr32(e, E1000_CTRL, rd32(e, E1000_CTRL) | E1000_CTRL_RST);
    for (unsigned int i = 0; i < E1000_RESET_POLLS; i++) {
        if (!(rd32(e, E1000_CTRL) & E1000_CTRL_RST)) {
            wr32(e, E1000_IMC, ~0u);
            (void)rd32(e, E1000_ICR);
            return 0;
        }
    }
    return -EIO;
}

static void e1000_rx_setup(struct e1000 *e)
{
    uint64_t pa = virt_to_phys((void *)e->rx);

    for (unsigned int i = 0; i < E1000_NRX; i++) {
        e->rx[i].addr = virt_to_phys(e->rx_bufs + (size_t)i * E1000_RX_BUFSIZE);
        e->rx[i].status = 0;
    }
    e1000_ring_init(&e->rxr, E1000_NRX);
    wr32(e, E1000_RDBAL, (uint32_t)pa);
    wr32(e, E1000_RDBAH, (uint32_t)(pa >> 32));
    wr32(e, E1000_RDLEN, E1000_NRX * sizeof(struct e1000_rx_desc));
    wr32(e, E1000_RDH, 0);
    /* Every descriptor but one belongs to the NIC: head == tail means empty. */
    wr32(e, E1000_RDT, E1000_NRX - 1);
    for (unsigned int i = 0; i < E1000_MTA_NREGS; i++)
        wr32(e, E1000_MTA + 4 * i, 0);
    wr32(e, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
}

static void e1000_tx_setup(struct e1000 *e)
{
    uint64_t pa = virt_to_phys((void *)e->tx);

    e1000_ring_init(&e->txr, E1000_NTX);
    e->tx_tail = 0;
    e->tdt_written = 0;
    wr32(e, E1000_TDBAL, (uint32_t)pa);
    wr32(e, E1000_TDBAH, (uint32_t)(pa >> 32));
    wr32(e, E1000_TDLEN, E1000_NTX * sizeof(struct e1000_tx_desc));
    wr32(e, E1000_TDH, 0);
    wr32(e, E1000_TDT, 0);
    wr32(e, E1000_TIPG, E1000_TIPG_DEFAULT);
    wr32(e, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD);
}

/* Net lock held: pass up to budget frames to the stack; returns how many. */
static unsigned int e1000_rx_drain(struct e1000 *e, unsigned int budget)
{
    unsigned int n = 0;

    while (n < budget) {
        unsigned int i = e1000_ring_next_used(&e->rxr);
        volatile struct e1000_rx_desc *d = &e->rx[i];
        uint8_t status = d->status;

        if (!(status & E1000_RXD_STAT_DD))
            break;
        __atomic_thread_fence(__ATOMIC_ACQUIRE); /* read the frame after DD */
        uint16_t len = d->length;
        if ((status & E1000_RXD_STAT_EOP) && d->errors == 0 && len >= ETH_HLEN &&
            len <= E1000_RX_BUFSIZE) {
            struct pbuf *p = pbuf_alloc(PBUF_LINK_HEADROOM, len);
            if (p != NULL) {
                memcpy(p->data, e->rx_bufs + (size_t)i * E1000_RX_BUFSIZE, len);
                netif_input(e->nif, p);
            } else {
                e->nif->stats.rx_dropped++;
            }
        } else {
            e->nif->stats.rx_errors++; /* errored, or spans buffers: too long */
        }
        d->status = 0;
        e1000_ring_consume(&e->rxr);
        /* The slot goes straight back: the tail is the one before next_used. */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        wr32(e, E1000_RDT, i);
        n++;
    }
    return n;
}

/* Net lock held: free the pbufs of frames the NIC has sent. */
static void e1000_tx_reclaim(struct e1000 *e)
{
    while (e1000_ring_in_flight(&e->txr) > 0) {
        unsigned int i = e1000_ring_next_used(&e->txr);
        if (!(e->tx[i].status & E1000_TXD_STAT_DD))
            break;
        pbuf_free(e->tx_pbufs[i]);
        e->tx_pbufs[i] = NULL;
        e1000_ring_consume(&e->txr);
    }
}

/* Write the newest transmit tail (net_kernel_defer: after the net lock). */
static void e1000_tx_kick(void *arg)
{
    struct e1000 *e = arg;
    uint64_t flags = spin_lock_irqsave(&e->tdt_lock);
    uint32_t tail = __atomic_load_n(&e->tx_tail, __ATOMIC_ACQUIRE);

    if (tail != e->tdt_written) {
        wr32(e, E1000_TDT, tail);
        e->tdt_written = tail;
    }
    spin_unlock_irqrestore(&e->tdt_lock, flags);
}

/* netif->output: net lock held; consumes p. */
static int e1000_output(struct netif *nif, struct pbuf *p)
{
    struct e1000 *e = nif->driver_data;
    volatile struct e1000_tx_desc *d;
    unsigned int i;

    e1000_tx_reclaim(e);
    if (e1000_ring_space(&e->txr) == 0 || p->len > ETH_HLEN + E1000_MTU + 4) {
        pbuf_free(p);
        return -ENOBUFS;
    }
    i = e1000_ring_produce(&e->txr);
    e->tx_pbufs[i] = p;
    d = &e->tx[i];
    d->addr = virt_to_phys(p->data);
    d->length = (uint16_t)p->len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    /* The descriptor before the tail (the kick's acquire pairs with this). */
    __atomic_store_n(&e->tx_tail, e1000_ring_tail(&e->txr), __ATOMIC_RELEASE);
    net_kernel_defer(e1000_tx_kick, e);
    return 0;
}

static void e1000_thread(void *arg)
{
    struct e1000 *e = arg;

    for (;;) {
        unsigned int n;
        bool up;

        net_kernel_lock();
        n = e1000_rx_drain(e, E1000_BUDGET);
        e1000_tx_reclaim(e);
        up = rd32(e, E1000_STATUS) & E1000_STATUS_LU;
        if (up != e->nif->link_up) {
            pr_info("%s: link %s\n", e->nif->name, up ? "up" : "down");
            netif_set_link(e->nif, up);
        }
        net_kernel_unlock();
        if (n == E1000_BUDGET) {
            sched_yield(); /* under load: keep polling, interrupts masked */
            continue;
        }
        wr32(e, E1000_IMS, e->ims);
        if (e->rx[e1000_ring_next_used(&e->rxr)].status & E1000_RXD_STAT_DD) {
            wr32(e, E1000_IMC, ~0u); /* a frame raced the unmask */
            continue;
        }
        wait_event(&e->wq, __atomic_exchange_n(&e->pending, false, __ATOMIC_ACQ_REL), 0, 0);
    }
}

/* Memory for the rings and receive slots (page-aligned, zeroed). */
static int e1000_alloc(struct e1000 *e)
{
    size_t rx_area = (size_t)E1000_NRX * E1000_RX_BUFSIZE;
    unsigned int order = 0;

    while (((size_t)PAGE_SIZE << order) < rx_area)
        order++;
    e->rx = page_alloc_va(0, PA_ZERO);
    e->tx = page_alloc_va(0, PA_ZERO);
    e->rx_bufs = page_alloc_va(order, PA_ZERO);
    if (e->rx == NULL || e->tx == NULL || e->rx_bufs == NULL)
        return -ENOMEM; /* what was allocated stays: probe failures are rare and boot-time */
    return 0;
}

static int e1000_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
    struct netstack *ns = net_kernel_stack();
    uint8_t mac[ETH_ALEN];
    void *args[1];
    struct thread *t;
    bool irq_ready = false;
    struct e1000 *e;
    int err;

    _Static_assert(E1000_NRX * sizeof(struct e1000_rx_desc) <= PAGE_SIZE, "rx ring in a page");
    _Static_assert(E1000_NTX * sizeof(struct e1000_tx_desc) <= PAGE_SIZE, "tx ring in a page");
    if (ns == NULL)
        return -ENODEV;
    e = kzalloc(sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    spin_init(&e->tdt_lock);
    e->pci = pci;
    e->is_82574 = id->device == E1000_DEV_82574L;
    e->ims = e->is_82574 ? E1000_IMS_WANTED_82574 : E1000_IMS_WANTED;
    waitq_init(&e->wq);
    pci_enable(pci);
    e->regs = pci_map_bar(pci, 0);
    if (e->regs == NULL) {
        err = -ENODEV;
        goto fail;
    }
    err = e1000_alloc(e);
    if (err != 0)
        goto fail;
    err = e1000_reset(e);
    if (err != 0)
        goto fail;
    err = e1000_read_mac(e, mac);
    if (err != 0)
        goto fail;
    wr32(e, E1000_CTRL, rd32(e, E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE);
    args[0] = e;
    err = pci_setup_irq(pci, 1, e1000_interrupt, args);
    if (err < 0)
        goto fail;
    irq_ready = true;
    if (e->is_82574 && pci->irq_mode == PCI_IRQ_MSIX)
        wr32(e, E1000_IVAR, E1000_IVAR_ALL_VECTOR0);

    net_kernel_lock();
    e->nif = netif_add(ns, NULL, mac, E1000_MTU, 0, e1000_output, e);
    if (e->nif != NULL) {
        e1000_rx_setup(e);
        e1000_tx_setup(e);
        netif_set_up(e->nif, true);
        netif_set_link(e->nif, rd32(e, E1000_STATUS) & E1000_STATUS_LU);
    }
    net_kernel_unlock();
    if (e->nif == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    pci->driver_data = e;
    pr_info("%s: %s %02x:%02x.%x mac %02x:%02x:%02x:%02x:%02x:%02x, irq %s\n", e->nif->name,
            e->is_82574 ? "e1000e 82574L" : "e1000", pci->bus, pci->slot, pci->func, mac[0], mac[1],
            mac[2], mac[3], mac[4], mac[5],
            pci->irq_mode == PCI_IRQ_MSIX  ? "msi-x"
            : pci->irq_mode == PCI_IRQ_MSI ? "msi"
                                           : "intx");
    t = thread_create("e1000", e1000_thread, e);
    if (t == NULL)
        return -ENOMEM;
    thread_start(t, -1);
    wr32(e, E1000_IMS, e->ims);
    return 0;
fail:
    pr_warn("e1000 %02x:%02x.%x: not started (%d)\n", pci->bus, pci->slot, pci->func, err);
    if (!irq_ready)
        kfree(e); /* else its interrupt handler may still look at it */
    return err;
}

static const struct pci_device_id e1000_ids[] = {
    {PCI_VENDOR_INTEL, 0x100e, PCI_CLASS_ANY, PCI_CLASS_ANY},           /* 82540EM (QEMU e1000) */
    {PCI_VENDOR_INTEL, 0x100c, PCI_CLASS_ANY, PCI_CLASS_ANY},           /* 82544GC */
    {PCI_VENDOR_INTEL, 0x100f, PCI_CLASS_ANY, PCI_CLASS_ANY},           /* 82545EM */
    {PCI_VENDOR_INTEL, E1000_DEV_82574L, PCI_CLASS_ANY, PCI_CLASS_ANY}, /* QEMU e1000e */
    {0, 0, 0, 0},
};

static struct pci_driver e1000_driver = {
    .name = "e1000",
    .ids = e1000_ids,
    .probe = e1000_probe,
};

void e1000_init(void)
{
    pci_register_driver(&e1000_driver);
}
