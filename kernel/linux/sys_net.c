/*
 * sys_net.c - the socket system calls: socket, socketpair, bind, listen,
 * accept/accept4, connect, send/recv in all their forms (sendto, recvfrom,
 * sendmsg, recvmsg, sendmmsg, recvmmsg), shutdown, getsockname,
 * getpeername, setsockopt, getsockopt.
 *
 * Each call copies its arguments from user memory (addresses, msghdr,
 * iovecs, control messages), finds the socket behind the fd and calls the
 * generic layer (fs/socket.c), which blocks as needed and dispatches to
 * the address family. AF_INET6 answers EAFNOSUPPORT (Go then uses IPv4).
 */
#include "core/time.h"
#include "fs/socket.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#define SOMAXCONN 4096
#define SOCKOPT_MAX 512 /* the largest option value we copy (struct tcp_info is 232) */
#define MMSG_MAX 1024   /* UIO_MAXIOV: vlen is clamped to it, as on Linux */

static long socket_new(int domain, int type, int protocol, struct socket **out)
{
    switch (domain) {
    case AF_INET:
        return inet_create(type, protocol, out);
    case AF_UNIX:
        return unix_create(type, protocol, out);
    default:
        return -EAFNOSUPPORT; /* AF_INET6, AF_NETLINK, AF_PACKET... */
    }
}

SYSCALL_DEFINE3(socket, int, domain, int, type, int, protocol)
{
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct socket *s;
    long err;

    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    err = socket_new(domain, type & SOCK_TYPE_MASK, protocol, &s);
    if (err != 0)
        return err;
    return sock_install(s, flags);
}

