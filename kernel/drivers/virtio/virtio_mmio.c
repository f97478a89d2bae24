/*
 * virtio_mmio.c - the virtio-mmio transport (versions 1 "legacy" and 2),
 * as QEMU's microvm machine provides it.
 *
 * Devices are named on the kernel command line exactly as Linux expects:
 *   virtio_mmio.device=<size>[KMG]@<base>:<irq>[:<id>]
 * which QEMU 7.2's microvm adds by itself when ACPI is off. With ACPI on,
 * it describes them in the DSDT instead (_HID "LNRO0005"), which
 * acpi_scan() reads when the command line names none. The IRQ is an
 * IOAPIC GSI, level-triggered and active high.
 */
#include "acpi/acpi.h"
#include "core/params.h"
#include "core/printk.h"
#include "arch/x86_64/apic.h"
#include "drivers/virtio/virtio.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/vmap.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028 /* v1 */
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c /* v1 */
#define MMIO_QUEUE_PFN 0x040   /* v1 */
#define MMIO_QUEUE_READY 0x044 /* v2 */
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080
#define MMIO_QUEUE_AVAIL 0x090
#define MMIO_QUEUE_USED 0x0a0
#define MMIO_CONFIG 0x100

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MMIO_PAGE_SIZE 4096
#define MMIO_MAX_DEVICES 32
#define MMIO_MIN_SIZE 0x200

/* ACPI: virtio-mmio devices in the DSDT (QEMU microvm with ACPI on). */
#define ACPI_VIRTIO_MMIO_HID "LNRO0005"
#define ACPI_DEVICE_WINDOW 256 /* bytes after the _HID searched for _CRS */
#define ACPI_MEM32_FIXED 0x86
#define ACPI_MEM32_FIXED_LEN 9
#define ACPI_EXT_IRQ 0x89
#define ACPI_EXT_IRQ_EDGE 0x2
#define ACPI_EXT_IRQ_LOW 0x4

struct virtio_mmio {
    struct virtio_device vd;
    volatile uint8_t *regs;
    size_t size;
    uint32_t version;
    uint32_t gsi;
    int irq_flags; /* IRQ_LEVEL | IRQ_ACTIVE_LOW */
};

#define REG32(vm, off) (*(volatile uint32_t *)((vm)->regs + (off)))

static struct virtio_mmio *to_vm(struct virtio_device *vd)
{
    return vd->transport;
}

static uint8_t mmio_get_status(struct virtio_device *vd)
{
    return (uint8_t)REG32(to_vm(vd), MMIO_STATUS);
}

static void mmio_set_status(struct virtio_device *vd, uint8_t status)
{
    REG32(to_vm(vd), MMIO_STATUS) = status;
}

static uint64_t mmio_get_features(struct virtio_device *vd)
{
    struct virtio_mmio *vm = to_vm(vd);
    uint64_t f;

    REG32(vm, MMIO_DEVICE_FEATURES_SEL) = 0;
    f = REG32(vm, MMIO_DEVICE_FEATURES);
    REG32(vm, MMIO_DEVICE_FEATURES_SEL) = 1;
    return f | ((uint64_t)REG32(vm, MMIO_DEVICE_FEATURES) << 32);
}

static void mmio_set_features(struct virtio_device *vd, uint64_t features)
{
    struct virtio_mmio *vm = to_vm(vd);

    REG32(vm, MMIO_DRIVER_FEATURES_SEL) = 0;
    REG32(vm, MMIO_DRIVER_FEATURES) = (uint32_t)features;
    REG32(vm, MMIO_DRIVER_FEATURES_SEL) = 1;
    REG32(vm, MMIO_DRIVER_FEATURES) = (uint32_t)(features >> 32);
}

static void mmio_read_config(struct virtio_device *vd, unsigned int off, void *buf, size_t len)
{
    struct virtio_mmio *vm = to_vm(vd);

    for (size_t i = 0; i < len; i++) {
        size_t at = MMIO_CONFIG + off + i;
        ((uint8_t *)buf)[i] = at < vm->size ? vm->regs[at] : 0;
    }
}

static void mmio_write_config(struct virtio_device *vd, unsigned int off, const void *buf,
                              size_t len)
{
    struct virtio_mmio *vm = to_vm(vd);

    for (size_t i = 0; i < len && MMIO_CONFIG + off + i < vm->size; i++)
        vm->regs[MMIO_CONFIG + off + i] = ((const uint8_t *)buf)[i];
}

