/*
 * futex.c - futex(2): wait on a user address until another thread wakes it.
 *
 * Waiters hang on one of 256 hashed buckets, keyed by user address (one
 * application, one address space: private and shared futexes are the same
 * thing here). The value check and the enqueue happen under the bucket
 * lock, and a waker changes the value before taking that lock, so a wakeup
 * is never lost. Supported: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP,
 * WAIT_BITSET, WAKE_BITSET, with PRIVATE and CLOCK_REALTIME flags. PI
 * futexes answer ENOSYS.
 *
 * A waiter's key, and so its bucket, changes when it is requeued, always
 * under both buckets' locks: a waiter that gives up finds its bucket by
 * locking the one its key names and checking the key is still that.
 *
 * A signal ends a wait with EINTR, or, for a wait without a timeout,
 * restarts it after a SA_RESTART handler, as on Linux.
 */
#include "core/time.h"
#include "lib/errno.h"
#include "linux/futex.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "sched/sched.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define NBUCKETS 256

struct futex_waiter {
    uintptr_t key;
    uint32_t bitset;
    struct thread *thread;
    volatile bool woken;
    struct list_head link;
};

static struct bucket {
    spinlock_t lock;
    struct list_head waiters; /* guarded by lock */
} buckets[NBUCKETS];

static struct bucket *bucket_of(uintptr_t key)
{
    return &buckets[((key >> 2) * 0x9e3779b97f4a7c15ul) >> 56];
}

void futex_init(void)
{
    for (int i = 0; i < NBUCKETS; i++) {
        spin_init(&buckets[i].lock);
        list_init(&buckets[i].waiters);
    }
}

/* Wake up to n waiters on key whose bitset matches. Caller holds b->lock. */
static int wake_locked(struct bucket *b, uintptr_t key, int n, uint32_t bitset)
{
    struct futex_waiter *w, *tmp;
    int woken = 0;

    list_for_each_entry_safe (w, tmp, &b->waiters, link) {
        if (woken >= n)
            break;
        if (w->key != key || !(w->bitset & bitset))
            continue;
        list_del(&w->link);
        w->woken = true;
        thread_wake(w->thread);
        woken++;
    }
    return woken;
}

static int futex_wake(uintptr_t key, int n, uint32_t bitset)
{
    struct bucket *b = bucket_of(key);
    uint64_t flags;
    int woken;

    if (bitset == 0)
        return -EINVAL;
    flags = spin_lock_irqsave(&b->lock);
    woken = wake_locked(b, key, n, bitset);
    spin_unlock_irqrestore(&b->lock, flags);
    return woken;
}

int futex_wake_address(uintptr_t uaddr, int n)
{
    return futex_wake(uaddr, n, FUTEX_BITSET_MATCH_ANY);
}

static int futex_wait(uintptr_t key, uint32_t val, uint64_t deadline, uint32_t bitset)
{
    struct bucket *b = bucket_of(key);
    struct futex_waiter w = {.key = key, .bitset = bitset, .thread = current_thread()};
    uint32_t cur;
    uint64_t flags;
    int err;

    if (bitset == 0)
        return -EINVAL;
    if ((key & 3) != 0)
        return -EINVAL;
    flags = spin_lock_irqsave(&b->lock);
    err = get_user_u32(&cur, (const void *)key);
    if (err != 0) {
        spin_unlock_irqrestore(&b->lock, flags);
        return err;
    }
    if (cur != val) {
        spin_unlock_irqrestore(&b->lock, flags);
        return -EAGAIN;
    }
    list_add_tail(&w.link, &b->waiters);
    spin_unlock_irqrestore(&b->lock, flags);

    err = 0;
    for (;;) {
        sched_block(SLEEP_INTERRUPTIBLE);
        if (READ_ONCE(w.woken)) {
            sched_unblock_self();
            break;
        }
        if (signal_pending()) {
            sched_unblock_self();
            err = -EINTR;
            break;
        }
        if (deadline != 0 && ktime_ns() >= deadline) {
            sched_unblock_self();
            err = -ETIMEDOUT;
            break;
        }
        schedule_until(deadline);
    }
    if (err != 0) {
        /* Requeueing may have moved us: lock the bucket our key names now. */
        for (;;) {
            uintptr_t k = READ_ONCE(w.key);
            b = bucket_of(k);
            flags = spin_lock_irqsave(&b->lock);
            if (READ_ONCE(w.key) == k)
                break;
            spin_unlock_irqrestore(&b->lock, flags);
        }
        if (w.woken)
            err = 0; /* woken right as we gave up: report the wakeup */
        else
            list_del(&w.link);
        spin_unlock_irqrestore(&b->lock, flags);
    }
    if (err == -EINTR && deadline == 0)
        err = -ERESTARTSYS; /* restarted after an SA_RESTART handler, else EINTR */
    return err;
}

static void lock_two(struct bucket *a, struct bucket *b, uint64_t *flags)
{
    *flags = irq_save();
    if (a == b) {
        spin_acquire(&a->lock);
    } else if (a < b) {
        spin_acquire(&a->lock);
        spin_acquire(&b->lock);
    } else {
        spin_acquire(&b->lock);
        spin_acquire(&a->lock);
    }
}

static void unlock_two(struct bucket *a, struct bucket *b, uint64_t flags)
{
    spin_release(&a->lock);
    if (a != b)
        spin_release(&b->lock);
    irq_restore(flags);
}

