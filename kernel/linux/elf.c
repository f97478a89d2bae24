/*
 * elf.c - validating ELF executables (see elf.h). The file is untrusted:
 * every offset and size is checked against the file and the user address
 * space, with overflow in mind. Host-tested with malformed inputs and
 * fuzzed (tests/host/test_elf.c, tests/fuzz/elf.c).
 */
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/elf.h"
#include "mm/layout.h"

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr");

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -ENOEXEC;                                                                           \
    } while (0)

int elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct elf_info *out, char *err,
              size_t errlen)
{
    struct elf64_ehdr eh;
    bool have_load = false;

    memset(out, 0, sizeof(*out));
    if (len < 4 || memcmp(buf,
                          "\x7f"
                          "ELF",
                          4) != 0)
        FAIL("not an ELF file");
    if (len < sizeof(eh))
        FAIL("truncated ELF header");
    memcpy(&eh, buf, sizeof(eh));
    if (eh.ident[4] != 2)
        FAIL("not a 64-bit ELF file");
    if (eh.ident[5] != 1)
        FAIL("not a little-endian ELF file");
    if (eh.ident[6] != 1 || eh.version != 1)
        FAIL("unknown ELF version");
    if (eh.machine != EM_X86_64)
        FAIL("ELF file for another machine (e_machine %u), not x86-64", eh.machine);
    if (eh.type != ET_EXEC && eh.type != ET_DYN)
        FAIL("ELF file is not an executable (e_type %u)", eh.type);
    if (eh.phentsize != sizeof(struct elf64_phdr))
        FAIL("bad program header size %u", eh.phentsize);
    if (eh.phnum == 0 || eh.phnum > ELF_MAX_PHNUM)
        FAIL("bad program header count %u", eh.phnum);
    if (eh.phoff > len || (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > len - eh.phoff)
        FAIL("program headers beyond the start of the file (truncated?)");

    out->pie = eh.type == ET_DYN;
    out->entry = eh.entry;
    out->phoff = eh.phoff;
    out->phnum = eh.phnum;
    out->lo = UINT64_MAX;
    for (unsigned int i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, buf + eh.phoff + i * sizeof(ph), sizeof(ph));
        switch (ph.type) {
        case PT_INTERP:
            FAIL("dynamically linked (needs an interpreter); link statically");
        case PT_GNU_STACK:
            out->exec_stack = ph.flags & PF_X;
            break;
        case PT_TLS:
            out->tls_vaddr = ph.vaddr;
            out->tls_memsz = ph.memsz;
            break;
        case PT_PHDR:
            out->phdr_vaddr = ph.vaddr;
            break;
        case PT_LOAD: {
            if (ph.memsz == 0)
                break;
            if (ph.filesz > ph.memsz)
                FAIL("segment %u: file size larger than memory size", i);
            if (ph.offset > file_size || ph.filesz > file_size - ph.offset)
                FAIL("segment %u extends past the end of the file (truncated?)", i);
            if ((ph.vaddr % PAGE_SIZE) != (ph.offset % PAGE_SIZE))
                FAIL("segment %u: address and file offset misaligned", i);
            if (ph.vaddr >= USER_TOP || ph.memsz > USER_TOP - ph.vaddr)
                FAIL("segment %u outside the user address space", i);
            struct elf_segment *s = &out->segs[out->nsegs++];
            s->vaddr = ph.vaddr;
            s->memsz = ph.memsz;
            s->offset = ph.offset;
            s->filesz = ph.filesz;
            s->prot = ((ph.flags & PF_R) ? 1 : 0) | ((ph.flags & PF_W) ? 2 : 0) |
                      ((ph.flags & PF_X) ? 4 : 0);
            out->lo = MIN(out->lo, ALIGN_DOWN(ph.vaddr, PAGE_SIZE));
            out->hi = MAX(out->hi, ALIGN_UP(ph.vaddr + ph.memsz, PAGE_SIZE));
            if (out->phdr_vaddr == 0 && ph.offset <= eh.phoff &&
                eh.phoff + eh.phnum * sizeof(ph) <= ph.offset + ph.filesz)
                out->phdr_vaddr = ph.vaddr + (eh.phoff - ph.offset);
            have_load = true;
            break;
        }
        default:
            break;
        }
    }
    if (!have_load)
        FAIL("no loadable segments");
    /* Segments may share a page but not bytes. */
    for (unsigned int i = 0; i < out->nsegs; i++) {
        for (unsigned int j = i + 1; j < out->nsegs; j++) {
            const struct elf_segment *a = &out->segs[i], *b = &out->segs[j];
            if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
                FAIL("segments %u and %u overlap", i, j);
        }
    }
    if (!out->pie && out->lo < 0x10000)
        FAIL("segments below 64 KiB");
    if (out->entry < out->lo || out->entry >= out->hi)
        FAIL("entry point %#lx outside the loaded segments", out->entry);
    if (out->pie && out->hi - out->lo > (USER_TOP >> 2))
        FAIL("position-independent image too large");
    return 0;
}
