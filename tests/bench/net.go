package main

// Network figures, EggOS beside Linux: the guest program's "serve" mode
// (tests/guest/bench/net.go) in the same QEMU with the same NIC
// (virtio-net-pci on -M q35, user networking with host port forwards) on
// both kernels. From the host: wrk's requests per second on a 612-byte page
// with 30 connections, and TCP throughput over the same forward in each
// direction. Linux loads the virtio-net modules from the initramfs and
// configures eth0 itself; EggOS takes slirp's DHCP lease at boot.

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"eggos/internal/qemu"
	"eggos/internal/wrk"
)

var netOnly = flag.Bool("net", false, "only the network figures")

const (
	netConnections = 30
	netPage        = 612
	netWarmup      = 5 * time.Second
	netDuration    = 20 * time.Second
	netTimeout     = 10 * time.Second
	netBytes       = 64 << 20 // per throughput transfer
	netRuns        = 3        // throughput transfers per direction; the median is printed
)

var servingRE = regexp.MustCompile(`BENCH-SERVING|BENCH-FAIL.*`)

// netResult is one guest's figures.
type netResult struct {
	rps, up, down float64 // req/s; host->guest and guest->host MB/s
	wrkErrors     string  // wrk's error counts, by kind
	reached       int64   // wrk's connections the guest's server accepted during the run
	threads       int64   // threads the Go runtime had made by the end
}

// accepted asks the guest how many connections its HTTP server has taken
// (counting the one that asks) and how many threads Go has made.
func accepted(base string) (conns, threads int64, err error) {
	resp, err := http.Get(base + "/accepted")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, err = fmt.Fscan(resp.Body, &conns, &threads)
	return conns, threads, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// transfer moves netBytes over the guest's :81 and returns MB/s; up means
// host -> guest.
func transfer(addr string, up bool) (float64, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	start := time.Now()
	var got int64
	if up {
		buf := make([]byte, 64<<10)
		if _, err := c.Write([]byte{'W'}); err != nil {
			return 0, err
		}
		for sent := 0; sent < netBytes; sent += len(buf) {
			if _, err := c.Write(buf); err != nil {
				return 0, err
			}
		}
		c.(*net.TCPConn).CloseWrite()
		var count [8]byte
		if _, err := io.ReadFull(c, count[:]); err != nil {
			return 0, fmt.Errorf("no count from the guest: %w", err)
		}
		got = int64(binary.BigEndian.Uint64(count[:]))
	} else {
		req := make([]byte, 9)
		req[0] = 'R'
		binary.BigEndian.PutUint64(req[1:], netBytes)
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		if got, err = io.Copy(io.Discard, c); err != nil {
			return 0, err
		}
	}
	if got != netBytes {
		return 0, fmt.Errorf("%d of %d bytes", got, netBytes)
	}
	return float64(netBytes) / 1e6 / time.Since(start).Seconds(), nil
}

// netRun boots g in "serve" mode and measures it.
func netRun(g guest, initrd string) (netResult, error) {
	var res netResult
	web, err := freePort()
	if err != nil {
		return res, err
	}
	raw, err := freePort()
	if err != nil {
		return res, err
	}
	cfg := benchConfig(g, initrd, "serve", 10*time.Minute)
	cfg.Extra = []string{"-netdev",
		fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:81", web, raw),
		"-device", "virtio-net-pci,netdev=n0"}
	m, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		return res, err
	}
	defer m.Kill()
	out, err := m.WaitConsole(servingRE, 3*time.Minute)
	if err != nil || strings.Contains(out, "BENCH-FAIL") {
		return res, fmt.Errorf("%s: not serving (%v):\n%s", g.name, err, out)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", web)
	url := fmt.Sprintf("%s/get?n=%d", base, netPage)
	if _, err := wrk.Run(url, 2, netConnections, netWarmup, netTimeout); err != nil {
		return res, err
	}
	before, _, err := accepted(base)
	if err != nil {
		return res, err
	}
	r, err := wrk.Run(url, 2, netConnections, netDuration, netTimeout)
	if err != nil {
		return res, err
	}
	after, threads, err := accepted(base)
	if err != nil {
		return res, err
	}
	res.rps, res.reached, res.threads = r.PerSecond, after-before-1, threads
	res.wrkErrors = fmt.Sprintf("%d (connect %d, read %d, write %d, timeout %d, non-2xx %d)", r.Errors(),
		r.Connect, r.Read, r.Write, r.Timeout, r.Non2xx)
	for _, dir := range []struct {
		up  bool
		out *float64
	}{{true, &res.up}, {false, &res.down}} {
		var xs []float64
		for i := 0; i < netRuns; i++ {
			v, err := transfer(fmt.Sprintf("127.0.0.1:%d", raw), dir.up)
			if err != nil {
				return res, fmt.Errorf("%s: throughput (up %v): %w", g.name, dir.up, err)
			}
			xs = append(xs, v)
		}
		*dir.out = median(xs)
	}
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/quit", web)); err == nil {
		resp.Body.Close()
	}
	m.Wait()
	return res, nil
}

// netFigures prints the network table.
func netFigures(root string, guests []guest) error {
	initrd, err := fsInitramfs(root, filepath.Join(root, "build", "bench", "guestbench"))
	if err != nil {
		return err
	}
	var figs [2]netResult
	for i, g := range guests {
		if figs[i], err = netRun(g, initrd); err != nil {
			return err
		}
	}
	fmt.Printf("\nnetwork, same QEMU, virtio-net-pci, user networking with host port forwards:\n")
	fmt.Printf("  %-48s %10s %10s %8s\n", "figure", "EggOS", "Linux", "ratio")
	for _, f := range []struct {
		label, unit, target string
		v                   [2]float64
	}{
		{fmt.Sprintf("HTTP %d-byte page, wrk -c%d %v", netPage, netConnections, netDuration), "req/s",
			"target EggOS >= 1.5x", [2]float64{figs[0].rps, figs[1].rps}},
		{fmt.Sprintf("TCP host -> guest, %d MiB (median of %d)", netBytes>>20, netRuns), "MB/s", "",
			[2]float64{figs[0].up, figs[1].up}},
		{fmt.Sprintf("TCP guest -> host, %d MiB (median of %d)", netBytes>>20, netRuns), "MB/s", "",
			[2]float64{figs[0].down, figs[1].down}},
	} {
		ratio := 0.0
		if f.v[1] > 0 {
			ratio = f.v[0] / f.v[1]
		}
		fmt.Printf("  %-48s %10.1f %10.1f %8.3f  %s %s\n", f.label, f.v[0], f.v[1], ratio, f.unit, f.target)
	}
	fmt.Println("  (ratio = EggOS/Linux; above 1 means EggOS is faster)")
	fmt.Printf("  wrk errors: EggOS %s; Linux %s\n", figs[0].wrkErrors, figs[1].wrkErrors)
	fmt.Printf("  connections the guest accepted during the run: EggOS %d, Linux %d (wrk opened %d;\n",
		figs[0].reached, figs[1].reached, netConnections)
	fmt.Println("  late ones of the warm-up's count too)")
	fmt.Printf("  threads the Go server made: EggOS %d, Linux %d\n", figs[0].threads, figs[1].threads)
	fmt.Println("  (slirp listens with a backlog of 1: the host drops most of a burst of connects,")
	fmt.Println("  which then trickle in with TCP's retransmission backoff; see docs/net.md)")
	return nil
}
