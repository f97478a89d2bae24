package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// The "unix" area: AF_UNIX stream, datagram and seqpacket sockets,
// socketpair, names in the file system and the abstract namespace, file
// passing, peer credentials, EPIPE and SIGPIPE.
func init() {
	register("unix", testUnix)
}

func testUnix(c *t) {
	unixSocketpair(c)
	unixStreamListener(c)
	unixDatagram(c)
	unixRights(c)
	unixPipeSignals(c)
	unixBacklog(c)
}

// A full accept queue: a non-blocking connect gets EAGAIN, a blocking one
// waits until accept makes room.
func unixBacklog(c *t) {
	ln, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		c.Errorf("socket: %v", err)
		return
	}
	defer syscall.Close(ln)
	addr := &syscall.SockaddrUnix{Name: "@egg-backlog"}
	if err := syscall.Bind(ln, addr); err != nil {
		c.Errorf("bind abstract: %v", err)
		return
	}
	syscall.Listen(ln, 0) // room for backlog + 1 = one connection
	dial := func(flags int) (int, error) {
		fd, _ := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|flags, 0)
		return fd, syscall.Connect(fd, addr)
	}
	first, err := dial(0)
	if err != nil {
		c.Errorf("first connect: %v", err)
		return
	}
	defer syscall.Close(first)
	nb, err := dial(syscall.SOCK_NONBLOCK)
	defer syscall.Close(nb)
	if err != syscall.EAGAIN {
		c.Errorf("non-blocking connect to a full queue: %v, want EAGAIN", err)
	}
	connected := make(chan error, 1)
	var blocked int
	go func() {
		var err error
		blocked, err = dial(0)
		connected <- err
	}()
	select {
	case err := <-connected:
		c.Errorf("blocking connect to a full queue returned at once: %v", err)
		return
	case <-time.After(100 * time.Millisecond):
	}
	nfd, _, err := syscall.Accept(ln)
	if err != nil {
		c.Errorf("accept: %v", err)
		return
	}
	syscall.Close(nfd)
	select {
	case err := <-connected:
		if err != nil {
			c.Errorf("blocking connect after accept: %v", err)
		}
		syscall.Close(blocked)
	case <-time.After(5 * time.Second):
		c.Errorf("blocking connect still waits after accept made room")
	}
}

func unixSocketpair(c *t) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		c.Errorf("socketpair: %v", err)
		return
	}
	a := os.NewFile(uintptr(fds[0]), "a")
	b := os.NewFile(uintptr(fds[1]), "b")
	payload := bytes.Repeat([]byte("unix stream "), 100000) // 1.2 MB: more than the buffer
	go func() {
		a.Write(payload)
		a.Close()
	}()
	got, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(got, payload) {
		c.Errorf("socketpair stream: %d of %d bytes, %v", len(got), len(payload), err)
	}
	b.Close()

	// Datagram pairs keep message boundaries; short buffers truncate (MSG_TRUNC).
	fds, err = syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		c.Errorf("socketpair dgram: %v", err)
		return
	}
	syscall.Write(fds[0], []byte("one"))
	syscall.Write(fds[0], []byte("second message"))
	buf := make([]byte, 64)
	if n, err := syscall.Read(fds[1], buf); err != nil || string(buf[:n]) != "one" {
		c.Errorf("dgram pair first: %q %v", buf[:n], err)
	}
	n, _, flags, _, err := syscall.Recvmsg(fds[1], buf[:6], nil, 0)
	if err != nil || string(buf[:n]) != "second" || flags&syscall.MSG_TRUNC == 0 {
		c.Errorf("dgram pair truncated: %q flags %#x %v", buf[:n], flags, err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fds[0], &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		c.Errorf("fstat: mode %#o %v", st.Mode, err)
	}
	syscall.Close(fds[0])
	syscall.Close(fds[1])
}

func unixStreamListener(c *t) {
	for _, name := range []string{"/tmp/egg.sock", "@egg-abstract"} {
		os.Remove(name)
		ln, err := net.Listen("unix", name)
		if err != nil {
			c.Errorf("listen %s: %v", name, err)
			continue
		}
		if name[0] == '/' {
			if fi, err := os.Stat(name); err != nil || fi.Mode()&os.ModeSocket == 0 {
				c.Errorf("bound path %s: %v %v", name, fi, err)
			}
		}
		go serveEcho(ln)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				conn, err := net.Dial("unix", name)
				if err != nil {
					c.Errorf("dial %s: %v", name, err)
					return
				}
				defer conn.Close()
				msg := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
				go conn.Write(msg)
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
					c.Errorf("echo over %s: %v", name, err)
				}
				if i == 0 {
					uc := conn.(*net.UnixConn)
					raw, _ := uc.SyscallConn()
					raw.Control(func(fd uintptr) {
						cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
						if err != nil || cred.Pid != int32(os.Getpid()) {
							c.Errorf("SO_PEERCRED: %+v %v", cred, err)
						}
					})
				}
			}(i)
		}
		wg.Wait()
		ln.Close()
		if name[0] == '/' {
			if _, err := os.Stat(name); err == nil {
				c.Errorf("Go's listener should unlink %s on close", name)
			}
			// The name is free again: a new listener binds it.
			ln2, err := net.Listen("unix", name)
			if err != nil {
				c.Errorf("listen again on %s: %v", name, err)
			} else {
				ln2.Close()
			}
		}
	}
	if _, err := net.Dial("unix", "/tmp/nobody-here.sock"); err == nil {
		c.Errorf("dial to a missing path succeeded")
	}
}

