/*
 * acpi.h - what the kernel learns from the ACPI tables.
 *
 * acpi_tables_parse() (tables.c, host-tested on recorded tables) reads the
 * RSDP, RSDT/XSDT, MADT, FADT (+ the \_S5 sleep type from the DSDT), HPET
 * and MCFG into struct acpi_info. acpi_init() (acpi.c) finds the RSDP and
 * fills the global `acpi`. Missing or broken tables are reported and leave
 * the corresponding `has_*` false; callers fall back to PC defaults.
 */
#pragma once

#include "arch/x86_64/percpu.h"
#include "lib/types.h"

#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 24

/* Generic Address Structure, decoded. */
struct acpi_gas {
    uint8_t space; /* 0 memory, 1 I/O port */
    uint8_t bit_width;
    uint64_t address; /* 0: absent */
};

struct acpi_info {
    uint8_t revision; /* of the RSDP: 0 = ACPI 1.0 */
    bool has_madt, has_fadt, has_hpet, has_mcfg, has_s5;

    /* MADT */
    phys_addr_t lapic_addr;
    bool pcat_compat; /* 8259 PICs present */
    unsigned int ncpus;
    uint32_t cpu_apic_ids[MAX_CPUS]; /* enabled or online-capable CPUs */
    unsigned int nioapics;
    struct {
        uint8_t id;
        phys_addr_t addr;
        uint32_t gsi_base;
    } ioapics[ACPI_MAX_IOAPICS];
    unsigned int noverrides;
    struct {
        uint8_t source; /* ISA IRQ */
        uint32_t gsi;
        uint16_t flags; /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
    } overrides[ACPI_MAX_OVERRIDES];

    /* FADT */
    uint32_t fadt_flags;
    uint16_t boot_arch; /* IAPC_BOOT_ARCH */
    uint16_t sci_irq;
    uint8_t century; /* CMOS register index of the century, 0: none */
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    struct acpi_gas pm1a_cnt, pm1b_cnt, sleep_control, reset_reg;
    uint8_t reset_value;
    uint8_t slp_typa, slp_typb; /* from \_S5 */
    phys_addr_t dsdt_addr;      /* 0: none; for drivers that look up their devices */
    uint32_t dsdt_len;

    /* HPET */
    phys_addr_t hpet_addr;

    /* MCFG: the first PCIe ECAM region */
    phys_addr_t mcfg_base;
    uint8_t mcfg_bus_start, mcfg_bus_end;
};

#define FADT_HW_REDUCED (1u << 20)
#define FADT_RESET_REG_SUP (1u << 10)
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_8042 (1u << 1)
#define BOOT_ARCH_NO_VGA (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5)

/*
 * acpi_tables_parse reads the tables reachable from the RSDP at rsdp_pa
 * through phys(pa, len) (NULL when unreadable). rsdp_copy, when non-NULL,
 * is used instead of reading the RSDP at rsdp_pa. Returns 0, or -ENOENT
 * when no valid RSDP is there; problems with single tables are warnings.
 */
int acpi_tables_parse(struct acpi_info *info, phys_addr_t rsdp_pa, const uint8_t *rsdp_copy,
                      const void *(*phys)(phys_addr_t pa, size_t len));

/* Search the BIOS areas for an RSDP; returns its address or 0. */
phys_addr_t acpi_find_rsdp(const void *(*phys)(phys_addr_t pa, size_t len));

extern struct acpi_info acpi;
extern bool acpi_present;

/* Find and parse the tables (boot CPU, after paging_init). */
void acpi_init(void);

/* Power the machine off through ACPI; returns only if that failed. */
void acpi_poweroff(void);

/* Reset the machine through the FADT reset register or the keyboard controller. */
void acpi_reboot(void);
