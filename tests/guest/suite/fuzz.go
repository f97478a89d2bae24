package main

import (
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func init() {
	register("fuzz", testFuzz)
}

// Calls that would end or wreck this very program with random arguments
// rather than test the kernel's checks: exits, signals sent to itself (a
// SIGINT would end it), signal plumbing Go depends on, TLS, memory
// management of Go's own heap, calls that block without a timeout, and
// setting the wall clock (a far-off date makes Go drop its monotonic
// readings, which ends the timed loop early). The second phase
// (fuzz_constrained.go) fuzzes most of them with the dangerous arguments
// bounded.
var fuzzSkip = map[uintptr]bool{
	3: true, 7: true, 9: true, 10: true, 11: true, 12: true, 13: true, 14: true, 15: true,
	23: true, 25: true, 28: true, 33: true, 34: true, 35: true, 37: true, 38: true,
	56: true, 57: true, 58: true, 59: true, 60: true, 61: true, 62: true, 128: true, 129: true,
	130: true, 131: true, 157: true, 158: true, 160: true, 200: true, 202: true,
	164: true, 218: true, 222: true, 227: true, 223: true, 230: true, 231: true, 232: true, 234: true,
	270: true, 271: true, 281: true, 292: true, 297: true, 302: true, 322: true, 435: true, 436: true,
}

// fdArgs lists which arguments of a call may be descriptors that matter:
// the first of every call, and the second or third of calls that move data
// between two descriptors or act on another descriptor.
func fdArgs(nr uintptr) []int {
	switch nr {
	case 40, 276: // sendfile, tee
		return []int{0, 1}
	case 233, 275, 326: // epoll_ctl, splice, copy_file_range
		return []int{0, 2}
	default:
		return []int{0}
	}
}

func inPool(fds []uintptr, v uintptr) bool {
	for _, f := range fds {
		if f == v {
			return true
		}
	}
	return false
}

// Closing or overwriting the runtime's descriptors (stdio, epoll, eventfd)
// would kill the program, so fd arguments come from our own pool or are bogus.
func testFuzz(c *t) {
	seconds := 8
	if s, err := strconv.Atoi(os.Getenv("EGG_FUZZ_SECONDS")); err == nil {
		seconds = s
	}
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("EGG_FUZZ_SEED"), 10, 64); err == nil {
		seed = s // repeat a run the log names
	}
	c.Logf("seed %d, %d s", seed, seconds)
	rng := rand.New(rand.NewSource(seed))

	// 1 MiB of scratch memory between two 1 MiB guard areas: a call told
	// to write far past a scratch pointer faults (EFAULT) instead of
	// overwriting this program's own heap.
	region, e := mmap(0, 3<<20, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if e != 0 {
		c.Errorf("mmap scratch: %v", e)
		return
	}
	scratch := region + 1<<20
	if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, scratch, 1<<20, syscall.PROT_READ|syscall.PROT_WRITE); e != 0 {
		c.Errorf("mprotect scratch: %v", e)
		return
	}
	for i := uintptr(0); i < 1<<20; i += 8 {
		*(*uint64)(unsafePointer(scratch + i)) = rng.Uint64()
	}
	// Some plausible strings inside the scratch area.
	head := unsafe.Slice((*byte)(unsafePointer(scratch)), 64)
	for i, ch := range []byte("/tmp/fuzz\x00/dev/null\x00/\x00..\x00") {
		head[i] = ch
	}
	var fds []uintptr
	var p [2]int
	if syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC) == nil {
		fds = append(fds, uintptr(p[0]), uintptr(p[1]))
	}
	if f, err := os.OpenFile("/tmp/fuzzfile", os.O_RDWR|os.O_CREATE, 0o644); err == nil {
		fds = append(fds, f.Fd())
	}
	if ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err == nil {
		fds = append(fds, uintptr(ep))
	}
	if efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0); e == 0 {
		fds = append(fds, efd)
	}
	values := []uintptr{0, 1, 2, 3, 7, 8, 64, 4095, 4096, 1 << 20, 1 << 31, 1<<32 - 1, 1 << 32,
		1<<47 - 1, 1 << 47, 1 << 63, ^uintptr(0), ^uintptr(0) - 4095,
		0xffff800000000000, 0xffffffff80000000, 0x1000, 0x400000}
	arg := func(i int) uintptr {
		switch rng.Intn(5) {
		case 0:
			return values[rng.Intn(len(values))]
		case 1:
			return scratch + uintptr(rng.Intn(1<<20))
		case 2:
			if i == 0 && len(fds) > 0 {
				return fds[rng.Intn(len(fds))]
			}
			return uintptr(rng.Intn(1 << 16))
		case 3:
			return uintptr(rng.Uint64())
		default:
			return scratch + uintptr(rng.Intn(1<<12))*256
		}
	}
	// No new descriptors while fuzzing: a call that creates one (a blocking
	// dup of a pipe, a console opened by a random path) could make a later
	// fuzzed read wait forever, legitimately. Every fd the fuzzer can reach
	// is then one of the pool's, kept non-blocking.
	var lim, saved syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &saved)
	maxfd := uint64(0)
	for _, fd := range fds {
		if uint64(fd) > maxfd {
			maxfd = uint64(fd)
		}
	}
	lim = saved
	lim.Cur = maxfd + 1
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		c.Errorf("setrlimit: %v", err)
	}
	var calls, errs int
	runtime.LockOSThread()
	total := time.Duration(seconds) * time.Second
	deadline := time.Now().Add(total * 3 / 5)
	for time.Now().Before(deadline) {
		for k := 0; k < 200; k++ {
			nr := uintptr(rng.Intn(460))
			if fuzzSkip[nr] {
				continue
			}
			a := [6]uintptr{arg(0), arg(1), arg(2), arg(3), arg(4), arg(5)}
			// The kernel, like Linux, reads fd arguments as 32-bit ints:
			// screen the low half so the runtime's descriptors (stdio,
			// its epoll and eventfd) are never touched.
			for _, i := range fdArgs(nr) {
				if v := uint32(a[i]); v < 64 && !inPool(fds, uintptr(v)) {
					a[i] = 1000 + uintptr(v)
				}
			}
			_, _, e := syscall.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
			if nr == syscall.SYS_FCNTL || nr == syscall.SYS_IOCTL {
				// F_SETFL or FIONBIO may have made a pool fd blocking; a
				// later read on it would then wait forever (rightly).
				for _, fd := range fds {
					syscall.SetNonblock(int(fd), true)
				}
			}
			calls++
			if e != 0 {
				errs++
			}
		}
	}
	// The second phase, in a 64 MiB reservation of its own, far below where
	// mappings without an address go (top-down from the stack): a hole the
	// fuzzer punches must never be handed to the Go runtime's next mmap.
	sandbox, e := mmap(sandboxBase, sandboxSize, syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|0x100000) // MAP_FIXED_NOREPLACE
	if e != 0 {
		c.Errorf("mmap sandbox: %v", e)
	} else {
		z := &constrained{rng: rng, scratch: scratch, sandbox: sandbox, fds: fds, shortTS: scratch + 1<<20 - 128,
			trace: os.Getenv("EGG_FUZZ_TRACE") != ""}
		deadline = time.Now().Add(total * 2 / 5)
		n := 0
		for time.Now().Before(deadline) {
			for k := 0; k < 100; k++ {
				z.one()
				n++
			}
		}
		z.cleanup()
		calls += n
		c.Logf("constrained phase: %d calls", n)
	}
	runtime.UnlockOSThread()
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved)
	c.Logf("%d calls, %d errors", calls, errs)

	// Still alive: goroutines, timers, memory, files.
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(time.Millisecond); _ = make([]byte, 1<<16) }()
	}
	wg.Wait()
	if err := os.WriteFile("/tmp/after-fuzz", []byte("ok"), 0o644); err != nil {
		c.Errorf("file system after fuzzing: %v", err)
	}
}
