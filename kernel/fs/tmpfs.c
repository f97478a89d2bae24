/*
 * tmpfs.c - the in-memory file system: the root, filled from the initramfs.
 *
 * Directories keep their entries in insertion order (what getdents returns,
 * resumable through a sequence-number cookie) and in a hash table for
 * lookup, so 10,000-entry directories stay fast. Regular files keep their
 * data in an array of pages; holes read as zeros (sparse files). Entries
 * hold a reference on their inode; an unlinked file lives on while open.
 *
 * File mappings map these very pages (tmpfs_get_page), so a shared
 * mapping and read()/write() see the same bytes. Each page counts its
 * holders (the file, and each page-table entry); the last page_put frees
 * it, so truncating a mapped file leaves the mapping its old page.
 *
 * Locking: the directory inode's mutex guards its entries; the file inode's
 * mutex guards its pages and size. rename takes both directories' mutexes
 * in address order. read and write never touch user memory holding the
 * inode's mutex (a page fault on a mapping of the same file takes it): they
 * take a reference on one page at a time and copy with the mutex dropped.
 * tmpfs_file.write_lock keeps whole writes atomic against each other
 * (O_APPEND); it is taken before the inode's mutex.
 */
#include "core/time.h"
#include "fs/internal.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

struct dirent_node {
    struct inode *inode; /* referenced */
    uint64_t seq;        /* position for getdents cookies */
    struct list_head link;
    struct dirent_node *hnext;
    size_t len;
    char name[];
};

struct tmpfs_dir {
    struct list_head entries; /* in seq order */
    struct dirent_node **buckets;
    unsigned int nbuckets, count;
    uint64_t next_seq;
    struct inode *parent; /* not referenced: a non-empty dir cannot go away */
};

struct tmpfs_file {
    struct page **pages; /* each referenced; guarded by the inode's mutex */
    size_t npages;       /* slots in pages[] */
    struct mutex write_lock;
};

static const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_link_iops;
static const struct file_ops tmpfs_file_fops, tmpfs_dir_fops;
static uint32_t next_dev = 1;

static uint32_t name_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

static struct dirent_node *dir_find(struct tmpfs_dir *d, const char *name, size_t len)
{
    if (d->nbuckets == 0)
        return NULL;
    for (struct dirent_node *e = d->buckets[name_hash(name, len) % d->nbuckets]; e != NULL;
         e = e->hnext) {
        if (e->len == len && memcmp(e->name, name, len) == 0)
            return e;
    }
    return NULL;
}

static int dir_rehash(struct tmpfs_dir *d, unsigned int nb)
{
    struct dirent_node **b = kzalloc(nb * sizeof(*b));
    struct dirent_node *e;

    if (b == NULL)
        return -ENOMEM;
    list_for_each_entry (e, &d->entries, link) {
        unsigned int i = name_hash(e->name, e->len) % nb;
        e->hnext = b[i];
        b[i] = e;
    }
    kfree(d->buckets);
    d->buckets = b;
    d->nbuckets = nb;
    return 0;
}

static void hash_remove(struct tmpfs_dir *d, struct dirent_node *e)
{
    struct dirent_node **pp = &d->buckets[name_hash(e->name, e->len) % d->nbuckets];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
}

/* Add name -> inode (takes a reference on inode). */
static int dir_add(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
    struct tmpfs_dir *d = dir->priv;
    struct dirent_node *e;

    if (d->count + 1 > d->nbuckets * 2 && dir_rehash(d, d->nbuckets ? d->nbuckets * 4 : 16))
        return -ENOSPC;
    e = kmalloc(sizeof(*e) + len + 1, 0);
    if (e == NULL)
        return -ENOSPC;
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    e->len = len;
    e->inode = inode;
    inode_get(inode);
    e->seq = ++d->next_seq;
    list_add_tail(&e->link, &d->entries);
    unsigned int i = name_hash(name, len) % d->nbuckets;
    e->hnext = d->buckets[i];
    d->buckets[i] = e;
    d->count++;
    dir->size = d->count;
    inode_touch(dir, false, true, true);
    return 0;
}

