// Command bench is the guest side of `make bench`: one static Go program
// that runs as /init on EggOS and, unchanged, on a Debian Linux kernel in
// the same QEMU, so the two can be compared figure by figure.
//
//	bench hello      print the start marker and exit at once (start-up figures)
//	bench work       the workloads below, each several times, then exit
//	bench NAME       only the workload NAME
//	bench serve      the network servers of net.go, until the host asks /quit
//	bench fs         file system figures (fs.go; needs an ext2 disk as vda)
//
// It prints "BENCH-MAIN" as the first thing main does (the host times the
// line's arrival) and one "BENCH name value unit" line per figure, the
// median of its runs. On Linux, where init exiting would panic the kernel,
// it powers the machine off instead.
//
// It must build with every supported Go version (1.19 and newer).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"time"
)

const runs = 5

func main() {
	fmt.Println("BENCH-MAIN")
	mode := "hello"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	work := []struct {
		name, unit string
		f          func() float64
	}{
		{"getpid", "ns/call", getpid},
		{"pingpong", "ns/round-trip", pingPong},
		{"binarytrees", "ms", binaryTrees},
	}
	for _, w := range work {
		if mode == "work" || mode == w.name {
			report(w.name, w.unit, median(w.f))
		}
	}
	if mode == "fs" {
		fsBench()
	}
	if mode == "serve" {
		netServe()
	}
	fmt.Println("BENCH-DONE")
	exit()
}

func report(name, unit string, v float64) {
	fmt.Printf("BENCH %s %.1f %s\n", name, v, unit)
}

// median runs f `runs` times and returns the median of its results.
func median(f func() float64) float64 {
	xs := make([]float64, runs)
	for i := range xs {
		xs[i] = f()
	}
	return middle(xs)
}

// middle returns the median of xs.
func middle(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// getpid: 1,000,000 raw getpid system calls, in ns per call.
func getpid() float64 {
	const n = 1000000
	start := time.Now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	return float64(time.Since(start).Nanoseconds()) / n
}

// pingPong: two goroutines pass a token over unbuffered channels, in ns per
// round trip.
func pingPong() float64 {
	const n = 200000
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	v := 0
	for i := 0; i < n; i++ {
		ping <- v
		v = <-pong
	}
	el := time.Since(start)
	close(ping)
	if v != n {
		panic("pingpong lost a message")
	}
	return float64(el.Nanoseconds()) / n
}

// binaryTrees: the GC-heavy benchmark-game workload (depth 16), in ms.
type node struct{ left, right *node }

func bottomUp(depth int) *node {
	if depth <= 0 {
		return &node{}
	}
	return &node{bottomUp(depth - 1), bottomUp(depth - 1)}
}

func (n *node) check() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.check() + n.right.check()
}

func binaryTrees() float64 {
	const maxDepth = 16
	start := time.Now()
	total := bottomUp(maxDepth + 1).check()
	long := bottomUp(maxDepth)
	for d := 4; d <= maxDepth; d += 2 {
		iters := 1 << uint(maxDepth-d+4)
		for i := 0; i < iters; i++ {
			total += bottomUp(d).check()
		}
	}
	total += long.check()
	runtime.KeepAlive(long)
	if total == 0 {
		panic("binarytrees")
	}
	return float64(time.Since(start).Microseconds()) / 1000
}

// exit ends the run: the exit status on EggOS, a power-off on Linux.
func exit() {
	if !onEggOS() {
		syscall.Sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	}
	os.Exit(0)
}

func utsString(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
