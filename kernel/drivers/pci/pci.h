/*
 * pci.h - the PCI bus: configuration space, enumeration, BARs, interrupts
 * and the driver registry.
 *
 *   pci_init()            scans every bus once at boot (behind bridges too)
 *   pci_register_driver() a driver is a const table of IDs plus probe();
 *                         drivers registered before or after the scan are
 *                         matched against every device found
 *   pci_map_bar()         maps a memory BAR uncached (ioremap)
 *   pci_setup_irq()       MSI-X, else MSI, else INTx through the IOAPIC
 *
 * Configuration space is reached through ECAM when ACPI's MCFG names a
 * region, else through the legacy ports 0xCF8/0xCFC. Devices live for the
 * whole run; nothing is ever unplugged.
 *
 * Locking: pci_lock (a spinlock) guards the port pair 0xCF8/0xCFC and the
 * device and driver lists. Drivers own their devices' registers after probe.
 */
#pragma once

#include "arch/x86_64/trap.h"
#include "lib/list.h"
#include "lib/types.h"

/* Configuration space registers (type 0 and common header). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_BRIDGE 1

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_MAX_BARS 6
#define PCI_ANY_ID 0xffff

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    enum pci_bar_type type;
    uint64_t base; /* port number or physical address */
    uint64_t size;
    bool prefetchable;
    void *va; /* pci_map_bar's mapping, NULL until mapped */
};

/* How a device's interrupt was set up. */
enum pci_irq_mode { PCI_IRQ_NONE, PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_INTX };

struct pci_driver;

struct pci_dev {
    uint16_t segment;
    uint8_t bus, slot, func;
    uint16_t vendor, device, subsys_device;
    uint8_t class, subclass, prog_if, revision;
    uint8_t irq_line, irq_pin; /* INTx: firmware's line (a GSI), pin 1..4 or 0 */
    struct pci_bar bars[PCI_MAX_BARS];
    enum pci_irq_mode irq_mode;
    unsigned int nvectors; /* set up by pci_setup_irq */
    const struct pci_driver *driver;
    void *driver_data;
    struct list_head link; /* on the device list, guarded by pci_lock */
};

/* One ID a driver handles; PCI_ANY_ID matches anything, class 0xff any class. */
struct pci_device_id {
    uint16_t vendor, device;
    uint8_t class, subclass; /* 0xff: any */
};
#define PCI_CLASS_ANY 0xff

struct pci_driver {
    const char *name;
    const struct pci_device_id *ids; /* ends with an all-zero entry */
    /* Claim dev: 0, or -errno to leave it to another driver. Thread context. */
    int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
    struct list_head link; /* on the driver list, guarded by pci_lock */
};

/* Configuration space access. off must be naturally aligned. */
uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint32_t pci_read32(const struct pci_dev *d, unsigned int off);
void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v);
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);

/* Scan the buses and probe registered drivers (boot, thread context). */
void pci_init(void);

/* Register drv and probe it against every device found so far. */
void pci_register_driver(struct pci_driver *drv);

/* Offset of the first capability with id at or after `from` (0: the start), or 0. */
unsigned int pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned int from);

/* Turn on memory/IO decoding and bus mastering. */
void pci_enable(struct pci_dev *d);

/* Map memory BAR i uncached; returns its address or NULL (not memory, no space). */
void *pci_map_bar(struct pci_dev *d, unsigned int i);

/*
 * pci_setup_irq gives dev up to `want` interrupt vectors, all handled by
 * fn(tf, arg_for(i)) where i is the vector's index: MSI-X when present
 * (one vector per index), else single-message MSI, else INTx (one shared,
 * level-triggered vector; then nvectors is 1 and index 0 must check every
 * source). Returns the number of vectors (>= 1) or -errno.
 */
int pci_setup_irq(struct pci_dev *dev, unsigned int want, irq_handler_t fn, void *const *args);

/* Decode BAR i of a device whose raw registers are given (host-testable helper). */
int pci_decode_bar(uint32_t lo, uint32_t hi, uint32_t size_lo, uint32_t size_hi,
                   struct pci_bar *out);
