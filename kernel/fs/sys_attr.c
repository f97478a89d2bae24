/*
 * sys_attr.c - system calls that change or report an inode's attributes
 * and size: chmod, chown, utimensat, truncate, fallocate, statfs, syncfs,
 * and creat.
 *
 * Everything funnels into one inode_ops->setattr call with a struct iattr
 * (the file system applies it under the inode lock) or, for statfs, into
 * the super block's statfs hook with memory-file-system defaults.
 */
#include "core/time.h"
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define NSEC_PER_SEC_L 1000000000l

#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02

/*
 * Resolve (dirfd, upath) for an attribute call: upath NULL or "" with
 * AT_EMPTY_PATH means dirfd itself (utimensat(fd, NULL) and fchownat).
 */
static long attr_target(int dirfd, const char *upath, int flags, struct path *out)
{
    char *buf;
    long err;

    if (upath != NULL) {
        buf = getname_alloc(upath, &err);
        if (buf == NULL)
            return err;
        if (buf[0] != '\0' || !(flags & AT_EMPTY_PATH)) {
            err = vfs_lookup(dirfd, buf, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, out,
                             NULL, NULL);
            kfree(buf);
            return err;
        }
        kfree(buf);
    }
    if (dirfd == AT_FDCWD) {
        struct fs_context *fs = current_process()->fs;
        uint64_t irq = spin_lock_irqsave(&fs->lock);
        *out = fs->cwd;
        path_get(out);
        spin_unlock_irqrestore(&fs->lock, irq);
        return 0;
    }
    return fd_path(dirfd, out);
}

/* Apply a to the inode at p, checking the mount is writable. */
static long path_setattr(struct path *p, const struct iattr *a)
{
    if (p->mnt != NULL && (p->mnt->sb->flags & SB_RDONLY))
        return -EROFS;
    if (p->inode->iops == NULL || p->inode->iops->setattr == NULL)
        return -EPERM;
    return p->inode->iops->setattr(p->inode, a);
}

static long setattr_at(int dirfd, const char *upath, int flags, const struct iattr *a)
{
    struct path p;
    long err = attr_target(dirfd, upath, flags, &p);

    if (err != 0)
        return err;
    err = path_setattr(&p, a);
    path_put(&p);
    return err;
}

/* fchmod and fchown on an fd: anonymous files (pipes, sockets) have nothing to change. */
static long setattr_fd(int fd, const struct iattr *a)
{
    struct file *f = fd_get(fd);
    long err;

    if (f == NULL)
        return -EBADF;
    if (f->flags & O_PATH)
        err = -EBADF;
    else if (f->path.inode == NULL)
        err = 0;
    else
        err = path_setattr(&f->path, a);
    file_put(f);
    return err;
}

static struct iattr chmod_attr(uint32_t mode)
{
    return (struct iattr){.valid = ATTR_MODE, .mode = mode & 07777};
}

SYSCALL_DEFINE2(fchmod, int, fd, uint32_t, mode)
{
    struct iattr a = chmod_attr(mode);
    return setattr_fd(fd, &a);
}

SYSCALL_DEFINE3(fchmodat, int, dirfd, const char *, upath, uint32_t, mode)
{
    struct iattr a = chmod_attr(mode);
    return setattr_at(dirfd, upath == NULL ? "" : upath, 0, &a);
}

SYSCALL_DEFINE2(chmod, const char *, upath, uint32_t, mode)
{
    struct iattr a = chmod_attr(mode);
    return setattr_at(AT_FDCWD, upath == NULL ? "" : upath, 0, &a);
}

/* -1 (as uint32_t) leaves an id unchanged. */
static struct iattr chown_attr(uint32_t uid, uint32_t gid)
{
    struct iattr a = {.uid = uid, .gid = gid};

    if (uid != UINT32_MAX)
        a.valid |= ATTR_UID;
    if (gid != UINT32_MAX)
        a.valid |= ATTR_GID;
    return a;
}

SYSCALL_DEFINE3(fchown, int, fd, uint32_t, uid, uint32_t, gid)
{
    struct iattr a = chown_attr(uid, gid);
    return setattr_fd(fd, &a);
}

