/*
 * context.h - switching CPU state between threads.
 */
#pragma once

#include "sched/thread.h"

/*
 * arch_switch_to saves prev's FPU state and switches to next: kernel stack,
 * TSS rsp0, FPU state, FS base and address space. Called by the scheduler
 * with the run queue lock held and IRQs off; returns when prev runs again.
 */
void arch_switch_to(struct thread *prev, struct thread *next);

/* Prepare a new kernel thread's stack so its first switch enters fn(arg). */
void arch_thread_init(struct thread *t, void (*fn)(void *), void *arg);

/* Give t an FPU area in the initial state (user threads). 0 or -ENOMEM. */
int fpu_alloc(struct thread *t);
/* Give t a copy of src's FPU area (clone). 0 or -ENOMEM. */
int fpu_clone(struct thread *t, const struct thread *src);
void fpu_free(struct thread *t);
/* Record the boot CPU's clean FPU state as the initial state for threads. */
void fpu_init(void);
/* Save the current thread's live FPU registers into its area. */
void fpu_save(struct thread *t);
/* Load t's FPU area into the registers. */
void fpu_restore(struct thread *t);
/* Put t's FPU into the initial state (area and, if t is current, registers). */
void fpu_reset(struct thread *t);
/* Bytes of an FPU area (XSAVE size). */
size_t fpu_size(void);

/* The context_switch and trampoline in entry.S. */
void context_switch(uint64_t *save_rsp, uint64_t new_rsp);
void thread_trampoline(void);
void enter_user(struct trapframe *tf) __noreturn;
