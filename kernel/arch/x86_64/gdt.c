/*
 * gdt.c - per-CPU GDT and TSS, and the GS base.
 *
 * The GDT follows Linux's selector numbers (trap.h) because signal frames
 * show them to applications. The TSS gives the stack for interrupts from
 * user mode (rsp0, updated at every context switch) and the IST stacks for
 * double fault, NMI and machine check, which must work even when the
 * kernel stack is gone.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/vmap.h"

struct cpu *cpus[MAX_CPUS];
unsigned int ncpus = 1;

/* Code/data descriptor: flags in bits 40..55 of the 8-byte entry. */
#define SEG_CODE64 0x00af9b000000fffful /* present, DPL0, code, long mode */
#define SEG_DATA 0x00cf93000000fffful   /* present, DPL0, data, writable */
#define SEG_DPL3 (3ul << 45)
#define SEG_CODE32 0x00cf9b000000fffful

struct gdt_desc {
    uint16_t limit;
    uint64_t base;
} __packed;

void percpu_install(struct cpu *c)
{
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void gdt_init(struct cpu *c)
{
    uint64_t tss = (uint64_t)&c->tss;
    uint64_t limit = sizeof(c->tss) - 1;
    struct gdt_desc desc;

    memset(c->gdt, 0, sizeof(c->gdt));
    c->gdt[1] = SEG_CODE32;
    c->gdt[KERNEL_CS / 8] = SEG_CODE64;
    c->gdt[KERNEL_DS / 8] = SEG_DATA;
    c->gdt[USER32_CS / 8] = SEG_CODE32 | SEG_DPL3;
    c->gdt[USER_DS / 8] = SEG_DATA | SEG_DPL3;
    c->gdt[USER_CS / 8] = SEG_CODE64 | SEG_DPL3;
    /* 64-bit available TSS: a 16-byte system descriptor. */
    c->gdt[TSS_SEL / 8] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ul << 40) |
                          (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
    c->gdt[TSS_SEL / 8 + 1] = tss >> 32;

    memset(&c->tss, 0, sizeof(c->tss));
    c->tss.iomap_base = sizeof(c->tss);
    for (int i = 0; i < 3; i++) {
        if (c->ist_stacks[i] == NULL)
            c->ist_stacks[i] = kstack_alloc();
        if (c->ist_stacks[i] == NULL)
            panic("gdt: no memory for IST stacks");
        c->tss.ist[i] = (uint64_t)c->ist_stacks[i] + KSTACK_SIZE;
    }

    desc.limit = sizeof(c->gdt) - 1;
    desc.base = (uint64_t)c->gdt;
    lgdt(&desc);
    /* Reload CS with a far return, and the data segments. */
    __asm__ __volatile__("pushq %0\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movl %1, %%eax\n\t"
                         "movl %%eax, %%ds\n\t"
                         "movl %%eax, %%es\n\t"
                         "movl %%eax, %%ss\n\t"
                         :
                         : "i"((uint64_t)KERNEL_CS), "i"(KERNEL_DS)
                         : "rax", "memory");
    ltr(TSS_SEL);
}

extern char syscall_entry[];

void syscall_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* SYSCALL loads CS=0x10/SS=0x18; SYSRET loads CS=0x23+16, SS=0x23+8. */
    wrmsr(MSR_STAR, ((uint64_t)KERNEL_CS << 32) | ((uint64_t)USER32_CS << 48));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_CSTAR, 0);
    /* Entered with IRQs off, single-stepping off, DF and AC clear. */
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
}