/* Remove an entry; returns its inode (the reference moves to the caller). */
static struct inode *dir_del(struct inode *dir, struct dirent_node *e)
{
    struct tmpfs_dir *d = dir->priv;
    struct inode *inode = e->inode;

    hash_remove(d, e);
    list_del(&e->link);
    kfree(e);
    d->count--;
    dir->size = d->count;
    inode_touch(dir, false, true, true);
    return inode;
}

static struct inode *tmpfs_new_inode(struct super_block *sb, uint32_t mode, uint32_t rdev)
{
    struct inode *inode = inode_alloc(sb, mode);

    if (inode == NULL)
        return NULL;
    inode->rdev = rdev;
    switch (mode & S_IFMT) {
    case S_IFDIR: {
        struct tmpfs_dir *d = kzalloc(sizeof(*d));
        if (d == NULL)
            goto fail;
        list_init(&d->entries);
        inode->priv = d;
        inode->iops = &tmpfs_dir_iops;
        inode->fops = &tmpfs_dir_fops;
        inode->nlink = 2;
        break;
    }
    case S_IFREG: {
        struct tmpfs_file *f = kzalloc(sizeof(*f));
        if (f == NULL)
            goto fail;
        mutex_init(&f->write_lock);
        inode->priv = f;
        inode->iops = &tmpfs_file_iops;
        inode->fops = &tmpfs_file_fops;
        break;
    }
    case S_IFLNK:
        inode->iops = &tmpfs_link_iops;
        break;
    default: /* devices, fifos, sockets: behaviour comes from elsewhere */
        inode->iops = &tmpfs_file_iops;
        break;
    }
    return inode;
fail:
    kfree(inode);
    return NULL;
}

/* ---- directory operations ---- */

static int tmpfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct tmpfs_dir *d = dir->priv;
    struct dirent_node *e;

    if (len == 2 && name[0] == '.' && name[1] == '.') {
        *out = d->parent != NULL ? d->parent : dir;
        inode_get(*out);
        return 0;
    }
    if (len == 1 && name[0] == '.') {
        *out = dir;
        inode_get(dir);
        return 0;
    }
    mutex_lock(&dir->lock);
    e = dir_find(d, name, len);
    if (e != NULL) {
        *out = e->inode;
        inode_get(e->inode);
    }
    mutex_unlock(&dir->lock);
    return e != NULL ? 0 : -ENOENT;
}

static int add_new(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev,
                   const char *target, struct inode **out)
{
    struct inode *inode;
    int err;

    if (dir->nlink == 0)
        return -ENOENT; /* removed directory */
    mutex_lock(&dir->lock);
    if (dir_find(dir->priv, name, len) != NULL) {
        mutex_unlock(&dir->lock);
        return -EEXIST;
    }
    inode = tmpfs_new_inode(dir->sb, mode, rdev);
    if (inode == NULL) {
        mutex_unlock(&dir->lock);
        return -ENOSPC;
    }
    if (S_ISDIR(mode))
        ((struct tmpfs_dir *)inode->priv)->parent = dir;
    if (target != NULL) {
        size_t tlen = strlen(target);
        inode->priv = kmalloc(tlen + 1, 0);
        if (inode->priv == NULL) {
            inode_put(inode);
            mutex_unlock(&dir->lock);
            return -ENOSPC;
        }
        memcpy(inode->priv, target, tlen + 1);
        inode->size = tlen;
    }
    err = dir_add(dir, name, len, inode);
    if (err == 0 && S_ISDIR(mode))
        dir->nlink++;
    mutex_unlock(&dir->lock);
    if (err != 0 || out == NULL)
        inode_put(inode);
    else
        *out = inode;
    return err;
}

static int tmpfs_create_node(struct inode *dir, const char *name, size_t len, uint32_t mode,
                             uint32_t rdev, struct inode **out)
{
    return add_new(dir, name, len, mode, rdev, NULL, out);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode,
                       struct inode **out)
{
    return add_new(dir, name, len, S_IFDIR | (mode & 07777), 0, NULL, out);
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
    return add_new(dir, name, len, S_IFLNK | 0777, 0, target, NULL);
}

