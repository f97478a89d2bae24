/*
 * fdtable.c - file descriptor numbers of the application.
 *
 * One table shared by all threads (CLONE_FILES). It grows by doubling up
 * to RLIMIT_NOFILE; fd_get() returns a referenced file so a concurrent
 * close() cannot free it under a running syscall.
 */
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/task.h"
#include "mm/kmalloc.h"

#define INITIAL_FDS 64

struct fdtable *fdtable_create(void)
{
    struct fdtable *t = kzalloc(sizeof(*t));

    if (t == NULL)
        return NULL;
    t->fd = kzalloc(INITIAL_FDS * sizeof(struct file *));
    t->cloexec = kzalloc(INITIAL_FDS);
    if (t->fd == NULL || t->cloexec == NULL) {
        kfree(t->fd);
        kfree(t->cloexec);
        kfree(t);
        return NULL;
    }
    t->size = INITIAL_FDS;
    t->refs = 1;
    spin_init(&t->lock);
    return t;
}

void fdtable_put(struct fdtable *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (unsigned int i = 0; i < t->size; i++)
        file_put(t->fd[i]);
    kfree(t->fd);
    kfree(t->cloexec);
    kfree(t);
}

static struct fdtable *table(void)
{
    return current_process()->files;
}

static unsigned int nofile_limit(void)
{
    uint64_t lim = current_process()->rlimits[RLIMIT_NOFILE].rlim_cur;
    return lim > (1u << 20) ? (1u << 20) : (unsigned int)lim;
}

struct file *fd_get(int fd)
{
    struct fdtable *t = table();
    struct file *f = NULL;
    uint64_t flags;

    if (fd < 0)
        return NULL;
    flags = spin_lock_irqsave(&t->lock);
    if ((unsigned int)fd < t->size && t->fd[fd] != NULL) {
        f = t->fd[fd];
        file_get(f);
    }
    spin_unlock_irqrestore(&t->lock, flags);
    return f;
}

/* Make room for fd; called without the lock, returns 0 or -EMFILE/-ENOMEM. */
static int grow(struct fdtable *t, unsigned int fd)
{
    unsigned int newsize;
    struct file **nfd;
    uint8_t *ncl;
    uint64_t flags;

    if (fd >= nofile_limit())
        return -EMFILE;
    newsize = t->size;
    while (newsize <= fd)
        newsize *= 2;
    nfd = kzalloc(newsize * sizeof(struct file *));
    ncl = kzalloc(newsize);
    if (nfd == NULL || ncl == NULL) {
        kfree(nfd);
        kfree(ncl);
        return -ENOMEM;
    }
    flags = spin_lock_irqsave(&t->lock);
    if (t->size >= newsize) {
        /* Someone else grew it meanwhile. */
        spin_unlock_irqrestore(&t->lock, flags);
        kfree(nfd);
        kfree(ncl);
        return 0;
    }
    memcpy(nfd, t->fd, t->size * sizeof(struct file *));
    memcpy(ncl, t->cloexec, t->size);
    struct file **ofd = t->fd;
    uint8_t *ocl = t->cloexec;
    t->fd = nfd;
    t->cloexec = ncl;
    t->size = newsize;
    spin_unlock_irqrestore(&t->lock, flags);
    kfree(ofd);
    kfree(ocl);
    return 0;
}

int fd_install(struct file *f, bool cloexec, int min)
{
    struct fdtable *t = table();
    unsigned int limit = nofile_limit();

    if (min < 0)
        return -EINVAL;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&t->lock);
        for (unsigned int i = (unsigned int)min; i < t->size && i < limit; i++) {
            if (t->fd[i] == NULL) {
                t->fd[i] = f;
                t->cloexec[i] = cloexec;
                spin_unlock_irqrestore(&t->lock, flags);
                return (int)i;
            }
        }
        unsigned int want = MAX(t->size, (unsigned int)min);
        spin_unlock_irqrestore(&t->lock, flags);
        if (want >= limit)
            return -EMFILE;
        int err = grow(t, want);
        if (err != 0)
            return err;
    }
}

