/*
 * drivers.h - bringing up the device drivers at boot.
 */
#pragma once

/*
 * Register the drivers, scan PCI and the virtio-mmio devices named on the
 * command line, and probe. Thread context (drivers sleep), before the
 * application starts and before /dev is populated.
 */
void drivers_init(void);

/* Driver registration hooks, called by drivers_init. */
void virtio_blk_init(void);
void virtio_net_init(void);
void e1000_init(void);
