/*
 * siphash.h - SipHash-2-4, a keyed 64-bit pseudorandom function.
 *
 * The stack keys it with a per-stack random secret to make TCP initial
 * sequence numbers (RFC 6528), SYN cookies, timestamp offsets and hash
 * bucket choices unpredictable to an outsider.
 */
#pragma once

#include "lib/types.h"

/* SipHash-2-4 of len bytes at data under the 16-byte key. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
