package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// The "net" area: TCP and UDP over the loopback interface, through Go's
// netpoller (epoll, non-blocking connect, accept4) and raw system calls.
func init() {
	register("net", testNet)
}

func testNet(c *t) {
	netTCPEcho(c)
	netUDPEcho(c)
	netDeadlines(c)
	netRefused(c)
	netHalfClose(c)
	netSockopts(c)
	netSyscallEdges(c)
	netPing(c)
	netMmsg(c)
	netEpoll(c)
	netRestart(c)
	netProc(c)
	netLargeTransfer(c)
}

// Many goroutines each open a connection and echo random data.
func netTCPEcho(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	go serveEcho(ln)
	const clients = 32
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errs <- fmt.Errorf("dial %d: %v", i, err)
				return
			}
			defer conn.Close()
			r := rand.New(rand.NewSource(int64(i)))
			msg := make([]byte, 1+r.Intn(200000))
			r.Read(msg)
			go conn.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
				errs <- fmt.Errorf("echo %d: %d bytes: %v", i, len(msg), err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.Errorf("%v", err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.Port == 0 {
		c.Errorf("listener address %v", ln.Addr())
	}
}

func netUDPEcho(c *t) {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		c.Errorf("udp listen: %v", err)
		return
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:n], from)
		}
	}()
	conn, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		c.Errorf("udp dial: %v", err)
		return
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 200; i++ {
		msg := []byte("datagram " + strconv.Itoa(i) + string(bytes.Repeat([]byte{'x'}, i*37)))
		if _, err := conn.Write(msg); err != nil {
			c.Errorf("udp write %d: %v", i, err)
			return
		}
		buf := make([]byte, 65536)
		n, err := conn.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			c.Errorf("udp echo %d: %q %v", i, buf[:n], err)
			return
		}
	}
	// A large datagram (fragmented on a 1500 MTU, one piece on lo's 65535).
	big := bytes.Repeat([]byte("0123456789"), 6000)
	conn.Write(big)
	buf := make([]byte, 65536)
	if n, err := conn.Read(buf); err != nil || !bytes.Equal(buf[:n], big) {
		c.Errorf("udp 60000-byte echo: %d %v", n, err)
	}
}

func netDeadlines(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		c.Errorf("dial: %v", err)
		return
	}
	defer conn.Close()
	peer, err := ln.Accept()
	if err != nil {
		c.Errorf("accept: %v", err)
		return
	}
	defer peer.Close()
	t0 := time.Now()
	conn.SetReadDeadline(t0.Add(100 * time.Millisecond))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || time.Since(t0) < 100*time.Millisecond {
		c.Errorf("read deadline: %v after %v", err, time.Since(t0))
	}
	conn.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		peer.Write([]byte("late"))
	}()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "late" {
		c.Errorf("read after deadline cleared: %q %v", buf, err)
	}
	// Accept deadline on the listener.
	tl := ln.(*net.TCPListener)
	tl.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := tl.Accept(); !errors.As(err, &ne) || !ne.Timeout() {
		c.Errorf("accept deadline: %v", err)
	}
}

// Connecting to a port nobody listens on is refused at once.
func netRefused(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	addr := ln.Addr().String()
	ln.Close()
	t0 := time.Now()
	_, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) || time.Since(t0) > 2*time.Second {
		c.Errorf("dial closed port: %v after %v", err, time.Since(t0))
	}
	// The same with raw non-blocking connect, EINPROGRESS and SO_ERROR.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		c.Errorf("socket: %v", err)
		return
	}
	defer syscall.Close(fd)
	port := ln.Addr().(*net.TCPAddr).Port
	err = syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if err != nil && err != syscall.EINPROGRESS {
		if err != syscall.ECONNREFUSED {
			c.Errorf("non-blocking connect: %v", err)
		}
		return
	}
	pfd := []pollFd{{fd: int32(fd), events: 4}}
	poll(pfd, 2000)
	v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil || syscall.Errno(v) != syscall.ECONNREFUSED {
		c.Errorf("SO_ERROR after refused connect: %v %v (revents %#x)", syscall.Errno(v), err, pfd[0].revents)
	}
}

// listenLocal listens on an ephemeral port of 127.0.0.1; nil (and a failure) if it cannot.
func listenLocal(c *t) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Errorf("listen: %v", err)
		return nil
	}
	return ln
}

