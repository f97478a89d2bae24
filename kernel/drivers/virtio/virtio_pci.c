/*
 * virtio_pci.c - the virtio PCI transports: modern (virtio 1.x, registers
 * found through vendor capabilities in memory BARs) and legacy (0.9.5,
 * registers in I/O BAR 0). Transitional devices offer both; the modern
 * interface is used when its capabilities are present.
 *
 * Interrupts: MSI-X with one vector per queue when the device grants
 * enough, else one vector for all queues (MSI-X, MSI or INTx; with INTx or
 * MSI the ISR register is read, which also deasserts INTx).
 */
#include "arch/x86_64/cpu.h"
#include "core/printk.h"
#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_FIRST 0x1000
#define VIRTIO_PCI_DEVICE_LEGACY_LAST 0x103f
#define VIRTIO_PCI_DEVICE_MODERN_BASE 0x1040
#define VIRTIO_PCI_DEVICE_LAST 0x107f

/* Vendor capability layout and types (virtio 1.x 4.1.4). */
#define VCAP_CFG_TYPE 3
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_NOTIFY_MULT 16
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4

/* Modern common configuration (virtio 1.x 4.1.4.3). */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_NUMQ 0x12
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESC 0x20
#define COMMON_Q_AVAIL 0x28
#define COMMON_Q_USED 0x30

/* Legacy I/O registers (virtio 0.9.5). */
#define LEG_HOST_FEATURES 0x00
#define LEG_GUEST_FEATURES 0x04
#define LEG_QUEUE_PFN 0x08
#define LEG_QUEUE_SIZE 0x0c
#define LEG_QUEUE_SELECT 0x0e
#define LEG_QUEUE_NOTIFY 0x10
#define LEG_STATUS 0x12
#define LEG_ISR 0x13
#define LEG_MSIX_CONFIG 0x14
#define LEG_MSIX_QUEUE 0x16
#define LEG_CONFIG_NOMSIX 0x14
#define LEG_CONFIG_MSIX 0x18
#define LEG_PFN_SHIFT 12

struct virtio_pci;

/* What one interrupt vector serves. */
struct vp_vector {
    struct virtio_pci *vp;
    int queue; /* -1: every queue */
};

struct virtio_pci {
    struct virtio_device vd;
    struct pci_dev *pci;
    /* modern */
    volatile uint8_t *common, *isr, *device, *notify;
    uint32_t notify_mult;
    size_t device_len;
    /* legacy */
    uint16_t iobase;
    struct vp_vector vectors[VIRTIO_MAX_QUEUES];
    bool per_queue_vectors;
};

static struct virtio_pci *to_vp(struct virtio_device *vd)
{
    return vd->transport;
}

#define MMIO8(p, off) (*(volatile uint8_t *)((p) + (off)))
#define MMIO16(p, off) (*(volatile uint16_t *)((p) + (off)))
#define MMIO32(p, off) (*(volatile uint32_t *)((p) + (off)))

/* ---- modern ---- */

static uint8_t modern_get_status(struct virtio_device *vd)
{
    return MMIO8(to_vp(vd)->common, COMMON_STATUS);
}

static void modern_set_status(struct virtio_device *vd, uint8_t status)
{
    volatile uint8_t *c = to_vp(vd)->common;

    MMIO8(c, COMMON_STATUS) = status;
    /* A reset completes when the device reads back 0. */
    while (status == 0 && MMIO8(c, COMMON_STATUS) != 0)
        cpu_relax();
}

static uint64_t modern_get_features(struct virtio_device *vd)
{
    volatile uint8_t *c = to_vp(vd)->common;
    uint64_t f;

    MMIO32(c, COMMON_DFSELECT) = 0;
    f = MMIO32(c, COMMON_DF);
    MMIO32(c, COMMON_DFSELECT) = 1;
    return f | ((uint64_t)MMIO32(c, COMMON_DF) << 32);
}

static void modern_set_features(struct virtio_device *vd, uint64_t features)
{
    volatile uint8_t *c = to_vp(vd)->common;

    MMIO32(c, COMMON_GFSELECT) = 0;
    MMIO32(c, COMMON_GF) = (uint32_t)features;
    MMIO32(c, COMMON_GFSELECT) = 1;
    MMIO32(c, COMMON_GF) = (uint32_t)(features >> 32);
}

