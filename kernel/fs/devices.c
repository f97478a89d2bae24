/*
 * devices.c - /dev: the memory devices and the device directory.
 *
 * /dev is a tmpfs with character device nodes; opening a node finds its
 * file_ops by device number (chrdev_lookup). null, zero, full, random and
 * urandom live here; the console and ttys register from tty/.
 */
#include "core/random.h"
#include "drivers/block/bdev.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"

static ssize_t null_read(struct file *f, struct uio *u, off_t *pos)
{
    (void)f;
    (void)u;
    (void)pos;
    return 0;
}

static ssize_t null_write(struct file *f, struct uio *u, off_t *pos)
{
    size_t n = u->resid;

    (void)f;
    (void)pos;
    u->resid = 0;
    return (ssize_t)n;
}

static ssize_t zero_read(struct file *f, struct uio *u, off_t *pos)
{
    static const char zeros[512];
    ssize_t done = 0;

    (void)f;
    (void)pos;
    while (u->resid > 0) {
        ssize_t c = uio_copy_to(u, zeros, MIN(u->resid, sizeof(zeros)));
        if (c <= 0)
            return done > 0 ? done : c;
        done += c;
    }
    return done;
}

static ssize_t full_write(struct file *f, struct uio *u, off_t *pos)
{
    (void)f;
    (void)u;
    (void)pos;
    return -ENOSPC;
}

static ssize_t random_read(struct file *f, struct uio *u, off_t *pos)
{
    uint8_t buf[256];
    ssize_t done = 0;

    (void)f;
    (void)pos;
    while (u->resid > 0) {
        size_t n = MIN(u->resid, sizeof(buf));
        random_bytes(buf, n);
        ssize_t c = uio_copy_to(u, buf, n);
        if (c <= 0) {
            done = done > 0 ? done : c;
            break;
        }
        done += c;
    }
    memset(buf, 0, sizeof(buf));
    return done;
}

/* Writes to /dev/random mix into the pool, as on Linux. */
static ssize_t random_write(struct file *f, struct uio *u, off_t *pos)
{
    uint8_t buf[256];
    ssize_t done = 0;

    (void)f;
    (void)pos;
    while (u->resid > 0) {
        ssize_t c = uio_copy_from(u, buf, MIN(u->resid, sizeof(buf)));
        if (c <= 0)
            return done > 0 ? done : c;
        random_mix(buf, (size_t)c);
        done += c;
    }
    return done;
}

static const struct file_ops null_fops = {.read = null_read, .write = null_write};
static const struct file_ops zero_fops = {.read = zero_read, .write = null_write};
static const struct file_ops full_fops = {.read = zero_read, .write = full_write};
static const struct file_ops random_fops = {.read = random_read, .write = random_write};

static void mknod(struct inode *dir, const char *name, uint32_t mode, uint32_t rdev)
{
    struct inode *inode;

    if (dir->iops->create(dir, name, strlen(name), mode, rdev, &inode) == 0)
        inode_put(inode);
}

void devfs_init(struct super_block *sb)
{
    struct inode *root = sb->root;
    struct inode *pts;

    chrdev_register(1, 3, &null_fops);
    chrdev_register(1, 5, &zero_fops);
    chrdev_register(1, 7, &full_fops);
    chrdev_register(1, 8, &random_fops);
    chrdev_register(1, 9, &random_fops);
    mknod(root, "null", S_IFCHR | 0666, MKDEV(1, 3));
    mknod(root, "zero", S_IFCHR | 0666, MKDEV(1, 5));
    mknod(root, "full", S_IFCHR | 0666, MKDEV(1, 7));
    mknod(root, "random", S_IFCHR | 0666, MKDEV(1, 8));
    mknod(root, "urandom", S_IFCHR | 0666, MKDEV(1, 9));
    mknod(root, "tty", S_IFCHR | 0666, MKDEV(5, 0));
    mknod(root, "console", S_IFCHR | 0600, MKDEV(5, 1));
    mknod(root, "ttyS0", S_IFCHR | 0660, MKDEV(4, 64));
    mknod(root, "tty0", S_IFCHR | 0620, MKDEV(4, 0));
    blkdev_devfs_init(root);
    root->iops->symlink(root, "fd", 2, "/proc/self/fd");
    root->iops->symlink(root, "stdin", 5, "/proc/self/fd/0");
    root->iops->symlink(root, "stdout", 6, "/proc/self/fd/1");
    root->iops->symlink(root, "stderr", 6, "/proc/self/fd/2");
    if (root->iops->mkdir(root, "shm", 3, 01777, &pts) == 0)
        inode_put(pts);
    if (root->iops->mkdir(root, "pts", 3, 0755, &pts) == 0)
        inode_put(pts);
}
