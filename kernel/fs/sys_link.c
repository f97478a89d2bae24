/*
 * sys_link.c - system calls that change the name space: mkdir, mknod,
 * unlink, rmdir, rename, symlink and link, in their plain and "at" forms.
 *
 * Each resolves the parent directory of the last component
 * (vfs_lookup(LOOKUP_PARENT)), checks what Linux checks before touching
 * anything ("." and "..", read-only mounts, crossing mounts), then calls
 * the directory's inode_ops, which do the work under the directory lock.
 */
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "mm/kmalloc.h"

static bool is_dot_or_dotdot(const char *name, size_t len)
{
    return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* The parent of a user path, with its last component: what every call here starts from. */
struct parent {
    char *buf; /* the kernel copy of the path */
    struct path dir;
    const char *last;
    size_t len;
    bool trailing_slash;
};

static long parent_get(int dirfd, const char *upath, struct parent *pp)
{
    long err;

    pp->buf = getname_alloc(upath, &err);
    if (pp->buf == NULL)
        return err;
    err = vfs_lookup(dirfd, pp->buf, LOOKUP_PARENT, &pp->dir, &pp->last, &pp->len);
    if (err != 0) {
        kfree(pp->buf);
        return err;
    }
    pp->trailing_slash = pp->last[pp->len] == '/';
    return 0;
}

static void parent_put(struct parent *pp)
{
    path_put(&pp->dir);
    kfree(pp->buf);
}

/* 0 when the parent's file system may be changed, else -EROFS or -EPERM. */
static long parent_writable(struct parent *pp)
{
    if (pp->dir.mnt->sb->flags & SB_RDONLY)
        return -EROFS;
    if (pp->dir.inode->iops == NULL)
        return -EPERM;
    return 0;
}

/* The inode named by the parent's last component (referenced), or -ENOENT. */
static long parent_child(struct parent *pp, struct inode **out)
{
    if (pp->dir.inode->iops->lookup == NULL)
        return -ENOENT;
    return pp->dir.inode->iops->lookup(pp->dir.inode, pp->last, pp->len, out);
}

static uint32_t apply_umask(uint32_t mode)
{
    return mode & ~current_process()->umask;
}

static long do_mkdirat(int dirfd, const char *upath, uint32_t mode)
{
    struct parent pp;
    struct inode *inode;
    long err = parent_get(dirfd, upath, &pp);

    if (err != 0)
        return err;
    if (is_dot_or_dotdot(pp.last, pp.len))
        err = -EEXIST;
    else
        err = parent_writable(&pp);
    if (err == 0 && pp.dir.inode->iops->mkdir == NULL)
        err = -EPERM;
    if (err == 0) {
        err = pp.dir.inode->iops->mkdir(pp.dir.inode, pp.last, pp.len, apply_umask(mode & 07777),
                                        &inode);
        if (err == 0)
            inode_put(inode);
    }
    parent_put(&pp);
    return err;
}

SYSCALL_DEFINE3(mkdirat, int, dirfd, const char *, upath, uint32_t, mode)
{
    return do_mkdirat(dirfd, upath, mode);
}

SYSCALL_DEFINE2(mkdir, const char *, upath, uint32_t, mode)
{
    return do_mkdirat(AT_FDCWD, upath, mode);
}

static long do_mknodat(int dirfd, const char *upath, uint32_t mode, uint32_t dev)
{
    struct parent pp;
    struct inode *inode;
    long err;

    switch (mode & S_IFMT) {
    case 0:
        mode |= S_IFREG;
        break;
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
    err = parent_get(dirfd, upath, &pp);
    if (err != 0)
        return err;
    if (is_dot_or_dotdot(pp.last, pp.len) || pp.trailing_slash)
        err = is_dot_or_dotdot(pp.last, pp.len) ? -EEXIST : -ENOENT;
    else
        err = parent_writable(&pp);
    if (err == 0 && pp.dir.inode->iops->create == NULL)
        err = -EPERM;
    if (err == 0) {
        err = pp.dir.inode->iops->create(pp.dir.inode, pp.last, pp.len,
                                         (mode & S_IFMT) | apply_umask(mode & 07777), dev, &inode);
        if (err == 0)
            inode_put(inode);
    }
    parent_put(&pp);
    return err;
}

SYSCALL_DEFINE4(mknodat, int, dirfd, const char *, upath, uint32_t, mode, uint32_t, dev)
{
    return do_mknodat(dirfd, upath, mode, dev);
}

SYSCALL_DEFINE3(mknod, const char *, upath, uint32_t, mode, uint32_t, dev)
{
    return do_mknodat(AT_FDCWD, upath, mode, dev);
}

/* unlink (want_dir false) or rmdir (true) of the path's last component. */
static long do_remove(int dirfd, const char *upath, bool want_dir)
{
    struct parent pp;
    struct inode *victim = NULL;
    long err = parent_get(dirfd, upath, &pp);

    if (err != 0)
        return err;
    if (is_dot_or_dotdot(pp.last, pp.len)) {
        if (want_dir)
            err = pp.len == 1 ? -EINVAL : -ENOTEMPTY;
        else
            err = -EISDIR;
        goto out;
    }
    err = parent_writable(&pp);
    if (err == 0)
        err = parent_child(&pp, &victim);
    if (err != 0)
        goto out;
    if (want_dir && !S_ISDIR(victim->mode))
        err = -ENOTDIR;
    else if (!want_dir && S_ISDIR(victim->mode))
        err = -EISDIR;
    else if (!want_dir && pp.trailing_slash)
        err = -ENOTDIR;
    else if (victim == pp.dir.mnt->sb->root || mount_is_mountpoint(pp.dir.mnt, victim))
        err = -EBUSY;
    else if (want_dir)
        err = pp.dir.inode->iops->rmdir != NULL
                  ? pp.dir.inode->iops->rmdir(pp.dir.inode, pp.last, pp.len)
                  : -EPERM;
    else
        err = pp.dir.inode->iops->unlink != NULL
                  ? pp.dir.inode->iops->unlink(pp.dir.inode, pp.last, pp.len)
                  : -EPERM;
    inode_put(victim);
out:
    parent_put(&pp);
    return err;
}

SYSCALL_DEFINE3(unlinkat, int, dirfd, const char *, upath, int, flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return do_remove(dirfd, upath, flags & AT_REMOVEDIR);
}

SYSCALL_DEFINE1(unlink, const char *, upath)
{
    return do_remove(AT_FDCWD, upath, false);
}

SYSCALL_DEFINE1(rmdir, const char *, upath)
{
    return do_remove(AT_FDCWD, upath, true);
}

static long do_renameat2(int odirfd, const char *uold, int ndirfd, const char *unew,
                         unsigned int flags)
{
    struct parent op, np;
    struct inode *moving = NULL;
    long err;

    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
        return -EINVAL;
    if (flags & RENAME_WHITEOUT)
        return -EINVAL; /* overlay file systems only */
    err = parent_get(odirfd, uold, &op);
    if (err != 0)
        return err;
    err = parent_get(ndirfd, unew, &np);
    if (err != 0) {
        parent_put(&op);
        return err;
    }
    if (is_dot_or_dotdot(op.last, op.len) || is_dot_or_dotdot(np.last, np.len)) {
        err = -EBUSY;
        goto out;
    }
    if (op.dir.mnt != np.dir.mnt) {
        err = -EXDEV;
        goto out;
    }
    err = parent_writable(&op);
    if (err == 0)
        err = parent_child(&op, &moving);
    if (err != 0)
        goto out;
    if ((op.trailing_slash || np.trailing_slash) && !S_ISDIR(moving->mode)) {
        err = -ENOTDIR;
        goto out;
    }
    if (mount_is_mountpoint(op.dir.mnt, moving)) {
        err = -EBUSY;
        goto out;
    }
    err = op.dir.inode->iops->rename != NULL
              ? op.dir.inode->iops->rename(op.dir.inode, op.last, op.len, np.dir.inode, np.last,
                                           np.len, flags)
              : -EPERM;
out:
    inode_put(moving);
    parent_put(&np);
    parent_put(&op);
    return err;
}

SYSCALL_DEFINE5(renameat2, int, odirfd, const char *, uold, int, ndirfd, const char *, unew,
                unsigned int, flags)
{
    return do_renameat2(odirfd, uold, ndirfd, unew, flags);
}

SYSCALL_DEFINE4(renameat, int, odirfd, const char *, uold, int, ndirfd, const char *, unew)
{
    return do_renameat2(odirfd, uold, ndirfd, unew, 0);
}

SYSCALL_DEFINE2(rename, const char *, uold, const char *, unew)
{
    return do_renameat2(AT_FDCWD, uold, AT_FDCWD, unew, 0);
}

static long do_symlinkat(const char *utarget, int dirfd, const char *upath)
{
    struct parent pp;
    char *target;
    long err;

    target = getname_alloc(utarget, &err);
    if (target == NULL)
        return err;
    if (target[0] == '\0') {
        kfree(target);
        return -ENOENT;
    }
    err = parent_get(dirfd, upath, &pp);
    if (err != 0) {
        kfree(target);
        return err;
    }
    if (is_dot_or_dotdot(pp.last, pp.len) || pp.trailing_slash)
        err = -EEXIST;
    else
        err = parent_writable(&pp);
    if (err == 0)
        err = pp.dir.inode->iops->symlink != NULL
                  ? pp.dir.inode->iops->symlink(pp.dir.inode, pp.last, pp.len, target)
                  : -EPERM;
    parent_put(&pp);
    kfree(target);
    return err;
}

SYSCALL_DEFINE3(symlinkat, const char *, utarget, int, dirfd, const char *, upath)
{
    return do_symlinkat(utarget, dirfd, upath);
}

SYSCALL_DEFINE2(symlink, const char *, utarget, const char *, upath)
{
    return do_symlinkat(utarget, AT_FDCWD, upath);
}

/* The existing file for link(): (dirfd, path) with AT_SYMLINK_FOLLOW and AT_EMPTY_PATH. */
static long link_source(int dirfd, const char *upath, int flags, struct path *out)
{
    char *buf;
    long err;

    buf = getname_alloc(upath, &err);
    if (buf == NULL)
        return err;
    if (buf[0] == '\0' && (flags & AT_EMPTY_PATH)) {
        kfree(buf);
        return fd_path(dirfd, out);
    }
    err = vfs_lookup(dirfd, buf, (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0, out, NULL, NULL);
    kfree(buf);
    return err;
}

static long do_linkat(int odirfd, const char *uold, int ndirfd, const char *unew, int flags)
{
    struct parent np;
    struct path src;
    long err;

    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    err = link_source(odirfd, uold, flags, &src);
    if (err != 0)
        return err;
    err = parent_get(ndirfd, unew, &np);
    if (err != 0) {
        path_put(&src);
        return err;
    }
    if (S_ISDIR(src.inode->mode))
        err = -EPERM;
    else if (is_dot_or_dotdot(np.last, np.len) || np.trailing_slash)
        err = -EEXIST;
    else if (src.mnt != np.dir.mnt)
        err = -EXDEV;
    else if (src.inode->nlink == 0)
        err = -ENOENT; /* an unlinked file cannot come back (no O_TMPFILE) */
    else
        err = parent_writable(&np);
    if (err == 0)
        err = np.dir.inode->iops->link != NULL
                  ? np.dir.inode->iops->link(np.dir.inode, np.last, np.len, src.inode)
                  : -EPERM;
    parent_put(&np);
    path_put(&src);
    return err;
}

SYSCALL_DEFINE5(linkat, int, odirfd, const char *, uold, int, ndirfd, const char *, unew, int,
                flags)
{
    return do_linkat(odirfd, uold, ndirfd, unew, flags);
}

SYSCALL_DEFINE2(link, const char *, uold, const char *, unew)
{
    return do_linkat(AT_FDCWD, uold, AT_FDCWD, unew, 0);
}
