/*
 * tables.c - parse ACPI tables into struct acpi_info (see acpi.h).
 *
 * All input is firmware data: every table's length is checked against what
 * phys() can map and against the structure read, checksums are verified,
 * and a bad table is skipped with a warning. Host-tested on tables recorded
 * from QEMU's pc, q35 and microvm machines (tests/host/test_acpi.c).
 */
#include "acpi/acpi.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"

#define SDT_HEADER_LEN 36
#define MAX_TABLE_LEN (16u << 20)

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    return sum;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Map a whole table after checking its header; NULL (with a warning) if bad. */
static const uint8_t *map_table(phys_addr_t pa, const void *(*phys)(phys_addr_t, size_t),
                                uint32_t *len)
{
    const uint8_t *h = phys(pa, SDT_HEADER_LEN);
    const uint8_t *t;
    uint32_t n;

    if (h == NULL)
        return NULL;
    n = rd32(h + 4);
    if (n < SDT_HEADER_LEN || n > MAX_TABLE_LEN) {
        pr_warn("acpi: table %.4s at %#lx has bad length %u; ignored\n", (const char *)h, pa, n);
        return NULL;
    }
    t = phys(pa, n);
    if (t == NULL)
        return NULL;
    if (checksum(t, n) != 0) {
        pr_warn("acpi: table %.4s at %#lx has a bad checksum; ignored\n", (const char *)t, pa);
        return NULL;
    }
    *len = n;
    return t;
}

static void parse_madt(struct acpi_info *info, const uint8_t *t, uint32_t len)
{
    uint32_t off = 44;

    if (len < 44)
        return;
    info->has_madt = true;
    info->lapic_addr = rd32(t + 36);
    info->pcat_compat = rd32(t + 40) & 1;
    while (off + 2 <= len) {
        uint8_t type = t[off], elen = t[off + 1];
        const uint8_t *e = t + off;

        if (elen < 2 || off + elen > len) {
            pr_warn("acpi: malformed MADT entry at offset %u; ignoring the rest\n", off);
            break;
        }
        switch (type) {
        case 0: /* processor local APIC */
            if (elen >= 8 && (rd32(e + 4) & 3) != 0 && info->ncpus < MAX_CPUS)
                info->cpu_apic_ids[info->ncpus++] = e[3];
            break;
        case 1: /* I/O APIC */
            if (elen >= 12 && info->nioapics < ACPI_MAX_IOAPICS) {
                info->ioapics[info->nioapics].id = e[2];
                info->ioapics[info->nioapics].addr = rd32(e + 4);
                info->ioapics[info->nioapics].gsi_base = rd32(e + 8);
                info->nioapics++;
            }
            break;
        case 2: /* interrupt source override */
            if (elen >= 10 && e[2] == 0 && info->noverrides < ACPI_MAX_OVERRIDES) {
                info->overrides[info->noverrides].source = e[3];
                info->overrides[info->noverrides].gsi = rd32(e + 4);
                info->overrides[info->noverrides].flags = rd16(e + 8);
                info->noverrides++;
            }
            break;
        case 5: /* local APIC address override */
            if (elen >= 12)
                info->lapic_addr = rd64(e + 4);
            break;
        case 9: /* processor local x2APIC */
            if (elen >= 16 && (rd32(e + 8) & 3) != 0 && info->ncpus < MAX_CPUS)
                info->cpu_apic_ids[info->ncpus++] = rd32(e + 4);
            break;
        default:
            break;
        }
        off += elen;
    }
}

/* Decode a GAS at p; fall back to a 32-bit I/O port block when empty. */
static struct acpi_gas gas_or_port(const uint8_t *t, uint32_t len, uint32_t gas_off,
                                   uint32_t port_off)
{
    struct acpi_gas g = {0};

    if (gas_off + 12 <= len && rd64(t + gas_off + 4) != 0) {
        g.space = t[gas_off];
        g.bit_width = t[gas_off + 1];
        g.address = rd64(t + gas_off + 4);
    } else if (port_off + 4 <= len && rd32(t + port_off) != 0) {
        g.space = 1;
        g.bit_width = 16;
        g.address = rd32(t + port_off);
    }
    return g;
}

/* Read an AML integer constant at p (ZeroOp, OneOp, BytePrefix, WordPrefix). */
static int aml_int(const uint8_t *p, const uint8_t *end, uint8_t *out)
{
    if (p >= end)
        return -1;
    switch (p[0]) {
    case 0x00:
        *out = 0;
        return 1;
    case 0x01:
        *out = 1;
        return 1;
    case 0x0a:
        if (p + 1 >= end)
            return -1;
        *out = p[1];
        return 2;
    case 0x0b:
        if (p + 2 >= end)
            return -1;
        *out = p[1];
        return 3;
    default:
        return -1;
    }
}

/*
 * Find Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}) in the DSDT's AML.
 * A full AML interpreter is not needed for this one well-known shape.
 */
static void parse_s5(struct acpi_info *info, const uint8_t *t, uint32_t len)
{
    const uint8_t *end = t + len;

    for (const uint8_t *p = t + SDT_HEADER_LEN; p + 4 < end; p++) {
        int n;
        if (memcmp(p, "_S5_", 4) != 0)
            continue;
        /* Expect NameOp (0x08) before, optionally with a root prefix '\'. */
        if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))
            continue;
        p += 4;
        if (p >= end || *p != 0x12) /* PackageOp */
            continue;
        p++;
        if (p >= end)
            break;
        p += ((*p >> 6) & 3) + 1; /* PkgLength: lead byte + follow bytes */
        p++;                      /* NumElements */
        n = aml_int(p, end, &info->slp_typa);
        if (n < 0)
            break;
        p += n;
        if (aml_int(p, end, &info->slp_typb) < 0)
            info->slp_typb = 0;
        info->has_s5 = true;
        return;
    }
}

