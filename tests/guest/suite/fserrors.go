package main

// The errors a file system reports when a program goes too far, with the
// errno Linux gives: ENAMETOOLONG, ELOOP, EMFILE, and on ext2 ENOSPC, after
// which the file system goes on working and frees what was written. Runs
// in EGG_FSDIR (default /tmp); EGG_FSTYPE=ext2 adds the full-disk check.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

func init() { register("fserrors", testFSErrors) }

func testFSErrors(c *t) {
	dir := os.Getenv("EGG_FSDIR")
	if dir == "" {
		dir = "/tmp"
	}
	dir = filepath.Join(dir, "fserrors")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.Errorf("mkdir: %v", err)
		return
	}
	nameTooLong(c, dir)
	symlinkLoops(c, dir)
	tooManyFiles(c, dir)
	if os.Getenv("EGG_FSTYPE") == "ext2" {
		diskFull(c, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		c.Errorf("remove: %v", err)
	}
}

func wantErrno(c *t, what string, err, want error) {
	if !errors.Is(err, want) {
		c.Errorf("%s: %v, want %v", what, err, want)
	}
}

// A name of 256 bytes, and a path of 4096, are too long; 255 is not.
func nameTooLong(c *t, dir string) {
	long := filepath.Join(dir, strings.Repeat("n", 256))
	_, err := os.Create(long)
	wantErrno(c, "create 256-byte name", err, syscall.ENAMETOOLONG)
	wantErrno(c, "mkdir 256-byte name", os.Mkdir(long, 0o755), syscall.ENAMETOOLONG)
	_, err = os.Stat(long)
	wantErrno(c, "stat 256-byte name", err, syscall.ENAMETOOLONG)
	ok := filepath.Join(dir, strings.Repeat("n", 255))
	if err := os.WriteFile(ok, []byte("x"), 0o644); err != nil {
		c.Errorf("create 255-byte name: %v", err)
	}
	os.Remove(ok)
	path := dir + strings.Repeat("/.", (4096-len(dir))/2+1)
	_, err = os.Stat(path)
	wantErrno(c, "stat 4096-byte path", err, syscall.ENAMETOOLONG)
}

// Symbolic link loops, chains longer than Linux's 40, and O_NOFOLLOW.
func symlinkLoops(c *t, dir string) {
	a, b := filepath.Join(dir, "loop-a"), filepath.Join(dir, "loop-b")
	os.Symlink(b, a)
	os.Symlink(a, b)
	_, err := os.Open(a)
	wantErrno(c, "open a symlink loop", err, syscall.ELOOP)
	_, err = os.Stat(filepath.Join(a, "x"))
	wantErrno(c, "a loop inside a path", err, syscall.ELOOP)

	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("end"), 0o644); err != nil {
		c.Errorf("write target: %v", err)
		return
	}
	prev := target
	for i := 1; i <= 41; i++ {
		link := filepath.Join(dir, "chain"+itoa(i))
		if err := os.Symlink(prev, link); err != nil {
			c.Errorf("symlink: %v", err)
			return
		}
		prev = link
	}
	if got, err := os.ReadFile(filepath.Join(dir, "chain40")); err != nil || string(got) != "end" {
		c.Errorf("a chain of 40 links: %q %v, want it followed", got, err)
	}
	_, err = os.ReadFile(filepath.Join(dir, "chain41"))
	wantErrno(c, "a chain of 41 links", err, syscall.ELOOP)

	_, err = os.OpenFile(filepath.Join(dir, "chain1"), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	wantErrno(c, "O_NOFOLLOW on a symlink", err, syscall.ELOOP)
}

// Past RLIMIT_NOFILE, open answers EMFILE; closing makes room again.
func tooManyFiles(c *t, dir string) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		c.Errorf("getrlimit: %v", err)
		return
	}
	const limit = 64
	lim := syscall.Rlimit{Cur: limit, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		c.Errorf("setrlimit: %v", err)
		return
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	var fds []int
	var err error
	for len(fds) < 2*limit {
		var fd int
		fd, err = syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fds = append(fds, fd)
	}
	wantErrno(c, "open past RLIMIT_NOFILE", err, syscall.EMFILE)
	for _, fd := range fds {
		if fd >= limit {
			c.Errorf("fd %d at or above the limit %d", fd, limit)
		}
	}
	_, err = syscall.Dup(0)
	wantErrno(c, "dup past RLIMIT_NOFILE", err, syscall.EMFILE)
	for _, fd := range fds {
		syscall.Close(fd)
	}
	if fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0); err != nil {
		c.Errorf("open after closing: %v", err)
	} else {
		syscall.Close(fd)
	}
}

// keepOpen holds files the program never closes.
var keepOpen []*os.File

// Fill the disk: ENOSPC, nothing else breaks, and the space comes back.
func diskFull(c *t, dir string) {
	var before syscall.Statfs_t
	if err := syscall.Statfs(dir, &before); err != nil {
		c.Errorf("statfs: %v", err)
		return
	}
	free := int64(before.Bavail) * before.Bsize
	if free > 64<<20 {
		c.Errorf("%d MiB free: the full-disk check wants a small disk", free>>20)
		return
	}
	name := filepath.Join(dir, "fill")
	f, err := os.Create(name)
	if err != nil {
		c.Errorf("create: %v", err)
		return
	}
	buf := make([]byte, 64<<10)
	var written int64
	for {
		n, err := f.Write(buf)
		written += int64(n)
		if err != nil {
			wantErrno(c, "write to a full disk", err, syscall.ENOSPC)
			break
		}
	}
	// Everything written before the disk filled up is readable.
	if err := f.Sync(); err != nil {
		c.Errorf("fsync on a full disk: %v", err)
	}
	f.Close()
	if written < free*9/10 {
		c.Errorf("only %d of %d free bytes written before ENOSPC", written, free)
	}
	if st, err := os.Stat(name); err != nil || st.Size() != written {
		c.Errorf("the full file: %v %v, want %d bytes", st, err, written)
	}
	// A new inode needs no data block: creating is allowed, writing fails.
	// The file stays open after its unlink, on purpose: the kernel must
	// free it when the application ends (the host's e2fsck checks).
	if open, err := os.Create(filepath.Join(dir, "one-more")); err == nil {
		_, err = open.Write(buf)
		wantErrno(c, "write another file", err, syscall.ENOSPC)
		os.Remove(filepath.Join(dir, "one-more"))
		keepOpen = append(keepOpen, open)
	}
	if err := os.Remove(name); err != nil {
		c.Errorf("remove the full file: %v", err)
	}
	var after syscall.Statfs_t
	syscall.Statfs(dir, &after)
	if after.Bavail < before.Bavail {
		c.Errorf("free blocks %d after removing, %d before filling", after.Bavail, before.Bavail)
	}
	if err := os.WriteFile(filepath.Join(dir, "after"), buf, 0o644); err != nil {
		c.Errorf("write after freeing: %v", err)
	}
	c.Logf("ENOSPC after %d KiB of %d KiB free", written>>10, free>>10)
}