static long futex_requeue(uintptr_t k1, uintptr_t k2, int nwake, int nrequeue, bool cmp,
                          uint32_t val3)
{
    struct bucket *b1 = bucket_of(k1), *b2 = bucket_of(k2);
    struct futex_waiter *w, *tmp;
    uint64_t flags;
    long done;
    int moved = 0;

    if (nwake < 0 || nrequeue < 0)
        return -EINVAL;
    lock_two(b1, b2, &flags);
    if (cmp) {
        uint32_t cur;
        if (get_user_u32(&cur, (const void *)k1) != 0) {
            unlock_two(b1, b2, flags);
            return -EFAULT;
        }
        if (cur != val3) {
            unlock_two(b1, b2, flags);
            return -EAGAIN;
        }
    }
    done = wake_locked(b1, k1, nwake, FUTEX_BITSET_MATCH_ANY);
    list_for_each_entry_safe (w, tmp, &b1->waiters, link) {
        if (moved >= nrequeue)
            break;
        if (w->key != k1)
            continue;
        list_del(&w->link);
        WRITE_ONCE(w->key, k2);
        list_add_tail(&w->link, &b2->waiters);
        moved++;
    }
    unlock_two(b1, b2, flags);
    return cmp ? done + moved : done;
}

static long futex_wake_op(uintptr_t k1, uintptr_t k2, int n1, int n2, uint32_t encoded)
{
    struct bucket *b1 = bucket_of(k1), *b2 = bucket_of(k2);
    int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
    uint32_t old;
    uint64_t flags;
    bool cond;
    long woken;

    if (encoded & (8u << 28))
        oparg = oparg < 32 ? 1u << oparg : 0;
    if (op > 4 || cmp > 5)
        return -ENOSYS;
    lock_two(b1, b2, &flags);
    if (!user_range_ok((void *)k2, 4) || raw_atomic_op_user32((void *)k2, op, oparg, &old) != 0) {
        unlock_two(b1, b2, flags);
        return -EFAULT;
    }
    switch (cmp) {
    case 0:
        cond = old == cmparg;
        break;
    case 1:
        cond = old != cmparg;
        break;
    case 2:
        cond = (int32_t)old < (int32_t)cmparg;
        break;
    case 3:
        cond = (int32_t)old <= (int32_t)cmparg;
        break;
    case 4:
        cond = (int32_t)old > (int32_t)cmparg;
        break;
    default:
        cond = (int32_t)old >= (int32_t)cmparg;
        break;
    }
    woken = wake_locked(b1, k1, n1, FUTEX_BITSET_MATCH_ANY);
    if (cond)
        woken += wake_locked(b2, k2, n2, FUTEX_BITSET_MATCH_ANY);
    unlock_two(b1, b2, flags);
    return woken;
}

SYSCALL_DEFINE6(futex, uint32_t *, uaddr, int, op, uint32_t, val, const struct k_timespec *, uts,
                uint32_t *, uaddr2, uint32_t, val3)
{
    int cmd = op & FUTEX_CMD_MASK;
    uint64_t deadline = 0;
    struct k_timespec ts;

    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
        if (uts != NULL) {
            if (copy_from_user(&ts, uts, sizeof(ts)) != 0)
                return -EFAULT;
            if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
                return -EINVAL;
            uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
            if (cmd == FUTEX_WAIT) {
                deadline = ktime_ns() + ns; /* relative */
            } else if (op & FUTEX_CLOCK_REALTIME) {
                uint64_t now = ktime_real_ns();
                deadline = ktime_ns() + (ns > now ? ns - now : 0);
            } else {
                deadline = ns; /* absolute monotonic */
            }
            if (deadline == 0)
                deadline = 1;
        }
        return futex_wait((uintptr_t)uaddr, val, deadline,
                          cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3);
    }
    switch (cmd) {
    case FUTEX_WAKE:
        return futex_wake((uintptr_t)uaddr, (int)MIN(val, (uint32_t)INT32_MAX),
                          FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
        return futex_wake((uintptr_t)uaddr, (int)MIN(val, (uint32_t)INT32_MAX), val3);
    case FUTEX_REQUEUE:
        return futex_requeue((uintptr_t)uaddr, (uintptr_t)uaddr2, (int)val, (int)(uintptr_t)uts,
                             false, 0);
    case FUTEX_CMP_REQUEUE:
        return futex_requeue((uintptr_t)uaddr, (uintptr_t)uaddr2, (int)val, (int)(uintptr_t)uts,
                             true, val3);
    case FUTEX_WAKE_OP:
        return futex_wake_op((uintptr_t)uaddr, (uintptr_t)uaddr2, (int)val, (int)(uintptr_t)uts,
                             val3);
    default:
        return -ENOSYS;
    }
}

SYSCALL_DEFINE2(set_robust_list, void *, head, size_t, len)
{
    struct task *t = current_task();

    if (len != 24)
        return -EINVAL;
    t->robust_list = (uintptr_t)head;
    t->robust_len = len;
    return 0;
}

SYSCALL_DEFINE3(get_robust_list, int, pid, void **, head, size_t *, len)
{
    struct task *t = current_task();

    if (pid != 0 && pid != t->tid)
        return -ESRCH;
    if (put_user_u64(head, t->robust_list) != 0 || put_user_u64(len, t->robust_len) != 0)
        return -EFAULT;
    return 0;
}
