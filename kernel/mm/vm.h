/*
 * vm.h - user address spaces: page table + virtual memory areas (VMAs).
 *
 * A VMA says what may be mapped in [start, end) and how; pages are
 * allocated lazily by vm_fault() on first touch (zeroed for anonymous
 * memory). VMAs are kept sorted and never overlap; neighbours with the
 * same properties are merged. A file VMA (mmap of a file) holds a
 * reference on the open file and maps the file's pages (see vm.c and
 * docs/vfs.md, "File mappings"). Locking: mm->lock (a spinlock taken with
 * IRQs off) guards the VMA list and the lower half of the page table. Code
 * holding it must not touch user memory (a fault would take it again) nor
 * sleep: file work (reading a page, writing dirty pages back, the final
 * file_put) happens with it dropped.
 */
#pragma once

#include "lib/list.h"
#include "mm/paging.h"
#include "sched/spinlock.h"

/* Linux mmap constants. */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_SYNC 0x80000
#define MAP_FIXED_NOREPLACE 0x100000

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23

/* VMA flags (ours). */
#define VMA_SHARED 0x1
#define VMA_GROWSDOWN 0x2
#define VMA_STACK 0x4
#define VMA_HEAP 0x8    /* the brk area */
#define VMA_HUGE 0x10   /* MADV_HUGEPAGE: prefer 2 MiB pages */
#define VMA_NOHUGE 0x20 /* MADV_NOHUGEPAGE: never 2 MiB pages */
#define VMA_VDSO 0x40   /* the vDSO's text: kernel pages, never writable */
#define VMA_VVAR 0x80   /* the vDSO's data page: kernel pages, never writable */
#define VMA_SPECIAL (VMA_VDSO | VMA_VVAR)

struct file;
struct inode;

struct vma {
    uintptr_t start, end; /* page aligned, end exclusive */
    uint32_t prot;        /* PROT_* */
    uint32_t flags;       /* VMA_* */
    struct file *file;    /* NULL: anonymous; else referenced by the VMA */
    uint64_t offset;      /* file offset of start */
    struct list_head link;
};

struct mm {
    spinlock_t lock;
    phys_addr_t pml4;
    struct list_head vmas; /* sorted by start; guarded by lock */
    struct vma *cache;     /* last VMA found; guarded by lock */
    unsigned int nvmas;
    uintptr_t brk_start, brk; /* program break */
    uintptr_t mmap_top;       /* top-down search starts here */
    uintptr_t stack_top;
    uintptr_t arg_start, arg_end, env_start, env_end; /* for /proc */
    uintptr_t image_start, image_end; /* the program's ELF segments, named in /proc maps */
    uint64_t rss_pages;               /* resident user pages; guarded by lock */
    struct list_head gather;          /* unmapped pages waiting for the TLB shootdown */
    struct list_head dead;    /* removed file VMAs for vm_unlock to release; guarded by lock */
    uint64_t committed_pages; /* writable private pages mapped (accounting) */
    int refs;                 /* threads using it */
};

/* A new address space with the kernel half shared; NULL when out of memory. */
struct mm *mm_create(void);
/* Drop a reference; the last one frees every page and table. */
void mm_put(struct mm *mm);

static inline void vm_activate(struct mm *mm)
{
    pt_activate(mm->pml4);
}

/*
 * vm_mmap maps len bytes. Without MAP_FIXED, addr is a hint: used when
 * free, otherwise the highest free gap below mmap_top is taken. Returns
 * the address or -errno (EINVAL, ENOMEM, EEXIST for MAP_FIXED_NOREPLACE).
 */
long vm_mmap(struct mm *mm, uintptr_t addr, size_t len, int prot, int flags, struct file *file,
             uint64_t offset);
/* One run of kernel-owned pages for vm_map_special. */
struct vm_special {
    struct page *const *pages; /* each holds a kernel reference that outlives every mapping */
    unsigned int npages;
    int prot;        /* PROT_READ, optionally PROT_EXEC: never PROT_WRITE */
    uint32_t vflags; /* VMA_VDSO or VMA_VVAR */
};
/*
 * vm_map_special maps the n runs back to back, in order, at the highest
 * free gap below mmap_top (the vDSO and its vvar page), each page mapped at
 * once with a reference taken. Unmapping drops only that reference; such a
 * VMA cannot be made writable (mprotect answers -EACCES). Returns the start
 * address or -ENOMEM.
 */
long vm_map_special(struct mm *mm, const struct vm_special *runs, unsigned int n);
/* Unmap [addr, addr+len): 0 or -EINVAL. Pages are freed. */
int vm_munmap(struct mm *mm, uintptr_t addr, size_t len);
int vm_mprotect(struct mm *mm, uintptr_t addr, size_t len, int prot);
int vm_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice);
long vm_mremap(struct mm *mm, uintptr_t old, size_t old_len, size_t new_len, int flags,
               uintptr_t new_addr);
/*
 * msync: move the dirty bits of shared file pages in [addr, addr+len) to
 * the files' page caches and write them back (sync: also fsync the file).
 * 0, -ENOMEM (part of the range is not mapped), -EINVAL, or the write's -errno.
 */
int vm_msync(struct mm *mm, uintptr_t addr, size_t len, bool sync);
/*
 * Move the dirty bits of every shared mapping of inode in mm to its pages
 * (PG_DIRTY), so the file's fsync writes them back. Takes mm->lock.
 */
void vm_harvest_dirty(struct mm *mm, struct inode *inode);
/*
 * inode shrank to size: unmap mm's pages of it that lie wholly past the
 * end, so touching them faults again and gets SIGBUS, as on Linux. (One
 * process, one mm: no reverse map is needed.) Takes mm->lock.
 */
void vm_truncate_file(struct mm *mm, struct inode *inode, uint64_t size);
/*
 * Write back the stores made through every shared file mapping of mm
 * (sync(2), and the end of the run before the disks are flushed). May sleep.
 */
void vm_writeback_all(struct mm *mm);
/* Set the break; returns the new (or, on failure, current) break like Linux. */
uintptr_t vm_brk(struct mm *mm, uintptr_t brk);
/* Residency of each page in [addr, addr+len) into vec (kernel buffer). */
int vm_mincore(struct mm *mm, uintptr_t addr, size_t len, uint8_t *vec);

/* Page fault results. */
#define VM_FAULT_OK 0
#define VM_FAULT_MAPERR 1 /* no VMA: SEGV_MAPERR */
#define VM_FAULT_ACCERR 2 /* VMA forbids the access: SEGV_ACCERR */
#define VM_FAULT_OOM 3    /* no memory for the page */
#define VM_FAULT_SIGBUS 4 /* a file page past the end of the file, or an I/O error */

#define FAULT_WRITE 0x2 /* x86 error code bits */
#define FAULT_USER 0x4
#define FAULT_EXEC 0x10

/* Resolve a fault at addr with the x86 error code. Any context; IRQs off OK. */
int vm_fault(struct mm *mm, uintptr_t addr, uint64_t error);

/*
 * vm_populate faults in [addr, addr+len) for writing (kernel use: the ELF
 * loader and the initial stack). 0 or -ENOMEM/-EFAULT.
 */
int vm_populate(struct mm *mm, uintptr_t addr, size_t len, bool write);

/* Format /proc/<pid>/maps into buf; returns the length. */
size_t vm_format_maps(struct mm *mm, char *buf, size_t size);

/* Statistics. */
uint64_t vm_rss_pages(struct mm *mm);
uint64_t vm_total_pages(struct mm *mm);
