/*
 * virtq.h - split virtqueue ring logic (virtio 1.x section 2.7), free of
 * kernel dependencies so the host unit tests drive it against a simulated
 * device.
 *
 * The ring memory (descriptor table, available ring, used ring) is laid out
 * as legacy devices require: the used ring starts on the next 4 KiB boundary
 * after the available ring, so one layout serves every transport.
 *
 * Locking: none inside; the owner (a driver) serializes virtq_add,
 * virtq_kick_needed and virtq_get_used with its own lock, which interrupt
 * handlers also take.
 */
#pragma once

#include "lib/types.h"

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_LEGACY_ALIGN 4096
#define VIRTQ_MAX_SIZE 32768

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* One buffer of a request: physical address and length. */
struct virtq_buf {
    uint64_t pa;
    uint32_t len;
};

struct virtq_ring {
    uint16_t num; /* a power of two */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint64_t desc_pa, avail_pa, used_pa;
    uint16_t free_head; /* first free descriptor, chained through next */
    uint16_t num_free;
    uint16_t last_used;  /* next used entry to consume */
    uint16_t kicked_idx; /* avail idx at the last notification decision */
    void **cookies;      /* per head descriptor; NULL when free */
};

/* Bytes of ring memory for num entries in the legacy layout. */
size_t virtq_ring_bytes(uint16_t num);

/*
 * Lay a ring of num entries (a power of two) over zeroed memory mem at
 * physical address pa; cookies has num slots. 0 or -EINVAL.
 */
int virtq_ring_init(struct virtq_ring *r, uint16_t num, void *mem, uint64_t pa, void **cookies);

/*
 * Queue one request: nout device-readable buffers followed by nin
 * device-writable ones, identified by cookie (not NULL). Returns 0,
 * -ENOSPC when too few descriptors are free, -EINVAL for an empty request.
 */
int virtq_add(struct virtq_ring *r, const struct virtq_buf *bufs, unsigned int nout,
              unsigned int nin, void *cookie);

/* Must the device be notified of what was added since the last call? */
bool virtq_kick_needed(struct virtq_ring *r);

/*
 * Take the next completed request: its cookie (and *len, the bytes the
 * device wrote), or NULL when none is pending or the device reported a
 * descriptor id that is not in flight (a broken device: ignored).
 */
void *virtq_get_used(struct virtq_ring *r, uint32_t *len);

/* Are completions waiting? */
bool virtq_has_used(const struct virtq_ring *r);
