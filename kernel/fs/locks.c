/*
 * locks.c - advisory file locks: fcntl F_GETLK/F_SETLK/F_SETLKW (POSIX
 * locks, owned by the process), F_OFD_* (owned by the open file
 * description) and flock(2) (whole-file, owned by the open file).
 *
 * All locks of the system sit in one list, guarded by locks_lock; the
 * range arithmetic is lockrange.c. A request that conflicts either fails
 * (EAGAIN) or, for F_SETLKW and flock without LOCK_NB, sleeps on locks_wq
 * until some lock is released or a signal arrives (EINTR). Deadlock
 * detection is not done.
 *
 * Release, as POSIX says: closing any fd of a file drops the process's
 * POSIX locks on it (fdtable.c calls locks_close_posix); the last close of
 * an open file drops its OFD and flock locks (file.c calls
 * locks_release_file).
 */
#include "fs/internal.h"
#include "fs/lockrange.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "sched/mutex.h"
#include "sched/waitq.h"

#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* Linux struct flock (x86-64), 32 bytes. */
struct k_flock {
    int16_t l_type;
    int16_t l_whence;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
    int32_t pad;
};
_Static_assert(sizeof(struct k_flock) == 32, "struct flock");

static struct mutex locks_lock = MUTEX_INIT(locks_lock);
static LIST_HEAD(all_locks);                         /* guarded by locks_lock */
static struct waitq locks_wq = WAITQ_INIT(locks_wq); /* woken whenever a lock goes */
static bool locks_used;    /* any lock ever taken: close paths skip otherwise */
static uint64_t locks_gen; /* bumped under locks_lock by every release; waiters watch it */

static void free_list(struct list_head *freed)
{
    struct lock_entry *e, *tmp;

    list_for_each_entry_safe (e, tmp, freed, link)
        kfree(e);
}

/*
 * Set (or clear) req. With wait, sleep while it conflicts. Returns 0,
 * -EAGAIN, -EINTR or -ENOMEM.
 */
static int lock_set(struct lock_entry *req, bool wait)
{
    struct lock_entry *spare[2] = {kmalloc(sizeof(struct lock_entry), 0),
                                   kmalloc(sizeof(struct lock_entry), 0)};
    LIST_HEAD(freed);
    int err = 0;

    if (spare[0] == NULL || spare[1] == NULL) {
        kfree(spare[0]);
        kfree(spare[1]);
        return -ENOMEM;
    }
    for (;;) {
        uint64_t seen;
        mutex_lock(&locks_lock);
        if (req->type == LOCK_UNLOCK || lockset_conflict(&all_locks, req) == NULL) {
            lockset_apply(&all_locks, req, spare, &freed);
            locks_used = true;
            /* Converting or shrinking a lock may free what others wait for. */
            locks_gen++;
            mutex_unlock(&locks_lock);
            break;
        }
        seen = locks_gen;
        mutex_unlock(&locks_lock);
        if (!wait) {
            err = -EAGAIN;
            break;
        }
        /* Sleep until some lock changes, then look again. */
        err = wait_event(&locks_wq, READ_ONCE(locks_gen) != seen, 0, SLEEP_INTERRUPTIBLE);
        if (err != 0)
            break;
    }
    kfree(spare[0]);
    kfree(spare[1]);
    if (err == 0)
        waitq_wake_all(&locks_wq);
    free_list(&freed);
    return err;
}

/* The byte range a struct flock names, relative to f. 0 or -EINVAL. */
static int flock_range(struct file *f, const struct k_flock *fl, uint64_t *start, uint64_t *end)
{
    int64_t base;

    switch (fl->l_whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = (int64_t)file_inode(f)->size;
        break;
    default:
        return -EINVAL;
    }
    if (__builtin_add_overflow(base, fl->l_start, &base))
        return -EOVERFLOW;
    if (fl->l_len > 0) {
        int64_t last;
        if (__builtin_add_overflow(base, fl->l_len - 1, &last))
            return -EOVERFLOW;
        if (base < 0)
            return -EINVAL;
        *start = (uint64_t)base;
        *end = (uint64_t)last;
    } else if (fl->l_len < 0) {
        /* [start + len, start - 1] */
        if (base + fl->l_len < 0)
            return -EINVAL;
        *start = (uint64_t)(base + fl->l_len);
        *end = (uint64_t)base - 1;
    } else {
        if (base < 0)
            return -EINVAL;
        *start = (uint64_t)base;
        *end = LOCK_END_MAX;
    }
    return 0;
}

