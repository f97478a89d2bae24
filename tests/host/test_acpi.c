/* ACPI table parsing on tables recorded from QEMU, and corrupted copies. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "acpi/acpi.h"
#include "host.h"
#include "lib/errno.h"

#define ARENA (512u << 20)

static uint8_t *mem;
static struct acpi_info info;

static const void *phys(phys_addr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > ARENA)
        return NULL;
    return mem + pa;
}

static void load(const char *machine)
{
    char path[256];

    mem = host_phys_arena(ARENA);
    snprintf(path, sizeof(path), "%s/acpi-%s.txt", TEST_DATA, machine);
    host_load_acpi_dump(path);
    host_log_clear();
}

Test(acpi, q35)
{
    load("q35");
    phys_addr_t rsdp = acpi_find_rsdp(phys);
    cr_assert_neq(rsdp, 0);
    cr_assert_eq(acpi_tables_parse(&info, rsdp, NULL, phys), 0);
    cr_assert(info.has_madt && info.has_fadt && info.has_hpet && info.has_mcfg && info.has_s5);
    cr_assert_eq(info.lapic_addr, 0xfee00000);
    cr_assert_eq(info.ncpus, 1);
    cr_assert_eq(info.nioapics, 1);
    cr_assert_eq(info.ioapics[0].addr, 0xfec00000);
    cr_assert_eq(info.hpet_addr, 0xfed00000);
    cr_assert_eq(info.mcfg_base, 0xb0000000);
    cr_assert_eq(info.sci_irq, 9);
    cr_assert_eq(info.pm1a_cnt.space, 1);
    cr_assert_neq(info.pm1a_cnt.address, 0);
    /* The PIT's IRQ 0 is wired to GSI 2 on PCs. */
    int found = 0;
    for (unsigned int i = 0; i < info.noverrides; i++)
        found |= info.overrides[i].source == 0 && info.overrides[i].gsi == 2;
    cr_assert(found);
}

Test(acpi, pc)
{
    load("pc");
    cr_assert_eq(acpi_tables_parse(&info, acpi_find_rsdp(phys), NULL, phys), 0);
    cr_assert(info.has_madt && info.has_fadt && info.has_hpet && info.has_s5);
    cr_assert(!info.has_mcfg);
    cr_assert(info.pcat_compat);
}

Test(acpi, microvm_hw_reduced)
{
    load("microvm");
    /* microvm has no BIOS area: the RSDP address comes from PVH. Find it
     * among the recorded lines: the one starting with "RSD PTR ". */
    phys_addr_t rsdp = 0;
    for (phys_addr_t pa = 0; pa < ARENA; pa += 16) {
        if (memcmp(mem + pa, "RSD PTR ", 8) == 0) {
            rsdp = pa;
            break;
        }
    }
    cr_assert_neq(rsdp, 0);
    cr_assert_eq(acpi_tables_parse(&info, rsdp, NULL, phys), 0);
    cr_assert(info.has_fadt && info.has_madt);
    cr_assert(info.fadt_flags & FADT_HW_REDUCED);
    cr_assert_neq(info.sleep_control.address, 0);
    cr_assert(!info.has_hpet);
}

Test(acpi, corrupted_tables_are_skipped)
{
    load("q35");
    phys_addr_t rsdp = acpi_find_rsdp(phys);
    struct acpi_info good;

    cr_assert_eq(acpi_tables_parse(&good, rsdp, NULL, phys), 0);
    /* Flip a byte in the HPET table: bad checksum, table ignored. */
    for (phys_addr_t pa = 0; pa < ARENA; pa += 1) {
        if (memcmp(mem + pa, "HPET", 4) == 0 && pa + 40 < ARENA && mem[pa + 4] == 56) {
            mem[pa + 20] ^= 0xff;
            break;
        }
    }
    cr_assert_eq(acpi_tables_parse(&info, rsdp, NULL, phys), 0);
    cr_assert(!info.has_hpet);
    cr_assert(info.has_madt && info.has_fadt);
    cr_assert(host_log_contains("bad checksum"));
}

Test(acpi, bad_rsdp)
{
    load("q35");
    uint8_t bogus[36] = "RSD PTR ";

    cr_assert_eq(acpi_tables_parse(&info, 0, bogus, phys), -ENOENT);
    cr_assert_eq(acpi_tables_parse(&info, 0x10, NULL, phys), -ENOENT);
    cr_assert_eq(acpi_tables_parse(&info, 0xfffffffffff0ull, NULL, phys), -ENOENT);
}

Test(acpi, malformed_madt_entries)
{
    load("q35");
    phys_addr_t rsdp = acpi_find_rsdp(phys);
    /* Find the MADT, give its first entry a zero length, fix the checksum. */
    for (phys_addr_t pa = 0; pa < ARENA - 64; pa += 1) {
        if (memcmp(mem + pa, "APIC", 4) == 0 && mem[pa + 8] >= 1) {
            uint32_t len;
            uint8_t sum = 0;
            memcpy(&len, mem + pa + 4, 4);
            if (len < 44 || len > 4096)
                continue;
            mem[pa + 45] = 0;
            mem[pa + 9] = 0;
            for (uint32_t i = 0; i < len; i++)
                sum += mem[pa + i];
            mem[pa + 9] = (uint8_t)-sum;
            break;
        }
    }
    cr_assert_eq(acpi_tables_parse(&info, rsdp, NULL, phys), 0);
    cr_assert(info.has_madt);
    cr_assert_eq(info.ncpus, 0);
    cr_assert(host_log_contains("malformed MADT entry"));
}
