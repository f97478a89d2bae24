/*
 * ext2_vfs.c - ext2 under the VFS: the in-memory inode cache, inode_ops
 * and file_ops over the ext2 core (ext2.h), statfs, sync, and mounting by
 * device name.
 *
 * The disk (through the block cache) is the only copy of an inode: every
 * operation changes it there, then refreshes the VFS inode's fields from
 * it (inode_refresh). So nothing is lost when a VFS inode is evicted, and
 * hard links opened twice share one VFS inode through the cache.
 *
 * Locking: one mutex per mounted file system, ext2_sb.lock, serializes
 * every call into the core (they share the block cache's buffers and the
 * in-memory superblock) and guards the inode cache. VFS inode fields are
 * written under it. It is taken by every op here and by sync; it is never
 * held while calling back into the VFS, and a file system's lock is never
 * taken while another's is held. File data is copied to and from user
 * memory outside it (a bounce buffer), and getdents fills a kernel buffer
 * (sys_namei.c), so a page fault on a mapping of an ext2 file, which reads
 * the page through read_page under the lock, never finds it held by its
 * own thread. Lock order: pagecache.lock -> ext2_sb.lock.
 *
 * File mappings go through the page cache (pagecache.c): read_page and
 * write_page move one page between it and the disk; read and write keep
 * cached pages and the disk coherent.
 *
 * Inode lifetime: the VFS frees an inode when its last reference goes
 * (evict). A name removed while the file is open (nlink 0) keeps the disk
 * inode until then; evict releases its blocks.
 */
#include "core/printk.h"
#include "drivers/block/bdev.h"
#include "fs/ext2/ext2.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/layout.h"
#include "mm/page.h"
#include "sched/sched.h"

#define ICACHE_BUCKETS 1024
/*
 * Each mounted file system's block cache may grow to an eighth of memory,
 * within these bounds. The cache does not shrink when memory runs short,
 * so it cannot take all that is free as Linux's page cache does.
 */
#define EXT2_CACHE_MIN (4ull << 20)
#define EXT2_CACHE_MAX (1ull << 30)
#define EXT2_CACHE_SHARE 8

struct ext2_sb;

/* One cached inode, on its bucket's chain; guarded by ext2_sb.lock. */
struct ext2_node {
    struct inode *inode;
    uint32_t ino;
    struct ext2_node *next;
};

struct ext2_sb {
    struct ext2_fs fs; /* guarded by lock */
    struct mutex lock;
    struct super_block *sb;
    struct ext2_node *icache[ICACHE_BUCKETS]; /* guarded by lock */
    struct sync_hook hook;
};

static const struct inode_ops ext2_dir_iops, ext2_file_iops, ext2_link_iops, ext2_special_iops;
static const struct file_ops ext2_file_fops, ext2_dir_fops;

static struct ext2_sb *esb_of(struct inode *inode)
{
    return inode->sb->priv;
}

static uint32_t ino_of(struct inode *inode)
{
    return (uint32_t)inode->ino;
}

/* Copy the disk inode's attributes into the VFS inode. Caller holds esb->lock. */
static int inode_refresh(struct ext2_sb *esb, struct inode *inode)
{
    struct ext2_inode ip;
    int err = ext2_read_inode(&esb->fs, ino_of(inode), &ip);

    if (err != 0)
        return err;
    inode->mode = ip.i_mode;
    inode->uid = ip.i_uid | ((uint32_t)ip.i_uid_high << 16);
    inode->gid = ip.i_gid | ((uint32_t)ip.i_gid_high << 16);
    inode->nlink = ip.i_links_count;
    inode->size = ext2_inode_size(&ip);
    inode->blocks = ip.i_blocks;
    inode->atime = (struct k_timespec){ip.i_atime, 0};
    inode->mtime = (struct k_timespec){ip.i_mtime, 0};
    inode->ctime = (struct k_timespec){ip.i_ctime, 0};
    if (S_ISCHR(ip.i_mode) || S_ISBLK(ip.i_mode))
        inode->rdev = ip.i_block[0] != 0 ? ip.i_block[0] : ip.i_block[1];
    return 0;
}

static struct ext2_node **bucket(struct ext2_sb *esb, uint32_t ino)
{
    return &esb->icache[ino % ICACHE_BUCKETS];
}

