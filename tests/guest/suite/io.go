package main

import (
	"bytes"
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

func init() {
	register("io", testIO)
}

func testIO(c *t) {
	// Pipes: a 1 MiB round trip between goroutines, then EOF.
	r, w, err := os.Pipe()
	if err != nil {
		c.Errorf("pipe: %v", err)
		return
	}
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	go func() {
		w.Write(payload)
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, payload) {
		c.Errorf("pipe round trip: %d bytes, err %v", len(got), err)
	}
	r.Close()

	// Read deadlines on a pipe go through the netpoller (epoll).
	r, w, _ = os.Pipe()
	t0 := time.Now()
	r.SetReadDeadline(t0.Add(50 * time.Millisecond))
	_, err = r.Read(make([]byte, 1))
	if !os.IsTimeout(err) || time.Since(t0) < 50*time.Millisecond {
		c.Errorf("read deadline: err %v after %v", err, time.Since(t0))
	}
	r.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("x"))
	}()
	if n, err := r.Read(make([]byte, 1)); n != 1 || err != nil {
		c.Errorf("read after write: %d %v", n, err)
	}
	w.Close()
	r.Close()

	// Writing to a pipe without readers: EPIPE (Go ignores SIGPIPE on non-stdout fds).
	pr, pw, _ := os.Pipe()
	pr.Close()
	if _, err := pw.Write([]byte("x")); err == nil {
		c.Errorf("write to a pipe without readers succeeded")
	}
	pw.Close()

	// eventfd: counter semantics, nonblocking EAGAIN.
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		c.Errorf("eventfd2: %v", e)
	} else {
		buf := make([]byte, 8)
		if _, err := syscall.Read(int(efd), buf); err != syscall.EAGAIN {
			c.Errorf("empty eventfd read: %v, want EAGAIN", err)
		}
		one := []byte{3, 0, 0, 0, 0, 0, 0, 0}
		syscall.Write(int(efd), one)
		syscall.Write(int(efd), one)
		if n, _ := syscall.Read(int(efd), buf); n != 8 || buf[0] != 6 {
			c.Errorf("eventfd read %d bytes, value %d, want 6", n, buf[0])
		}

		// epoll on the eventfd: edge-triggered reports once per change.
		ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			c.Errorf("epoll_create1: %v", err)
		} else {
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN | (1 << 31), Fd: int32(efd)}
			if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev); err != nil {
				c.Errorf("epoll_ctl: %v", err)
			}
			events := make([]syscall.EpollEvent, 4)
			if n, _ := syscall.EpollWait(ep, events, 0); n != 0 {
				c.Errorf("epoll reported %d events on an empty eventfd", n)
			}
			syscall.Write(int(efd), one)
			if n, _ := syscall.EpollWait(ep, events, 1000); n != 1 || events[0].Events&syscall.EPOLLIN == 0 {
				c.Errorf("epoll after write: %d events %#x", n, events[0].Events)
			}
			if n, _ := syscall.EpollWait(ep, events, 0); n != 0 {
				c.Errorf("edge-triggered epoll reported the same edge twice")
			}
			// Regular files cannot be watched.
			f, _ := os.Open("/init")
			ev2 := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(f.Fd())}
			if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(f.Fd()), &ev2); err != syscall.EPERM {
				c.Errorf("epoll_ctl on a regular file: %v, want EPERM", err)
			}
			f.Close()
			if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, int(efd), nil); err != nil {
				c.Errorf("epoll_ctl DEL: %v", err)
			}
			syscall.Close(ep)
		}
		syscall.Close(int(efd))
	}

	// poll(2) with a timeout on a pipe nobody writes.
	var pfd [2]int
	syscall.Pipe2(pfd[:], syscall.O_CLOEXEC)
	fds := []struct {
		fd      int32
		events  int16
		revents int16
	}{{int32(pfd[0]), 1, 0}, {int32(pfd[1]), 4, 0}}
	n, _, e := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&fds[0])), 2, 30)
	if e != 0 || n != 1 || fds[1].revents&4 == 0 || fds[0].revents != 0 {
		c.Errorf("poll: n=%d err=%v revents=%d,%d", n, e, fds[0].revents, fds[1].revents)
	}
	syscall.Close(pfd[0])
	syscall.Close(pfd[1])

	// Files on the root tmpfs.
	data := []byte("hello, tmpfs\n")
	if err := os.WriteFile("/tmp/io-test", data, 0o644); err != nil {
		c.Errorf("WriteFile: %v", err)
	} else if back, err := os.ReadFile("/tmp/io-test"); err != nil || !bytes.Equal(back, data) {
		c.Errorf("ReadFile: %q %v", back, err)
	}
	if st, err := os.Stat("/tmp/io-test"); err != nil || st.Size() != int64(len(data)) || st.Mode().Perm() != 0o644 {
		c.Errorf("Stat: %v %v", st, err)
	}
	if _, err := os.Stat("/no/such/file"); !os.IsNotExist(err) {
		c.Errorf("Stat of a missing file: %v", err)
	}
	if ents, err := os.ReadDir("/"); err != nil || len(ents) < 2 {
		c.Errorf("ReadDir(/): %d entries, %v", len(ents), err)
	}
	if wd, err := os.Getwd(); err != nil || wd != "/" {
		c.Errorf("Getwd = %q %v", wd, err)
	}
	if err := os.Chdir("/dev"); err != nil {
		c.Errorf("Chdir: %v", err)
	} else if wd, _ := os.Getwd(); wd != "/dev" {
		c.Errorf("Getwd after Chdir = %q", wd)
	}
	os.Chdir("/")
	if f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0); err != nil {
		c.Errorf("open /dev/null: %v", err)
	} else {
		if n, err := f.Write(data); n != len(data) || err != nil {
			c.Errorf("write /dev/null: %d %v", n, err)
		}
		f.Close()
	}
	if f, err := os.Open("/dev/zero"); err != nil {
		c.Errorf("open /dev/zero: %v", err)
	} else {
		b := []byte{1, 2, 3, 4}
		if n, err := f.Read(b); n != 4 || err != nil || !bytes.Equal(b, []byte{0, 0, 0, 0}) {
			c.Errorf("read /dev/zero: %d %v %v", n, err, b)
		}
		f.Close()
	}
}
