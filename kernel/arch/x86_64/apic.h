/*
 * apic.h - local APIC (per CPU: timer, IPIs, EOI) and I/O APIC (device
 * interrupt routing). The 8259 PICs are remapped and masked at boot.
 */
#pragma once

#include "lib/types.h"

/* Boot CPU: map the LAPIC (xAPIC MMIO or x2APIC MSRs), mask the 8259s. */
void apic_init(void);
/* Every CPU: enable its LAPIC with the spurious/error vectors set. */
void lapic_enable(void);
void lapic_eoi(void);
uint32_t lapic_id(void);

/* Send vector to the CPU with this APIC id. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* INIT / STARTUP IPIs for bringing up an application processor. */
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/* LAPIC timer, one-shot at an absolute TSC value (see core/time.c). */
bool lapic_timer_has_deadline_mode(void);
void lapic_timer_init(uint8_t vector);
void lapic_timer_arm_tsc(uint64_t tsc_deadline);
void lapic_timer_arm_count(uint32_t count); /* one-shot mode fallback */
uint32_t lapic_timer_current(void);

/* I/O APIC routing. Flags follow MPS INTI: polarity bits 0-1, trigger 2-3. */
#define IRQ_ACTIVE_LOW 0x1
#define IRQ_LEVEL 0x2
void ioapic_init(void);
/* Route ISA IRQ irq (after ACPI overrides) to vector on CPU apic_id. */
int ioapic_route_isa(unsigned int irq, uint8_t vector, uint32_t apic_id);
/* Route a GSI with explicit trigger/polarity (IRQ_LEVEL | IRQ_ACTIVE_LOW). */
int ioapic_route_gsi(uint32_t gsi, uint8_t vector, int flags, uint32_t apic_id);
void ioapic_mask_gsi(uint32_t gsi, bool masked);
