/*
 * main.h - boot milestones other parts report.
 */
#pragma once

#include "lib/types.h"

/* Monotonic time (ns since entry) at which the kernel was ready. */
extern uint64_t kernel_ready_ns;

/*
 * Start the application named by the command line / boot modules and never
 * return (linux/init.c). Without one, say so and power off with
 * EXIT_NO_INIT.
 */
void start_application(void) __noreturn;

/*
 * Create the TCP/IP stack with its loopback interface and start its timer
 * thread (fs/sock_inet.c). On failure sockets answer ENOMEM; boot goes on.
 */
void net_kernel_init(void);
