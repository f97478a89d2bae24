/*
 * types.h - the few integer types the kernel names beyond <stdint.h>.
 */
#pragma once

#include "lib/compiler.h"

typedef uint64_t phys_addr_t;
typedef int64_t ssize_t;
typedef int64_t off_t;
typedef int32_t pid_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef uint32_t mode_t;
