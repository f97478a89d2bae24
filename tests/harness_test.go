// Package tests boots EggOS under QEMU and checks what it does: the guest
// test tier. Each test builds what it needs (guest programs, initramfs)
// into a temporary directory and boots the kernel that `make` built.
package tests

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// root is the repository root (this file lives in tests/).
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// built is a file under build/ that `make target` makes.
func built(t *testing.T, target string, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{root(), "build"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: run `make %s` first", p, target)
	}
	return p
}

// kernelPath is the image that boots by default: the packed kernel.
func kernelPath(t *testing.T) string { return built(t, "kernel", "eggos.elf") }

// rawKernelPath is the same kernel uncompressed.
func rawKernelPath(t *testing.T) string { return built(t, "kernel", "eggos.raw.elf") }

// debugKernelPath is the kernel with heap red zones and poisoning.
func debugKernelPath(t *testing.T) string { return built(t, "kernel-debug", "debug", "eggos.elf") }

// noKernel in Config.Kernel boots from the disks in Config.Extra instead.
const noKernel = "-"

// boot runs one guest and fails the test on harness errors or timeouts.
// The console is logged when the test fails.
func boot(t *testing.T, cfg qemu.Config) *qemu.Result {
	t.Helper()
	switch cfg.Kernel {
	case "":
		cfg.Kernel = kernelPath(t)
	case noKernel:
		cfg.Kernel = ""
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 90 * time.Second
	}
	res, err := qemu.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("qemu %v\nconsole:\n%s", qemu.Args(cfg), res.Console)
		}
	})
	if res.TimedOut {
		t.Fatalf("guest did not finish within %v", cfg.Timeout)
	}
	return res
}

// wantStatus checks the guest's exit status.
func wantStatus(t *testing.T, res *qemu.Result, want int) {
	t.Helper()
	if res.Status != want {
		t.Errorf("exit status %d (qemu exit %d), want %d", res.Status, res.QEMUExit, want)
	}
}

func wantConsole(t *testing.T, res *qemu.Result, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if !strings.Contains(res.Console, s) {
			t.Errorf("console lacks %q", s)
		}
	}
}