static void parse_fadt(struct acpi_info *info, const uint8_t *t, uint32_t len,
                       const void *(*phys)(phys_addr_t, size_t))
{
    phys_addr_t dsdt = 0;
    const uint8_t *d;
    uint32_t dlen;

    if (len < 116) {
        pr_warn("acpi: FADT too short (%u bytes); ignored\n", len);
        return;
    }
    info->has_fadt = true;
    info->sci_irq = rd16(t + 46);
    info->smi_cmd = rd32(t + 48);
    info->acpi_enable = t[52];
    info->century = t[108];
    info->boot_arch = rd16(t + 109);
    info->fadt_flags = rd32(t + 112);
    info->pm1a_cnt = gas_or_port(t, len, 172, 64);
    info->pm1b_cnt = gas_or_port(t, len, 184, 68);
    if (len >= 256)
        info->sleep_control = gas_or_port(t, len, 244, UINT32_MAX - 4);
    if (len >= 129) {
        info->reset_reg = gas_or_port(t, len, 116, UINT32_MAX - 4);
        info->reset_value = t[128];
    }

    if (len >= 148)
        dsdt = rd64(t + 140);
    if (dsdt == 0)
        dsdt = rd32(t + 40);
    if (dsdt == 0)
        return;
    d = map_table(dsdt, phys, &dlen);
    if (d == NULL || memcmp(d, "DSDT", 4) != 0) {
        pr_warn("acpi: no usable DSDT; ACPI power-off unavailable\n");
        return;
    }
    info->dsdt_addr = dsdt;
    info->dsdt_len = dlen;
    parse_s5(info, d, dlen);
}

static bool rsdp_valid(const uint8_t *r)
{
    if (memcmp(r, "RSD PTR ", 8) != 0 || checksum(r, 20) != 0)
        return false;
    if (r[15] >= 2 && checksum(r, 36) != 0)
        return false;
    return true;
}

phys_addr_t acpi_find_rsdp(const void *(*phys)(phys_addr_t pa, size_t len))
{
    const uint16_t *ebda_seg = phys(0x40e, 2);
    phys_addr_t ranges[2][2] = {{0, 0}, {0xe0000, 0x100000}};

    if (ebda_seg != NULL && *ebda_seg != 0) {
        ranges[0][0] = (phys_addr_t)*ebda_seg << 4;
        ranges[0][1] = ranges[0][0] + 1024;
    }
    for (int r = 0; r < 2; r++) {
        for (phys_addr_t pa = ranges[r][0]; pa + 36 <= ranges[r][1]; pa += 16) {
            const uint8_t *p = phys(pa, 36);
            if (p != NULL && rsdp_valid(p))
                return pa;
        }
    }
    return 0;
}

int acpi_tables_parse(struct acpi_info *info, phys_addr_t rsdp_pa, const uint8_t *rsdp_copy,
                      const void *(*phys)(phys_addr_t pa, size_t len))
{
    const uint8_t *r = rsdp_copy != NULL ? rsdp_copy : phys(rsdp_pa, 36);
    const uint8_t *root;
    uint32_t root_len;
    unsigned int entry_size;
    phys_addr_t root_pa;

    memset(info, 0, sizeof(*info));
    if (r == NULL || !rsdp_valid(r))
        return -ENOENT;
    info->revision = r[15];
    if (info->revision >= 2 && rd64(r + 24) != 0) {
        root_pa = rd64(r + 24);
        entry_size = 8;
    } else {
        root_pa = rd32(r + 16);
        entry_size = 4;
    }
    root = map_table(root_pa, phys, &root_len);
    if (root == NULL)
        return -ENOENT;

    for (uint32_t off = SDT_HEADER_LEN; off + entry_size <= root_len; off += entry_size) {
        phys_addr_t pa = entry_size == 8 ? rd64(root + off) : rd32(root + off);
        const uint8_t *t;
        uint32_t len;

        if (pa == 0)
            continue;
        t = map_table(pa, phys, &len);
        if (t == NULL)
            continue;
        if (memcmp(t, "APIC", 4) == 0 && !info->has_madt) {
            parse_madt(info, t, len);
        } else if (memcmp(t, "FACP", 4) == 0 && !info->has_fadt) {
            parse_fadt(info, t, len, phys);
        } else if (memcmp(t, "HPET", 4) == 0 && len >= 56 && !info->has_hpet) {
            if (t[40] == 0 && rd64(t + 44) != 0) {
                info->has_hpet = true;
                info->hpet_addr = rd64(t + 44);
            }
        } else if (memcmp(t, "MCFG", 4) == 0 && len >= 60 && !info->has_mcfg) {
            if (rd16(t + 52) == 0) { /* PCI segment 0 */
                info->has_mcfg = true;
                info->mcfg_base = rd64(t + 44);
                info->mcfg_bus_start = t[54];
                info->mcfg_bus_end = t[55];
            }
        }
    }
    return 0;
}