long fcntl_lock(struct file *f, unsigned int cmd, void *arg)
{
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    struct lock_entry req = {.space = LOCK_SPACE_POSIX};
    struct k_flock fl;
    int err;

    if (copy_from_user(&fl, arg, sizeof(fl)) != 0)
        return -EFAULT;
    if (file_inode(f) == NULL || (f->flags & O_PATH))
        return -EBADF;
    if (fl.l_type != LOCK_RD && fl.l_type != LOCK_WR && fl.l_type != LOCK_UNLOCK)
        return -EINVAL;
    if (ofd && fl.l_pid != 0)
        return -EINVAL;
    err = flock_range(f, &fl, &req.start, &req.end);
    if (err != 0)
        return err;
    req.key = file_inode(f);
    req.type = fl.l_type;
    req.owner = ofd ? (const void *)f : (const void *)current_process();
    req.pid = ofd ? -1 : current_process()->pid;

    if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
        struct lock_entry *c;
        if (fl.l_type == LOCK_UNLOCK)
            return -EINVAL;
        mutex_lock(&locks_lock);
        c = lockset_conflict(&all_locks, &req);
        if (c == NULL) {
            fl.l_type = LOCK_UNLOCK;
        } else {
            fl.l_type = (int16_t)c->type;
            fl.l_whence = SEEK_SET;
            fl.l_start = (int64_t)c->start;
            fl.l_len = c->end == LOCK_END_MAX ? 0 : (int64_t)(c->end - c->start + 1);
            fl.l_pid = c->pid;
        }
        mutex_unlock(&locks_lock);
        return copy_to_user(arg, &fl, sizeof(fl));
    }
    if ((fl.l_type == LOCK_RD && !file_readable(f)) || (fl.l_type == LOCK_WR && !file_writable(f)))
        return -EBADF;
    return lock_set(&req, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

SYSCALL_DEFINE2(flock, int, fd, int, op)
{
    struct file *f = fd_get(fd);
    struct lock_entry req = {.space = LOCK_SPACE_FLOCK, .start = 0, .end = LOCK_END_MAX, .pid = -1};
    long err;

    if (f == NULL)
        return -EBADF;
    switch (op & ~LOCK_NB) {
    case LOCK_SH:
        req.type = LOCK_RD;
        break;
    case LOCK_EX:
        req.type = LOCK_WR;
        break;
    case LOCK_UN:
        req.type = LOCK_UNLOCK;
        break;
    default:
        file_put(f);
        return -EINVAL;
    }
    if (file_inode(f) == NULL || (f->flags & O_PATH)) {
        file_put(f);
        return -EBADF;
    }
    req.key = file_inode(f);
    req.owner = f;
    err = lock_set(&req, !(op & LOCK_NB));
    file_put(f);
    return err; /* EWOULDBLOCK is EAGAIN */
}

/* Drop every lock of (key, owner, space) and wake the waiters. */
static void remove_owner(const void *key, const void *owner, int space)
{
    LIST_HEAD(freed);

    mutex_lock(&locks_lock);
    lockset_remove_owner(&all_locks, key, owner, space, &freed);
    if (!list_empty(&freed))
        locks_gen++;
    mutex_unlock(&locks_lock);
    if (!list_empty(&freed)) {
        free_list(&freed);
        waitq_wake_all(&locks_wq);
    }
}

void locks_close_posix(struct file *f)
{
    if (!READ_ONCE(locks_used) || f == NULL || file_inode(f) == NULL)
        return;
    remove_owner(file_inode(f), current_process(), LOCK_SPACE_POSIX);
}

void locks_release_file(struct file *f)
{
    if (!READ_ONCE(locks_used) || file_inode(f) == NULL)
        return;
    remove_owner(file_inode(f), f, LOCK_SPACE_POSIX); /* OFD locks */
    remove_owner(file_inode(f), f, LOCK_SPACE_FLOCK);
}
