/*
 * bdev.c - the block device registry, synchronous helpers, the /dev/vdX
 * nodes and the system-wide sync hooks (sync(2), power-off).
 *
 * /dev/vdX reads and writes go straight to the device through a bounce
 * buffer (partial sectors are read, modified and written back); they do
 * not go through a file system's block cache, so writing a device that is
 * mounted is as unwise as on Linux.
 */
#include "drivers/block/bdev.h"

#include "core/printk.h"
#include "drivers/block/blkenv.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/uaccess.h"
#include "sched/spinlock.h"

#define BDEV_MAX 26       /* vda .. vdz */
#define BOUNCE_SIZE 65536 /* bytes per request for /dev/vdX I/O */
#define BLKGETSIZE64 0x80081272u
#define BLKSSZGET 0x1268u

static spinlock_t bdev_lock = SPINLOCK_INIT;
static LIST_HEAD(bdevs);                        /* guarded by bdev_lock */
static unsigned int nbdevs;                     /* guarded by bdev_lock */
static struct block_device *by_minor[BDEV_MAX]; /* guarded by bdev_lock */

static struct mutex sync_lock = MUTEX_INIT(sync_lock);
static LIST_HEAD(sync_hooks); /* guarded by sync_lock */

int bdev_register(struct block_device *bd)
{
    uint64_t flags = spin_lock_irqsave(&bdev_lock);
    unsigned int n = nbdevs;

    if (n >= BDEV_MAX) {
        spin_unlock_irqrestore(&bdev_lock, flags);
        return -ENOSPC;
    }
    nbdevs++;
    mutex_init(&bd->raw_lock);
    snprintf(bd->name, sizeof(bd->name), "vd%c", 'a' + n);
    bd->rdev = MKDEV(BLOCK_MAJOR, n);
    by_minor[n] = bd;
    list_add_tail(&bd->link, &bdevs);
    spin_unlock_irqrestore(&bdev_lock, flags);
    pr_info("block: %s, %lu sectors (%lu MiB)%s\n", bd->name, bd->nsectors,
            bd->nsectors / (1024 * 1024 / SECTOR_SIZE), bd->readonly ? ", read-only" : "");
    return 0;
}

struct block_device *bdev_find(const char *name)
{
    struct block_device *bd, *found = NULL;
    uint64_t flags;

    if (str_has_prefix(name, "/dev/"))
        name += 5;
    flags = spin_lock_irqsave(&bdev_lock);
    list_for_each_entry (bd, &bdevs, link) {
        if (strcmp(bd->name, name) == 0) {
            found = bd;
            break;
        }
    }
    spin_unlock_irqrestore(&bdev_lock, flags);
    return found;
}

static struct block_device *bdev_by_rdev(uint32_t rdev)
{
    struct block_device *bd = NULL;
    uint64_t flags;

    if (MAJOR(rdev) != BLOCK_MAJOR || MINOR(rdev) >= BDEV_MAX)
        return NULL;
    flags = spin_lock_irqsave(&bdev_lock);
    bd = by_minor[MINOR(rdev)];
    spin_unlock_irqrestore(&bdev_lock, flags);
    return bd;
}

/* ---- /dev/vdX ---- */

static struct block_device *file_bdev(struct file *f)
{
    return bdev_by_rdev(file_inode(f)->rdev);
}

static int blk_open(struct inode *inode, struct file *f)
{
    struct block_device *bd = bdev_by_rdev(inode->rdev);

    if (bd == NULL)
        return -ENXIO;
    if (bd->readonly && file_writable(f))
        return -EROFS;
    return 0;
}

