package main

// The vDSO: the kernel names it in the auxiliary vector (AT_SYSINFO_EHDR),
// shows it in /proc/self/maps, and its clock reads agree with the system
// calls. "vdsoloop" is the loop TestVDSOStrace counts system calls of.

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func init() {
	register("vdso", testVDSO)
	register("vdsoloop", testVDSOLoop)
}

const atSysinfoEhdr = 33

// vdsoCall2 calls fn(a, b) with the C calling convention (vdso_amd64.s).
func vdsoCall2(fn, a, b uintptr) int64

// vdsoBase is AT_SYSINFO_EHDR from /proc/self/auxv, or 0.
func vdsoBase(c *t) uintptr {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		c.Errorf("read /proc/self/auxv: %v", err)
		return 0
	}
	for i := 0; i+16 <= len(b); i += 16 {
		if binary.LittleEndian.Uint64(b[i:]) == atSysinfoEhdr {
			return uintptr(binary.LittleEndian.Uint64(b[i+8:]))
		}
	}
	return 0
}

// mapsLine returns the /proc/self/maps line naming name, and its range.
func mapsLine(c *t, name string) (string, uintptr, uintptr) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		c.Errorf("open maps: %v", err)
		return "", 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasSuffix(line, name) {
			continue
		}
		rng := strings.SplitN(strings.Fields(line)[0], "-", 2)
		lo, _ := strconv.ParseUint(rng[0], 16, 64)
		hi, _ := strconv.ParseUint(rng[1], 16, 64)
		return line, uintptr(lo), uintptr(hi)
	}
	return "", 0, 0
}

// vdsoSymbol finds name among the vDSO's dynamic symbols; 0 if absent.
func vdsoSymbol(c *t, base, end uintptr, name string) uintptr {
	image := make([]byte, end-base)
	copy(image, unsafe.Slice((*byte)(unsafePointer(base)), end-base))
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		c.Errorf("the vDSO is not an ELF file: %v", err)
		return 0
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		c.Errorf("vDSO symbols: %v", err)
		return 0
	}
	for _, s := range syms {
		if s.Name == name {
			return base + uintptr(s.Value)
		}
	}
	c.Errorf("vDSO lacks %s", name)
	return 0
}

func tsNs(ts *syscall.Timespec) int64 { return ts.Sec*1e9 + ts.Nsec }

func sysClock(id int) (int64, syscall.Errno) {
	var ts syscall.Timespec
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(id), uintptr(unsafe.Pointer(&ts)), 0)
	return tsNs(&ts), e
}

func testVDSO(c *t) {
	base := vdsoBase(c)
	if base == 0 {
		c.Errorf("no AT_SYSINFO_EHDR in the auxiliary vector")
		return
	}
	if m := unsafe.Slice((*byte)(unsafePointer(base)), 4); string(m) != "\x7fELF" {
		c.Errorf("AT_SYSINFO_EHDR %#x: % x, not an ELF header", base, m)
		return
	}
	line, lo, hi := mapsLine(c, "[vdso]")
	if lo != base || !strings.Contains(line, " r-x") {
		c.Errorf("maps: [vdso] line %q, want r-x at %#x", line, base)
		return
	}
	vline, vlo, vhi := mapsLine(c, "[vvar]")
	if vhi != base || vlo >= vhi || !strings.Contains(vline, " r--") {
		c.Errorf("maps: [vvar] line %q, want r-- just below %#x", vline, base)
	}
	// The vDSO's pages are shared by every process: never writable.
	if err := syscall.Mprotect(unsafe.Slice((*byte)(unsafePointer(lo)), hi-lo),
		syscall.PROT_READ|syscall.PROT_WRITE); err != syscall.EACCES {
		c.Errorf("mprotect(vdso, rw) = %v, want EACCES", err)
	}
	gettime := vdsoSymbol(c, lo, hi, "__vdso_clock_gettime")
	gettimeofday := vdsoSymbol(c, lo, hi, "__vdso_gettimeofday")
	if gettime == 0 || gettimeofday == 0 {
		return
	}

	// Every clock the vDSO answers reads between two system calls, and the
	// ones it does not answer fall back to the system call.
	for _, id := range []int{0, 1, 2, 3, 4, 5, 6, 7, 11} {
		var ts syscall.Timespec
		before, _ := sysClock(id)
		r := vdsoCall2(gettime, uintptr(id), uintptr(unsafe.Pointer(&ts)))
		after, _ := sysClock(id)
		v := tsNs(&ts)
		if r != 0 || v < before || v > after || after-before > int64(time.Second) {
			c.Errorf("clock %d: vDSO %d (ret %d), syscalls %d and %d", id, v, r, before, after)
		}
	}
	var ts syscall.Timespec
	if r := vdsoCall2(gettime, 99, uintptr(unsafe.Pointer(&ts))); r != -int64(syscall.EINVAL) {
		c.Errorf("vDSO clock_gettime(99) = %d, want -EINVAL", r)
	}
	var tv syscall.Timeval
	var before syscall.Timeval
	syscall.Gettimeofday(&before)
	if r := vdsoCall2(gettimeofday, uintptr(unsafe.Pointer(&tv)), 0); r != 0 ||
		tv.Nano() < before.Nano() || tv.Nano()-before.Nano() > int64(time.Second) {
		c.Errorf("vDSO gettimeofday %v (ret %d) vs syscall %v", tv, r, before)
	}

	// time.Now uses the vDSO: it agrees with the system call.
	s1, _ := sysClock(0)
	now := time.Now().UnixNano()
	s2, _ := sysClock(0)
	if now < s1 || now > s2 {
		c.Errorf("time.Now %d outside system calls %d..%d", now, s1, s2)
	}

	// The monotonic clock never goes back, across goroutines on every CPU:
	// each reading is taken and compared under one lock.
	var mu sync.Mutex
	var last time.Duration
	var back int
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				mu.Lock()
				d := time.Since(start)
				if d < last {
					back++
				}
				last = d
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if back != 0 {
		c.Errorf("monotonic clock went back %d times across goroutines", back)
	}

	// clock_settime moves the realtime clock the vDSO reads at once.
	const shift = 1000 * time.Second
	old := time.Now()
	target := syscall.NsecToTimespec(old.Add(shift).UnixNano())
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_SETTIME, 0, uintptr(unsafe.Pointer(&target)), 0); e != 0 {
		c.Errorf("clock_settime: %v", e)
		return
	}
	moved := time.Now()
	restore := syscall.NsecToTimespec(moved.Add(-shift).UnixNano())
	syscall.Syscall(syscall.SYS_CLOCK_SETTIME, 0, uintptr(unsafe.Pointer(&restore)), 0)
	if d := moved.Round(0).Sub(old.Round(0)); d < shift || d > shift+time.Second {
		c.Errorf("after clock_settime(+%v) time.Now moved by %v", shift, d)
	}
	if s, _ := sysClock(0); s > moved.UnixNano() {
		c.Errorf("restoring the realtime clock did not take effect")
	}
}

// 100,000 time.Now() without system calls (TestVDSOStrace counts them).
func testVDSOLoop(c *t) {
	var sum int64
	for i := 0; i < 100000; i++ {
		sum += time.Now().UnixNano() & 1
	}
	c.Logf("100000 readings (%d odd)", sum)
}
