/*
 * context.c - per-thread CPU state: kernel stack frames and FPU areas.
 *
 * The FPU is switched eagerly: every switch away from a thread with an FPU
 * area saves the registers (XSAVEOPT when available, XSAVE, or FXSAVE on
 * CPUs without XSAVE) and every switch to one restores them. The kernel is
 * compiled without SSE, so kernel threads never touch FPU registers and
 * need no area.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/vmap.h"

static uint8_t *fpu_initial; /* clean state captured at boot */

size_t fpu_size(void)
{
    return cpu_features.xsave_size;
}

void fpu_save(struct thread *t)
{
    if (cpu_features.xsaveopt)
        xsaveopt(t->fpu, cpu_features.xcr0);
    else if (cpu_features.xsave)
        xsave(t->fpu, cpu_features.xcr0);
    else
        fxsave(t->fpu);
}

void fpu_restore(struct thread *t)
{
    if (cpu_features.xsave)
        xrstor(t->fpu, cpu_features.xcr0);
    else
        fxrstor(t->fpu);
}

static void *fpu_area_alloc(void **raw)
{
    *raw = kmalloc(fpu_size() + 64, 0);
    if (*raw == NULL)
        return NULL;
    return (void *)ALIGN_UP((uintptr_t)*raw, 64ul);
}

void fpu_init(void)
{
    void *raw;

    fpu_initial = fpu_area_alloc(&raw);
    if (fpu_initial == NULL)
        panic("fpu: no memory for the initial state");
    memset(fpu_initial, 0, fpu_size());
    fninit();
    ldmxcsr(0x1f80);
    /* XSAVE (not XSAVEOPT) so the header records every component. */
    if (cpu_features.xsave)
        xsave(fpu_initial, cpu_features.xcr0);
    else
        fxsave(fpu_initial);
}

int fpu_alloc(struct thread *t)
{
    t->fpu = fpu_area_alloc(&t->fpu_alloc);
    if (t->fpu == NULL)
        return -ENOMEM;
    memcpy(t->fpu, fpu_initial, fpu_size());
    return 0;
}

int fpu_clone(struct thread *t, const struct thread *src)
{
    t->fpu = fpu_area_alloc(&t->fpu_alloc);
    if (t->fpu == NULL)
        return -ENOMEM;
    memcpy(t->fpu, src->fpu, fpu_size());
    return 0;
}

void fpu_reset(struct thread *t)
{
    memcpy(t->fpu, fpu_initial, fpu_size());
    if (t == current_thread())
        fpu_restore(t);
}

void fpu_free(struct thread *t)
{
    kfree(t->fpu_alloc);
    t->fpu = NULL;
    t->fpu_alloc = NULL;
}

void arch_thread_init(struct thread *t, void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((char *)t->kstack + KSTACK_SIZE);

    /* Room for a user trapframe at the very top, even for kernel threads. */
    sp -= sizeof(struct trapframe) / 8;
    t->utf = (struct trapframe *)sp;
    /* context_switch pops r15 r14 r13 r12 rbx rbp, then returns. */
    /* The trampoline starts with RSP 16-byte aligned, so its calls are too. */
    *--sp = (uint64_t)thread_trampoline;
    *--sp = 0;             /* rbp */
    *--sp = 0;             /* rbx */
    *--sp = (uint64_t)fn;  /* r12 */
    *--sp = (uint64_t)arg; /* r13 */
    *--sp = 0;             /* r14 */
    *--sp = 0;             /* r15 */
    t->saved_rsp = (uint64_t)sp;
}

void arch_switch_to(struct thread *prev, struct thread *next)
{
    struct cpu *c = this_cpu();
    uint64_t top = (uint64_t)next->kstack + KSTACK_SIZE;

    if (prev->fpu != NULL)
        fpu_save(prev);
    if (next->mm != NULL && next->mm != prev->mm)
        vm_activate(next->mm);
    c->tss.rsp[0] = top;
    c->kernel_rsp = top;
    if (next->fpu != NULL) {
        fpu_restore(next);
        wrmsr(MSR_FS_BASE, next->fs_base);
    }
    context_switch(&prev->saved_rsp, next->saved_rsp);
}
