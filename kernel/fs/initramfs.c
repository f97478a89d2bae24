/*
 * initramfs.c - fill the root tmpfs from the boot module.
 *
 * The module is either a newc cpio archive (possibly several concatenated)
 * or a bare static ELF, which becomes /init. Every file, directory,
 * symlink, device node and mode in the archive is created; missing parent
 * directories are created on the way. A malformed archive stops the unpack
 * with a clear message, keeping what was unpacked before it.
 */
#include "core/printk.h"
#include "core/time.h"
#include "fs/cpio.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define MAX_HARDLINKS 64

/* Walk to the directory that holds the last component of name, creating
 * missing directories. Returns a referenced inode and the last component. */
static int walk_parent(struct super_block *sb, const char *name, size_t len, struct inode **dir,
                       const char **last, size_t *lastlen)
{
    struct inode *cur = sb->root;
    size_t i = 0;

    inode_get(cur);
    for (;;) {
        size_t start, clen;
        while (i < len && name[i] == '/')
            i++;
        start = i;
        while (i < len && name[i] != '/')
            i++;
        clen = i - start;
        size_t j = i;
        while (j < len && name[j] == '/')
            j++;
        if (j >= len) {
            *dir = cur;
            *last = name + start;
            *lastlen = clen;
            return clen == 0 ? -EINVAL : 0;
        }
        if (clen == 0 || (clen == 1 && name[start] == '.'))
            continue;
        if (clen == 2 && name[start] == '.' && name[start + 1] == '.') {
            inode_put(cur);
            return -EINVAL; /* archives must not climb out */
        }
        struct inode *next;
        int err = cur->iops->lookup(cur, name + start, clen, &next);
        if (err == -ENOENT)
            err = cur->iops->mkdir(cur, name + start, clen, 0755, &next);
        inode_put(cur);
        if (err != 0)
            return err;
        if (!S_ISDIR(next->mode)) {
            inode_put(next);
            return -ENOTDIR;
        }
        cur = next;
    }
}

static int write_data(struct inode *inode, const uint8_t *data, size_t size)
{
    struct file f = {.path.inode = inode, .flags = O_WRONLY};
    struct k_iovec iov;
    struct uio u;
    off_t pos = 0;
    ssize_t n;

    if (size == 0)
        return 0;
    mutex_init(&f.pos_lock);
    uio_init_kernel(&u, &iov, (void *)data, size);
    n = inode->fops->write(&f, &u, &pos);
    if (n < 0)
        return (int)n;
    return (size_t)n == size ? 0 : -ENOSPC;
}

static int unpack_one(struct super_block *sb, const struct cpio_entry *e, struct inode **links,
                      uint32_t *link_ino, unsigned int *nlinks)
{
    struct inode *dir = NULL, *inode = NULL;
    const char *last;
    size_t lastlen;
    uint32_t type = e->mode & S_IFMT;
    int err;

    err = walk_parent(sb, e->name, e->namelen, &dir, &last, &lastlen);
    if (err == -EINVAL && e->namelen > 0) {
        /* "." or "/" itself: apply the mode to the root. */
        if (dir != NULL)
            inode_put(dir);
        return 0;
    }
    if (err != 0)
        return err;
    if (lastlen == 1 && last[0] == '.') {
        dir->mode = (dir->mode & S_IFMT) | (e->mode & 07777);
        inode_put(dir);
        return 0;
    }
    /* Replace whatever an earlier archive put there (except directories). */
    if (dir->iops->lookup(dir, last, lastlen, &inode) == 0) {
        bool is_dir = S_ISDIR(inode->mode);
        if (!(is_dir && type == S_IFDIR)) {
            inode_put(inode);
            inode = NULL;
            err = is_dir ? dir->iops->rmdir(dir, last, lastlen)
                         : dir->iops->unlink(dir, last, lastlen);
            if (err != 0)
                goto out;
        }
    }
    switch (type) {
    case S_IFDIR:
        if (inode == NULL)
            err = dir->iops->mkdir(dir, last, lastlen, e->mode & 07777, &inode);
        break;
    case S_IFLNK: {
        char *target = kmalloc(e->size + 1, 0);
        if (target == NULL) {
            err = -ENOMEM;
            break;
        }
        memcpy(target, e->data, e->size);
        target[e->size] = '\0';
        err = dir->iops->symlink(dir, last, lastlen, target);
        kfree(target);
        if (err == 0)
            err = dir->iops->lookup(dir, last, lastlen, &inode);
        break;
    }
    case S_IFREG:
        /* newc hard links: same ino, data on the last one; link to the first. */
        if (e->nlink > 1) {
            for (unsigned int i = 0; i < *nlinks; i++) {
                if (link_ino[i] == e->ino) {
                    err = dir->iops->link(dir, last, lastlen, links[i]);
                    if (err == 0 && e->size > 0)
                        err = write_data(links[i], e->data, e->size);
                    goto out;
                }
            }
        }
        err = dir->iops->create(dir, last, lastlen, S_IFREG | (e->mode & 07777), 0, &inode);
        if (err == 0)
            err = write_data(inode, e->data, e->size);
        if (err == 0 && e->nlink > 1 && *nlinks < MAX_HARDLINKS) {
            inode_get(inode);
            links[*nlinks] = inode;
            link_ino[(*nlinks)++] = e->ino;
        }
        break;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        err = dir->iops->create(dir, last, lastlen, type | (e->mode & 07777),
                                MKDEV(e->rdevmajor, e->rdevminor), &inode);
        break;
    default:
        err = -EINVAL;
        break;
    }
    if (err == 0 && inode != NULL) {
        inode->mode = (inode->mode & S_IFMT) | (e->mode & 07777);
        inode->uid = e->uid;
        inode->gid = e->gid;
        inode->mtime = inode->ctime = inode->atime = (struct k_timespec){(int64_t)e->mtime, 0};
    }
out:
    inode_put(inode);
    inode_put(dir);
    return err;
}

int initramfs_unpack(struct super_block *sb, const void *data, size_t len)
{
    const uint8_t *buf = data;
    struct inode *links[MAX_HARDLINKS];
    uint32_t link_ino[MAX_HARDLINKS];
    unsigned int nlinks = 0, count = 0;
    size_t off = 0;
    int ret = 0;

    if (len >= 4 && memcmp(buf,
                           "\x7f"
                           "ELF",
                           4) == 0) {
        struct cpio_entry e = {.name = "init",
                               .namelen = 4,
                               .mode = S_IFREG | 0755,
                               .nlink = 1,
                               .data = buf,
                               .size = len};
        return unpack_one(sb, &e, links, link_ino, &nlinks);
    }
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        pr_err("initramfs: the archive is gzip-compressed; EggOS needs an uncompressed "
               "newc cpio (or a static ELF)\n");
        return -EINVAL;
    }
    for (;;) {
        struct cpio_entry e;
        int r = cpio_next(buf, len, &off, &e);
        if (r == 0) {
            if (off >= len)
                break;
            continue; /* trailer of one archive; another may follow */
        }
        if (r < 0) {
            pr_err("initramfs: malformed cpio archive at offset %zu; unpacked %u entries\n", off,
                   count);
            ret = -EINVAL;
            break;
        }
        int err = unpack_one(sb, &e, links, link_ino, &nlinks);
        if (err != 0)
            pr_warn("initramfs: cannot create %.*s: error %d\n", (int)e.namelen, e.name, -err);
        else
            count++;
    }
    for (unsigned int i = 0; i < nlinks; i++)
        inode_put(links[i]);
    pr_info("initramfs: %u entries unpacked\n", count);
    return ret;
}
