/*
 * pbuf.c - allocation of packet buffers (see pbuf.h).
 *
 * Every pbuf is a single netenv_alloc() block, header included, so freeing
 * is one call and truesize is exact. Drivers allocate receive buffers here;
 * every layer allocates what it sends here.
 */
#include "lib/string.h"
#include "net/netenv.h"
#include "net/pbuf.h"

struct pbuf *pbuf_alloc(size_t headroom, size_t len)
{
    struct pbuf *p;
    size_t size;

    if (headroom > PBUF_MAX_LEN || len > PBUF_MAX_LEN || headroom + len > PBUF_MAX_LEN)
        return NULL;
    size = ALIGN_UP(headroom + len, 16);
    p = netenv_alloc(sizeof(*p) + size);
    if (p == NULL)
        return NULL;
    list_init(&p->link);
    p->data = p->storage + headroom;
    p->len = (uint32_t)len;
    p->size = (uint32_t)size;
    p->flags = 0;
    p->csum_start = 0;
    p->csum_offset = 0;
    p->gso_size = 0;
    p->netif = NULL;
    memset(&p->meta, 0, sizeof(p->meta));
    return p;
}

void pbuf_free(struct pbuf *p)
{
    netenv_free(p);
}

struct pbuf *pbuf_copy(const struct pbuf *p, size_t headroom)
{
    struct pbuf *q = pbuf_alloc(headroom, p->len);

    if (q == NULL)
        return NULL;
    memcpy(q->data, p->data, p->len);
    q->flags = p->flags;
    q->csum_start = p->csum_start;
    q->csum_offset = p->csum_offset;
    q->gso_size = p->gso_size;
    q->netif = p->netif;
    q->meta = p->meta;
    return q;
}

size_t pbuf_truesize(const struct pbuf *p)
{
    return sizeof(*p) + p->size;
}

void pbuf_free_list(struct list_head *list)
{
    struct pbuf *p, *tmp;

    list_for_each_entry_safe (p, tmp, list, link) {
        list_del(&p->link);
        pbuf_free(p);
    }
}
