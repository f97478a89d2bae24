/*
 * process.c - the application process and its threads: creation of the
 * first thread, thread lookup, and every way the application ends.
 *
 * The application is the only process: when it ends, the machine ends.
 * Its exit status (or 128+N when killed by signal N) becomes the machine's
 * exit status (core/panic.c machine_exit).
 */
#include "arch/x86_64/context.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/time.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/futex.h"
#include "linux/signal.h"
#include "linux/task.h"
#include "linux/timers.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

struct process *init_process;

struct task *task_find(struct process *p, int tid)
{
    struct task *t;

    assert_held(&p->lock);
    list_for_each_entry (t, &p->threads, proc_link) {
        if (t->tid == tid)
            return t;
    }
    return NULL;
}

/* Hooks for closing files and syncing file systems before the machine goes down (fs/). */
void __weak vfs_close_all(void)
{
}

void __weak vfs_sync_all(void)
{
}

static __noreturn void application_over(int status)
{
    struct process *p = current_process();

    /* Stores through shared file mappings, then the files, then the disks. */
    if (p != NULL && p->mm != NULL)
        vm_writeback_all(p->mm);
    vfs_close_all();
    vfs_sync_all();
    machine_exit(status & 0xff);
}

void process_kill(int sig)
{
    struct process *p = current_process();

    printk(LOG_ERR, "eggos: application killed by signal %d (%s)\n", sig, signal_name(sig));
    p->fatal_signal = sig;
    application_over(128 + sig);
}

void process_exit(int status)
{
    struct process *p = current_process();
    uint64_t flags = spin_lock_irqsave(&p->lock);

    p->exiting = true;
    p->exit_status = status & 0xff;
    spin_unlock_irqrestore(&p->lock, flags);
    printk(LOG_INFO, "eggos: application exited with status %d\n", status & 0xff);
    application_over(status);
}

void task_exit(int status)
{
    struct task *t = current_task();
    struct process *p = t->proc;
    struct thread *th = current_thread();
    bool last;
    uint64_t flags;

    /* CLONE_CHILD_CLEARTID: clear the tid word and wake a joiner. */
    if (t->clear_child_tid != 0) {
        if (put_user_u32((void *)t->clear_child_tid, 0) == 0)
            futex_wake_address(t->clear_child_tid, 1);
    }
    timers_thread_exit(th);
    flags = spin_lock_irqsave(&p->lock);
    list_del(&t->proc_link);
    last = --p->nthreads == 0;
    p->dead_threads_cpu_ns += th->runtime_ns;
    /* Signals pending on this thread go to the process (as Linux does). */
    spin_unlock_irqrestore(&p->lock, flags);
    if (last) {
        if (p->exiting)
            application_over(p->exit_status);
        printk(LOG_INFO, "eggos: application exited with status %d\n", status & 0xff);
        application_over(status);
    }
    irq_disable();
    th->task = NULL;
    kfree(t);
    thread_exit();
}

/* Defaults for a new process: limits and dispositions as on Linux. */
static void process_defaults(struct process *p)
{
    for (int i = 0; i < RLIM_NLIMITS; i++)
        p->rlimits[i] = (struct k_rlimit){RLIM_INFINITY, RLIM_INFINITY};
    p->rlimits[RLIMIT_STACK] = (struct k_rlimit){8ul << 20, RLIM_INFINITY};
    p->rlimits[RLIMIT_NOFILE] = (struct k_rlimit){1024, 524288};
    p->rlimits[RLIMIT_CORE] = (struct k_rlimit){0, RLIM_INFINITY};
    p->rlimits[RLIMIT_MEMLOCK] = (struct k_rlimit){8ul << 20, 8ul << 20};
    p->rlimits[RLIMIT_NPROC] = (struct k_rlimit){65536, 65536};
    p->rlimits[RLIMIT_SIGPENDING] = (struct k_rlimit){65536, 65536};
    p->rlimits[RLIMIT_MSGQUEUE] = (struct k_rlimit){819200, 819200};
    p->rlimits[RLIMIT_NICE] = (struct k_rlimit){0, 0};
    p->rlimits[RLIMIT_RTPRIO] = (struct k_rlimit){0, 0};
    p->umask = 022;
}

struct process *process_create(int pid)
{
    struct process *p = kzalloc(sizeof(*p));
    struct fs_context *fs = kzalloc(sizeof(*fs));

    if (p == NULL || fs == NULL) {
        kfree(p);
        kfree(fs);
        return NULL;
    }
    p->pid = pid;
    spin_init(&p->lock);
    list_init(&p->threads);
    waitq_init(&p->exit_wq);
    spin_init(&fs->lock);
    fs->root = root_path;
    path_get(&fs->root);
    fs->cwd = root_path;
    path_get(&fs->cwd);
    p->fs = fs;
    p->start_ns = ktime_ns();
    process_defaults(p);
    return p;
}

struct task *task_create(struct process *p, struct thread *th)
{
    struct task *t = kzalloc(sizeof(*t));
    uint64_t flags;

    if (t == NULL)
        return NULL;
    t->thread = th;
    t->proc = p;
    t->tid = th->tid;
    t->syscall_nr = -1;
    t->altstack.ss_flags = SS_DISABLE;
    /* As on Linux, a new thread has its creator's timer slack. */
    th->timer_slack_ns =
        current_thread()->task != NULL ? current_thread()->timer_slack_ns : TIMER_SLACK_USER;
    th->task = t;
    flags = spin_lock_irqsave(&p->lock);
    list_add_tail(&t->proc_link, &p->threads);
    p->nthreads++;
    spin_unlock_irqrestore(&p->lock, flags);
    return t;
}