int fd_check_room(void)
{
    struct fdtable *t = table();
    unsigned int limit = nofile_limit();
    uint64_t flags = spin_lock_irqsave(&t->lock);
    int err = t->size < limit ? 0 : -EMFILE;

    for (unsigned int i = 0; err != 0 && i < t->size && i < limit; i++) {
        if (t->fd[i] == NULL)
            err = 0;
    }
    spin_unlock_irqrestore(&t->lock, flags);
    return err;
}

int fd_install_at(struct file *f, int fd, bool cloexec)
{
    struct fdtable *t = table();
    struct file *old;
    uint64_t flags;

    if (fd < 0 || (unsigned int)fd >= nofile_limit())
        return -EBADF;
    if ((unsigned int)fd >= t->size) {
        int err = grow(t, (unsigned int)fd);
        if (err != 0)
            return err;
    }
    flags = spin_lock_irqsave(&t->lock);
    old = t->fd[fd];
    t->fd[fd] = f;
    t->cloexec[fd] = cloexec;
    spin_unlock_irqrestore(&t->lock, flags);
    locks_close_posix(old);
    file_put(old);
    return 0;
}

int fd_close(int fd)
{
    struct fdtable *t = table();
    struct file *f = NULL;
    uint64_t flags;

    if (fd < 0)
        return -EBADF;
    flags = spin_lock_irqsave(&t->lock);
    if ((unsigned int)fd < t->size) {
        f = t->fd[fd];
        t->fd[fd] = NULL;
        t->cloexec[fd] = 0;
    }
    spin_unlock_irqrestore(&t->lock, flags);
    if (f == NULL)
        return -EBADF;
    locks_close_posix(f);
    file_put(f);
    return 0;
}

/*
 * The application is over: close every descriptor, as Linux does when the
 * last thread exits, so that files unlinked while open are freed on their
 * file system before it is synced. Other threads may still hold files they
 * are using; those stay until the machine goes down.
 */
void vfs_close_all(void)
{
    struct fdtable *t = table();

    for (unsigned int i = 0;; i++) {
        uint64_t flags = spin_lock_irqsave(&t->lock);
        bool open;
        if (i >= t->size) {
            spin_unlock_irqrestore(&t->lock, flags);
            return;
        }
        open = t->fd[i] != NULL;
        spin_unlock_irqrestore(&t->lock, flags);
        if (open)
            fd_close((int)i);
    }
}

int fd_get_cloexec(int fd)
{
    struct fdtable *t = table();
    int r = -EBADF;
    uint64_t flags = spin_lock_irqsave(&t->lock);

    if (fd >= 0 && (unsigned int)fd < t->size && t->fd[fd] != NULL)
        r = t->cloexec[fd];
    spin_unlock_irqrestore(&t->lock, flags);
    return r;
}

int fd_set_cloexec(int fd, bool on)
{
    struct fdtable *t = table();
    int r = -EBADF;
    uint64_t flags = spin_lock_irqsave(&t->lock);

    if (fd >= 0 && (unsigned int)fd < t->size && t->fd[fd] != NULL) {
        t->cloexec[fd] = on;
        r = 0;
    }
    spin_unlock_irqrestore(&t->lock, flags);
    return r;
}

void fd_foreach(void (*fn)(int fd, struct file *f, void *ctx), void *ctx)
{
    struct fdtable *t = table();

    for (unsigned int i = 0;; i++) {
        struct file *f = NULL;
        uint64_t flags = spin_lock_irqsave(&t->lock);
        if (i >= t->size) {
            spin_unlock_irqrestore(&t->lock, flags);
            return;
        }
        if (t->fd[i] != NULL) {
            f = t->fd[i];
            file_get(f);
        }
        spin_unlock_irqrestore(&t->lock, flags);
        if (f != NULL) {
            fn((int)i, f, ctx);
            file_put(f);
        }
    }
}
