/*
 * poll.h - readiness: the one interface behind poll, select and epoll.
 *
 * A pollable object keeps a struct waitq and calls waitq_notify(wq,
 * events) whenever its readiness may have changed. Its file_ops->poll
 * returns the current EPOLL* mask and, when given a poll_table, first
 * calls poll_wait() so the caller (poll/select sleeping, or an epoll
 * watch) gets on that queue.
 */
#pragma once

#include "fs/vfs.h"

#define EPOLLIN 0x001
#define EPOLLPRI 0x002
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLNVAL 0x020
#define EPOLLRDNORM 0x040
#define EPOLLRDBAND 0x080
#define EPOLLWRNORM 0x100
#define EPOLLWRBAND 0x200
#define EPOLLMSG 0x400
#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

#define POLLIN EPOLLIN
#define POLLPRI EPOLLPRI
#define POLLOUT EPOLLOUT
#define POLLERR EPOLLERR
#define POLLHUP EPOLLHUP
#define POLLNVAL EPOLLNVAL
#define POLLRDNORM EPOLLRDNORM
#define POLLWRNORM EPOLLWRNORM
#define POLLRDHUP EPOLLRDHUP

struct poll_table {
    /* Put the caller on wq (called once per queue a file has). */
    void (*queue)(struct poll_table *pt, struct file *f, struct waitq *wq);
};

static inline void poll_wait(struct file *f, struct waitq *wq, struct poll_table *pt)
{
    if (pt != NULL && wq != NULL)
        pt->queue(pt, f, wq);
}

/* Readiness of f (EPOLLNVAL-free); files without ->poll are always ready. */
uint32_t file_poll(struct file *f, struct poll_table *pt);

/* epoll: forget every watch on f (the file is being released). */
void epoll_file_release(struct file *f);

struct k_epoll_event {
    uint32_t events;
    uint64_t data;
} __packed;
_Static_assert(sizeof(struct k_epoll_event) == 12, "epoll_event is packed on x86-64");

struct k_pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
