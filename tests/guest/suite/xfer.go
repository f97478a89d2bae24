package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"
)

const (
	fAddSeals   = 1033
	fGetSeals   = 1034
	fSealSeal   = 1
	fSealShrink = 2
	fSealGrow   = 4
	fSealWrite  = 8
)

func init() {
	register("xfer", testXfer)
}

// testXfer covers memfd_create with seals and the in-kernel copies:
// copy_file_range (io.Copy between files), sendfile and splice.
func testXfer(c *t) {
	xferMemfd(c)
	xferCopies(c)
}

func memfd(c *t, name string, flags uintptr) *os.File {
	p, _ := syscall.BytePtrFromString(name)
	fd, _, e := syscall.Syscall(sysMemfdCreate, uintptr(unsafe.Pointer(p)), flags, 0)
	if e != 0 {
		c.Errorf("memfd_create: %v", e)
		return nil
	}
	return os.NewFile(fd, name)
}

func fcntl(fd uintptr, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, uintptr(cmd), uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func xferMemfd(c *t) {
	f := memfd(c, "egg", 0x1|0x2) // MFD_CLOEXEC | MFD_ALLOW_SEALING
	if f == nil {
		return
	}
	defer f.Close()
	if n, err := f.Write([]byte("memory file")); n != 11 || err != nil {
		c.Errorf("memfd write: %d %v", n, err)
	}
	if got, _ := os.Readlink("/proc/self/fd/" + itoa(int(f.Fd()))); got != "/memfd:egg (deleted)" {
		c.Errorf("memfd link %q", got)
	}
	if fl, _ := fcntl(f.Fd(), syscall.F_GETFD, 0); fl != syscall.FD_CLOEXEC {
		c.Errorf("MFD_CLOEXEC: F_GETFD %d", fl)
	}
	if s, err := fcntl(f.Fd(), fGetSeals, 0); s != 0 || err != nil {
		c.Errorf("initial seals %d %v", s, err)
	}
	if _, err := fcntl(f.Fd(), fAddSeals, fSealGrow|fSealShrink); err != nil {
		c.Errorf("add seals: %v", err)
	}
	if _, err := f.WriteAt([]byte("M"), 0); err != nil {
		c.Errorf("overwrite under GROW|SHRINK seals: %v", err)
	}
	if _, err := f.WriteAt([]byte("longer"), 10); err == nil {
		c.Errorf("write past the end under F_SEAL_GROW succeeded")
	}
	if err := f.Truncate(3); err == nil {
		c.Errorf("truncate under F_SEAL_SHRINK succeeded")
	}
	fcntl(f.Fd(), fAddSeals, fSealWrite|fSealSeal)
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		c.Errorf("write under F_SEAL_WRITE succeeded")
	}
	if _, err := fcntl(f.Fd(), fAddSeals, fSealShrink); err != syscall.EPERM {
		c.Errorf("adding a seal after F_SEAL_SEAL: %v", err)
	}
	buf := make([]byte, 11)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "Memory file" {
		c.Errorf("memfd read %q %v", buf, err)
	}
	g := memfd(c, "plain", 0)
	if g != nil {
		if _, err := fcntl(g.Fd(), fAddSeals, fSealWrite); err != syscall.EPERM {
			c.Errorf("sealing a memfd made without MFD_ALLOW_SEALING: %v", err)
		}
		g.Close()
	}
	r, _ := os.Open("/dev/null")
	if _, err := fcntl(r.Fd(), fGetSeals, 0); err != syscall.EINVAL {
		c.Errorf("F_GET_SEALS on a device: %v", err)
	}
	r.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }

func xferCopies(c *t) {
	dir := os.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 kB: several chunks
	src := filepath.Join(dir, "xsrc")
	os.WriteFile(src, data, 0644)
	defer os.Remove(src)
	// io.Copy between *os.File uses copy_file_range.
	in, _ := os.Open(src)
	outp := filepath.Join(dir, "xdst")
	out, _ := os.Create(outp)
	n, err := io.Copy(out, in)
	in.Close()
	out.Close()
	if got, _ := os.ReadFile(outp); err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
		c.Errorf("io.Copy file to file: %d %v", n, err)
	}
	os.Remove(outp)
	// copy_file_range with explicit offsets leaves the file positions alone.
	in, _ = os.Open(src)
	out, _ = os.Create(outp)
	offIn, offOut := int64(16), int64(0)
	r, _, e := syscall.Syscall6(sysCopyFileRange, in.Fd(), uintptr(unsafe.Pointer(&offIn)), out.Fd(),
		uintptr(unsafe.Pointer(&offOut)), 32, 0)
	if e != 0 || r != 32 || offIn != 48 || offOut != 32 {
		c.Errorf("copy_file_range: %d %v offsets %d %d", r, e, offIn, offOut)
	}
	if pos, _ := in.Seek(0, io.SeekCurrent); pos != 0 {
		c.Errorf("copy_file_range moved the input position to %d", pos)
	}
	// sendfile from an offset, to the output's own position.
	out.Seek(32, io.SeekStart)
	off := int64(100)
	if n, err := syscall.Sendfile(int(out.Fd()), int(in.Fd()), &off, 10); n != 10 || err != nil || off != 110 {
		c.Errorf("sendfile: %d %v off %d", n, err, off)
	}
	out.Close()
	if got, _ := os.ReadFile(outp); string(got) != string(data[16:48])+string(data[100:110]) {
		c.Errorf("after copy_file_range and sendfile: %q", got)
	}
	// splice: file -> pipe -> file.
	pr, pw, _ := os.Pipe()
	in.Seek(0, io.SeekStart)
	if n, err := syscall.Splice(int(in.Fd()), nil, int(pw.Fd()), nil, 4096, 0); n != 4096 || err != nil {
		c.Errorf("splice file to pipe: %d %v", n, err)
	}
	out, _ = os.Create(outp)
	var offOut2 int64 = 0
	if n, err := syscall.Splice(int(pr.Fd()), nil, int(out.Fd()), &offOut2, 4096, 0); n != 4096 || err != nil || offOut2 != 4096 {
		c.Errorf("splice pipe to file: %d %v off %d", n, err, offOut2)
	}
	out.Close()
	if got, _ := os.ReadFile(outp); !bytes.Equal(got, data[:4096]) {
		c.Errorf("splice result: %d bytes", len(got))
	}
	if _, err := syscall.Splice(int(in.Fd()), nil, int(in.Fd()), nil, 10, 0); err != syscall.EINVAL {
		c.Errorf("splice without a pipe: %v", err)
	}
	pr.Close()
	pw.Close()
	in.Close()
	os.Remove(outp)
}
