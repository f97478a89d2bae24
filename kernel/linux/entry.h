/*
 * entry.h - the Linux side of kernel entry and exit for user threads.
 */
#pragma once

#include "arch/x86_64/trap.h"

/* A CPU exception in user mode: resolve it (demand paging) or signal. */
void user_exception(struct trapframe *tf);

/* A page fault on a user address (also from copy_*_user): VM_FAULT_*. */
int user_page_fault(uintptr_t addr, uint64_t error);

/* Last work before returning to user mode: reschedule, deliver signals. IRQs off. */
void exit_to_user(struct trapframe *tf);

/* The SYSCALL path; returns nonzero when the frame must be restored with IRET. */
long syscall_dispatch(struct trapframe *tf);
