/*
 * file.c - open file descriptions and uio copies.
 *
 * A struct file is shared by every fd that refers to it (dup, fork-less
 * clone(CLONE_FILES) threads) and by in-flight syscalls holding a
 * reference from fd_get(); the last file_put() releases it: epoll watches
 * go, the type's release() runs, the inode reference drops.
 */
#include "fs/internal.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

void uio_init_user(struct uio *u, struct k_iovec *iov, void *buf, size_t len)
{
    iov->iov_base = buf;
    iov->iov_len = len;
    *u = (struct uio){.iov = iov, .iovcnt = 1, .resid = len, .user = true};
}

void uio_init_kernel(struct uio *u, struct k_iovec *iov, void *buf, size_t len)
{
    iov->iov_base = buf;
    iov->iov_len = len;
    *u = (struct uio){.iov = iov, .iovcnt = 1, .resid = len, .user = false};
}

/* Advance through the iovecs moving up to n bytes; to_uio picks the direction. */
static ssize_t uio_move(struct uio *u, void *kbuf, size_t n, bool to_uio)
{
    size_t done = 0;

    while (done < n && u->resid > 0 && u->idx < u->iovcnt) {
        struct k_iovec *v = &u->iov[u->idx];
        size_t k = MIN(n - done, v->iov_len - u->off);
        char *p = (char *)v->iov_base + u->off;
        int err = 0;

        if (k == 0) {
            u->idx++;
            u->off = 0;
            continue;
        }
        if (u->user)
            err = to_uio ? copy_to_user(p, (char *)kbuf + done, k)
                         : copy_from_user((char *)kbuf + done, p, k);
        else if (to_uio)
            memcpy(p, (char *)kbuf + done, k);
        else
            memcpy((char *)kbuf + done, p, k);
        if (err != 0)
            return done > 0 ? (ssize_t)done : -EFAULT;
        done += k;
        u->off += k;
        u->resid -= k;
        if (u->off == v->iov_len) {
            u->idx++;
            u->off = 0;
        }
    }
    return (ssize_t)done;
}

ssize_t uio_copy_to(struct uio *u, const void *src, size_t n)
{
    return uio_move(u, (void *)src, n, true);
}

ssize_t uio_copy_from(struct uio *u, void *dst, size_t n)
{
    return uio_move(u, dst, n, false);
}

struct file *file_alloc(const struct file_ops *ops, void *priv, uint32_t flags)
{
    struct file *f = kzalloc(sizeof(*f));

    if (f == NULL)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->priv = priv;
    f->flags = flags;
    mutex_init(&f->pos_lock);
    list_init(&f->epitems);
    return f;
}

void file_get(struct file *f)
{
    __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
    if (f == NULL || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    epoll_file_release(f);
    locks_release_file(f);
    if (f->ops != NULL && f->ops->release != NULL)
        f->ops->release(f);
    if (f->path.inode != NULL)
        path_put(&f->path);
    kfree(f->open_name);
    kfree(f);
}

bool file_readable(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return (acc == O_RDONLY || acc == O_RDWR) && !(f->flags & O_PATH);
}

bool file_writable(const struct file *f)
{
    uint32_t acc = f->flags & O_ACCMODE;
    return (acc == O_WRONLY || acc == O_RDWR) && !(f->flags & O_PATH);
}

int file_mmap_check(struct file *f, bool prot_write, bool shared)
{
    struct inode *inode = file_inode(f);

    if (f->flags & O_PATH)
        return -EBADF;
    if (inode == NULL || !S_ISREG(inode->mode) || inode->iops == NULL ||
        inode->iops->get_page == NULL)
        return -ENODEV;
    if (!file_readable(f))
        return -EACCES;
    if (shared && prot_write) {
        if (!file_writable(f))
            return -EACCES;
        return memfd_check_map_write(inode); /* 0 for files that are no memfd */
    }
    return 0;
}

int vfs_open(struct path *p, uint32_t flags, struct file **out)
{
    struct inode *inode = p->inode;
    const struct file_ops *ops = inode->fops;
    struct file *f;
    int err;

    if (S_ISFIFO(inode->mode) && !(flags & O_PATH))
        ops = &fifo_fops; /* a named FIFO: pipe.c, on whatever file system */
    if ((S_ISCHR(inode->mode) || S_ISBLK(inode->mode)) && !(flags & O_PATH)) {
        ops = S_ISCHR(inode->mode) ? chrdev_lookup(inode->rdev) : blkdev_lookup(inode->rdev);
        if (ops == NULL)
            return -ENXIO;
    }
    f = file_alloc(ops, NULL, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
    if (f == NULL)
        return -ENOMEM;
    f->path = *p;
    path_get(&f->path);
    if (!(flags & O_PATH) && ops != NULL && ops->open != NULL) {
        err = ops->open(inode, f);
        if (err != 0) {
            f->ops = NULL; /* release() must not run for a failed open */
            file_put(f);
            return err;
        }
    }
    *out = f;
    return 0;
}

ssize_t kernel_read(struct file *f, void *buf, size_t len, off_t pos)
{
    struct k_iovec iov;
    struct uio u;

    if (f->ops == NULL || f->ops->read == NULL)
        return -EINVAL;
    uio_init_kernel(&u, &iov, buf, len);
    return f->ops->read(f, &u, &pos);
}

uint32_t file_poll(struct file *f, struct poll_table *pt)
{
    if (f->ops == NULL || f->ops->poll == NULL)
        return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;
    return f->ops->poll(f, pt);
}
