package main

import (
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	fOfdGetlk  = 36
	fOfdSetlk  = 37
	fOfdSetlkw = 38
)

func init() {
	register("locks", testLocks)
}

// testLocks checks flock(2), POSIX fcntl locks and OFD locks between two
// open files of one file, as two processes would see them.
func testLocks(c *t) {
	p := filepath.Join(os.TempDir(), "locked")
	os.WriteFile(p, make([]byte, 100), 0644)
	defer os.Remove(p)
	locksFlock(c, p)
	locksOFD(c, p)
	locksPOSIX(c, p)
}

func open2(c *t, p string) (*os.File, *os.File) {
	a, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		c.Errorf("open: %v", err)
	}
	b, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		c.Errorf("open: %v", err)
	}
	return a, b
}

func locksFlock(c *t, p string) {
	a, b := open2(c, p)
	defer b.Close()
	if err := syscall.Flock(int(a.Fd()), syscall.LOCK_EX); err != nil {
		c.Errorf("flock EX: %v", err)
	}
	if err := syscall.Flock(int(b.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != syscall.EWOULDBLOCK {
		c.Errorf("flock SH|NB against EX: %v", err)
	}
	// A blocked flock wakes when the holder unlocks.
	done := make(chan error)
	go func() { done <- syscall.Flock(int(b.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		c.Errorf("flock EX did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	syscall.Flock(int(a.Fd()), syscall.LOCK_UN)
	select {
	case err := <-done:
		if err != nil {
			c.Errorf("blocked flock: %v", err)
		}
	case <-time.After(5 * time.Second):
		c.Errorf("blocked flock never woke")
	}
	// Closing the holder releases its lock.
	if err := syscall.Flock(int(a.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != syscall.EWOULDBLOCK {
		c.Errorf("flock SH|NB against the other's EX: %v", err)
	}
	b.Close()
	if err := syscall.Flock(int(a.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		c.Errorf("flock after the holder closed: %v", err)
	}
	a.Close()
}

func lk(typ int16, start, length int64) *syscall.Flock_t {
	return &syscall.Flock_t{Type: typ, Whence: 0, Start: start, Len: length}
}

func locksOFD(c *t, p string) {
	a, b := open2(c, p)
	defer b.Close()
	if err := syscall.FcntlFlock(a.Fd(), fOfdSetlk, lk(syscall.F_WRLCK, 0, 10)); err != nil {
		c.Errorf("OFD lock: %v", err)
	}
	if err := syscall.FcntlFlock(b.Fd(), fOfdSetlk, lk(syscall.F_WRLCK, 5, 10)); err != syscall.EAGAIN {
		c.Errorf("overlapping OFD lock: %v", err)
	}
	q := lk(syscall.F_RDLCK, 8, 1)
	if err := syscall.FcntlFlock(b.Fd(), fOfdGetlk, q); err != nil || q.Type != syscall.F_WRLCK ||
		q.Start != 0 || q.Len != 10 || q.Pid != -1 {
		c.Errorf("OFD getlk: %+v %v", q, err)
	}
	// A POSIX lock of this process conflicts with another description's OFD lock.
	if err := syscall.FcntlFlock(b.Fd(), syscall.F_SETLK, lk(syscall.F_RDLCK, 9, 1)); err != syscall.EAGAIN {
		c.Errorf("POSIX lock against an OFD lock: %v", err)
	}
	// Unlocking the middle splits the lock in two.
	syscall.FcntlFlock(a.Fd(), fOfdSetlk, lk(syscall.F_UNLCK, 3, 2))
	if err := syscall.FcntlFlock(b.Fd(), fOfdSetlk, lk(syscall.F_WRLCK, 3, 2)); err != nil {
		c.Errorf("lock in the hole: %v", err)
	}
	for _, start := range []int64{2, 5} {
		if err := syscall.FcntlFlock(b.Fd(), fOfdSetlk, lk(syscall.F_RDLCK, start, 1)); err != syscall.EAGAIN {
			c.Errorf("lock at %d beside the hole: %v", start, err)
		}
	}
	// A waiting lock is granted when the holder's file is closed.
	done := make(chan error)
	go func() { done <- syscall.FcntlFlock(b.Fd(), fOfdSetlkw, lk(syscall.F_WRLCK, 0, 0)) }()
	select {
	case err := <-done:
		c.Errorf("F_OFD_SETLKW did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	a.Close()
	select {
	case err := <-done:
		if err != nil {
			c.Errorf("F_OFD_SETLKW: %v", err)
		}
	case <-time.After(5 * time.Second):
		c.Errorf("F_OFD_SETLKW never woke")
	}
	if err := syscall.FcntlFlock(b.Fd(), fOfdSetlk, &syscall.Flock_t{Type: syscall.F_RDLCK, Pid: 1}); err != syscall.EINVAL {
		c.Errorf("OFD lock with l_pid set: %v", err)
	}
}

func locksPOSIX(c *t, p string) {
	a, b := open2(c, p)
	defer a.Close()
	// One process owns POSIX locks: its second fd does not conflict.
	if err := syscall.FcntlFlock(a.Fd(), syscall.F_SETLK, lk(syscall.F_WRLCK, 0, 50)); err != nil {
		c.Errorf("POSIX lock: %v", err)
	}
	if err := syscall.FcntlFlock(b.Fd(), syscall.F_SETLK, lk(syscall.F_WRLCK, 10, 10)); err != nil {
		c.Errorf("POSIX lock by the same process: %v", err)
	}
	q := lk(syscall.F_WRLCK, 0, 0)
	if err := syscall.FcntlFlock(a.Fd(), syscall.F_GETLK, q); err != nil || q.Type != syscall.F_UNLCK {
		c.Errorf("POSIX getlk sees own lock: %+v %v", q, err)
	}
	// An OFD lock of another description conflicts with the process's lock.
	ofd, _ := os.OpenFile(p, os.O_RDWR, 0)
	defer ofd.Close()
	q = lk(syscall.F_WRLCK, 20, 1)
	if err := syscall.FcntlFlock(ofd.Fd(), fOfdGetlk, q); err != nil || q.Type != syscall.F_WRLCK ||
		q.Pid != int32(os.Getpid()) || q.Start != 0 || q.Len != 50 {
		c.Errorf("OFD getlk of a POSIX lock: %+v %v", q, err)
	}
	// Closing any fd of the file drops all the process's POSIX locks on it.
	b.Close()
	if err := syscall.FcntlFlock(ofd.Fd(), fOfdSetlk, lk(syscall.F_WRLCK, 0, 0)); err != nil {
		c.Errorf("lock after POSIX locks were dropped by close: %v", err)
	}
	r, _ := os.Open(p)
	defer r.Close()
	if err := syscall.FcntlFlock(r.Fd(), syscall.F_SETLK, lk(syscall.F_WRLCK, 0, 1)); err != syscall.EBADF {
		c.Errorf("write lock on a read-only fd: %v", err)
	}
}