static int tmpfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
    int err;

    if (S_ISDIR(target->mode))
        return -EPERM;
    if (dir->sb != target->sb)
        return -EXDEV;
    mutex_lock(&dir->lock);
    if (dir_find(dir->priv, name, len) != NULL) {
        mutex_unlock(&dir->lock);
        return -EEXIST;
    }
    err = dir_add(dir, name, len, target);
    if (err == 0) {
        target->nlink++;
        inode_touch(target, false, false, true);
    }
    mutex_unlock(&dir->lock);
    return err;
}

static int remove_entry(struct inode *dir, const char *name, size_t len, bool want_dir)
{
    struct dirent_node *e;
    struct inode *inode;

    mutex_lock(&dir->lock);
    e = dir_find(dir->priv, name, len);
    if (e == NULL) {
        mutex_unlock(&dir->lock);
        return -ENOENT;
    }
    inode = e->inode;
    if (want_dir && !S_ISDIR(inode->mode)) {
        mutex_unlock(&dir->lock);
        return -ENOTDIR;
    }
    if (!want_dir && S_ISDIR(inode->mode)) {
        mutex_unlock(&dir->lock);
        return -EISDIR;
    }
    if (want_dir && ((struct tmpfs_dir *)inode->priv)->count != 0) {
        mutex_unlock(&dir->lock);
        return -ENOTEMPTY;
    }
    dir_del(dir, e);
    if (want_dir) {
        dir->nlink--;
        inode->nlink = 0;
    } else {
        inode->nlink--;
    }
    inode_touch(inode, false, false, true);
    mutex_unlock(&dir->lock);
    inode_put(inode);
    return 0;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
    return remove_entry(dir, name, len, false);
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
    return remove_entry(dir, name, len, true);
}

/* True when dir is a (sub)directory of anc. Caller holds no locks. */
static bool is_descendant(struct inode *dir, struct inode *anc)
{
    for (struct inode *d = dir; d != NULL; d = ((struct tmpfs_dir *)d->priv)->parent) {
        if (d == anc)
            return true;
        if (((struct tmpfs_dir *)d->priv)->parent == d)
            break;
    }
    return false;
}

static int tmpfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                        const char *nname, size_t nlen, unsigned int flags)
{
    struct dirent_node *oe, *ne;
    struct inode *moving, *victim = NULL;
    int err = 0;

    if (odir->sb != ndir->sb)
        return -EXDEV;
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
        return -EINVAL;
    if (odir == ndir) {
        mutex_lock(&odir->lock);
    } else if (odir < ndir) {
        mutex_lock(&odir->lock);
        mutex_lock(&ndir->lock);
    } else {
        mutex_lock(&ndir->lock);
        mutex_lock(&odir->lock);
    }
    oe = dir_find(odir->priv, oname, olen);
    if (oe == NULL) {
        err = -ENOENT;
        goto out;
    }
    moving = oe->inode;
    ne = dir_find(ndir->priv, nname, nlen);
    if (ne == oe)
        goto out; /* same entry: nothing to do */
    if (S_ISDIR(moving->mode) && ndir != odir && is_descendant(ndir, moving)) {
        err = -EINVAL; /* a directory into its own subtree */
        goto out;
    }
    if (flags & RENAME_EXCHANGE) {
        if (ne == NULL) {
            err = -ENOENT;
            goto out;
        }
        struct inode *other = ne->inode;
        if (S_ISDIR(other->mode) && odir != ndir && is_descendant(odir, other)) {
            err = -EINVAL;
            goto out;
        }
        oe->inode = other;
        ne->inode = moving;
        if (S_ISDIR(moving->mode))
            ((struct tmpfs_dir *)moving->priv)->parent = ndir;
        if (S_ISDIR(other->mode))
            ((struct tmpfs_dir *)other->priv)->parent = odir;
        if (S_ISDIR(moving->mode) != S_ISDIR(other->mode) && odir != ndir) {
            if (S_ISDIR(moving->mode)) {
                odir->nlink--;
                ndir->nlink++;
            } else {
                ndir->nlink--;
                odir->nlink++;
            }
        }
        inode_touch(odir, false, true, true);
        inode_touch(ndir, false, true, true);
        goto out;
    }
    if (ne != NULL) {
        if (flags & RENAME_NOREPLACE) {
            err = -EEXIST;
            goto out;
        }
        if (S_ISDIR(moving->mode) && !S_ISDIR(ne->inode->mode)) {
            err = -ENOTDIR;
            goto out;
        }
        if (!S_ISDIR(moving->mode) && S_ISDIR(ne->inode->mode)) {
            err = -EISDIR;
            goto out;
        }
        if (S_ISDIR(ne->inode->mode) && ((struct tmpfs_dir *)ne->inode->priv)->count != 0) {
            err = -ENOTEMPTY;
            goto out;
        }
    }
    /* Make the new entry first so a failure changes nothing. */
    if (ne == NULL) {
        err = dir_add(ndir, nname, nlen, moving);
        if (err != 0)
            goto out;
    } else {
        victim = ne->inode;
        inode_get(moving);
        ne->inode = moving;
        if (S_ISDIR(victim->mode)) {
            ndir->nlink--;
            victim->nlink = 0;
        } else {
            victim->nlink--;
        }
    }
    inode_put(dir_del(odir, dir_find(odir->priv, oname, olen)));
    if (S_ISDIR(moving->mode)) {
        ((struct tmpfs_dir *)moving->priv)->parent = ndir;
        if (odir != ndir) {
            odir->nlink--;
            ndir->nlink++;
        }
    }
    inode_touch(moving, false, false, true);
out:
    mutex_unlock(&odir->lock);
    if (odir != ndir)
        mutex_unlock(&ndir->lock);
    inode_put(victim);
    return err;
}

