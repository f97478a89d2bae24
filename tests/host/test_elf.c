/* ELF validation and the initial stack, with well-formed and malformed input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "linux/auxv.h"
#include "linux/elf.h"
#include "lib/errno.h"

struct img {
    uint8_t b[4096];
};

struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* A minimal static executable: text at 0x400000, data at 0x402000. */
static void make(struct img *im)
{
    struct ehdr *e = (struct ehdr *)im->b;
    struct phdr *p = (struct phdr *)(im->b + 64);

    memset(im, 0, sizeof(*im));
    memcpy(e->ident,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    e->type = 2;
    e->machine = 62;
    e->version = 1;
    e->entry = 0x401000;
    e->phoff = 64;
    e->ehsize = 64;
    e->phentsize = 56;
    e->phnum = 3;
    p[0] = (struct phdr){.type = 1,
                         .flags = 5,
                         .offset = 0,
                         .vaddr = 0x400000,
                         .filesz = 0x1800,
                         .memsz = 0x1800,
                         .align = 0x1000};
    p[1] = (struct phdr){.type = 1,
                         .flags = 6,
                         .offset = 0x2000,
                         .vaddr = 0x402000,
                         .filesz = 0x100,
                         .memsz = 0x5000,
                         .align = 0x1000};
    p[2] = (struct phdr){.type = 0x6474e551, .flags = 6}; /* PT_GNU_STACK, not executable */
}

static int parse(struct img *im, uint64_t size, struct elf_info *info, char *why)
{
    return elf_parse(im->b, sizeof(im->b), size, info, why, 128);
}

Test(elf, static_executable)
{
    struct img im;
    struct elf_info info;
    char why[128];

    make(&im);
    cr_assert_eq(parse(&im, 0x3000, &info, why), 0, "%s", why);
    cr_assert(!info.pie);
    cr_assert_eq(info.nsegs, 2);
    cr_assert_eq(info.segs[0].prot, 5);
    cr_assert_eq(info.segs[1].prot, 3);
    cr_assert_eq(info.lo, 0x400000);
    cr_assert_eq(info.hi, 0x407000);
    cr_assert_eq(info.phdr_vaddr, 0x400040, "phdrs are mapped with the first segment");
    cr_assert(!info.exec_stack);
}

Test(elf, static_pie)
{
    struct img im;
    struct elf_info info;
    char why[128];
    struct ehdr *e = (struct ehdr *)im.b;
    struct phdr *p;

    make(&im);
    p = (struct phdr *)(im.b + 64);
    e->type = 3;
    e->entry = 0x1000;
    p[0].vaddr = 0;
    p[1].vaddr = 0x2000;
    cr_assert_eq(parse(&im, 0x3000, &info, why), 0, "%s", why);
    cr_assert(info.pie);
    cr_assert_eq(info.lo, 0);
}

#define EXPECT_BAD(mutate, msg)                                                                    \
    do {                                                                                           \
        struct img im;                                                                             \
        struct elf_info info;                                                                      \
        char why[128] = "";                                                                        \
        make(&im);                                                                                 \
        struct ehdr *e = (struct ehdr *)im.b;                                                      \
        struct phdr *p = (struct phdr *)(im.b + 64);                                               \
        (void)e;                                                                                   \
        (void)p;                                                                                   \
        mutate;                                                                                    \
        cr_assert_eq(parse(&im, 0x3000, &info, why), -ENOEXEC, "accepted: " #mutate);              \
        cr_assert(strstr(why, msg) != NULL, "message '%s' lacks '%s'", why, msg);                  \
    } while (0)

Test(elf, malformed)
{
    EXPECT_BAD(memcpy(im.b,
                      "\x7f"
                      "EXE",
                      4),
               "not an ELF");
    EXPECT_BAD(e->ident[4] = 1, "64-bit");
    EXPECT_BAD(e->ident[5] = 2, "little-endian");
    EXPECT_BAD(e->machine = 183, "another machine");
    EXPECT_BAD(e->type = 1, "not an executable");
    EXPECT_BAD(e->phentsize = 32, "program header size");
    EXPECT_BAD(e->phnum = 0, "program header count");
    EXPECT_BAD(e->phnum = 1000, "program header count");
    EXPECT_BAD(e->phoff = 4090, "truncated");
    EXPECT_BAD(p[2].type = 3, "dynamically linked");
    EXPECT_BAD(p[1].filesz = 0x6000, "file size larger");
    EXPECT_BAD(p[1].offset = 0x3000, "past the end of the file");
    EXPECT_BAD(p[1].offset = 0x2100, "misaligned");
    EXPECT_BAD(p[1].vaddr = 0x7ffffffff000, "outside the user address space");
    EXPECT_BAD(p[1].vaddr = 0x401000, "overlap");
    EXPECT_BAD(e->entry = 0x900000, "entry point");
    EXPECT_BAD((p[0].type = 0, p[1].type = 0), "no loadable");
    EXPECT_BAD(p[0].vaddr = 0x1000, "below 64 KiB");
}

Test(elf, truncated_header)
{
    struct img im;
    struct elf_info info;
    char why[128];

    make(&im);
    cr_assert_eq(elf_parse(im.b, 40, 40, &info, why, sizeof(why)), -ENOEXEC);
    cr_assert(strstr(why, "truncated") != NULL);
    cr_assert_eq(elf_parse(im.b, 3, 3, &info, why, sizeof(why)), -ENOEXEC);
}

Test(elf, dynamic_host_binary_is_refused)
{
    /* Debian's own programs are dynamically linked. */
    static uint8_t buf[4096];
    struct elf_info info;
    char why[128];
    FILE *f = fopen("/bin/true", "rb");

    cr_assert_not_null(f);
    size_t n = fread(buf, 1, sizeof(buf), f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(elf_parse(buf, n, (uint64_t)size, &info, why, sizeof(why)), -ENOEXEC);
    cr_assert(strstr(why, "dynamically linked") != NULL, "%s", why);
}

/* ---- initial stack ---- */

static uint64_t word(const uint8_t *buf, uint64_t top, size_t size, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, buf + (addr - (top - size)), 8);
    return v;
}

static const char *str(const uint8_t *buf, uint64_t top, size_t size, uint64_t addr)
{
    return (const char *)buf + (addr - (top - size));
}

Test(stack, layout)
{
    static uint8_t buf[8192];
    const uint64_t top = 0x7ffffff00000;
    char *argv[] = {"/init", "-v", "x y"};
    char *envp[] = {"HOME=/", "TERM=linux"};
    struct stack_spec spec = {.argv = argv, .argc = 3, .envp = envp, .envc = 2, .execfn = "/init"};
    memset(spec.random, 0xab, 16);
    spec.auxv[0][0] = AT_PAGESZ;
    spec.auxv[0][1] = 4096;
    spec.auxv[1][0] = AT_ENTRY;
    spec.auxv[1][1] = 0x401000;
    spec.nauxv = 2;

    long sp = stack_build(buf, sizeof(buf), top, &spec);
    cr_assert_gt(sp, 0);
    cr_assert_eq(sp % 16, 0, "RSP must be 16-byte aligned at entry");
    uint64_t a = (uint64_t)sp;
    cr_assert_eq(word(buf, top, sizeof(buf), a), 3, "argc");
    cr_assert_str_eq(str(buf, top, sizeof(buf), word(buf, top, sizeof(buf), a + 8)), "/init");
    cr_assert_str_eq(str(buf, top, sizeof(buf), word(buf, top, sizeof(buf), a + 24)), "x y");
    cr_assert_eq(word(buf, top, sizeof(buf), a + 32), 0, "argv NULL");
    cr_assert_str_eq(str(buf, top, sizeof(buf), word(buf, top, sizeof(buf), a + 40)), "HOME=/");
    cr_assert_eq(word(buf, top, sizeof(buf), a + 56), 0, "envp NULL");
    /* auxv: our two entries, then AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL. */
    uint64_t aux = a + 64;
    cr_assert_eq(word(buf, top, sizeof(buf), aux), AT_PAGESZ);
    cr_assert_eq(word(buf, top, sizeof(buf), aux + 8), 4096);
    cr_assert_eq(word(buf, top, sizeof(buf), aux + 32), AT_RANDOM);
    uint64_t rnd = word(buf, top, sizeof(buf), aux + 40);
    cr_assert_eq((uint8_t)str(buf, top, sizeof(buf), rnd)[0], 0xab);
    cr_assert_eq(word(buf, top, sizeof(buf), aux + 48), AT_EXECFN);
    cr_assert_str_eq(str(buf, top, sizeof(buf), word(buf, top, sizeof(buf), aux + 56)), "/init");
    cr_assert_eq(word(buf, top, sizeof(buf), aux + 64), AT_PLATFORM);
    cr_assert_str_eq(str(buf, top, sizeof(buf), word(buf, top, sizeof(buf), aux + 72)), "x86_64");
    cr_assert_eq(word(buf, top, sizeof(buf), aux + 80), AT_NULL);
    /* Everything lies inside the stack. */
    cr_assert_lt(word(buf, top, sizeof(buf), aux + 72), top);
}

Test(stack, too_big)
{
    static uint8_t buf[256];
    static char big[300];
    char *argv[] = {big};
    struct stack_spec spec = {.argv = argv, .argc = 1, .execfn = "/init"};

    memset(big, 'a', sizeof(big) - 1);
    cr_assert_eq(stack_build(buf, sizeof(buf), 0x7ffffff00000, &spec), -E2BIG);
    spec.nauxv = STACK_MAX_AUXV + 1;
    cr_assert_eq(stack_build(buf, sizeof(buf), 0x7ffffff00000, &spec), -E2BIG);
}