/* Drop ino from the cache. Caller holds esb->lock. */
static void icache_remove(struct ext2_sb *esb, uint32_t ino, struct inode *inode)
{
    struct ext2_node **pp = bucket(esb, ino), *n;

    while ((n = *pp) != NULL) {
        if (n->ino == ino && n->inode == inode) {
            *pp = n->next;
            kfree(n);
            return;
        }
        pp = &n->next;
    }
}

/* The cached VFS inode of ino, referenced, or NULL. Caller holds esb->lock. */
static struct inode *icache_find(struct ext2_sb *esb, uint32_t ino)
{
    for (struct ext2_node *n = *bucket(esb, ino); n != NULL; n = n->next) {
        int refs = __atomic_load_n(&n->inode->refs, __ATOMIC_ACQUIRE);
        /* refs 0: being evicted; then take a fresh inode instead. */
        while (n->ino == ino && refs > 0) {
            if (__atomic_compare_exchange_n(&n->inode->refs, &refs, refs + 1, false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return n->inode;
        }
    }
    return NULL;
}

/* Does another VFS inode of ino live? Caller holds esb->lock. */
static bool icache_in_use(struct ext2_sb *esb, uint32_t ino)
{
    for (struct ext2_node *n = *bucket(esb, ino); n != NULL; n = n->next) {
        if (n->ino == ino && __atomic_load_n(&n->inode->refs, __ATOMIC_ACQUIRE) > 0)
            return true;
    }
    return false;
}

static void set_ops(struct inode *inode)
{
    switch (inode->mode & S_IFMT) {
    case S_IFDIR:
        inode->iops = &ext2_dir_iops;
        inode->fops = &ext2_dir_fops;
        break;
    case S_IFREG:
        inode->iops = &ext2_file_iops;
        inode->fops = &ext2_file_fops;
        break;
    case S_IFLNK:
        inode->iops = &ext2_link_iops;
        break;
    default:
        inode->iops = &ext2_special_iops;
        break;
    }
}

/* A referenced VFS inode for ino. Caller holds esb->lock. */
static int iget(struct ext2_sb *esb, uint32_t ino, struct inode **out)
{
    struct inode *inode = icache_find(esb, ino);
    struct ext2_node *n;
    int err;

    if (inode != NULL) {
        *out = inode;
        return 0;
    }
    inode = inode_alloc(esb->sb, 0);
    n = kzalloc(sizeof(*n));
    if (inode == NULL || n == NULL) {
        kfree(inode);
        kfree(n);
        return -ENOMEM;
    }
    inode->ino = ino;
    err = inode_refresh(esb, inode);
    if (err == 0 && (inode->mode & S_IFMT) == 0)
        err = -EUCLEAN; /* a name pointing at a free inode */
    if (err == 0 && inode->nlink == 0)
        err = -EUCLEAN;
    if (err != 0) {
        kfree(inode);
        kfree(n);
        if (err == -EUCLEAN)
            pr_err("ext2: %s: directory entry names bad inode %u\n", esb->fs.bd->name, ino);
        return err;
    }
    set_ops(inode);
    n->inode = inode;
    n->ino = ino;
    n->next = *bucket(esb, ino);
    *bucket(esb, ino) = n;
    *out = inode;
    return 0;
}

static void ext2_evict(struct inode *inode)
{
    struct ext2_sb *esb = esb_of(inode);

    mutex_lock(&esb->lock);
    icache_remove(esb, ino_of(inode), inode);
    if (inode->nlink == 0 && !esb->fs.readonly) {
        /* Only if the disk agrees (another VFS inode may have linked it again). */
        struct ext2_inode ip;
        if (ext2_read_inode(&esb->fs, ino_of(inode), &ip) == 0 && ip.i_links_count == 0 &&
            !icache_in_use(esb, ino_of(inode)))
            ext2_release_inode(&esb->fs, ino_of(inode));
    }
    mutex_unlock(&esb->lock);
}

/* ---- directories ---- */

static int ext2_vfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct ext2_sb *esb = esb_of(dir);
    uint32_t ino;
    int err;

    mutex_lock(&esb->lock);
    err = ext2_lookup(&esb->fs, ino_of(dir), name, len, &ino);
    if (err == 0)
        err = iget(esb, ino, out);
    mutex_unlock(&esb->lock);
    return err;
}

static int make_node(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev,
                     const char *target, struct inode **out)
{
    struct ext2_sb *esb = esb_of(dir);
    uint32_t ino;
    int err;

    mutex_lock(&esb->lock);
    err = ext2_create(&esb->fs, ino_of(dir), name, len, mode, 0, 0, rdev, target, &ino);
    if (err == 0) {
        inode_refresh(esb, dir);
        if (out != NULL)
            err = iget(esb, ino, out);
    }
    mutex_unlock(&esb->lock);
    return err;
}

static int ext2_vfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode,
                           uint32_t rdev, struct inode **out)
{
    return make_node(dir, name, len, mode, rdev, NULL, out);
}

