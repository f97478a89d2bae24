/* Split, merge and conflict rules of advisory locks (kernel/fs/lockrange.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/lockrange.h"

static LIST_HEAD(set);
static int inode_a, inode_b, owner1, owner2;

static void apply(const void *owner, int type, uint64_t start, uint64_t end)
{
    struct lock_entry req = {
        .key = &inode_a, .owner = owner, .type = type, .start = start, .end = end};
    struct lock_entry *spare[2] = {malloc(sizeof(struct lock_entry)),
                                   malloc(sizeof(struct lock_entry))};
    LIST_HEAD(freed);
    struct lock_entry *e, *tmp;

    lockset_apply(&set, &req, spare, &freed);
    free(spare[0]);
    free(spare[1]);
    list_for_each_entry_safe (e, tmp, &freed, link)
        free(e);
}

/* The owner's locks as "type:start-end" in list order, sorted by start. */
static void expect(const void *owner, const char *want)
{
    char buf[256] = "";
    uint64_t last = 0;
    bool first = true;

    for (;;) {
        struct lock_entry *e, *best = NULL;
        list_for_each_entry (e, &set, link) {
            if (e->owner == owner && (first || e->start > last) &&
                (best == NULL || e->start < best->start))
                best = e;
        }
        if (best == NULL)
            break;
        char item[64];
        snprintf(item, sizeof(item), "%s%c:%llu-%llu", first ? "" : " ",
                 best->type == LOCK_WR ? 'w' : 'r', (unsigned long long)best->start,
                 best->end == LOCK_END_MAX ? 0ull - 1 : (unsigned long long)best->end);
        strcat(buf, item);
        last = best->start;
        first = false;
    }
    cr_assert_str_eq(buf, want);
}

static void cleanup(void)
{
    struct lock_entry *e, *tmp;
    list_for_each_entry_safe (e, tmp, &set, link) {
        list_del(&e->link);
        free(e);
    }
}

TestSuite(lockrange, .fini = cleanup);

Test(lockrange, split_in_the_middle)
{
    apply(&owner1, LOCK_WR, 0, 99);
    apply(&owner1, LOCK_UNLOCK, 10, 19);
    expect(&owner1, "w:0-9 w:20-99");
    apply(&owner1, LOCK_RD, 40, 49);
    expect(&owner1, "w:0-9 w:20-39 r:40-49 w:50-99");
}

Test(lockrange, merge_adjacent_and_overlapping)
{
    apply(&owner1, LOCK_RD, 0, 9);
    apply(&owner1, LOCK_RD, 20, 29);
    apply(&owner1, LOCK_RD, 10, 19);
    expect(&owner1, "r:0-29");
    apply(&owner1, LOCK_RD, 25, LOCK_END_MAX);
    expect(&owner1, "r:0-18446744073709551615");
    apply(&owner1, LOCK_UNLOCK, 0, LOCK_END_MAX);
    expect(&owner1, "");
}

Test(lockrange, trim_both_ends_and_replace_type)
{
    apply(&owner1, LOCK_RD, 10, 19);
    apply(&owner1, LOCK_RD, 30, 39);
    apply(&owner1, LOCK_WR, 15, 34);
    expect(&owner1, "r:10-14 w:15-34 r:35-39");
    apply(&owner1, LOCK_WR, 0, LOCK_END_MAX);
    expect(&owner1, "w:0-18446744073709551615");
}

Test(lockrange, conflicts)
{
    struct lock_entry rd = {
        .key = &inode_a, .owner = &owner2, .type = LOCK_RD, .start = 5, .end = 5};
    struct lock_entry wr = rd;

    wr.type = LOCK_WR;
    apply(&owner1, LOCK_RD, 0, 9);
    cr_assert_null(lockset_conflict(&set, &rd), "readers share");
    cr_assert_not_null(lockset_conflict(&set, &wr), "a writer waits for a reader");
    wr.owner = &owner1;
    cr_assert_null(lockset_conflict(&set, &wr), "an owner never conflicts with itself");
    wr.owner = &owner2;
    wr.start = wr.end = 10;
    cr_assert_null(lockset_conflict(&set, &wr), "no overlap");
    wr.start = 9;
    wr.key = &inode_b;
    cr_assert_null(lockset_conflict(&set, &wr), "another file");
    wr.key = &inode_a;
    wr.space = LOCK_SPACE_FLOCK;
    cr_assert_null(lockset_conflict(&set, &wr), "flock and fcntl locks are independent");
}

Test(lockrange, owners_are_separate_and_removed_whole)
{
    LIST_HEAD(freed);
    struct lock_entry *e, *tmp;

    apply(&owner1, LOCK_RD, 0, 9);
    apply(&owner2, LOCK_RD, 5, 14);
    apply(&owner1, LOCK_RD, 20, 29);
    expect(&owner1, "r:0-9 r:20-29");
    expect(&owner2, "r:5-14");
    lockset_remove_owner(&set, &inode_a, &owner1, LOCK_SPACE_POSIX, &freed);
    expect(&owner1, "");
    expect(&owner2, "r:5-14");
    int n = 0;
    list_for_each_entry_safe (e, tmp, &freed, link) {
        n++;
        free(e);
    }
    cr_assert_eq(n, 2);
}
