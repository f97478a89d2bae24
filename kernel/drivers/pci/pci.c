/*
 * pci.c - PCI configuration access, bus enumeration, BAR decoding, MSI-X /
 * MSI / INTx setup and the driver registry (see pci.h for the contract).
 *
 * Enumeration walks bus 0 and follows every PCI-to-PCI bridge to its
 * secondary bus, as the firmware (SeaBIOS) numbered them; BARs are read as
 * the firmware assigned them and sized by the usual write-ones probe with
 * decoding turned off.
 */
#include "drivers/pci/pci.h"

#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/vmap.h"
#include "sched/spinlock.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_MAX_BUS 256
#define PCI_MAX_SLOT 32
#define PCI_MAX_FUNC 8
#define PCI_CONFIG_SIZE 256 /* what the legacy ports reach */
#define ECAM_BUS_SIZE (1u << 20)
/* Buses past this use the ports: mapping all 256 would cost 512 KiB of page tables. */
#define ECAM_MAX_BUSES 16

#define BAR_IO_SPACE 0x1
#define BAR_MEM_TYPE_MASK 0x6
#define BAR_MEM_TYPE_64 0x4
#define BAR_MEM_PREFETCH 0x8
#define BAR_IO_MASK 0xfffffffcu
#define BAR_MEM_MASK 0xfffffff0u

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASK_ALL 0x4000
#define MSIX_CTRL_SIZE_MASK 0x7ff
#define MSIX_BIR_MASK 0x7
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_MASKED 0x1

#define MSI_CTRL 2
#define MSI_ADDR_LO 4
#define MSI_CTRL_ENABLE 0x1
#define MSI_CTRL_64BIT 0x80
#define MSI_CTRL_MME_MASK 0x70
#define MSI_DATA_32 8
#define MSI_DATA_64 12

#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_DEST_SHIFT 12

static spinlock_t pci_lock = SPINLOCK_INIT;
static LIST_HEAD(pci_devices); /* guarded by pci_lock */
static LIST_HEAD(pci_drivers); /* guarded by pci_lock */
static bool pci_scanned;       /* set once by pci_init */

/* ECAM window (MCFG), mapped at pci_init; NULL: use the ports. */
static uint8_t *ecam;
static uint8_t ecam_bus_start, ecam_bus_end;

/* ---- configuration space ---- */

static volatile void *ecam_addr(const struct pci_dev *d, unsigned int off)
{
    if (ecam == NULL || d->bus < ecam_bus_start || d->bus > ecam_bus_end)
        return NULL;
    return ecam + ((size_t)(d->bus - ecam_bus_start) << 20) + ((size_t)d->slot << 15) +
           ((size_t)d->func << 12) + off;
}

static uint32_t port_address(const struct pci_dev *d, unsigned int off)
{
    return PCI_CONFIG_ENABLE | ((uint32_t)d->bus << 16) | ((uint32_t)d->slot << 11) |
           ((uint32_t)d->func << 8) | (off & 0xfc);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned int off)
{
    volatile uint32_t *p = ecam_addr(d, off);
    uint64_t flags;
    uint32_t v;

    if (p != NULL)
        return *p;
    if (off >= PCI_CONFIG_SIZE)
        return 0xffffffffu;
    flags = spin_lock_irqsave(&pci_lock);
    outl(PCI_CONFIG_ADDRESS, port_address(d, off));
    v = inl(PCI_CONFIG_DATA);
    spin_unlock_irqrestore(&pci_lock, flags);
    return v;
}