/* Move u's bytes to or from the device at *pos, a bounce buffer at a time. */
static ssize_t blk_io(struct file *f, struct uio *u, off_t *pos, bool write)
{
    struct block_device *bd = file_bdev(f);
    uint64_t size = bd->nsectors * SECTOR_SIZE;
    uint8_t *bounce = blk_zalloc(BOUNCE_SIZE);
    ssize_t done = 0;
    int err = 0;

    if (bounce == NULL)
        return -ENOMEM;
    if (write)
        mutex_lock(&bd->raw_lock);
    while (u->resid > 0 && (uint64_t)*pos < size) {
        uint64_t start = (uint64_t)*pos & ~(uint64_t)(SECTOR_SIZE - 1);
        size_t skip = (size_t)((uint64_t)*pos - start);
        size_t n = MIN(u->resid, (size_t)MIN(BOUNCE_SIZE - skip, size - (uint64_t)*pos));
        size_t span = (skip + n + SECTOR_SIZE - 1) & ~(size_t)(SECTOR_SIZE - 1);
        ssize_t c;

        if (!write || skip != 0 || n != span)
            err = bdev_read(bd, start, bounce, span);
        if (err != 0)
            break;
        c = write ? uio_copy_from(u, bounce + skip, n) : uio_copy_to(u, bounce + skip, n);
        if (c < 0) {
            err = (int)c;
            break;
        }
        if (write && (err = bdev_write(bd, start, bounce, span)) != 0)
            break;
        done += c;
        *pos += c;
        if ((size_t)c < n)
            break;
    }
    if (write)
        mutex_unlock(&bd->raw_lock);
    blk_free(bounce);
    return done > 0 ? done : err;
}

static ssize_t blk_read(struct file *f, struct uio *u, off_t *pos)
{
    return blk_io(f, u, pos, false);
}

static ssize_t blk_write(struct file *f, struct uio *u, off_t *pos)
{
    return blk_io(f, u, pos, true);
}

static int blk_fsync(struct file *f, bool datasync)
{
    (void)datasync;
    return bdev_flush(file_bdev(f));
}

static long blk_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct block_device *bd = file_bdev(f);
    uint64_t size = bd->nsectors * SECTOR_SIZE;
    int ssz = SECTOR_SIZE;

    switch (cmd) {
    case BLKGETSIZE64:
        return copy_to_user((void *)arg, &size, sizeof(size));
    case BLKSSZGET:
        return copy_to_user((void *)arg, &ssz, sizeof(ssz));
    default:
        return -ENOTTY;
    }
}

static const struct file_ops blk_fops = {
    .open = blk_open,
    .read = blk_read,
    .write = blk_write,
    .fsync = blk_fsync,
    .ioctl = blk_ioctl,
};

const struct file_ops *blkdev_lookup(uint32_t rdev)
{
    return bdev_by_rdev(rdev) != NULL ? &blk_fops : NULL;
}

void blkdev_devfs_init(struct inode *dir)
{
    struct inode *node;

    for (unsigned int i = 0; i < BDEV_MAX; i++) {
        struct block_device *bd = bdev_by_rdev(MKDEV(BLOCK_MAJOR, i));
        if (bd == NULL)
            continue;
        if (dir->iops->create(dir, bd->name, strlen(bd->name), S_IFBLK | 0660, bd->rdev, &node) ==
            0)
            inode_put(node);
    }
}

/* ---- sync ---- */

void sync_hook_add(struct sync_hook *h)
{
    mutex_lock(&sync_lock);
    list_add_tail(&h->link, &sync_hooks);
    mutex_unlock(&sync_lock);
}

void sync_hook_remove(struct sync_hook *h)
{
    mutex_lock(&sync_lock);
    list_del(&h->link);
    mutex_unlock(&sync_lock);
}

/* sync(2) and the end of the run: every mounted disk file system writes back and flushes. */
void vfs_sync_all(void)
{
    struct sync_hook *h;

    mutex_lock(&sync_lock);
    list_for_each_entry (h, &sync_hooks, link) {
        int err = h->sync(h->arg);
        if (err != 0)
            pr_err("sync: write-back failed (%d)\n", err);
    }
    mutex_unlock(&sync_lock);
}
