/*
 * virtio.c - the virtio core: driver registry, device start-up (reset,
 * acknowledge, feature negotiation, queues, interrupts) and the locked
 * virtqueue operations drivers use. See virtio.h for the layering.
 */
#include "drivers/virtio/virtio.h"

#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/page.h"

#define VIRTQ_WANT_SIZE 256 /* entries per queue when the device allows */

static spinlock_t virtio_lock = SPINLOCK_INIT;
static LIST_HEAD(virtio_drivers); /* guarded by virtio_lock */
static LIST_HEAD(virtio_devices); /* guarded by virtio_lock */

static void try_probe(struct virtio_device *vd, struct virtio_driver *drv)
{
    int err;

    if (vd->priv != NULL || drv->device_id != vd->device_id)
        return;
    err = drv->probe(vd);
    if (err != 0) {
        pr_warn("virtio %s: %s probe failed (%d)\n", vd->name, drv->name, err);
        vd->ops->set_status(vd, VIRTIO_STATUS_FAILED);
    }
}

void virtio_register_driver(struct virtio_driver *drv)
{
    struct virtio_device *vd, *snapshot[16];
    unsigned int n = 0;
    uint64_t flags = spin_lock_irqsave(&virtio_lock);

    list_add_tail(&drv->link, &virtio_drivers);
    list_for_each_entry (vd, &virtio_devices, link) {
        if (n < 16)
            snapshot[n++] = vd;
    }
    spin_unlock_irqrestore(&virtio_lock, flags);
    for (unsigned int i = 0; i < n; i++)
        try_probe(snapshot[i], drv);
}

void virtio_add_device(struct virtio_device *vd)
{
    struct virtio_driver *drv, *snapshot[8];
    unsigned int n = 0;
    uint64_t flags = spin_lock_irqsave(&virtio_lock);

    list_add_tail(&vd->link, &virtio_devices);
    list_for_each_entry (drv, &virtio_drivers, link) {
        if (n < 8)
            snapshot[n++] = drv;
    }
    spin_unlock_irqrestore(&virtio_lock, flags);
    pr_info("virtio %s: device type %u%s\n", vd->name, vd->device_id,
            vd->legacy ? " (legacy)" : "");
    for (unsigned int i = 0; i < n; i++)
        try_probe(vd, snapshot[i]);
}

uint64_t virtio_offered_features(struct virtio_device *vd)
{
    const struct virtio_transport_ops *ops = vd->ops;

    ops->set_status(vd, 0);
    ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    return ops->get_features(vd);
}

bool virtio_has_feature(const struct virtio_device *vd, unsigned int bit)
{
    return (vd->features >> bit) & 1;
}

void virtio_read_config(struct virtio_device *vd, unsigned int off, void *buf, size_t len)
{
    vd->ops->read_config(vd, off, buf, len);
}

static unsigned int order_for(size_t bytes)
{
    unsigned int order = 0;

    while (((size_t)PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

static int queue_create(struct virtio_device *vd, unsigned int idx,
                        void (*callback)(struct virtq *vq))
{
    unsigned int max = vd->ops->queue_max(vd, idx);
    uint16_t num = VIRTQ_WANT_SIZE;
    struct virtq *vq;
    void *mem;
    void **cookies;

    if (max == 0)
        return -ENODEV;
    /* Legacy devices have a fixed size; modern ones accept any power of two up to max. */
    if (vd->legacy || max < num)
        num = (uint16_t)max;
    if (num == 0 || (num & (num - 1)) != 0 || num > VIRTQ_MAX_SIZE)
        return -EIO;
    vq = kzalloc(sizeof(*vq));
    cookies = kzalloc(sizeof(void *) * num);
    mem = page_alloc_va(order_for(virtq_ring_bytes(num)), PA_ZERO);
    if (vq == NULL || cookies == NULL || mem == NULL) {
        kfree(vq);
        kfree(cookies);
        if (mem != NULL)
            page_free(virt_to_page(mem), order_for(virtq_ring_bytes(num)));
        return -ENOMEM;
    }
    virtq_ring_init(&vq->ring, num, mem, virt_to_phys(mem), cookies);
    spin_init(&vq->lock);
    waitq_init(&vq->wq);
    vq->index = idx;
    vq->vdev = vd;
    vq->callback = callback;
    vq->msix_vector = VIRTIO_NO_VECTOR;
    vd->vqs[idx] = vq;
    return 0;
}

int virtio_start(struct virtio_device *vd, uint64_t wanted, unsigned int nqueues,
                 void (*callback)(struct virtq *vq))
{
    const struct virtio_transport_ops *ops = vd->ops;
    uint64_t offered;
    int err;

    if (nqueues == 0 || nqueues > VIRTIO_MAX_QUEUES)
        return -EINVAL;
    ops->set_status(vd, 0);
    ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    offered = ops->get_features(vd);
    if (!vd->legacy) {
        if (!((offered >> VIRTIO_F_VERSION_1) & 1))
            return -ENODEV;
        wanted |= 1ull << VIRTIO_F_VERSION_1;
    }
    vd->features = offered & wanted;
    ops->set_features(vd, vd->features);
    if (!vd->legacy) {
        ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                VIRTIO_STATUS_FEATURES_OK);
        if (!(ops->get_status(vd) & VIRTIO_STATUS_FEATURES_OK))
            return -ENODEV;
    }
    for (unsigned int i = 0; i < nqueues; i++) {
        err = queue_create(vd, i, callback);
        if (err != 0)
            return err;
        vd->nvqs = i + 1;
    }
    err = ops->setup_irq(vd, nqueues);
    if (err != 0)
        return err;
    for (unsigned int i = 0; i < nqueues; i++) {
        err = ops->queue_enable(vd, vd->vqs[i]);
        if (err != 0)
            return err;
    }
    return 0;
}

void virtio_ready(struct virtio_device *vd)
{
    vd->ops->set_status(vd, vd->ops->get_status(vd) | VIRTIO_STATUS_DRIVER_OK);
}

int virtq_submit(struct virtq *vq, const struct virtq_buf *bufs, unsigned int nout,
                 unsigned int nin, void *cookie)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    int err = virtq_add(&vq->ring, bufs, nout, nin, cookie);
    bool kick = err == 0 && virtq_kick_needed(&vq->ring);

    spin_unlock_irqrestore(&vq->lock, flags);
    if (kick)
        vq->vdev->ops->notify(vq->vdev, vq);
    return err;
}

int virtq_submit_quiet(struct virtq *vq, const struct virtq_buf *bufs, unsigned int nout,
                       unsigned int nin, void *cookie)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    int err = virtq_add(&vq->ring, bufs, nout, nin, cookie);

    spin_unlock_irqrestore(&vq->lock, flags);
    return err;
}

void virtq_kick(struct virtq *vq)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    bool kick = virtq_kick_needed(&vq->ring);

    spin_unlock_irqrestore(&vq->lock, flags);
    if (kick)
        vq->vdev->ops->notify(vq->vdev, vq);
}

void *virtq_collect(struct virtq *vq, uint32_t *len)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    void *cookie = virtq_get_used(&vq->ring, len);

    spin_unlock_irqrestore(&vq->lock, flags);
    return cookie;
}

void virtio_interrupt_queue(struct virtq *vq)
{
    if (vq->callback != NULL)
        vq->callback(vq);
}

void virtio_interrupt_all(struct virtio_device *vd)
{
    for (unsigned int i = 0; i < vd->nvqs; i++)
        virtio_interrupt_queue(vd->vqs[i]);
}
