/*
 * vm_internal.h - what vm.c (address spaces, VMAs, the system calls) and
 * vm_fault.c (page faults, huge pages) share. Nothing outside mm/ uses it.
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
