/*
 * sys_rw.c - I/O on open files: read, write and their vector and
 * positioned forms, lseek, close, dup, fcntl, ioctl, fsync.
 */
#include "fs/internal.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "tty/termios.h"

#define IOV_MAX 1024
#define MAX_RW_COUNT (INT32_MAX & ~(PAGE_SIZE - 1))

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_SETOWN 8
#define F_GETOWN 9
#define F_SETSIG 10
#define F_GETSIG 11
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define FD_CLOEXEC 1

/* File locks: fs/locks.c. */
long fcntl_lock(struct file *f, unsigned int cmd, void *arg);

/* Hooks other subsystems provide. */

long __weak fcntl_pipe(struct file *f, unsigned int cmd, unsigned long arg)
{
    (void)f;
    (void)cmd;
    (void)arg;
    return -EINVAL;
}

/* Run a read or write on f with u, at pos (-1: the file position). */
static ssize_t do_rw(struct file *f, struct uio *u, off_t pos, bool write)
{
    ssize_t (*op)(struct file *, struct uio *, off_t *);
    bool positional = pos >= 0;
    ssize_t n;

    if (write ? !file_writable(f) : !file_readable(f))
        return -EBADF;
    if (f->path.inode != NULL && S_ISDIR(f->path.inode->mode))
        return -EISDIR;
    op = f->ops == NULL ? NULL : write ? f->ops->write : f->ops->read;
    if (op == NULL)
        return -EINVAL;
    if (u->resid > MAX_RW_COUNT)
        u->resid = MAX_RW_COUNT;
    if (f->ops->stream) {
        if (positional)
            return -ESPIPE;
        off_t dummy = 0;
        return op(f, u, &dummy);
    }
    if (positional)
        return op(f, u, &pos);
    mutex_lock(&f->pos_lock);
    pos = f->pos;
    n = op(f, u, &pos);
    if (n > 0 || (n == 0 && pos != f->pos))
        f->pos = pos;
    mutex_unlock(&f->pos_lock);
    return n;
}

static ssize_t rw_one(int fd, void *buf, size_t count, off_t pos, bool write)
{
    struct file *f = fd_get(fd);
    struct k_iovec iov;
    struct uio u;
    ssize_t n;

    if (f == NULL)
        return -EBADF;
    if (count > 0 && !user_range_ok(buf, count)) {
        file_put(f);
        return -EFAULT;
    }
    uio_init_user(&u, &iov, buf, count);
    n = do_rw(f, &u, pos, write);
    file_put(f);
    return n;
}

int get_iovec(const struct k_iovec *uiov, int cnt, struct k_iovec **out, size_t *total)
{
    struct k_iovec *iov;
    size_t sum = 0;

    if (cnt < 0 || cnt > IOV_MAX)
        return -EINVAL;
    iov = kmalloc(MAX(cnt, 1) * sizeof(*iov), 0);
    if (iov == NULL)
        return -ENOMEM;
    if (copy_from_user(iov, uiov, (size_t)cnt * sizeof(*iov)) != 0) {
        kfree(iov);
        return -EFAULT;
    }
    for (int i = 0; i < cnt; i++) {
        if ((int64_t)iov[i].iov_len < 0 || sum + iov[i].iov_len > (size_t)INT64_MAX) {
            kfree(iov);
            return -EINVAL;
        }
        if (iov[i].iov_len > 0 && !user_range_ok(iov[i].iov_base, iov[i].iov_len)) {
            kfree(iov);
            return -EFAULT;
        }
        sum += iov[i].iov_len;
    }
    *out = iov;
    *total = sum;
    return 0;
}

static ssize_t rw_vec(int fd, const struct k_iovec *uiov, int cnt, off_t pos, bool write)
{
    struct file *f = fd_get(fd);
    struct k_iovec *iov;
    struct uio u;
    size_t total;
    ssize_t n;
    int err;

    if (f == NULL)
        return -EBADF;
    err = get_iovec(uiov, cnt, &iov, &total);
    if (err != 0) {
        file_put(f);
        return err;
    }
    u = (struct uio){.iov = iov, .iovcnt = cnt, .resid = total, .user = true};
    n = do_rw(f, &u, pos, write);
    kfree(iov);
    file_put(f);
    return n;
}

SYSCALL_DEFINE3(read, int, fd, void *, buf, size_t, count)
{
    return rw_one(fd, buf, count, -1, false);
}

