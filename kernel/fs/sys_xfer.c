/*
 * sys_xfer.c - copying between two open files inside the kernel:
 * sendfile (a file to anything writable, above all a socket: Go's
 * TCPConn.ReadFrom), copy_file_range (Go's io.Copy between *os.File
 * values) and splice between a pipe and a file.
 *
 * All three run one loop: read a chunk from the input into a kernel
 * buffer, write it all to the output, advance. For positioned inputs the
 * input offset moves only by what was written, so nothing read is lost
 * when the output takes less. No page sharing: a copy costs a memcpy per
 * side.
 */
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define XFER_CHUNK (64 * 1024)
#define MAX_RW_COUNT (INT32_MAX & ~(PAGE_SIZE - 1))
#define SPLICE_F_MOVE 1
#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_MORE 4
#define SPLICE_F_GIFT 8

/*
 * One read or write of f with a kernel buffer: at *pos when pos is not
 * NULL (pos advances), else at the file position (which advances).
 */
static ssize_t xfer_io(struct file *f, void *buf, size_t len, off_t *pos, bool write)
{
    ssize_t (*op)(struct file *, struct uio *, off_t *);
    struct k_iovec iov;
    struct uio u;
    ssize_t n;
    off_t p;

    op = f->ops == NULL ? NULL : write ? f->ops->write : f->ops->read;
    if (op == NULL)
        return -EINVAL;
    uio_init_kernel(&u, &iov, buf, len);
    if (f->ops->stream) {
        off_t dummy = 0;
        return op(f, &u, &dummy);
    }
    if (pos != NULL)
        return op(f, &u, pos);
    mutex_lock(&f->pos_lock);
    p = f->pos;
    n = op(f, &u, &p);
    if (n > 0)
        f->pos = p;
    mutex_unlock(&f->pos_lock);
    return n;
}

/*
 * Copy up to len bytes from in to out. in_pos/out_pos: explicit offsets
 * (updated) or NULL for the files' own positions. Returns bytes copied or,
 * when nothing was, -errno.
 */
static ssize_t xfer(struct file *in, off_t *in_pos, struct file *out, off_t *out_pos, size_t len)
{
    char *buf;
    size_t done = 0;
    ssize_t err = 0;

    if (!file_readable(in) || !file_writable(out))
        return -EBADF;
    if (out->flags & O_APPEND && out_pos != NULL)
        return -EINVAL;
    len = MIN(len, (size_t)MAX_RW_COUNT);
    buf = kmalloc(MIN(len, (size_t)XFER_CHUNK) + 1, 0);
    if (buf == NULL)
        return -ENOMEM;
    /*
     * A seekable input is read at an explicit offset and its position
     * moves by what the output took, so bytes the output refused (a full
     * non-blocking socket) are read again next time.
     */
    bool own_pos = in_pos == NULL && !(in->ops != NULL && in->ops->stream);
    off_t pos = 0;
    if (own_pos) {
        mutex_lock(&in->pos_lock);
        pos = in->pos;
        mutex_unlock(&in->pos_lock);
        in_pos = &pos;
    }
    while (done < len) {
        size_t want = MIN(len - done, (size_t)XFER_CHUNK);
        off_t rpos = in_pos != NULL ? *in_pos : 0;
        ssize_t n = xfer_io(in, buf, want, in_pos != NULL ? &rpos : NULL, false);
        if (n <= 0) {
            err = n;
            break;
        }
        size_t put = 0;
        while (put < (size_t)n) {
            ssize_t w = xfer_io(out, buf + put, (size_t)n - put, out_pos, true);
            if (w <= 0) {
                err = w == 0 ? -EIO : w;
                break;
            }
            put += (size_t)w;
        }
        if (in_pos != NULL)
            *in_pos += (off_t)put;
        done += put;
        if (put < (size_t)n || (size_t)n < want)
            break; /* the output stopped, or the input ran dry */
        if (signal_pending())
            break;
    }
    if (own_pos && done > 0) {
        mutex_lock(&in->pos_lock);
        in->pos = pos;
        mutex_unlock(&in->pos_lock);
    }
    kfree(buf);
    return done > 0 ? (ssize_t)done : err;
}

/* Read an optional user offset; 0, -EFAULT or -EINVAL (negative). */
static int get_off(const int64_t *uoff, off_t *off)
{
    if (uoff == NULL)
        return 0;
    if (copy_from_user(off, uoff, sizeof(*off)) != 0)
        return -EFAULT;
    return *off < 0 ? -EINVAL : 0;
}

static int put_off(int64_t *uoff, off_t off)
{
    return uoff == NULL ? 0 : copy_to_user(uoff, &off, sizeof(off));
}

