/*
 * virtq.c - split virtqueue ring logic: descriptor chains, the available
 * ring the driver fills and the used ring the device returns (see virtq.h).
 * x86 keeps stores in order; the fences below are compiler barriers there
 * and the one full fence orders the avail index store before reading the
 * device's NO_NOTIFY flag.
 */
#include "drivers/virtio/virtq.h"

#include "lib/errno.h"
#include "lib/string.h"

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static size_t avail_end(uint16_t num)
{
    return sizeof(struct virtq_desc) * num + sizeof(struct virtq_avail) + sizeof(uint16_t) * num +
           sizeof(uint16_t); /* used_event */
}

size_t virtq_ring_bytes(uint16_t num)
{
    return align_up(avail_end(num), VIRTQ_LEGACY_ALIGN) +
           align_up(sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * num +
                        sizeof(uint16_t),
                    VIRTQ_LEGACY_ALIGN);
}

int virtq_ring_init(struct virtq_ring *r, uint16_t num, void *mem, uint64_t pa, void **cookies)
{
    size_t used_off = align_up(avail_end(num), VIRTQ_LEGACY_ALIGN);

    if (num == 0 || (num & (num - 1)) != 0)
        return -EINVAL;
    memset(r, 0, sizeof(*r));
    r->num = num;
    r->desc = mem;
    r->desc_pa = pa;
    r->avail = (struct virtq_avail *)((char *)mem + sizeof(struct virtq_desc) * num);
    r->avail_pa = pa + sizeof(struct virtq_desc) * num;
    r->used = (struct virtq_used *)((char *)mem + used_off);
    r->used_pa = pa + used_off;
    r->cookies = cookies;
    for (uint16_t i = 0; i < num; i++) {
        r->desc[i].next = (uint16_t)(i + 1);
        cookies[i] = NULL;
    }
    r->free_head = 0;
    r->num_free = num;
    return 0;
}

int virtq_add(struct virtq_ring *r, const struct virtq_buf *bufs, unsigned int nout,
              unsigned int nin, void *cookie)
{
    unsigned int n = nout + nin;
    uint16_t head = r->free_head, i = head, last = head;

    if (n == 0 || cookie == NULL)
        return -EINVAL;
    if (n > r->num_free)
        return -ENOSPC;
    for (unsigned int k = 0; k < n; k++) {
        struct virtq_desc *d = &r->desc[i];
        d->addr = bufs[k].pa;
        d->len = bufs[k].len;
        d->flags =
            (uint16_t)((k >= nout ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        last = i;
        i = d->next;
    }
    r->free_head = r->desc[last].next;
    r->num_free = (uint16_t)(r->num_free - n);
    r->cookies[head] = cookie;
    r->avail->ring[r->avail->idx & (r->num - 1)] = head;
    /* The device must see the entry before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&r->avail->idx, (uint16_t)(r->avail->idx + 1), __ATOMIC_RELAXED);
    return 0;
}

bool virtq_kick_needed(struct virtq_ring *r)
{
    bool added = r->avail->idx != r->kicked_idx;

    /* Publish avail->idx before reading the device's flags. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r->kicked_idx = r->avail->idx;
    return added && !(__atomic_load_n(&r->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_has_used(const struct virtq_ring *r)
{
    return __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE) != r->last_used;
}

void *virtq_get_used(struct virtq_ring *r, uint32_t *len)
{
    struct virtq_used_elem e;
    uint16_t i, count = 1;
    void *cookie;

    while (virtq_has_used(r)) {
        e = r->used->ring[r->last_used & (r->num - 1)];
        r->last_used++;
        if (e.id >= r->num || r->cookies[e.id] == NULL)
            continue; /* not ours: a broken device */
        cookie = r->cookies[e.id];
        r->cookies[e.id] = NULL;
        /* Give the chain back to the free list. */
        i = (uint16_t)e.id;
        while ((r->desc[i].flags & VIRTQ_DESC_F_NEXT) && count < r->num) {
            i = r->desc[i].next;
            count++;
        }
        r->desc[i].next = r->free_head;
        r->free_head = (uint16_t)e.id;
        r->num_free = (uint16_t)(r->num_free + count);
        if (len != NULL)
            *len = e.len;
        return cookie;
    }
    return NULL;
}
