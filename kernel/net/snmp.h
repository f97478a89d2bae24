/*
 * snmp.h - per-protocol counters, as Linux shows them in /proc/net/snmp and
 * /proc/net/netstat.
 *
 * The counters are fields of struct net_snmp inside each stack, named
 * exactly as Linux names them, so "InHdrErrors" in the code is
 * "InHdrErrors" in the file. Protocol code bumps them directly
 * (ns->snmp.ip.InHdrErrors++); snmp.c formats them.
 */
#pragma once

#include "lib/types.h"

struct netstack;

#define NET_SNMP_IP(X)                                                                             \
    X(InReceives)                                                                                  \
    X(InHdrErrors)                                                                                 \
    X(InAddrErrors)                                                                                \
    X(ForwDatagrams)                                                                               \
    X(InUnknownProtos)                                                                             \
    X(InDiscards)                                                                                  \
    X(InDelivers)                                                                                  \
    X(OutRequests)                                                                                 \
    X(OutDiscards)                                                                                 \
    X(OutNoRoutes)                                                                                 \
    X(ReasmTimeout)                                                                                \
    X(ReasmReqds)                                                                                  \
    X(ReasmOKs)                                                                                    \
    X(ReasmFails)                                                                                  \
    X(FragOKs)                                                                                     \
    X(FragFails)                                                                                   \
    X(FragCreates)

#define NET_SNMP_ICMP(X)                                                                           \
    X(InMsgs)                                                                                      \
    X(InErrors)                                                                                    \
    X(InCsumErrors)                                                                                \
    X(InDestUnreachs)                                                                              \
    X(InTimeExcds)                                                                                 \
    X(InParmProbs)                                                                                 \
    X(InSrcQuenchs)                                                                                \
    X(InRedirects)                                                                                 \
    X(InEchos)                                                                                     \
    X(InEchoReps)                                                                                  \
    X(InTimestamps)                                                                                \
    X(InTimestampReps)                                                                             \
    X(InAddrMasks)                                                                                 \
    X(InAddrMaskReps)                                                                              \
    X(OutMsgs)                                                                                     \
    X(OutErrors)                                                                                   \
    X(OutDestUnreachs)                                                                             \
    X(OutTimeExcds)                                                                                \
    X(OutParmProbs)                                                                                \
    X(OutSrcQuenchs)                                                                               \
    X(OutRedirects)                                                                                \
    X(OutEchos)                                                                                    \
    X(OutEchoReps)                                                                                 \
    X(OutTimestamps)                                                                               \
    X(OutTimestampReps)                                                                            \
    X(OutAddrMasks)                                                                                \
    X(OutAddrMaskReps)

/* RtoAlgorithm, RtoMin, RtoMax, MaxConn and CurrEstab are computed. */
#define NET_SNMP_TCP(X)                                                                            \
    X(ActiveOpens)                                                                                 \
    X(PassiveOpens)                                                                                \
    X(AttemptFails)                                                                                \
    X(EstabResets)                                                                                 \
    X(InSegs)                                                                                      \
    X(OutSegs)                                                                                     \
    X(RetransSegs)                                                                                 \
    X(InErrs)                                                                                      \
    X(OutRsts)                                                                                     \
    X(InCsumErrors)

#define NET_SNMP_UDP(X)                                                                            \
    X(InDatagrams)                                                                                 \
    X(NoPorts)                                                                                     \
    X(InErrors)                                                                                    \
    X(OutDatagrams)                                                                                \
    X(RcvbufErrors)                                                                                \
    X(SndbufErrors)                                                                                \
    X(InCsumErrors)                                                                                \
    X(IgnoredMulti)                                                                                \
    X(MemErrors)

