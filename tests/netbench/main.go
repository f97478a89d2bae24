// Command netbench measures HTTP requests per second from the host against
// a Go net/http server in EggOS, through a NIC and QEMU user networking
// (the guest suite's "nic" area serving /get?n=612: a 612-byte page, as
// the wrk figure asks). wrk is not installed, so this is the load
// generator: -c connections with keep-alive, each sending requests back to
// back for -d, every body checked.
//
//	make kernel && go run ./tests/netbench -nic virtio-net-pci -c 30 -d 10s
//
// It prints one line: model, connections, requests, errors, req/s.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"eggos/internal/qemu"
)

func main() {
	nic := flag.String("nic", "virtio-net-pci", "QEMU NIC model (virtio-net-pci, e1000, e1000e)")
	machine := flag.String("M", "q35", "QEMU machine")
	conns := flag.Int("c", 30, "connections")
	dur := flag.Duration("d", 10*time.Second, "duration of the load")
	size := flag.Int("size", 612, "body size in bytes")
	flag.Parse()
	if err := run(*nic, *machine, *conns, *dur, *size); err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		os.Exit(1)
	}
}

func root() string {
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "tests", "guest", "suite")); err == nil {
			return d
		}
	}
	return wd
}

// body is the guest server's body for size n (tests/guest/suite/nic.go).
func body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + (i*13+n)%26)
	}
	return b
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func run(nic, machine string, conns int, dur time.Duration, size int) error {
	dir, err := os.MkdirTemp("", "netbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	suite := filepath.Join(dir, "suite")
	build := exec.Command("go", "build", "-trimpath", "-o", suite, "./suite")
	build.Dir = filepath.Join(root(), "tests", "guest")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the guest suite: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	cfg := qemu.Config{
		Kernel:  filepath.Join(root(), "build", "eggos.elf"),
		Initrd:  suite,
		Machine: machine,
		Memory:  "512M",
		Append:  "console=ttyS0 -- nic serve=1",
		Extra: []string{"-netdev", fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80", port),
			"-device", nic + ",netdev=n0"},
		Timeout: dur + 5*time.Minute,
	}
	m, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer m.Kill()
	if out, err := m.WaitConsole(regexp.MustCompile("NIC-SERVING"), 3*time.Minute); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/get?n=%d", port, size)
	want := body(size)
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var requests, errors int64
	var wg sync.WaitGroup
	report := func(err error) {
		if atomic.AddInt64(&errors, 1) <= 5 {
			fmt.Fprintln(os.Stderr, "netbench:", err)
		}
	}
	start := time.Now()
	stop := start.Add(dur)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				resp, err := client.Get(url)
				if err != nil {
					report(err)
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && !bytes.Equal(b, want) {
					err = fmt.Errorf("body of %d bytes differs", len(b))
				}
				if err != nil {
					report(err)
					continue
				}
				atomic.AddInt64(&requests, 1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("netbench: %s, %d connections, %d-byte page: %d requests, %d errors, %.0f req/s\n",
		nic, conns, size, requests, errors, float64(requests)/elapsed.Seconds())
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/quit", port)); err == nil {
		resp.Body.Close()
	}
	if res, err := m.Wait(); err == nil {
		for _, line := range strings.Split(res.Console, "\n") {
			if strings.Contains(line, "/proc/net/") {
				fmt.Println(strings.TrimSpace(line))
			}
		}
	}
	if errors > 0 {
		return fmt.Errorf("%d requests failed", errors)
	}
	return nil
}
