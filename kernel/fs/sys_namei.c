/*
 * sys_namei.c - system calls that take path names: open, stat, getdents,
 * the working directory, access, readlink.
 */
#include "core/time.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "fs/internal.h"
#include "mm/kmalloc.h"

#define R_OK 4
#define W_OK 2
#define X_OK 1
#define F_OK 0

/* A PATH_MAX buffer holding a user path. Free with kfree. */
char *getname_alloc(const char *upath, long *err)
{
    char *buf = kmalloc(PATH_MAX, 0);

    if (buf == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = getname(upath, buf);
    if (*err != 0) {
        kfree(buf);
        return NULL;
    }
    return buf;
}

long user_path_lookup(int dirfd, const char *upath, int flags, struct path *out)
{
    long err;
    char *buf = getname_alloc(upath, &err);

    if (buf == NULL)
        return err;
    err = vfs_lookup(dirfd, buf, flags, out, NULL, NULL);
    kfree(buf);
    return err;
}

long fd_path(int fd, struct path *out)
{
    struct file *f = fd_get(fd);

    if (f == NULL)
        return -EBADF;
    if (f->path.inode == NULL) {
        file_put(f);
        return -EBADF;
    }
    *out = f->path;
    path_get(out);
    file_put(f);
    return 0;
}

/*
 * The absolute form of (dirfd, pathname) as typed (not canonical), for
 * /proc/<pid>/fd; kmalloc'd, or NULL when it cannot be made.
 */
static char *absolute_name(int dirfd, const char *pathname)
{
    size_t plen = strlen(pathname);
    struct path dir;
    ssize_t n = 0;
    char *buf;

    buf = kmalloc(PATH_MAX, 0);
    if (buf == NULL)
        return NULL;
    if (pathname[0] != '/') {
        if (dirfd == AT_FDCWD) {
            struct fs_context *fs = current_process()->fs;
            uint64_t irq = spin_lock_irqsave(&fs->lock);
            dir = fs->cwd;
            path_get(&dir);
            spin_unlock_irqrestore(&fs->lock, irq);
        } else if (fd_path(dirfd, &dir) != 0) {
            kfree(buf);
            return NULL;
        }
        n = vfs_path_string(&dir, buf, PATH_MAX);
        path_put(&dir);
        if (n > 0 && buf[n - 1] != '/')
            buf[n++] = '/';
    }
    if (n < 0 || (size_t)n + plen + 1 > PATH_MAX) {
        kfree(buf);
        return NULL;
    }
    memcpy(buf + n, pathname, plen + 1);
    return buf;
}

static long openat_depth(int dirfd, const char *pathname, uint32_t flags, uint32_t mode, int depth);

/*
 * O_CREAT (without O_EXCL) of a name that is a symlink to nothing creates
 * the link's target, as on Linux: the open is redone on the target, taken
 * relative to the link's directory dir. -ENOENT when name is no such link.
 */
static long open_dangling_link(struct path *dir, const char *name, size_t len, uint32_t flags,
                               uint32_t mode, int depth)
{
    struct inode *link;
    char *buf;
    ssize_t n = 0, t;
    long err;

    if (depth >= MAX_SYMLINKS)
        return -ELOOP;
    if (dir->inode->iops->lookup(dir->inode, name, len, &link) != 0)
        return -ENOENT;
    if (!S_ISLNK(link->mode) || link->iops == NULL || link->iops->readlink == NULL) {
        inode_put(link);
        return -ENOENT;
    }
    buf = kmalloc(PATH_MAX, 0);
    if (buf == NULL) {
        inode_put(link);
        return -ENOMEM;
    }
    /* Make "<dir>/<target>" (or just the target when it is absolute). */
    t = link->iops->readlink(link, buf, PATH_MAX - 1);
    if (t > 0 && buf[0] != '/') {
        n = vfs_path_string(dir, buf, PATH_MAX);
        if (n > 0 && buf[n - 1] != '/')
            buf[n++] = '/';
        t = n >= 0 && n < PATH_MAX - 1 ? link->iops->readlink(link, buf + n, PATH_MAX - 1 - n)
                                       : -ENAMETOOLONG;
    }
    inode_put(link);
    if (t <= 0) {
        kfree(buf);
        return t < 0 ? t : -ENOENT;
    }
    buf[n + t] = '\0';
    err = openat_depth(AT_FDCWD, buf, flags, mode, depth + 1);
    kfree(buf);
    return err;
}

long do_openat(int dirfd, const char *pathname, uint32_t flags, uint32_t mode)
{
    return openat_depth(dirfd, pathname, flags, mode, 0);
}

/* do_openat; depth counts dangling symlinks followed to create a file. */
static long openat_depth(int dirfd, const char *pathname, uint32_t flags, uint32_t mode, int depth)
{
    struct path dir, p;
    const char *last;
    size_t lastlen;
    struct file *f;
    int err;
    int lookup = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;

    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    err = fd_check_room();
    if (err != 0)
        return err;
    if (!(flags & O_CREAT)) {
        err = vfs_lookup(dirfd, pathname, lookup | ((flags & O_DIRECTORY) ? LOOKUP_DIRECTORY : 0),
                         &p, NULL, NULL);
        if (err != 0)
            return err;
    } else {
        err = vfs_lookup(dirfd, pathname, LOOKUP_PARENT, &dir, &last, &lastlen);
        if (err != 0)
            return err;
        if (last[lastlen] == '/' || (lastlen == 1 && last[0] == '.') ||
            (lastlen == 2 && last[0] == '.' && last[1] == '.')) {
            path_put(&dir);
            return -EISDIR;
        }
        err = vfs_lookup(dirfd, pathname, lookup, &p, NULL, NULL);
        if (err == 0 && (flags & O_EXCL)) {
            path_put(&p);
            path_put(&dir);
            return -EEXIST;
        }
        if (err == -ENOENT && lookup != 0 && !(flags & O_EXCL) && dir.inode->iops != NULL &&
            dir.inode->iops->lookup != NULL) {
            long fd = open_dangling_link(&dir, last, lastlen, flags, mode, depth);
            if (fd != -ENOENT) {
                path_put(&dir);
                return fd;
            }
        }
        if (err == -ENOENT) {
            struct inode *inode;
            if (dir.inode->iops == NULL || dir.inode->iops->create == NULL) {
                path_put(&dir);
                return -EACCES;
            }
            if (dir.mnt->sb->flags & SB_RDONLY) {
                path_put(&dir);
                return -EROFS;
            }
            err = dir.inode->iops->create(dir.inode, last, lastlen,
                                          S_IFREG | (mode & 07777 & ~current_process()->umask), 0,
                                          &inode);
            if (err == -EEXIST && !(flags & O_EXCL))
                err = vfs_lookup(dirfd, pathname, lookup, &p, NULL, NULL);
            else if (err == 0)
                p = (struct path){dir.mnt, inode};
        }
        path_put(&dir);
        if (err != 0)
            return err;
    }
    if (S_ISLNK(p.inode->mode) && !(flags & O_PATH)) {
        path_put(&p);
        return -ELOOP; /* O_NOFOLLOW on a symlink */
    }
    if ((flags & O_DIRECTORY) && !S_ISDIR(p.inode->mode)) {
        path_put(&p);
        return -ENOTDIR;
    }
    if (S_ISDIR(p.inode->mode) && (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH)) {
        path_put(&p);
        return -EISDIR;
    }
    if ((flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH) && S_ISREG(p.inode->mode) &&
        (p.mnt->sb->flags & SB_RDONLY)) {
        path_put(&p);
        return -EROFS;
    }
    if ((flags & O_TRUNC) && S_ISREG(p.inode->mode) && (flags & O_ACCMODE) != O_RDONLY &&
        p.inode->size != 0) {
        struct iattr a = {.valid = ATTR_SIZE, .size = 0};
        err = p.inode->iops->setattr != NULL ? p.inode->iops->setattr(p.inode, &a) : -EPERM;
        if (err != 0) {
            path_put(&p);
            return err;
        }
        vm_truncate_file(current_process()->mm, p.inode, 0);
    }
    err = vfs_open(&p, flags, &f);
    path_put(&p);
    if (err != 0)
        return err;
    if (!S_ISDIR(file_inode(f)->mode))
        f->open_name = absolute_name(dirfd, pathname);
    err = fd_install(f, flags & O_CLOEXEC, 0);
    if (err < 0)
        file_put(f);
    return err;
}

SYSCALL_DEFINE4(openat, int, dirfd, const char *, upath, uint32_t, flags, uint32_t, mode)
{
    long err;
    char *path = getname_alloc(upath, &err);

    if (path == NULL)
        return err;
    err = do_openat(dirfd, path, flags, mode);
    kfree(path);
    return err;
}

SYSCALL_DEFINE3(open, const char *, upath, uint32_t, flags, uint32_t, mode)
{
    long err;
    char *path = getname_alloc(upath, &err);

    if (path == NULL)
        return err;
    err = do_openat(AT_FDCWD, path, flags, mode);
    kfree(path);
    return err;
}

/* Stat what dirfd/path names; AT_EMPTY_PATH with "" means dirfd itself. */
static int stat_at(int dirfd, const char *upath, int flags, struct k_stat *st)
{
    struct path p;
    long err;
    char *path;

    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    path = getname_alloc(upath, &err);
    if (path == NULL)
        return (int)err;
    if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
        kfree(path);
        struct file *f = fd_get(dirfd);
        if (f == NULL)
            return dirfd == AT_FDCWD ? -ENOENT : -EBADF;
        if (f->path.inode == NULL) {
            file_put(f);
            return -EBADF;
        }
        inode_stat(f->path.inode, st);
        file_put(f);
        return 0;
    }
    err =
        vfs_lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p, NULL, NULL);
    kfree(path);
    if (err != 0)
        return (int)err;
    inode_stat(p.inode, st);
    path_put(&p);
    return 0;
}