SYSCALL_DEFINE4(socketpair, int, domain, int, type, int, protocol, int *, usv)
{
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct socket *a, *b;
    int fds[2];
    long err;

    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if (domain == AF_INET)
        return -EOPNOTSUPP;
    if (domain != AF_UNIX)
        return -EAFNOSUPPORT;
    if (!user_range_ok(usv, sizeof(fds)))
        return -EFAULT;
    err = unix_socketpair(type & SOCK_TYPE_MASK, protocol, &a, &b);
    if (err != 0)
        return err;
    fds[0] = sock_install(a, flags); /* on failure releases a (and so disconnects b) */
    if (fds[0] < 0) {
        b->ops->release(b);
        sock_free(b);
        return fds[0];
    }
    fds[1] = sock_install(b, flags);
    if (fds[1] < 0) {
        fd_close(fds[0]);
        return fds[1];
    }
    if (copy_to_user(usv, fds, sizeof(fds)) != 0) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

/* Copy a sockaddr from user memory; len must be within SOCKADDR_MAX. */
static int addr_in(const void *uaddr, uint32_t len, char *kaddr)
{
    if (len > SOCKADDR_MAX)
        return -EINVAL;
    if (len > 0 && copy_from_user(kaddr, uaddr, len) != 0)
        return -EFAULT;
    return 0;
}

/*
 * Give an address back: at most *ulen bytes of it, and its full length in
 * *ulen (a truncated address is not an error, as on Linux).
 */
static int addr_out(const char *kaddr, size_t len, void *uaddr, uint32_t *ulen)
{
    uint32_t room;

    if (ulen == NULL)
        return 0;
    if (get_user_u32(&room, ulen) != 0)
        return -EFAULT;
    if ((int32_t)room < 0)
        return -EINVAL;
    if (room > 0 && len > 0 && copy_to_user(uaddr, kaddr, MIN((size_t)room, len)) != 0)
        return -EFAULT;
    return put_user_u32(ulen, (uint32_t)len);
}

/* bind and connect: copy the address in, then call the operation. */
static long addr_call(int fd, const void *uaddr, uint32_t len, bool connect)
{
    char addr[SOCKADDR_MAX];
    struct socket *s;
    struct file *f;
    long err = addr_in(uaddr, len, addr);

    if (err != 0)
        return err;
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = connect ? sock_connect(f, s, addr, len) : s->ops->bind(s, addr, len);
    file_put(f);
    return err;
}

SYSCALL_DEFINE3(bind, int, fd, const void *, uaddr, uint32_t, len)
{
    return addr_call(fd, uaddr, len, false);
}

SYSCALL_DEFINE2(listen, int, fd, int, backlog)
{
    struct socket *s;
    struct file *f;
    long err = sock_from_fd(fd, &f, &s);

    if (err != 0)
        return err;
    if (backlog < 0 || backlog > SOMAXCONN)
        backlog = SOMAXCONN;
    err = s->ops->listen(s, backlog);
    file_put(f);
    return err;
}

static long do_accept(int fd, void *uaddr, uint32_t *ulen, int flags)
{
    char addr[SOCKADDR_MAX];
    size_t len = sizeof(addr);
    struct socket *s, *ns;
    struct file *f;
    long err, nfd;

    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = sock_accept(f, s, &ns, addr, &len);
    file_put(f);
    if (err != 0)
        return err;
    nfd = sock_install(ns, flags);
    if (nfd < 0)
        return nfd;
    err = addr_out(addr, len, uaddr, ulen);
    if (err != 0) {
        fd_close((int)nfd);
        return err;
    }
    return nfd;
}

SYSCALL_DEFINE3(accept, int, fd, void *, uaddr, uint32_t *, ulen)
{
    return do_accept(fd, uaddr, ulen, 0);
}

SYSCALL_DEFINE4(accept4, int, fd, void *, uaddr, uint32_t *, ulen, int, flags)
{
    return do_accept(fd, uaddr, ulen, flags);
}

SYSCALL_DEFINE3(connect, int, fd, const void *, uaddr, uint32_t, len)
{
    return addr_call(fd, uaddr, len, true);
}

SYSCALL_DEFINE2(shutdown, int, fd, int, how)
{
    struct socket *s;
    struct file *f;
    long err;

    if (how < 0 || how > 2)
        return -EINVAL;
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = s->ops->shutdown(s, how);
    file_put(f);
    return err;
}

static long do_getname(int fd, void *uaddr, uint32_t *ulen, bool peer)
{
    char addr[SOCKADDR_MAX];
    size_t len = sizeof(addr);
    struct socket *s;
    struct file *f;
    long err;

    if (ulen == NULL)
        return -EFAULT;
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = s->ops->getname(s, addr, &len, peer);
    file_put(f);
    if (err != 0)
        return err;
    return addr_out(addr, len, uaddr, ulen);
}

SYSCALL_DEFINE3(getsockname, int, fd, void *, uaddr, uint32_t *, ulen)
{
    return do_getname(fd, uaddr, ulen, false);
}

SYSCALL_DEFINE3(getpeername, int, fd, void *, uaddr, uint32_t *, ulen)
{
    return do_getname(fd, uaddr, ulen, true);
}

SYSCALL_DEFINE5(setsockopt, int, fd, int, level, int, name, const void *, uval, uint32_t, len)
{
    char val[SOCKOPT_MAX];
    struct socket *s;
    struct file *f;
    long err;

    if ((int32_t)len < 0)
        return -EINVAL;
    len = MIN(len, (uint32_t)sizeof(val));
    if (len > 0 && copy_from_user(val, uval, len) != 0)
        return -EFAULT;
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = sock_setsockopt(s, level, name, val, len);
    file_put(f);
    return err;
}

SYSCALL_DEFINE5(getsockopt, int, fd, int, level, int, name, void *, uval, uint32_t *, ulen)
{
    char val[SOCKOPT_MAX];
    struct socket *s;
    struct file *f;
    uint32_t room;
    size_t len;
    long err;

    if (get_user_u32(&room, ulen) != 0)
        return -EFAULT;
    if ((int32_t)room < 0)
        return -EINVAL;
    len = MIN(room, (uint32_t)sizeof(val));
    memset(val, 0, len);
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = sock_getsockopt(s, level, name, val, &len);
    file_put(f);
    if (err != 0)
        return err;
    if (len > 0 && copy_to_user(uval, val, len) != 0)
        return -EFAULT;
    return put_user_u32(ulen, (uint32_t)len);
}

/* ---- control messages ---- */

/* Drop the file references of an SCM_RIGHTS set. */
static void rights_free(struct scm_rights *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->count; i++)
        file_put(r->files[i]);
    kfree(r);
}

