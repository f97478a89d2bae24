/*
 * idt.c - the interrupt descriptor table and the device vector registry.
 *
 * All 256 vectors point at entry.S's stubs through interrupt gates (IF is
 * cleared on entry). Breakpoint (int3) is callable from user mode so that a
 * user int3 becomes SIGTRAP; everything else is DPL 0. Double fault, NMI and
 * machine check run on their IST stacks.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/printk.h"

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate");

struct idt_desc {
    uint16_t limit;
    uint64_t base;
} __packed;

static struct idt_gate idt[256] __aligned(16);
extern const uint64_t isr_table[256];

static void set_gate(unsigned int vec, uint64_t addr, unsigned int ist, unsigned int dpl)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = addr & 0xffff,
        .selector = KERNEL_CS,
        .ist = ist,
        .type_attr = 0x80 | (dpl << 5) | 0xe, /* present, interrupt gate */
        .offset_mid = (addr >> 16) & 0xffff,
        .offset_hi = addr >> 32,
    };
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, isr_table[v], 0, 0);
    set_gate(VEC_BP, isr_table[VEC_BP], 0, 3);
    set_gate(VEC_DF, isr_table[VEC_DF], IST_DF, 0);
    set_gate(VEC_NMI, isr_table[VEC_NMI], IST_NMI, 0);
    set_gate(VEC_MC, isr_table[VEC_MC], IST_MC, 0);
    idt_load();
}

void idt_load(void)
{
    struct idt_desc d = {sizeof(idt) - 1, (uint64_t)idt};
    lidt(&d);
}
