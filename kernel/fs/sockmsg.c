/*
 * sockmsg.c - control messages and sockaddr checks for the socket system
 * calls (see sockmsg.h). Pure functions over kernel buffers.
 */
#include "fs/sockmsg.h"
#include "lib/errno.h"
#include "lib/string.h"

#define AF_UNSPEC_ 0
#define AF_UNIX_ 1
#define AF_INET_ 2

int cmsg_next(const char *buf, size_t len, size_t *off, struct k_cmsghdr *h, const char **data,
              size_t *datalen)
{
    if (*off > len || len - *off < sizeof(*h))
        return 0;
    memcpy(h, buf + *off, sizeof(*h));
    if (h->cmsg_len < sizeof(*h) || h->cmsg_len > len - *off)
        return -EINVAL;
    *data = buf + *off + sizeof(*h);
    *datalen = h->cmsg_len - sizeof(*h);
    *off += K_CMSG_ALIGN(h->cmsg_len);
    return 1;
}

int cmsg_rights_fit(size_t room, int count)
{
    size_t n;

    if (count <= 0 || room <= sizeof(struct k_cmsghdr))
        return 0;
    n = (room - sizeof(struct k_cmsghdr)) / sizeof(int);
    return n < (size_t)count ? (int)n : count;
}

int unix_addr_parse(const void *addr, size_t len, size_t *pathlen, bool *abstract)
{
    const char *a = addr;
    uint16_t family;

    if (len < sizeof(family) || len > UNIX_ADDR_MAX)
        return -EINVAL;
    memcpy(&family, a, sizeof(family));
    if (family != AF_UNIX_)
        return -EINVAL;
    *pathlen = len - sizeof(family);
    *abstract = *pathlen > 0 && a[2] == '\0';
    if (!*abstract)
        *pathlen = strnlen(a + 2, *pathlen);
    return 0;
}

int inet_addr_parse(const void *addr, size_t len, struct net_sockaddr_in *sin)
{
    uint16_t family;

    if (len < sizeof(family))
        return -EINVAL;
    memcpy(&family, addr, sizeof(family));
    memset(sin, 0, sizeof(*sin));
    if (family == AF_UNSPEC_) {
        memcpy(sin, addr, len < sizeof(*sin) ? len : sizeof(*sin));
        return 0;
    }
    if (len < sizeof(*sin))
        return -EINVAL;
    if (family != AF_INET_)
        return -EAFNOSUPPORT;
    memcpy(sin, addr, sizeof(*sin));
    return 0;
}