/* The two files of a transfer (referenced), or -EBADF. */
static long get_files(int in_fd, int out_fd, struct file **in, struct file **out)
{
    *in = fd_get(in_fd);
    *out = fd_get(out_fd);
    if (*in == NULL || *out == NULL) {
        file_put(*in);
        file_put(*out);
        return -EBADF;
    }
    return 0;
}

static bool is_regular(struct file *f)
{
    return file_inode(f) != NULL && S_ISREG(file_inode(f)->mode);
}

static bool is_pipe(struct file *f)
{
    return file_inode(f) != NULL && S_ISFIFO(file_inode(f)->mode);
}

SYSCALL_DEFINE6(copy_file_range, int, in_fd, int64_t *, uoff_in, int, out_fd, int64_t *, uoff_out,
                size_t, len, unsigned int, flags)
{
    struct file *in, *out;
    off_t off_in = 0, off_out = 0;
    long n;

    if (flags != 0)
        return -EINVAL;
    if ((n = get_off(uoff_in, &off_in)) != 0 || (n = get_off(uoff_out, &off_out)) != 0)
        return n;
    n = get_files(in_fd, out_fd, &in, &out);
    if (n != 0)
        return n;
    if (file_inode(in) == NULL || file_inode(out) == NULL)
        n = -EINVAL;
    else if (S_ISDIR(file_inode(in)->mode) || S_ISDIR(file_inode(out)->mode))
        n = -EISDIR;
    else if (!S_ISREG(file_inode(in)->mode) || !S_ISREG(file_inode(out)->mode))
        n = -EINVAL;
    else if (out->flags & O_APPEND)
        n = -EBADF;
    else if (file_inode(in) == file_inode(out)) {
        /* The same file: the ranges must not overlap. */
        off_t a = uoff_in != NULL ? off_in : in->pos, b = uoff_out != NULL ? off_out : out->pos;
        n = (a < b + (off_t)len && b < a + (off_t)len) ? -EINVAL : 0;
    }
    if (n == 0 && len > 0)
        n = xfer(in, uoff_in != NULL ? &off_in : NULL, out, uoff_out != NULL ? &off_out : NULL,
                 len);
    if (n > 0 && (put_off(uoff_in, off_in) != 0 || put_off(uoff_out, off_out) != 0))
        n = -EFAULT;
    file_put(in);
    file_put(out);
    return n;
}

/*
 * splice: a pipe and a regular file, either way round; the pipe takes no
 * offset. Anything else (sockets above all) answers EINVAL, as Linux does
 * for files that cannot splice, which sends Go's io.Copy between sockets
 * (TCPConn.ReadFrom) back to read and write.
 */
SYSCALL_DEFINE6(splice, int, in_fd, int64_t *, uoff_in, int, out_fd, int64_t *, uoff_out, size_t,
                len, unsigned int, flags)
{
    struct file *in, *out;
    off_t off_in = 0, off_out = 0;
    long n;

    if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT))
        return -EINVAL;
    if ((n = get_off(uoff_in, &off_in)) != 0 || (n = get_off(uoff_out, &off_out)) != 0)
        return n;
    n = get_files(in_fd, out_fd, &in, &out);
    if (n != 0)
        return n;
    if (!(is_pipe(in) && is_regular(out)) && !(is_regular(in) && is_pipe(out)))
        n = -EINVAL;
    else if ((is_pipe(in) && uoff_in != NULL) || (is_pipe(out) && uoff_out != NULL))
        n = -ESPIPE;
    else if (len > 0)
        n = xfer(in, uoff_in != NULL ? &off_in : NULL, out, uoff_out != NULL ? &off_out : NULL,
                 len);
    if (n > 0 && (put_off(uoff_in, off_in) != 0 || put_off(uoff_out, off_out) != 0))
        n = -EFAULT;
    file_put(in);
    file_put(out);
    return n;
}

/*
 * sendfile: from a positionable file to any writable file. With an offset
 * the input's position stays and *offset moves; without one the input's
 * position moves. The output is written as write(2) would (a socket raises
 * SIGPIPE on EPIPE); an O_APPEND output is refused, as on Linux.
 */
SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, int64_t *, uoffset, size_t, count)
{
    struct file *in, *out;
    off_t off = 0;
    long n;

    n = get_files(in_fd, out_fd, &in, &out);
    if (n != 0)
        return n;
    n = get_off(uoffset, &off);
    if (n == 0 && (in == out || (in->ops != NULL && in->ops->stream) || (out->flags & O_APPEND)))
        n = -EINVAL;
    if (n == 0) {
        n = xfer(in, uoffset != NULL ? &off : NULL, out, NULL, count);
        if (n >= 0 && put_off(uoffset, off) != 0)
            n = -EFAULT;
    }
    file_put(in);
    file_put(out);
    return n == -ERESTARTSYS ? -EINTR : n;
}
