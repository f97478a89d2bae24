/*
 * sys_mm.c - memory system calls: thin checks in front of mm/vm.c (and,
 * for mappings of files, file_mmap_check in fs/file.c).
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

SYSCALL_DEFINE6(mmap, uint64_t, addr, size_t, len, int, prot, int, flags, int, fd, off_t, off)
{
    struct mm *mm = current_process()->mm;
    bool shared = (flags & MAP_TYPE) == MAP_SHARED || (flags & MAP_TYPE) == MAP_SHARED_VALIDATE;
    struct file *f;
    long ret;

    if ((off & (off_t)(PAGE_SIZE - 1)) != 0)
        return -EINVAL;
    if (flags & MAP_ANONYMOUS)
        return vm_mmap(mm, addr, len, prot, flags, NULL, 0);
    if (off < 0 || (uint64_t)off + ALIGN_UP(len, PAGE_SIZE) < (uint64_t)off)
        return -EOVERFLOW;
    f = fd_get(fd);
    if (f == NULL)
        return -EBADF;
    ret = file_mmap_check(f, (prot & PROT_WRITE) != 0, shared);
    if (ret == 0)
        ret = vm_mmap(mm, addr, len, prot, flags, f,
                      (uint64_t)off); /* the VMA takes its own reference */
    file_put(f);
    return ret;
}

SYSCALL_DEFINE2(munmap, uint64_t, addr, size_t, len)
{
    return vm_munmap(current_process()->mm, addr, len);
}

SYSCALL_DEFINE3(mprotect, uint64_t, addr, size_t, len, int, prot)
{
    return vm_mprotect(current_process()->mm, addr, len, prot);
}

SYSCALL_DEFINE3(madvise, uint64_t, addr, size_t, len, int, advice)
{
    return vm_madvise(current_process()->mm, addr, len, advice);
}

SYSCALL_DEFINE5(mremap, uint64_t, old, size_t, old_len, size_t, new_len, int, flags, uint64_t,
                new_addr)
{
    return vm_mremap(current_process()->mm, old, old_len, new_len, flags, new_addr);
}

SYSCALL_DEFINE1(brk, uint64_t, brk)
{
    return (long)vm_brk(current_process()->mm, brk);
}

SYSCALL_DEFINE3(msync, uint64_t, addr, size_t, len, int, flags)
{
    if ((addr & (PAGE_SIZE - 1)) != 0 || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    if (len == 0)
        return 0;
    /* MS_ASYNC writes back at once too: there is no flusher thread to defer to. */
    return vm_msync(current_process()->mm, addr, len, (flags & MS_SYNC) != 0);
}

SYSCALL_DEFINE3(mincore, uint64_t, addr, size_t, len, uint8_t *, uvec)
{
    size_t pages = (ALIGN_UP(len, PAGE_SIZE)) / PAGE_SIZE;
    uint8_t *vec;
    int err;

    if ((addr & (PAGE_SIZE - 1)) != 0)
        return -EINVAL;
    if (pages > (64ul << 20))
        return -ENOMEM;
    vec = kmalloc(MAX(pages, (size_t)1), 0);
    if (vec == NULL)
        return -ENOMEM;
    err = vm_mincore(current_process()->mm, addr, len, vec);
    if (err == 0 && copy_to_user(uvec, vec, pages) != 0)
        err = -EFAULT;
    kfree(vec);
    return err;
}

/* Memory is never swapped: locking always succeeds for mapped ranges. */
SYSCALL_DEFINE2(mlock, uint64_t, addr, size_t, len)
{
    (void)addr;
    (void)len;
    return 0;
}

SYSCALL_DEFINE2(munlock, uint64_t, addr, size_t, len)
{
    (void)addr;
    (void)len;
    return 0;
}

SYSCALL_DEFINE1(mlockall, int, flags)
{
    return (flags & ~7) != 0 || flags == 0 ? -EINVAL : 0;
}

SYSCALL_DEFINE0(munlockall)
{
    return 0;
}