/* Take references to n fds (ints at data) for SCM_RIGHTS. -EBADF, -EINVAL (too many), -ENOMEM. */
static int rights_add(struct sock_ctl *ctl, const char *data, size_t n)
{
    if (ctl->rights == NULL)
        ctl->rights = kzalloc(sizeof(*ctl->rights));
    if (ctl->rights == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct file *f;
        int fd;

        if (ctl->rights->count == SCM_MAX_FD)
            return -EINVAL;
        memcpy(&fd, data + i * sizeof(int), sizeof(fd));
        f = fd_get(fd);
        if (f == NULL)
            return -EBADF;
        ctl->rights->files[ctl->rights->count++] = f;
    }
    return 0;
}

/*
 * Parse the control messages of a sendmsg: SCM_RIGHTS becomes referenced
 * files in ctl->rights; SCM_CREDENTIALS is accepted and ignored (the
 * receiver is told who we are anyway). -EINVAL for malformed headers,
 * -EBADF for a bad fd, -EFAULT.
 */
static int ctl_parse(const void *ucontrol, size_t len, struct sock_ctl *ctl)
{
    size_t off = 0;
    char *buf;
    int err = 0;

    if (len == 0)
        return 0;
    if (len > 64 * 1024)
        return -ENOBUFS;
    buf = kmalloc(len, 0);
    if (buf == NULL)
        return -ENOMEM;
    if (copy_from_user(buf, ucontrol, len) != 0) {
        kfree(buf);
        return -EFAULT;
    }
    for (;;) {
        struct k_cmsghdr h;
        const char *data;
        size_t datalen;

        err = cmsg_next(buf, len, &off, &h, &data, &datalen);
        if (err <= 0)
            break;
        err = 0;
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS)
            err = rights_add(ctl, data, datalen / sizeof(int));
        else if (h.cmsg_level != SOL_SOCKET || h.cmsg_type != SCM_CREDENTIALS)
            err = -EINVAL;
        if (err != 0)
            break;
    }
    kfree(buf);
    if (err != 0) {
        rights_free(ctl->rights);
        ctl->rights = NULL;
    }
    return err;
}

/*
 * Write received control messages to user memory: installs passed files
 * as new fds (closing those that do not fit, with MSG_CTRUNC). Returns the
 * bytes of control data written.
 */
static size_t ctl_deliver(struct sock_ctl *ctl, void *ucontrol, size_t room, int flags,
                          int *msg_flags)
{
    size_t off = 0;

    if (ctl->have_cred && ctl->want_cred) {
        size_t need = sizeof(struct k_cmsghdr) + sizeof(struct k_ucred);
        struct k_cmsghdr h = {need, SOL_SOCKET, SCM_CREDENTIALS};
        if (room >= need && copy_to_user(ucontrol, &h, sizeof(h)) == 0 &&
            copy_to_user((char *)ucontrol + sizeof(h), &ctl->cred, sizeof(ctl->cred)) == 0)
            off = K_CMSG_ALIGN(need);
        else
            *msg_flags |= MSG_CTRUNC;
    }
    if (ctl->rights != NULL && ctl->rights->count > 0) {
        struct scm_rights *r = ctl->rights;
        size_t avail =
            room > off + sizeof(struct k_cmsghdr) ? room - off - sizeof(struct k_cmsghdr) : 0;
        int fit = (int)MIN((size_t)r->count, avail / sizeof(int)), done = 0;
        char *base = (char *)ucontrol + off;

        for (; done < fit; done++) {
            int fd = fd_install(r->files[done], (flags & MSG_CMSG_CLOEXEC) != 0, 0);
            if (fd < 0)
                break;
            r->files[done] = NULL; /* the fd owns the reference now */
            if (put_user_u32(base + sizeof(struct k_cmsghdr) + (size_t)done * sizeof(int),
                             (uint32_t)fd) != 0) {
                fd_close(fd);
                break;
            }
        }
        if (done > 0) {
            struct k_cmsghdr h = {sizeof(h) + (size_t)done * sizeof(int), SOL_SOCKET, SCM_RIGHTS};
            if (copy_to_user(base, &h, sizeof(h)) == 0)
                off += K_CMSG_ALIGN(h.cmsg_len);
        }
        if (done < r->count)
            *msg_flags |= MSG_CTRUNC;
        for (int i = done; i < r->count; i++)
            if (r->files[i] != NULL)
                file_put(r->files[i]);
        r->count = 0;
    }
    return MIN(off, room);
}

/* ---- send and receive ---- */

