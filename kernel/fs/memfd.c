/*
 * memfd.c - memfd_create(2): anonymous tmpfs files, and their seals
 * (F_ADD_SEALS, F_GET_SEALS).
 *
 * A memfd is a regular file of a private tmpfs instance, created and at
 * once unlinked, so it lives exactly as long as its open files. Its fd
 * shows in /proc/<pid>/fd as "/memfd:<name> (deleted)", as on Linux.
 * Writes go through memfd_fops, which checks the seals before handing
 * over to tmpfs; truncate and fallocate call memfd_check_resize.
 *
 * Locking: seals change under the inode's mutex (checks read them without
 * it: a seal is only ever added, and a racing write may land first, as
 * on Linux where F_SEAL_WRITE waits for writers).
 */
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define MFD_CLOEXEC 0x1u
#define MFD_ALLOW_SEALING 0x2u
#define MFD_HUGETLB 0x4u
#define MFD_NAME_MAX 249 /* NAME_MAX - strlen("memfd:") */

#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x1u
#define F_SEAL_SHRINK 0x2u
#define F_SEAL_GROW 0x4u
#define F_SEAL_WRITE 0x8u
#define F_SEAL_FUTURE_WRITE 0x10u
#define F_SEAL_ALL (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
/* Not a Linux bit: marks an inode that has seals at all (a memfd). */
#define INODE_SEALABLE 0x80000000u

static struct super_block *memfd_sb; /* set once, under memfd_sb_lock */
static struct mutex memfd_sb_lock = MUTEX_INIT(memfd_sb_lock);
static uint64_t memfd_seq;

static ssize_t memfd_write(struct file *f, struct uio *u, off_t *pos)
{
    struct inode *inode = file_inode(f);
    uint32_t seals = READ_ONCE(inode->seals);

    if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
        return -EPERM;
    if ((seals & F_SEAL_GROW) && ((f->flags & O_APPEND) || (uint64_t)*pos + u->resid > inode->size))
        return -EPERM;
    return inode->fops->write(f, u, pos);
}

static ssize_t memfd_read(struct file *f, struct uio *u, off_t *pos)
{
    return file_inode(f)->fops->read(f, u, pos);
}

static const struct file_ops memfd_fops = {
    .read = memfd_read,
    .write = memfd_write,
};

int memfd_check_resize(struct inode *inode, uint64_t new_size)
{
    uint32_t seals = READ_ONCE(inode->seals);

    if ((seals & F_SEAL_GROW) && new_size > inode->size)
        return -EPERM;
    if ((seals & F_SEAL_SHRINK) && new_size < inode->size)
        return -EPERM;
    return 0;
}

int memfd_check_map_write(struct inode *inode)
{
    return (READ_ONCE(inode->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) ? -EPERM : 0;
}

long memfd_fcntl(struct file *f, unsigned int cmd, uint32_t seals)
{
    struct inode *inode = file_inode(f);
    long ret = 0;

    if (inode == NULL || !(inode->seals & INODE_SEALABLE))
        return -EINVAL;
    if (cmd == F_GET_SEALS)
        return inode->seals & F_SEAL_ALL;
    if (seals & ~F_SEAL_ALL)
        return -EINVAL;
    if (!file_writable(f))
        return -EPERM;
    mutex_lock(&inode->lock);
    if (inode->seals & F_SEAL_SEAL)
        ret = -EPERM;
    else
        inode->seals |= seals;
    mutex_unlock(&inode->lock);
    return ret;
}

static struct super_block *get_memfd_sb(void)
{
    mutex_lock(&memfd_sb_lock);
    if (memfd_sb == NULL)
        memfd_sb = tmpfs_create("tmpfs");
    mutex_unlock(&memfd_sb_lock);
    return memfd_sb;
}

SYSCALL_DEFINE2(memfd_create, const char *, uname, unsigned int, flags)
{
    char name[MFD_NAME_MAX + 1], entry[32];
    struct super_block *sb;
    struct inode *dir, *inode;
    struct path p = {NULL, NULL};
    struct file *f;
    long len, err;

    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB))
        return -EINVAL;
    if (flags & MFD_HUGETLB)
        return -EINVAL; /* no hugetlbfs */
    len = strncpy_from_user(name, uname, sizeof(name));
    if (len < 0)
        return len == -ENAMETOOLONG ? -EINVAL : len;
    sb = get_memfd_sb();
    if (sb == NULL)
        return -ENOMEM;
    /* A unique entry, unlinked as soon as the file is open. */
    dir = sb->root;
    len =
        snprintf(entry, sizeof(entry), "%lu", __atomic_add_fetch(&memfd_seq, 1, __ATOMIC_RELAXED));
    err = dir->iops->create(dir, entry, (size_t)len, S_IFREG | 0777, 0, &inode);
    if (err != 0)
        return err;
    dir->iops->unlink(dir, entry, (size_t)len);
    inode->seals = INODE_SEALABLE | ((flags & MFD_ALLOW_SEALING) ? 0 : F_SEAL_SEAL);
    p.inode = inode;
    err = vfs_open(&p, O_RDWR | O_LARGEFILE, &f);
    inode_put(inode);
    if (err != 0)
        return err;
    f->ops = &memfd_fops;
    f->open_name = kmalloc(NAME_MAX + 32, 0);
    if (f->open_name != NULL)
        snprintf(f->open_name, NAME_MAX + 32, "/memfd:%s (deleted)", name);
    err = fd_install(f, flags & MFD_CLOEXEC, 0);
    if (err < 0)
        file_put(f);
    return err;
}
