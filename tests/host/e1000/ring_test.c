/*
 * The e1000 descriptor ring bookkeeping (kernel/drivers/net/e1000_ring.h)
 * against a simulated NIC that completes slots in order.
 */
#include <criterion/criterion.h>

#include "drivers/net/e1000_ring.h"

Test(e1000_ring, empty_and_full)
{
    struct e1000_ring r;

    e1000_ring_init(&r, 8);
    cr_assert_eq(e1000_ring_in_flight(&r), 0);
    cr_assert_eq(e1000_ring_space(&r), 7);
    for (unsigned int i = 0; i < 7; i++)
        cr_assert_eq(e1000_ring_produce(&r), i);
    cr_assert_eq(e1000_ring_space(&r), 0, "one slot stays empty");
    cr_assert_eq(e1000_ring_in_flight(&r), 7);
    cr_assert_eq(e1000_ring_tail(&r), 7);
    cr_assert_neq(e1000_ring_tail(&r), e1000_ring_next_used(&r), "full is not empty");
}

Test(e1000_ring, wraps_many_times)
{
    struct e1000_ring r;
    unsigned int nic_done = 0, produced = 0, consumed = 0;

    e1000_ring_init(&r, 16);
    for (unsigned int round = 0; round < 1000; round++) {
        /* Fill some, the NIC completes some, take back what it completed. */
        unsigned int fill = (round * 7) % 5 + 1;
        for (unsigned int k = 0; k < fill && e1000_ring_space(&r) > 0; k++) {
            cr_assert_eq(e1000_ring_produce(&r), produced % 16);
            produced++;
        }
        nic_done = produced - (round % 3 == 0 ? 0 : (produced - consumed) / 2);
        while (consumed < nic_done) {
            cr_assert_eq(e1000_ring_next_used(&r), consumed % 16);
            e1000_ring_consume(&r);
            consumed++;
        }
        cr_assert_eq(e1000_ring_in_flight(&r), produced - consumed);
        cr_assert_eq(e1000_ring_space(&r), 15 - (produced - consumed));
        cr_assert_eq(e1000_ring_tail(&r), produced % 16);
    }
    cr_assert_gt(produced, 1000);
}
