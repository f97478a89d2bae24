/*
 * apic.c - local APIC, I/O APICs and the legacy 8259s.
 *
 * The local APIC is used in x2APIC mode (MSRs) when the CPU offers it and
 * in xAPIC mode (MMIO at the MADT's address) otherwise; lapic_read/write
 * hide the difference. Every I/O APIC pin starts masked; drivers route the
 * ones they use. ISA IRQ numbers go through the MADT's source overrides
 * (e.g. the PIT's IRQ 0 is GSI 2 on QEMU).
 */
#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/panic.h"
#include "core/printk.h"
#include "mm/vmap.h"
#include "sched/spinlock.h"

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ESR 0x280
#define LAPIC_ICR 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define LVT_NMI (4u << 8)

static volatile uint32_t *lapic_mmio;
static bool x2apic;
static bool tsc_deadline;

static uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return lapic_mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        lapic_mmio[reg / 4] = v;
}

static void pic_mask_all(void)
{
    /* Remap to VEC_PIC_BASE so spurious IRQs do not look like exceptions. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, VEC_PIC_BASE);
    outb(0xa1, VEC_PIC_BASE + 8);
    outb(0x21, 4);
    outb(0xa1, 2);
    outb(0x21, 1);
    outb(0xa1, 1);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void apic_init(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    phys_addr_t base = acpi.lapic_addr != 0 ? acpi.lapic_addr : 0xfee00000;

    if (!((r.edx >> 9) & 1))
        panic("apic: this CPU has no local APIC");
    tsc_deadline = (r.ecx >> 24) & 1;
    x2apic = (r.ecx >> 21) & 1;
    if (acpi.pcat_compat || !acpi.has_madt)
        pic_mask_all();
    if (!x2apic) {
        lapic_mmio = ioremap(base, 4096);
        if (lapic_mmio == NULL)
            panic("apic: cannot map the local APIC");
    }
    pr_info("apic: %s mode, timer %s\n", x2apic ? "x2APIC" : "xAPIC",
            tsc_deadline ? "TSC-deadline" : "one-shot");
}

void lapic_enable(void)
{
    uint64_t msr = rdmsr(MSR_APIC_BASE);

    msr |= 1ul << 11; /* global enable */
    if (x2apic)
        msr |= 1ul << 10;
    wrmsr(MSR_APIC_BASE, msr);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI); /* LINT1 is NMI on PCs */
    lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_eoi();
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
    uint32_t id = lapic_read(LAPIC_ID);
    return x2apic ? id : id >> 24;
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
    if (x2apic) {
        wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
        return;
    }
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR, low);
    while (lapic_read(LAPIC_ICR) & (1u << 12)) /* delivery pending */
        cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    icr_send(apic_id, vector | (1u << 14));
}

void lapic_send_init(uint32_t apic_id)
{
    icr_send(apic_id, 0x500 | (1u << 14)); /* INIT, assert */
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
    icr_send(apic_id, 0x600 | page); /* STARTUP */
}

bool lapic_timer_has_deadline_mode(void)
{
    return tsc_deadline;
}

void lapic_timer_init(uint8_t vector)
{
    if (tsc_deadline) {
        lapic_write(LAPIC_LVT_TIMER, vector | LVT_TSC_DEADLINE);
        /* Order the LVT write before TSC_DEADLINE writes (Intel SDM 10.5.4.1). */
        __asm__ __volatile__("mfence" ::: "memory");
    } else {
        lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
        lapic_write(LAPIC_LVT_TIMER, vector);
    }
}

void lapic_timer_arm_tsc(uint64_t tsc_deadline_value)
{
    wrmsr(MSR_TSC_DEADLINE, tsc_deadline_value == 0 ? 1 : tsc_deadline_value);
}

void lapic_timer_arm_count(uint32_t count)
{
    lapic_write(LAPIC_TIMER_INIT, count == 0 ? 1 : count);
}

uint32_t lapic_timer_current(void)
{
    return lapic_read(LAPIC_TIMER_CUR);
}