static unsigned int mmio_queue_max(struct virtio_device *vd, unsigned int idx)
{
    struct virtio_mmio *vm = to_vm(vd);
    unsigned int max;

    REG32(vm, MMIO_QUEUE_SEL) = idx;
    max = REG32(vm, MMIO_QUEUE_NUM_MAX);
    /* Any power of two up to max is allowed here, as on modern PCI. */
    while (max & (max - 1))
        max &= max - 1;
    return max;
}

static int mmio_queue_enable(struct virtio_device *vd, struct virtq *vq)
{
    struct virtio_mmio *vm = to_vm(vd);

    REG32(vm, MMIO_QUEUE_SEL) = vq->index;
    REG32(vm, MMIO_QUEUE_NUM) = vq->ring.num;
    if (vm->version == 1) {
        REG32(vm, MMIO_QUEUE_ALIGN) = VIRTQ_LEGACY_ALIGN;
        REG32(vm, MMIO_QUEUE_PFN) = (uint32_t)(vq->ring.desc_pa / MMIO_PAGE_SIZE);
        return 0;
    }
    REG32(vm, MMIO_QUEUE_DESC) = (uint32_t)vq->ring.desc_pa;
    REG32(vm, MMIO_QUEUE_DESC + 4) = (uint32_t)(vq->ring.desc_pa >> 32);
    REG32(vm, MMIO_QUEUE_AVAIL) = (uint32_t)vq->ring.avail_pa;
    REG32(vm, MMIO_QUEUE_AVAIL + 4) = (uint32_t)(vq->ring.avail_pa >> 32);
    REG32(vm, MMIO_QUEUE_USED) = (uint32_t)vq->ring.used_pa;
    REG32(vm, MMIO_QUEUE_USED + 4) = (uint32_t)(vq->ring.used_pa >> 32);
    REG32(vm, MMIO_QUEUE_READY) = 1;
    return 0;
}

static void mmio_notify(struct virtio_device *vd, struct virtq *vq)
{
    REG32(to_vm(vd), MMIO_QUEUE_NOTIFY) = vq->index;
}

static void mmio_interrupt(struct trapframe *tf, void *arg)
{
    struct virtio_mmio *vm = arg;
    uint32_t status = REG32(vm, MMIO_INTERRUPT_STATUS);

    (void)tf;
    if (status == 0)
        return;
    REG32(vm, MMIO_INTERRUPT_ACK) = status;
    virtio_interrupt_all(&vm->vd);
}

static int mmio_setup_irq(struct virtio_device *vd, unsigned int nqueues)
{
    struct virtio_mmio *vm = to_vm(vd);
    int vec = irq_alloc_vector();

    (void)nqueues;
    if (vec < 0)
        return -EBUSY;
    irq_set_handler((unsigned int)vec, mmio_interrupt, vm, "virtio-mmio");
    if (ioapic_route_gsi(vm->gsi, (uint8_t)vec, vm->irq_flags, lapic_id()) != 0)
        return -ENODEV;
    return 0;
}

static const struct virtio_transport_ops mmio_ops = {
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .read_config = mmio_read_config,
    .write_config = mmio_write_config,
    .queue_max = mmio_queue_max,
    .queue_enable = mmio_queue_enable,
    .notify = mmio_notify,
    .setup_irq = mmio_setup_irq,
};

static void mmio_probe(uint64_t base, uint64_t size, uint32_t gsi, int irq_flags)
{
    struct virtio_mmio *vm;
    volatile uint8_t *regs;

    if (size < MMIO_MIN_SIZE || size > (1u << 20))
        return;
    regs = ioremap(base, size);
    if (regs == NULL)
        return;
    if (*(volatile uint32_t *)(regs + MMIO_MAGIC) != MMIO_MAGIC_VALUE)
        return;
    /* Device ID 0: an empty slot. */
    if (*(volatile uint32_t *)(regs + MMIO_DEVICE_ID) == 0)
        return;
    vm = kzalloc(sizeof(*vm));
    if (vm == NULL)
        return;
    vm->regs = regs;
    vm->size = size;
    vm->gsi = gsi;
    vm->irq_flags = irq_flags;
    vm->version = REG32(vm, MMIO_VERSION);
    if (vm->version != 1 && vm->version != 2) {
        pr_warn("virtio-mmio@%#lx: unknown version %u\n", base, vm->version);
        kfree(vm);
        return;
    }
    vm->vd.ops = &mmio_ops;
    vm->vd.transport = vm;
    vm->vd.legacy = vm->version == 1;
    vm->vd.device_id = REG32(vm, MMIO_DEVICE_ID);
    snprintf(vm->vd.name, sizeof(vm->vd.name), "mmio@%#lx", base);
    if (vm->version == 1)
        REG32(vm, MMIO_GUEST_PAGE_SIZE) = MMIO_PAGE_SIZE;
    virtio_add_device(&vm->vd);
}