static int ext2_vfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode,
                          struct inode **out)
{
    return make_node(dir, name, len, S_IFDIR | (mode & 07777), 0, NULL, out);
}

static int ext2_vfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
    return make_node(dir, name, len, S_IFLNK | 0777, 0, target, NULL);
}

static int ext2_vfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
    struct ext2_sb *esb = esb_of(dir);
    int err;

    if (target->sb != dir->sb)
        return -EXDEV;
    mutex_lock(&esb->lock);
    err = ext2_link(&esb->fs, ino_of(dir), name, len, ino_of(target));
    if (err == 0) {
        inode_refresh(esb, target);
        inode_refresh(esb, dir);
    }
    mutex_unlock(&esb->lock);
    return err;
}

/* After a name of ino went away: update a cached inode, or free an unused one. */
static void name_removed(struct ext2_sb *esb, uint32_t ino, bool last)
{
    struct inode *cached = icache_find(esb, ino);

    if (cached != NULL) {
        inode_refresh(esb, cached);
        if (last)
            cached->nlink = 0;
        /* inode_put may evict, which takes the lock: drop our reference after unlocking. */
        mutex_unlock(&esb->lock);
        inode_put(cached);
        mutex_lock(&esb->lock);
    } else if (last) {
        ext2_release_inode(&esb->fs, ino);
    }
}

static int remove_name(struct inode *dir, const char *name, size_t len, bool rmdir)
{
    struct ext2_sb *esb = esb_of(dir);
    uint32_t ino;
    bool last;
    int err;

    mutex_lock(&esb->lock);
    err = ext2_unlink(&esb->fs, ino_of(dir), name, len, rmdir, &ino, &last);
    if (err == 0) {
        inode_refresh(esb, dir);
        name_removed(esb, ino, last);
    }
    mutex_unlock(&esb->lock);
    return err;
}

static int ext2_vfs_unlink(struct inode *dir, const char *name, size_t len)
{
    return remove_name(dir, name, len, false);
}

static int ext2_vfs_rmdir(struct inode *dir, const char *name, size_t len)
{
    return remove_name(dir, name, len, true);
}

static int ext2_vfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                           const char *nname, size_t nlen, unsigned int flags)
{
    struct ext2_sb *esb = esb_of(odir);
    uint32_t src, victim;
    bool last, inside = false;
    int err;

    if (ndir->sb != odir->sb)
        return -EXDEV;
    mutex_lock(&esb->lock);
    err = ext2_lookup(&esb->fs, ino_of(odir), oname, olen, &src);
    /* A directory cannot move below itself. */
    if (err == 0 && odir != ndir)
        err = ext2_is_ancestor(&esb->fs, src, ino_of(ndir), &inside);
    if (err == 0 && inside)
        err = -EINVAL;
    if (err == 0)
        err = ext2_rename(&esb->fs, ino_of(odir), oname, olen, ino_of(ndir), nname, nlen, flags,
                          &victim, &last);
    if (err == 0) {
        struct inode *moved = icache_find(esb, src);
        inode_refresh(esb, odir);
        inode_refresh(esb, ndir);
        if (victim != 0)
            name_removed(esb, victim, last);
        if (moved != NULL) {
            inode_refresh(esb, moved);
            mutex_unlock(&esb->lock);
            inode_put(moved);
            return 0;
        }
    }
    mutex_unlock(&esb->lock);
    return err;
}

struct getdents_ctx {
    filldir_t fill;
    void *ctx;
};

static bool getdents_fn(void *c, const char *name, size_t len, uint32_t ino, uint8_t type,
                        uint64_t next)
{
    static const uint8_t dt[] = {DT_UNKNOWN, DT_REG,  DT_DIR,  DT_CHR,
                                 DT_BLK,     DT_FIFO, DT_SOCK, DT_LNK};
    struct getdents_ctx *g = c;

    return g->fill(g->ctx, name, len, ino, type < sizeof(dt) ? dt[type] : DT_UNKNOWN, next);
}