static void modern_read_config(struct virtio_device *vd, unsigned int off, void *buf, size_t len)
{
    struct virtio_pci *vp = to_vp(vd);

    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = off + i < vp->device_len ? MMIO8(vp->device, off + i) : 0;
}

static void modern_write_config(struct virtio_device *vd, unsigned int off, const void *buf,
                                size_t len)
{
    struct virtio_pci *vp = to_vp(vd);

    for (size_t i = 0; i < len && off + i < vp->device_len; i++)
        MMIO8(vp->device, off + i) = ((const uint8_t *)buf)[i];
}

static unsigned int modern_queue_max(struct virtio_device *vd, unsigned int idx)
{
    volatile uint8_t *c = to_vp(vd)->common;

    if (idx >= MMIO16(c, COMMON_NUMQ))
        return 0;
    MMIO16(c, COMMON_Q_SELECT) = (uint16_t)idx;
    return MMIO16(c, COMMON_Q_SIZE);
}

static int modern_queue_enable(struct virtio_device *vd, struct virtq *vq)
{
    struct virtio_pci *vp = to_vp(vd);
    volatile uint8_t *c = vp->common;

    MMIO16(c, COMMON_Q_SELECT) = (uint16_t)vq->index;
    MMIO16(c, COMMON_Q_SIZE) = vq->ring.num;
    if (vq->msix_vector != VIRTIO_NO_VECTOR) {
        MMIO16(c, COMMON_Q_MSIX) = vq->msix_vector;
        if (MMIO16(c, COMMON_Q_MSIX) != vq->msix_vector)
            return -EBUSY;
    }
    MMIO32(c, COMMON_Q_DESC) = (uint32_t)vq->ring.desc_pa;
    MMIO32(c, COMMON_Q_DESC + 4) = (uint32_t)(vq->ring.desc_pa >> 32);
    MMIO32(c, COMMON_Q_AVAIL) = (uint32_t)vq->ring.avail_pa;
    MMIO32(c, COMMON_Q_AVAIL + 4) = (uint32_t)(vq->ring.avail_pa >> 32);
    MMIO32(c, COMMON_Q_USED) = (uint32_t)vq->ring.used_pa;
    MMIO32(c, COMMON_Q_USED + 4) = (uint32_t)(vq->ring.used_pa >> 32);
    vq->notify_addr = (uintptr_t)(vp->notify + (size_t)MMIO16(c, COMMON_Q_NOFF) * vp->notify_mult);
    MMIO16(c, COMMON_Q_ENABLE) = 1;
    return 0;
}

static void modern_notify(struct virtio_device *vd, struct virtq *vq)
{
    (void)vd;
    *(volatile uint16_t *)vq->notify_addr = (uint16_t)vq->index;
}

static uint8_t modern_read_isr(struct virtio_pci *vp)
{
    return MMIO8(vp->isr, 0);
}

/* ---- legacy ---- */

static uint8_t legacy_get_status(struct virtio_device *vd)
{
    return inb(to_vp(vd)->iobase + LEG_STATUS);
}

static void legacy_set_status(struct virtio_device *vd, uint8_t status)
{
    outb(to_vp(vd)->iobase + LEG_STATUS, status);
}

static uint64_t legacy_get_features(struct virtio_device *vd)
{
    return inl(to_vp(vd)->iobase + LEG_HOST_FEATURES);
}

static void legacy_set_features(struct virtio_device *vd, uint64_t features)
{
    outl(to_vp(vd)->iobase + LEG_GUEST_FEATURES, (uint32_t)features);
}

static uint16_t legacy_config_base(struct virtio_pci *vp)
{
    return vp->iobase + (vp->pci->irq_mode == PCI_IRQ_MSIX ? LEG_CONFIG_MSIX : LEG_CONFIG_NOMSIX);
}

static void legacy_read_config(struct virtio_device *vd, unsigned int off, void *buf, size_t len)
{
    struct virtio_pci *vp = to_vp(vd);
    uint16_t base = legacy_config_base(vp);

    for (size_t i = 0; i < len; i++) {
        size_t at = off + i;
        ((uint8_t *)buf)[i] = at < vp->pci->bars[0].size ? inb((uint16_t)(base + at)) : 0;
    }
}

