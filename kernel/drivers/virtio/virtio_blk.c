/*
 * virtio_blk.c - the virtio block device driver (virtio 1.x section 5.2)
 * under the block layer (drivers/block/bdev.h).
 *
 * bdev_ops.rw puts a batch of requests on the single request queue (header,
 * data, status descriptors), as many as fit, and sleeps on the queue's wait
 * queue. Bios of the batch that continue each other on the disk (the block
 * cache's write-back and read-ahead runs) share one request with a data
 * descriptor each, up to the device's seg_max: the device, QEMU above all,
 * pays per request far more than per byte. The interrupt handler collects completed
 * requests from the used ring, marks them done and wakes the sleepers, so
 * several threads can have requests in flight at once.
 *
 * Locking: vq->lock guards the ring (virtio core); a request's `done`
 * is written once by the interrupt handler and read by its submitter.
 */
#include "core/printk.h"
#include "drivers/block/bdev.h"
#include "drivers/virtio/virtio.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

#define VIRTIO_BLK_S_OK 0

#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SIZE_MAX 8
#define VIRTIO_BLK_CFG_SEG_MAX 12

#define VBLK_MAX_SEGS 32 /* data descriptors per request, at most */

struct virtio_blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "virtio_blk_req_hdr");

/* One request in flight (nbio bios from bio on); kmalloc memory, so DMA-able. */
struct vblk_req {
    struct virtio_blk_req_hdr hdr;
    uint8_t status;
    bool done; /* set by the interrupt handler */
    struct bio *bio;
    unsigned int nbio;
};

struct virtio_blk {
    struct block_device bd;
    struct virtio_device *vd;
    struct virtq *vq;
    unsigned int max_segs; /* data descriptors per request */
    uint32_t size_max;     /* bytes per data descriptor; 0: no limit */
};

/* Interrupt context: finish whatever the device completed. */
static void vblk_complete(struct virtq *vq)
{
    struct vblk_req *req;
    bool any = false;

    while ((req = virtq_collect(vq, NULL)) != NULL) {
        for (unsigned int i = 0; i < req->nbio; i++)
            req->bio[i].status = req->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
        __atomic_store_n(&req->done, true, __ATOMIC_RELEASE);
        any = true;
    }
    if (any)
        waitq_wake_all(&vq->wq);
}

static int vblk_submit(struct virtio_blk *vb, struct vblk_req *req)
{
    struct bio *bio = req->bio;
    struct virtq_buf bufs[VBLK_MAX_SEGS + 2];
    unsigned int n = 0, nout;

    req->hdr.type = bio->op == BIO_READ    ? VIRTIO_BLK_T_IN
                    : bio->op == BIO_WRITE ? VIRTIO_BLK_T_OUT
                                           : VIRTIO_BLK_T_FLUSH;
    req->hdr.sector = bio->op == BIO_FLUSH ? 0 : bio->sector;
    req->status = 0xff;
    bufs[n++] = (struct virtq_buf){virt_to_phys(&req->hdr), sizeof(req->hdr)};
    nout = 1;
    if (bio->op != BIO_FLUSH) {
        for (unsigned int i = 0; i < req->nbio; i++)
            bufs[n++] = (struct virtq_buf){virt_to_phys(bio[i].buf), bio[i].len};
        if (bio->op == BIO_WRITE)
            nout += req->nbio;
    }
    bufs[n++] = (struct virtq_buf){virt_to_phys(&req->status), 1};
    return virtq_submit(vb->vq, bufs, nout, n - nout, req);
}

static bool all_done(struct vblk_req *reqs, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        if (!__atomic_load_n(&reqs[i].done, __ATOMIC_ACQUIRE))
            return false;
    }
    return true;
}

/* Can bio b join the request that ends with bio a? */
static bool vblk_mergeable(const struct virtio_blk *vb, const struct vblk_req *req,
                           const struct bio *a, const struct bio *b)
{
    return req->nbio < vb->max_segs && b->op == a->op && a->op != BIO_FLUSH &&
           b->sector == a->sector + a->len / SECTOR_SIZE &&
           (vb->size_max == 0 || b->len <= vb->size_max);
}

