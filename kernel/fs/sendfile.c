/*
 * sendfile.c - sendfile(2): copy from a file to any writable file (above
 * all a socket) through a kernel buffer, without the bytes visiting user
 * memory.
 *
 * The source must be positionable (not a pipe or socket). With a NULL
 * offset the source's file position is used and advanced, holding its
 * pos_lock for the whole call as Linux's f_pos lock does; otherwise
 * *offset is used and updated and the position stays. The destination is
 * written as write(2) would (blocking or not per its O_NONBLOCK; a socket
 * raises SIGPIPE on EPIPE). Returns the bytes written, or the error when
 * none were.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "linux/syscall.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define SENDFILE_CHUNK (64 * 1024)
#define SENDFILE_MAX 0x7ffff000L /* MAX_RW_COUNT, as Linux */

/* Write n bytes of buf to out at its position (streams ignore it). */
static ssize_t write_chunk(struct file *out, char *buf, size_t n)
{
    struct k_iovec iov;
    struct uio u;
    off_t pos = 0;
    ssize_t w;

    uio_init_kernel(&u, &iov, buf, n);
    if (out->ops->stream)
        return out->ops->write(out, &u, &pos);
    mutex_lock(&out->pos_lock);
    pos = out->pos;
    w = out->ops->write(out, &u, &pos);
    if (w > 0)
        out->pos = pos;
    mutex_unlock(&out->pos_lock);
    return w;
}

/* Move up to count bytes from in at *pos to out. */
static ssize_t copy_loop(struct file *in, struct file *out, off_t *pos, size_t count)
{
    char *buf = kmalloc(SENDFILE_CHUNK, 0);
    ssize_t done = 0;

    if (buf == NULL)
        return -ENOMEM;
    while ((size_t)done < count) {
        size_t want = MIN(count - (size_t)done, (size_t)SENDFILE_CHUNK);
        ssize_t r = kernel_read(in, buf, want, *pos), w;

        if (r <= 0) {
            if (r < 0 && done == 0)
                done = r;
            break;
        }
        w = write_chunk(out, buf, (size_t)r);
        if (w <= 0) {
            if (done == 0)
                done = w < 0 ? w : -EAGAIN;
            break;
        }
        *pos += w;
        done += w;
        if (w < r)
            break; /* the destination took less: a non-blocking socket is full */
    }
    kfree(buf);
    return done;
}

static long do_sendfile(struct file *out, struct file *in, off_t *uoffset, size_t count)
{
    off_t pos;
    ssize_t n;

    if (!file_readable(in) || !file_writable(out))
        return -EBADF;
    if (in == out || in->ops == NULL || in->ops->read == NULL || in->ops->stream ||
        out->ops == NULL || out->ops->write == NULL || (out->flags & O_APPEND))
        return -EINVAL;
    count = MIN(count, (size_t)SENDFILE_MAX);
    if (uoffset != NULL) {
        if (copy_from_user(&pos, uoffset, sizeof(pos)) != 0)
            return -EFAULT;
        if (pos < 0)
            return -EINVAL;
        n = copy_loop(in, out, &pos, count);
        if (put_user_u64(uoffset, (uint64_t)pos) != 0)
            return -EFAULT;
        return n;
    }
    mutex_lock(&in->pos_lock);
    pos = in->pos;
    n = copy_loop(in, out, &pos, count);
    in->pos = pos;
    mutex_unlock(&in->pos_lock);
    return n;
}

SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, off_t *, uoffset, size_t, count)
{
    struct file *in = fd_get(in_fd), *out = fd_get(out_fd);
    long ret = -EBADF;

    if (in != NULL && out != NULL)
        ret = do_sendfile(out, in, uoffset, count);
    file_put(in);
    file_put(out);
    return ret == -ERESTARTSYS ? -EINTR : ret;
}
