package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The "netem" area: bulk TCP both ways at once through an impaired link
// (tests/netem_test.go: loss, duplication, reordering and delay applied by
// a user-space relay). Arguments, name=value after the area:
//
//	peer=10.99.0.1   the Linux peer, in the test's network namespace
//	down=PORT        the peer sends size bytes, then their SHA-256
//	up=PORT          we send size bytes, then their SHA-256; the peer
//	                 answers "OK" or "BAD <reason>" and closes
//	size=BYTES       bytes each way
//	seed=N           seed of the bytes we send
//
// Every stream is pseudo-random and never repeats, so a segment delivered
// at the wrong offset changes the hash. A read or write that makes no
// progress for netemStall fails the area instead of hanging it.
func init() {
	register("netem", testNetem)
}

const (
	netemStall    = 90 * time.Second
	netemChunk    = 64 << 10
	netemHashSize = sha256.Size
)

func testNetem(c *t) {
	args := nicArgs()
	size, err := strconv.ParseInt(args["size"], 10, 64)
	if err != nil || size < 0 {
		c.Errorf("size=%q: want a byte count", args["size"])
		return
	}
	seed, _ := strconv.ParseInt(args["seed"], 10, 64)
	peer := args["peer"]
	var wg sync.WaitGroup
	var downErr, upErr error
	var downTime, upTime time.Duration
	wg.Add(2)
	go func() {
		defer wg.Done()
		start := time.Now()
		downErr = netemDownload(net.JoinHostPort(peer, args["down"]), size)
		downTime = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		start := time.Now()
		upErr = netemUpload(net.JoinHostPort(peer, args["up"]), size, seed)
		upTime = time.Since(start)
	}()
	wg.Wait()
	for _, r := range []struct {
		name string
		err  error
		d    time.Duration
	}{{"download", downErr, downTime}, {"upload", upErr, upTime}} {
		if r.err != nil {
			c.Errorf("%s: %v", r.name, r.err)
			continue
		}
		c.Logf("%s: %d bytes intact in %v (%.0f KiB/s)", r.name, size, r.d.Round(time.Millisecond),
			float64(size)/r.d.Seconds()/1024)
	}
	netemCounters(c)
}

// netemDial connects to addr, retrying while the peer is not yet listening.
func netemDial(addr string) (net.Conn, error) {
	deadline := time.Now().Add(netemStall)
	for {
		conn, err := net.DialTimeout("tcp", addr, netemStall)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// netemDownload reads size bytes and their SHA-256 from addr and checks
// them, and that the peer then closes.
func netemDownload(addr string, size int64) error {
	conn, err := netemDial(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := sha256.New()
	r := &stallReader{conn: conn}
	if n, err := io.CopyN(h, r, size); err != nil {
		return fmt.Errorf("data: %d of %d bytes: %v", n, size, err)
	}
	trailer := make([]byte, netemHashSize)
	if _, err := io.ReadFull(r, trailer); err != nil {
		return fmt.Errorf("hash trailer: %v", err)
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, trailer) {
		return fmt.Errorf("sha256 %x, the peer sent %x", sum, trailer)
	}
	if extra, err := io.Copy(io.Discard, r); err != nil || extra != 0 {
		return fmt.Errorf("after the data: %d more bytes, %v (want a clean end)", extra, err)
	}
	return nil
}

// netemUpload sends size pseudo-random bytes and their SHA-256 to addr and
// returns the peer's verdict.
func netemUpload(addr string, size, seed int64) error {
	conn, err := netemDial(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := sha256.New()
	rng := rand.New(rand.NewSource(seed))
	buf := make([]byte, netemChunk)
	for sent := int64(0); sent < size; {
		n := int64(len(buf))
		if size-sent < n {
			n = size - sent
		}
		rng.Read(buf[:n])
		h.Write(buf[:n])
		conn.SetWriteDeadline(time.Now().Add(netemStall))
		if _, err := conn.Write(buf[:n]); err != nil {
			return fmt.Errorf("data: %d of %d bytes sent: %v", sent, size, err)
		}
		sent += n
	}
	conn.SetWriteDeadline(time.Now().Add(netemStall))
	if _, err := conn.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("hash trailer: %v", err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return fmt.Errorf("shutdown: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(netemStall))
	verdict, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no verdict from the peer: %v", err)
	}
	if verdict = strings.TrimSpace(verdict); verdict != "OK" {
		return errors.New("the peer says: " + verdict)
	}
	return nil
}

// stallReader fails a read that waits longer than netemStall.
type stallReader struct{ conn net.Conn }

func (r *stallReader) Read(p []byte) (int, error) {
	r.conn.SetReadDeadline(time.Now().Add(netemStall))
	return r.conn.Read(p)
}

// netemCounters logs the TCP counters that tell how the stack coped:
// retransmissions, recoveries, undos, reordering; and eth0's frame counts.
func netemCounters(c *t) {
	if data, err := os.ReadFile("/proc/net/dev"); err != nil {
		c.Errorf("/proc/net/dev: %v", err)
	} else {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "eth0:") {
				c.Logf("%s", strings.TrimSpace(line))
			}
		}
	}
	for _, f := range []string{"/proc/net/snmp", "/proc/net/netstat"} {
		data, err := os.ReadFile(f)
		if err != nil {
			c.Errorf("%s: %v", f, err)
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "Tcp:") || strings.HasPrefix(line, "TcpExt:") {
				c.Logf("%s", line)
			}
		}
	}
}
