// Command bench prints EggOS's performance figures (make bench).
//
// Boot: wall time from QEMU start to the kernel's "kernel ready" line
// (median of several runs) on -M microvm and -M q35, the guest-side TSC
// time from kernel entry to ready as the kernel reports it, and the kernel
// image size. Then EggOS beside a Debian Linux kernel running the same Go
// program in the same QEMU (linux.go). Every figure is printed with the
// machine it was measured on; no figure is asserted (targets are checked
// by reading them).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"eggos/internal/qemu"
)

var readyRE = regexp.MustCompile(`kernel ready in (\d+\.\d+) ms`)

// watcher records when a line matching re first appears on the console.
type watcher struct {
	re    *regexp.Regexp
	mu    sync.Mutex
	start time.Time
	buf   bytes.Buffer
	at    time.Duration
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.at == 0 && w.re.Match(w.buf.Bytes()) {
		w.at = time.Since(w.start)
	}
	return len(p), nil
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func hostCPU() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return runtime.GOARCH
}

func qemuVersion() string {
	out, err := exec.Command(qemu.Binary, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.SplitN(string(out), "\n", 2)[0]
}

func bootFigures(kernel, machine string, runs int) (wall, guest []float64, err error) {
	for i := 0; i < runs; i++ {
		w := &watcher{re: readyRE, start: time.Now()}
		res, err := qemu.Run(context.Background(), qemu.Config{
			Kernel: kernel, Machine: machine, Memory: "256M",
			Append: "console=ttyS0 loglevel=6", Console: w, Timeout: 60 * time.Second,
		})
		if err != nil {
			return nil, nil, err
		}
		m := readyRE.FindStringSubmatch(res.Console)
		if m == nil || w.at == 0 {
			return nil, nil, fmt.Errorf("%s: no ready line in:\n%s", machine, res.Console)
		}
		g, _ := strconv.ParseFloat(m[1], 64)
		wall = append(wall, float64(w.at.Microseconds())/1000)
		guest = append(guest, g)
	}
	return wall, guest, nil
}

func main() {
	runs := flag.Int("runs", 7, "boots per machine type")
	noLinux := flag.Bool("no-linux", false, "skip the comparison with a Debian Linux guest")
	fsOnly := flag.Bool("fs", false, "only the file system figures")
	flag.Parse()
	root, _ := os.Getwd()
	kernel := filepath.Join(root, "build", "eggos.elf")
	st, err := os.Stat(kernel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v (run make kernel)\n", err)
		os.Exit(1)
	}
	host, _ := os.Hostname()
	fmt.Printf("EggOS benchmarks on %s: %s, %d CPUs, %s, QEMU TCG (no KVM)\n",
		host, hostCPU(), runtime.NumCPU(), qemuVersion())
	if *fsOnly || *netOnly {
		table := fsFigures
		if *netOnly {
			table = netFigures
		}
		if err := oneTable(root, kernel, table); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("\nkernel image %s: %d bytes (%.1f KB; target < 300 KB)\n", kernel, st.Size(), float64(st.Size())/1024)
	fmt.Printf("\nboot to \"kernel ready\", median of %d runs, -m 256M:\n", *runs)
	fmt.Printf("  %-8s %22s %26s\n", "machine", "QEMU start -> ready", "guest TSC entry -> ready")
	for _, m := range []string{"microvm", "q35"} {
		wall, guest, err := bootFigures(kernel, m, *runs)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("  %-8s %19.1f ms %23.2f ms (target < 20 ms)\n", m, median(wall), median(guest))
	}
	if !*noLinux {
		if err := versusLinux(root, kernel, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
}
