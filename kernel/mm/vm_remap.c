/*
 * vm_remap.c - mremap: shrink in place, grow in place when the pages after
 * are free, or move (MREMAP_MAYMOVE, MREMAP_FIXED).
 *
 * A move inserts the new VMA (with the old one's protection, flags, file
 * and offset), moves the page-table entries one by one (a huge page is
 * split first, so each 4 KiB page moves with its exact entry, PROT_NONE
 * ones included), flushes, then unmaps the old range.
 */
#include "arch/x86_64/cpu.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/vm_internal.h"

/* Move the mapped pages of [old, old+len) to new (both page aligned). */
static void move_pages(struct mm *mm, uintptr_t old, uintptr_t new_addr, size_t len)
{
    for (size_t off = 0; off < len; off += PAGE_SIZE) {
        int level;
        uint64_t *e = pt_lookup(mm->pml4, old + off, &level);

        if (e != NULL && level != 1) {
            /* A huge page: split it so every page moves on its own. */
            if (split_huge(e) != 0)
                continue; /* out of memory: left behind, freed by the unmap */
            e = pt_lookup(mm->pml4, old + off, &level);
        }
        if (e == NULL)
            continue; /* PROT_NONE pages are not moved: the unmap frees them */
        uint64_t entry = *e;
        *e = 0;
        invlpg(old + off);
        if (pt_map(mm->pml4, new_addr + off, entry & PTE_ADDR_MASK, PAGE_SIZE,
                   (entry & ~PTE_ADDR_MASK & ~PTE_PRESENT) | PT_MAP_NO_HUGE) != 0) {
            /* No page table for it: the page is dropped (reads back as zero). */
            list_add(&phys_to_page(entry & PTE_ADDR_MASK)->link, &mm->gather);
            mm->rss_pages--;
            continue;
        }
        /* Keep the entry exactly as it was (a PROT_NONE page stays not present). */
        uint64_t *ne = pt_lookup(mm->pml4, new_addr + off, &level);
        if (ne != NULL)
            *ne = entry;
    }
}

long vm_mremap(struct mm *mm, uintptr_t old, size_t old_len, size_t new_len, int flags,
               uintptr_t new_addr)
{
    struct vma *v;
    uint64_t irq;
    long ret;

    if (!IS_ALIGNED(old, PAGE_SIZE) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || new_len == 0)
        return -EINVAL;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (old >= USER_TOP || old_len > USER_TOP - old || new_len > USER_TOP)
        return -EINVAL;

    irq = spin_lock_irqsave(&mm->lock);
    v = vma_find(mm, old);
    if (v == NULL || v->start > old || v->end < old + old_len || old_len == 0) {
        ret = -EFAULT;
        goto out;
    }
    if (!(flags & MREMAP_FIXED)) {
        if (new_len <= old_len) {
            if (new_len < old_len)
                ret = unmap_locked(mm, old + new_len, old + old_len);
            else
                ret = 0;
            ret = ret == 0 ? (long)old : ret;
            goto out;
        }
        /* Grow in place when the pages after are free. */
        if (v->end == old + old_len && old + new_len <= USER_TOP &&
            range_free(mm, old + old_len, old + new_len)) {
            if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
                mm->committed_pages += (new_len - old_len) >> PAGE_SHIFT;
            v->end = old + new_len;
            vma_merge(mm, v);
            ret = (long)old;
            goto out;
        }
        if (!(flags & MREMAP_MAYMOVE)) {
            ret = -ENOMEM;
            goto out;
        }
        new_addr = find_gap(mm, new_len);
        if (new_addr == 0) {
            ret = -ENOMEM;
            goto out;
        }
    } else {
        if (!IS_ALIGNED(new_addr, PAGE_SIZE) || new_addr < MMAP_MIN_ADDR ||
            new_addr + new_len > USER_TOP ||
            (new_addr < old + old_len && old < new_addr + new_len)) {
            ret = -EINVAL;
            goto out;
        }
        ret = unmap_locked(mm, new_addr, new_addr + new_len);
        if (ret != 0)
            goto out;
        v = vma_find(mm, old);
    }
    {
        uint32_t prot = v->prot, vflags = v->flags;
        struct file *file = v->file;
        uint64_t offset = v->offset + (old - v->start);

        ret = insert_vma(mm, new_addr, new_addr + new_len, prot, vflags, file, offset);
        if (ret != 0)
            goto out;
        move_pages(mm, old, new_addr, MIN(old_len, new_len));
        flush_and_free(mm);
        ret = unmap_locked(mm, old, old + old_len);
        ret = ret == 0 ? (long)new_addr : ret;
    }
out:
    vm_unlock(mm, irq);
    return ret;
}
