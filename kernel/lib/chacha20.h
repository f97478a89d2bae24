/*
 * chacha20.h - the ChaCha20 block function (RFC 8439), for the CSPRNG.
 */
#pragma once

#include "lib/types.h"

#define CHACHA20_KEY_SIZE 32
#define CHACHA20_BLOCK_SIZE 64

/*
 * chacha20_block computes the 64-byte keystream block for key, the 32-bit
 * block counter and the 96-bit nonce (RFC 8439, section 2.3).
 */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter, const uint8_t nonce[12],
                    uint8_t out[CHACHA20_BLOCK_SIZE]);
