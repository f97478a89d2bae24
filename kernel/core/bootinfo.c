/*
 * bootinfo.c - read the PVH start_info or the multiboot2 information block.
 *
 * Called once from kmain() while the boot page tables still map the first
 * 4 GiB, so every address the loader gives is readable through phys().
 * Loader data is untrusted: every length is checked against what is mapped
 * and against our tables' sizes; a malformed item is skipped, never fatal.
 * Host-tested in tests/host/test_bootinfo.c.
 */
#include "core/boot.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"

#define PVH_MAGIC 0x336ec578

struct pvh_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct pvh_module {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct pvh_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

_Static_assert(sizeof(struct pvh_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct pvh_module) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "hvm_memmap_table_entry layout");

/* Multiboot2 tag types. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_INFO_MAX (1u << 20)

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

static void add_range(struct bootinfo *bi, uint64_t base, uint64_t size, uint32_t type)
{
    if (size == 0)
        return;
    if (bi->nmem == BOOT_MAX_RANGES) {
        pr_warn("boot: memory map has more than %d entries; ignoring the rest\n", BOOT_MAX_RANGES);
        return;
    }
    if (base + size < base)
        size = UINT64_MAX - base; /* wraps: clamp */
    bi->mem[bi->nmem++] = (struct mem_range){base, size, type};
}

static void add_module(struct bootinfo *bi, uint64_t base, uint64_t size)
{
    if (bi->nmods == BOOT_MAX_MODULES) {
        pr_warn("boot: more than %d boot modules; ignoring the rest\n", BOOT_MAX_MODULES);
        return;
    }
    if (size == 0 || base + size < base) {
        pr_warn("boot: ignoring module at %#lx with bad size %#lx\n", base, size);
        return;
    }
    bi->mods[bi->nmods++] = (struct boot_module){base, size};
}

/* Copy a NUL-terminated string at physical pa (at most dstlen-1 bytes). */
static void copy_phys_string(char *dst, size_t dstlen, phys_addr_t pa,
                             const void *(*phys)(phys_addr_t, size_t))
{
    const char *s;
    size_t i;

    dst[0] = '\0';
    if (pa == 0)
        return;
    for (i = 0; i + 1 < dstlen; i++) {
        s = phys(pa + i, 1);
        if (s == NULL || *s == '\0')
            break;
        dst[i] = *s;
    }
    dst[i] = '\0';
    s = i + 1 == dstlen ? phys(pa + i, 1) : NULL;
    if (s != NULL && *s != '\0')
        pr_warn("boot: command line longer than %zu bytes; the rest is ignored\n", dstlen - 1);
}

/* Copy a structure from physical memory (loaders need not align them). */
static bool read_phys(void *dst, phys_addr_t pa, size_t len,
                      const void *(*phys)(phys_addr_t, size_t))
{
    const void *p = phys(pa, len);

    if (p == NULL)
        return false;
    memcpy(dst, p, len);
    return true;
}

static int parse_pvh(struct bootinfo *bi, phys_addr_t info,
                     const void *(*phys)(phys_addr_t, size_t))
{
    struct pvh_start_info si;

    if (!read_phys(&si, info, sizeof(si), phys) || si.magic != PVH_MAGIC)
        return -EINVAL;
    copy_phys_string(bi->cmdline, sizeof(bi->cmdline), si.cmdline_paddr, phys);
    bi->rsdp = si.rsdp_paddr;

    for (uint32_t i = 0; i < si.nr_modules && i < BOOT_MAX_MODULES; i++) {
        struct pvh_module m;
        if (!read_phys(&m, si.modlist_paddr + i * sizeof(m), sizeof(m), phys)) {
            pr_warn("boot: PVH module list unreadable\n");
            break;
        }
        add_module(bi, m.paddr, m.size);
    }
    if (si.version >= 1 && si.memmap_paddr != 0) {
        for (uint32_t i = 0; i < si.memmap_entries && i < BOOT_MAX_RANGES; i++) {
            struct pvh_memmap_entry e;
            if (!read_phys(&e, si.memmap_paddr + i * sizeof(e), sizeof(e), phys)) {
                pr_warn("boot: PVH memory map unreadable\n");
                break;
            }
            add_range(bi, e.addr, e.size, e.type);
        }
    }
    return 0;
}

