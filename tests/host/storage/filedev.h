/* A block device over an image file, for the host tests (env_host.c). */
#pragma once

#include "drivers/block/bdev.h"

struct filedev {
    struct block_device bd;
    int fd;
    bool fail_io;
    unsigned long reads, writes, flushes, writes_at_flush;
};

void filedev_init(struct filedev *fd, int file, uint64_t bytes);
