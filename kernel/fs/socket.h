/*
 * socket.h - socket files: what every address family implements and what
 * the generic socket layer (socket.c) does for all of them.
 *
 * A socket is a file (S_IFSOCK, "socket:[ino]" in /proc/self/fd) whose
 * priv is a struct socket. Families (sock_inet.c: AF_INET over the
 * kernel/net stack; sock_unix.c: AF_UNIX) implement struct sock_ops.
 * Family operations never block: anything that cannot proceed returns
 * -EAGAIN (connect: -EINPROGRESS) and the generic layer sleeps on
 * sock->wq until the family reports a readiness change with
 * sock_readiness(), then retries. That one loop gives every family
 * O_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO/SO_SNDTIMEO, signal interruption
 * (-ERESTARTSYS, so SA_RESTART works as for pipes) and SIGPIPE.
 *
 * Addresses are passed as kernel copies of the caller's sockaddr;
 * the data moves through a struct uio (user or kernel buffers).
 */
#pragma once

#include "fs/sockmsg.h"
#include "fs/vfs.h"

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define SOL_SOCKET 1
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

/* The largest sockaddr we accept (struct sockaddr_storage). */
#define SOCKADDR_MAX 128

struct k_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};

struct socket;

/* Files passed with SCM_RIGHTS (AF_UNIX), at most SCM_MAX_FD per message. */
#define SCM_MAX_FD 253
struct scm_rights {
    int count;
    struct file *files[SCM_MAX_FD]; /* referenced */
};

/*
 * Ancillary data of one sendmsg or recvmsg, already parsed (send) or to be
 * written (receive) by the generic layer.
 */
struct sock_ctl {
    struct scm_rights *rights; /* send: files to pass; receive: files passed */
    bool want_cred;            /* receive: SO_PASSCRED is on, give SCM_CREDENTIALS */
    struct k_ucred cred;       /* receive: the sender */
    bool have_cred;
};

/*
 * What a family implements. None of these may sleep for long (family locks
 * only); "would block" is -EAGAIN. Addresses are kernel buffers.
 */
struct sock_ops {
    int (*bind)(struct socket *s, const void *addr, size_t len);
    /* Start a connection: 0 (done), -EINPROGRESS (wait for EPOLLOUT, then take_error). */
    int (*connect)(struct socket *s, const void *addr, size_t len);
    int (*listen)(struct socket *s, int backlog);
    /* A new connected socket in *out (no file yet) and its peer's address. */
    int (*accept)(struct socket *s, struct socket **out, void *addr, size_t *addrlen);
    /* Bytes sent (the uio advanced), or -errno (-EPIPE: the generic layer raises SIGPIPE). */
    ssize_t (*sendmsg)(struct socket *s, struct uio *u, int flags, const void *addr, size_t addrlen,
                       struct sock_ctl *ctl);
    /* Bytes received, 0 at end of stream; *addrlen in: room, out: length. */
    ssize_t (*recvmsg)(struct socket *s, struct uio *u, int flags, void *addr, size_t *addrlen,
                       int *msg_flags, struct sock_ctl *ctl);
    int (*shutdown)(struct socket *s, int how);
    int (*getname)(struct socket *s, void *addr, size_t *len, bool peer);
    int (*setsockopt)(struct socket *s, int level, int name, const void *val, size_t len);
    int (*getsockopt)(struct socket *s, int level, int name, void *val, size_t *len);
    /* Current EPOLL* mask. */
    uint32_t (*poll)(struct socket *s);
    /* SO_ERROR: return and clear the pending error (0 or -errno). */
    int (*take_error)(struct socket *s);
    /* FIONREAD: bytes ready to read. */
    int (*inq)(struct socket *s);
    /* The file is gone (last close); free the family's state. */
    void (*release)(struct socket *s);
};

struct socket {
    const struct sock_ops *ops;
    int family, type, protocol;
    struct waitq wq;      /* blocked callers, poll and epoll watches */
    uint32_t mask;        /* last readiness the family reported (READ_ONCE) */
    uint32_t changes;     /* counts sock_readiness() calls (READ_ONCE) */
    uint64_t rcvtimeo_ns; /* SO_RCVTIMEO, 0 = forever */
    uint64_t sndtimeo_ns; /* SO_SNDTIMEO */
    struct inode *inode;  /* of the file: the "socket:[ino]" number */
    void *priv;           /* the family's */
};

/* A socket with ops and no file; NULL when out of memory. */
struct socket *sock_alloc(const struct sock_ops *ops, int family, int type, int protocol);
/* Free a socket that never got a file (its release() is not called). */
void sock_free(struct socket *s);
/*
 * Give s a file with O_RDWR | (flags & O_NONBLOCK) and install it as an fd
 * (O_CLOEXEC in flags). Returns the fd; on failure s is released.
 */
int sock_install(struct socket *s, int flags);
/*
 * A family reports a (possible) readiness change: records mask and wakes
 * sleepers and poll/epoll watches. Any context that may take a spinlock.
 */
void sock_readiness(struct socket *s, uint32_t mask);
/* The socket behind fd, with a file reference in *fp; -EBADF or -ENOTSOCK. */
int sock_from_fd(int fd, struct file **fp, struct socket **sp);
/* The socket of an open file, or NULL when it is not one. */
struct socket *sock_of_file(struct file *f);

/* The address families (sock_inet.c, sock_unix.c). */
int inet_create(int type, int protocol, struct socket **out);
int unix_create(int type, int protocol, struct socket **out);
int unix_socketpair(int type, int protocol, struct socket **a, struct socket **b);

/* Generic blocking operations behind the system calls (socket.c). */
ssize_t sock_sendmsg(struct file *f, struct socket *s, struct uio *u, int flags, const void *addr,
                     size_t addrlen, struct sock_ctl *ctl);
ssize_t sock_recvmsg(struct file *f, struct socket *s, struct uio *u, int flags, void *addr,
                     size_t *addrlen, int *msg_flags, struct sock_ctl *ctl);
int sock_connect(struct file *f, struct socket *s, const void *addr, size_t len);
int sock_accept(struct file *f, struct socket *s, struct socket **out, void *addr, size_t *addrlen);
int sock_setsockopt(struct socket *s, int level, int name, const void *val, size_t len);
int sock_getsockopt(struct socket *s, int level, int name, void *val, size_t *len);
