package main

// File mappings (docs/vfs.md, "File mappings"): mmap of tmpfs, memfd and
// ext2 files, shared and private, msync, SIGBUS past the end of the file,
// and the errors Linux gives. The "mmap" area works in EGG_FSDIR (tmpfs
// by default, ext2 when a storage test sets it); "mmappersist" stores
// through shared mappings on a disk and checks the bytes after a reboot.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const (
	msAsync = 1
	msSync  = 4
)

func init() {
	register("mmap", testMmap)
	register("mmappersist", testMmapPersist)
	register("mmapfsync", testMmapFsync)
}

func msync(b []byte, flags uintptr) error {
	_, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), flags)
	if e != 0 {
		return e
	}
	return nil
}

// mmapFile creates name with data and maps its first size bytes.
func mmapFile(c *t, name string, data []byte, size, prot, flags int) (*os.File, []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		c.Errorf("write %s: %v", name, err)
		return nil, nil
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		c.Errorf("open %s: %v", name, err)
		return nil, nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, prot, flags)
	if err != nil {
		c.Errorf("mmap %s: %v", name, err)
		f.Close()
		return nil, nil
	}
	return f, m
}

func testMmap(c *t) {
	d := fsDir(c, "mmap")
	mmapRead(c, d)
	mmapShared(c, d)
	mmapPrivate(c, d)
	mmapPastEnd(c, d)
	mmapErrors(c, d)
	mmapMemfd(c)
}

// A read-only mapping shows the file; /proc/self/maps names it.
func mmapRead(c *t, d string) {
	name := filepath.Join(d, "read")
	data := pattern(3, 3*4096+100)
	f, m := mmapFile(c, name, data, len(data), syscall.PROT_READ, syscall.MAP_SHARED)
	if m == nil {
		return
	}
	defer f.Close()
	if !bytes.Equal(m, data) {
		c.Errorf("read mapping differs from the file")
	}
	maps, _ := os.ReadFile("/proc/self/maps")
	if !strings.Contains(string(maps), name) {
		c.Errorf("/proc/self/maps does not name %s", name)
	}
	if err := syscall.Munmap(m); err != nil {
		c.Errorf("munmap: %v", err)
	}
}

// Stores through a shared mapping reach the file (msync, munmap), write()
// reaches the mapping, and two shared mappings see each other.
func mmapShared(c *t, d string) {
	name := filepath.Join(d, "shared")
	data := pattern(4, 2*4096)
	f, m := mmapFile(c, name, data, len(data), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if m == nil {
		return
	}
	defer f.Close()
	copy(m[10:], "through the mapping")
	if err := msync(m, msSync); err != nil {
		c.Errorf("msync: %v", err)
	}
	got := make([]byte, 19)
	if _, err := f.ReadAt(got, 10); err != nil || string(got) != "through the mapping" {
		c.Errorf("read after msync: %q %v", got, err)
	}
	if _, err := f.WriteAt([]byte("by write"), 5000); err != nil {
		c.Errorf("pwrite: %v", err)
	}
	if string(m[5000:5008]) != "by write" {
		c.Errorf("mapping after write(): %q", m[5000:5008])
	}
	m2, err := syscall.Mmap(int(f.Fd()), 4096, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		c.Errorf("mmap at offset 4096: %v", err)
	} else {
		m2[0] = 'X'
		if m[4096] != 'X' {
			c.Errorf("second shared mapping not seen by the first")
		}
		syscall.Munmap(m2)
	}
	// mremap keeps the file behind the moved mapping.
	r, _, e := syscall.Syscall6(syscall.SYS_MREMAP, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)),
		uintptr(len(m)), 1 /* MREMAP_MAYMOVE */, 0, 0)
	if e != 0 {
		c.Errorf("mremap: %v", e)
	}
	var moved unsafe.Pointer
	*(*uintptr)(unsafe.Pointer(&moved)) = r // memory the Go heap does not own
	m = unsafe.Slice((*byte)(moved), len(data))
	copy(m[8000:], "after munmap")
	if err := syscall.Munmap(m); err != nil {
		c.Errorf("munmap: %v", err)
	}
	got = make([]byte, 12)
	if _, err := f.ReadAt(got, 8000); err != nil || string(got) != "after munmap" {
		c.Errorf("read after munmap: %q %v", got, err)
	}
	// Anonymous shared memory: msync has nothing to do; left mapped, it goes
	// with the address space at exit like the file mappings.
	if a, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANON); err == nil {
		a[0] = 1
		if err := msync(a, msAsync); err != nil {
			c.Errorf("msync of anonymous memory: %v", err)
		}
	} else {
		c.Errorf("mmap MAP_SHARED|MAP_ANON: %v", err)
	}
}

