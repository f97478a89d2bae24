/* The Linux ABI types of net.h against the host's Linux UAPI headers. */
#include <criterion/criterion.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/epoll.h>

#include "net/net.h"

Test(net_abi, tcp_info_matches_linux_layout)
{
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_rto), offsetof(struct tcp_info, tcpi_rto));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_rtt), offsetof(struct tcp_info, tcpi_rtt));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_total_retrans),
                 offsetof(struct tcp_info, tcpi_total_retrans));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_bytes_acked),
                 offsetof(struct tcp_info, tcpi_bytes_acked));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_min_rtt),
                 offsetof(struct tcp_info, tcpi_min_rtt));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_delivery_rate),
                 offsetof(struct tcp_info, tcpi_delivery_rate));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_bytes_retrans),
                 offsetof(struct tcp_info, tcpi_bytes_retrans));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_rcv_ooopack),
                 offsetof(struct tcp_info, tcpi_rcv_ooopack));
    cr_assert_eq(offsetof(struct net_tcp_info, tcpi_snd_wnd),
                 offsetof(struct tcp_info, tcpi_snd_wnd));
    /* Linux's include/net/tcp_states.h (not part of the UAPI). */
    cr_assert_eq(NET_TCPS_ESTABLISHED, 1);
    cr_assert_eq(NET_TCPS_TIME_WAIT, 6);
    cr_assert_eq(NET_TCPS_LISTEN, 10);
    cr_assert_eq(NET_TCPS_CLOSING, 11);
    cr_assert_eq(NET_TCP_INFO, TCP_INFO);
    cr_assert_eq(NET_TCP_USER_TIMEOUT, TCP_USER_TIMEOUT);
    cr_assert_eq(NET_TCP_KEEPCNT, TCP_KEEPCNT);
}

Test(net_abi, sockaddr_in_matches_linux)
{
    cr_assert_eq(sizeof(struct net_sockaddr_in), sizeof(struct sockaddr_in));
    cr_assert_eq(offsetof(struct net_sockaddr_in, sin_port),
                 offsetof(struct sockaddr_in, sin_port));
    cr_assert_eq(offsetof(struct net_sockaddr_in, sin_addr),
                 offsetof(struct sockaddr_in, sin_addr));
    cr_assert_eq(NET_AF_INET, AF_INET);
}

Test(net_abi, epoll_bits_match_linux)
{
    cr_assert_eq(NET_EPOLLIN, EPOLLIN);
    cr_assert_eq(NET_EPOLLOUT, EPOLLOUT);
    cr_assert_eq(NET_EPOLLERR, EPOLLERR);
    cr_assert_eq(NET_EPOLLHUP, EPOLLHUP);
    cr_assert_eq(NET_EPOLLRDHUP, EPOLLRDHUP);
    cr_assert_eq(NET_EPOLLRDNORM, EPOLLRDNORM);
    cr_assert_eq(NET_EPOLLWRNORM, EPOLLWRNORM);
}
