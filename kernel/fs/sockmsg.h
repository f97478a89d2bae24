/*
 * sockmsg.h - the pure parts of the socket system calls: control messages
 * (struct cmsghdr walking and SCM_RIGHTS layout) and address checks for
 * AF_UNIX and AF_INET sockaddrs. No kernel dependencies: compiled into the
 * kernel and into the host unit tests (tests/host/test_sockmsg.c).
 */
#pragma once

#include "lib/types.h"
#include "net/net.h"

struct k_msghdr {
    void *msg_name;
    uint32_t msg_namelen;
    uint32_t pad0;
    struct k_iovec *msg_iov;
    uint64_t msg_iovlen;
    void *msg_control;
    uint64_t msg_controllen;
    int32_t msg_flags;
    uint32_t pad1;
};
_Static_assert(sizeof(struct k_msghdr) == 56, "struct msghdr on x86-64");

struct k_mmsghdr {
    struct k_msghdr msg_hdr;
    uint32_t msg_len;
    uint32_t pad;
};
_Static_assert(sizeof(struct k_mmsghdr) == 64, "struct mmsghdr on x86-64");

struct k_cmsghdr {
    uint64_t cmsg_len; /* header and data, without the trailing padding */
    int32_t cmsg_level;
    int32_t cmsg_type;
};
_Static_assert(sizeof(struct k_cmsghdr) == 16, "struct cmsghdr on x86-64");
#define K_CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)

/*
 * Walk the control messages in buf[0, len) from *off: 1 with the header in
 * *h, its data in *data (*datalen bytes) and *off moved to the next one; 0 at the
 * end (fewer bytes left than a header, as Linux's CMSG_NXTHDR); -EINVAL
 * for a header whose length is too short or runs past the buffer.
 */
int cmsg_next(const char *buf, size_t len, size_t *off, struct k_cmsghdr *h, const char **data,
              size_t *datalen);

/* How many fds of count fit in an SCM_RIGHTS message in room bytes (the header included). */
int cmsg_rights_fit(size_t room, int count);

#define UNIX_PATH_MAX 108
#define UNIX_ADDR_MAX (2 + UNIX_PATH_MAX) /* the size of struct sockaddr_un */

/*
 * Check a struct sockaddr_un of len bytes. *pathlen gets the length of
 * sun_path that names the socket: up to the first NUL for a path, all of
 * it for an abstract name (*abstract: sun_path starts with NUL); 0 means
 * "no name" (autobind). -EINVAL for a bad length or family.
 */
int unix_addr_parse(const void *addr, size_t len, size_t *pathlen, bool *abstract);

/*
 * Check a struct sockaddr_in of len bytes into *sin (zero-filled first).
 * AF_UNSPEC is accepted with any length of at least 2 (connect uses it to
 * dissolve an association). -EINVAL (too short), -EAFNOSUPPORT (another family).
 */
int inet_addr_parse(const void *addr, size_t len, struct net_sockaddr_in *sin);