static long do_sendmsg_k(int fd, const struct k_msghdr *m, int flags)
{
    char addr[SOCKADDR_MAX];
    struct sock_ctl ctl = {0};
    struct k_iovec *iov;
    struct socket *s;
    struct file *f;
    struct uio u;
    size_t total;
    long err;

    if (m->msg_iovlen > 1024)
        return -EMSGSIZE;
    if (m->msg_name != NULL) {
        err = addr_in(m->msg_name, m->msg_namelen, addr);
        if (err != 0)
            return err;
    }
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    err = get_iovec(m->msg_iov, (int)m->msg_iovlen, &iov, &total);
    if (err != 0)
        goto out_file;
    if (m->msg_controllen > 0) {
        err = ctl_parse(m->msg_control, m->msg_controllen, &ctl);
        if (err != 0)
            goto out_iov;
        if (ctl.rights != NULL && s->family != AF_UNIX) {
            err = -EINVAL;
            goto out_ctl;
        }
    }
    u = (struct uio){.iov = iov, .iovcnt = (int)m->msg_iovlen, .resid = total, .user = true};
    err = sock_sendmsg(f, s, &u, flags, m->msg_name != NULL ? addr : NULL,
                       m->msg_name != NULL ? m->msg_namelen : 0, &ctl);
out_ctl:
    rights_free(ctl.rights);
out_iov:
    kfree(iov);
out_file:
    file_put(f);
    return err;
}

/*
 * Receive into the buffers of *m; updates msg_namelen, msg_controllen and
 * msg_flags in *m (the caller copies them back).
 */
static long do_recvmsg_k(int fd, struct k_msghdr *m, int flags)
{
    char addr[SOCKADDR_MAX];
    size_t addrlen = sizeof(addr);
    struct sock_ctl ctl = {0};
    struct k_iovec *iov;
    struct socket *s;
    struct file *f;
    struct uio u;
    size_t total;
    int mflags = 0;
    long n;

    if (m->msg_iovlen > 1024)
        return -EMSGSIZE;
    n = sock_from_fd(fd, &f, &s);
    if (n != 0)
        return n;
    n = get_iovec(m->msg_iov, (int)m->msg_iovlen, &iov, &total);
    if (n != 0) {
        file_put(f);
        return n;
    }
    u = (struct uio){.iov = iov, .iovcnt = (int)m->msg_iovlen, .resid = total, .user = true};
    n = sock_recvmsg(f, s, &u, flags, addr, &addrlen, &mflags, &ctl);
    kfree(iov);
    file_put(f);
    if (n >= 0) {
        if (m->msg_name != NULL && m->msg_namelen > 0 && addrlen > 0 &&
            copy_to_user(m->msg_name, addr, MIN((size_t)m->msg_namelen, addrlen)) != 0)
            n = -EFAULT;
        m->msg_namelen = (uint32_t)addrlen;
        m->msg_controllen = ctl_deliver(
            &ctl, m->msg_control, m->msg_control != NULL ? m->msg_controllen : 0, flags, &mflags);
        m->msg_flags = mflags;
    }
    rights_free(ctl.rights);
    return n;
}

SYSCALL_DEFINE6(sendto, int, fd, const void *, buf, size_t, len, int, flags, const void *, uaddr,
                uint32_t, addrlen)
{
    struct k_iovec iov = {(void *)buf, len};
    char addr[SOCKADDR_MAX];
    struct socket *s;
    struct file *f;
    struct uio u;
    long err;

    if (len > 0 && !user_range_ok(buf, len))
        return -EFAULT;
    if (uaddr != NULL) {
        err = addr_in(uaddr, addrlen, addr);
        if (err != 0)
            return err;
    }
    err = sock_from_fd(fd, &f, &s);
    if (err != 0)
        return err;
    u = (struct uio){.iov = &iov, .iovcnt = 1, .resid = len, .user = true};
    err = sock_sendmsg(f, s, &u, flags, uaddr != NULL ? addr : NULL, uaddr != NULL ? addrlen : 0,
                       NULL);
    file_put(f);
    return err;
}

