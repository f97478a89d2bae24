package main

import (
	"runtime/debug"
	"syscall"
	"unsafe"
)

func init() {
	register("mm", testMM)
}

// faultAddr runs f and returns the address of the memory fault it caused (0: none).
var readSink byte

func faultAddr(f func()) (addr uintptr) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(interface{ Addr() uintptr }); ok {
				addr = a.Addr()
			} else {
				addr = 1
			}
		}
	}()
	f()
	return 0
}

func mmap(addr, length uintptr, prot, flags int) (uintptr, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, length, uintptr(prot), uintptr(flags),
		^uintptr(0), 0)
	return r, e
}

func testMM(c *t) {
	const page = 4096
	anon := syscall.MAP_PRIVATE | syscall.MAP_ANON
	rw := syscall.PROT_READ | syscall.PROT_WRITE

	// Demand-zero pages, readable and writable.
	base, e := mmap(0, 64*page, rw, anon)
	if e != 0 {
		c.Errorf("mmap: %v", e)
		return
	}
	mem := unsafe.Slice((*byte)(unsafePointer(base)), 64*page)
	for i := 0; i < len(mem); i += page {
		if mem[i] != 0 {
			c.Errorf("fresh page %d not zero", i/page)
		}
		mem[i] = byte(i / page)
	}

	// Read-only after mprotect: writing faults at that address (SEGV_ACCERR).
	if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, base, 4*page, syscall.PROT_READ); e != 0 {
		c.Errorf("mprotect: %v", e)
	}
	if a := faultAddr(func() { mem[2*page+5] = 1 }); a != base+2*page+5 {
		c.Errorf("write to read-only page: fault at %#x, want %#x", a, base+2*page+5)
	}
	if mem[2*page] != 2 {
		c.Errorf("read-only page lost its contents")
	}
	// PROT_NONE and back keeps contents.
	syscall.Syscall(syscall.SYS_MPROTECT, base, 4*page, syscall.PROT_NONE)
	if a := faultAddr(func() { readSink = mem[page] }); a != base+page {
		c.Errorf("read of PROT_NONE page: fault at %#x", a)
	}
	syscall.Syscall(syscall.SYS_MPROTECT, base, 4*page, uintptr(rw))
	if mem[3*page] != 3 {
		c.Errorf("contents lost across PROT_NONE")
	}

	// MADV_DONTNEED: pages read back as zeros.
	syscall.Syscall(syscall.SYS_MADVISE, base+8*page, 4*page, 4 /* MADV_DONTNEED */)
	if mem[8*page] != 0 || mem[7*page] != 7 {
		c.Errorf("MADV_DONTNEED: page 8 = %d (want 0), page 7 = %d (want 7)", mem[8*page], mem[7*page])
	}

	// munmap: the range faults afterwards (SEGV_MAPERR); the rest stays.
	syscall.Syscall(syscall.SYS_MUNMAP, base+32*page, 32*page, 0)
	if a := faultAddr(func() { readSink = mem[40*page] }); a != base+40*page {
		c.Errorf("read after munmap: fault at %#x", a)
	}
	if mem[31*page] != 31 {
		c.Errorf("munmap took too much")
	}

	// MAP_FIXED_NOREPLACE refuses an occupied range; MAP_FIXED replaces it.
	if _, e := mmap(base, page, rw, anon|0x100000); e != syscall.EEXIST {
		c.Errorf("MAP_FIXED_NOREPLACE over a mapping: %v, want EEXIST", e)
	}
	if r, e := mmap(base, page, rw, anon|syscall.MAP_FIXED); e != 0 || r != base || mem[0] != 0 {
		c.Errorf("MAP_FIXED replace: %#x %v, first byte %d", r, e, mem[0])
	}

	// A request larger than the machine is refused with ENOMEM.
	if _, e := mmap(0, 1<<40, rw, anon); e != syscall.ENOMEM {
		c.Errorf("1 TiB mmap: %v, want ENOMEM", e)
	}
	// A PROT_NONE reservation of that size is fine (Go reserves like this).
	if r, e := mmap(0, 1<<40, syscall.PROT_NONE, anon); e != 0 {
		c.Errorf("1 TiB PROT_NONE reservation: %v", e)
	} else {
		syscall.Syscall(syscall.SYS_MUNMAP, r, 1<<40, 0)
	}
	// Bad arguments.
	if _, e := mmap(0, 0, rw, anon); e != syscall.EINVAL {
		c.Errorf("mmap length 0: %v, want EINVAL", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, base+1, page, 0); e != syscall.EINVAL {
		c.Errorf("munmap unaligned: %v, want EINVAL", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, 0x1000, page, 0x100); e != syscall.EINVAL {
		c.Errorf("mprotect bad prot: %v, want EINVAL", e)
	}

	// mremap grows a mapping, moving it if needed, keeping the contents.
	r, _, e := syscall.Syscall6(syscall.SYS_MREMAP, base, 32*page, 256*page, 1 /* MAYMOVE */, 0, 0)
	if e != 0 {
		c.Errorf("mremap: %v", e)
	} else {
		grown := unsafe.Slice((*byte)(unsafePointer(r)), 256*page)
		if grown[31*page] != 31 || grown[200*page] != 0 {
			c.Errorf("mremap lost contents")
		}
		syscall.Syscall(syscall.SYS_MUNMAP, r, 256*page, 0)
	}

	// brk grows and shrinks the heap.
	cur, _, _ := syscall.Syscall(syscall.SYS_BRK, 0, 0, 0)
	nb, _, _ := syscall.Syscall(syscall.SYS_BRK, cur+16*page, 0, 0)
	if nb != cur+16*page {
		c.Errorf("brk grow: %#x, want %#x", nb, cur+16*page)
	} else {
		heap := unsafe.Slice((*byte)(unsafePointer(cur)), 16*page)
		heap[15*page] = 9
		syscall.Syscall(syscall.SYS_BRK, cur, 0, 0)
		if a := faultAddr(func() { readSink = heap[15*page] }); a == 0 {
			c.Errorf("brk shrink left memory mapped")
		}
	}

	// mincore reports residency.
	b2, _ := mmap(0, 4*page, rw, anon)
	mem2 := unsafe.Slice((*byte)(unsafePointer(b2)), 4*page)
	mem2[page] = 1
	vec := make([]byte, 4)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, b2, 4*page, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		c.Errorf("mincore: %v", e)
	} else if vec[0]&1 != 0 || vec[1]&1 != 1 {
		c.Errorf("mincore = %v, want [0 1 ...]", vec)
	}

	testHugePages(c)
}

