/*
 * blkenv_kernel.c - blkenv.h in the kernel: kmalloc and the real-time clock.
 */
#include "core/time.h"
#include "drivers/block/blkenv.h"
#include "mm/kmalloc.h"

void *blk_zalloc(size_t size)
{
    return kzalloc(size);
}

void blk_free(void *p)
{
    kfree(p);
}

int64_t blk_time_now(void)
{
    return (int64_t)(ktime_real_ns() / NSEC_PER_SEC);
}
