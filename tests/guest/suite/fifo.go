package main

// Named FIFOs (mkfifo): opening them behaves as on Linux (kernel/fs/pipe.c):
// a reader waits for a writer and the other way round, O_NONBLOCK changes
// that, O_RDWR never waits; EOF when the writers are gone, EPIPE when the
// readers are; Go's netpoller drives them (deadlines work).

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

func init() {
	register("fifo", testFifo)
}

func testFifo(c *t) {
	d := fsDir(c, "fifo")
	name := filepath.Join(d, "f")
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		c.Errorf("mkfifo: %v", err)
		return
	}
	fifoOpenWaits(c, name)
	fifoNonblocking(c, name)
	fifoEnds(c, name)
	fifoPoller(c, name)
}

// A blocking O_RDONLY open returns only once a writer opens.
func fifoOpenWaits(c *t, name string) {
	opened := make(chan *os.File)
	go func() {
		f, err := os.Open(name)
		if err != nil {
			c.Errorf("open for reading: %v", err)
		}
		opened <- f
	}()
	select {
	case <-opened:
		c.Errorf("O_RDONLY open of a FIFO returned without a writer")
		return
	case <-time.After(100 * time.Millisecond):
	}
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		c.Errorf("open for writing: %v", err)
		return
	}
	r := <-opened
	if r == nil {
		w.Close()
		return
	}
	if _, err := w.Write([]byte("through the fifo")); err != nil {
		c.Errorf("write: %v", err)
	}
	w.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "through the fifo" {
		c.Errorf("read: %q %v (want the data, then EOF)", got, err)
	}
	r.Close()
}

func fifoNonblocking(c *t, name string) {
	if _, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err != syscall.ENXIO {
		c.Errorf("O_WRONLY|O_NONBLOCK without a reader: %v, want ENXIO", err)
	}
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		c.Errorf("O_RDONLY|O_NONBLOCK: %v", err)
		return
	}
	buf := make([]byte, 8)
	if n, err := syscall.Read(fd, buf); n != 0 || err != nil {
		c.Errorf("read with no writer: %d %v, want end of file", n, err)
	}
	// Now there is a reader: a non-blocking writer opens at once.
	wfd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		c.Errorf("O_WRONLY|O_NONBLOCK with a reader: %v", err)
	} else {
		if n, err := syscall.Read(fd, buf); err != syscall.EAGAIN {
			c.Errorf("read of an empty FIFO with a writer: %d %v, want EAGAIN", n, err)
		}
		syscall.Write(wfd, []byte("nb"))
		if n, err := syscall.Read(fd, buf); n != 2 || err != nil {
			c.Errorf("read: %d %v", n, err)
		}
		syscall.Close(wfd)
	}
	syscall.Close(fd)
}

// O_RDWR never waits and holds both ends; closing the readers gives EPIPE.
func fifoEnds(c *t, name string) {
	rw, err := syscall.Open(name, syscall.O_RDWR, 0)
	if err != nil {
		c.Errorf("O_RDWR: %v", err)
		return
	}
	w, err := syscall.Open(name, syscall.O_WRONLY, 0) // a reader exists: no wait
	if err != nil {
		c.Errorf("O_WRONLY with an O_RDWR reader: %v", err)
		syscall.Close(rw)
		return
	}
	syscall.Write(w, []byte("rw"))
	buf := make([]byte, 8)
	if n, err := syscall.Read(rw, buf); n != 2 || err != nil || string(buf[:2]) != "rw" {
		c.Errorf("read through O_RDWR: %q %v", buf[:n], err)
	}
	syscall.Close(rw)
	// Go ignores SIGPIPE for descriptors other than 1 and 2: the error shows.
	if _, err := syscall.Write(w, []byte("x")); err != syscall.EPIPE {
		c.Errorf("write with no reader: %v, want EPIPE", err)
	}
	syscall.Close(w)
}

// os.File puts FIFOs in the netpoller: a read deadline expires, data wakes it.
func fifoPoller(c *t, name string) {
	rc := make(chan *os.File)
	go func() {
		f, _ := os.Open(name)
		rc <- f
	}()
	w, err := os.OpenFile(name, os.O_WRONLY, 0)
	r := <-rc
	if err != nil || r == nil {
		c.Errorf("open pair: %v", err)
		return
	}
	defer r.Close()
	r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, 8)
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		c.Errorf("read deadline on a FIFO: %v (not in the netpoller?)", err)
	}
	r.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("late"))
		w.Close()
	}()
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "late" {
		c.Errorf("read woken by a write: %q %v", buf[:n], err)
	}
	if _, err := r.Read(buf); err != io.EOF {
		c.Errorf("read after the writer closed: %v, want EOF", err)
	}
}
