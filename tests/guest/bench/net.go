package main

// The "serve" mode: the network figures of `make bench` (tests/bench/net.go).
// The program serves, on both kernels alike,
//
//	:80  net/http: /get?n=BYTES (the nic area's deterministic page; the host
//	     runs wrk on /get?n=612), /accepted (how many connections the server
//	     has accepted, and how many threads Go has made) and /quit (power
//	     off)
//	:81  raw TCP throughput: the host sends 'W' and then data until it shuts
//	     its side down; we answer with the byte count (8 bytes, big endian).
//	     Or it sends 'R' and a count; we send that many bytes and close.
//
// and prints "BENCH-SERVING" once both listen. /profile?seconds=N answers
// with a CPU profile of N seconds. On EggOS the NIC got its address at boot
// (ip= on the bench's tap network, else slirp's DHCP). Debian's kernel has
// virtio-net as a module and no CONFIG_IP_PNP (no ip= parameter), so on
// Linux the program loads the modules (linux.go) and gives eth0 its address
// itself with the classic interface ioctls: BENCH_ADDR from the environment,
// else slirp's usual one. The host is inside the subnet either way, so no
// route is needed.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Interface ioctls (include/uapi/linux/sockios.h) and flags (linux/if.h).
const (
	siocGIFFLAGS   = 0x8913
	siocSIFFLAGS   = 0x8914
	siocSIFADDR    = 0x8916
	siocSIFNETMASK = 0x891c
	iffUp          = 0x1
	iffRunning     = 0x40
)

// ifreq is struct ifreq: the name, then a 24-byte union of which we use
// a sockaddr_in or the flags.
type ifreq struct {
	name  [16]byte
	union [24]byte
}

// ifaceConfig is one interface the program configures on Linux.
type ifaceConfig struct {
	name, addr, mask string
}

// linuxIfaces are the Linux guest's addresses: eth0's is the environment's
// BENCH_ADDR (the bench's tap network; EggOS reads the same address from its
// ip= parameter), or what slirp's DHCP would hand out.
func linuxIfaces() []ifaceConfig {
	addr := os.Getenv("BENCH_ADDR")
	if addr == "" {
		addr = "10.0.2.15"
	}
	return []ifaceConfig{{"lo", "127.0.0.1", "255.0.0.0"}, {"eth0", addr, "255.255.255.0"}}
}

// How long eth0 may take to appear after virtio_net is loaded.
const ifaceWait = 5 * time.Second

func ioctlIfreq(fd int, req uintptr, r *ifreq) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(r)))
	if e != 0 {
		return e
	}
	return nil
}

func newIfreq(name string) *ifreq {
	r := &ifreq{}
	copy(r.name[:], name)
	return r
}

// setSockaddr puts an AF_INET sockaddr_in for ip into the ifreq's union.
func (r *ifreq) setSockaddr(ip string) error {
	v4 := net.ParseIP(ip).To4()
	if v4 == nil {
		return fmt.Errorf("bad address %q", ip)
	}
	r.union = [24]byte{}
	binary.LittleEndian.PutUint16(r.union[0:], syscall.AF_INET)
	copy(r.union[4:8], v4)
	return nil
}

