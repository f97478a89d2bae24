/*
 * random.c - ChaCha20 CSPRNG with fast key erasure (see random.h).
 *
 * Entropy at boot: up to 32 RDSEED (or RDRAND) values, plus 256 samples of
 * TSC deltas around short busy loops (jitter of an emulated or real CPU),
 * all folded into the key through ChaCha20 itself. Without any hardware RNG
 * the jitter alone seeds the generator, and the kernel says so.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "core/printk.h"
#include "core/random.h"
#include "lib/chacha20.h"
#include "lib/string.h"
#include "sched/spinlock.h"

#define RESEED_BYTES (1u << 20)

static struct {
    spinlock_t lock;
    uint8_t key[CHACHA20_KEY_SIZE]; /* guarded by lock */
    uint64_t nonce;                 /* guarded by lock */
    uint64_t since_reseed;          /* guarded by lock */
} rng = {.lock = SPINLOCK_INIT};

/* Replace the key by ChaCha20(key, data): absorbs data, erases the old key. */
static void absorb(const void *data, size_t n)
{
    uint8_t block[CHACHA20_BLOCK_SIZE];
    uint8_t nonce[12] = {0};
    const uint8_t *p = data;

    assert_held(&rng.lock);
    for (size_t off = 0; off < n || off == 0; off += 12) {
        size_t k = MIN((size_t)12, n - off);
        memset(nonce, 0, sizeof(nonce));
        if (n > 0)
            memcpy(nonce, p + off, k);
        chacha20_block(rng.key, 0xffffffffu, nonce, block);
        for (int i = 0; i < CHACHA20_KEY_SIZE; i++)
            rng.key[i] ^= block[i];
        if (n == 0)
            break;
    }
    memset(block, 0, sizeof(block));
}

static size_t hardware_entropy(uint64_t *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < max; i++) {
        uint64_t v;
        bool ok = false;
        for (int tries = 0; tries < 10 && !ok; tries++) {
            if (cpu_features.rdseed)
                ok = rdseed64(&v);
            else if (cpu_features.rdrand)
                ok = rdrand64(&v);
            else
                break;
        }
        if (!ok)
            break;
        out[n++] = v;
    }
    return n;
}

static void jitter(uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = rdtsc();
        for (volatile int k = 0; k < (int)(t0 & 31) + 8; k++)
            ;
        out[i] = rdtsc() - t0 + (t0 << 17);
    }
}

void random_init(void)
{
    uint64_t hw[32], jit[256];
    size_t nhw = hardware_entropy(hw, ARRAY_SIZE(hw));
    uint64_t flags;

    jitter(jit, ARRAY_SIZE(jit));
    flags = spin_lock_irqsave(&rng.lock);
    absorb(hw, nhw * sizeof(uint64_t));
    absorb(jit, sizeof(jit));
    spin_unlock_irqrestore(&rng.lock, flags);
    memset(hw, 0, sizeof(hw));
    if (nhw == 0)
        pr_warn("random: no RDSEED/RDRAND; seeded from timing jitter only\n");
    else
        pr_info("random: seeded with %zu hardware values (%s) and timing jitter\n", nhw,
                cpu_features.rdseed ? "RDSEED" : "RDRAND");
}

void random_mix(const void *data, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&rng.lock);

    absorb(data, n);
    spin_unlock_irqrestore(&rng.lock, flags);
}

void random_bytes(void *buf, size_t n)
{
    uint8_t block[CHACHA20_BLOCK_SIZE];
    uint8_t nonce[12] = {0};
    uint8_t *out = buf;
    uint32_t counter = 0;
    uint64_t flags = spin_lock_irqsave(&rng.lock);

    if (rng.since_reseed >= RESEED_BYTES) {
        uint64_t hw[4];
        size_t nhw = hardware_entropy(hw, ARRAY_SIZE(hw));
        uint64_t t = rdtsc();
        absorb(hw, nhw * sizeof(uint64_t));
        absorb(&t, sizeof(t));
        rng.since_reseed = 0;
    }
    rng.nonce++;
    memcpy(nonce, &rng.nonce, sizeof(rng.nonce));
    /* Block 0 becomes the next key (fast key erasure); output starts at block 1. */
    chacha20_block(rng.key, counter++, nonce, block);
    uint8_t next_key[CHACHA20_KEY_SIZE];
    memcpy(next_key, block, sizeof(next_key));
    while (n > 0) {
        size_t k = MIN(n, (size_t)CHACHA20_BLOCK_SIZE);
        chacha20_block(rng.key, counter++, nonce, block);
        memcpy(out, block, k);
        out += k;
        n -= k;
        rng.since_reseed += k;
        if (counter == 0) { /* 256 GiB in one request: rekey and go on */
            memcpy(rng.key, next_key, sizeof(rng.key));
            chacha20_block(rng.key, counter++, nonce, block);
            memcpy(next_key, block, sizeof(next_key));
        }
    }
    memcpy(rng.key, next_key, sizeof(rng.key));
    spin_unlock_irqrestore(&rng.lock, flags);
    memset(block, 0, sizeof(block));
    memset(next_key, 0, sizeof(next_key));
}

uint32_t random_u32(void)
{
    uint32_t v;

    random_bytes(&v, sizeof(v));
    return v;
}

uint64_t random_u64(void)
{
    uint64_t v;

    random_bytes(&v, sizeof(v));
    return v;
}