uint16_t pci_read16(const struct pci_dev *d, unsigned int off)
{
    return (uint16_t)(pci_read32(d, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned int off)
{
    return (uint8_t)(pci_read32(d, off & ~3u) >> ((off & 3) * 8));
}

/* Write size (1, 2 or 4) bytes of v at off, through ECAM or the ports. */
static void config_write(const struct pci_dev *d, unsigned int off, uint32_t v, unsigned int size)
{
    volatile void *p = ecam_addr(d, off);
    uint64_t flags;

    if (p != NULL) {
        if (size == 1)
            *(volatile uint8_t *)p = (uint8_t)v;
        else if (size == 2)
            *(volatile uint16_t *)p = (uint16_t)v;
        else
            *(volatile uint32_t *)p = v;
        return;
    }
    if (off >= PCI_CONFIG_SIZE)
        return;
    flags = spin_lock_irqsave(&pci_lock);
    outl(PCI_CONFIG_ADDRESS, port_address(d, off));
    if (size == 1)
        outb(PCI_CONFIG_DATA + (off & 3), (uint8_t)v);
    else if (size == 2)
        outw(PCI_CONFIG_DATA + (off & 2), (uint16_t)v);
    else
        outl(PCI_CONFIG_DATA, v);
    spin_unlock_irqrestore(&pci_lock, flags);
}

void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v)
{
    config_write(d, off, v, 4);
}

void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v)
{
    config_write(d, off, v, 2);
}

void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v)
{
    config_write(d, off, v, 1);
}

unsigned int pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned int from)
{
    unsigned int off, guard = 0;

    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    off = from == 0 ? pci_read8(d, PCI_CAP_PTR) : pci_read8(d, from + 1);
    /* A broken list could loop: 48 capabilities fit in 192 bytes at most. */
    while (off >= 0x40 && off < PCI_CONFIG_SIZE && guard++ < 48) {
        off &= ~3u;
        if (pci_read8(d, off) == id)
            return off;
        off = pci_read8(d, off + 1);
    }
    return 0;
}

void pci_enable(struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);

    cmd |= PCI_COMMAND_MASTER;
    for (unsigned int i = 0; i < PCI_MAX_BARS; i++) {
        if (d->bars[i].type == PCI_BAR_IO)
            cmd |= PCI_COMMAND_IO;
        else if (d->bars[i].type != PCI_BAR_NONE)
            cmd |= PCI_COMMAND_MEMORY;
    }
    pci_write16(d, PCI_COMMAND, cmd);
}

/* ---- BARs ---- */

int pci_decode_bar(uint32_t lo, uint32_t hi, uint32_t size_lo, uint32_t size_hi,
                   struct pci_bar *out)
{
    uint64_t mask;