SYSCALL_DEFINE2(fstat, int, fd, struct k_stat *, ust)
{
    struct file *f = fd_get(fd);
    struct k_stat st;

    if (f == NULL)
        return -EBADF;
    if (f->path.inode == NULL) {
        file_put(f);
        return -EBADF;
    }
    inode_stat(f->path.inode, &st);
    file_put(f);
    return copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE4(newfstatat, int, dirfd, const char *, upath, struct k_stat *, ust, int, flags)
{
    struct k_stat st;
    int err = stat_at(dirfd, upath, flags, &st);

    return err != 0 ? err : copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE2(stat, const char *, upath, struct k_stat *, ust)
{
    struct k_stat st;
    int err = stat_at(AT_FDCWD, upath, 0, &st);

    return err != 0 ? err : copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE2(lstat, const char *, upath, struct k_stat *, ust)
{
    struct k_stat st;
    int err = stat_at(AT_FDCWD, upath, AT_SYMLINK_NOFOLLOW, &st);

    return err != 0 ? err : copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE5(statx, int, dirfd, const char *, upath, int, flags, unsigned int, mask,
                struct k_statx *, ubuf)
{
    struct k_stat st;
    struct k_statx sx;
    int err;

    (void)mask;
    err =
        stat_at(dirfd, upath, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT), &st);
    if (err != 0)
        return err;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = (uint32_t)st.st_blksize;
    sx.stx_nlink = (uint32_t)st.st_nlink;
    sx.stx_uid = st.st_uid;
    sx.stx_gid = st.st_gid;
    sx.stx_mode = (uint16_t)st.st_mode;
    sx.stx_ino = st.st_ino;
    sx.stx_size = (uint64_t)st.st_size;
    sx.stx_blocks = (uint64_t)st.st_blocks;
    sx.stx_atime = (struct k_statx_timestamp){st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec, 0};
    sx.stx_mtime = (struct k_statx_timestamp){st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec, 0};
    sx.stx_ctime = (struct k_statx_timestamp){st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec, 0};
    sx.stx_rdev_major = MAJOR((uint32_t)st.st_rdev);
    sx.stx_rdev_minor = MINOR((uint32_t)st.st_rdev);
    sx.stx_dev_minor = (uint32_t)st.st_dev;
    return copy_to_user(ubuf, &sx, sizeof(sx));
}

/*
 * getdents64: linux_dirent64 records are gathered in a kernel buffer and
 * copied out once the file system's lock is dropped, because the user's
 * buffer may be a mapping of a file whose page fault needs that lock.
 */
#define DENTS_KBUF_MAX (64u * 1024) /* larger requests just get fewer entries */

struct dents_ctx {
    uint8_t *kbuf;
    size_t size, used;
    int err;
};

static bool fill_dirent(void *vctx, const char *name, size_t len, uint64_t ino, unsigned int type,
                        uint64_t next)
{
    struct dents_ctx *c = vctx;
    size_t reclen = ALIGN_UP(19 + len + 1, 8ul);
    uint8_t *rec = c->kbuf + c->used;
    uint16_t rl = (uint16_t)reclen;
    int64_t off = (int64_t)next;

    if (c->used + reclen > c->size) {
        if (c->used == 0)
            c->err = -EINVAL; /* not even one entry fits */
        return false;
    }
    memset(rec, 0, reclen);
    if (ino == 0)
        ino = 1; /* Go skips entries with d_ino 0 */
    memcpy(rec, &ino, 8);
    memcpy(rec + 8, &off, 8);
    memcpy(rec + 16, &rl, 2);
    rec[18] = (uint8_t)type;
    memcpy(rec + 19, name, len);
    c->used += reclen;
    return true;
}

SYSCALL_DEFINE3(getdents64, int, fd, void *, ubuf, size_t, count)
{
    struct file *f = fd_get(fd);
    struct dents_ctx c = {.size = MIN(count, (size_t)DENTS_KBUF_MAX)};
    struct inode *inode;
    uint64_t cookie;
    int err;

    if (f == NULL)
        return -EBADF;
    inode = file_inode(f);
    if (inode == NULL || !S_ISDIR(inode->mode) || inode->iops == NULL ||
        inode->iops->getdents == NULL) {
        file_put(f);
        return -ENOTDIR;
    }
    c.kbuf = kmalloc(MAX(c.size, (size_t)1), 0);
    if (c.kbuf == NULL) {
        file_put(f);
        return -ENOMEM;
    }
    mutex_lock(&f->pos_lock);
    cookie = f->dir_cookie;
    err = inode->iops->getdents(inode, &cookie, fill_dirent, &c);
    /* The position only moves when the records reach the user. */
    if (err == 0 && c.used > 0 && copy_to_user(ubuf, c.kbuf, c.used) != 0)
        err = -EFAULT;
    if (err == 0)
        f->dir_cookie = cookie;
    mutex_unlock(&f->pos_lock);
    kfree(c.kbuf);
    file_put(f);
    if (err != 0)
        return err;
    if (c.err != 0 && c.used == 0)
        return c.err;
    return (long)c.used;
}

SYSCALL_DEFINE2(getcwd, char *, ubuf, size_t, size)
{
    struct fs_context *fs = current_process()->fs;
    char *buf = kmalloc(PATH_MAX, 0);
    struct path cwd;
    ssize_t n;
    uint64_t flags;

    if (buf == NULL)
        return -ENOMEM;
    flags = spin_lock_irqsave(&fs->lock);
    cwd = fs->cwd;
    path_get(&cwd);
    spin_unlock_irqrestore(&fs->lock, flags);
    n = vfs_path_string(&cwd, buf, PATH_MAX);
    path_put(&cwd);
    if (n >= 0) {
        if ((size_t)n + 1 > size)
            n = -ERANGE;
        else if (copy_to_user(ubuf, buf, (size_t)n + 1) != 0)
            n = -EFAULT;
        else
            n = n + 1; /* the length including the NUL, as the syscall returns */
    }
    kfree(buf);
    return n;
}

static long set_cwd(struct path *p)
{
    struct fs_context *fs = current_process()->fs;
    struct path old;
    uint64_t flags;

    if (!S_ISDIR(p->inode->mode)) {
        path_put(p);
        return -ENOTDIR;
    }
    flags = spin_lock_irqsave(&fs->lock);
    old = fs->cwd;
    fs->cwd = *p;
    spin_unlock_irqrestore(&fs->lock, flags);
    path_put(&old);
    return 0;
}

SYSCALL_DEFINE1(chdir, const char *, upath)
{
    struct path p;
    long err;
    char *path = getname_alloc(upath, &err);

    if (path == NULL)
        return err;
    err = vfs_lookup(AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p, NULL, NULL);
    kfree(path);
    if (err != 0)
        return err;
    return set_cwd(&p);
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
    struct file *f = fd_get(fd);
    struct path p;

    if (f == NULL)
        return -EBADF;
    if (f->path.inode == NULL) {
        file_put(f);
        return -ENOTDIR;
    }
    p = f->path;
    path_get(&p);
    file_put(f);
    return set_cwd(&p);
}

static long do_access(int dirfd, const char *upath, int mode, int flags)
{
    struct path p;
    long err;
    char *path;

    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    path = getname_alloc(upath, &err);
    if (path == NULL)
        return err;
    err = vfs_lookup(dirfd, path,
                     ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                         ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
                     &p, NULL, NULL);
    kfree(path);
    if (err != 0)
        return err;
    /* root: everything is allowed, except executing a file with no x bit
     * and writing to a read-only file system. */
    if ((mode & X_OK) && !S_ISDIR(p.inode->mode) && !(p.inode->mode & 0111))
        err = -EACCES;
    else if ((mode & W_OK) && (p.mnt->sb->flags & SB_RDONLY))
        err = -EROFS;
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(access, const char *, upath, int, mode)
{
    return do_access(AT_FDCWD, upath, mode, 0);
}

SYSCALL_DEFINE3(faccessat, int, dirfd, const char *, upath, int, mode)
{
    return do_access(dirfd, upath, mode, 0);
}

SYSCALL_DEFINE4(faccessat2, int, dirfd, const char *, upath, int, mode, int, flags)
{
    return do_access(dirfd, upath, mode, flags);
}

static long do_readlink(int dirfd, const char *upath, char *ubuf, int size)
{
    struct path p;
    long err;
    char *path, *buf;
    ssize_t n;

    if (size <= 0)
        return -EINVAL;
    path = getname_alloc(upath, &err);
    if (path == NULL)
        return err;
    err = vfs_lookup(dirfd, path, LOOKUP_EMPTY, &p, NULL, NULL);
    kfree(path);
    if (err != 0)
        return err;
    if (!S_ISLNK(p.inode->mode) || p.inode->iops->readlink == NULL) {
        path_put(&p);
        return -EINVAL;
    }
    buf = kmalloc(PATH_MAX, 0);
    if (buf == NULL) {
        path_put(&p);
        return -ENOMEM;
    }
    n = p.inode->iops->readlink(p.inode, buf, MIN((size_t)size, (size_t)PATH_MAX));
    path_put(&p);
    if (n > 0 && copy_to_user(ubuf, buf, (size_t)n) != 0)
        n = -EFAULT;
    kfree(buf);
    return n;
}

SYSCALL_DEFINE3(readlink, const char *, upath, char *, ubuf, int, size)
{
    return do_readlink(AT_FDCWD, upath, ubuf, size);
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, const char *, upath, char *, ubuf, int, size)
{
    return do_readlink(dirfd, upath, ubuf, size);
}
