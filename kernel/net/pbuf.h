/*
 * pbuf.h - packet buffers.
 *
 * A pbuf is one contiguous allocation: this header, then headroom, then the
 * packet, then tailroom. Protocol layers prepend their headers into the
 * headroom with pbuf_push() and strip them with pbuf_pull(), so payload is
 * written once and never moved on its way down or up the stack. Every frame
 * that fits one allocation is one pbuf (no chains): IPv4 datagrams are at
 * most 64 KiB, and TCP builds each segment from its send buffer.
 *
 * Ownership: whoever holds a pbuf frees it or passes it on. Functions that
 * take a pbuf document whether they consume it. Drivers receive with
 * pbuf_alloc() + netif_input(), and own the pbufs given to their output
 * callback.
 */
#pragma once

#include "lib/list.h"
#include "lib/types.h"

struct netif;

/*
 * Headroom every layer can count on when it allocates an outgoing packet:
 * a link header (Ethernet 14, padded; a virtio-net header fits too), IPv4
 * with options and TCP with options.
 */
#define PBUF_LINK_HEADROOM 32
#define PBUF_HEADROOM (PBUF_LINK_HEADROOM + 60 + 60)
/* The largest packet we ever build or accept (a reassembled datagram). */
#define PBUF_MAX_LEN (65536 + PBUF_HEADROOM)

/* flags */
#define PBUF_F_CSUM_VERIFIED 0x1 /* rx: the NIC checked the L4 checksum */
#define PBUF_F_CSUM_PARTIAL 0x2  /* tx: the NIC must complete the L4 checksum */
#define PBUF_F_BROADCAST 0x4     /* rx: link-layer broadcast */

struct pbuf {
    struct list_head link; /* for whichever queue owns it */
    uint8_t *data;         /* first byte of the packet */
    uint32_t len;          /* bytes from data */
    uint32_t size;         /* bytes of storage after this header */
    uint32_t flags;        /* PBUF_F_* */
    /*
     * PBUF_F_CSUM_PARTIAL (virtio-net's NEEDS_CSUM): the NIC sums the bytes
     * from csum_start to the end of the packet into the 16-bit field at
     * csum_start + csum_offset, which holds the pseudo-header sum.
     * csum_start counts from storage[], so it stays right while headers
     * are pushed; pbuf_csum_start() gives it relative to data.
     */
    uint16_t csum_start;
    uint16_t csum_offset;
    /*
     * rx: the NIC merged TCP segments of this size into the packet (large
     * receive offload, virtio-net GUEST_TSO4); 0 for a packet as sent.
     */
    uint16_t gso_size;
    struct netif *netif; /* rx: the interface it came in on */
    /* Per-queue metadata: what a layer needs while the pbuf waits. */
    union {
        struct {
            uint32_t addr; /* datagram source (host order) */
            uint16_t port;
        } from;
        struct {
            uint16_t offset; /* fragment payload offset in bytes */
        } frag;
    } meta;
    uint8_t storage[];
};

/*
 * Allocate a pbuf holding len bytes after headroom bytes of headroom. The
 * payload is not initialized. Returns NULL when memory is short or the size
 * is unreasonable.
 */
struct pbuf *pbuf_alloc(size_t headroom, size_t len);
/* Free p and everything it holds (NULL is ignored). */
void pbuf_free(struct pbuf *p);
/* A copy of p with at least headroom bytes of headroom, or NULL. */
struct pbuf *pbuf_copy(const struct pbuf *p, size_t headroom);
/* Memory p accounts for (header and storage), for queue limits. */
size_t pbuf_truesize(const struct pbuf *p);

static inline size_t pbuf_headroom(const struct pbuf *p)
{
    return (size_t)(p->data - p->storage);
}

static inline size_t pbuf_tailroom(const struct pbuf *p)
{
    return p->size - pbuf_headroom(p) - p->len;
}

/* Prepend n bytes; returns the new start or NULL when headroom is short. */
static inline void *pbuf_push(struct pbuf *p, size_t n)
{
    if (n > pbuf_headroom(p))
        return NULL;
    p->data -= n;
    p->len += (uint32_t)n;
    return p->data;
}

/* Strip n leading bytes; returns the new start or NULL when p is shorter. */
static inline void *pbuf_pull(struct pbuf *p, size_t n)
{
    if (n > p->len)
        return NULL;
    p->data += n;
    p->len -= (uint32_t)n;
    return p->data;
}

/* Cut p down to len bytes (no-op when it is not longer). */
static inline void pbuf_trim(struct pbuf *p, size_t len)
{
    if (len < p->len)
        p->len = (uint32_t)len;
}

/* Grow p by n bytes at the end; returns the first new byte or NULL. */
static inline void *pbuf_put(struct pbuf *p, size_t n)
{
    uint8_t *tail = p->data + p->len;

    if (n > pbuf_tailroom(p))
        return NULL;
    p->len += (uint32_t)n;
    return tail;
}

/* Where the checksummed part starts, counted from data (CSUM_PARTIAL). */
static inline size_t pbuf_csum_start(const struct pbuf *p)
{
    return p->csum_start - pbuf_headroom(p);
}

/* Free every pbuf on a list of pbufs linked through ->link. */
void pbuf_free_list(struct list_head *list);