/* /proc/net/netstat "TcpExt:" (the subset this stack measures). */
#define NET_SNMP_TCPEXT(X)                                                                         \
    X(SyncookiesSent)                                                                              \
    X(SyncookiesRecv)                                                                              \
    X(SyncookiesFailed)                                                                            \
    X(EmbryonicRsts)                                                                               \
    X(OutOfWindowIcmps)                                                                            \
    X(TW)                                                                                          \
    X(PAWSEstab)                                                                                   \
    X(DelayedACKs)                                                                                 \
    X(ListenOverflows)                                                                             \
    X(ListenDrops)                                                                                 \
    X(TCPRenoRecovery)                                                                             \
    X(TCPSackRecovery)                                                                             \
    X(TCPSACKReneging)                                                                             \
    X(TCPFullUndo)                                                                                 \
    X(TCPLossUndo)                                                                                 \
    X(TCPFastRetrans)                                                                              \
    X(TCPSlowStartRetrans)                                                                         \
    X(TCPLostRetransmit)                                                                           \
    X(TCPTimeouts)                                                                                 \
    X(TCPAbortOnData)                                                                              \
    X(TCPAbortOnClose)                                                                             \
    X(TCPAbortOnMemory)                                                                            \
    X(TCPAbortOnTimeout)                                                                           \
    X(TCPAbortOnLinger)                                                                            \
    X(TCPSACKDiscard)                                                                              \
    X(TCPSackShifted)                                                                              \
    X(TCPRcvQDrop)                                                                                 \
    X(TCPOFOQueue)                                                                                 \
    X(TCPOFODrop)                                                                                  \
    X(TCPChallengeACK)                                                                             \
    X(TCPSYNChallenge)                                                                             \
    X(TCPReqQFullDrop)                                                                             \
    X(TCPReqQFullDoCookies)                                                                        \
    X(TCPWinProbe)                                                                                 \
    X(TCPKeepAlive)                                                                                \
    X(TCPOrigDataSent)                                                                             \
    X(TCPZeroWindowDrop)

/* /proc/net/netstat "IpExt:" plus the ARP counters Linux keeps elsewhere. */
#define NET_SNMP_IPEXT(X)                                                                          \
    X(InNoRoutes)                                                                                  \
    X(InTruncatedPkts)                                                                             \
    X(InBcastPkts)                                                                                 \
    X(OutBcastPkts)                                                                                \
    X(InOctets)                                                                                    \
    X(OutOctets)                                                                                   \
    X(InCsumErrors)

#define NET_SNMP_ARP(X)                                                                            \
    X(InRequests)                                                                                  \
    X(InReplies)                                                                                   \
    X(InErrors)                                                                                    \
    X(OutRequests)                                                                                 \
    X(OutReplies)                                                                                  \
    X(Resolved)                                                                                    \
    X(Failed)                                                                                      \
    X(QueueDrops)                                                                                  \
    X(Evictions)                                                                                   \
    X(Conflicts)

#define NET_SNMP_FIELD(name) uint64_t name;

struct net_snmp {
    struct {
        NET_SNMP_IP(NET_SNMP_FIELD)
    } ip;
    struct {
        NET_SNMP_ICMP(NET_SNMP_FIELD)
    } icmp;
    uint64_t icmp_in_type[256]; /* IcmpMsg: InTypeN */
    uint64_t icmp_out_type[256];
    struct {
        NET_SNMP_TCP(NET_SNMP_FIELD)
    } tcp;
    struct {
        NET_SNMP_UDP(NET_SNMP_FIELD)
    } udp;
    struct {
        NET_SNMP_TCPEXT(NET_SNMP_FIELD)
    } tcpext;
    struct {
        NET_SNMP_IPEXT(NET_SNMP_FIELD)
    } ipext;
    struct {
        NET_SNMP_ARP(NET_SNMP_FIELD)
    } arp;
};

/*
 * Format the counters as Linux's /proc/net/snmp (Ip, Icmp, IcmpMsg, Tcp,
 * Udp, UdpLite). Returns the length written (like scnprintf); a buffer of
 * 4 KiB always holds it.
 */
int net_snmp_format(struct netstack *ns, char *buf, size_t size);
/* The same for /proc/net/netstat (TcpExt, IpExt) plus an "ArpExt" pair. */
int net_netstat_format(struct netstack *ns, char *buf, size_t size);
/* The stack's counters, read-only (for tests and diagnostics). */
const struct net_snmp *net_snmp_get(struct netstack *ns);
