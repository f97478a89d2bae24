package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The "nic" area: networking through a real NIC under QEMU user
// networking (tests/nic_test.go). Arguments, name=value after the area:
//
//	addr=10.0.2.15     the address the guest must have (checked by the
//	                   local side of a UDP socket towards the gateway)
//	dns=10.0.2.3       a nameserver /etc/resolv.conf must list
//	host=NAME          the host name (from ip= or DHCP)
//	gw=10.0.2.2        the gateway: pinged, and running the host's servers
//	udp=PORT           a UDP echo server on the gateway
//	udpn=N             datagrams to echo
//	get=PORT           an HTTP server on the gateway: /blob?n=BYTES, with
//	                   the body's SHA-256 in the X-Sha256 header
//	getn=BYTES         the size to download
//	put=PORT           an HTTP server on the gateway: POST /sink answers
//	                   the SHA-256 and length of the body it received
//	putn=BYTES         the size to upload (xorshift bytes, seeded by n)
//	serve=1            then serve HTTP on :80 until /quit (the host test
//	                   drives it after "NIC-SERVING" appears); /stats
//	                   reports the resource figures of nicstats.go
func init() {
	register("nic", testNIC)
}

func nicArgs() map[string]string {
	m := map[string]string{}
	for _, a := range os.Args[2:] {
		if i := strings.IndexByte(a, '='); i > 0 {
			m[a[:i]] = a[i+1:]
		}
	}
	return m
}

func testNIC(c *t) {
	args := nicArgs()
	gw := args["gw"]
	if want := args["addr"]; want != "" {
		conn, err := net.Dial("udp", gw+":9")
		if err != nil {
			c.Errorf("udp dial %s: %v", gw, err)
		} else {
			local := conn.LocalAddr().(*net.UDPAddr).IP.String()
			if local != want {
				c.Errorf("local address %s, want %s", local, want)
			}
			conn.Close()
		}
	}
	if dns := args["dns"]; dns != "" {
		data, err := os.ReadFile("/etc/resolv.conf")
		if err != nil || !strings.Contains(string(data), "nameserver "+dns) {
			c.Errorf("/etc/resolv.conf: %q, %v; want nameserver %s", data, err, dns)
		}
	}
	if want := args["host"]; want != "" {
		if h, err := os.Hostname(); err != nil || h != want {
			c.Errorf("hostname %q, %v; want %q", h, err, want)
		}
	}
	if gw != "" {
		nicPing(c, gw)
	}
	if port := args["udp"]; port != "" {
		n, _ := strconv.Atoi(args["udpn"])
		nicUDPEcho(c, gw+":"+port, n)
	}
	if port := args["get"]; port != "" {
		n, _ := strconv.Atoi(args["getn"])
		nicDownload(c, "http://"+gw+":"+port, n)
	}
	if port := args["put"]; port != "" {
		n, _ := strconv.Atoi(args["putn"])
		nicUpload(c, "http://"+gw+":"+port, n)
	}
	if args["serve"] == "1" {
		nicServe(c)
	}
}

// xorshiftReader yields n pseudo-random bytes, the same for the same n on
// both sides of a transfer.
type xorshiftReader struct {
	x    uint32
	left int
}

func (r *xorshiftReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if len(p) > r.left {
		p = p[:r.left]
	}
	for i := range p {
		r.x ^= r.x << 13
		r.x ^= r.x >> 17
		r.x ^= r.x << 5
		p[i] = byte(r.x)
	}
	r.left -= len(p)
	return len(p), nil
}

// nicUpload sends n bytes to the host's sink and compares its hash of what
// arrived with ours of what was sent.
func nicUpload(c *t, base string, n int) {
	h := sha256.New()
	body := io.TeeReader(&xorshiftReader{x: uint32(n) | 1, left: n}, h)
	client := &http.Client{Timeout: 10 * time.Minute}
	start := time.Now()
	req, err := http.NewRequest("POST", base+"/sink", body)
	if err != nil {
		c.Errorf("upload: %v", err)
		return
	}
	req.ContentLength = int64(n)
	resp, err := client.Do(req)
	if err != nil {
		c.Errorf("upload: %v", err)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	want := fmt.Sprintf("%d %s", n, hex.EncodeToString(h.Sum(nil)))
	if strings.TrimSpace(string(answer)) != want {
		c.Errorf("upload: the host received %q, we sent %q", answer, want)
	}
	d := time.Since(start)
	c.Logf("upload: %d bytes in %v (%.1f MiB/s)", n, d, float64(n)/d.Seconds()/(1<<20))
}

// nicPing sends ICMP echo requests to addr from an ICMP datagram socket.
func nicPing(c *t, addr string) {
	ip := net.ParseIP(addr).To4()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, syscall.IPPROTO_ICMP)
	if err != nil {
		c.Errorf("ping socket: %v", err)
		return
	}
	defer syscall.Close(fd)
	tv := syscall.Timeval{Sec: 2}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	sa := &syscall.SockaddrInet4{}
	copy(sa.Addr[:], ip)
	replies := 0
	for seq := 1; seq <= 3; seq++ {
		req := make([]byte, 16)
		req[0] = 8 // echo request; the kernel fills id and checksum
		binary.BigEndian.PutUint16(req[6:], uint16(seq))
		copy(req[8:], "eggping!")
		if err := syscall.Sendto(fd, req, 0, sa); err != nil {
			c.Errorf("ping sendto: %v", err)
			return
		}
		buf := make([]byte, 64)
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err == nil && n >= 16 && buf[0] == 0 && string(buf[8:16]) == "eggping!" {
			replies++
		}
	}
	if replies == 0 {
		c.Errorf("ping %s: no echo reply of 3", addr)
	}
	c.Logf("ping %s: %d/3 replies", addr, replies)
}