static int tmpfs_getdents(struct inode *dir, uint64_t *cookie, filldir_t fill, void *ctx)
{
    struct tmpfs_dir *d = dir->priv;
    struct dirent_node *e;

    /* Cookies 0 and 1 are "." and ".."; entries follow by sequence. */
    if (*cookie == 0) {
        if (!fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *cookie = 1;
    }
    if (*cookie == 1) {
        struct inode *parent = d->parent != NULL ? d->parent : dir;
        if (!fill(ctx, "..", 2, parent->ino, DT_DIR, 2))
            return 0;
        *cookie = 2;
    }
    mutex_lock(&dir->lock);
    list_for_each_entry (e, &d->entries, link) {
        if (e->seq + 2 <= *cookie)
            continue;
        unsigned int type = S_ISDIR(e->inode->mode)    ? DT_DIR
                            : S_ISLNK(e->inode->mode)  ? DT_LNK
                            : S_ISREG(e->inode->mode)  ? DT_REG
                            : S_ISCHR(e->inode->mode)  ? DT_CHR
                            : S_ISBLK(e->inode->mode)  ? DT_BLK
                            : S_ISFIFO(e->inode->mode) ? DT_FIFO
                                                       : DT_SOCK;
        /* Cookie c resumes after the entry whose seq is c - 2. */
        if (!fill(ctx, e->name, e->len, e->inode->ino, type, e->seq + 2))
            break;
        *cookie = e->seq + 2;
    }
    mutex_unlock(&dir->lock);
    return 0;
}

static void tmpfs_dir_evict(struct inode *inode)
{
    struct tmpfs_dir *d = inode->priv;
    struct dirent_node *e, *tmp;

    list_for_each_entry_safe (e, tmp, &d->entries, link) {
        inode_put(e->inode);
        kfree(e);
    }
    kfree(d->buckets);
    kfree(d);
}

/* ---- regular files ---- */

static int file_resize(struct inode *inode, uint64_t size)
{
    struct tmpfs_file *f = inode->priv;
    size_t need = DIV_ROUND_UP(size, PAGE_SIZE);

    if (need > f->npages) {
        size_t n = MAX(need, f->npages * 2);
        struct page **p = kzalloc(n * sizeof(*p));
        if (p == NULL)
            return -ENOSPC;
        if (f->pages != NULL)
            memcpy(p, f->pages, f->npages * sizeof(*p));
        kfree(f->pages);
        f->pages = p;
        f->npages = n;
    }
    /* Shrinking: free whole pages past the end, zero the tail of the last. */
    for (size_t i = need; i < f->npages; i++) {
        if (f->pages[i] != NULL) {
            page_put(f->pages[i]);
            f->pages[i] = NULL;
            inode->blocks -= PAGE_SIZE / 512;
        }
    }
    if (size < inode->size && size % PAGE_SIZE != 0 && f->pages[size / PAGE_SIZE] != NULL)
        memset((char *)page_address(f->pages[size / PAGE_SIZE]) + size % PAGE_SIZE, 0,
               PAGE_SIZE - size % PAGE_SIZE);
    inode->size = size;
    return 0;
}

/*
 * The page holding file offset pos, referenced, allocated (zeroed) first
 * when create is set; NULL for a hole when !create, or when out of memory.
 * Caller holds the inode's mutex; pos is below the end of the page array.
 */
static struct page *file_page(struct inode *inode, uint64_t pos, bool create)
{
    struct tmpfs_file *f = inode->priv;
    size_t pi = (size_t)(pos / PAGE_SIZE);

    if (f->pages[pi] == NULL) {
        if (!create)
            return NULL;
        f->pages[pi] = page_alloc(0, PA_ZERO);
        if (f->pages[pi] == NULL)
            return NULL;
        inode->blocks += PAGE_SIZE / 512;
    }
    page_get(f->pages[pi]);
    return f->pages[pi];
}

static ssize_t tmpfs_read(struct file *file, struct uio *u, off_t *pos)
{
    struct inode *inode = file_inode(file);
    static const char zeros[256];
    ssize_t done = 0;

    while (u->resid > 0) {
        size_t off = (size_t)*pos % PAGE_SIZE, n;
        struct page *pg;
        ssize_t c;

        mutex_lock(&inode->lock);
        if ((uint64_t)*pos >= inode->size) {
            mutex_unlock(&inode->lock);
            break;
        }
        n = MIN(MIN(u->resid, PAGE_SIZE - off), inode->size - (uint64_t)*pos);
        pg = file_page(inode, (uint64_t)*pos, false);
        mutex_unlock(&inode->lock);
        if (pg != NULL) {
            c = uio_copy_to(u, (char *)page_address(pg) + off, n);
            page_put(pg);
        } else {
            n = MIN(n, sizeof(zeros));
            c = uio_copy_to(u, zeros, n);
        }
        if (c < 0) {
            if (done == 0)
                done = c;
            break;
        }
        done += c;
        *pos += c;
        if ((size_t)c < n)
            break;
    }
    return done;
}

static ssize_t tmpfs_write(struct file *file, struct uio *u, off_t *pos)
{
    struct inode *inode = file_inode(file);
    struct tmpfs_file *f = inode->priv;
    ssize_t done = 0;
    int err;

    mutex_lock(&f->write_lock);
    mutex_lock(&inode->lock);
    if (file->flags & O_APPEND)
        *pos = (off_t)inode->size;
    if ((uint64_t)*pos + u->resid > inode->size) {
        uint64_t old = inode->size;
        err = file_resize(inode, (uint64_t)*pos + u->resid);
        if (err != 0) {
            mutex_unlock(&inode->lock);
            mutex_unlock(&f->write_lock);
            return err;
        }
        inode->size = old; /* grows as bytes land */
    }
    mutex_unlock(&inode->lock);
    while (u->resid > 0) {
        size_t off = (size_t)*pos % PAGE_SIZE;
        size_t n = MIN(u->resid, PAGE_SIZE - off);
        struct page *pg = NULL;
        ssize_t c;

        mutex_lock(&inode->lock);
        /* A truncate since the resize may have shrunk the page array. */
        if ((size_t)*pos / PAGE_SIZE < f->npages)
            pg = file_page(inode, (uint64_t)*pos, true);
        mutex_unlock(&inode->lock);
        if (pg == NULL) {
            if (done == 0)
                done = -ENOSPC;
            break;
        }
        c = uio_copy_from(u, (char *)page_address(pg) + off, n);
        page_put(pg);
        if (c < 0) {
            if (done == 0)
                done = c;
            break;
        }
        done += c;
        *pos += c;
        mutex_lock(&inode->lock);
        if ((uint64_t)*pos > inode->size)
            inode->size = (uint64_t)*pos;
        mutex_unlock(&inode->lock);
        if ((size_t)c < n)
            break;
    }
    if (done > 0) {
        mutex_lock(&inode->lock);
        inode_touch(inode, false, true, true);
        mutex_unlock(&inode->lock);
    }
    mutex_unlock(&f->write_lock);
    return done;
}

/* inode_ops.get_page: the file's own page, allocated if it is a hole. */
static int tmpfs_get_page(struct inode *inode, uint64_t pgoff, struct page **out)
{
    int err = 0;

    if (!S_ISREG(inode->mode))
        return -ENODEV;
    mutex_lock(&inode->lock);
    if (pgoff >= DIV_ROUND_UP(inode->size, PAGE_SIZE))
        err = -ENXIO;
    else if ((*out = file_page(inode, pgoff * PAGE_SIZE, true)) == NULL)
        err = -ENOMEM;
    mutex_unlock(&inode->lock);
    return err;
}

static int tmpfs_setattr(struct inode *inode, const struct iattr *a)
{
    int err = 0;

    mutex_lock(&inode->lock);
    if (a->valid & ATTR_SIZE) {
        if (!S_ISREG(inode->mode))
            err = S_ISDIR(inode->mode) ? -EISDIR : -EINVAL;
        else
            err = file_resize(inode, a->size);
        if (err == 0)
            inode_touch(inode, false, true, true);
    }
    if (err == 0) {
        if (a->valid & ATTR_MODE)
            inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
        if (a->valid & ATTR_UID)
            inode->uid = a->uid;
        if (a->valid & ATTR_GID)
            inode->gid = a->gid;
        if (a->valid & ATTR_ATIME)
            inode->atime = a->atime;
        if (a->valid & ATTR_MTIME)
            inode->mtime = a->mtime;
        inode_touch(inode, false, false, true);
    }
    mutex_unlock(&inode->lock);
    return err;
}

static void tmpfs_file_evict(struct inode *inode)
{
    struct tmpfs_file *f = inode->priv;

    if (f == NULL || !S_ISREG(inode->mode))
        return;
    for (size_t i = 0; i < f->npages; i++) {
        if (f->pages[i] != NULL)
            page_put(f->pages[i]);
    }
    kfree(f->pages);
    kfree(f);
}

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t size)
{
    size_t n = MIN(size, (size_t)inode->size);

    memcpy(buf, inode->priv, n);
    return (ssize_t)n;
}

