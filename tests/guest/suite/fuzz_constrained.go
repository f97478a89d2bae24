package main

import (
	"fmt"
	"math/rand"
	"syscall"
	"unsafe"
)

// The second phase of the fuzz area: the calls the first phase skips
// because random arguments would wreck this program rather than test the
// kernel (its memory, its signal handling, its descriptors, its threads,
// calls that block forever), fuzzed with the dangerous arguments kept
// inside bounds and the rest random: addresses inside a sandbox
// reservation or invalid, signals and resources Go does not rely on or
// out of range, timeouts of at most a millisecond, new descriptors past
// the limit, clone without CLONE_THREAD.
//
// Still never called, because they end or stop this program by design:
// exit, exit_group, rt_sigreturn, pause, rt_sigsuspend, kill, tkill,
// tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, alarm, settimeofday,
// clock_settime (see fuzzSkip).

// Linux system call numbers of the constrained families.
const (
	nrClose, nrPoll, nrMmap, nrMprotect, nrMunmap, nrBrk         = 3, 7, 9, 10, 11, 12
	nrRtSigaction, nrRtSigprocmask, nrSelect, nrMremap, nrMsync  = 13, 14, 23, 25, 26
	nrMincore, nrMadvise, nrDup2, nrNanosleep, nrGetitimer       = 27, 28, 33, 35, 36
	nrSetitimer, nrClone, nrFork, nrVfork, nrExecve              = 38, 56, 57, 58, 59
	nrRtSigpending, nrRtSigtimedwait, nrSigaltstack, nrArchPrctl = 127, 128, 131, 158
	nrSetrlimit, nrFutex, nrTimerCreate, nrTimerSettime          = 160, 202, 222, 223
	nrTimerGettime, nrTimerGetoverrun, nrTimerDelete             = 224, 225, 226
	nrClockNanosleep, nrEpollWait, nrPselect6, nrPpoll           = 230, 232, 270, 271
	nrEpollPwait, nrDup3, nrPrlimit64, nrExecveat, nrClone3      = 281, 292, 302, 322, 435
	nrCloseRange                                                 = 436
)

type constrained struct {
	rng      *rand.Rand
	scratch  uintptr   // 1 MiB of read-write memory
	sandbox  uintptr   // sandboxSize bytes reserved PROT_NONE, ours to map over
	fds      []uintptr // the fuzzer's own descriptors
	shortTS  uintptr   // a timespec of at most a millisecond, in scratch
	timerIDs []uintptr
	trace    bool // print every call before making it (EGG_FUZZ_TRACE=1)
}

const (
	sandboxSize = 64 << 20
	sandboxBase = 8 << 30 // below Go's heap hints (0xc000000000 and up), above the program
)

// Bad pointers: unmapped, kernel half, non-canonical, unaligned.
var badAddrs = []uintptr{0, 8, 0x1000, 1 << 47, 1<<47 - 4096, 0xffff800000000000, 0xffffffff80000000,
	^uintptr(0) - 4095, ^uintptr(0)}

// Bad starts of memory ranges: never ones a long length would carry over
// this program's own mappings (munmap(0, 1<<47) is valid and unmaps it all).
var badRanges = []uintptr{8, 4097, 1 << 47, 1<<47 - 4096, 0xffff800000000000, 0xffffffff80000000,
	^uintptr(0) - 4095}

var lengths = []uintptr{0, 1, 4095, 4096, 8192, 1 << 20, sandboxSize, 1 << 30, 1 << 40, 1 << 47, ^uintptr(0)}

func (z *constrained) pick(xs []uintptr) uintptr { return xs[z.rng.Intn(len(xs))] }

// addr starts a memory range: a page (or not) inside the sandbox, or a
// bad start.
func (z *constrained) addr() uintptr {
	switch z.rng.Intn(4) {
	case 0:
		return z.pick(badRanges)
	case 1:
		return z.sandbox + uintptr(z.rng.Intn(sandboxSize))
	default:
		return z.sandbox + uintptr(z.rng.Intn(sandboxSize>>12))<<12
	}
}

func (z *constrained) inSandbox(a uintptr) bool { return a >= z.sandbox && a < z.sandbox+sandboxSize }

// length of a range from a: inside the sandbox when a is in it (the
// range must not reach this program's memory), anything otherwise.
func (z *constrained) length(a uintptr) uintptr {
	if !z.inSandbox(a) {
		return z.pick(lengths)
	}
	if z.rng.Intn(4) == 0 {
		return z.pick([]uintptr{0, 1, 4095, 4096})
	}
	return uintptr(z.rng.Int63n(int64(z.sandbox + sandboxSize - a + 1)))
}

