/*
 * fault.c - CPU exceptions of the application.
 *
 * A page fault is first offered to the address space (demand paging); what
 * it cannot resolve, and every other exception, becomes the signal Linux
 * sends: SIGSEGV (SEGV_MAPERR / SEGV_ACCERR with si_addr = CR2), SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP. Running out of memory on a fault kills the
 * application with a message (the kernel keeps running until it exits).
 */
#include "arch/x86_64/cpu.h"
#include "core/printk.h"
#include "linux/entry.h"
#include "linux/signal.h"
#include "linux/task.h"

/* Resolve a page fault on a user address; returns the VM_FAULT_* result. */
int user_page_fault(uintptr_t addr, uint64_t error)
{
    struct thread *th = current_thread();

    if (th == NULL || th->mm == NULL || spin_held(&th->mm->lock))
        return VM_FAULT_MAPERR;
    return vm_fault(th->mm, addr, error);
}

static __noreturn void out_of_memory(uintptr_t addr)
{
    printk(LOG_ERR, "eggos: out of memory (page fault at %#lx): killing the application\n", addr);
    process_kill(SIGKILL);
}

void user_exception(struct trapframe *tf)
{
    uintptr_t addr;
    int r;

    if (tf->vector != VEC_PF)
        pr_info("eggos: %s: trap %lu at ip %#lx sp %#lx error %#lx\n", current_process()->comm,
                tf->vector, tf->rip, tf->rsp, tf->error);
    switch (tf->vector) {
    case VEC_PF:
        addr = read_cr2();
        /* Fault handling may allocate memory and take locks: IRQs back on. */
        irq_enable();
        r = user_page_fault(addr, tf->error | FAULT_USER);
        irq_disable();
        if (r == VM_FAULT_OK)
            return;
        if (r == VM_FAULT_OOM)
            out_of_memory(addr);
        if (r == VM_FAULT_SIGBUS) {
            /* A file mapping past the end of its file, as on Linux. */
            signal_force_fault(SIGBUS, BUS_ADRERR, addr);
            return;
        }
        pr_info("eggos: %s: segfault at %#lx ip %#lx sp %#lx error %#lx\n", current_process()->comm,
                addr, tf->rip, tf->rsp, tf->error);
        signal_force_fault(SIGSEGV, r == VM_FAULT_ACCERR ? SEGV_ACCERR : SEGV_MAPERR, addr);
        return;
    case VEC_DE:
        signal_force_fault(SIGFPE, FPE_INTDIV, tf->rip);
        return;
    case VEC_MF:
    case VEC_XM:
        signal_force_fault(SIGFPE, FPE_FLTINV, tf->rip);
        return;
    case VEC_UD:
        signal_force_fault(SIGILL, ILL_ILLOPN, tf->rip);
        return;
    case VEC_BP:
        /* int3: as Linux reports it, from the kernel with no address. */
        signal_force_fault(SIGTRAP, SI_KERNEL, 0);
        return;
    case VEC_DB:
        signal_force_fault(SIGTRAP, TRAP_BRKPT, tf->rip);
        return;
    case VEC_AC:
        signal_force_fault(SIGBUS, BUS_ADRALN, 0);
        return;
    case VEC_GP:
    case VEC_SS:
    case VEC_NP:
        signal_force_fault(SIGSEGV, SI_KERNEL, 0);
        return;
    default:
        printk(LOG_ERR, "eggos: unexpected exception %lu in the application at %#lx\n", tf->vector,
               tf->rip);
        signal_force_fault(SIGSEGV, SI_KERNEL, 0);
        return;
    }
}