SYSCALL_DEFINE6(recvfrom, int, fd, void *, buf, size_t, len, int, flags, void *, uaddr, uint32_t *,
                ulen)
{
    struct k_iovec iov = {buf, len};
    char addr[SOCKADDR_MAX];
    size_t addrlen = sizeof(addr);
    struct socket *s;
    struct file *f;
    struct uio u;
    long n;

    if (len > 0 && !user_range_ok(buf, len))
        return -EFAULT;
    n = sock_from_fd(fd, &f, &s);
    if (n != 0)
        return n;
    u = (struct uio){.iov = &iov, .iovcnt = 1, .resid = len, .user = true};
    n = sock_recvmsg(f, s, &u, flags, addr, &addrlen, NULL, NULL);
    file_put(f);
    if (n >= 0 && uaddr != NULL && ulen != NULL) {
        long err = addr_out(addr, addrlen, uaddr, ulen);
        if (err != 0)
            return err;
    }
    return n;
}

SYSCALL_DEFINE3(sendmsg, int, fd, const struct k_msghdr *, umsg, int, flags)
{
    struct k_msghdr m;

    if (copy_from_user(&m, umsg, sizeof(m)) != 0)
        return -EFAULT;
    return do_sendmsg_k(fd, &m, flags);
}

/* Copy back what recvmsg changes in a msghdr. */
static int msghdr_update(struct k_msghdr *um, const struct k_msghdr *m)
{
    if (put_user_u32(&um->msg_namelen, m->msg_namelen) != 0 ||
        put_user_u64(&um->msg_controllen, m->msg_controllen) != 0 ||
        put_user_u32(&um->msg_flags, (uint32_t)m->msg_flags) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE3(recvmsg, int, fd, struct k_msghdr *, umsg, int, flags)
{
    struct k_msghdr m;
    long n;

    if (copy_from_user(&m, umsg, sizeof(m)) != 0)
        return -EFAULT;
    n = do_recvmsg_k(fd, &m, flags);
    if (n >= 0 && msghdr_update(umsg, &m) != 0)
        return -EFAULT;
    return n;
}

SYSCALL_DEFINE4(sendmmsg, int, fd, struct k_mmsghdr *, uvec, unsigned int, vlen, int, flags)
{
    unsigned int i;
    long n = 0;

    vlen = MIN(vlen, (unsigned int)MMSG_MAX);
    for (i = 0; i < vlen; i++) {
        struct k_msghdr m;
        if (copy_from_user(&m, &uvec[i].msg_hdr, sizeof(m)) != 0) {
            n = -EFAULT;
            break;
        }
        n = do_sendmsg_k(fd, &m, flags);
        if (n < 0)
            break;
        if (put_user_u32(&uvec[i].msg_len, (uint32_t)n) != 0) {
            n = -EFAULT;
            break;
        }
    }
    return i > 0 ? (long)i : n;
}

SYSCALL_DEFINE5(recvmmsg, int, fd, struct k_mmsghdr *, uvec, unsigned int, vlen, int, flags,
                struct k_timespec *, utimeout)
{
    uint64_t deadline = 0;
    unsigned int i;
    long n = 0;

    /* The timeout is checked after each datagram, as Linux does: it never ends a wait. */
    if (utimeout != NULL) {
        struct k_timespec ts;
        if (copy_from_user(&ts, utimeout, sizeof(ts)) != 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
            return -EINVAL;
        deadline = ktime_ns() +
                   MIN((uint64_t)ts.tv_sec, UINT64_MAX / NSEC_PER_SEC / 2) * NSEC_PER_SEC +
                   (uint64_t)ts.tv_nsec;
    }
    vlen = MIN(vlen, (unsigned int)MMSG_MAX);
    for (i = 0; i < vlen; i++) {
        struct k_msghdr m;
        if (i > 0 && deadline != 0 && ktime_ns() >= deadline)
            break;
        if (copy_from_user(&m, &uvec[i].msg_hdr, sizeof(m)) != 0) {
            n = -EFAULT;
            break;
        }
        n = do_recvmsg_k(fd, &m, flags & ~MSG_WAITFORONE);
        if (n < 0)
            break;
        if (msghdr_update(&uvec[i].msg_hdr, &m) != 0 ||
            put_user_u32(&uvec[i].msg_len, (uint32_t)n) != 0) {
            n = -EFAULT;
            break;
        }
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
    }
    if (i > 0)
        return (long)i;
    return n == -ERESTARTSYS ? -EINTR : n;
}

/* splice(2) is in fs/sys_xfer.c: pipe <-> regular file only; sockets get EINVAL. */
