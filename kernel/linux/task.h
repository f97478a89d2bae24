/*
 * task.h - the application as Linux sees it: one process, many threads.
 *
 * EggOS runs one application. It is a `struct process` (pid 1, as init on
 * Linux) with an address space, a file table, signal actions and limits,
 * shared by its threads. Each thread is a kernel `struct thread` plus a
 * `struct task` with what Linux keeps per thread: tid, signal mask and
 * pending signals, alternate stack, clear-child-tid address.
 *
 * Locking: proc->lock guards the thread list, signal actions, the shared
 * pending set and exit state; a task's own pending set and mask are also
 * guarded by proc->lock (signals move between them). Never copy to or from
 * user memory with it held.
 */
#pragma once

#include "linux/uapi.h"
#include "mm/vm.h"
#include "sched/thread.h"
#include "sched/waitq.h"

struct fdtable;
struct fs_context;

struct sigqueue_entry {
    struct k_siginfo info;
};

/* Pending signals: one set bit and one siginfo per signal number. */
struct sigpending {
    uint64_t set;
    struct k_siginfo info[NSIG];
};

struct process {
    int pid;
    spinlock_t lock;
    struct list_head threads; /* struct task, guarded by lock */
    unsigned int nthreads;
    struct mm *mm;
    struct fdtable *files;
    struct fs_context *fs;
    struct k_sigaction actions[NSIG + 1]; /* guarded by lock */
    struct sigpending shared_pending;     /* guarded by lock */
    struct k_rlimit rlimits[RLIM_NLIMITS];
    uint32_t umask;
    bool exiting; /* exit_group in progress: every thread leaves */
    int exit_status;
    int fatal_signal; /* 0, or the signal that killed it */
    uint64_t start_ns;
    uint64_t dead_threads_cpu_ns; /* CPU time of exited threads */
    char comm[16];
    char exe[256];
    char *cmdline; /* argv strings, NUL-separated (for /proc/self/cmdline) */
    size_t cmdline_len;
    char *environ; /* envp strings, NUL-separated */
    size_t environ_len;
    void *auxv; /* the auxiliary vector exec gave it, AT_NULL included (/proc/self/auxv) */
    size_t auxv_len;
    /* Interval timers (setitimer) and POSIX timers live in timers.c. */
    struct posix_timers *timers;
    struct waitq exit_wq; /* woken as threads exit */
};

struct task {
    struct thread *thread;
    struct process *proc;
    int tid;
    struct list_head proc_link; /* on proc->threads */
    uint64_t blocked;           /* signal mask */
    uint64_t real_blocked;      /* rt_sigtimedwait: the mask while the wait set is unblocked */
    struct sigpending pending;  /* thread-directed signals */
    k_stack_t altstack;
    uintptr_t clear_child_tid;
    uintptr_t robust_list;
    size_t robust_len;
    long syscall_nr;      /* the syscall in progress, -1 outside one */
    bool full_restore;    /* return through IRET (rt_sigreturn changed every register) */
    bool restore_sigmask; /* sigsuspend/ppoll/pselect: put saved_sigmask back */
    uint64_t saved_sigmask;
    uint64_t user_ns, sys_ns; /* CPU time split (approximate) */
};

static inline struct task *current_task(void)
{
    return current_thread()->task;
}

static inline struct process *current_process(void)
{
    return current_thread()->task->proc;
}

/* The application (NULL before it starts). */
extern struct process *init_process;

/* Find a thread of the application by tid; NULL if none. Caller holds proc->lock. */
struct task *task_find(struct process *p, int tid);

/*
 * task_exit ends the calling thread (exit(2)) with status; the last thread
 * ends the application and the machine. Never returns.
 */
void task_exit(int status) __noreturn;

/* exit_group(2): every thread ends; the machine exits with status. */
void process_exit(int status) __noreturn;

/* Kill the application with a signal's default action (128+sig). */
void process_kill(int sig) __noreturn;

/* Creation (process.c): a process with defaults, and a task for a thread. */
struct process *process_create(int pid);
struct task *task_create(struct process *p, struct thread *th);

/*
 * exec_application loads the static ELF at path into a fresh address space
 * of p and turns the calling kernel thread into its first user thread.
 * Returns only on failure (-errno, with a message printed).
 */
int exec_application(struct process *p, const char *path, char *const argv[], unsigned int argc,
                     char *const envp[], unsigned int envc);