// MAP_PRIVATE: the process's stores stay its own, even after mprotect
// makes a page read before writable.
func mmapPrivate(c *t, d string) {
	name := filepath.Join(d, "private")
	data := pattern(5, 2*4096)
	f, m := mmapFile(c, name, data, len(data), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if m == nil {
		return
	}
	defer f.Close()
	copy(m[100:], "private")
	if string(m[100:107]) != "private" {
		c.Errorf("private store not visible to its own mapping")
	}
	p, err := syscall.Mmap(int(f.Fd()), 0, len(data), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		c.Errorf("mmap private read-only: %v", err)
	} else {
		if p[5000] != data[5000] { // mapped read-only first...
			c.Errorf("private mapping differs from the file")
		}
		if err := syscall.Mprotect(p, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
			c.Errorf("mprotect: %v", err)
		}
		p[5000] = data[5000] + 1 // ...then written: copied, not the file's page
		syscall.Munmap(p)
	}
	if err := msync(m, msSync); err != nil {
		c.Errorf("msync private: %v", err)
	}
	syscall.Munmap(m)
	got, _ := os.ReadFile(name)
	if !bytes.Equal(got, data) {
		c.Errorf("MAP_PRIVATE stores reached the file")
	}
}

// The rest of the last page reads as zeros; a page wholly past the end of
// the file raises SIGBUS (a panic with the address under SetPanicOnFault).
func mmapPastEnd(c *t, d string) {
	name := filepath.Join(d, "short")
	f, m := mmapFile(c, name, []byte("short"), 3*4096, syscall.PROT_READ, syscall.MAP_SHARED)
	if m == nil {
		return
	}
	defer f.Close()
	defer syscall.Munmap(m)
	if string(m[:5]) != "short" || m[5] != 0 || m[4095] != 0 {
		c.Errorf("last page: %q, tail %d %d", m[:5], m[5], m[4095])
	}
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	var addr uintptr
	func() {
		defer func() {
			if a, ok := recover().(interface{ Addr() uintptr }); ok {
				addr = a.Addr()
			}
		}()
		mmapSink = m[2*4096+8]
	}()
	if want := uintptr(unsafe.Pointer(&m[2*4096+8])); addr != want {
		c.Errorf("access past the end of the file: fault at %#x, want SIGBUS at %#x", addr, want)
	}
	// Growing the file makes the page readable.
	if err := f.Truncate(3 * 4096); err != nil {
		c.Errorf("truncate: %v", err)
	} else if m[2*4096+8] != 0 {
		c.Errorf("page after growing the file: %d", m[2*4096+8])
	}
	// Shrinking it again takes mapped pages away (SIGBUS) and zeroes the
	// rest of the new last page.
	m2, err := syscall.Mmap(int(f.Fd()), 0, 3*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		c.Errorf("mmap read-write: %v", err)
		return
	}
	defer syscall.Munmap(m2)
	m2[2*4096] = 1
	m2[100] = 2
	f.Truncate(50)
	if m[100] != 0 || string(m[:5]) != "short" {
		c.Errorf("last page after shrinking: %q, byte 100 = %d", m[:5], m[100])
	}
	addr = 0
	func() {
		defer func() {
			if a, ok := recover().(interface{ Addr() uintptr }); ok {
				addr = a.Addr()
			}
		}()
		mmapSink = m2[2*4096]
	}()
	if want := uintptr(unsafe.Pointer(&m2[2*4096])); addr != want {
		c.Errorf("access to a page truncated away: fault at %#x, want SIGBUS at %#x", addr, want)
	}
}

var mmapSink byte // loads stored here are not optimized away

func mmapErrors(c *t, d string) {
	name := filepath.Join(d, "errors")
	os.WriteFile(name, pattern(6, 4096), 0o644)
	try := func(what string, fd, off, prot, flags int, want error) {
		m, err := syscall.Mmap(fd, int64(off), 4096, prot, flags)
		if err == nil {
			syscall.Munmap(m)
		}
		if !errors.Is(err, want) {
			c.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	ro, _ := os.Open(name)
	wo, _ := os.OpenFile(name, os.O_WRONLY, 0)
	pr, pw, _ := os.Pipe()
	defer func() { ro.Close(); wo.Close(); pr.Close(); pw.Close() }()
	rw := syscall.PROT_READ | syscall.PROT_WRITE
	try("shared writable on O_RDONLY", int(ro.Fd()), 0, rw, syscall.MAP_SHARED, syscall.EACCES)
	try("O_WRONLY", int(wo.Fd()), 0, syscall.PROT_READ, syscall.MAP_SHARED, syscall.EACCES)
	try("pipe", int(pr.Fd()), 0, syscall.PROT_READ, syscall.MAP_SHARED, syscall.ENODEV)
	try("directory", dirFd(c, d), 0, syscall.PROT_READ, syscall.MAP_SHARED, syscall.ENODEV)
	try("unaligned offset", int(ro.Fd()), 100, syscall.PROT_READ, syscall.MAP_SHARED, syscall.EINVAL)
	try("closed fd", 1000, 0, syscall.PROT_READ, syscall.MAP_SHARED, syscall.EBADF)
	// Private writable mappings of a read-only fd are fine: stores stay private.
	if m, err := syscall.Mmap(int(ro.Fd()), 0, 4096, rw, syscall.MAP_PRIVATE); err != nil {
		c.Errorf("private writable on O_RDONLY: %v", err)
	} else {
		m[0]++
		syscall.Munmap(m)
	}
}

func dirFd(c *t, d string) int {
	fd, err := syscall.Open(d, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		c.Errorf("open %s: %v", d, err)
	}
	return fd
}

// memfd: a shared mapping and read() see the same bytes; a write seal
// forbids shared writable mappings.
func mmapMemfd(c *t) {
	f := memfd(c, "mapped", 0x1|0x2)
	if f == nil {
		return
	}
	defer f.Close()
	f.Truncate(8192)
	m, err := syscall.Mmap(int(f.Fd()), 0, 8192, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		c.Errorf("mmap memfd: %v", err)
		return
	}
	copy(m[4096:], "memfd page")
	got := make([]byte, 10)
	if _, err := f.ReadAt(got, 4096); err != nil || string(got) != "memfd page" {
		c.Errorf("memfd read: %q %v", got, err)
	}
	syscall.Munmap(m)
	fcntl(f.Fd(), fAddSeals, fSealWrite)
	if _, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED); err != syscall.EPERM {
		c.Errorf("shared writable mapping of a write-sealed memfd: %v, want EPERM", err)
	}
}

// testMmapPersist: phase "write" stores through shared mappings (one file
// synced by msync, one only unmapped, one left mapped at exit); phase
// "check" (after a reboot) finds the bytes on the disk.
func testMmapPersist(c *t) {
	d := filepath.Join(os.Getenv("EGG_FSDIR"), "mmappersist")
	size := 3*4096 + 10
	want := func(i int) []byte {
		b := pattern(7+i, size)
		copy(b[4096+7:], "stored through a mapping")
		return b
	}
	switch os.Getenv("EGG_PHASE") {
	case "write":
		os.RemoveAll(d)
		os.MkdirAll(d, 0o755)
		for i, how := range []string{"msync", "munmap", "exit"} {
			f, m := mmapFile(c, filepath.Join(d, how), pattern(7+i, size), size,
				syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
			if m == nil {
				return
			}
			copy(m[4096+7:], "stored through a mapping")
			switch how {
			case "msync":
				if err := msync(m, msSync); err != nil {
					c.Errorf("msync: %v", err)
				}
			case "munmap":
				syscall.Munmap(m)
			}
			f.Close()
		}
		// "exit" stays mapped: the end of the run writes it back.
	case "check":
		for i, how := range []string{"msync", "munmap", "exit"} {
			got, err := os.ReadFile(filepath.Join(d, how))
			if err != nil || !bytes.Equal(got, want(i)) {
				c.Errorf("%s: %d bytes, err %v, stored bytes present: %v", how, len(got), err,
					bytes.Contains(got, []byte("stored through a mapping")))
			}
		}
	default:
		c.Errorf("EGG_PHASE must be write or check")
	}
}

// testMmapFsync: without EGG_PHASE=check, store through a shared mapping,
// fsync the file (no msync, no munmap), say "MMAP FSYNCED" and wait for
// the host to cut the power; with it, the stored bytes must be on the disk.
func testMmapFsync(c *t) {
	name := filepath.Join(os.Getenv("EGG_FSDIR"), "mmapfsync")
	want := pattern(9, 2*4096)
	copy(want[4096+3:], "fsync took it")
	if os.Getenv("EGG_PHASE") == "check" {
		if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want) {
			c.Errorf("after the power cut: %d bytes, err %v, stored bytes present: %v", len(got), err,
				bytes.Contains(got, []byte("fsync took it")))
		}
		return
	}
	f, m := mmapFile(c, name, pattern(9, 2*4096), 2*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if m == nil {
		return
	}
	syscall.Sync() // the file itself is on the disk; only the store is not
	copy(m[4096+3:], "fsync took it")
	if err := f.Sync(); err != nil {
		c.Errorf("fsync: %v", err)
		return
	}
	fmt.Println("MMAP FSYNCED")
	time.Sleep(time.Hour) // the mapping stays: only fsync can have written the store
}
