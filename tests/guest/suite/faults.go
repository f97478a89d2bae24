package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register("panics", testPanics)
	register("exit3", func(*t) { os.Exit(3) })
	register("unrecovered", func(*t) {
		var m map[string]int
		m["boom"] = 1 // nil map write: panics, nothing recovers it
	})
	// More memory than the machine has, at once and bit by bit: Go's own
	// "out of memory" (mmap answers ENOMEM), never a kernel panic.
	register("oom-once", func(*t) {
		b := make([]byte, 64<<30)
		fmt.Println(len(b), b[1<<20])
	})
	register("oom-grow", func(*t) {
		var live [][]byte
		for i := 0; ; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = byte(i) // touched: real pages, not just address space
			}
			live = append(live, b)
			if i%64 == 0 {
				fmt.Printf("oom-grow: %d MiB live\n", len(live))
			}
		}
	})
	register("nilderef", func(*t) {
		var p *[1 << 20]byte
		fmt.Println(p[12345]) // SIGSEGV at a small address -> Go panic, exit 2
	})
}

func recovered(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			var re runtime.Error
			if err, ok := r.(error); ok && errors.As(err, &re) {
				msg = "runtime error: " + re.Error()
			} else {
				msg = fmt.Sprint(r)
			}
		}
	}()
	f()
	return ""
}

var zero = 0

type node struct{ next *node }

func depth(n int) int {
	if n == 0 {
		return 0
	}
	var pad [32]byte
	pad[n%32] = byte(n)
	return depth(n-1) + 1 + int(pad[0]&0)
}

func testPanics(c *t) {
	var p *node
	if m := recovered(func() { _ = p.next }); !strings.Contains(m, "nil pointer dereference") {
		c.Errorf("nil dereference gave %q", m)
	}
	s := []int{1, 2, 3}
	i := 5
	if m := recovered(func() { _ = s[i] }); !strings.Contains(m, "index out of range") {
		c.Errorf("index out of range gave %q", m)
	}
	if m := recovered(func() { _ = 10 / zero }); !strings.Contains(m, "integer divide by zero") {
		c.Errorf("division by zero gave %q", m)
	}
	// A wild pointer with SetPanicOnFault: the panic carries the faulting
	// address, which Go takes from the signal's si_addr.
	old := debug.SetPanicOnFault(true)
	var addr uintptr
	func() {
		defer func() {
			r := recover()
			if a, ok := r.(interface{ Addr() uintptr }); ok {
				addr = a.Addr()
			} else {
				c.Errorf("wild pointer: recovered %v, want an error with Addr()", r)
			}
		}()
		q := (*int)(unsafePointer(0xdead0000))
		_ = *q
	}()
	debug.SetPanicOnFault(old)
	if addr != 0xdead0000 {
		c.Errorf("fault address %#x, want 0xdead0000", addr)
	}
	if d := depth(1000000); d != 1000000 {
		c.Errorf("recursion depth %d", d)
	}
}
