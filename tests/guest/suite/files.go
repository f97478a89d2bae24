package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
	"unsafe"
)

// Linux x86-64 numbers the frozen syscall package lacks.
const (
	sysPreadv        = 295
	sysPwritev       = 296
	sysRenameat2     = 316
	sysMemfdCreate   = 319
	sysCopyFileRange = 326
	renameNoreplace  = 1
	renameExchange   = 2
	atFdcwd          = -100
)

func init() {
	register("files", testFiles)
}

// testFiles exercises the file system calls Go's os package makes on the
// tmpfs root: files, directories, links, renames, attributes, statfs.
func testFiles(c *t) {
	dir, err := os.MkdirTemp("", "files")
	if err != nil {
		c.Errorf("MkdirTemp: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	filesReadWrite(c, dir)
	filesFlags(c, dir)
	filesRename(c, dir)
	filesDirs(c, dir)
	filesLinks(c, dir)
	filesAttrs(c, dir)
	filesVectors(c, dir)
}

func filesReadWrite(c *t, dir string) {
	p := filepath.Join(dir, "rw")
	f, err := os.Create(p)
	if err != nil {
		c.Errorf("create: %v", err)
		return
	}
	defer f.Close()
	data := bytes.Repeat([]byte("egg"), 5000)
	if n, err := f.Write(data); n != len(data) || err != nil {
		c.Errorf("write: %d %v", n, err)
	}
	if off, err := f.Seek(3, io.SeekStart); off != 3 || err != nil {
		c.Errorf("seek: %d %v", off, err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "eggegg" {
		c.Errorf("read after seek: %q %v", buf, err)
	}
	if err := f.Truncate(10); err != nil {
		c.Errorf("ftruncate: %v", err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != 10 {
		c.Errorf("size after truncate: %v %v", fi, err)
	}
	if err := os.Truncate(p, 8192); err != nil {
		c.Errorf("truncate: %v", err)
	}
	got, err := os.ReadFile(p)
	if err != nil || len(got) != 8192 || string(got[:10]) != "eggeggegge" || got[10] != 0 || got[8191] != 0 {
		c.Errorf("grown file: %d bytes, %v", len(got), err)
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, 20000); err != nil {
		c.Errorf("fallocate: %v", err)
	} else if fi, _ := f.Stat(); fi.Size() != 20000 {
		c.Errorf("fallocate size %d", fi.Size())
	}
	if err := syscall.Fallocate(int(f.Fd()), 1, 0, 40000); err != nil {
		c.Errorf("fallocate KEEP_SIZE: %v", err)
	} else if fi, _ := f.Stat(); fi.Size() != 20000 {
		c.Errorf("fallocate KEEP_SIZE changed size to %d", fi.Size())
	}
	if err := os.Remove(p); err != nil {
		c.Errorf("remove: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		c.Errorf("stat after remove: %v", err)
	}
	// The open file outlives its name.
	if _, err := f.WriteAt([]byte("still"), 0); err != nil {
		c.Errorf("write to unlinked file: %v", err)
	}
	// creat(2).
	p2 := filepath.Join(dir, "creat")
	pb, _ := syscall.BytePtrFromString(p2)
	fd, _, e := syscall.Syscall(syscall.SYS_CREAT, uintptr(unsafe.Pointer(pb)), 0640, 0)
	if e != 0 {
		c.Errorf("creat: %v", e)
	} else {
		syscall.Close(int(fd))
		if fi, err := os.Stat(p2); err != nil || fi.Mode().Perm() != 0640&^0022 && fi.Mode().Perm() != 0640 {
			c.Errorf("creat mode: %v %v", fi, err)
		}
	}
}

func filesFlags(c *t, dir string) {
	p := filepath.Join(dir, "append")
	os.WriteFile(p, []byte("one\n"), 0644)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		c.Errorf("open O_APPEND: %v", err)
		return
	}
	f.Seek(0, io.SeekStart)
	f.Write([]byte("two\n"))
	f.Close()
	if got, _ := os.ReadFile(p); string(got) != "one\ntwo\n" {
		c.Errorf("O_APPEND: %q", got)
	}
	if _, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0644); !errors.Is(err, fs.ErrExist) {
		c.Errorf("O_EXCL on an existing file: %v", err)
	}
	f, err = os.OpenFile(filepath.Join(dir, "excl"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0600)
	if err != nil {
		c.Errorf("O_EXCL on a new file: %v", err)
	} else {
		f.Close()
	}
	f, err = os.OpenFile(p, os.O_RDWR|os.O_TRUNC, 0)
	if err != nil {
		c.Errorf("O_TRUNC: %v", err)
	} else if fi, _ := f.Stat(); fi.Size() != 0 {
		c.Errorf("O_TRUNC left %d bytes", fi.Size())
	}
	f.Close()
}

func renameat2(old, new string, flags int) error {
	op, _ := syscall.BytePtrFromString(old)
	np, _ := syscall.BytePtrFromString(new)
	fd := atFdcwd
	_, _, e := syscall.Syscall6(sysRenameat2, uintptr(fd), uintptr(unsafe.Pointer(op)),
		uintptr(fd), uintptr(unsafe.Pointer(np)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

func filesRename(c *t, dir string) {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("A"), 0644)
	os.WriteFile(b, []byte("B"), 0644)
	if err := renameat2(a, b, renameNoreplace); err != syscall.EEXIST {
		c.Errorf("RENAME_NOREPLACE onto a file: %v", err)
	}
	if err := renameat2(a, b, renameExchange); err != nil {
		c.Errorf("RENAME_EXCHANGE: %v", err)
	}
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	if string(ga) != "B" || string(gb) != "A" {
		c.Errorf("after exchange: a=%q b=%q", ga, gb)
	}
	if err := os.Rename(a, b); err != nil {
		c.Errorf("rename over a file: %v", err)
	}
	if _, err := os.Stat(a); !errors.Is(err, fs.ErrNotExist) {
		c.Errorf("old name after rename: %v", err)
	}
	if got, _ := os.ReadFile(b); string(got) != "B" {
		c.Errorf("new name after rename: %q", got)
	}
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0755)
	os.WriteFile(filepath.Join(d, "f"), nil, 0644)
	if err := os.Rename(b, d); err == nil {
		c.Errorf("rename a file over a non-empty directory succeeded")
	}
	if err := os.Rename(d, filepath.Join(d, "sub")); err == nil {
		c.Errorf("rename a directory into itself succeeded")
	}
	if err := os.Rename(d, filepath.Join(dir, "d2")); err != nil {
		c.Errorf("rename a directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "d2", "f")); err != nil {
		c.Errorf("file in renamed directory: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "d2"), "/dev/moved"); !errors.Is(err, syscall.EXDEV) {
		c.Errorf("rename across mounts: %v", err)
	}
}

func filesDirs(c *t, dir string) {
	root := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(root, "x", "y"), 0755); err != nil {
		c.Errorf("MkdirAll: %v", err)
		return
	}
	want := []string{"."}
	for i := 0; i < 50; i++ {
		name := filepath.Join("x", "y", string(rune('a'+i%26))+string(rune('a'+i/26)))
		os.WriteFile(filepath.Join(root, name), []byte(name), 0644)
		want = append(want, name)
	}
	want = append(want, "x", filepath.Join("x", "y"))
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		got = append(got, rel)
		return nil
	})
	sort.Strings(got)
	sort.Strings(want)
	if err != nil || len(got) != len(want) {
		c.Errorf("WalkDir: %d entries (want %d), %v", len(got), len(want), err)
	} else {
		for i := range got {
			if got[i] != want[i] {
				c.Errorf("WalkDir: %q, want %q", got[i], want[i])
				break
			}
		}
	}
	ents, err := os.ReadDir(filepath.Join(root, "x"))
	if err != nil || len(ents) != 1 || ents[0].Name() != "y" || !ents[0].IsDir() {
		c.Errorf("ReadDir: %v %v", ents, err)
	}
	if err := os.Remove(filepath.Join(root, "x")); err == nil {
		c.Errorf("rmdir of a non-empty directory succeeded")
	}
	if err := syscall.Rmdir(filepath.Join(root, "x", "y", "aa")); err != syscall.ENOTDIR {
		c.Errorf("rmdir of a file: %v", err)
	}
	if err := syscall.Unlink(filepath.Join(root, "x")); err != syscall.EISDIR {
		c.Errorf("unlink of a directory: %v", err)
	}
	if err := os.Mkdir(root, 0755); !errors.Is(err, fs.ErrExist) {
		c.Errorf("mkdir of an existing directory: %v", err)
	}
	if err := os.RemoveAll(root); err != nil {
		c.Errorf("RemoveAll: %v", err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		c.Errorf("tree after RemoveAll: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0600); err != nil {
		c.Errorf("mkfifo: %v", err)
	} else if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		c.Errorf("fifo mode: %v %v", fi, err)
	}
}

func filesLinks(c *t, dir string) {
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("data"), 0644)
	sl := filepath.Join(dir, "sym")
	if err := os.Symlink("target", sl); err != nil {
		c.Errorf("symlink: %v", err)
	}
	if got, err := os.Readlink(sl); err != nil || got != "target" {
		c.Errorf("readlink: %q %v", got, err)
	}
	if got, err := os.ReadFile(sl); err != nil || string(got) != "data" {
		c.Errorf("read through symlink: %q %v", got, err)
	}
	if fi, err := os.Lstat(sl); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		c.Errorf("lstat symlink: %v %v", fi, err)
	}
	hl := filepath.Join(dir, "hard")
	if err := os.Link(target, hl); err != nil {
		c.Errorf("link: %v", err)
	}
	fi1, _ := os.Stat(target)
	fi2, err := os.Stat(hl)
	if err != nil || !os.SameFile(fi1, fi2) || fi2.Sys().(*syscall.Stat_t).Nlink != 2 {
		c.Errorf("hard link: same %v, err %v", os.SameFile(fi1, fi2), err)
	}
	os.Remove(target)
	if got, err := os.ReadFile(hl); err != nil || string(got) != "data" {
		c.Errorf("hard link after removing the first name: %q %v", got, err)
	}
	if _, err := os.Stat(sl); !errors.Is(err, fs.ErrNotExist) {
		c.Errorf("dangling symlink: %v", err)
	}
	if err := os.Link(dir, filepath.Join(dir, "dirlink")); err == nil {
		c.Errorf("hard link to a directory succeeded")
	}
	// linkat(AT_SYMLINK_FOLLOW) links the target, plain linkat the symlink.
	os.Symlink("hard", filepath.Join(dir, "sym2"))
	if err := linkat(filepath.Join(dir, "sym2"), filepath.Join(dir, "l-follow"), 0x400); err != nil {
		c.Errorf("linkat AT_SYMLINK_FOLLOW: %v", err)
	} else if fi, _ := os.Lstat(filepath.Join(dir, "l-follow")); fi == nil || !fi.Mode().IsRegular() {
		c.Errorf("linkat AT_SYMLINK_FOLLOW made %v", fi)
	}
	if err := linkat(filepath.Join(dir, "sym2"), filepath.Join(dir, "l-nofollow"), 0); err != nil {
		c.Errorf("linkat: %v", err)
	} else if fi, _ := os.Lstat(filepath.Join(dir, "l-nofollow")); fi == nil || fi.Mode()&fs.ModeSymlink == 0 {
		c.Errorf("linkat without FOLLOW made %v", fi)
	}
}

func linkat(old, new string, flags int) error {
	op, _ := syscall.BytePtrFromString(old)
	np, _ := syscall.BytePtrFromString(new)
	fd := atFdcwd
	_, _, e := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(fd), uintptr(unsafe.Pointer(op)),
		uintptr(fd), uintptr(unsafe.Pointer(np)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

func filesAttrs(c *t, dir string) {
	p := filepath.Join(dir, "attrs")
	os.WriteFile(p, []byte("x"), 0644)
	if err := os.Chmod(p, 0600); err != nil {
		c.Errorf("chmod: %v", err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0600 {
		c.Errorf("mode after chmod: %v", fi.Mode())
	}
	f, _ := os.Open(p)
	if err := f.Chmod(0640); err != nil {
		c.Errorf("fchmod: %v", err)
	}
	f.Close()
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0640 {
		c.Errorf("mode after fchmod: %v", fi.Mode())
	}
	if err := os.Chown(p, 1000, 1000); err != nil {
		c.Errorf("chown: %v", err)
	}
	if fi, _ := os.Stat(p); fi.Sys().(*syscall.Stat_t).Uid != 1000 {
		c.Errorf("uid after chown: %d", fi.Sys().(*syscall.Stat_t).Uid)
	}
	when := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	if err := os.Chtimes(p, when, when); err != nil {
		c.Errorf("chtimes: %v", err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(when) {
		c.Errorf("mtime after chtimes: %v", fi.ModTime())
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0x01021994 || st.Bsize != 4096 ||
		st.Blocks == 0 || st.Bfree > st.Blocks || st.Namelen != 255 {
		c.Errorf("statfs: %+v %v", st, err)
	}
	f, _ = os.Open(dir)
	if err := syscall.Fstatfs(int(f.Fd()), &st); err != nil || st.Type != 0x01021994 {
		c.Errorf("fstatfs: %+v %v", st, err)
	}
	f.Close()
}

func filesVectors(c *t, dir string) {
	f, err := os.Create(filepath.Join(dir, "vec"))
	if err != nil {
		c.Errorf("create: %v", err)
		return
	}
	defer f.Close()
	a, b := []byte("hello "), []byte("world")
	iov := []syscall.Iovec{{Base: &a[0], Len: uint64(len(a))}, {Base: &b[0], Len: uint64(len(b))}}
	n, _, e := syscall.Syscall6(sysPwritev, f.Fd(), uintptr(unsafe.Pointer(&iov[0])), 2, 100, 0, 0)
	if e != 0 || n != 11 {
		c.Errorf("pwritev: %d %v", n, e)
	}
	x, y := make([]byte, 3), make([]byte, 8)
	iov = []syscall.Iovec{{Base: &x[0], Len: 3}, {Base: &y[0], Len: 8}}
	n, _, e = syscall.Syscall6(sysPreadv, f.Fd(), uintptr(unsafe.Pointer(&iov[0])), 2, 100, 0, 0)
	if e != 0 || n != 11 || string(x)+string(y) != "hello world" {
		c.Errorf("preadv: %d %v %q %q", n, e, x, y)
	}
	if off, _ := f.Seek(0, io.SeekCurrent); off != 0 {
		c.Errorf("preadv moved the offset to %d", off)
	}
}
