/*
 * drivers.c - driver start-up order: drivers register first, then the
 * buses are scanned, so each device is probed once as it is found.
 */
#include "drivers/drivers.h"

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio.h"

void drivers_init(void)
{
    virtio_blk_init();
    virtio_net_init();
    e1000_init();
    virtio_pci_init(); /* the virtio PCI transport is a PCI driver */
    pci_init();
    virtio_mmio_init();
}
