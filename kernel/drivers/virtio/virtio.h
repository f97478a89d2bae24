/*
 * virtio.h - the virtio core: devices, transports, virtqueues, drivers.
 *
 * Layers:
 *   transport   modern PCI (virtio 1.x capabilities), legacy PCI (0.9.5,
 *               I/O BAR) and virtio-mmio (versions 1 and 2, for microvm);
 *               each fills struct virtio_device with its ops
 *   core        (virtio.c) device initialization and feature negotiation,
 *               virtqueue allocation, the driver registry, interrupts
 *   ring        (virtq.c) descriptor chains and used-ring processing
 *   drivers     virtio-blk (and virtio-net next) register a virtio_driver
 *               by device type and get probe() once per device
 *
 * Interrupts: a transport calls virtio_interrupt_queue(vq) (or for shared
 * INTx, virtio_interrupt_all) in interrupt context; that runs the queue's
 * callback, which must be short (typically: wake a wait queue).
 *
 * Locking: vq->lock (a spinlock taken with IRQs off) guards the ring and is
 * held by virtq_submit / virtq_collect callers; transport registers are
 * touched only during probe (one thread) and for notifications.
 */
#pragma once

#include "drivers/virtio/virtq.h"
#include "lib/list.h"
#include "sched/spinlock.h"
#include "sched/waitq.h"

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Device-independent feature bits. */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device types. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR 0xffff

struct virtio_device;
struct virtq;

struct virtio_transport_ops {
    uint8_t (*get_status)(struct virtio_device *vd);
    void (*set_status)(struct virtio_device *vd, uint8_t status); /* 0 resets */
    uint64_t (*get_features)(struct virtio_device *vd);
    void (*set_features)(struct virtio_device *vd, uint64_t features);
    /* Device-specific configuration space, byte access. */
    void (*read_config)(struct virtio_device *vd, unsigned int off, void *buf, size_t len);
    void (*write_config)(struct virtio_device *vd, unsigned int off, const void *buf, size_t len);
    /* Largest size the device allows for queue idx (0: no such queue). */
    unsigned int (*queue_max)(struct virtio_device *vd, unsigned int idx);
    /* Tell the device where vq's rings are and enable it. 0 or -errno. */
    int (*queue_enable)(struct virtio_device *vd, struct virtq *vq);
    void (*notify)(struct virtio_device *vd, struct virtq *vq);
    /* Set up interrupts for nqueues queues (after features, before queues). */
    int (*setup_irq)(struct virtio_device *vd, unsigned int nqueues);
};

struct virtq {
    struct virtq_ring ring; /* guarded by lock */
    spinlock_t lock;
    unsigned int index;
    struct virtio_device *vdev;
    uint16_t msix_vector;  /* VIRTIO_NO_VECTOR when not MSI-X */
    uintptr_t notify_addr; /* transport's notification register */
    /* Completion callback, interrupt context, vq->lock not held. */
    void (*callback)(struct virtq *vq);
    void *priv;
    struct waitq wq; /* for drivers that sleep on completions */
};

struct virtio_device {
    const struct virtio_transport_ops *ops;
    uint32_t device_id;
    uint64_t features; /* negotiated */
    bool legacy;       /* 0.9.5 semantics (no VERSION_1) */
    struct virtq *vqs[VIRTIO_MAX_QUEUES];
    unsigned int nvqs;
    void *transport; /* the transport's state */
    void *priv;      /* the driver's state */
    char name[24];   /* "pci 00:03.0", "mmio@0xfeb00000" for messages */
    struct list_head link;
};

struct virtio_driver {
    const char *name;
    uint32_t device_id;
    /* Claim vd (thread context, may sleep): 0 or -errno. */
    int (*probe)(struct virtio_device *vd);
    struct list_head link;
};

/* Register a driver; it is offered every device found, now and later. */
void virtio_register_driver(struct virtio_driver *drv);
/* Transports: a device was found (thread context). */
void virtio_add_device(struct virtio_device *vd);

/*
 * virtio_start resets the device, acknowledges it and negotiates features:
 * the result is wanted & offered (plus VERSION_1 for non-legacy devices).
 * Then it sets up nqueues queues with their callbacks and interrupts.
 * The driver calls virtio_ready when it is set to go. 0 or -errno.
 */
int virtio_start(struct virtio_device *vd, uint64_t wanted, unsigned int nqueues,
                 void (*callback)(struct virtq *vq));
void virtio_ready(struct virtio_device *vd);
/*
 * What the device offers, for a driver whose wishes depend on it (a feature
 * it may take only with another). Resets the device; virtio_start follows.
 */
uint64_t virtio_offered_features(struct virtio_device *vd);
bool virtio_has_feature(const struct virtio_device *vd, unsigned int bit);
void virtio_read_config(struct virtio_device *vd, unsigned int off, void *buf, size_t len);

/*
 * Add one request to vq and notify the device. Takes vq->lock. 0, -ENOSPC
 * (ring full: wait for completions and retry), -EINVAL.
 */
int virtq_submit(struct virtq *vq, const struct virtq_buf *bufs, unsigned int nout,
                 unsigned int nin, void *cookie);
/*
 * virtq_submit without the notification: the caller rings the doorbell
 * later with virtq_kick, once for a batch, or outside its own locks.
 */
int virtq_submit_quiet(struct virtq *vq, const struct virtq_buf *bufs, unsigned int nout,
                       unsigned int nin, void *cookie);
/* Notify the device of what was added since the last notification, if it wants one. */
void virtq_kick(struct virtq *vq);
/* Next completed request's cookie or NULL. Takes vq->lock. */
void *virtq_collect(struct virtq *vq, uint32_t *len);

/* Interrupt context: a queue (or, for shared interrupts, any queue) has news. */
void virtio_interrupt_queue(struct virtq *vq);
void virtio_interrupt_all(struct virtio_device *vd);

/* Transports' discovery (thread context, once at boot). */
void virtio_pci_init(void);
void virtio_mmio_init(void);