/* Is bio b one the device must not see? Sets its status if so. */
static bool vblk_refuse(const struct block_device *bd, struct bio *b)
{
    if (b->op == BIO_WRITE && bd->readonly) {
        b->status = -EROFS;
        return true;
    }
    if (b->op != BIO_FLUSH && b->sector + b->len / SECTOR_SIZE > bd->nsectors) {
        b->status = -EIO;
        return true;
    }
    return false;
}

static int vblk_rw(struct block_device *bd, struct bio *bios, unsigned int n)
{
    struct virtio_blk *vb = bd->priv;
    struct vblk_req *reqs = kzalloc(sizeof(*reqs) * n);
    unsigned int nreq = 0, next = 0;
    int err = 0;

    if (reqs == NULL)
        return -ENOMEM;
    for (unsigned int i = 0; i < n; i++) {
        struct vblk_req *last = nreq > 0 ? &reqs[nreq - 1] : NULL;

        bios[i].status = -EIO;
        if (vblk_refuse(bd, &bios[i])) {
            reqs[nreq++] = (struct vblk_req){.bio = &bios[i], .nbio = 1, .done = true};
            continue;
        }
        if (last != NULL && !last->done &&
            vblk_mergeable(vb, last, &last->bio[last->nbio - 1], &bios[i])) {
            last->nbio++;
            continue;
        }
        reqs[nreq++] = (struct vblk_req){.bio = &bios[i], .nbio = 1};
    }
    while (next < nreq) {
        if (reqs[next].done) {
            next++;
            continue;
        }
        int e = vblk_submit(vb, &reqs[next]);
        if (e == 0) {
            next++;
            continue;
        }
        if (e != -ENOSPC) {
            reqs[next].done = true;
            next++;
            continue;
        }
        /* Ring full: completions (ours or other threads') free descriptors. */
        wait_event(&vb->vq->wq, READ_ONCE(vb->vq->ring.num_free) >= reqs[next].nbio + 2, 0, 0);
    }
    wait_event(&vb->vq->wq, all_done(reqs, nreq), 0, 0);
    for (unsigned int i = 0; i < n; i++) {
        if (bios[i].status != 0 && err == 0)
            err = bios[i].status;
    }
    kfree(reqs);
    return err;
}

static const struct bdev_ops vblk_ops = {
    .rw = vblk_rw,
};

static int vblk_probe(struct virtio_device *vd)
{
    struct virtio_blk *vb = kzalloc(sizeof(*vb));
    uint64_t wanted = (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_FLUSH) |
                      (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
                      (1ull << VIRTIO_BLK_F_SIZE_MAX);
    uint64_t capacity;
    uint32_t seg_max = 1;
    int err;

    if (vb == NULL)
        return -ENOMEM;
    vb->vd = vd;
    err = virtio_start(vd, wanted, 1, vblk_complete);
    if (err != 0) {
        kfree(vb);
        return err;
    }
    vb->vq = vd->vqs[0];
    virtio_read_config(vd, VIRTIO_BLK_CFG_CAPACITY, &capacity, sizeof(capacity));
    vb->bd.nsectors = capacity;
    /* Without SEG_MAX the device promised nothing: one segment per request. */
    if (virtio_has_feature(vd, VIRTIO_BLK_F_SEG_MAX))
        virtio_read_config(vd, VIRTIO_BLK_CFG_SEG_MAX, &seg_max, sizeof(seg_max));
    if (virtio_has_feature(vd, VIRTIO_BLK_F_SIZE_MAX))
        virtio_read_config(vd, VIRTIO_BLK_CFG_SIZE_MAX, &vb->size_max, sizeof(vb->size_max));
    vb->max_segs = MAX(1u, MIN(MIN(seg_max, (uint32_t)VBLK_MAX_SEGS), vb->vq->ring.num - 2u));
    vb->bd.readonly = virtio_has_feature(vd, VIRTIO_BLK_F_RO);
    vb->bd.can_flush = virtio_has_feature(vd, VIRTIO_BLK_F_FLUSH);
    vb->bd.ops = &vblk_ops;
    vb->bd.priv = vb;
    vd->priv = vb;
    virtio_ready(vd);
    return bdev_register(&vb->bd);
}

static struct virtio_driver virtio_blk_driver = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .probe = vblk_probe,
};

void virtio_blk_init(void)
{
    virtio_register_driver(&virtio_blk_driver);
}
