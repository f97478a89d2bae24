package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"runtime"
	"strconv"
)

func init() {
	register("args", testArgs)
	register("rand", testRand)
	register("enoent", testENOENT)
	register("numcpu", testNumCPU)
}

// The command line's "-- ..." words arrive as arguments after the area
// name, and unknown name=value words as environment variables.
func testArgs(c *t) {
	want := []string{"/init", "args", "-flag", "value with spaces", "last"}
	if len(os.Args) != len(want) {
		c.Errorf("argv = %q, want %q", os.Args, want)
	} else {
		for i := range want {
			if os.Args[i] != want[i] {
				c.Errorf("argv[%d] = %q, want %q", i, os.Args[i], want[i])
			}
		}
	}
	if v := os.Getenv("EGG_TEST_VAR"); v != "hello=world" {
		c.Errorf("EGG_TEST_VAR = %q, want %q", v, "hello=world")
	}
	if v := os.Getenv("HOME"); v != "/" {
		c.Errorf("HOME = %q, want /", v)
	}
	if os.Getpid() != 1 {
		c.Errorf("pid %d, want 1", os.Getpid())
	}
}

// Random bytes: printed so the harness can compare two boots.
func testRand(c *t) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		c.Errorf("crypto/rand: %v", err)
		return
	}
	zero := true
	for _, x := range b {
		if x != 0 {
			zero = false
		}
	}
	if zero {
		c.Errorf("crypto/rand returned zeros")
	}
	c.Logf("RANDOM=%s", hex.EncodeToString(b))
}

func testNumCPU(c *t) {
	want, err := strconv.Atoi(os.Getenv("EGG_NCPU"))
	if err != nil {
		c.Errorf("EGG_NCPU not set: %v", err)
		return
	}
	if got := runtime.NumCPU(); got != want {
		c.Errorf("runtime.NumCPU() = %d, want %d", got, want)
	}
	if got := runtime.GOMAXPROCS(0); got != want {
		c.Errorf("GOMAXPROCS = %d, want %d", got, want)
	}
}

// testENOENT opens a missing file: the error must be ENOENT (strace's test
// also reads the failed call from the log).
func testENOENT(c *t) {
	_, err := os.Open("/no/such/file")
	if !errors.Is(err, os.ErrNotExist) {
		c.Errorf("open of a missing file: %v, want ENOENT", err)
	}
}