static void legacy_write_config(struct virtio_device *vd, unsigned int off, const void *buf,
                                size_t len)
{
    struct virtio_pci *vp = to_vp(vd);
    uint16_t base = legacy_config_base(vp);

    for (size_t i = 0; i < len && off + i < vp->pci->bars[0].size; i++)
        outb((uint16_t)(base + off + i), ((const uint8_t *)buf)[i]);
}

static unsigned int legacy_queue_max(struct virtio_device *vd, unsigned int idx)
{
    struct virtio_pci *vp = to_vp(vd);

    outw(vp->iobase + LEG_QUEUE_SELECT, (uint16_t)idx);
    return inw(vp->iobase + LEG_QUEUE_SIZE);
}

static int legacy_queue_enable(struct virtio_device *vd, struct virtq *vq)
{
    struct virtio_pci *vp = to_vp(vd);

    outw(vp->iobase + LEG_QUEUE_SELECT, (uint16_t)vq->index);
    if (vq->msix_vector != VIRTIO_NO_VECTOR) {
        outw(vp->iobase + LEG_MSIX_QUEUE, vq->msix_vector);
        if (inw(vp->iobase + LEG_MSIX_QUEUE) != vq->msix_vector)
            return -EBUSY;
    }
    outl(vp->iobase + LEG_QUEUE_PFN, (uint32_t)(vq->ring.desc_pa >> LEG_PFN_SHIFT));
    return 0;
}

static void legacy_notify(struct virtio_device *vd, struct virtq *vq)
{
    outw(to_vp(vd)->iobase + LEG_QUEUE_NOTIFY, (uint16_t)vq->index);
}

/* ---- interrupts ---- */

static void vp_interrupt(struct trapframe *tf, void *arg)
{
    struct vp_vector *v = arg;
    struct virtio_pci *vp = v->vp;

    (void)tf;
    if (v->queue >= 0) {
        virtio_interrupt_queue(vp->vd.vqs[v->queue]);
        return;
    }
    if (vp->pci->irq_mode != PCI_IRQ_MSIX) {
        /* Reading the ISR acknowledges (and deasserts INTx). */
        uint8_t isr = vp->vd.legacy ? inb(vp->iobase + LEG_ISR) : modern_read_isr(vp);
        if (isr == 0)
            return; /* a shared line: not ours */
    }
    virtio_interrupt_all(&vp->vd);
}

static int vp_setup_irq(struct virtio_device *vd, unsigned int nqueues)
{
    struct virtio_pci *vp = to_vp(vd);
    void *args[VIRTIO_MAX_QUEUES];
    int n;

    for (unsigned int i = 0; i < nqueues; i++) {
        vp->vectors[i] = (struct vp_vector){vp, (int)i};
        args[i] = &vp->vectors[i];
    }
    n = pci_setup_irq(vp->pci, nqueues, vp_interrupt, args);
    if (n < 0)
        return n;
    vp->per_queue_vectors = vp->pci->irq_mode == PCI_IRQ_MSIX && (unsigned int)n >= nqueues;
    if (!vp->per_queue_vectors)
        vp->vectors[0].queue = -1; /* vector 0 serves every queue */
    for (unsigned int i = 0; i < nqueues; i++) {
        if (vp->pci->irq_mode == PCI_IRQ_MSIX)
            vd->vqs[i]->msix_vector = vp->per_queue_vectors ? (uint16_t)i : 0;
    }
    /* No configuration-change interrupts. */
    if (vp->pci->irq_mode == PCI_IRQ_MSIX) {
        if (vd->legacy)
            outw(vp->iobase + LEG_MSIX_CONFIG, VIRTIO_NO_VECTOR);
        else
            MMIO16(vp->common, COMMON_MSIX) = VIRTIO_NO_VECTOR;
    }
    return 0;
}

static const struct virtio_transport_ops modern_ops = {
    .get_status = modern_get_status,
    .set_status = modern_set_status,
    .get_features = modern_get_features,
    .set_features = modern_set_features,
    .read_config = modern_read_config,
    .write_config = modern_write_config,
    .queue_max = modern_queue_max,
    .queue_enable = modern_queue_enable,
    .notify = modern_notify,
    .setup_irq = vp_setup_irq,
};

