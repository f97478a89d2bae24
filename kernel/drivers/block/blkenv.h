/*
 * blkenv.h - the little the block cache and ext2 need from the kernel:
 * memory and the time. blkenv_kernel.c implements it in the kernel; the
 * host unit tests link tests/host/storage/env_host.c instead.
 */
#pragma once

#include "lib/types.h"

/* Zeroed memory, physically contiguous in the kernel (DMA-able); NULL when out. */
void *blk_zalloc(size_t size);
void blk_free(void *p);
/* Seconds since the epoch. */
int64_t blk_time_now(void);