// timerValue is a struct itimerval / itimerspec in scratch with times of
// at most 10 ms and intervals of 0 or at least 1 ms: no signal storm.
func (z *constrained) timerValue(spec bool) uintptr {
	p := z.scratch + 1<<20 - 64
	v := (*[4]int64)(unsafePointer(p))
	unit := int64(1000) // microseconds (itimerval)
	if spec {
		unit = 1000000 // nanoseconds (itimerspec)
	}
	v[0], v[2] = 0, 0
	v[1] = 0
	if z.rng.Intn(2) == 0 {
		v[1] = unit * int64(1+z.rng.Intn(10)) // interval
	}
	v[3] = unit * int64(z.rng.Intn(10)) // first expiry, 0 disarms
	if z.rng.Intn(8) == 0 {
		v[1] = -1 // malformed
	}
	return p
}

func (z *constrained) inScratch(p uintptr) bool { return p >= z.scratch && p < z.scratch+1<<20 }

// ptr is writable scratch memory (below the last 64 bytes, timerValue's),
// or a bad address.
func (z *constrained) ptr() uintptr {
	if z.rng.Intn(4) == 0 {
		return z.pick(badAddrs)
	}
	return z.scratch + uintptr(z.rng.Intn(1<<20-512))&^7
}

// fd is one of ours, or one past the descriptor limit.
func (z *constrained) fd() uintptr {
	if len(z.fds) > 0 && z.rng.Intn(3) != 0 {
		return z.fds[z.rng.Intn(len(z.fds))]
	}
	return 1000 + uintptr(z.rng.Intn(1000))
}

// timeout is the short timespec, or a bad pointer or value; never NULL.
func (z *constrained) timeout() uintptr {
	switch z.rng.Intn(4) {
	case 0:
		return z.pick(badAddrs[1:])
	case 1: // a malformed timespec: negative seconds or nanoseconds >= 1e9
		p := z.ptr()
		if p == 0 {
			return z.shortTS // NULL would mean wait for ever
		}
		if z.inScratch(p) {
			ts := (*[2]int64)(unsafePointer(p))
			ts[0], ts[1] = int64(z.rng.Intn(3))-2, int64(z.rng.Intn(3))*1e9
		}
		return p
	default:
		return z.shortTS
	}
}

func (z *constrained) setShortTS() {
	ts := (*[2]int64)(unsafePointer(z.shortTS))
	ts[0], ts[1] = 0, int64(z.rng.Intn(1000000))
}