// serveEcho accepts connections until ln is closed and echoes each.
func serveEcho(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(conn, conn)
			conn.Close()
		}()
	}
}

type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

func poll(fds []pollFd, ms int) int {
	n, _, _ := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), uintptr(ms))
	return int(n)
}

// CloseWrite sends a FIN; the peer reads EOF and can still answer.
func netHalfClose(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		data, _ := io.ReadAll(conn)
		fmt.Fprintf(conn, "got %d", len(data))
		conn.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		c.Errorf("dial: %v", err)
		return
	}
	defer conn.Close()
	conn.Write(make([]byte, 12345))
	conn.(*net.TCPConn).CloseWrite()
	reply, err := io.ReadAll(conn)
	if err != nil || string(reply) != "got 12345" {
		c.Errorf("half close: %q %v", reply, err)
	}
	// SO_LINGER with a time: close waits for the ACKs, which are all in.
	conn.(*net.TCPConn).SetLinger(5)
	t0 := time.Now()
	if err := conn.Close(); err != nil || time.Since(t0) > time.Second {
		c.Errorf("close with SO_LINGER: %v after %v", err, time.Since(t0))
	}
}

func netSockopts(c *t) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		c.Errorf("socket: %v", err)
		return
	}
	defer syscall.Close(fd)
	check := func(level, name, want int, what string) {
		v, err := syscall.GetsockoptInt(fd, level, name)
		if err != nil || v != want {
			c.Errorf("getsockopt %s = %d, %v; want %d", what, v, err, want)
		}
	}
	check(syscall.SOL_SOCKET, syscall.SO_TYPE, syscall.SOCK_STREAM, "SO_TYPE")
	check(syscall.SOL_SOCKET, 39 /* SO_DOMAIN */, syscall.AF_INET, "SO_DOMAIN")
	check(syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN, 0, "SO_ACCEPTCONN")
	check(syscall.SOL_SOCKET, syscall.SO_ERROR, 0, "SO_ERROR")
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	check(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR")
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
	check(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, "SO_KEEPALIVE")
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	check(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1, "TCP_NODELAY")
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 15)
	check(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 15, "TCP_KEEPINTVL")
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 65536)
	check(syscall.SOL_SOCKET, syscall.SO_RCVBUF, 131072, "SO_RCVBUF (doubled)")
	tv := syscall.Timeval{Sec: 2, Usec: 500000}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 3})
	var l syscall.Linger
	ll := uint32(unsafe.Sizeof(l))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_LINGER,
		uintptr(unsafe.Pointer(&l)), uintptr(unsafe.Pointer(&ll)), 0)
	if e != 0 || l.Onoff != 1 || l.Linger != 3 || ll != 8 {
		c.Errorf("SO_LINGER: %+v len %d %v", l, ll, e)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		c.Errorf("fstat socket: mode %#o %v", st.Mode, err)
	}
	if err := syscall.Listen(fd, 5); err != nil {
		c.Errorf("listen: %v", err)
	}
	check(syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN, 1, "SO_ACCEPTCONN after listen")
	ti, err := syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_INFO)
	_ = ti
	if err != nil {
		c.Errorf("TCP_INFO: %v", err)
	}
}

