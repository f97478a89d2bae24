/*
 * ping.c - ICMP echo sockets, Linux's SOCK_DGRAM/IPPROTO_ICMP (see ping.h).
 *
 * A ping socket is a udp_pcb with proto IPPROTO_ICMP in the ping list; its
 * bound "port" is the echo identifier, chosen like an ephemeral port.
 * socket.c -> ping_send: stamp the identifier, checksum, ip_output.
 * icmp_input -> ping_input: echo replies go to the endpoint whose
 * identifier they carry (and, if it is connected, whose peer sent them).
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ping.h"
#include "net/stack.h"

int ping_send(struct udp_pcb *pcb, struct pbuf *p, uint32_t dst)
{
    struct netstack *ns = pcb->ns;
    struct icmp_hdr *icmp;
    struct ip_tx tx;
    int err;

    if (p->len < ICMP_HLEN) {
        err = -EINVAL;
        goto drop;
    }
    icmp = (struct icmp_hdr *)p->data;
    if (icmp->type != ICMP_ECHO || icmp->code != 0) {
        err = -EINVAL;
        goto drop;
    }
    if (ip_is_broadcast(ns, dst, NULL) && !pcb->broadcast) {
        err = -EACCES;
        goto drop;
    }
    if (pcb->lport == 0) {
        err = udp_bind(pcb, 0, 0);
        if (err != 0)
            goto drop;
    }
    icmp->un.echo.id = net_htons(pcb->lport);
    icmp->csum = 0;
    icmp->csum = net_htons(inet_csum(p->data, p->len));

    memset(&tx, 0, sizeof(tx));
    tx.src = pcb->laddr;
    tx.dst = dst;
    tx.proto = IPPROTO_ICMP;
    tx.ttl = pcb->ttl;
    tx.tos = pcb->tos;
    tx.allow_broadcast = pcb->broadcast;
    ns->snmp.icmp.OutMsgs++;
    ns->snmp.icmp.OutEchos++;
    ns->snmp.icmp_out_type[ICMP_ECHO]++;
    err = ip_output(ns, p, &tx);
    if (err != 0)
        ns->snmp.icmp.OutErrors++;
    return err;
drop:
    pbuf_free(p);
    return err;
}

void ping_input(struct netstack *ns, struct pbuf *p, const struct ip_rx *rx)
{
    const struct icmp_hdr *icmp = (const struct icmp_hdr *)p->data;
    uint16_t id = net_ntohs(icmp->un.echo.id);
    struct udp_pcb *pcb;

    list_for_each_entry (pcb, &ns->ping_pcbs, link) {
        if (pcb->lport != id || (pcb->laddr != 0 && pcb->laddr != rx->dst))
            continue;
        if (pcb->connected && pcb->raddr != rx->src)
            continue;
        pcb->recv(pcb->arg, pcb, p, rx, 0);
        return;
    }
    pbuf_free(p);
}