// one fuzzes one call of a constrained family.
func (z *constrained) one() {
	r := z.rng
	z.setShortTS()
	var nr uintptr
	var a [6]uintptr
	for i := range a {
		a[i] = uintptr(r.Uint64())
	}
	switch r.Intn(24) {
	case 0: // mmap: anywhere without MAP_FIXED (it never replaces), in the sandbox with it
		nr = nrMmap
		a[0], a[1] = z.addr(), z.pick(lengths)
		a[2] = uintptr(r.Intn(16))
		a[3] = uintptr(r.Intn(1<<21)) &^ (0x10 | 0x100000) // no MAP_FIXED, no NOREPLACE
		if r.Intn(2) == 0 {
			a[0] = z.sandbox + uintptr(r.Intn(sandboxSize>>12))<<12
			a[1] = z.length(a[0])
			a[3] |= []uintptr{0x10, 0x100000}[r.Intn(2)]
		}
		a[3] &^= 0x8000 // no MAP_POPULATE of huge lengths: ENOMEM is tested in mm
		a[4], a[5] = z.fd(), uintptr(r.Intn(4))<<12
	case 1:
		nr, a[0] = nrMprotect, z.addr()
		a[1], a[2] = z.length(a[0]), uintptr(r.Intn(1<<8))
	case 2:
		nr, a[0] = nrMunmap, z.addr()
		a[1] = z.length(a[0])
	case 3: // mremap from the sandbox; with MREMAP_FIXED into it, within it
		nr, a[0] = nrMremap, z.addr()
		a[1], a[2], a[3] = z.length(a[0]), z.pick(lengths), uintptr(r.Intn(8))
		a[4] = z.sandbox + uintptr(r.Intn(sandboxSize>>12))<<12
		if a[3]&2 != 0 {
			a[2] = z.length(a[4])
		}
	case 4:
		nr, a[0] = []uintptr{nrMadvise, nrMsync, nrMincore}[r.Intn(3)], z.addr()
		a[1] = z.length(a[0])
		if nr == nrMincore {
			// One byte a page, up to 16 KiB for the sandbox: from the start
			// of scratch, so it never runs past it.
			a[2] = z.ptr()
			if z.inScratch(a[2]) {
				a[2] = z.scratch
			}
		} else {
			a[2] = uintptr(r.Intn(128))
		}
	case 5:
		nr, a[0] = nrBrk, z.pick(append(badAddrs, z.sandbox))
	case 6: // futex on scratch words; waits always time out soon
		nr, a[0] = nrFutex, z.ptr()
		a[1] = uintptr(r.Intn(14)) | uintptr(r.Intn(2))<<7 | uintptr(r.Intn(2))<<8
		if r.Intn(2) == 0 && z.inScratch(a[0]) {
			a[2] = uintptr(*(*uint32)(unsafePointer(a[0]))) // the value it holds: a real wait
		}
		op := a[1] &^ 0x180
		if op == 0 || op == 9 || op == 11 || op == 6 {
			a[3] = z.timeout()
			if a[3] == z.shortTS || r.Intn(2) == 0 {
				a[3] = z.shortTS // never NULL for a wait
			}
		} else {
			a[3] = uintptr(r.Intn(8)) // val2 of the requeue operations
		}
		a[4] = z.ptr()
	case 7: // rt_sigaction: only queries, or signals that cannot take a handler
		nr = nrRtSigaction
		a[0] = z.pick([]uintptr{0, 9, 19, 65, 1000, ^uintptr(0)})
		a[1], a[2], a[3] = z.ptr(), z.ptr(), uintptr(r.Intn(16))
		if r.Intn(2) == 0 {
			a[0], a[1] = uintptr(1+r.Intn(64)), 0
		}
	case 8: // rt_sigprocmask: queries and bad "how" values
		nr = nrRtSigprocmask
		a[0], a[1], a[2], a[3] = uintptr(r.Intn(2))*uintptr(3+r.Intn(100)), 0, z.ptr(), uintptr(r.Intn(16))
		if a[0] != 0 {
			a[1] = z.ptr()
		}
	case 9:
		nr, a[0], a[1] = nrRtSigpending, z.ptr(), uintptr(r.Intn(16))
	case 10: // rt_sigtimedwait for signals nobody sends, never longer than a millisecond
		nr = nrRtSigtimedwait
		a[0], a[1], a[2], a[3] = z.ptr(), z.ptr(), z.timeout(), uintptr(r.Intn(16))
		if a[2] != z.shortTS {
			a[2] = z.shortTS
		}
	case 11: // sigaltstack: queries or bad pointers only (Go's handlers run on its own)
		nr, a[0], a[1] = nrSigaltstack, z.pick(badAddrs[1:]), z.ptr()
		if r.Intn(2) == 0 {
			a[0] = 0
		}
	case 12: // clone without CLONE_THREAD, fork, vfork, execve: all refused
		nr = []uintptr{nrClone, nrFork, nrVfork, nrExecve, nrExecveat, nrClone3}[r.Intn(6)]
		a[0] &^= 0x10000 // CLONE_THREAD
		if nr == nrClone3 {
			a[0], a[1] = z.ptr(), uintptr(r.Intn(200))
			if z.inScratch(a[0]) {
				*(*uint64)(unsafePointer(a[0])) &^= 0x10000
			}
		}
		if nr == nrExecve || nr == nrExecveat {
			a[0], a[1], a[2] = z.ptr(), z.ptr(), z.ptr()
		}
	case 13: // interval timers: their signals (SIGALRM, SIGVTALRM, SIGPROF) are harmless to Go
		nr = []uintptr{nrSetitimer, nrGetitimer}[r.Intn(2)]
		a[0], a[1], a[2] = uintptr(r.Intn(5)), z.ptr(), z.ptr()
		if nr == nrSetitimer && r.Intn(4) != 0 {
			a[1] = z.timerValue(false)
		} else if nr == nrSetitimer && z.inScratch(a[1]) {
			a[1] = 0 // random times could make a signal storm; a bad pointer or NULL instead
		}
	case 14: // POSIX timers with the default signal (SIGALRM), then settime/gettime/delete them
		nr = nrTimerCreate
		a[0], a[1], a[2] = z.pick([]uintptr{0, 1, 2, 3, 4, 7, 11, 99, ^uintptr(0)}), 0, z.ptr()
		if r.Intn(3) == 0 {
			a[1] = z.pick(badAddrs[1:])
		}
		if z.inScratch(a[2]) {
			_, _, e := syscall.RawSyscall6(nr, a[0], a[1], a[2], 0, 0, 0)
			if e == 0 {
				z.timerIDs = append(z.timerIDs, uintptr(*(*int32)(unsafePointer(a[2]))))
			}
			return
		}
	case 15:
		nr = []uintptr{nrTimerSettime, nrTimerGettime, nrTimerGetoverrun, nrTimerDelete}[r.Intn(4)]
		a[0] = uintptr(r.Intn(8))
		if len(z.timerIDs) > 0 && r.Intn(2) == 0 {
			a[0] = z.timerIDs[r.Intn(len(z.timerIDs))]
		}
		a[1], a[2], a[3] = uintptr(r.Intn(2)), z.ptr(), z.ptr()
		if nr == nrTimerSettime {
			a[2] = z.timerValue(true)
			if r.Intn(4) == 0 {
				a[2] = z.pick(badAddrs)
			}
		}
	case 16:
		nr, a[0], a[1] = nrNanosleep, z.timeout(), z.ptr()
	case 17:
		// Not the CPU-time clocks: this thread's does not advance while it
		// sleeps, and the process's only as fast as its other threads run.
		clock := z.pick([]uintptr{0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 99})
		nr, a[0], a[1], a[2], a[3] = nrClockNanosleep, clock, uintptr(r.Intn(2)), z.timeout(), z.ptr()
		if a[1] == 1 && a[2] == z.shortTS {
			a[1] = 0 // an absolute deadline of 0.x s is long past anyway
		}
	case 18: // waiting for descriptors, at most a millisecond
		nr = []uintptr{nrPoll, nrPpoll, nrSelect, nrPselect6, nrEpollWait, nrEpollPwait}[r.Intn(6)]
		switch nr {
		case nrPoll:
			a[0], a[1], a[2] = z.ptr(), uintptr(r.Intn(8)), uintptr(r.Intn(2))
		case nrPpoll:
			a[0], a[1], a[2], a[3], a[4] = z.ptr(), uintptr(r.Intn(8)), z.timeout(), z.ptr(), 8
		case nrSelect, nrPselect6:
			a[0], a[1], a[2], a[3] = uintptr(r.Intn(1100)), z.ptr(), z.ptr(), z.ptr()
			a[4], a[5] = z.timeout(), z.ptr()
		default:
			a[0], a[1], a[2], a[3] = z.fd(), z.ptr(), uintptr(r.Intn(64))-1, uintptr(r.Intn(2))
			a[4], a[5] = z.ptr(), 8
		}
		if a[4] == 0 || nr == nrSelect || nr == nrPselect6 {
			a[4] = z.shortTS // select's timeout, never NULL
		}
	case 19: // descriptors: only ours, or new ones past the limit
		nr = []uintptr{nrClose, nrDup2, nrDup3, nrCloseRange}[r.Intn(4)]
		a[0], a[1], a[2] = z.fd(), 1000+uintptr(r.Intn(100)), uintptr(r.Intn(2))<<19
		if nr == nrCloseRange {
			a[0], a[1], a[2] = 1000+uintptr(r.Intn(100)), ^uintptr(0), uintptr(r.Intn(8))
		}
	case 20: // resource limits: queries, or resources out of range
		nr = []uintptr{nrPrlimit64, nrSetrlimit}[r.Intn(2)]
		if nr == nrPrlimit64 {
			a[0], a[1], a[2], a[3] = uintptr(r.Intn(2)), uintptr(r.Intn(20)), 0, z.ptr()
			if a[1] >= 16 {
				a[2] = z.ptr()
			}
		} else {
			a[0], a[1] = 16+uintptr(r.Intn(100)), z.ptr()
		}
	case 21: // arch_prctl: queries and unknown codes, never setting FS or GS
		nr, a[0], a[1] = nrArchPrctl, z.pick([]uintptr{0x1003, 0x1004, 0x1011, 0, 0x2000, ^uintptr(0)}), z.ptr()
	default:
		return
	}
	if z.trace {
		fmt.Printf("fuzz: %d(%#x, %#x, %#x, %#x, %#x, %#x)\n", nr, a[0], a[1], a[2], a[3], a[4], a[5])
	}
	syscall.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
}

// cleanup deletes the timers and stops the interval timers the fuzzing made.
func (z *constrained) cleanup() {
	for _, id := range z.timerIDs {
		syscall.RawSyscall(nrTimerDelete, id, 0, 0)
	}
	var zero [4]int64
	for which := uintptr(0); which < 3; which++ {
		syscall.RawSyscall(nrSetitimer, which, uintptr(unsafe.Pointer(&zero)), 0)
	}
	syscall.RawSyscall(nrMunmap, z.sandbox, sandboxSize, 0)
}
