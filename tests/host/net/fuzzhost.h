/*
 * fuzzhost.h - a stack wired to nothing, for the fuzz targets in
 * tests/fuzz/net_*.c: frames go in through netif_input(), frames out are
 * kept (the last FUZZ_OUT of them) so a target can learn sequence numbers
 * and transaction IDs, time is the host environment's virtual clock.
 *
 * Header-only (static functions) so each fuzzer is one .c file plus the
 * stack; fuzz_host_destroy() aborts when the stack leaked memory, which
 * libFuzzer reports like any crash.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/arp.h"
#include "net/ip.h"
#include "net/net.h"
#include "net/netenv.h"
#include "net/netif.h"
#include "nettest.h"

#define FUZZ_OUT 64
#define FUZZ_HOST_ADDR IP4(10, 0, 0, 1)
#define FUZZ_PEER_ADDR IP4(10, 0, 0, 2)

static const uint8_t fuzz_host_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t fuzz_peer_mac[6] = {2, 0, 0, 0, 0, 2};

struct fuzz_host {
    struct netstack *ns;
    struct netif *nif;
    uint8_t out[FUZZ_OUT][1600];
    size_t outlen[FUZZ_OUT];
    unsigned int nout; /* frames sent so far; the last FUZZ_OUT are kept */
    size_t allocs_before;
};

static struct fuzz_host *fuzz_current;

static inline int fuzz_output(struct netif *nif, struct pbuf *p)
{
    struct fuzz_host *h = fuzz_current;
    unsigned int slot = h->nout % FUZZ_OUT;
    size_t n = p->len < sizeof(h->out[0]) ? p->len : sizeof(h->out[0]);

    (void)nif;
    if (p->flags & PBUF_F_CSUM_PARTIAL)
        ip_csum_complete(p);
    memcpy(h->out[slot], p->data, n);
    h->outlen[slot] = n;
    h->nout++;
    pbuf_free(p);
    return 0;
}

static inline void fuzz_host_init(struct fuzz_host *h)
{
    memset(h, 0, sizeof(*h));
    fuzz_current = h;
    netenv_host_seed(1);
    h->allocs_before = netenv_host_allocs_live();
    h->ns = net_create(NULL);
    if (h->ns == NULL)
        abort();
    h->nif = netif_add(h->ns, "eth0", fuzz_host_mac, 1500, NETIF_F_TX_CSUM, fuzz_output, NULL);
    if (h->nif == NULL)
        abort();
    netif_set_link(h->nif, true);
    netif_set_up(h->nif, true);
}

static inline void fuzz_host_addr(struct fuzz_host *h)
{
    netif_set_addr(h->nif, FUZZ_HOST_ADDR, IP4(255, 255, 255, 0), IP4(10, 0, 0, 254));
    arp_add_static(h->nif, FUZZ_PEER_ADDR, fuzz_peer_mac);
}

static inline void fuzz_host_input(struct fuzz_host *h, const uint8_t *frame, size_t len)
{
    struct pbuf *p = pbuf_alloc(0, len);

    if (p == NULL)
        return;
    memcpy(p->data, frame, len);
    netif_input(h->nif, p);
}

static inline void fuzz_host_advance(struct fuzz_host *h, uint64_t ns)
{
    netenv_host_advance(ns);
    net_timer(h->ns, netenv_now_ns());
}

/* The i-th frame sent (0 = the first still kept), or NULL. */
static inline const uint8_t *fuzz_host_sent(struct fuzz_host *h, unsigned int i, size_t *len)
{
    unsigned int first = h->nout > FUZZ_OUT ? h->nout - FUZZ_OUT : 0;

    if (first + i >= h->nout)
        return NULL;
    *len = h->outlen[(first + i) % FUZZ_OUT];
    return h->out[(first + i) % FUZZ_OUT];
}

static inline void fuzz_host_destroy(struct fuzz_host *h)
{
    net_destroy(h->ns);
    if (netenv_host_allocs_live() != h->allocs_before) {
        fprintf(stderr, "net: %zu allocations leaked\n",
                netenv_host_allocs_live() - h->allocs_before);
        abort();
    }
    fuzz_current = NULL;
}
