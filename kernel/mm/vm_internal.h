/*
 * vm_internal.h - what the files of the address-space code share: vm.c
 * (address spaces, VMAs, the system calls), vm_fault.c (page faults, huge
 * pages), vm_remap.c (mremap) and vm_file.c (write-back of shared file
 * mappings). Nothing outside mm/ uses it. Unless said otherwise, each
 * function here needs mm->lock held.
 */
#pragma once

#include "mm/vm.h"

/*
 * A page made inaccessible by PROT_NONE keeps its frame: the entry loses
 * PTE_PRESENT and gets this software bit, so a later mprotect brings the
 * same contents back and munmap still frees the frame.
 */
#define PTE_PROTNONE (1ul << 10)
#define LEAF_VALID (PTE_PRESENT | PTE_PROTNONE)
/*
 * Software bit: a file's page mapped in a private VMA. It stays read-only
 * whatever the VMA's protection; the first write copies it (file_fault).
 */
#define PTE_COW (1ul << 11)

/* Page-table flags for a VMA protection. */
uint64_t pte_flags(uint32_t prot);
/* The VMA holding addr, or the first one above it, or NULL. mm->lock held. */
struct vma *vma_find(struct mm *mm, uintptr_t addr);
/* Flush every CPU's TLB for mm and free the pages gathered on mm->gather. mm->lock held. */
void flush_and_free(struct mm *mm);
/* Drop mm->lock (taken with spin_lock_irqsave), then release the VMAs that died under it. */
void vm_unlock(struct mm *mm, uint64_t irq);

/* Never map the first 64 KiB: NULL pointers and small offsets from them fault. */
#define MMAP_MIN_ADDR 0x10000ul

/*
 * Walk the present leaf entries of [start, end) in the lower half, calling
 * fn for each 4 KiB or 2 MiB leaf fully inside; a 2 MiB leaf crossing an
 * edge is split first (-ENOMEM when that fails).
 */
typedef void (*leaf_fn)(struct mm *mm, uint64_t *pte, uintptr_t va, int level, uint64_t arg);
int walk_range(struct mm *mm, uintptr_t start, uintptr_t end, leaf_fn fn, uint64_t arg);
/* A leaf_fn: unmap the page, its frame to mm->gather when the last reference goes. */
void free_leaf(struct mm *mm, uint64_t *pte, uintptr_t va, int level, uint64_t arg);
/* Split the 2 MiB page at *pde into 512 4 KiB entries: 0 or -ENOMEM. */
int split_huge(uint64_t *pde);
/* A store went through a shared mapping of pg: its file page needs writing back. */
void mark_page_dirty(struct page *pg);

/* Add a VMA for [start, end) (taking a reference on file): 0 or -ENOMEM. */
int insert_vma(struct mm *mm, uintptr_t start, uintptr_t end, uint32_t prot, uint32_t flags,
               struct file *file, uint64_t offset);
/* Merge v with its neighbours where they are alike. */
void vma_merge(struct mm *mm, struct vma *v);
/* Remove every mapping of [start, end): 0 or -ENOMEM (a split failed). */
int unmap_locked(struct mm *mm, uintptr_t start, uintptr_t end);
/* Whether no VMA meets [start, end). */
bool range_free(struct mm *mm, uintptr_t start, uintptr_t end);
/* A free range of len bytes, top-down below mm->mmap_top; 0 when none. */
uintptr_t find_gap(struct mm *mm, size_t len);
/*
 * Check a user range [addr, addr+*len) and round *len up to pages: 0,
 * -EINVAL for an unaligned or kernel addr, too_long when it runs past user
 * space. No lock needed.
 */
int user_range(uintptr_t addr, size_t *len, int too_long);