/*
 * Parse one word "<size>[KMG]@<base>:<irq>[:<id>]" (ends at a space or
 * NUL). Returns 0 and the three numbers, or -EINVAL.
 */
static int mmio_parse(const char *s, uint64_t *base, uint64_t *size, uint32_t *irq)
{
    char word[96], *at, *colon, *id;
    size_t n = 0;
    uint64_t v;

    while (s[n] != '\0' && s[n] != ' ' && n + 1 < sizeof(word)) {
        word[n] = s[n];
        n++;
    }
    word[n] = '\0';
    at = strchr(word, '@');
    if (at == NULL)
        return -EINVAL;
    *at++ = '\0';
    colon = strchr(at, ':');
    if (colon == NULL)
        return -EINVAL;
    *colon++ = '\0';
    id = strchr(colon, ':');
    if (id != NULL)
        *id = '\0';
    if (memparse(word, size) != 0 || kstrtou64(at, 0, base) != 0 || kstrtou64(colon, 0, &v) != 0 ||
        v > 255)
        return -EINVAL;
    *irq = (uint32_t)v;
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Find the devices whose _HID is LNRO0005 in the DSDT and read the
 * Memory32Fixed and Extended Interrupt descriptors of their _CRS buffers.
 * Not an AML interpreter: QEMU writes these as literal buffers right after
 * the _HID, which is what this looks for; anything else is skipped.
 */
static void acpi_scan(void)
{
    const uint8_t *d, *end;
    size_t hid_len = sizeof(ACPI_VIRTIO_MMIO_HID) - 1;

    if (acpi.dsdt_addr == 0 || acpi.dsdt_len < 36)
        return;
    d = phys_to_virt(acpi.dsdt_addr);
    end = d + acpi.dsdt_len;
    for (const uint8_t *p = d + 36; p + hid_len <= end; p++) {
        const uint8_t *w, *wend;
        uint64_t base = 0, size = 0;
        uint32_t gsi = 0;
        int flags = IRQ_LEVEL;
        bool have_irq = false;

        if (memcmp(p, ACPI_VIRTIO_MMIO_HID, hid_len) != 0)
            continue;
        wend = p + ACPI_DEVICE_WINDOW < end ? p + ACPI_DEVICE_WINDOW : end;
        for (w = p + hid_len; w + 1 + ACPI_MEM32_FIXED_LEN + 2 <= wend; w++) {
            if (base == 0 && w[0] == ACPI_MEM32_FIXED && w[1] == ACPI_MEM32_FIXED_LEN &&
                w[2] == 0) {
                base = le32(w + 4);
                size = le32(w + 8);
            } else if (!have_irq && w[0] == ACPI_EXT_IRQ && w[2] == 0 && w[1] >= 6 && w[4] >= 1) {
                flags = (w[3] & ACPI_EXT_IRQ_EDGE) ? 0 : IRQ_LEVEL;
                if (w[3] & ACPI_EXT_IRQ_LOW)
                    flags |= IRQ_ACTIVE_LOW;
                gsi = le32(w + 5);
                have_irq = true;
            }
            if (base != 0 && have_irq)
                break;
        }
        if (base != 0 && have_irq && gsi < 256)
            mmio_probe(base, size, gsi, flags);
        p += hid_len - 1;
    }
}

void virtio_mmio_init(void)
{
    static const char key[] = "virtio_mmio.device=";
    const char *p = saved_cmdline;
    unsigned int found = 0;

    while ((p = strstr(p, key)) != NULL && found < MMIO_MAX_DEVICES) {
        uint64_t base, size;
        uint32_t irq;
        /* Only at the start of a word. */
        bool word = p == saved_cmdline || p[-1] == ' ';

        p += sizeof(key) - 1;
        if (!word)
            continue;
        if (mmio_parse(p, &base, &size, &irq) != 0) {
            pr_warn("virtio_mmio.device: cannot parse \"%.40s\"\n", p);
            continue;
        }
        found++;
        mmio_probe(base, size, irq, IRQ_LEVEL);
    }
    if (found == 0)
        acpi_scan();
}
