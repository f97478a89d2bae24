/*
 * e1000_ring.h - index bookkeeping of a descriptor ring shared with a NIC
 * (the e1000's receive and transmit rings), free of kernel dependencies
 * so the host tests check it (tests/host/e1000/ring_test.c).
 *
 * The driver fills slots at `tail` (produce) and the NIC returns them in
 * order; the driver takes them back at `head` (consume). One slot always
 * stays empty so that head == tail means "nothing in flight", as the
 * hardware's own head/tail registers require.
 *
 * Locking: none; the owner serializes (the e1000 driver holds the net lock).
 */
#pragma once

#include "lib/types.h"

struct e1000_ring {
    unsigned int num;  /* slots */
    unsigned int head; /* next slot to take back from the NIC */
    unsigned int tail; /* next slot to fill */
};

static inline void e1000_ring_init(struct e1000_ring *r, unsigned int num)
{
    r->num = num;
    r->head = 0;
    r->tail = 0;
}

/* Slots filled and not yet taken back. */
static inline unsigned int e1000_ring_in_flight(const struct e1000_ring *r)
{
    return (r->tail + r->num - r->head) % r->num;
}

/* Slots that can still be filled. */
static inline unsigned int e1000_ring_space(const struct e1000_ring *r)
{
    return r->num - 1 - e1000_ring_in_flight(r);
}

/* Fill the next slot: returns its index. Call only when space > 0. */
static inline unsigned int e1000_ring_produce(struct e1000_ring *r)
{
    unsigned int i = r->tail;

    r->tail = (r->tail + 1) % r->num;
    return i;
}

/* The value for the NIC's tail register: one past the last filled slot. */
static inline unsigned int e1000_ring_tail(const struct e1000_ring *r)
{
    return r->tail;
}

/* The slot the NIC completes next. */
static inline unsigned int e1000_ring_next_used(const struct e1000_ring *r)
{
    return r->head;
}

/* Take back the slot at head. */
static inline void e1000_ring_consume(struct e1000_ring *r)
{
    r->head = (r->head + 1) % r->num;
}
