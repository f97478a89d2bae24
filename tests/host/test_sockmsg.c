/* Control-message walking and sockaddr checks of the socket system calls. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <linux/un.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fs/sockmsg.h"
#include "lib/errno.h"

/* Our layouts are Linux's. */
Test(sockmsg, layouts_match_linux)
{
    cr_expect_eq(sizeof(struct k_msghdr), sizeof(struct msghdr));
    cr_expect_eq(offsetof(struct k_msghdr, msg_control), offsetof(struct msghdr, msg_control));
    cr_expect_eq(offsetof(struct k_msghdr, msg_flags), offsetof(struct msghdr, msg_flags));
    cr_expect_eq(sizeof(struct k_mmsghdr), sizeof(struct mmsghdr));
    cr_expect_eq(sizeof(struct k_cmsghdr), sizeof(struct cmsghdr));
    cr_expect_eq(K_CMSG_ALIGN(5), CMSG_ALIGN(5));
    cr_expect_eq(K_CMSG_ALIGN(16 + 12), CMSG_SPACE(12));
    cr_expect_eq(UNIX_ADDR_MAX, sizeof(struct sockaddr_un));
}

/* Two messages built with the libc macros walk back as they were written. */
Test(sockmsg, walks_what_libc_builds)
{
    union {
        char buf[CMSG_SPACE(3 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    int fds[3] = {3, 4, 5};
    struct k_cmsghdr h;
    const char *data;
    size_t off = 0, datalen;

    memset(u.buf, 0, sizeof(u.buf));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    c = CMSG_NXTHDR(&m, c);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));

    cr_assert_eq(cmsg_next(u.buf, sizeof(u.buf), &off, &h, &data, &datalen), 1);
    cr_expect_eq(h.cmsg_type, SCM_RIGHTS);
    cr_expect_eq(datalen, sizeof(fds));
    cr_expect_eq(memcmp(data, fds, sizeof(fds)), 0);
    cr_assert_eq(cmsg_next(u.buf, sizeof(u.buf), &off, &h, &data, &datalen), 1);
    cr_expect_eq(h.cmsg_type, SCM_CREDENTIALS);
    cr_expect_eq(datalen, sizeof(struct ucred));
    cr_expect_eq(cmsg_next(u.buf, sizeof(u.buf), &off, &h, &data, &datalen), 0);
}

/* Lengths below a header or past the buffer are refused, never read beyond. */
Test(sockmsg, bad_lengths)
{
    char buf[64] = {0};
    struct k_cmsghdr h = {.cmsg_len = 8, .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
    const char *data;
    size_t off = 0, datalen;

    memcpy(buf, &h, sizeof(h));
    cr_expect_eq(cmsg_next(buf, sizeof(buf), &off, &h, &data, &datalen), -EINVAL);
    h.cmsg_len = 65;
    memcpy(buf, &h, sizeof(h));
    off = 0;
    cr_expect_eq(cmsg_next(buf, sizeof(buf), &off, &h, &data, &datalen), -EINVAL);
    h.cmsg_len = UINT64_MAX;
    memcpy(buf, &h, sizeof(h));
    off = 0;
    cr_expect_eq(cmsg_next(buf, sizeof(buf), &off, &h, &data, &datalen), -EINVAL);
    off = 0;
    cr_expect_eq(cmsg_next(buf, 15, &off, &h, &data, &datalen), 0); /* shorter than a header */
    off = 100;
    cr_expect_eq(cmsg_next(buf, sizeof(buf), &off, &h, &data, &datalen), 0);
}

Test(sockmsg, rights_fit)
{
    cr_expect_eq(cmsg_rights_fit(CMSG_SPACE(3 * sizeof(int)), 3), 3);
    cr_expect_eq(cmsg_rights_fit(CMSG_LEN(2 * sizeof(int)), 3), 2);
    cr_expect_eq(cmsg_rights_fit(sizeof(struct cmsghdr), 3), 0);
    cr_expect_eq(cmsg_rights_fit(0, 3), 0);
    cr_expect_eq(cmsg_rights_fit(1000, 0), 0);
}

Test(sockmsg, unix_addresses)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    size_t pathlen;
    bool abstract;

    strcpy(sun.sun_path, "/tmp/x.sock");
    cr_expect_eq(unix_addr_parse(&sun, sizeof(sun), &pathlen, &abstract), 0);
    cr_expect_eq(pathlen, strlen("/tmp/x.sock"));
    cr_expect(!abstract);
    /* Go passes the exact length without a NUL. */
    cr_expect_eq(unix_addr_parse(&sun, 2 + 5, &pathlen, &abstract), 0);
    cr_expect_eq(pathlen, 5);
    /* Abstract: every byte counts, NULs included. */
    memcpy(sun.sun_path, "\0ab\0c", 5);
    cr_expect_eq(unix_addr_parse(&sun, 2 + 5, &pathlen, &abstract), 0);
    cr_expect(abstract);
    cr_expect_eq(pathlen, 5);
    /* Autobind: only the family. */
    cr_expect_eq(unix_addr_parse(&sun, 2, &pathlen, &abstract), 0);
    cr_expect_eq(pathlen, 0);
    cr_expect_eq(unix_addr_parse(&sun, 1, &pathlen, &abstract), -EINVAL);
    cr_expect_eq(unix_addr_parse(&sun, sizeof(sun) + 1, &pathlen, &abstract), -EINVAL);
    sun.sun_family = AF_INET;
    cr_expect_eq(unix_addr_parse(&sun, sizeof(sun), &pathlen, &abstract), -EINVAL);
}

Test(sockmsg, inet_addresses)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
    struct net_sockaddr_in out;

    sin.sin_addr.s_addr = htonl(0x7f000001);
    cr_expect_eq(inet_addr_parse(&sin, sizeof(sin), &out), 0);
    cr_expect_eq(out.sin_port, htons(80));
    cr_expect_eq(out.sin_addr, htonl(0x7f000001));
    cr_expect_eq(inet_addr_parse(&sin, sizeof(sin) - 1, &out), -EINVAL);
    sin.sin_family = AF_INET6;
    cr_expect_eq(inet_addr_parse(&sin, sizeof(sin), &out), -EAFNOSUPPORT);
    sin.sin_family = AF_UNSPEC;
    cr_expect_eq(inet_addr_parse(&sin, 2, &out), 0);
    cr_expect_eq(out.sin_family, AF_UNSPEC);
    cr_expect_eq(out.sin_port, 0);
    cr_expect_eq(inet_addr_parse(&sin, 1, &out), -EINVAL);
}
