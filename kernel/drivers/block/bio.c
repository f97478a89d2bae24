/*
 * bio.c - synchronous single-request helpers over a block device's
 * bdev_ops.rw (no kernel dependencies: the host tests use them too).
 */
#include "drivers/block/bdev.h"
#include "lib/errno.h"

static int bdev_rw1(struct block_device *bd, enum bio_op op, uint64_t off, void *buf, size_t len)
{
    struct bio bio = {op, off >> SECTOR_SHIFT, buf, (uint32_t)len, 0};

    if ((off | len) & (SECTOR_SIZE - 1))
        return -EINVAL;
    if (off / SECTOR_SIZE + len / SECTOR_SIZE > bd->nsectors)
        return -EIO;
    return bd->ops->rw(bd, &bio, 1);
}

int bdev_read(struct block_device *bd, uint64_t off, void *buf, size_t len)
{
    return bdev_rw1(bd, BIO_READ, off, buf, len);
}

int bdev_write(struct block_device *bd, uint64_t off, const void *buf, size_t len)
{
    if (bd->readonly)
        return -EROFS;
    return bdev_rw1(bd, BIO_WRITE, off, (void *)buf, len);
}

int bdev_flush(struct block_device *bd)
{
    struct bio bio = {BIO_FLUSH, 0, NULL, 0, 0};

    if (!bd->can_flush)
        return 0;
    return bd->ops->rw(bd, &bio, 1);
}