static void tmpfs_link_evict(struct inode *inode)
{
    kfree(inode->priv);
}

static const struct inode_ops tmpfs_dir_iops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create_node,
    .mkdir = tmpfs_mkdir,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .setattr = tmpfs_setattr,
    .getdents = tmpfs_getdents,
    .evict = tmpfs_dir_evict,
};

static const struct inode_ops tmpfs_file_iops = {
    .setattr = tmpfs_setattr,
    .evict = tmpfs_file_evict,
    .get_page = tmpfs_get_page,
};

static const struct inode_ops tmpfs_link_iops = {
    .readlink = tmpfs_readlink,
    .setattr = tmpfs_setattr,
    .evict = tmpfs_link_evict,
};

static const struct file_ops tmpfs_file_fops = {
    .read = tmpfs_read,
    .write = tmpfs_write,
};

static const struct file_ops tmpfs_dir_fops = {0};

struct super_block *tmpfs_create(const char *fstype)
{
    struct super_block *sb = kzalloc(sizeof(*sb));

    if (sb == NULL)
        return NULL;
    sb->fstype = fstype;
    sb->dev = __atomic_fetch_add(&next_dev, 1, __ATOMIC_RELAXED);
    sb->root = tmpfs_new_inode(sb, S_IFDIR | 0755, 0);
    if (sb->root == NULL) {
        kfree(sb);
        return NULL;
    }
    return sb;
}
