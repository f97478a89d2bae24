/*
 * procnet.h - /proc/net/tcp and /proc/net/udp text (procnet.c).
 */
#pragma once

#include "lib/types.h"

struct netstack;

/* The inode number of a socket's owner (the socket layer's file), for the inode column. */
typedef uint64_t (*net_sock_ino_fn)(void *owner);

/*
 * Format every bound TCP connection (listeners, connections, TIME_WAIT) as
 * Linux's /proc/net/tcp, or every bound UDP socket as /proc/net/udp.
 * Returns the length written (like scnprintf: truncated to size - 1).
 * Takes the stack's event bracket: call with the net lock held.
 */
int net_tcp_format(struct netstack *ns, char *buf, size_t size, net_sock_ino_fn sock_ino);
int net_udp_format(struct netstack *ns, char *buf, size_t size, net_sock_ino_fn sock_ino);