static int ext2_vfs_getdents(struct inode *dir, uint64_t *cookie, filldir_t fill, void *ctx)
{
    struct ext2_sb *esb = esb_of(dir);
    struct getdents_ctx g = {fill, ctx};
    int err;

    /* fill writes to a kernel buffer (sys_namei.c): nothing here can fault. */
    mutex_lock(&esb->lock);
    err = ext2_readdir(&esb->fs, ino_of(dir), cookie, getdents_fn, &g);
    mutex_unlock(&esb->lock);
    return err;
}

static int ext2_vfs_setattr(struct inode *inode, const struct iattr *a)
{
    struct ext2_sb *esb = esb_of(inode);
    struct ext2_inode ip;
    uint32_t ino = ino_of(inode);
    int err = 0;

    mutex_lock(&esb->lock);
    if (esb->fs.readonly) {
        err = -EROFS;
        goto out;
    }
    if (a->valid & ATTR_SIZE) {
        if (S_ISDIR(inode->mode))
            err = -EISDIR;
        else if (!S_ISREG(inode->mode))
            err = -EINVAL;
        else
            err = ext2_truncate(&esb->fs, ino, a->size);
        if (err != 0)
            goto out;
    }
    err = ext2_begin_change(&esb->fs);
    if (err == 0)
        err = ext2_read_inode(&esb->fs, ino, &ip);
    if (err != 0)
        goto out;
    if (a->valid & ATTR_MODE)
        ip.i_mode = (uint16_t)((ip.i_mode & S_IFMT) | (a->mode & 07777));
    if (a->valid & ATTR_UID) {
        ip.i_uid = (uint16_t)a->uid;
        ip.i_uid_high = (uint16_t)(a->uid >> 16);
    }
    if (a->valid & ATTR_GID) {
        ip.i_gid = (uint16_t)a->gid;
        ip.i_gid_high = (uint16_t)(a->gid >> 16);
    }
    if (a->valid & ATTR_ATIME)
        ip.i_atime = (uint32_t)a->atime.tv_sec;
    if (a->valid & ATTR_MTIME)
        ip.i_mtime = (uint32_t)a->mtime.tv_sec;
    ip.i_ctime = ext2_now(&esb->fs);
    err = ext2_write_inode(&esb->fs, ino, &ip);
out:
    inode_refresh(esb, inode);
    mutex_unlock(&esb->lock);
    if (err == 0 && (a->valid & ATTR_SIZE))
        pagecache_truncate(inode, a->size);
    return err;
}

static ssize_t ext2_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    struct ext2_sb *esb = esb_of(inode);
    ssize_t n;

    mutex_lock(&esb->lock);
    n = ext2_readlink(&esb->fs, ino_of(inode), buf, size);
    mutex_unlock(&esb->lock);
    return n;
}

/* ---- files ---- */

/*
 * File data moves through a kernel bounce buffer, a chunk at a time, so
 * user memory is never touched with the file system's lock held: a page
 * fault on a mapping of a file of this same file system would otherwise
 * need the lock its own thread holds.
 */
#define EXT2_IO_CHUNK (64u * 1024)

struct kbuf_cursor {
    uint8_t *p;
};

static ssize_t to_kbuf(void *ctx, void *data, size_t n)
{
    struct kbuf_cursor *c = ctx;

    memcpy(c->p, data, n);
    c->p += n;
    return (ssize_t)n;
}

static ssize_t from_kbuf(void *ctx, void *data, size_t n)
{
    struct kbuf_cursor *c = ctx;

    memcpy(data, c->p, n);
    c->p += n;
    return (ssize_t)n;
}

static ssize_t ext2_vfs_read(struct file *f, struct uio *u, off_t *pos)
{
    struct inode *inode = file_inode(f);
    struct ext2_sb *esb = esb_of(inode);
    uint8_t *bounce;
    ssize_t done = 0, n = 0;

    if (*pos < 0)
        return -EINVAL;
    bounce = kmalloc(EXT2_IO_CHUNK, 0);
    if (bounce == NULL)
        return -ENOMEM;
    while (u->resid > 0) {
        struct kbuf_cursor cur = {bounce};
        size_t want = MIN(u->resid, (size_t)EXT2_IO_CHUNK);

        mutex_lock(&esb->lock);
        n = ext2_file_io(&esb->fs, ino_of(inode), (uint64_t)*pos, want, false, to_kbuf, &cur);
        mutex_unlock(&esb->lock);
        if (n <= 0)
            break;
        pagecache_read_overlay(inode, (uint64_t)*pos, bounce, (size_t)n);
        n = uio_copy_to(u, bounce, (size_t)n);
        if (n <= 0)
            break;
        done += n;
        *pos += n;
        if ((size_t)n < want)
            break; /* end of file */
    }
    kfree(bounce);
    return done > 0 ? done : n;
}

