/*
 * acpi.c - find the ACPI tables at boot, and power off or reset with them.
 *
 * Fallbacks, each announced on the console:
 *   no RSDP or no MADT  -> one CPU, LAPIC at 0xfee00000, one IOAPIC at
 *                          0xfec00000 with ISA IRQs identity-mapped;
 *   no HPET             -> the PIT calibrates the TSC;
 *   no FADT or no \_S5  -> power-off only through QEMU's isa-debug-exit;
 *                          otherwise the CPU halts.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "core/boot.h"
#include "core/params.h"
#include "core/printk.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "mm/vmap.h"

struct acpi_info acpi;
bool acpi_present;
static bool dump_requested;

static int set_acpidump(const char *val)
{
    (void)val;
    dump_requested = true;
    return 0;
}
KERNEL_PARAM("acpidump", set_acpidump);

/* Firmware tables are in RAM or reserved areas below the direct map top. */
static const void *phys_direct(phys_addr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > direct_map_top)
        return NULL;
    return phys_to_virt(pa);
}

/* Print len bytes at pa as "acpidump: ADDR HEX" lines (tests record these). */
static void dump_bytes(phys_addr_t pa, uint32_t len)
{
    const uint8_t *p = phys_direct(pa, len);

    if (p == NULL)
        return;
    for (uint32_t off = 0; off < len; off += 32) {
        char hex[65];
        uint32_t n = MIN(32u, len - off);
        for (uint32_t i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", p[off + i]);
        printk(LOG_EMERG, "acpidump: %lx %s\n", pa + off, hex);
    }
}

static uint32_t table_len(phys_addr_t pa)
{
    const uint32_t *h = phys_direct(pa, 8);
    return h == NULL ? 0 : MIN(h[1], 1u << 20);
}

/* Dump the RSDP, the root table, every table it lists and the DSDT. */
static void acpi_dump(phys_addr_t rsdp)
{
    const uint8_t *r = phys_direct(rsdp, 36);
    phys_addr_t root;
    unsigned int esize;
    uint32_t rlen;

    if (r == NULL)
        return;
    dump_bytes(rsdp, r[15] >= 2 ? 36 : 20);
    if (r[15] >= 2 && *(const uint64_t *)(r + 24) != 0) {
        root = *(const uint64_t *)(r + 24);
        esize = 8;
    } else {
        root = *(const uint32_t *)(r + 16);
        esize = 4;
    }
    rlen = table_len(root);
    dump_bytes(root, rlen);
    for (uint32_t off = 36; off + esize <= rlen; off += esize) {
        const uint8_t *e = phys_direct(root + off, esize);
        phys_addr_t pa = esize == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
        const uint8_t *t = phys_direct(pa, 148);
        dump_bytes(pa, table_len(pa));
        if (t != NULL && memcmp(t, "FACP", 4) == 0) {
            phys_addr_t dsdt = table_len(pa) >= 148 ? *(const uint64_t *)(t + 140) : 0;
            if (dsdt == 0)
                dsdt = *(const uint32_t *)(t + 40);
            dump_bytes(dsdt, table_len(dsdt));
        }
    }
}

void acpi_init(void)
{
    phys_addr_t rsdp = bootinfo.rsdp;
    const uint8_t *copy = bootinfo.rsdp_copy_len >= 20 ? bootinfo.rsdp_copy : NULL;

    if (rsdp == 0 && copy == NULL)
        rsdp = acpi_find_rsdp(phys_direct);
    if ((rsdp == 0 && copy == NULL) || acpi_tables_parse(&acpi, rsdp, copy, phys_direct) != 0) {
        pr_warn("acpi: no valid RSDP found; assuming a PC with one CPU and default APICs\n");
        memset(&acpi, 0, sizeof(acpi));
        return;
    }
    acpi_present = true;
    if (dump_requested && rsdp != 0)
        acpi_dump(rsdp);
    if (!acpi.has_madt)
        pr_warn("acpi: no MADT; assuming one CPU and default APIC addresses\n");
    if (!acpi.has_fadt)
        pr_warn("acpi: no FADT; ACPI power-off unavailable\n");
    else if (!acpi.has_s5 && !(acpi.fadt_flags & FADT_HW_REDUCED))
        pr_warn("acpi: no \\_S5 object; ACPI power-off unavailable\n");
    pr_info("acpi: rev %u, %u CPUs, %u IOAPICs, HPET %s, PCIe ECAM %s\n", acpi.revision, acpi.ncpus,
            acpi.nioapics, acpi.has_hpet ? "yes" : "no", acpi.has_mcfg ? "yes" : "no");
}

static void gas_write(const struct acpi_gas *g, uint32_t v)
{
    if (g->address == 0)
        return;
    if (g->space == 1) {
        if (g->bit_width == 8)
            outb(g->address, v);
        else if (g->bit_width == 32)
            outl(g->address, v);
        else
            outw(g->address, v);
    } else if (g->space == 0) {
        volatile uint8_t *p = ioremap(g->address, 4);
        if (p == NULL)
            return;
        if (g->bit_width == 8)
            *p = v;
        else if (g->bit_width == 32)
            *(volatile uint32_t *)p = v;
        else
            *(volatile uint16_t *)p = v;
    }
}

static uint16_t port_read16(const struct acpi_gas *g)
{
    return g->space == 1 && g->address != 0 ? inw(g->address) : 0;
}

void acpi_poweroff(void)
{
    if (!acpi_present || !acpi.has_fadt)
        return;
    if (acpi.fadt_flags & FADT_HW_REDUCED) {
        /* SLP_TYPx in bits 2-4, SLP_EN bit 5 of the sleep control register. */
        uint8_t typ = acpi.has_s5 ? acpi.slp_typa : 5;
        gas_write(&acpi.sleep_control, ((typ & 7) << 2) | (1 << 5));
        return;
    }
    if (!acpi.has_s5)
        return;
    /* Enter ACPI mode if the firmware left us in legacy mode. */
    if (acpi.smi_cmd != 0 && acpi.acpi_enable != 0 && !(port_read16(&acpi.pm1a_cnt) & 1)) {
        outb(acpi.smi_cmd, acpi.acpi_enable);
        for (int i = 0; i < 100000 && !(port_read16(&acpi.pm1a_cnt) & 1); i++)
            cpu_relax();
    }
    gas_write(&acpi.pm1a_cnt, ((uint32_t)(acpi.slp_typa & 7) << 10) | (1 << 13));
    if (acpi.pm1b_cnt.address != 0)
        gas_write(&acpi.pm1b_cnt, ((uint32_t)(acpi.slp_typb & 7) << 10) | (1 << 13));
    for (int i = 0; i < 1000000; i++)
        cpu_relax();
}

void acpi_reboot(void)
{
    if (acpi_present && acpi.has_fadt && (acpi.fadt_flags & FADT_RESET_REG_SUP))
        gas_write(&acpi.reset_reg, acpi.reset_value);
    /* The keyboard controller's reset line. */
    outb(0x64, 0xfe);
    for (int i = 0; i < 1000000; i++)
        cpu_relax();
}
