/*
 * netdev.h - what the kernel gives NIC drivers and boot configuration:
 * the one TCP/IP stack and its lock (fs/sock_inet.c), and the boot-time
 * IPv4 configuration (net/netconfig_kernel.c).
 *
 * A driver registers its interface with netif_add(net_kernel_stack(), ...)
 * and hands received frames to netif_input() from a thread, holding the
 * lock: net_kernel_lock() ... net_kernel_unlock(). The lock is a mutex, so
 * interrupt handlers never take it: they wake the driver's thread (see
 * docs/net.md, "Drivers").
 */
#pragma once

#include "lib/types.h"

struct netstack;
struct super_block;

/* The kernel's stack, or NULL when it could not be created. */
struct netstack *net_kernel_stack(void);
/* Take / drop the net lock (thread context; may sleep). */
void net_kernel_lock(void);
void net_kernel_unlock(void);
/*
 * With the net lock held: run fn(arg) right after whoever holds the lock
 * drops it (once, however often it is asked for until then). For device
 * doorbells: under emulation ringing one is an exit to the hypervisor, and
 * every CPU wanting the net lock would wait through it.
 */
void net_kernel_defer(void (*fn)(void *), void *arg);

/*
 * Configure every Ethernet interface as the ip= parameter says (DHCP by
 * default) and wait a bounded time for DHCP (dhcp_timeout=, seconds).
 * Never fails: an interface without an address is reported and left so.
 * Thread context, after drivers_init.
 */
void net_autoconfig(void);
/*
 * Write /etc/resolv.conf into the new root (before the initramfs is
 * unpacked, so a file the initramfs carries wins). No-op without a
 * configuration.
 */
void net_write_etc(struct super_block *root);
