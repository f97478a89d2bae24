/*
 * signal.h - POSIX signals for the application.
 *
 * Sending records a signal as pending on the process (kill) or on one
 * thread (tgkill, faults, timers) and wakes a thread that can take it.
 * Delivery happens on the way back to user space (exit_to_user): the
 * kernel builds Linux's exact rt_sigframe (return address = sa_restorer,
 * ucontext with the registers and the full XSAVE state, siginfo) on the
 * thread's stack or its alternate stack and points RIP at the handler;
 * rt_sigreturn undoes it. Default actions terminate the application
 * ("killed by signal N", exit status 128+N) or ignore the signal.
 */
#pragma once

#include "arch/x86_64/trap.h"
#include "linux/task.h"

static inline uint64_t sigmask(int sig)
{
    return 1ul << (sig - 1);
}

#define UNBLOCKABLE (sigmask(SIGKILL) | sigmask(SIGSTOP))

/* Send sig to the process (kill, the console's ^C). code: SI_USER, SI_KERNEL... */
int signal_send_process(struct process *p, int sig, int code);
/* Send a signal with full siginfo to one thread (tgkill, timers). */
int signal_send_thread(struct task *t, const struct k_siginfo *info);
/* A synchronous fault in the current thread: cannot be blocked or ignored. */
void signal_force_fault(int sig, int code, uint64_t addr);
/* Recompute t's "signal pending" flag. Caller holds proc->lock. */
void signal_recalc(struct task *t);
/* Deliver pending signals to the current thread (exit_to_user). */
void signal_deliver(struct trapframe *tf);
/* Is a signal deliverable to the current thread now? */
bool signal_pending(void);
/* Human name of a signal ("SIGSEGV"). */
const char *signal_name(int sig);
