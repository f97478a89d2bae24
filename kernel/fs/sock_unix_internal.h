/*
 * sock_unix_internal.h - what sock_unix.c (AF_UNIX sockets: connections,
 * data, options, release) and sock_unix_name.c (bound names) share.
 * Nothing else includes it; the locking rules are in sock_unix.c.
 */
#pragma once

#include "fs/socket.h"
#include "sched/mutex.h"

#define UNIX_BUF_DEFAULT (256 * 1024)
#define UNIX_BUF_MIN 4608
#define UNIX_BUF_MAX (8 * 1024 * 1024)
#define UNIX_STREAM_CHUNK (64 * 1024)
#define UNIX_MAX_QUEUED 1024 /* messages in one receive queue */

#define SO_REUSEADDR 2
#define SO_BROADCAST 6
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33

enum unix_state { US_UNCONNECTED, US_LISTENING, US_CONNECTED };

struct unix_sock {
    struct socket *sock; /* NULL once released (the socket is gone) */
    int type;
    enum unix_state state;
    int refs;
    bool dead; /* released */

    struct unix_sock *peer; /* connected peer (referenced) */
    char name[UNIX_ADDR_MAX];
    size_t namelen;         /* 0: unbound */
    struct inode *inode;    /* bound to a path: its node (referenced) */
    struct list_head bound; /* on unix_names while bound */
    struct list_head all;   /* on unix_all */

    struct list_head rxq; /* struct unix_msg */
    size_t rx_bytes;
    unsigned int rx_count;
    size_t rcvbuf, sndbuf;
    bool shut_rd, shut_wr;  /* our own shutdowns */
    bool peer_shut_wr;      /* the peer will send no more */
    struct unix_sock *full; /* a datagram receiver we wait on (referenced) */

    struct list_head acceptq; /* listener: connected, not yet accepted children */
    struct list_head aq_link; /* child: on the listener's acceptq */
    int backlog, nqueued;

    bool passcred;
    struct k_ucred peercred;
    bool has_peercred;
};

struct unix_msg {
    struct list_head link;
    size_t len, off;
    struct scm_rights *rights;
    struct k_ucred cred;
    char from[UNIX_ADDR_MAX];
    size_t fromlen;
    char data[];
};

/* Guards every unix_sock, every queue and unix_names. */
extern struct mutex unix_lock;
/* Bound sockets (unix_sock.bound), guarded by unix_lock. */
extern struct list_head unix_names;

static inline struct unix_sock *us_of(struct socket *s)
{
    return s->priv;
}

/* Take a reference; unix_lock held. */
static inline void us_get(struct unix_sock *u)
{
    u->refs++;
}

/* bind(2) and get{sock,peer}name(2): the sock_ops entries. */
int unix_bind(struct socket *s, const void *addr, size_t len);
int unix_getname(struct socket *s, void *addr, size_t *len, bool peer);
/*
 * The socket a connect or sendto names, referenced: 0, or -ECONNREFUSED
 * when nobody is bound there, -ENOENT when the path does not exist.
 * unix_lock not held (it takes it).
 */
int target_find(const void *addr, size_t len, struct unix_sock **out);
