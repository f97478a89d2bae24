/* The split virtqueue ring logic against a simulated device. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtq.h"
#include "lib/errno.h"

struct sim {
    struct virtq_ring r;
    void *mem;
    void *cookies[256];
    uint16_t dev_avail; /* next avail entry the "device" consumes */
};

static void sim_init(struct sim *s, uint16_t num)
{
    s->mem = aligned_alloc(4096, virtq_ring_bytes(num));
    memset(s->mem, 0, virtq_ring_bytes(num));
    cr_assert_eq(virtq_ring_init(&s->r, num, s->mem, 0x100000, s->cookies), 0);
    s->dev_avail = 0;
}

/* The device completes the next available request, reporting len bytes written. */
static uint16_t sim_complete(struct sim *s, uint32_t len)
{
    struct virtq_ring *r = &s->r;
    uint16_t head;

    cr_assert_neq(r->avail->idx, s->dev_avail, "nothing available");
    head = r->avail->ring[s->dev_avail++ & (r->num - 1)];
    r->used->ring[r->used->idx & (r->num - 1)] = (struct virtq_used_elem){head, len};
    r->used->idx++;
    return head;
}

Test(virtq, layout_is_legacy_compatible)
{
    struct sim s;

    sim_init(&s, 256);
    cr_assert_eq(s.r.avail_pa - s.r.desc_pa, 256 * 16);
    cr_assert_eq(s.r.used_pa % 4096, 0);
    cr_assert_geq(s.r.used_pa, s.r.avail_pa + 4 + 2 * 256);
    cr_assert_eq(virtq_ring_bytes(256), 12288);
    free(s.mem);
}

Test(virtq, rejects_bad_sizes)
{
    struct virtq_ring r;
    void *c[8];
    char mem[8192];

    cr_assert_eq(virtq_ring_init(&r, 6, mem, 0, c), -EINVAL);
    cr_assert_eq(virtq_ring_init(&r, 0, mem, 0, c), -EINVAL);
}

Test(virtq, chain_flags_and_completion)
{
    struct sim s;
    struct virtq_buf bufs[3] = {{0x1000, 16}, {0x2000, 512}, {0x3000, 1}};
    int cookie;
    uint32_t len = 0;
    uint16_t head, i;

    sim_init(&s, 8);
    cr_assert_eq(virtq_add(&s.r, bufs, 1, 2, &cookie), 0);
    cr_assert_eq(s.r.num_free, 5);
    cr_assert(virtq_kick_needed(&s.r));
    cr_assert_not(virtq_kick_needed(&s.r), "no new buffers: no kick");
    head = s.r.avail->ring[0];
    cr_assert_eq(s.r.desc[head].addr, 0x1000);
    cr_assert_eq(s.r.desc[head].flags, VIRTQ_DESC_F_NEXT);
    i = s.r.desc[head].next;
    cr_assert_eq(s.r.desc[i].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    i = s.r.desc[i].next;
    cr_assert_eq(s.r.desc[i].flags, VIRTQ_DESC_F_WRITE);
    cr_assert_eq(s.r.desc[i].len, 1);
    cr_assert_null(virtq_get_used(&s.r, &len));
    sim_complete(&s, 513);
    cr_assert(virtq_has_used(&s.r));
    cr_assert_eq(virtq_get_used(&s.r, &len), &cookie);
    cr_assert_eq(len, 513);
    cr_assert_eq(s.r.num_free, 8);
    free(s.mem);
}

Test(virtq, full_ring_and_out_of_order_completion)
{
    struct sim s;
    struct virtq_buf b[2] = {{0x1000, 16}, {0x2000, 1}};
    int cookies[4];
    uint16_t heads[4];

    sim_init(&s, 8);
    for (int k = 0; k < 4; k++)
        cr_assert_eq(virtq_add(&s.r, b, 1, 1, &cookies[k]), 0);
    cr_assert_eq(virtq_add(&s.r, b, 1, 1, &cookies[0]), -ENOSPC);
    for (int k = 0; k < 4; k++)
        heads[k] = s.r.avail->ring[k];
    /* The device finishes request 2 first, then 0. */
    s.r.used->ring[0] = (struct virtq_used_elem){heads[2], 0};
    s.r.used->ring[1] = (struct virtq_used_elem){heads[0], 0};
    s.r.used->idx = 2;
    cr_assert_eq(virtq_get_used(&s.r, NULL), &cookies[2]);
    cr_assert_eq(virtq_get_used(&s.r, NULL), &cookies[0]);
    cr_assert_null(virtq_get_used(&s.r, NULL));
    cr_assert_eq(s.r.num_free, 4);
    /* Freed descriptors are reused. */
    cr_assert_eq(virtq_add(&s.r, b, 1, 1, &cookies[0]), 0);
    cr_assert_eq(virtq_add(&s.r, b, 1, 1, &cookies[2]), 0);
    cr_assert_eq(virtq_add(&s.r, b, 1, 1, &cookies[2]), -ENOSPC);
    free(s.mem);
}

Test(virtq, broken_device_ids_are_ignored)
{
    struct sim s;
    struct virtq_buf b = {0x1000, 16};
    int cookie;

    sim_init(&s, 8);
    cr_assert_eq(virtq_add(&s.r, &b, 1, 0, &cookie), 0);
    s.r.used->ring[0] = (struct virtq_used_elem){200, 0}; /* out of range */
    s.r.used->ring[1] = (struct virtq_used_elem){5, 0};   /* not in flight */
    s.r.used->idx = 2;
    cr_assert_null(virtq_get_used(&s.r, NULL));
    cr_assert_eq(s.r.num_free, 7);
    free(s.mem);
}

Test(virtq, no_notify_flag_suppresses_kick)
{
    struct sim s;
    struct virtq_buf b = {0x1000, 16};
    int cookie;

    sim_init(&s, 8);
    s.r.used->flags = VIRTQ_USED_F_NO_NOTIFY;
    cr_assert_eq(virtq_add(&s.r, &b, 1, 0, &cookie), 0);
    cr_assert_not(virtq_kick_needed(&s.r));
    free(s.mem);
}
