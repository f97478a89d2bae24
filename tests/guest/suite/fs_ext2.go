package main

// File system areas, run on tmpfs or on ext2 (EGG_FSDIR names the
// directory to work in, default /tmp; EGG_FSTYPE=ext2 adds ext2-only
// checks). Persistence and crash areas keep state across boots on a disk.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

func init() {
	register("fs", testFS)
	register("fswalk", testFSWalk)
	register("fsbig", testFSBig)
	register("fspersist", testFSPersist)
	register("fsimage", testFSImage)
	register("fscrash", testFSCrash)
	register("fsro", testFSReadOnly)
}

// testFSReadOnly runs on a read-only ext2 mount: reads work, every change
// fails with EROFS.
func testFSReadOnly(c *t) {
	d := os.Getenv("EGG_FSDIR")
	if got, err := os.ReadFile(filepath.Join(d, "hello.txt")); err != nil || string(got) != "hello from the host\n" {
		c.Errorf("read: %q %v", got, err)
	}
	checks := map[string]error{
		"create": os.WriteFile(filepath.Join(d, "new"), nil, 0o644),
		"mkdir":  os.Mkdir(filepath.Join(d, "newdir"), 0o755),
		"remove": os.Remove(filepath.Join(d, "hello.txt")),
		"rename": os.Rename(filepath.Join(d, "hello.txt"), filepath.Join(d, "x")),
		"chmod":  os.Chmod(filepath.Join(d, "hello.txt"), 0o600),
	}
	for what, err := range checks {
		if !errors.Is(err, syscall.EROFS) {
			c.Errorf("%s on a read-only mount: %v, want EROFS", what, err)
		}
	}
	if f, err := os.OpenFile(filepath.Join(d, "hello.txt"), os.O_WRONLY, 0); err == nil {
		_, err = f.Write([]byte("x"))
		f.Close()
		if !errors.Is(err, syscall.EROFS) {
			c.Errorf("write on a read-only mount: %v", err)
		}
	}
}