SYSCALL_DEFINE3(write, int, fd, const void *, buf, size_t, count)
{
    return rw_one(fd, (void *)buf, count, -1, true);
}

SYSCALL_DEFINE3(readv, int, fd, const struct k_iovec *, iov, int, cnt)
{
    return rw_vec(fd, iov, cnt, -1, false);
}

SYSCALL_DEFINE3(writev, int, fd, const struct k_iovec *, iov, int, cnt)
{
    return rw_vec(fd, iov, cnt, -1, true);
}

SYSCALL_DEFINE4(pread64, int, fd, void *, buf, size_t, count, off_t, pos)
{
    if (pos < 0)
        return -EINVAL;
    return rw_one(fd, buf, count, pos, false);
}

SYSCALL_DEFINE4(pwrite64, int, fd, const void *, buf, size_t, count, off_t, pos)
{
    if (pos < 0)
        return -EINVAL;
    return rw_one(fd, (void *)buf, count, pos, true);
}

/* x86-64 passes the whole offset in pos_l; pos_h exists for 32-bit ABIs. */
SYSCALL_DEFINE5(preadv, int, fd, const struct k_iovec *, iov, int, cnt, off_t, pos_l, off_t, pos_h)
{
    (void)pos_h;
    if (pos_l < 0)
        return -EINVAL;
    return rw_vec(fd, iov, cnt, pos_l, false);
}

SYSCALL_DEFINE5(pwritev, int, fd, const struct k_iovec *, iov, int, cnt, off_t, pos_l, off_t, pos_h)
{
    (void)pos_h;
    if (pos_l < 0)
        return -EINVAL;
    return rw_vec(fd, iov, cnt, pos_l, true);
}

/* preadv2/pwritev2: offset -1 uses the file position; no RWF_* flag is supported. */
static long rw_vec2(int fd, const struct k_iovec *iov, int cnt, off_t pos, int flags, bool write)
{
    if (flags != 0)
        return -EOPNOTSUPP;
    if (pos < -1)
        return -EINVAL;
    return rw_vec(fd, iov, cnt, pos, write);
}

SYSCALL_DEFINE6(preadv2, int, fd, const struct k_iovec *, iov, int, cnt, off_t, pos_l, off_t, pos_h,
                int, flags)
{
    (void)pos_h;
    return rw_vec2(fd, iov, cnt, pos_l, flags, false);
}

SYSCALL_DEFINE6(pwritev2, int, fd, const struct k_iovec *, iov, int, cnt, off_t, pos_l, off_t,
                pos_h, int, flags)
{
    (void)pos_h;
    return rw_vec2(fd, iov, cnt, pos_l, flags, true);
}

SYSCALL_DEFINE3(lseek, int, fd, off_t, off, int, whence)
{
    struct file *f = fd_get(fd);
    off_t npos;
    long ret;

    if (f == NULL)
        return -EBADF;
    if (f->ops != NULL && f->ops->stream) {
        file_put(f);
        return -ESPIPE;
    }
    mutex_lock(&f->pos_lock);
    struct inode *inode = file_inode(f);
    uint64_t size = inode != NULL ? inode->size : 0;
    switch (whence) {
    case SEEK_SET:
        npos = off;
        break;
    case SEEK_CUR:
        npos = f->pos + off;
        break;
    case SEEK_END:
        npos = (off_t)size + off;
        break;
    case SEEK_DATA:
        npos = off < (off_t)size ? off : -ENXIO;
        break;
    case SEEK_HOLE:
        npos = off < (off_t)size ? (off_t)size : -ENXIO;
        break;
    default:
        npos = -EINVAL;
        break;
    }
    if (npos == -ENXIO || npos == -EINVAL) {
        ret = npos;
    } else if (npos < 0) {
        ret = -EINVAL;
    } else {
        if (inode != NULL && S_ISDIR(inode->mode) && npos == 0)
            f->dir_cookie = 0; /* rewinddir */
        f->pos = npos;
        ret = npos;
    }
    mutex_unlock(&f->pos_lock);
    file_put(f);
    return ret;
}

SYSCALL_DEFINE1(close, int, fd)
{
    return fd_close(fd);
}

SYSCALL_DEFINE1(dup, int, fd)
{
    struct file *f = fd_get(fd);
    int nfd;

    if (f == NULL)
        return -EBADF;
    nfd = fd_install(f, false, 0);
    if (nfd < 0)
        file_put(f);
    return nfd;
}

