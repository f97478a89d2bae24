/*
 * inode.c - inode life cycle, stat, character device registry, mounts.
 */
#include "core/time.h"
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/seqbuf.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

struct inode *inode_alloc(struct super_block *sb, uint32_t mode)
{
    struct inode *inode = kzalloc(sizeof(*inode));
    uint64_t now = ktime_real_ns();

    if (inode == NULL)
        return NULL;
    inode->ino = __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_RELAXED);
    inode->mode = mode;
    inode->nlink = 1;
    inode->refs = 1;
    inode->sb = sb;
    inode->atime = inode->mtime = inode->ctime =
        (struct k_timespec){(int64_t)(now / NSEC_PER_SEC), (int64_t)(now % NSEC_PER_SEC)};
    mutex_init(&inode->lock);
    waitq_init(&inode->pollq);
    return inode;
}

void inode_get(struct inode *inode)
{
    __atomic_fetch_add(&inode->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *inode)
{
    if (inode == NULL || __atomic_sub_fetch(&inode->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    pagecache_release(inode); /* no mapping is left: each holds a reference */
    if (inode->iops != NULL && inode->iops->evict != NULL)
        inode->iops->evict(inode);
    kfree(inode);
}

void inode_touch(struct inode *inode, bool atime, bool mtime, bool ctime)
{
    uint64_t now = ktime_real_ns();
    struct k_timespec ts = {(int64_t)(now / NSEC_PER_SEC), (int64_t)(now % NSEC_PER_SEC)};

    if (atime)
        inode->atime = ts;
    if (mtime)
        inode->mtime = ts;
    if (ctime)
        inode->ctime = ts;
}

void inode_stat(struct inode *inode, struct k_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = inode->sb != NULL ? inode->sb->dev : 0;
    st->st_ino = inode->ino;
    st->st_nlink = inode->nlink;
    st->st_mode = inode->mode;
    st->st_uid = inode->uid;
    st->st_gid = inode->gid;
    st->st_rdev = inode->rdev;
    st->st_size = (int64_t)inode->size;
    st->st_blksize = 4096;
    st->st_blocks =
        (int64_t)(inode->blocks != 0 ? inode->blocks : ALIGN_UP(inode->size, 4096ul) / 512);
    st->st_atim = inode->atime;
    st->st_mtim = inode->mtime;
    st->st_ctim = inode->ctime;
}

/* ---- character devices ---- */

#define MAX_CHRDEVS 32

static struct {
    uint32_t rdev;
    const struct file_ops *fops;
} chrdevs[MAX_CHRDEVS];
static unsigned int nchrdevs;

int chrdev_register(uint32_t major, uint32_t minor, const struct file_ops *fops)
{
    if (nchrdevs == MAX_CHRDEVS)
        return -ENOMEM;
    chrdevs[nchrdevs].rdev = MKDEV(major, minor);
    chrdevs[nchrdevs].fops = fops;
    nchrdevs++;
    return 0;
}

const struct file_ops *chrdev_lookup(uint32_t rdev)
{
    for (unsigned int i = 0; i < nchrdevs; i++) {
        if (chrdevs[i].rdev == rdev)
            return chrdevs[i].fops;
    }
    return NULL;
}

/* ---- mounts ---- */

static spinlock_t mount_lock = SPINLOCK_INIT;
static LIST_HEAD(mounts); /* guarded by mount_lock */
struct path root_path;

void path_get(struct path *p)
{
    if (p->inode != NULL)
        inode_get(p->inode);
}

void path_put(struct path *p)
{
    inode_put(p->inode);
}

void vfs_set_root(struct super_block *sb)
{
    struct mount *m = kzalloc(sizeof(*m));
    uint64_t flags;

    if (m == NULL)
        return;
    m->sb = sb;
    strscpy(m->path, "/", sizeof(m->path));
    flags = spin_lock_irqsave(&mount_lock);
    list_add_tail(&m->link, &mounts);
    spin_unlock_irqrestore(&mount_lock, flags);
    root_path.mnt = m;
    root_path.inode = sb->root;
    inode_get(sb->root);
}

int vfs_mount(struct super_block *sb, struct path *at, const char *where)
{
    struct mount *m;
    uint64_t flags;

    if (!S_ISDIR(at->inode->mode))
        return -ENOTDIR;
    m = kzalloc(sizeof(*m));
    if (m == NULL)
        return -ENOMEM;
    m->sb = sb;
    m->parent = at->mnt;
    m->mountpoint = at->inode;
    inode_get(at->inode);
    strscpy(m->path, where, sizeof(m->path));
    flags = spin_lock_irqsave(&mount_lock);
    list_add_tail(&m->link, &mounts);
    spin_unlock_irqrestore(&mount_lock, flags);
    return 0;
}

/* The mount whose mountpoint is (mnt, inode), or NULL. The newest wins. */
struct mount *mount_lookup(struct mount *mnt, struct inode *inode)
{
    struct mount *m, *found = NULL;
    uint64_t flags = spin_lock_irqsave(&mount_lock);

    list_for_each_entry (m, &mounts, link) {
        if (m->parent == mnt && m->mountpoint == inode)
            found = m;
    }
    spin_unlock_irqrestore(&mount_lock, flags);
    return found;
}

size_t vfs_format_mounts(char *buf, size_t size)
{
    struct mount *m;
    size_t n = 0;
    uint64_t flags = spin_lock_irqsave(&mount_lock);

    list_for_each_entry (m, &mounts, link) {
        n += scnprintf(buf + n, size - n, "%s %s %s %s 0 0\n", m->sb->fstype, m->path,
                       m->sb->fstype, (m->sb->flags & SB_RDONLY) ? "ro" : "rw");
    }
    spin_unlock_irqrestore(&mount_lock, flags);
    return n;
}

/* Mount options as /proc shows them. */
static const char *mount_options(const struct mount *m)
{
    bool ro = m->sb->flags & SB_RDONLY;

    if (strcmp(m->sb->fstype, "proc") == 0 || strcmp(m->sb->fstype, "sysfs") == 0)
        return ro ? "ro,nosuid,nodev,noexec,relatime" : "rw,nosuid,nodev,noexec,relatime";
    return ro ? "ro,relatime" : "rw,relatime";
}

void vfs_format_mounts_seq(struct seqbuf *s)
{
    struct mount *m;
    uint64_t flags = spin_lock_irqsave(&mount_lock);

    list_for_each_entry (m, &mounts, link)
        seq_printf(s, "%s %s %s %s 0 0\n", m->sb->fstype, m->path, m->sb->fstype, mount_options(m));
    spin_unlock_irqrestore(&mount_lock, flags);
}

/* Mount IDs are positions in the mount list, from 1 (the root mount). */
static int mount_id(const struct mount *target)
{
    const struct mount *m;
    int id = 1;

    list_for_each_entry (m, &mounts, link) {
        if (m == target)
            return id;
        id++;
    }
    return 0;
}

void vfs_format_mountinfo(struct seqbuf *s)
{
    struct mount *m;
    uint64_t flags = spin_lock_irqsave(&mount_lock);

    list_for_each_entry (m, &mounts, link) {
        int id = mount_id(m);
        seq_printf(s, "%d %d 0:%u / %s %s - %s %s %s\n", id,
                   m->parent != NULL ? mount_id(m->parent) : id, m->sb->dev, m->path,
                   mount_options(m), m->sb->fstype, m->sb->fstype,
                   (m->sb->flags & SB_RDONLY) ? "ro" : "rw");
    }
    spin_unlock_irqrestore(&mount_lock, flags);
}