// MADV_HUGEPAGE areas get 2 MiB pages: one touch makes the whole aligned
// 2 MiB resident; unmapping or protecting part of it splits it and keeps
// the rest of the contents.
func testHugePages(c *t) {
	const page, huge = 4096, 2 << 20
	anon := syscall.MAP_PRIVATE | syscall.MAP_ANON
	rw := syscall.PROT_READ | syscall.PROT_WRITE
	raw, e := mmap(0, 3*huge, rw, anon)
	if e != 0 {
		c.Errorf("mmap 6 MiB: %v", e)
		return
	}
	base := (raw + huge - 1) &^ (huge - 1)
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, base, huge, 14 /* MADV_HUGEPAGE */); e != 0 {
		c.Errorf("MADV_HUGEPAGE: %v", e)
	}
	mem := unsafe.Slice((*byte)(unsafePointer(base)), huge)
	mem[5] = 42
	vec := make([]byte, huge/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, base, huge, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		c.Errorf("mincore: %v", e)
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	if resident != huge/page {
		c.Errorf("one touch in a MADV_HUGEPAGE area made %d of %d pages resident", resident, huge/page)
	}
	for i := page; i < huge; i += page {
		if mem[i] != 0 {
			c.Errorf("huge page not zeroed at %#x", i)
			break
		}
		mem[i] = byte(i / page)
	}
	// Split: unmap one 4 KiB page in the middle, write-protect another.
	syscall.Syscall(syscall.SYS_MUNMAP, base+100*page, page, 0)
	syscall.Syscall(syscall.SYS_MPROTECT, base+200*page, page, syscall.PROT_READ)
	if a := faultAddr(func() { readSink = mem[100*page] }); a != base+100*page {
		c.Errorf("read of a page unmapped from a huge page: fault at %#x", a)
	}
	if a := faultAddr(func() { mem[200*page] = 1 }); a != base+200*page {
		c.Errorf("write to a page protected inside a huge page: fault at %#x", a)
	}
	if mem[5] != 42 || mem[99*page] != 99 || mem[101*page] != 101 || mem[200*page] != 200 ||
		mem[511*page] != 255 {
		c.Errorf("contents lost when the huge page was split")
	}
	syscall.Syscall(syscall.SYS_MUNMAP, raw, 3*huge, 0)
}