static const struct virtio_transport_ops legacy_ops = {
    .get_status = legacy_get_status,
    .set_status = legacy_set_status,
    .get_features = legacy_get_features,
    .set_features = legacy_set_features,
    .read_config = legacy_read_config,
    .write_config = legacy_write_config,
    .queue_max = legacy_queue_max,
    .queue_enable = legacy_queue_enable,
    .notify = legacy_notify,
    .setup_irq = vp_setup_irq,
};

/* ---- discovery ---- */

/* Map the region a vendor capability names; NULL when it is unusable. */
static volatile uint8_t *map_cap(struct pci_dev *pci, unsigned int cap, size_t *len)
{
    uint8_t bar = pci_read8(pci, cap + VCAP_BAR);
    uint32_t off = pci_read32(pci, cap + VCAP_OFFSET);
    uint32_t length = pci_read32(pci, cap + VCAP_LENGTH);
    uint8_t *base;

    if (bar >= PCI_MAX_BARS || (uint64_t)off + length > pci->bars[bar].size)
        return NULL;
    base = pci_map_bar(pci, bar);
    if (base == NULL)
        return NULL;
    if (len != NULL)
        *len = length;
    return base + off;
}

static bool find_modern(struct virtio_pci *vp)
{
    struct pci_dev *pci = vp->pci;
    unsigned int cap = 0;

    while ((cap = pci_find_cap(pci, PCI_CAP_ID_VENDOR, cap)) != 0) {
        switch (pci_read8(pci, cap + VCAP_CFG_TYPE)) {
        case VIRTIO_PCI_CAP_COMMON:
            if (vp->common == NULL)
                vp->common = map_cap(pci, cap, NULL);
            break;
        case VIRTIO_PCI_CAP_NOTIFY:
            if (vp->notify == NULL) {
                vp->notify = map_cap(pci, cap, NULL);
                vp->notify_mult = pci_read32(pci, cap + VCAP_NOTIFY_MULT);
            }
            break;
        case VIRTIO_PCI_CAP_ISR:
            if (vp->isr == NULL)
                vp->isr = map_cap(pci, cap, NULL);
            break;
        case VIRTIO_PCI_CAP_DEVICE:
            if (vp->device == NULL)
                vp->device = map_cap(pci, cap, &vp->device_len);
            break;
        default:
            break;
        }
    }
    return vp->common != NULL && vp->notify != NULL && vp->isr != NULL;
}

static int virtio_pci_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
    struct virtio_pci *vp;

    (void)id;
    if (pci->device < VIRTIO_PCI_DEVICE_FIRST || pci->device > VIRTIO_PCI_DEVICE_LAST)
        return -ENODEV;
    vp = kzalloc(sizeof(*vp));
    if (vp == NULL)
        return -ENOMEM;
    vp->pci = pci;
    vp->vd.transport = vp;
    snprintf(vp->vd.name, sizeof(vp->vd.name), "pci %02x:%02x.%u", pci->bus, pci->slot, pci->func);
    pci_enable(pci);
    if (find_modern(vp)) {
        vp->vd.ops = &modern_ops;
        vp->vd.device_id = pci->device >= VIRTIO_PCI_DEVICE_MODERN_BASE
                               ? pci->device - VIRTIO_PCI_DEVICE_MODERN_BASE
                               : pci->subsys_device;
    } else if (pci->device <= VIRTIO_PCI_DEVICE_LEGACY_LAST && pci->bars[0].type == PCI_BAR_IO) {
        vp->vd.ops = &legacy_ops;
        vp->vd.legacy = true;
        vp->iobase = (uint16_t)pci->bars[0].base;
        vp->vd.device_id = pci->subsys_device;
    } else {
        kfree(vp);
        return -ENODEV;
    }
    pci->driver_data = vp;
    virtio_add_device(&vp->vd);
    return 0;
}

static const struct pci_device_id virtio_pci_ids[] = {
    {VIRTIO_PCI_VENDOR, PCI_ANY_ID, PCI_CLASS_ANY, PCI_CLASS_ANY},
    {0},
};

static struct pci_driver virtio_pci_driver = {
    .name = "virtio-pci",
    .ids = virtio_pci_ids,
    .probe = virtio_pci_probe,
};

void virtio_pci_init(void)
{
    pci_register_driver(&virtio_pci_driver);
}