func fsDir(c *t, name string) string {
	base := os.Getenv("EGG_FSDIR")
	if base == "" {
		base = "/tmp"
	}
	d := filepath.Join(base, name)
	os.RemoveAll(d)
	if err := os.MkdirAll(d, 0o755); err != nil {
		c.Errorf("mkdir %s: %v", d, err)
	}
	return d
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// pattern is deterministic test data: byte i of stream seed.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func testFS(c *t) {
	d := fsDir(c, "fs")
	p := filepath.Join(d, "a.txt")

	// Create, write, read, seek.
	if err := os.WriteFile(p, []byte("hello, world"), 0o644); err != nil {
		c.Errorf("write: %v", err)
		return
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		c.Errorf("open: %v", err)
		return
	}
	if off, err := f.Seek(7, io.SeekStart); off != 7 || err != nil {
		c.Errorf("seek: %d %v", off, err)
	}
	f.Write([]byte("EGGOS"))
	buf := make([]byte, 5)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "hello" {
		c.Errorf("readat: %q %v", buf, err)
	}
	// Truncate shorter, then longer: the new bytes read as zeros.
	if err := f.Truncate(3); err != nil {
		c.Errorf("truncate: %v", err)
	}
	f.Truncate(10)
	f.Close()
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, []byte("hel\x00\x00\x00\x00\x00\x00\x00")) {
		c.Errorf("after truncates: %q", got)
	}

	// Sparse: a write far past the end leaves a hole of zeros.
	sp := filepath.Join(d, "sparse")
	g, _ := os.Create(sp)
	g.WriteAt([]byte("end"), 5<<20)
	g.Close()
	if st, err := os.Stat(sp); err != nil || st.Size() != 5<<20+3 {
		c.Errorf("sparse size: %v %v", st, err)
	} else if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Blocks*512 > 1<<20 {
		c.Errorf("sparse file uses %d blocks", sys.Blocks)
	}
	g, _ = os.Open(sp)
	mid := make([]byte, 4096)
	g.ReadAt(mid, 3<<20)
	g.Close()
	if !bytes.Equal(mid, make([]byte, 4096)) {
		c.Errorf("hole does not read as zeros")
	}

	// O_APPEND and O_EXCL.
	ap := filepath.Join(d, "append")
	for _, s := range []string{"one ", "two"} {
		h, err := os.OpenFile(ap, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			c.Errorf("open append: %v", err)
			break
		}
		h.WriteAt([]byte("x"), 0) // Go refuses WriteAt on O_APPEND files
		h.Write([]byte(s))
		h.Close()
	}
	if got, _ := os.ReadFile(ap); string(got) != "one two" {
		c.Errorf("append: %q", got)
	}
	if _, err := os.OpenFile(ap, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); !os.IsExist(err) {
		c.Errorf("O_EXCL on an existing file: %v", err)
	}

	// Rename, also over an existing file; remove.
	if err := os.Rename(p, filepath.Join(d, "b.txt")); err != nil {
		c.Errorf("rename: %v", err)
	}
	if err := os.Rename(filepath.Join(d, "b.txt"), ap); err != nil {
		c.Errorf("rename over: %v", err)
	}
	if got, _ := os.ReadFile(ap); len(got) != 10 {
		c.Errorf("renamed-over file has %d bytes", len(got))
	}
	if _, err := os.Stat(filepath.Join(d, "b.txt")); !os.IsNotExist(err) {
		c.Errorf("old name still there: %v", err)
	}

	// Directories.
	if err := os.MkdirAll(filepath.Join(d, "x/y/z"), 0o755); err != nil {
		c.Errorf("mkdirall: %v", err)
	}
	os.WriteFile(filepath.Join(d, "x/y/z/f"), []byte("f"), 0o644)
	if err := os.Remove(filepath.Join(d, "x/y")); err == nil {
		c.Errorf("removing a non-empty directory succeeded")
	}
	if err := os.Rename(filepath.Join(d, "x/y"), filepath.Join(d, "y")); err != nil {
		c.Errorf("rename dir: %v", err)
	}
	if err := os.Rename(filepath.Join(d, "y"), filepath.Join(d, "y/z/inside")); err == nil {
		c.Errorf("moving a directory into itself succeeded")
	}
	if got, err := os.ReadFile(filepath.Join(d, "y/z/f")); err != nil || string(got) != "f" {
		c.Errorf("file in moved dir: %q %v", got, err)
	}
	if err := os.RemoveAll(filepath.Join(d, "y")); err != nil {
		c.Errorf("removeall: %v", err)
	}
	ents, err := os.ReadDir(d)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if err != nil || fmt.Sprint(names) != "[append sparse x]" {
		c.Errorf("readdir: %v %v", names, err)
	}

	// Symlinks, short and long; hard links.
	long := "target-" + string(bytes.Repeat([]byte("l"), 100))
	os.WriteFile(filepath.Join(d, long), []byte("via long link"), 0o644)
	for _, target := range []string{"append", long} {
		l := filepath.Join(d, "link-"+strconv.Itoa(len(target)))
		if err := os.Symlink(target, l); err != nil {
			c.Errorf("symlink: %v", err)
			continue
		}
		if got, err := os.Readlink(l); err != nil || got != target {
			c.Errorf("readlink: %q %v", got, err)
		}
		if st, err := os.Lstat(l); err != nil || st.Mode()&os.ModeSymlink == 0 {
			c.Errorf("lstat of a symlink: %v %v", st, err)
		}
		if _, err := os.ReadFile(l); err != nil {
			c.Errorf("read through symlink: %v", err)
		}
	}
	hl := filepath.Join(d, "hard")
	if err := os.Link(ap, hl); err != nil {
		c.Errorf("link: %v", err)
	}
	s1, _ := os.Stat(ap)
	s2, _ := os.Stat(hl)
	if !os.SameFile(s1, s2) || s1.Sys().(*syscall.Stat_t).Nlink != 2 {
		c.Errorf("hard link: same %v nlink %d", os.SameFile(s1, s2), s1.Sys().(*syscall.Stat_t).Nlink)
	}
	os.Remove(ap)
	if got, _ := os.ReadFile(hl); len(got) != 10 {
		c.Errorf("data gone with one of two links")
	}

	// An open file outlives its name.
	h, _ := os.Create(filepath.Join(d, "open"))
	os.Remove(filepath.Join(d, "open"))
	h.Write([]byte("still here"))
	h.Seek(0, io.SeekStart)
	if got, _ := io.ReadAll(h); string(got) != "still here" {
		c.Errorf("unlinked open file: %q", got)
	}
	h.Close()

	// Permissions and times.
	os.Chmod(hl, 0o640)
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(hl, mt, mt)
	if st, _ := os.Stat(hl); st.Mode().Perm() != 0o640 || !st.ModTime().Equal(mt) {
		c.Errorf("chmod/chtimes: %v %v", st.Mode(), st.ModTime())
	}
	if len(long) > 0 && os.Getenv("EGG_FSTYPE") == "ext2" {
		var sfs syscall.Statfs_t
		if err := syscall.Statfs(d, &sfs); err != nil || sfs.Type != 0xef53 || sfs.Bfree == 0 {
			c.Errorf("statfs: type %#x free %d err %v", sfs.Type, sfs.Bfree, err)
		}
		if len(long) > 255 {
			c.Errorf("unreachable")
		}
		if err := os.WriteFile(filepath.Join(d, string(bytes.Repeat([]byte("n"), 256))), nil, 0o644); err == nil {
			c.Errorf("a 256-byte name was accepted")
		}
	}
	os.RemoveAll(d)
}

