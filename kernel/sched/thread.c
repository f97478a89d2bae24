/*
 * thread.c - creating, starting and ending kernel threads.
 *
 * A dead thread cannot free the stack it is running on, so thread_exit()
 * only marks it DEAD and switches away; the scheduler calls thread_reap()
 * from the next thread (sched.c, finish_switch).
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/vmap.h"
#include "sched/sched.h"
#include "core/printk.h"
#include "linux/task.h"
#include "sched/spinlock.h"

static spinlock_t threads_lock = SPINLOCK_INIT;
static LIST_HEAD(all_threads); /* guarded by threads_lock */
static unsigned int nthreads;  /* guarded by threads_lock */
static int next_tid = 2;       /* tid 1 is the application's main thread */

int tid_alloc(void)
{
    return __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    struct thread *t = kzalloc(sizeof(*t));
    uint64_t flags;

    if (t == NULL)
        return NULL;
    t->kstack = kstack_alloc();
    if (t->kstack == NULL) {
        kfree(t);
        return NULL;
    }
    strscpy(t->name, name, sizeof(t->name));
    t->tid = tid_alloc();
    t->state = THREAD_BLOCKED; /* not runnable until thread_start */
    t->cpu = cpu_id();
    t->cpus_allowed = CPUS_ALL;
    list_init(&t->rq_link);
    timer_init(&t->sleep_timer, NULL, NULL);
    arch_thread_init(t, fn, arg);

    flags = spin_lock_irqsave(&threads_lock);
    list_add_tail(&t->all_link, &all_threads);
    nthreads++;
    spin_unlock_irqrestore(&threads_lock, flags);
    return t;
}

void thread_start(struct thread *t, int cpu)
{
    sched_enqueue_new(t, cpu >= 0 ? cpu : (int)cpu_id());
}

void thread_exit(void)
{
    struct thread *t = current_thread();
    uint64_t flags = spin_lock_irqsave(&threads_lock);

    list_del(&t->all_link);
    nthreads--;
    spin_unlock_irqrestore(&threads_lock, flags);

    irq_disable();
    t->state = THREAD_DEAD;
    schedule();
    panic("thread_exit: dead thread %s ran again", t->name);
}

void thread_discard(struct thread *t)
{
    uint64_t flags = spin_lock_irqsave(&threads_lock);

    list_del(&t->all_link);
    nthreads--;
    spin_unlock_irqrestore(&threads_lock, flags);
    thread_reap(t);
}

void thread_reap(struct thread *t)
{
    timer_cancel(&t->sleep_timer);
    if (t->fpu_alloc != NULL)
        fpu_free(t);
    kstack_free(t->kstack);
    kfree(t);
}

void thread_dump(void)
{
    static const char *const states[] = {"runnable", "blocked", "dead"};
    struct thread *t;
    uint64_t flags;

    /* Called from NMI context too: never wait for the lock. */
    if (!spin_trylock_irqsave(&threads_lock, &flags)) {
        printk(LOG_EMERG, "thread dump: thread list busy\n");
        return;
    }
    printk(LOG_EMERG, "thread dump (%u threads):\n", nthreads);
    list_for_each_entry (t, &all_threads, all_link) {
        printk(LOG_EMERG, "  tid %-5d %-16s %-9s cpu %d run %lu ms%s", t->tid, t->name,
               states[t->state <= THREAD_DEAD ? t->state : 0], t->cpu, t->runtime_ns / 1000000,
               t->sigpending ? " sigpending" : "");
        if (t->task != NULL)
            printk(LOG_EMERG, " syscall %ld (%#lx, %#lx, %#lx) rip %#lx", t->task->syscall_nr,
                   t->utf->rdi, t->utf->rsi, t->utf->rdx, t->utf->rip);
        printk(LOG_EMERG, "\n");
    }
    spin_unlock_irqrestore(&threads_lock, flags);
}

unsigned int thread_count(void)
{
    return READ_ONCE(nthreads);
}