// System call edges: IPv6 and MPTCP are refused, SIGPIPE/EPIPE, FIONREAD, MSG_PEEK.
func netSyscallEdges(c *t) {
	if _, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM, 0); err != syscall.EAFNOSUPPORT {
		c.Errorf("AF_INET6 socket: %v", err)
	}
	if _, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 262); err != syscall.EPROTONOSUPPORT {
		c.Errorf("MPTCP socket: %v", err)
	}
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	fd, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		c.Errorf("blocking connect: %v", err)
		return
	}
	peer, err := ln.Accept()
	if err != nil {
		c.Errorf("accept: %v", err)
		return
	}
	peer.Write([]byte("hello"))
	time.Sleep(20 * time.Millisecond)
	var inq int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), 0x541B /* FIONREAD */, uintptr(unsafe.Pointer(&inq))); e != 0 || inq != 5 {
		c.Errorf("FIONREAD: %d %v", inq, e)
	}
	buf := make([]byte, 16)
	n, _, err := syscall.Recvfrom(fd, buf, syscall.MSG_PEEK)
	if err != nil || string(buf[:n]) != "hello" {
		c.Errorf("MSG_PEEK: %q %v", buf[:n], err)
	}
	n, err = syscall.Read(fd, buf)
	if err != nil || string(buf[:n]) != "hello" {
		c.Errorf("read after peek: %q %v", buf[:n], err)
	}
	if _, _, err = syscall.Recvfrom(fd, buf, syscall.MSG_DONTWAIT); err != syscall.EAGAIN {
		c.Errorf("MSG_DONTWAIT on empty socket: %v", err)
	}
	sa, err := syscall.Getpeername(fd)
	if a, ok := sa.(*syscall.SockaddrInet4); err != nil || !ok || a.Port != port {
		c.Errorf("getpeername: %v %v", sa, err)
	}
	// The peer goes away: writes fail with EPIPE (MSG_NOSIGNAL: no signal).
	peer.Close()
	time.Sleep(20 * time.Millisecond)
	var werr error
	for i := 0; i < 10 && werr == nil; i++ {
		_, werr = syscall.SendmsgN(fd, []byte("x"), nil, nil, syscall.MSG_NOSIGNAL)
		time.Sleep(10 * time.Millisecond)
	}
	if werr != syscall.EPIPE && werr != syscall.ECONNRESET {
		c.Errorf("send to a closed peer: %v", werr)
	}
}

// /proc/net/tcp lists a listener with its port and its socket's inode,
// which /proc/self/fd names "socket:[ino]"; snmp and dev have their tables.
func netProc(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	f, err := ln.(*net.TCPListener).File() // a dup of the listener's fd
	if err != nil {
		c.Errorf("listener file: %v", err)
		return
	}
	defer f.Close()
	var st syscall.Stat_t
	syscall.Fstat(int(f.Fd()), &st)
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if want := fmt.Sprintf("socket:[%d]", st.Ino); err != nil || link != want {
		c.Errorf("/proc/self/fd link %q, %v; want %q", link, err, want)
	}
	tcp, err := os.ReadFile("/proc/net/tcp")
	want := fmt.Sprintf(": 0100007F:%04X 00000000:0000 0A ", port)
	if err != nil || !bytes.Contains(tcp, []byte(want)) || !bytes.Contains(tcp, []byte(fmt.Sprintf(" %d 1 ", st.Ino))) {
		c.Errorf("/proc/net/tcp lacks %q with inode %d (%v):\n%s", want, st.Ino, err, tcp)
	}
	for file, want := range map[string]string{"/proc/net/snmp": "Tcp: RtoAlgorithm", "/proc/net/dev": "lo:",
		"/proc/net/netstat": "TcpExt:", "/proc/net/udp": "local_address"} {
		if data, err := os.ReadFile(file); err != nil || !bytes.Contains(data, []byte(want)) {
			c.Errorf("%s lacks %q: %v\n%s", file, want, err, data)
		}
	}
}