// testFSWalk creates EGG_WALK_N files (default 10,000) in directories of
// 100, walks them with filepath.WalkDir, and removes them.
func testFSWalk(c *t) {
	d := fsDir(c, "walk")
	n := envInt("EGG_WALK_N", 10000)
	start := time.Now()
	for i := 0; i < n; i++ {
		sub := filepath.Join(d, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.Mkdir(sub, 0o755); err != nil {
				c.Errorf("mkdir: %v", err)
				return
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d", i)), []byte(strconv.Itoa(i)), 0o644); err != nil {
			c.Errorf("create %d: %v", i, err)
			return
		}
	}
	created := time.Since(start)
	files, dirs := 0, 0
	err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			dirs++
		} else {
			files++
		}
		return nil
	})
	if err != nil || files != n || dirs != (n+99)/100+1 {
		c.Errorf("walk: %d files %d dirs, err %v", files, dirs, err)
	}
	walked := time.Since(start) - created
	if err := os.RemoveAll(d); err != nil {
		c.Errorf("removeall: %v", err)
	}
	c.Logf("%d files: create %v, walk %v, remove %v", n, created, walked, time.Since(start)-created-walked)
}

// testFSBig writes EGG_BIG_MB MiB (default 64), syncs, and reads it back
// comparing SHA-256 digests.
func testFSBig(c *t) {
	d := fsDir(c, "big")
	mb := envInt("EGG_BIG_MB", 64)
	p := filepath.Join(d, "big.bin")
	f, err := os.Create(p)
	if err != nil {
		c.Errorf("create: %v", err)
		return
	}
	h := sha256.New()
	chunk := pattern(7, 1<<20)
	start := time.Now()
	for i := 0; i < mb; i++ {
		chunk[0] = byte(i) // every MiB differs
		h.Write(chunk)
		if _, err := f.Write(chunk); err != nil {
			c.Errorf("write MiB %d: %v", i, err)
			return
		}
	}
	if err := f.Sync(); err != nil {
		c.Errorf("fsync: %v", err)
	}
	f.Close()
	wrote := time.Since(start)
	want := h.Sum(nil)
	g, _ := os.Open(p)
	h2 := sha256.New()
	n, err := io.Copy(h2, g)
	g.Close()
	read := time.Since(start) - wrote
	if err != nil || n != int64(mb)<<20 || !bytes.Equal(h2.Sum(nil), want) {
		c.Errorf("read back %d bytes (err %v): sha256 %x, want %x", n, err, h2.Sum(nil), want)
	}
	c.Logf("%d MiB: write+fsync %v (%.1f MB/s), read %v (%.1f MB/s), sha256 %s", mb, wrote,
		float64(mb)/wrote.Seconds(), read, float64(mb)/read.Seconds(), hex.EncodeToString(want)[:16])
	os.Remove(p)
}