static void parse_mb2_mmap(struct bootinfo *bi, const uint8_t *tag, uint32_t size)
{
    uint32_t entry_size;

    if (size < 16)
        return;
    memcpy(&entry_size, tag + 8, 4);
    if (entry_size < 20 || entry_size > size) {
        pr_warn("boot: multiboot2 memory map entry size %u is invalid\n", entry_size);
        return;
    }
    /* 64-bit arithmetic: a huge entry_size must not wrap around. */
    for (uint64_t off = 16; off + entry_size <= size; off += entry_size) {
        uint64_t base, len;
        uint32_t type;
        memcpy(&base, tag + off, 8);
        memcpy(&len, tag + off + 8, 8);
        memcpy(&type, tag + off + 16, 4);
        add_range(bi, base, len, type);
    }
}

static int parse_mb2(struct bootinfo *bi, phys_addr_t info,
                     const void *(*phys)(phys_addr_t, size_t))
{
    const uint32_t *hdr = phys(info, 8);
    const uint8_t *p;
    uint32_t total, off;

    if (hdr == NULL)
        return -EINVAL;
    total = hdr[0];
    if (total < 16 || total > MB2_INFO_MAX)
        return -EINVAL;
    p = phys(info, total);
    if (p == NULL)
        return -EINVAL;

    for (off = 8; off + sizeof(struct mb2_tag) <= total;) {
        struct mb2_tag tag;
        memcpy(&tag, p + off, sizeof(tag));
        if (tag.type == MB2_TAG_END)
            break;
        if (tag.size < 8 || tag.size > total - off) {
            pr_warn("boot: malformed multiboot2 tag %u; ignoring the rest\n", tag.type);
            break;
        }
        const uint8_t *t = p + off;
        switch (tag.type) {
        case MB2_TAG_CMDLINE: {
            size_t n = MIN((size_t)tag.size - 8, sizeof(bi->cmdline) - 1);
            memcpy(bi->cmdline, t + 8, n);
            bi->cmdline[n] = '\0';
            if (tag.size - 8 > n && t[8 + n] != '\0')
                pr_warn("boot: command line longer than %zu bytes; the rest is ignored\n", n);
            break;
        }
        case MB2_TAG_MODULE:
            if (tag.size >= 16) {
                uint32_t start, end;
                memcpy(&start, t + 8, 4);
                memcpy(&end, t + 12, 4);
                if (end > start)
                    add_module(bi, start, end - start);
            }
            break;
        case MB2_TAG_MMAP:
            parse_mb2_mmap(bi, t, tag.size);
            break;
        case MB2_TAG_FRAMEBUFFER:
            if (tag.size >= 31) {
                memcpy(&bi->fb.addr, t + 8, 8);
                memcpy(&bi->fb.pitch, t + 16, 4);
                memcpy(&bi->fb.width, t + 20, 4);
                memcpy(&bi->fb.height, t + 24, 4);
                bi->fb.bpp = t[28];
                bi->fb.type = t[29];
            }
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            /* The tag holds a copy of the RSDP; prefer the ACPI 2.0 one. */
            if (tag.size >= 8 + 20 && (bi->rsdp_copy_len == 0 || tag.type == MB2_TAG_ACPI_NEW)) {
                size_t n = MIN((size_t)tag.size - 8, sizeof(bi->rsdp_copy));
                memcpy(bi->rsdp_copy, t + 8, n);
                bi->rsdp_copy_len = n;
            }
            break;
        default:
            break;
        }
        off += ALIGN_UP(tag.size, 8u);
    }
    return 0;
}

int bootinfo_parse(struct bootinfo *bi, int proto, phys_addr_t info,
                   const void *(*phys)(phys_addr_t pa, size_t len))
{
    bi->proto = proto;
    bi->nmem = 0;
    bi->nmods = 0;
    bi->rsdp = 0;
    bi->rsdp_copy_len = 0;
    bi->cmdline[0] = '\0';
    memset(&bi->fb, 0, sizeof(bi->fb));
    if (proto == BOOT_PROTO_PVH)
        return parse_pvh(bi, info, phys);
    if (proto == BOOT_PROTO_MB2)
        return parse_mb2(bi, info, phys);
    return -EINVAL;
}