// epollOnce waits up to ms for events on ep and returns the mask reported for fd (0: none).
func epollOnce(ep, fd, ms int) uint32 {
	evs := make([]syscall.EpollEvent, 4)
	n, _ := syscall.EpollWait(ep, evs, ms)
	var mask uint32
	for _, ev := range evs[:max0(n)] {
		if int(ev.Fd) == fd {
			mask |= ev.Events
		}
	}
	return mask
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// Edge-triggered epoll on TCP sockets as Go's netpoller uses it: readiness
// at EPOLL_CTL_ADD, EPOLLIN per arrival, EPOLLRDHUP on a FIN, EPOLLERR and
// EPOLLHUP after a refused connect.
func netEpoll(c *t) {
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	fd, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	defer syscall.Close(fd)
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		c.Errorf("epoll_create1: %v", err)
		return
	}
	defer syscall.Close(ep)
	const et = 1 << 31 // EPOLLET
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | et, Fd: int32(fd)}
	syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev)
	if m := epollOnce(ep, fd, 2000); m&syscall.EPOLLOUT == 0 {
		c.Errorf("connected socket: epoll mask %#x, want EPOLLOUT", m)
	}
	peer, err := ln.Accept()
	if err != nil {
		c.Errorf("accept: %v", err)
		return
	}
	defer peer.Close()
	peer.Write([]byte("data"))
	if m := epollOnce(ep, fd, 2000); m&syscall.EPOLLIN == 0 {
		c.Errorf("data arrived: epoll mask %#x, want EPOLLIN", m)
	}
	peer.(*net.TCPConn).CloseWrite()
	if m := epollOnce(ep, fd, 2000); m&syscall.EPOLLRDHUP == 0 || m&syscall.EPOLLIN == 0 {
		c.Errorf("peer's FIN: epoll mask %#x, want EPOLLIN|EPOLLRDHUP", m)
	}
	// A socket with data pending reports it at EPOLL_CTL_ADD (level-triggered here).
	ep2, _ := syscall.EpollCreate1(0)
	defer syscall.Close(ep2)
	syscall.EpollCtl(ep2, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
	if m := epollOnce(ep2, fd, 0); m&syscall.EPOLLIN == 0 {
		c.Errorf("readiness at EPOLL_CTL_ADD: %#x", m)
	}
	// Refused: EPOLLERR and EPOLLHUP with EPOLLOUT, as Linux reports it.
	ln.Close()
	rf, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	defer syscall.Close(rf)
	syscall.EpollCtl(ep2, syscall.EPOLL_CTL_ADD, rf, &syscall.EpollEvent{Events: syscall.EPOLLOUT | et, Fd: int32(rf)})
	syscall.Connect(rf, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if m := epollOnce(ep2, rf, 2000); m&syscall.EPOLLERR == 0 || m&syscall.EPOLLHUP == 0 {
		c.Errorf("refused connect: epoll mask %#x, want EPOLLERR|EPOLLHUP", m)
	}
}

// A blocking read interrupted by a signal whose handler has SA_RESTART (Go
// installs SIGURG so) is restarted and returns the data sent later, not EINTR.
func netRestart(c *t) {
	fds, ok := streamPair(c)
	if !ok {
		return
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	tid := make(chan int)
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- syscall.Gettid()
		buf := make([]byte, 8)
		n, err := syscall.Read(fds[0], buf)
		if err == nil && string(buf[:n]) != "late" {
			err = fmt.Errorf("read %q", buf[:n])
		}
		done <- err
	}()
	t := <-tid
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
		syscall.Tgkill(os.Getpid(), t, syscall.SIGURG)
	}
	syscall.Write(fds[1], []byte("late"))
	select {
	case err := <-done:
		if err != nil {
			c.Errorf("blocking read across signals: %v", err)
		}
	case <-time.After(5 * time.Second):
		c.Errorf("blocking read did not return after the write")
	}
	// A blocking TCP accept is restarted the same way.
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	lf, _ := ln.(*net.TCPListener).File()
	defer lf.Close()
	lfd := int(lf.Fd())
	syscall.SetNonblock(lfd, false)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- syscall.Gettid()
		nfd, _, err := syscall.Accept(lfd)
		if err == nil {
			syscall.Close(nfd)
		}
		done <- err
	}()
	t = <-tid
	for i := 0; i < 3; i++ {
		time.Sleep(20 * time.Millisecond)
		syscall.Tgkill(os.Getpid(), t, syscall.SIGURG)
	}
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err == nil {
		defer conn.Close()
	}
	select {
	case err := <-done:
		if err != nil {
			c.Errorf("blocking accept across signals: %v", err)
		}
	case <-time.After(5 * time.Second):
		c.Errorf("blocking accept did not return after a connect")
	}
}

// mmsghdr is struct mmsghdr on amd64.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   uint32
}