// testFSPersist with EGG_PHASE=write leaves files on the disk (fsync'd);
// with EGG_PHASE=check, after a power cycle, it checks them.
func testFSPersist(c *t) {
	base := os.Getenv("EGG_FSDIR")
	d := filepath.Join(base, "persist")
	files := map[string][]byte{
		"small.txt":      []byte("survives a reboot\n"),
		"dir/sub/mid":    pattern(1, 70000),
		"dir/large.bin":  pattern(2, 5<<20),
		"dir/sub/empty":  nil,
		"tree/a/b/c/d/e": []byte("deep"),
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	switch os.Getenv("EGG_PHASE") {
	case "write":
		os.RemoveAll(d)
		for _, n := range names {
			p := filepath.Join(d, n)
			os.MkdirAll(filepath.Dir(p), 0o755)
			f, err := os.Create(p)
			if err == nil {
				_, err = f.Write(files[n])
			}
			if err == nil {
				err = f.Sync()
			}
			if err != nil {
				c.Errorf("%s: %v", n, err)
			}
			f.Close()
		}
		os.Symlink("small.txt", filepath.Join(d, "link"))
		os.Link(filepath.Join(d, "small.txt"), filepath.Join(d, "hard"))
		os.Remove(filepath.Join(d, "tree/a/b/c/d/e"))
		os.Remove(filepath.Join(d, "tree/a/b/c/d"))
		syscall.Sync()
	case "check":
		for _, n := range names {
			got, err := os.ReadFile(filepath.Join(d, n))
			if n == "tree/a/b/c/d/e" {
				if !os.IsNotExist(err) {
					c.Errorf("removed file is back: %v", err)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, files[n]) {
				c.Errorf("%s: %d bytes, err %v", n, len(got), err)
			}
		}
		if l, err := os.Readlink(filepath.Join(d, "link")); err != nil || l != "small.txt" {
			c.Errorf("symlink: %q %v", l, err)
		}
		if st, err := os.Stat(filepath.Join(d, "hard")); err != nil || st.Sys().(*syscall.Stat_t).Nlink != 2 {
			c.Errorf("hard link: %v", err)
		}
	default:
		c.Errorf("EGG_PHASE must be write or check")
	}
}

// testFSImage checks what the host's mke2fs -d put on the disk
// (tests/storage_test.go makes it).
func testFSImage(c *t) {
	d := os.Getenv("EGG_FSDIR")
	if got, err := os.ReadFile(filepath.Join(d, "hello.txt")); err != nil || string(got) != "hello from the host\n" {
		c.Errorf("hello.txt: %q %v", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(d, "sub/deep/data.bin")); err != nil || !bytes.Equal(got, pattern(3, 3<<20)) {
		c.Errorf("data.bin: %d bytes, %v", len(got), err)
	}
	if l, err := os.Readlink(filepath.Join(d, "link")); err != nil || l != "hello.txt" {
		c.Errorf("link: %q %v", l, err)
	}
	if st, err := os.Stat(filepath.Join(d, "script.sh")); err != nil || st.Mode().Perm() != 0o755 {
		c.Errorf("script.sh mode: %v %v", st, err)
	}
	ents, err := os.ReadDir(filepath.Join(d, "many"))
	if err != nil || len(ents) != 500 {
		c.Errorf("many: %d entries, %v", len(ents), err)
	}
}

// testFSCrash writes 64 KiB files forever, printing "SYNCED n" after file
// n is fsync'd; the host kills the machine meanwhile. With EGG_CRASH_N
// set it instead checks the fsync'd files up to N.
func testFSCrash(c *t) {
	d := filepath.Join(os.Getenv("EGG_FSDIR"), "crash")
	if n, err := strconv.Atoi(os.Getenv("EGG_CRASH_N")); err == nil {
		for i := 0; i <= n; i += 2 { // the fsync'd ones
			got, err := os.ReadFile(filepath.Join(d, strconv.Itoa(i)))
			if err != nil || !bytes.Equal(got, pattern(i, 64<<10)) {
				c.Errorf("file %d: %d bytes, %v", i, len(got), err)
			}
		}
		return
	}
	os.MkdirAll(d, 0o755)
	for i := 0; ; i++ {
		f, err := os.Create(filepath.Join(d, strconv.Itoa(i)))
		if err != nil {
			c.Errorf("create: %v", err)
			return
		}
		f.Write(pattern(i, 64<<10))
		if i%2 == 0 {
			// Odd files are not synced: they may or may not survive.
			if err := f.Sync(); err != nil {
				c.Errorf("fsync: %v", err)
				return
			}
			fmt.Printf("SYNCED %d\n", i)
		}
		f.Close()
	}
}