SYSCALL_DEFINE5(fchownat, int, dirfd, const char *, upath, uint32_t, uid, uint32_t, gid, int, flags)
{
    struct iattr a = chown_attr(uid, gid);

    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    return setattr_at(dirfd, upath == NULL ? "" : upath, flags, &a);
}

SYSCALL_DEFINE3(chown, const char *, upath, uint32_t, uid, uint32_t, gid)
{
    struct iattr a = chown_attr(uid, gid);
    return setattr_at(AT_FDCWD, upath == NULL ? "" : upath, 0, &a);
}

SYSCALL_DEFINE3(lchown, const char *, upath, uint32_t, uid, uint32_t, gid)
{
    struct iattr a = chown_attr(uid, gid);
    return setattr_at(AT_FDCWD, upath == NULL ? "" : upath, AT_SYMLINK_NOFOLLOW, &a);
}

/* One utimensat time: UTIME_NOW, UTIME_OMIT (false) or a value. */
static long utime_one(const struct k_timespec *ts, struct k_timespec *out, bool *set)
{
    uint64_t now = ktime_real_ns();

    *set = true;
    if (ts == NULL || ts->tv_nsec == UTIME_NOW) {
        *out = (struct k_timespec){(int64_t)(now / NSEC_PER_SEC), (int64_t)(now % NSEC_PER_SEC)};
        return 0;
    }
    if (ts->tv_nsec == UTIME_OMIT) {
        *set = false;
        return 0;
    }
    if (ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC_L)
        return -EINVAL;
    *out = *ts;
    return 0;
}

SYSCALL_DEFINE4(utimensat, int, dirfd, const char *, upath, const struct k_timespec *, utimes, int,
                flags)
{
    struct k_timespec ts[2];
    struct iattr a = {0};
    bool set;
    long err;

    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (utimes != NULL && copy_from_user(ts, utimes, sizeof(ts)) != 0)
        return -EFAULT;
    err = utime_one(utimes != NULL ? &ts[0] : NULL, &a.atime, &set);
    if (err != 0)
        return err;
    a.valid |= set ? ATTR_ATIME : 0;
    err = utime_one(utimes != NULL ? &ts[1] : NULL, &a.mtime, &set);
    if (err != 0)
        return err;
    a.valid |= set ? ATTR_MTIME : 0;
    if (upath == NULL && dirfd == AT_FDCWD)
        return -EFAULT; /* as Linux: futimens needs a real fd */
    if (a.valid == 0)
        return 0;
    return setattr_at(dirfd, upath, upath == NULL ? AT_EMPTY_PATH : flags, &a);
}

/* Set the size of the regular file at p. */
static long truncate_path(struct path *p, int64_t len)
{
    struct iattr a = {.valid = ATTR_SIZE, .size = (uint64_t)len};

    if (len < 0)
        return -EINVAL;
    if (S_ISDIR(p->inode->mode))
        return -EISDIR;
    if (!S_ISREG(p->inode->mode))
        return -EINVAL;
    int err = memfd_check_resize(p->inode, a.size);
    if (err != 0)
        return err;
    err = path_setattr(p, &a);
    if (err == 0)
        vm_truncate_file(current_process()->mm, p->inode, a.size);
    return err;
}

