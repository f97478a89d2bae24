// Command bench prints EggOS's performance figures (make bench).
//
// Boot: wall time from QEMU start to the kernel's "kernel ready" line
// (median of several runs) on -M microvm and -M q35, the guest-side TSC
// time from kernel entry to ready as the kernel reports it, and the kernel
// image size, for the packed image that boots by default (build/eggos.elf:
// the unpacker's time is part of the guest time, and printed alone too)
// and for the kernel uncompressed (build/eggos.raw.elf). Then EggOS beside a Debian Linux kernel running the same Go
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

var (
	readyRE     = regexp.MustCompile(`kernel ready in (\d+\.\d+) ms`)
	unpackingRE = regexp.MustCompile(`unpacking (\d+\.\d+) ms`)
)

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

// bootFigures boots kernel runs times and returns, per boot, the wall time
// to the ready line and the guest's own times to ready and for unpacking.
func bootFigures(kernel, machine string, runs int) (wall, guest, unpack []float64, err error) {
	for i := 0; i < runs; i++ {
		w := &watcher{re: readyRE, start: time.Now()}
		res, err := qemu.Run(context.Background(), qemu.Config{
			Kernel: kernel, Machine: machine, Memory: "256M",
			Append: "console=ttyS0 loglevel=6", Console: w, Timeout: 60 * time.Second,
		})
		if err != nil {
			return nil, nil, nil, err
		}
		m := readyRE.FindStringSubmatch(res.Console)
		if m == nil || w.at == 0 {
			return nil, nil, nil, fmt.Errorf("%s: no ready line in:\n%s", machine, res.Console)
		}
		g, _ := strconv.ParseFloat(m[1], 64)
		wall = append(wall, float64(w.at.Microseconds())/1000)
		guest = append(guest, g)
		if m := unpackingRE.FindStringSubmatch(res.Console); m != nil {
			u, _ := strconv.ParseFloat(m[1], 64)
			unpack = append(unpack, u)
		}
	}
	return wall, guest, unpack, nil
}

// bootTable prints the boot figures of the packed and the raw image.
func bootTable(packed, raw string, runs int) error {
	images := []struct{ name, path string }{{"packed", packed}, {"raw", raw}}
	for _, im := range images {
		st, err := os.Stat(im.path)
		if err != nil {
			return err
		}
		fmt.Printf("kernel image %s (%s): %d bytes (%.1f KB)\n", im.path, im.name, st.Size(),
			float64(st.Size())/1024)
	}
	fmt.Println("  target: the image that boots (packed) < 300 KB")
	fmt.Printf("\nboot to \"kernel ready\", median of %d runs, -m 256M, 1 CPU:\n", runs)
	fmt.Printf("  %-8s %-7s %20s %25s %12s\n", "machine", "image", "QEMU start -> ready",
		"guest TSC entry -> ready", "unpacking")
	for _, m := range []string{"microvm", "q35"} {
		for _, im := range images {
			wall, guest, unpack, err := bootFigures(im.path, m, runs)
			if err != nil {
				return err
			}
			u := "-"
			if len(unpack) > 0 {
				u = fmt.Sprintf("%.2f ms", median(unpack))
			}
			fmt.Printf("  %-8s %-7s %17.1f ms %22.2f ms %12s\n", m, im.name, median(wall), median(guest), u)
		}
	}
	fmt.Println("  target: guest TSC entry -> ready < 20 ms")
	return nil
}

func main() {
	runs := flag.Int("runs", 7, "boots per machine type")
	noLinux := flag.Bool("no-linux", false, "skip the comparison with a Debian Linux guest")
	fsOnly := flag.Bool("fs", false, "only the file system figures")
	kernelFlag := flag.String("eggos-kernel", "", "the EggOS kernel to measure (default build/eggos.elf)")
	flag.Parse()
	root, _ := os.Getwd()
	kernel := filepath.Join(root, "build", "eggos.elf")
	if *kernelFlag != "" {
		kernel = *kernelFlag
	}
	if _, err := os.Stat(kernel); err != nil {
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
	fmt.Println()
	if err := bootTable(kernel, filepath.Join(root, "build", "eggos.raw.elf"), *runs); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	if !*noLinux {
		if err := versusLinux(root, kernel, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
}