// sendmmsg and recvmmsg move several UDP datagrams per call.
func netMmsg(c *t) {
	rx, err1 := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	tx, err2 := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err1 != nil || err2 != nil {
		c.Errorf("udp sockets: %v %v", err1, err2)
		return
	}
	defer syscall.Close(rx)
	defer syscall.Close(tx)
	syscall.Bind(rx, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	sa, _ := syscall.Getsockname(rx)
	syscall.Connect(tx, sa)
	payloads := []string{"first", "second datagram", "3"}
	msgs := make([]mmsghdr, len(payloads))
	iovs := make([]syscall.Iovec, len(payloads))
	for i, p := range payloads {
		b := []byte(p)
		iovs[i].Base = &b[0]
		iovs[i].SetLen(len(b))
		msgs[i].hdr.Iov = &iovs[i]
		msgs[i].hdr.Iovlen = 1
	}
	n, _, e := syscall.Syscall6(307 /* sendmmsg */, uintptr(tx), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), 0, 0, 0)
	if e != 0 || n != 3 || msgs[1].len != uint32(len(payloads[1])) {
		c.Errorf("sendmmsg: %d %v (len[1] %d)", n, e, msgs[1].len)
		return
	}
	time.Sleep(20 * time.Millisecond)
	recv := make([]mmsghdr, 4)
	bufs := make([][]byte, 4)
	riov := make([]syscall.Iovec, 4)
	for i := range recv {
		bufs[i] = make([]byte, 64)
		riov[i].Base = &bufs[i][0]
		riov[i].SetLen(64)
		recv[i].hdr.Iov = &riov[i]
		recv[i].hdr.Iovlen = 1
	}
	const msgWaitForOne = 0x10000
	bad := syscall.Timespec{Nsec: 2e9}
	if _, _, e := syscall.Syscall6(299, uintptr(rx), uintptr(unsafe.Pointer(&recv[0])), 4, 0, uintptr(unsafe.Pointer(&bad)), 0); e != syscall.EINVAL {
		c.Errorf("recvmmsg with a bad timeout: %v, want EINVAL", e)
	}
	timeout := syscall.Timespec{Sec: 5}
	n, _, e = syscall.Syscall6(299 /* recvmmsg */, uintptr(rx), uintptr(unsafe.Pointer(&recv[0])), 4, msgWaitForOne,
		uintptr(unsafe.Pointer(&timeout)), 0)
	if e != 0 || n != 3 {
		c.Errorf("recvmmsg: %d %v", n, e)
		return
	}
	for i, p := range payloads {
		if got := string(bufs[i][:recv[i].len]); got != p {
			c.Errorf("recvmmsg message %d: %q, want %q", i, got, p)
		}
	}
}

// An ICMP datagram ("ping") socket: echo request to 127.0.0.1, reply with the same payload.
func netPing(c *t) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, syscall.IPPROTO_ICMP)
	if err != nil {
		c.Errorf("ping socket: %v", err)
		return
	}
	defer syscall.Close(fd)
	req := []byte{8, 0, 0, 0, 0, 0, 0, 7, 'e', 'g', 'g', 's'} // type 8, id (the kernel's), seq 7
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		c.Errorf("ping sendto: %v", err)
		return
	}
	tv := syscall.Timeval{Sec: 5}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	buf := make([]byte, 64)
	n, from, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil || n != len(req) || buf[0] != 0 || buf[7] != 7 || string(buf[8:n]) != "eggs" {
		c.Errorf("ping reply: % x from %v: %v", buf[:n], from, err)
	}
	// SO_RCVTIMEO: nothing more comes, the read gives up with EAGAIN.
	tv = syscall.Timeval{Usec: 100000}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	t0 := time.Now()
	if _, _, err := syscall.Recvfrom(fd, buf, 0); err != syscall.EAGAIN || time.Since(t0) < 100*time.Millisecond {
		c.Errorf("SO_RCVTIMEO: %v after %v", err, time.Since(t0))
	}
}

// 64 MiB through one connection, checked with SHA-256.
func netLargeTransfer(c *t) {
	const size = 64 << 20
	ln := listenLocal(c)
	if ln == nil {
		return
	}
	defer ln.Close()
	sum := make(chan [32]byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			sum <- [32]byte{}
			return
		}
		h := sha256.New()
		io.Copy(h, conn)
		var s [32]byte
		copy(s[:], h.Sum(nil))
		sum <- s
		conn.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		c.Errorf("dial: %v", err)
		return
	}
	t0 := time.Now()
	h := sha256.New()
	r := rand.New(rand.NewSource(42))
	chunk := make([]byte, 256<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		r.Read(chunk)
		h.Write(chunk)
		if _, err := conn.Write(chunk); err != nil {
			c.Errorf("write at %d: %v", sent, err)
			conn.Close()
			return
		}
	}
	conn.Close()
	got := <-sum
	if !bytes.Equal(got[:], h.Sum(nil)) {
		c.Errorf("64 MiB transfer: SHA-256 mismatch")
	}
	d := time.Since(t0)
	c.Logf("64 MiB over loopback TCP in %v (%.1f MiB/s)", d, float64(size>>20)/d.Seconds())
}
