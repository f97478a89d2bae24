/*
 * sys_thread.c - threads and process identity: clone, exit, ids,
 * arch_prctl, scheduling and CPU affinity.
 *
 * EggOS runs one process: clone() must create a thread (CLONE_VM |
 * CLONE_THREAD | CLONE_SIGHAND, as Go and musl do); a new process (fork,
 * vfork, clone without CLONE_THREAD) and execve answer ENOSYS.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/entry.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"
#include "sched/smp.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

/* A new user thread's first code: leave for user space through its frame. */
static void user_thread_entry(void *arg)
{
    struct thread *th = current_thread();

    (void)arg;
    irq_disable();
    exit_to_user(th->utf);
    enter_user(th->utf);
}

/* Spread new threads over the online CPUs. */
static int pick_cpu(void)
{
    static unsigned int next;
    unsigned int n = ncpus;

    for (unsigned int i = 0; i < n; i++) {
        unsigned int c = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % n;
        if (cpus[c] != NULL && cpus[c]->online)
            return (int)c;
    }
    return (int)cpu_id();
}

static long do_clone(uint64_t flags, uint64_t newsp, int *parent_tid, int *child_tid, uint64_t tls)
{
    const uint64_t required = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
    const uint64_t known = CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                           CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                           CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_IO;
    struct thread *parent = current_thread();
    struct task *ptask = current_task();
    struct process *p = ptask->proc;
    struct thread *child;
    struct task *ct;
    uint64_t irq;

    if ((flags & required) != required) {
        static bool warned;
        if (!warned) {
            warned = true;
            printk(LOG_WARNING, "eggos: clone without CLONE_THREAD (a new process) is not "
                                "supported: returning ENOSYS\n");
        }
        return -ENOSYS;
    }
    if (flags & ~known)
        return -EINVAL;

    child = thread_create("user", user_thread_entry, NULL);
    if (child == NULL)
        return -EAGAIN;
    if (fpu_clone(child, parent) != 0)
        goto fail_thread;
    child->mm = parent->mm;
    child->cpus_allowed = parent->cpus_allowed; /* as on Linux, a thread inherits its creator's */
    child->fs_base = (flags & CLONE_SETTLS) ? tls : parent->fs_base;
    /* The child returns from the same syscall with RAX = 0 on its new stack. */
    *child->utf = *parent->utf;
    child->utf->rax = 0;
    if (newsp != 0)
        child->utf->rsp = newsp;

    ct = task_create(p, child);
    if (ct == NULL)
        goto fail_fpu;
    strscpy(child->name, p->comm, sizeof(child->name));
    irq = spin_lock_irqsave(&p->lock);
    ct->blocked = ptask->blocked;
    spin_unlock_irqrestore(&p->lock, irq);
    /* A thread sharing the address space starts without an alternate stack. */
    ct->altstack.ss_flags = SS_DISABLE;
    if (flags & CLONE_CHILD_CLEARTID)
        ct->clear_child_tid = (uintptr_t)child_tid;
    if ((flags & CLONE_PARENT_SETTID) && put_user_u32(parent_tid, (uint32_t)child->tid) != 0)
        goto fail_task;
    if ((flags & CLONE_CHILD_SETTID) && put_user_u32(child_tid, (uint32_t)child->tid) != 0)
        goto fail_task;
    irq = spin_lock_irqsave(&p->mm->lock);
    p->mm->refs++;
    spin_unlock_irqrestore(&p->mm->lock, irq);
    thread_start(child, pick_cpu());
    return child->tid;

fail_task:
    irq = spin_lock_irqsave(&p->lock);
    list_del(&ct->proc_link);
    p->nthreads--;
    spin_unlock_irqrestore(&p->lock, irq);
    kfree(ct);
    child->task = NULL;
fail_fpu:
    /* The thread never ran: reap it directly. */
fail_thread:
    child->state = THREAD_DEAD;
    thread_discard(child);
    return -EAGAIN;
}

SYSCALL_DEFINE5(clone, uint64_t, flags, uint64_t, newsp, int *, parent_tid, int *, child_tid,
                uint64_t, tls)
{
    return do_clone(flags, newsp, parent_tid, child_tid, tls);
}

struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

SYSCALL_DEFINE2(clone3, struct clone_args *, uargs, size_t, size)
{
    struct clone_args a = {0};

    if (size < 64 || size > 4096)
        return -EINVAL;
    if (copy_from_user(&a, uargs, MIN(size, sizeof(a))) != 0)
        return -EFAULT;
    if (a.exit_signal != 0 || a.set_tid_size != 0)
        return -ENOSYS;
    return do_clone(a.flags, a.stack != 0 ? a.stack + a.stack_size : 0, (int *)a.parent_tid,
                    (int *)a.child_tid, a.tls);
}

SYSCALL_DEFINE0(fork)
{
    return -ENOSYS;
}

SYSCALL_DEFINE0(vfork)
{
    return -ENOSYS;
}

SYSCALL_DEFINE3(execve, const char *, path, char *const *, argv, char *const *, envp)
{
    (void)path;
    (void)argv;
    (void)envp;
    return -ENOSYS;
}

SYSCALL_DEFINE4(wait4, int, pid, int *, status, int, options, void *, rusage)
{
    (void)pid;
    (void)status;
    (void)options;
    (void)rusage;
    return -ECHILD; /* there are never child processes */
}

SYSCALL_DEFINE1(exit, int, status)
{
    task_exit(status);
}

SYSCALL_DEFINE1(exit_group, int, status)
{
    process_exit(status);
}

SYSCALL_DEFINE1(set_tid_address, int *, tidptr)
{
    current_task()->clear_child_tid = (uintptr_t)tidptr;
    return current_task()->tid;
}

