package main

// Path corners Go's os tests rely on: /proc/self/fd/N is a "magic" link
// that reopens the open file itself (even deleted), "file/." is ENOTDIR,
// and O_CREAT through a symlink to nothing creates the link's target.

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

func init() {
	register("reopen", testReopen)
}

func testReopen(c *t) {
	d := fsDir(c, "reopen")
	reopenDeleted(c, d)
	reopenDotAfterFile(c, d)
	reopenDanglingCreate(c, d)
}

func reopenDeleted(c *t, d string) {
	name := filepath.Join(d, "gone")
	os.WriteFile(name, []byte("still here"), 0o644)
	f, err := os.Open(name)
	if err != nil {
		c.Errorf("open: %v", err)
		return
	}
	defer f.Close()
	os.Remove(name)
	link := "/proc/self/fd/" + itoa(int(f.Fd()))
	g, err := os.Open(link)
	if err != nil {
		c.Errorf("reopen %s of a deleted file: %v", link, err)
		return
	}
	got, err := io.ReadAll(g)
	g.Close()
	if err != nil || string(got) != "still here" {
		c.Errorf("read through the reopened file: %q %v", got, err)
	}
	// A new open file description: its own offset, and it may write.
	w, err := os.OpenFile(link, os.O_WRONLY, 0)
	if err != nil {
		c.Errorf("reopen for writing: %v", err)
	} else {
		w.WriteAt([]byte("STILL"), 0)
		w.Close()
	}
	buf := make([]byte, 10)
	if n, _ := f.Read(buf); string(buf[:n]) != "STILL here" {
		c.Errorf("first file after the reopened one wrote: %q", buf[:n])
	}
	if st, err := os.Stat(link); err != nil || st.Size() != 10 || !st.Mode().IsRegular() {
		c.Errorf("stat through the link: %v %v", st, err)
	}
	cwd, _ := os.Getwd()
	if st, err := os.Stat("/proc/self/cwd"); err != nil || !st.IsDir() {
		c.Errorf("stat /proc/self/cwd: %v", err)
	} else if st0, _ := os.Stat(cwd); !os.SameFile(st, st0) {
		c.Errorf("/proc/self/cwd is not the working directory %s", cwd)
	}
}

func reopenDotAfterFile(c *t, d string) {
	name := filepath.Join(d, "plain")
	os.WriteFile(name, nil, 0o644)
	for _, p := range []string{name + "/.", name + "/..", name + "/"} {
		if _, err := os.Stat(p); !errors.Is(err, syscall.ENOTDIR) {
			c.Errorf("stat %s: %v, want ENOTDIR", p, err)
		}
	}
}

func reopenDanglingCreate(c *t, d string) {
	link := filepath.Join(d, "link")
	os.Symlink("target", link)
	if _, err := os.OpenFile(link, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); !errors.Is(err, syscall.EEXIST) {
		c.Errorf("O_CREAT|O_EXCL on a symlink: %v, want EEXIST", err)
	}
	if err := os.WriteFile(link, []byte("created"), 0o644); err != nil {
		c.Errorf("create through a symlink to nothing: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(d, "target")); err != nil || string(got) != "created" {
		c.Errorf("the link's target: %q %v", got, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		c.Errorf("the link itself: %v %v", fi, err)
	}
	if _, err := os.OpenFile(filepath.Join(d, "nodir-link"), os.O_CREATE|os.O_WRONLY, 0o644); err != nil {
		c.Errorf("plain create: %v", err)
	}
	os.Symlink("missing/target", filepath.Join(d, "deep"))
	if _, err := os.Create(filepath.Join(d, "deep")); !errors.Is(err, syscall.ENOENT) {
		c.Errorf("create through a link into a missing directory: %v, want ENOENT", err)
	}
}