    memset(out, 0, sizeof(*out));
    if (lo & BAR_IO_SPACE) {
        mask = size_lo & BAR_IO_MASK & 0xffff;
        if (mask == 0)
            return 0;
        out->type = PCI_BAR_IO;
        out->base = lo & BAR_IO_MASK;
        out->size = (~mask + 1) & 0xffff;
        return 0;
    }
    out->prefetchable = (lo & BAR_MEM_PREFETCH) != 0;
    if ((lo & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64) {
        mask = ((uint64_t)size_hi << 32) | (size_lo & BAR_MEM_MASK);
        if (mask == 0)
            return 1;
        out->type = PCI_BAR_MEM64;
        out->base = ((uint64_t)hi << 32) | (lo & BAR_MEM_MASK);
        out->size = ~mask + 1;
        return 1; /* consumed the next BAR slot */
    }
    mask = size_lo & BAR_MEM_MASK;
    if (mask == 0)
        return 0;
    out->type = PCI_BAR_MEM32;
    out->base = lo & BAR_MEM_MASK;
    out->size = (uint32_t)(~(uint32_t)mask + 1);
    return 0;
}

static void read_bars(struct pci_dev *d, unsigned int nbars)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);

    /* Sizing writes all-ones; stop decoding meanwhile. */
    pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned int i = 0; i < nbars; i++) {
        unsigned int off = PCI_BAR0 + 4 * i;
        uint32_t lo = pci_read32(d, off), hi = 0, slo, shi = 0;
        bool is64 = !(lo & BAR_IO_SPACE) && (lo & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64;

        pci_write32(d, off, 0xffffffffu);
        slo = pci_read32(d, off);
        pci_write32(d, off, lo);
        if (is64 && i + 1 < nbars) {
            hi = pci_read32(d, off + 4);
            pci_write32(d, off + 4, 0xffffffffu);
            shi = pci_read32(d, off + 4);
            pci_write32(d, off + 4, hi);
        } else if (is64) {
            continue; /* a 64-bit BAR in the last slot is broken */
        }
        if (pci_decode_bar(lo, hi, slo, shi, &d->bars[i]) == 1)
            i++;
    }
    pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_map_bar(struct pci_dev *d, unsigned int i)
{
    struct pci_bar *b;

    if (i >= PCI_MAX_BARS)
        return NULL;
    b = &d->bars[i];
    if (b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64)
        return NULL;
    if (b->va == NULL && b->base != 0)
        b->va = ioremap(b->base, b->size);
    return b->va;
}

/* ---- interrupts ---- */

static uint32_t msi_address(void)
{
    return MSI_ADDRESS_BASE | (lapic_id() << MSI_DEST_SHIFT);
}

/* Install fn for vec, named after the driver and the function: "virtio-net 00:02.0 MSI-X 1". */
static void pci_irq_handler(struct pci_dev *d, unsigned int vec, irq_handler_t fn, void *arg,
                            const char *kind, unsigned int index)
{
    char name[IRQ_NAME_MAX];

    snprintf(name, sizeof(name), "%s %02x:%02x.%x %s %u",
             d->driver != NULL ? d->driver->name : "pci", d->bus, d->slot, d->func, kind, index);
    irq_set_handler(vec, fn, arg, name);
}

static int setup_msix(struct pci_dev *d, unsigned int cap, unsigned int want, irq_handler_t fn,
                      void *const *args)
{
    uint16_t ctrl = pci_read16(d, cap + MSIX_CTRL);
    uint32_t table = pci_read32(d, cap + MSIX_TABLE);
    unsigned int n = MIN(want, (unsigned int)(ctrl & MSIX_CTRL_SIZE_MASK) + 1);
    unsigned int bir = table & MSIX_BIR_MASK;
    volatile uint8_t *base;

    if (bir >= PCI_MAX_BARS)
        return -EIO;
    base = pci_map_bar(d, bir);
    if (base == NULL || (table & ~MSIX_BIR_MASK) + n * MSIX_ENTRY_SIZE > d->bars[bir].size)
        return -EIO;
    base += table & ~MSIX_BIR_MASK;
    pci_write16(d, cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASK_ALL);
    for (unsigned int i = 0; i < n; i++) {
        volatile uint8_t *e = base + i * MSIX_ENTRY_SIZE;
        int vec = irq_alloc_vector();
        if (vec < 0)
            return i == 0 ? -EBUSY : (int)i;
        pci_irq_handler(d, (unsigned int)vec, fn, args[i], "MSI-X", i);
        *(volatile uint32_t *)(e + MSIX_ENTRY_ADDR_LO) = msi_address();
        *(volatile uint32_t *)(e + MSIX_ENTRY_ADDR_HI) = 0;
        *(volatile uint32_t *)(e + MSIX_ENTRY_DATA) = (uint32_t)vec;
        *(volatile uint32_t *)(e + MSIX_ENTRY_CTRL) = 0; /* unmasked */
    }
    pci_write16(d, cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASK_ALL);
    return (int)n;
}

static int setup_msi(struct pci_dev *d, unsigned int cap, irq_handler_t fn, void *const *args)
{
    uint16_t ctrl = pci_read16(d, cap + MSI_CTRL);
    int vec = irq_alloc_vector();

    if (vec < 0)
        return -EBUSY;
    pci_irq_handler(d, (unsigned int)vec, fn, args[0], "MSI", 0);
    pci_write32(d, cap + MSI_ADDR_LO, msi_address());
    if (ctrl & MSI_CTRL_64BIT) {
        pci_write32(d, cap + MSI_ADDR_LO + 4, 0);
        pci_write16(d, cap + MSI_DATA_64, (uint16_t)vec);
    } else {
        pci_write16(d, cap + MSI_DATA_32, (uint16_t)vec);
    }
    /* One message (MME = 0), then enable. */
    pci_write16(d, cap + MSI_CTRL, (ctrl & ~MSI_CTRL_MME_MASK) | MSI_CTRL_ENABLE);
    return 1;
}

/*
 * INTx: the firmware wrote the routed IRQ into the Interrupt Line register.
 * PCI interrupts are level-triggered; on QEMU's PIIX and ICH9 the line they
 * reach on the IOAPIC is active high.
 */
static int setup_intx(struct pci_dev *d, irq_handler_t fn, void *const *args)
{
    int vec;

    if (d->irq_pin == 0 || d->irq_line == 0 || d->irq_line == 0xff)
        return -ENODEV;
    vec = irq_alloc_vector();
    if (vec < 0)
        return -EBUSY;
    pci_irq_handler(d, (unsigned int)vec, fn, args[0], "INTx", 0);
    if (ioapic_route_gsi(d->irq_line, (uint8_t)vec, IRQ_LEVEL, lapic_id()) != 0)
        return -ENODEV;
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
    return 1;
}

int pci_setup_irq(struct pci_dev *d, unsigned int want, irq_handler_t fn, void *const *args)
{
    unsigned int cap;
    int n;

    if (want == 0)
        return -EINVAL;
    cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
    if (cap != 0) {
        n = setup_msix(d, cap, want, fn, args);
        if (n > 0) {
            d->irq_mode = PCI_IRQ_MSIX;
            d->nvectors = (unsigned int)n;
            pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
            return n;
        }
    }
    cap = pci_find_cap(d, PCI_CAP_ID_MSI, 0);
    if (cap != 0 && setup_msi(d, cap, fn, args) == 1) {
        d->irq_mode = PCI_IRQ_MSI;
        d->nvectors = 1;
        pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
        return 1;
    }
    n = setup_intx(d, fn, args);
    if (n > 0) {
        d->irq_mode = PCI_IRQ_INTX;
        d->nvectors = 1;
    }
    return n;
}

/* ---- drivers ---- */

static const struct pci_device_id *match(const struct pci_driver *drv, const struct pci_dev *d)
{
    for (const struct pci_device_id *id = drv->ids; id->vendor != 0 || id->class != 0; id++) {
        if (id->vendor != PCI_ANY_ID && id->vendor != d->vendor)
            continue;
        if (id->device != PCI_ANY_ID && id->device != d->device)
            continue;
        if (id->class != PCI_CLASS_ANY && id->class != d->class)
            continue;
        if (id->subclass != PCI_CLASS_ANY && id->subclass != d->subclass)
            continue;
        return id;
    }
    return NULL;
}

/* Probe runs without pci_lock (it sleeps); devices are never removed. */
static void try_probe(struct pci_dev *d, const struct pci_driver *drv)
{
    const struct pci_device_id *id;
    int err;

    if (d->driver != NULL || (id = match(drv, d)) == NULL)
        return;
    d->driver = drv; /* during the probe too: pci_setup_irq names vectors after it */
    err = drv->probe(d, id);
    if (err == 0) {
        pr_info("pci %02x:%02x.%u: %s\n", d->bus, d->slot, d->func, drv->name);
    } else {
        d->driver = NULL;
        pr_warn("pci %02x:%02x.%u: %s probe failed (%d)\n", d->bus, d->slot, d->func, drv->name,
                err);
    }
}

void pci_register_driver(struct pci_driver *drv)
{
    struct pci_dev *d;
    uint64_t flags = spin_lock_irqsave(&pci_lock);

    list_add_tail(&drv->link, &pci_drivers);
    spin_unlock_irqrestore(&pci_lock, flags);
    if (!READ_ONCE(pci_scanned))
        return;
    /* The device list only grows at pci_init, so walking it unlocked is safe afterwards. */
    list_for_each_entry (d, &pci_devices, link)
        try_probe(d, drv);
}

/* ---- enumeration ---- */

static void scan_bus(uint8_t bus, unsigned int depth);

static void add_function(uint8_t bus, uint8_t slot, uint8_t func, unsigned int depth)
{
    struct pci_dev probe = {.bus = bus, .slot = slot, .func = func};
    struct pci_dev *d;
    uint8_t htype = pci_read8(&probe, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    uint64_t flags;

    if (htype == PCI_HEADER_BRIDGE) {
        uint8_t secondary = pci_read8(&probe, PCI_SECONDARY_BUS);
        /* A bridge's bus must be deeper than its own; else the firmware left it unnumbered. */
        if (secondary > bus && depth < 32)
            scan_bus(secondary, depth + 1);
        return;
    }
    if (htype != 0)
        return;
    d = kzalloc(sizeof(*d));
    if (d == NULL)
        return;
    *d = probe;
    d->vendor = pci_read16(d, PCI_VENDOR_ID);
    d->device = pci_read16(d, PCI_DEVICE_ID);
    d->subsys_device = pci_read16(d, PCI_SUBSYS_ID);
    d->class = pci_read8(d, PCI_CLASS);
    d->subclass = pci_read8(d, PCI_SUBCLASS);
    d->prog_if = pci_read8(d, PCI_PROG_IF);
    d->revision = pci_read8(d, PCI_REVISION);
    d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
    d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
    read_bars(d, PCI_MAX_BARS);
    pr_debug("pci %02x:%02x.%u %04x:%04x class %02x%02x\n", bus, slot, func, d->vendor, d->device,
             d->class, d->subclass);
    flags = spin_lock_irqsave(&pci_lock);
    list_add_tail(&d->link, &pci_devices);
    spin_unlock_irqrestore(&pci_lock, flags);
}

static void scan_bus(uint8_t bus, unsigned int depth)
{
    for (uint8_t slot = 0; slot < PCI_MAX_SLOT; slot++) {
        struct pci_dev f0 = {.bus = bus, .slot = slot};
        uint8_t nfunc;

        if (pci_read16(&f0, PCI_VENDOR_ID) == 0xffff)
            continue;
        nfunc = (pci_read8(&f0, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) ? PCI_MAX_FUNC : 1;
        for (uint8_t func = 0; func < nfunc; func++) {
            struct pci_dev fn = {.bus = bus, .slot = slot, .func = func};
            if (pci_read16(&fn, PCI_VENDOR_ID) != 0xffff)
                add_function(bus, slot, func, depth);
        }
    }
}

static void ecam_init(void)
{
    unsigned int nbuses;

    if (!acpi.has_mcfg || acpi.mcfg_base == 0 || acpi.mcfg_bus_end < acpi.mcfg_bus_start)
        return;
    nbuses = MIN((unsigned int)(acpi.mcfg_bus_end - acpi.mcfg_bus_start) + 1, ECAM_MAX_BUSES);
    ecam = ioremap(acpi.mcfg_base, (size_t)nbuses * ECAM_BUS_SIZE);
    if (ecam == NULL)
        return;
    ecam_bus_start = acpi.mcfg_bus_start;
    ecam_bus_end = (uint8_t)(acpi.mcfg_bus_start + nbuses - 1);
    pr_info("pci: ECAM at %#lx, buses %u-%u\n", acpi.mcfg_base, ecam_bus_start, ecam_bus_end);
}

void pci_init(void)
{
    struct pci_dev host = {0};
    struct pci_driver *drv;
    struct pci_dev *d;

    ecam_init();
    /* No host bridge at 00:00.0 (microvm): no PCI at all. */
    if (pci_read16(&host, PCI_VENDOR_ID) == 0xffff) {
        WRITE_ONCE(pci_scanned, true);
        return;
    }
    if (pci_read8(&host, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) {
        /* Several host bridges: function f owns bus f. */
        for (uint8_t f = 0; f < PCI_MAX_FUNC; f++) {
            struct pci_dev hb = {.func = f};
            if (pci_read16(&hb, PCI_VENDOR_ID) != 0xffff)
                scan_bus(f, 0);
        }
    } else {
        scan_bus(0, 0);
    }
    WRITE_ONCE(pci_scanned, true);
    list_for_each_entry (d, &pci_devices, link) {
        list_for_each_entry (drv, &pci_drivers, link)
            try_probe(d, drv);
    }
}