SYSCALL_DEFINE0(gettid)
{
    return current_task()->tid;
}

SYSCALL_DEFINE0(getpid)
{
    return current_process()->pid;
}

SYSCALL_DEFINE0(getppid)
{
    return 0; /* like init: started by the kernel */
}

SYSCALL_DEFINE1(getpgid, int, pid)
{
    if (pid != 0 && pid != current_process()->pid)
        return -ESRCH;
    return current_process()->pid;
}

SYSCALL_DEFINE0(getpgrp)
{
    return current_process()->pid;
}

SYSCALL_DEFINE2(setpgid, int, pid, int, pgid)
{
    if ((pid != 0 && pid != current_process()->pid) || pgid < 0)
        return pgid < 0 ? -EINVAL : -ESRCH;
    return 0;
}

SYSCALL_DEFINE1(getsid, int, pid)
{
    if (pid != 0 && pid != current_process()->pid)
        return -ESRCH;
    return current_process()->pid;
}

SYSCALL_DEFINE0(setsid)
{
    return -EPERM; /* already a session and group leader (pid 1) */
}

SYSCALL_DEFINE2(arch_prctl, int, code, uint64_t, addr)
{
    struct thread *th = current_thread();

    switch (code) {
    case ARCH_SET_FS:
        if (addr >= USER_TOP)
            return -EPERM;
        th->fs_base = addr;
        wrmsr(MSR_FS_BASE, addr);
        return 0;
    case ARCH_GET_FS:
        return put_user_u64((void *)addr, th->fs_base);
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        return -EINVAL; /* the kernel uses GS; applications on x86-64 Linux rarely do */
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE0(sched_yield)
{
    sched_yield();
    return 0;
}

/*
 * CPU affinity per thread (the scheduler enforces it, sched/sched.h) over
 * CPUs 0-63. pid is a thread id (0: the caller; the process id names the
 * main thread); another thread is looked at under the process lock, so it
 * cannot exit meanwhile. The set is as many bytes as cover the CPUs,
 * rounded up to 8, as Linux's sched_getaffinity returns.
 */
static long affinity(int pid, bool set, uint64_t *mask)
{
    struct process *p = current_process();
    struct task *t;
    uint64_t irq;
    long err = 0;

    if (pid < 0)
        return -EINVAL;
    if (pid == 0 || pid == current_task()->tid) {
        if (set)
            return sched_set_affinity(current_thread(), *mask);
        *mask = sched_get_affinity(current_thread());
        return 0;
    }
    irq = spin_lock_irqsave(&p->lock);
    t = task_find(p, pid);
    if (t == NULL)
        err = -ESRCH;
    else if (set)
        err = sched_set_affinity(t->thread, *mask);
    else
        *mask = sched_get_affinity(t->thread);
    spin_unlock_irqrestore(&p->lock, irq);
    return err;
}

static size_t affinity_bytes(void)
{
    return ALIGN_UP(MAX((size_t)(ncpus + 7) / 8, (size_t)8), 8ul);
}

SYSCALL_DEFINE3(sched_getaffinity, int, pid, size_t, len, uint8_t *, umask)
{
    size_t bytes = affinity_bytes();
    uint64_t mask;
    long err;

    if (len < bytes || (len & 7) != 0)
        return -EINVAL;
    err = affinity(pid, false, &mask);
    if (err != 0)
        return err;
    if (clear_user(umask, bytes) != 0 || copy_to_user(umask, &mask, sizeof(mask)) != 0)
        return -EFAULT;
    return (long)bytes;
}

/* Bits past the first 64 CPUs are ignored (there are no such CPUs online). */
SYSCALL_DEFINE3(sched_setaffinity, int, pid, size_t, len, const uint8_t *, umask)
{
    uint64_t mask = 0;

    if (copy_from_user(&mask, umask, MIN(len, sizeof(mask))) != 0)
        return -EFAULT;
    return affinity(pid, true, &mask);
}

SYSCALL_DEFINE1(sched_getscheduler, int, pid)
{
    (void)pid;
    return 0; /* SCHED_OTHER */
}

SYSCALL_DEFINE2(sched_getparam, int, pid, int *, param)
{
    (void)pid;
    return put_user_u32(param, 0);
}

SYSCALL_DEFINE1(sched_get_priority_max, int, policy)
{
    return policy == 0 ? 0 : 99;
}

SYSCALL_DEFINE1(sched_get_priority_min, int, policy)
{
    return policy == 0 ? 0 : 1;
}

SYSCALL_DEFINE2(getpriority, int, which, int, who)
{
    (void)which;
    (void)who;
    return 20; /* nice 0, as the kernel encodes it (20 - nice) */
}

SYSCALL_DEFINE3(setpriority, int, which, int, who, int, prio)
{
    (void)which;
    (void)who;
    (void)prio;
    return 0;
}

SYSCALL_DEFINE3(getcpu, unsigned int *, cpu, unsigned int *, node, void *, cache)
{
    (void)cache;
    if (cpu != NULL && put_user_u32(cpu, cpu_id()) != 0)
        return -EFAULT;
    if (node != NULL && put_user_u32(node, 0) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE4(rseq, void *, rseq, uint32_t, len, int, flags, uint32_t, sig)
{
    (void)rseq;
    (void)len;
    (void)flags;
    (void)sig;
    return -ENOSYS;
}

SYSCALL_DEFINE3(membarrier, int, cmd, unsigned int, flags, int, cpu)
{
    (void)flags;
    (void)cpu;
    if (cmd == 0)
        return 0; /* MEMBARRIER_CMD_QUERY: nothing supported */
    return -EINVAL;
}
