package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
)

// The nic area's /stats endpoint: the figures a host load test compares
// before and after a load (tests/load_test.go), so leaked file
// descriptors, sockets and memory show. One "name value" line each:
//
//	fds N              entries of /proc/self/fd (the server's listener,
//	                   the /stats connection, the directory being read,
//	                   stdio and the runtime's epoll and pipe fds)
//	tcp N              lines of /proc/net/tcp in any state but TIME_WAIT
//	tcp_time_wait N    lines in TIME_WAIT (they expire on their own)
//	tcp_established N  lines in ESTABLISHED
//	memfree_kb N       MemFree of /proc/meminfo
//	slab_kb N          Slab of /proc/meminfo: the kernel heap
//	go_heap_kb N       pages the Go runtime holds from the kernel
//	                   (runtime.MemStats Sys - HeapReleased)
//	goroutines N
//	threads N          the process's threads (/proc/self/task)
//	accepted N         connections the HTTP server has accepted
//	Tcp.NAME, TcpExt.NAME  counters of /proc/net/snmp and /proc/net/netstat
//
// Before reading, the handler runs the garbage collector and returns free
// heap pages to the kernel (debug.FreeOSMemory: madvise MADV_DONTNEED), so
// MemFree counts the kernel's memory plus what Go still uses.

// Linux's TCP state numbers in /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpStateEstablished = 0x01
	tcpStateTimeWait    = 0x06
)

func nicStatsHandler(w http.ResponseWriter, r *http.Request) {
	runtime.GC()
	debug.FreeOSMemory()
	var out strings.Builder
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fmt.Fprintf(&out, "fds %d\n", len(ents))
	}
	if data, err := os.ReadFile("/proc/net/tcp"); err == nil {
		states := tcpStates(string(data))
		live := 0
		for st, n := range states {
			if st != tcpStateTimeWait {
				live += n
			}
		}
		fmt.Fprintf(&out, "tcp %d\ntcp_time_wait %d\ntcp_established %d\n", live,
			states[tcpStateTimeWait], states[tcpStateEstablished])
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		fmt.Fprintf(&out, "memfree_kb %d\nslab_kb %d\n", meminfoKB(string(data), "MemFree"),
			meminfoKB(string(data), "Slab"))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&out, "go_heap_kb %d\ngoroutines %d\n", (ms.Sys-ms.HeapReleased)/1024,
		runtime.NumGoroutine())
	if ents, err := os.ReadDir("/proc/self/task"); err == nil {
		fmt.Fprintf(&out, "threads %d\n", len(ents))
	}
	fmt.Fprintf(&out, "accepted %d\n", atomic.LoadInt64(&nicAccepted))
	for _, f := range []string{"/proc/net/snmp", "/proc/net/netstat"} {
		if data, err := os.ReadFile(f); err == nil {
			writeCounters(&out, string(data))
		}
	}
	fmt.Fprint(w, out.String())
}

// nicAccepted counts the connections nicServe's server has accepted.
var nicAccepted int64

// nicConnState is nicServe's http.Server.ConnState hook.
func nicConnState(conn net.Conn, state http.ConnState) {
	if state == http.StateNew {
		atomic.AddInt64(&nicAccepted, 1)
	}
}

// writeCounters turns the header/value line pairs of /proc/net/snmp text
// ("Tcp: A B" then "Tcp: 1 2") into "Tcp.A 1" lines.
func writeCounters(out *strings.Builder, text string) {
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) != len(values) || len(names) == 0 {
			continue
		}
		proto := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			fmt.Fprintf(out, "%s.%s %s\n", proto, names[j], values[j])
		}
	}
}

// tcpStates counts the sockets of /proc/net/tcp text by state (the fourth
// column, in hex).
func tcpStates(text string) map[int]int {
	states := map[int]int{}
	for _, line := range strings.Split(text, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if st, err := strconv.ParseInt(f[3], 16, 32); err == nil {
			states[int(st)]++
		}
	}
	return states
}

// meminfoKB returns the value of field in /proc/meminfo text (-1 if absent).
func meminfoKB(text, field string) int64 {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == field+":" {
			if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return v
			}
		}
	}
	return -1
}