// nicUDPEcho sends n numbered datagrams to an echo server, 32 in flight,
// and counts the answers; more than 5% lost fails (QEMU's slirp drops
// when its socket buffers fill).
func nicUDPEcho(c *t, addr string, n int) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		c.Errorf("udp dial: %v", err)
		return
	}
	defer conn.Close()
	got := make([]bool, n)
	received, bad := 0, 0
	buf := make([]byte, 2048)
	const window = 32
	start := time.Now()
	for sent := 0; sent < n; {
		for k := 0; k < window && sent < n; k++ {
			msg := make([]byte, 8+sent%1000)
			binary.BigEndian.PutUint64(msg, uint64(sent))
			for i := 8; i < len(msg); i++ {
				msg[i] = byte(sent + i)
			}
			conn.Write(msg)
			sent++
		}
		for {
			conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			m, err := conn.Read(buf)
			if err != nil {
				break
			}
			seq := int(binary.BigEndian.Uint64(buf))
			if m < 8 || seq >= n || m != 8+seq%1000 || got[seq] {
				bad++
				continue
			}
			ok := true
			for i := 8; i < m; i++ {
				ok = ok && buf[i] == byte(seq+i)
			}
			if !ok {
				bad++
				continue
			}
			got[seq] = true
			received++
			if received%window == 0 {
				break
			}
		}
	}
	lost := n - received
	c.Logf("udp echo: %d sent, %d back, %d lost, %d bad, %v", n, received, lost, bad, time.Since(start))
	if bad > 0 || lost*20 > n {
		c.Errorf("udp echo: %d of %d lost, %d bad", lost, n, bad)
	}
}

// nicDownload fetches n bytes and checks them against the server's hash.
func nicDownload(c *t, base string, n int) {
	client := &http.Client{Timeout: 5 * time.Minute}
	start := time.Now()
	resp, err := client.Get(base + "/blob?n=" + strconv.Itoa(n))
	if err != nil {
		c.Errorf("download: %v", err)
		return
	}
	defer resp.Body.Close()
	h := sha256.New()
	got, err := io.Copy(h, resp.Body)
	if err != nil || got != int64(n) {
		c.Errorf("download: %d of %d bytes: %v", got, n, err)
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != resp.Header.Get("X-Sha256") {
		c.Errorf("download: sha256 %s, server says %s", sum, resp.Header.Get("X-Sha256"))
	}
	d := time.Since(start)
	c.Logf("download: %d bytes in %v (%.1f MiB/s)", n, d, float64(n)/d.Seconds()/(1<<20))
}

// nicBody is the deterministic body the guest's server returns for size n
// (the host test computes the same).
func nicBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + (i*13+n)%26)
	}
	return b
}

// nicServe answers /get?n= on port 80 until the host asks /quit.
func nicServe(c *t) {
	ln, err := net.Listen("tcp", ":80")
	if err != nil {
		c.Errorf("listen :80: %v", err)
		return
	}
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n < 0 || n > 1<<20 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Write(nicBody(n))
	})
	mux.HandleFunc("/stats", nicStatsHandler)
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "bye")
		close(quit)
	})
	srv := &http.Server{Handler: mux, ConnState: nicConnState}
	go srv.Serve(ln)
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "NIC-SERVING")
	w.Flush()
	select {
	case <-quit:
	case <-time.After(10 * time.Minute):
		c.Errorf("serve: no /quit from the host")
	}
	time.Sleep(100 * time.Millisecond) // let the /quit answer leave
	srv.Close()
	// The interface and TCP counters, for whoever reads the console.
	for _, f := range []string{"/proc/net/dev", "/proc/net/snmp"} {
		if data, err := os.ReadFile(f); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if strings.Contains(line, "eth") || strings.HasPrefix(line, "Tcp:") {
					c.Logf("%s: %s", f, strings.TrimSpace(line))
				}
			}
		}
	}
}
