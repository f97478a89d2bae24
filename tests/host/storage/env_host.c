/*
 * env_host.c - blkenv.h for the host tests, and a block device backed by
 * an image file (with counters, and a switch that makes I/O fail).
 */
#include <stdlib.h>
#include <unistd.h>

#include "drivers/block/blkenv.h"
#include "lib/errno.h"
#include "storage/filedev.h"

void *blk_zalloc(size_t size)
{
    return calloc(1, size);
}

void blk_free(void *p)
{
    free(p);
}

int64_t blk_time_now(void)
{
    return 1700000000;
}

static int file_rw(struct block_device *bd, struct bio *bios, unsigned int n)
{
    struct filedev *fd = bd->priv;
    int err = 0;

    for (unsigned int i = 0; i < n; i++) {
        struct bio *b = &bios[i];
        ssize_t r = 0;
        off_t off = (off_t)(b->sector * SECTOR_SIZE);

        b->status = 0;
        if (fd->fail_io) {
            b->status = -EIO;
        } else if (b->op == BIO_READ) {
            r = pread(fd->fd, b->buf, b->len, off);
            fd->reads++;
        } else if (b->op == BIO_WRITE) {
            r = pwrite(fd->fd, b->buf, b->len, off);
            fd->writes++;
        } else {
            fd->flushes++;
            fd->writes_at_flush = fd->writes;
        }
        if (r < 0 || (b->op != BIO_FLUSH && (size_t)r != b->len && b->op != BIO_READ))
            b->status = -EIO;
        if (b->status != 0 && err == 0)
            err = b->status;
    }
    return err;
}

static const struct bdev_ops file_ops = {.rw = file_rw};

void filedev_init(struct filedev *fd, int file, uint64_t bytes)
{
    *fd = (struct filedev){.fd = file};
    fd->bd.nsectors = bytes / SECTOR_SIZE;
    fd->bd.can_flush = true;
    fd->bd.ops = &file_ops;
    fd->bd.priv = fd;
}