func unixDatagram(c *t) {
	os.Remove("/tmp/egg.dgram")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "/tmp/egg.dgram", Net: "unixgram"})
	if err != nil {
		c.Errorf("listen unixgram: %v", err)
		return
	}
	defer os.Remove("/tmp/egg.dgram")
	defer srv.Close()
	os.Remove("/tmp/egg.client")
	cl, err := net.DialUnix("unixgram", &net.UnixAddr{Name: "/tmp/egg.client", Net: "unixgram"},
		&net.UnixAddr{Name: "/tmp/egg.dgram", Net: "unixgram"})
	if err != nil {
		c.Errorf("dial unixgram: %v", err)
		return
	}
	defer os.Remove("/tmp/egg.client")
	defer cl.Close()
	for i := 0; i < 50; i++ {
		msg := []byte(fmt.Sprintf("dgram %d", i))
		if _, err := cl.Write(msg); err != nil {
			c.Errorf("unixgram write: %v", err)
			return
		}
		buf := make([]byte, 100)
		srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := srv.ReadFromUnix(buf)
		if err != nil || string(buf[:n]) != string(msg) || from == nil || from.Name != "/tmp/egg.client" {
			c.Errorf("unixgram read: %q from %v: %v", buf[:n], from, err)
			return
		}
		if _, err := srv.WriteToUnix(buf[:n], from); err != nil {
			c.Errorf("unixgram reply: %v", err)
			return
		}
		cl.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := cl.Read(buf); err != nil || string(buf[:n]) != string(msg) {
			c.Errorf("unixgram reply read: %q %v", buf[:n], err)
			return
		}
	}
}

// streamPair is a connected AF_UNIX stream socketpair (ok false, and a failure, if not).
func streamPair(c *t) ([2]int, bool) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		c.Errorf("socketpair: %v", err)
		return fds, false
	}
	return fds, true
}

// A pipe's read end travels over a socketpair with SCM_RIGHTS.
func unixRights(c *t) {
	fds, ok := streamPair(c)
	if !ok {
		return
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	r, w, _ := os.Pipe()
	defer w.Close()
	rights := syscall.UnixRights(int(r.Fd()))
	if err := syscall.Sendmsg(fds[0], []byte("fd"), rights, nil, 0); err != nil {
		c.Errorf("sendmsg SCM_RIGHTS: %v", err)
		return
	}
	r.Close()
	buf := make([]byte, 8)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := syscall.Recvmsg(fds[1], buf, oob, 0)
	if err != nil || string(buf[:n]) != "fd" {
		c.Errorf("recvmsg: %q %v", buf[:n], err)
		return
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		c.Errorf("control messages: %d %v", len(msgs), err)
		return
	}
	got, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(got) != 1 {
		c.Errorf("unix rights: %v %v", got, err)
		return
	}
	w.Write([]byte("through the passed fd"))
	rb := make([]byte, 64)
	if n, err := syscall.Read(got[0], rb); err != nil || string(rb[:n]) != "through the passed fd" {
		c.Errorf("read passed pipe: %q %v", rb[:n], err)
	}
	syscall.Close(got[0])
}

// Writing to a stream whose peer is gone: EPIPE, and SIGPIPE unless MSG_NOSIGNAL.
func unixPipeSignals(c *t) {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		c.Errorf("socketpair: %v", err)
		return
	}
	syscall.Close(fds[1])
	defer syscall.Close(fds[0])
	if err := syscall.Sendmsg(fds[0], []byte("x"), nil, nil, syscall.MSG_NOSIGNAL); err != syscall.EPIPE {
		c.Errorf("send MSG_NOSIGNAL to a closed peer: %v", err)
	}
	select {
	case <-sig:
		c.Errorf("SIGPIPE despite MSG_NOSIGNAL")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := syscall.Write(fds[0], []byte("x")); err != syscall.EPIPE {
		c.Errorf("write to a closed peer: %v", err)
	}
	select {
	case <-sig:
	case <-time.After(2 * time.Second):
		c.Errorf("no SIGPIPE for a write to a closed peer")
	}
	buf := make([]byte, 4)
	if n, err := syscall.Read(fds[0], buf); n != 0 || err != nil {
		c.Errorf("read from a closed peer: %d %v (want EOF)", n, err)
	}
}