static ssize_t ext2_vfs_write(struct file *f, struct uio *u, off_t *pos)
{
    struct inode *inode = file_inode(f);
    struct ext2_sb *esb = esb_of(inode);
    uint8_t *bounce;
    ssize_t done = 0, n = 0;

    bounce = kmalloc(EXT2_IO_CHUNK, 0);
    if (bounce == NULL)
        return -ENOMEM;
    while (u->resid > 0) {
        struct kbuf_cursor cur = {bounce};
        size_t want = MIN(u->resid, (size_t)EXT2_IO_CHUNK);

        n = uio_copy_from(u, bounce, want);
        if (n <= 0)
            break;
        mutex_lock(&esb->lock);
        if (f->flags & O_APPEND) {
            inode_refresh(esb, inode);
            *pos = (off_t)inode->size;
        }
        if (*pos < 0)
            n = -EINVAL;
        else
            n = ext2_file_io(&esb->fs, ino_of(inode), (uint64_t)*pos, (size_t)n, true, from_kbuf,
                             &cur);
        inode_refresh(esb, inode);
        mutex_unlock(&esb->lock);
        if (n <= 0)
            break;
        pagecache_write_through(inode, (uint64_t)*pos, bounce, (size_t)n);
        done += n;
        *pos += n;
        if ((size_t)n < want)
            break; /* disk full, or the largest file size */
    }
    kfree(bounce);
    return done > 0 ? done : n;
}

/* inode_ops.read_page: one page of the file from the disk, zeros past the end. */
static int ext2_read_page(struct inode *inode, uint64_t pgoff, void *buf)
{
    struct ext2_sb *esb = esb_of(inode);
    struct kbuf_cursor cur = {buf};
    ssize_t n;

    mutex_lock(&esb->lock);
    n = ext2_file_io(&esb->fs, ino_of(inode), pgoff * PAGE_SIZE, PAGE_SIZE, false, to_kbuf, &cur);
    mutex_unlock(&esb->lock);
    if (n < 0)
        return (int)n;
    memset((uint8_t *)buf + n, 0, PAGE_SIZE - (size_t)n);
    return 0;
}

/* inode_ops.write_page: len bytes of a dirty mapped page back to the disk. */
static int ext2_write_page(struct inode *inode, uint64_t pgoff, const void *buf, size_t len)
{
    struct ext2_sb *esb = esb_of(inode);
    struct kbuf_cursor cur = {(uint8_t *)buf};
    ssize_t n;

    mutex_lock(&esb->lock);
    if (esb->fs.readonly)
        n = -EROFS;
    else
        n = ext2_file_io(&esb->fs, ino_of(inode), pgoff * PAGE_SIZE, len, true, from_kbuf, &cur);
    inode_refresh(esb, inode);
    mutex_unlock(&esb->lock);
    if (n < 0)
        return (int)n;
    return (size_t)n == len ? 0 : -ENOSPC;
}

static int ext2_sync_locked(struct ext2_sb *esb)
{
    int err;

    mutex_lock(&esb->lock);
    err = ext2_sync(&esb->fs);
    mutex_unlock(&esb->lock);
    return err;
}

/* fsync and fdatasync write back the whole file system: simple, and always enough. */
static int ext2_vfs_fsync(struct file *f, bool datasync)
{
    int err = pagecache_writeback(file_inode(f));
    int err2 = ext2_sync_locked(esb_of(file_inode(f)));

    (void)datasync;
    return err != 0 ? err : err2;
}

static const struct inode_ops ext2_dir_iops = {
    .lookup = ext2_vfs_lookup,
    .create = ext2_vfs_create,
    .mkdir = ext2_vfs_mkdir,
    .symlink = ext2_vfs_symlink,
    .link = ext2_vfs_link,
    .unlink = ext2_vfs_unlink,
    .rmdir = ext2_vfs_rmdir,
    .rename = ext2_vfs_rename,
    .setattr = ext2_vfs_setattr,
    .getdents = ext2_vfs_getdents,
    .evict = ext2_evict,
};

