/*
 * lockrange.c - split, merge and conflict rules of advisory byte-range
 * locks (see lockrange.h).
 */
#include "fs/lockrange.h"

static bool overlaps(const struct lock_entry *a, uint64_t start, uint64_t end)
{
    return a->start <= end && start <= a->end;
}

/* a touches [start, end] without overlapping it. */
static bool adjacent(const struct lock_entry *a, uint64_t start, uint64_t end)
{
    return (a->end != LOCK_END_MAX && a->end + 1 == start) ||
           (end != LOCK_END_MAX && end + 1 == a->start);
}

static bool same_owner(const struct lock_entry *a, const struct lock_entry *b)
{
    return a->key == b->key && a->space == b->space && a->owner == b->owner;
}

struct lock_entry *lockset_conflict(struct list_head *set, const struct lock_entry *req)
{
    struct lock_entry *e;

    list_for_each_entry (e, set, link) {
        if (e->key != req->key || e->space != req->space || e->owner == req->owner)
            continue;
        if (!overlaps(e, req->start, req->end))
            continue;
        if (e->type == LOCK_WR || req->type == LOCK_WR)
            return e;
    }
    return NULL;
}

static struct lock_entry *take_spare(struct lock_entry *spare[2])
{
    for (int i = 0; i < 2; i++) {
        if (spare[i] != NULL) {
            struct lock_entry *e = spare[i];
            spare[i] = NULL;
            return e;
        }
    }
    return NULL; /* cannot happen: at most one split and one insert */
}

void lockset_apply(struct list_head *set, const struct lock_entry *req, struct lock_entry *spare[2],
                   struct list_head *freed)
{
    uint64_t start = req->start, end = req->end;
    struct lock_entry *e, *tmp;

    list_for_each_entry_safe (e, tmp, set, link) {
        if (!same_owner(e, req))
            continue;
        bool over = overlaps(e, start, end);
        if (e->type == req->type && (over || adjacent(e, start, end))) {
            /* The same kind of lock: absorb it into the new range. */
            start = e->start < start ? e->start : start;
            end = e->end > end ? e->end : end;
            list_del(&e->link);
            list_add_tail(&e->link, freed);
            continue;
        }
        if (!over)
            continue;
        if (e->start < start && e->end > end) {
            /* The new range is inside e: e keeps the left part, a copy the right. */
            struct lock_entry *right = take_spare(spare);
            *right = *e;
            right->start = end + 1;
            e->end = start - 1;
            list_add(&right->link, &e->link);
        } else if (e->start < start) {
            e->end = start - 1;
        } else if (e->end > end) {
            e->start = end + 1;
        } else {
            list_del(&e->link);
            list_add_tail(&e->link, freed);
        }
    }
    if (req->type == LOCK_UNLOCK)
        return;
    e = take_spare(spare);
    *e = *req;
    e->start = start;
    e->end = end;
    list_add_tail(&e->link, set);
}

void lockset_remove_owner(struct list_head *set, const void *key, const void *owner, int space,
                          struct list_head *freed)
{
    struct lock_entry *e, *tmp;

    list_for_each_entry_safe (e, tmp, set, link) {
        if ((key == NULL || e->key == key) && e->owner == owner && e->space == space) {
            list_del(&e->link);
            list_add_tail(&e->link, freed);
        }
    }
}
