/*
 * entry.c - return-to-user work and user exceptions.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "linux/entry.h"
#include "sched/sched.h"

void user_exception(struct trapframe *tf)
{
    panic("user exception %lu at %#lx: user mode is not supported yet", tf->vector, tf->rip);
}

void exit_to_user(struct trapframe *tf)
{
    (void)tf;
    irq_disable();
    while (this_cpu()->need_resched) {
        sched_yield();
        irq_disable();
    }
}

long syscall_dispatch(struct trapframe *tf)
{
    (void)tf;
    return 0;
}
