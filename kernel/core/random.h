/*
 * random.h - the kernel's cryptographically secure random numbers.
 *
 * A ChaCha20-based generator with fast key erasure: every request is served
 * from keystream blocks of the current key, then the key is replaced by
 * fresh keystream, so a later compromise of the state does not reveal
 * earlier output. Seeded at boot from RDSEED/RDRAND and TSC timing jitter,
 * and reseeded with hardware entropy as output accumulates.
 */
#pragma once

#include "lib/types.h"

/* Seed the generator (boot CPU, early). */
void random_init(void);
/* Fill buf with n random bytes. Never fails, never blocks. Any context. */
void random_bytes(void *buf, size_t n);
uint32_t random_u32(void);
uint64_t random_u64(void);
/* Mix outside entropy (device events, virtio-rng) into the state. */
void random_mix(const void *data, size_t n);