/* ---- I/O APIC ---- */

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))

static struct ioapic {
    volatile uint32_t *mmio;
    uint32_t gsi_base;
    uint32_t npins;
} ioapics[ACPI_MAX_IOAPICS];
static unsigned int nioapics;
static spinlock_t ioapic_lock = SPINLOCK_INIT; /* guards IOREGSEL/IOWIN pairs */

static uint32_t ioapic_read(struct ioapic *io, uint32_t reg)
{
    io->mmio[IOREGSEL / 4] = reg;
    return io->mmio[IOWIN / 4];
}

static void ioapic_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->mmio[IOREGSEL / 4] = reg;
    io->mmio[IOWIN / 4] = v;
}

void ioapic_init(void)
{
    unsigned int n = acpi.nioapics;

    for (unsigned int i = 0; i < (n == 0 ? 1 : n); i++) {
        phys_addr_t pa = n == 0 ? 0xfec00000 : acpi.ioapics[i].addr;
        struct ioapic *io = &ioapics[nioapics];

        io->mmio = ioremap(pa, 4096);
        if (io->mmio == NULL) {
            pr_err("ioapic: cannot map %#lx\n", pa);
            continue;
        }
        io->gsi_base = n == 0 ? 0 : acpi.ioapics[i].gsi_base;
        io->npins = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xff) + 1;
        if (io->npins > 240)
            io->npins = 24;
        for (uint32_t pin = 0; pin < io->npins; pin++) {
            ioapic_write(io, IOAPIC_REDTBL(pin), LVT_MASKED);
            ioapic_write(io, IOAPIC_REDTBL(pin) + 1, 0);
        }
        nioapics++;
    }
    if (nioapics == 0)
        pr_err("ioapic: none usable; device interrupts will not work\n");
}

static struct ioapic *ioapic_for(uint32_t gsi, uint32_t *pin)
{
    for (unsigned int i = 0; i < nioapics; i++) {
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].npins) {
            *pin = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    }
    return NULL;
}

int ioapic_route_gsi(uint32_t gsi, uint8_t vector, int flags, uint32_t apic_id)
{
    uint32_t pin;
    struct ioapic *io = ioapic_for(gsi, &pin);
    uint32_t low = vector;
    uint64_t irq;

    if (io == NULL)
        return -1;
    if (flags & IRQ_ACTIVE_LOW)
        low |= 1u << 13;
    if (flags & IRQ_LEVEL)
        low |= 1u << 15;
    irq = spin_lock_irqsave(&ioapic_lock);
    ioapic_write(io, IOAPIC_REDTBL(pin) + 1, apic_id << 24);
    ioapic_write(io, IOAPIC_REDTBL(pin), low);
    spin_unlock_irqrestore(&ioapic_lock, irq);
    return 0;
}

int ioapic_route_isa(unsigned int irq, uint8_t vector, uint32_t apic_id)
{
    uint32_t gsi = irq;
    int flags = 0; /* ISA: edge, active high */

    for (unsigned int i = 0; i < acpi.noverrides; i++) {
        if (acpi.overrides[i].source != irq)
            continue;
        gsi = acpi.overrides[i].gsi;
        if ((acpi.overrides[i].flags & 3) == 3)
            flags |= IRQ_ACTIVE_LOW;
        if (((acpi.overrides[i].flags >> 2) & 3) == 3)
            flags |= IRQ_LEVEL;
    }
    return ioapic_route_gsi(gsi, vector, flags, apic_id);
}

void ioapic_mask_gsi(uint32_t gsi, bool masked)
{
    uint32_t pin;
    struct ioapic *io = ioapic_for(gsi, &pin);
    uint64_t irq;

    if (io == NULL)
        return;
    irq = spin_lock_irqsave(&ioapic_lock);
    uint32_t low = ioapic_read(io, IOAPIC_REDTBL(pin));
    ioapic_write(io, IOAPIC_REDTBL(pin), masked ? low | LVT_MASKED : low & ~LVT_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, irq);
}
