/*
 * timers.h - CPU time accounting, interval timers and POSIX timers.
 */
#pragma once

#include "linux/task.h"

uint64_t thread_cpu_ns(struct thread *th);
uint64_t process_cpu_ns(struct process *p);
/* Read a clock (CLOCK_*), nanoseconds. 0 or -EINVAL. */
int clock_read(int clock, uint64_t *ns);
/* A thread is exiting: its CPU-time timers stop. */
void timers_thread_exit(struct thread *th);
/* Called on every CPU when it is poked: poll CPU-time timers if any are armed. */
void cputimers_cpu_kick(void);
