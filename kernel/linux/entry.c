/*
 * entry.c - the last work before returning to user space.
 *
 * With IRQs off, until nothing is left: reschedule if asked, deliver
 * pending signals (which may rewrite the trapframe). Enabling IRQs in
 * between lets work that arrived meanwhile be seen; the final check runs
 * with IRQs off so nothing slips in before the return.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "linux/entry.h"
#include "lib/errno.h"
#include "linux/signal.h"
#include "linux/task.h"
#include "sched/sched.h"

/*
 * Whether signal_deliver has work: a signal is pending, a saved mask must
 * go back (sigsuspend, pselect), the process is exiting, or the system
 * call being left asks to be restarted. Checked without locks so the
 * common return from a system call takes none: every flag read here is
 * set before the thread is kicked (sigpending) or by the thread itself.
 */
static bool signal_work(struct thread *th, const struct trapframe *tf)
{
    struct task *t = th->task;
    long ret = (long)tf->rax;

    if (t == NULL)
        return false;
    if (th->sigpending || t->restore_sigmask || READ_ONCE(t->proc->exiting))
        return true;
    return t->syscall_nr >= 0 && (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND);
}

void exit_to_user(struct trapframe *tf)
{
    struct thread *th = current_thread();

    irq_disable();
    for (;;) {
        if (this_cpu()->need_resched) {
            sched_yield();
            irq_disable();
            continue;
        }
        if (signal_work(th, tf)) {
            /* signal_deliver also settles an interrupted syscall's restart. */
            bool pending = th->sigpending;
            signal_deliver(tf);
            irq_disable();
            if (pending && th->sigpending)
                continue; /* more to deliver (after this handler's frame is built) */
        }
        break;
    }
}