// configure sets an interface's address and mask and brings it up.
func (c ifaceConfig) configure(fd int) error {
	r := newIfreq(c.name)
	deadline := time.Now().Add(ifaceWait)
	for {
		err := ioctlIfreq(fd, siocGIFFLAGS, r)
		if err == nil {
			break
		}
		if err != syscall.ENODEV || time.Now().After(deadline) {
			return fmt.Errorf("%s: SIOCGIFFLAGS: %v", c.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	flags := binary.LittleEndian.Uint16(r.union[:])
	for _, step := range []struct {
		req  uintptr
		addr string
	}{{siocSIFADDR, c.addr}, {siocSIFNETMASK, c.mask}} {
		r := newIfreq(c.name)
		if err := r.setSockaddr(step.addr); err != nil {
			return err
		}
		if err := ioctlIfreq(fd, step.req, r); err != nil {
			return fmt.Errorf("%s: ioctl %#x: %v", c.name, step.req, err)
		}
	}
	r = newIfreq(c.name)
	binary.LittleEndian.PutUint16(r.union[:], flags|iffUp|iffRunning)
	if err := ioctlIfreq(fd, siocSIFFLAGS, r); err != nil {
		return fmt.Errorf("%s: SIOCSIFFLAGS: %v", c.name, err)
	}
	return nil
}

// netUp gives Linux the network EggOS configured at boot.
func netUp() error {
	if onEggOS() {
		return nil
	}
	loadModules()
	// The bench reads /proc/stat and /proc/interrupts on both kernels.
	os.MkdirAll("/proc", 0o755)
	if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil && err != syscall.EBUSY {
		return fmt.Errorf("mount /proc: %v", err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %v", err)
	}
	defer syscall.Close(fd)
	for _, c := range linuxIfaces() {
		if err := c.configure(fd); err != nil {
			return err
		}
	}
	return nil
}

// benchPage is the nic area's page of n bytes (tests/guest/suite/nic.go).
func benchPage(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + (i*13+n)%26)
	}
	return b
}

// Largest page /get serves.
const maxPage = 1 << 20

func netServe() {
	if err := netUp(); err != nil {
		fmt.Printf("BENCH-FAIL network: %v\n", err)
		return
	}
	web, err := net.Listen("tcp", ":80")
	if err != nil {
		fmt.Printf("BENCH-FAIL listen :80: %v\n", err)
		return
	}
	raw, err := net.Listen("tcp", ":81")
	if err != nil {
		fmt.Printf("BENCH-FAIL listen :81: %v\n", err)
		return
	}
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n < 0 || n > maxPage {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Write(benchPage(n))
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "bye")
		close(quit)
	})
	var accepted int64
	mux.HandleFunc("/accepted", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d\n", atomic.LoadInt64(&accepted), pprof.Lookup("threadcreate").Count())
	})
	// The kernel's own counters (/proc/stat, /proc/interrupts), read the
	// same way on both kernels.
	mux.HandleFunc("/proc/", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(data)
	})
	// A CPU profile of the whole guest program while the host loads it:
	// `bench -net -net-profile DIR` saves one per kernel (go tool pprof).
	mux.HandleFunc("/profile", func(w http.ResponseWriter, r *http.Request) {
		secs, _ := strconv.Atoi(r.URL.Query().Get("seconds"))
		if secs <= 0 || secs > 600 {
			http.Error(w, "bad seconds", http.StatusBadRequest)
			return
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
	})
	srv := &http.Server{Handler: mux, ConnState: func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			atomic.AddInt64(&accepted, 1)
		}
	}}
	go srv.Serve(web)
	go serveThroughput(raw)
	fmt.Println("BENCH-SERVING")
	<-quit
	time.Sleep(100 * time.Millisecond) // let the /quit answer leave
}

// serveThroughput answers the :81 protocol, one connection at a time.
func serveThroughput(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		throughputConn(c)
		c.Close()
	}
}

// Size of the buffer the guest writes from.
const sendChunk = 64 << 10

func throughputConn(c net.Conn) {
	r := bufio.NewReader(c)
	op, err := r.ReadByte()
	if err != nil {
		return
	}
	var count [8]byte
	switch op {
	case 'W':
		n, _ := io.Copy(io.Discard, r)
		binary.BigEndian.PutUint64(count[:], uint64(n))
		c.Write(count[:])
	case 'R':
		if _, err := io.ReadFull(r, count[:]); err != nil {
			return
		}
		left := int64(binary.BigEndian.Uint64(count[:]))
		buf := make([]byte, sendChunk)
		for left > 0 {
			chunk := buf
			if left < int64(len(chunk)) {
				chunk = chunk[:left]
			}
			m, err := c.Write(chunk)
			if err != nil {
				return
			}
			left -= int64(m)
		}
	}
}