static const struct inode_ops ext2_file_iops = {
    .setattr = ext2_vfs_setattr,
    .evict = ext2_evict,
    .get_page = pagecache_get_page,
    .read_page = ext2_read_page,
    .write_page = ext2_write_page,
};

static const struct inode_ops ext2_link_iops = {
    .readlink = ext2_vfs_readlink,
    .setattr = ext2_vfs_setattr,
    .evict = ext2_evict,
};

static const struct inode_ops ext2_special_iops = {
    .setattr = ext2_vfs_setattr,
    .evict = ext2_evict,
};

static const struct file_ops ext2_file_fops = {
    .read = ext2_vfs_read,
    .write = ext2_vfs_write,
    .fsync = ext2_vfs_fsync,
};

static const struct file_ops ext2_dir_fops = {
    .fsync = ext2_vfs_fsync,
};

/* ---- the super block ---- */

static int ext2_vfs_statfs(struct super_block *sb, void *out)
{
    struct ext2_sb *esb = sb->priv;
    struct k_statfs *st = out;
    struct ext2_super_block *s = &esb->fs.sb;

    mutex_lock(&esb->lock);
    memset(st, 0, sizeof(*st));
    st->f_type = EXT2_SUPER_MAGIC;
    st->f_bsize = esb->fs.block_size;
    st->f_frsize = esb->fs.block_size;
    st->f_blocks = s->s_blocks_count;
    st->f_bfree = s->s_free_blocks_count;
    st->f_bavail = s->s_free_blocks_count > s->s_r_blocks_count
                       ? s->s_free_blocks_count - s->s_r_blocks_count
                       : 0;
    st->f_files = s->s_inodes_count;
    st->f_ffree = s->s_free_inodes_count;
    memcpy(st->f_fsid, s->s_uuid, sizeof(st->f_fsid));
    st->f_namelen = EXT2_NAME_LEN;
    st->f_flags = esb->fs.readonly ? ST_RDONLY : 0;
    mutex_unlock(&esb->lock);
    return 0;
}

static int ext2_vfs_sync(struct super_block *sb)
{
    return ext2_sync_locked(sb->priv);
}

static int ext2_hook_sync(void *arg)
{
    return ext2_sync_locked(arg);
}

static size_t cache_bytes(void)
{
    struct page_stats st;
    uint64_t bytes;

    page_stats(&st);
    bytes = st.total_pages * PAGE_SIZE / EXT2_CACHE_SHARE;
    return (size_t)MIN(MAX(bytes, EXT2_CACHE_MIN), EXT2_CACHE_MAX);
}

int ext2_mount_device(const char *dev, bool readonly, struct super_block **out)
{
    struct block_device *bd = bdev_find(dev);
    struct ext2_sb *esb;
    struct super_block *sb;
    int err;

    if (bd == NULL)
        return -ENODEV;
    esb = kzalloc(sizeof(*esb));
    sb = kzalloc(sizeof(*sb));
    if (esb == NULL || sb == NULL) {
        kfree(esb);
        kfree(sb);
        return -ENOMEM;
    }
    mutex_init(&esb->lock);
    err = ext2_mount(&esb->fs, bd, readonly, cache_bytes());
    if (err != 0) {
        kfree(esb);
        kfree(sb);
        return err;
    }
    esb->sb = sb;
    sb->fstype = "ext2";
    sb->dev = bd->rdev;
    sb->flags = esb->fs.readonly ? SB_RDONLY : 0;
    sb->statfs = ext2_vfs_statfs;
    sb->sync = ext2_vfs_sync;
    sb->priv = esb;
    mutex_lock(&esb->lock);
    err = iget(esb, EXT2_ROOT_INO, &sb->root);
    if (err == 0 && !S_ISDIR(sb->root->mode))
        err = -EUCLEAN;
    mutex_unlock(&esb->lock);
    if (err != 0) {
        pr_err("ext2: %s: unusable root directory (%d)\n", bd->name, err);
        ext2_unmount(&esb->fs);
        kfree(esb);
        kfree(sb);
        return err;
    }
    esb->hook = (struct sync_hook){ext2_hook_sync, esb, LIST_HEAD_INIT(esb->hook.link)};
    sync_hook_add(&esb->hook);
    pr_notice("ext2: %s mounted %s, %u-byte blocks, %u of %u blocks free\n", bd->name,
              esb->fs.readonly ? "read-only" : "read-write", esb->fs.block_size,
              esb->fs.sb.s_free_blocks_count, esb->fs.sb.s_blocks_count);
    *out = sb;
    return 0;
}
