/*
 * procnet.c - the socket tables of /proc/net/tcp and /proc/net/udp, in
 * Linux's format (net/ipv4/tcp_ipv4.c tcp4_seq_show, udp.c udp4_seq_show),
 * so tools that read them (ss-like code, Go tests, netstat) parse them.
 *
 * Addresses are printed as Linux prints them: the network-order 32-bit
 * value in hex as the (little-endian) CPU reads it, so 127.0.0.1 is
 * 0100007F; ports in host order. The inode column comes from the socket
 * layer (sock_ino: the owner's file inode number), 0 for connections
 * without a socket (orphans, TIME_WAIT, children not yet accepted).
 */
#include "net/procnet.h"
#include "net/sock.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

/* Linux pads every line to a fixed width (seq_setwidth). */
#define TCP_LINE_WIDTH 149
#define UDP_LINE_WIDTH 127

static int pad_line(char *buf, size_t size, int len, int width)
{
    int pad = len < width ? width - len : 0;

    return net_scnprintf(buf, size, "%*s\n", pad, "");
}

static uint64_t owner_ino(struct net_sock *s, net_sock_ino_fn sock_ino)
{
    return s != NULL && s->owner != NULL && sock_ino != NULL ? sock_ino(s->owner) : 0;
}

int net_tcp_format(struct netstack *ns, char *buf, size_t size, net_sock_ino_fn sock_ino)
{
    struct tcp_pcb *pcb;
    int n, line, sl = 0;

    net_enter(ns);
    line = net_scnprintf(buf, size,
                         "  sl  local_address rem_address   st tx_queue rx_queue tr "
                         "tm->when retrnsmt   uid  timeout inode");
    n = line + pad_line(buf + line, size - (size_t)line, line, TCP_LINE_WIDTH);
    list_for_each_entry (pcb, &ns->tcp.pcbs, all_link) {
        bool listen = pcb->state == TCP_LISTEN;
        uint32_t txq = listen ? 0 : pcb->sndq.len;
        uint32_t rxq = listen ? pcb->accept_qlen : tcp_readable(pcb);

        if (pcb->state == TCP_CLOSED && pcb->lport == 0)
            continue; /* a fresh socket: Linux lists only bound ones */
        line = net_scnprintf(buf + n, size - (size_t)n,
                             "%4d: %08X:%04X %08X:%04X %02X %08X:%08X 00:00000000 00000000 "
                             "%5u %8d %llu 1 0000000000000000 100 0 0 10 0",
                             sl++, net_htonl(pcb->laddr), pcb->lport, net_htonl(pcb->raddr),
                             pcb->rport, tcp_linux_state(pcb->state), txq, rxq, 0u, 0,
                             (unsigned long long)owner_ino(pcb->sock, sock_ino));
        n += line + pad_line(buf + n + line, size - (size_t)(n + line), line, TCP_LINE_WIDTH);
    }
    net_leave(ns);
    return n;
}

int net_udp_format(struct netstack *ns, char *buf, size_t size, net_sock_ino_fn sock_ino)
{
    struct net_sock *s;
    int n, line, sl = 0;

    net_enter(ns);
    line = net_scnprintf(buf, size,
                         "   sl  local_address rem_address   st tx_queue rx_queue tr "
                         "tm->when retrnsmt   uid  timeout inode ref pointer drops");
    n = line + pad_line(buf + line, size - (size_t)line, line, UDP_LINE_WIDTH);
    list_for_each_entry (s, &ns->socks, link) {
        struct udp_pcb *u = s->udp;

        if (u == NULL || u->proto != IPPROTO_UDP || u->lport == 0)
            continue;
        line = net_scnprintf(buf + n, size - (size_t)n,
                             "%5d: %08X:%04X %08X:%04X %02X %08X:%08X 00:00000000 00000000 "
                             "%5u %8d %llu 2 0000000000000000 0",
                             sl++, net_htonl(u->laddr), u->lport,
                             u->connected ? net_htonl(u->raddr) : 0u, u->connected ? u->rport : 0,
                             u->connected ? NET_TCPS_ESTABLISHED : NET_TCPS_CLOSE, 0u, s->rxq_bytes,
                             0u, 0, (unsigned long long)owner_ino(s, sock_ino));
        n += line + pad_line(buf + n + line, size - (size_t)(n + line), line, UDP_LINE_WIDTH);
    }
    net_leave(ns);
    return n;
}
