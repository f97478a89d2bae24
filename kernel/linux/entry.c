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
#include "linux/signal.h"
#include "sched/sched.h"

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
        if (th->task != NULL &&
            (th->sigpending || th->task->syscall_nr >= 0 || th->task->restore_sigmask)) {
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
