/*
 * elf.h - checking an application's ELF headers before loading it.
 */
#pragma once

#include "lib/types.h"

#define ELF_MAX_PHNUM 64

struct elf_segment {
    uint64_t vaddr, memsz; /* where, before the load bias */
    uint64_t offset, filesz;
    uint32_t prot; /* PROT_READ/WRITE/EXEC */
};

struct elf_info {
    bool pie;       /* ET_DYN: needs a load bias */
    uint64_t entry; /* before the load bias */
    uint64_t phoff; /* file offset of the program headers */
    uint16_t phnum;
    uint64_t phdr_vaddr; /* where the program headers are in memory (0: not loaded) */
    unsigned int nsegs;
    struct elf_segment segs[ELF_MAX_PHNUM];
    uint64_t lo, hi; /* span of all segments, page aligned */
    bool exec_stack; /* PT_GNU_STACK with PF_X */
    uint64_t tls_vaddr, tls_memsz;
};

/*
 * elf_parse checks the ELF header and program headers in buf (the first
 * len bytes of a file of file_size bytes) and describes what to load. It
 * accepts static x86-64 executables (ET_EXEC) and static PIE (ET_DYN
 * without PT_INTERP). On error returns -ENOEXEC with a message in err
 * (errlen bytes), e.g. "not an ELF file", "dynamically linked".
 */
int elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct elf_info *out, char *err,
              size_t errlen);