SYSCALL_DEFINE2(truncate, const char *, upath, int64_t, len)
{
    struct path p;
    long err = user_path_lookup(AT_FDCWD, upath, LOOKUP_FOLLOW, &p);

    if (err != 0)
        return err;
    err = truncate_path(&p, len);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(ftruncate, int, fd, int64_t, len)
{
    struct file *f = fd_get(fd);
    long err;

    if (f == NULL)
        return -EBADF;
    if (f->path.inode == NULL || !file_writable(f))
        err = f->path.inode == NULL || (f->flags & O_PATH) ? -EBADF : -EINVAL;
    else
        err = truncate_path(&f->path, len);
    file_put(f);
    return err;
}

/*
 * fallocate: mode 0 grows the file to off + len (memory file systems
 * allocate pages as they are written); KEEP_SIZE alone reserves nothing
 * and succeeds. Punching holes is not supported.
 */
SYSCALL_DEFINE4(fallocate, int, fd, int, mode, int64_t, off, int64_t, len)
{
    struct file *f;
    struct inode *inode;
    long err = 0;

    if (off < 0 || len <= 0 || off > INT64_MAX - len)
        return -EINVAL;
    f = fd_get(fd);
    if (f == NULL)
        return -EBADF;
    inode = file_inode(f);
    if (!file_writable(f))
        err = -EBADF;
    else if (inode == NULL || (f->ops != NULL && f->ops->stream))
        err = -ESPIPE;
    else if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (!S_ISREG(inode->mode))
        err = -ENODEV;
    else if (mode & ~FALLOC_FL_KEEP_SIZE)
        err = -EOPNOTSUPP;
    else if (!(mode & FALLOC_FL_KEEP_SIZE) && (uint64_t)(off + len) > inode->size) {
        struct iattr a = {.valid = ATTR_SIZE, .size = (uint64_t)(off + len)};
        err = memfd_check_resize(inode, a.size);
        if (err == 0)
            err = path_setattr(&f->path, &a);
    }
    file_put(f);
    return err;
}

/* Fill st for the file system of p. */
static long do_statfs(struct path *p, struct k_statfs *st)
{
    struct super_block *sb = p->inode->sb;
    struct page_stats ps;

    memset(st, 0, sizeof(*st));
    if (sb == NULL)
        sb = p->mnt->sb;
    if (sb->statfs != NULL)
        return sb->statfs(sb, st);
    /* A memory file system: its space is the free memory. */
    page_stats(&ps);
    st->f_type = TMPFS_MAGIC;
    st->f_bsize = PAGE_SIZE;
    st->f_frsize = PAGE_SIZE;
    st->f_blocks = ps.total_pages;
    st->f_bfree = ps.free_pages;
    st->f_bavail = ps.free_pages;
    st->f_files = ps.total_pages;
    st->f_ffree = ps.free_pages;
    st->f_fsid[0] = (int32_t)sb->dev;
    st->f_namelen = NAME_MAX;
    st->f_flags = (sb->flags & SB_RDONLY) ? ST_RDONLY : 0;
    return 0;
}

SYSCALL_DEFINE2(statfs, const char *, upath, struct k_statfs *, ubuf)
{
    struct k_statfs st;
    struct path p;
    long err = user_path_lookup(AT_FDCWD, upath, LOOKUP_FOLLOW, &p);

    if (err != 0)
        return err;
    err = do_statfs(&p, &st);
    path_put(&p);
    return err != 0 ? err : copy_to_user(ubuf, &st, sizeof(st));
}

SYSCALL_DEFINE2(fstatfs, int, fd, struct k_statfs *, ubuf)
{
    struct k_statfs st;
    struct file *f = fd_get(fd);
    long err;

    if (f == NULL)
        return -EBADF;
    if (f->path.inode == NULL) {
        /* Pipes, sockets, eventfds: Linux reports their pseudo file system. */
        memset(&st, 0, sizeof(st));
        st.f_type = 0x50495045; /* PIPEFS_MAGIC */
        st.f_bsize = PAGE_SIZE;
        st.f_namelen = NAME_MAX;
        err = 0;
    } else {
        err = do_statfs(&f->path, &st);
    }
    file_put(f);
    return err != 0 ? err : copy_to_user(ubuf, &st, sizeof(st));
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
    struct file *f = fd_get(fd);
    struct super_block *sb;
    long err = 0;

    if (f == NULL)
        return -EBADF;
    sb = f->path.inode != NULL ? f->path.inode->sb : NULL;
    if (sb != NULL && sb->sync != NULL)
        err = sb->sync(sb);
    file_put(f);
    return err;
}

SYSCALL_DEFINE2(creat, const char *, upath, uint32_t, mode)
{
    long err;
    char *buf = getname_alloc(upath, &err);

    if (buf == NULL)
        return err;
    err = do_openat(AT_FDCWD, buf, O_CREAT | O_WRONLY | O_TRUNC, mode);
    kfree(buf);
    return err;
}