static long do_dup3(int oldfd, int newfd, int flags)
{
    struct file *f;
    int err;

    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    f = fd_get(oldfd);
    if (f == NULL)
        return -EBADF;
    err = fd_install_at(f, newfd, flags & O_CLOEXEC);
    if (err != 0) {
        file_put(f);
        return err;
    }
    return newfd;
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
    if (oldfd == newfd) {
        struct file *f = fd_get(oldfd);
        if (f == NULL)
            return -EBADF;
        file_put(f);
        return newfd;
    }
    return do_dup3(oldfd, newfd, 0);
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
    if (oldfd == newfd)
        return -EINVAL;
    return do_dup3(oldfd, newfd, flags);
}

SYSCALL_DEFINE3(fcntl, int, fd, unsigned int, cmd, unsigned long, arg)
{
    struct file *f = fd_get(fd);
    long ret;

    if (f == NULL)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg > INT32_MAX) {
            ret = -EINVAL;
            break;
        }
        file_get(f);
        ret = fd_install(f, cmd == F_DUPFD_CLOEXEC, (int)arg);
        if (ret < 0)
            file_put(f);
        break;
    case F_GETFD:
        ret = fd_get_cloexec(fd) > 0 ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        ret = fd_set_cloexec(fd, arg & FD_CLOEXEC);
        break;
    case F_GETFL:
        ret = f->flags;
        break;
    case F_SETFL: {
        const uint32_t changeable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
        f->flags = (f->flags & ~changeable) | ((uint32_t)arg & changeable);
        ret = 0;
        break;
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        ret = fcntl_lock(f, cmd, (void *)arg);
        break;
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
        ret = fcntl_pipe(f, cmd, arg);
        break;
    case F_GETOWN:
        ret = 0;
        break;
    case F_SETOWN:
        ret = 0;
        break;
    case F_GETSIG:
        ret = 0;
        break;
    case F_SETSIG:
        ret = arg <= NSIG ? 0 : -EINVAL;
        break;
    case F_GET_SEALS:
    case F_ADD_SEALS:
        ret = memfd_fcntl(f, cmd, (uint32_t)arg);
        break;
    default:
        ret = -EINVAL;
        break;
    }
    file_put(f);
    return ret;
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned int, cmd, unsigned long, arg)
{
    struct file *f = fd_get(fd);
    long ret;

    if (f == NULL)
        return -EBADF;
    switch (cmd) {
    case FIOCLEX:
    case FIONCLEX:
        ret = fd_set_cloexec(fd, cmd == FIOCLEX);
        break;
    case FIONBIO: {
        uint32_t on;
        ret = get_user_u32(&on, (void *)arg);
        if (ret == 0) {
            if (on)
                f->flags |= O_NONBLOCK;
            else
                f->flags &= ~O_NONBLOCK;
        }
        break;
    }
    default:
        if (f->ops != NULL && f->ops->ioctl != NULL) {
            ret = f->ops->ioctl(f, cmd, arg);
        } else if (cmd == FIONREAD && file_inode(f) != NULL && S_ISREG(file_inode(f)->mode)) {
            uint64_t size = file_inode(f)->size;
            uint64_t left = size > (uint64_t)f->pos ? size - (uint64_t)f->pos : 0;
            ret = put_user_u32((void *)arg, (uint32_t)MIN(left, (uint64_t)INT32_MAX));
        } else {
            ret = -ENOTTY;
        }
        break;
    }
    file_put(f);
    return ret;
}

static long do_fsync(int fd, bool datasync)
{
    struct file *f = fd_get(fd);
    long ret = 0;

    if (f == NULL)
        return -EBADF;
    /* Stores through shared mappings of the file count as written data. */
    if (file_inode(f) != NULL && file_inode(f)->pcache != NULL)
        vm_harvest_dirty(current_process()->mm, file_inode(f));
    if (f->ops != NULL && f->ops->fsync != NULL)
        ret = f->ops->fsync(f, datasync);
    file_put(f);
    return ret;
}

SYSCALL_DEFINE1(fsync, int, fd)
{
    return do_fsync(fd, false);
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
    return do_fsync(fd, true);
}

void __weak vfs_sync_all(void);

SYSCALL_DEFINE0(sync)
{
    vm_writeback_all(current_process()->mm);
    vfs_sync_all();
    return 0;
}
