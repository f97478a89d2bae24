// Package qemu boots EggOS images under QEMU for tests, benchmarks and
// `egg run`: it builds the command line, captures the serial console,
// enforces a timeout and decodes the exit status the kernel writes to
// QEMU's isa-debug-exit device.
package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes one boot.
type Config struct {
	Kernel  string // path to eggos.elf; empty: boot from a disk in Extra
	Initrd  string // optional initramfs or static ELF
	Append  string // kernel command line
	Machine string // "q35" (default), "pc" or "microvm"
	Memory  string // e.g. "256M" (default)
	CPUs    int    // default 1
	CPU     string // default "max"
	Timeout time.Duration
	// NoDebugExit leaves out the isa-debug-exit device, so the kernel must
	// power off through ACPI.
	NoDebugExit bool
	// Extra QEMU arguments (devices, drives, netdevs).
	Extra []string
	// Stdin feeds the serial line (may be nil).
	Stdin io.Reader
	// Console, if set, also receives the console output as it arrives.
	Console io.Writer
}

// Result is what a boot produced.
type Result struct {
	// Status is the guest's exit status as written to isa-debug-exit, or -1
	// when QEMU ended another way (power-off, crash, timeout).
	Status   int
	QEMUExit int // QEMU's own exit code
	Console  string
	TimedOut bool
	Elapsed  time.Duration
}

// Binary is the QEMU executable used.
var Binary = "qemu-system-x86_64"

// Args returns QEMU's argument list for cfg.
func Args(cfg Config) []string {
	machine := cfg.Machine
	if machine == "" {
		machine = "q35"
	}
	mem := cfg.Memory
	if mem == "" {
		mem = "256M"
	}
	cpus := cfg.CPUs
	if cpus == 0 {
		cpus = 1
	}
	cpu := cfg.CPU
	if cpu == "" {
		cpu = "max"
	}
	args := []string{
		"-M", machine, "-m", mem, "-smp", strconv.Itoa(cpus), "-cpu", cpu,
		"-display", "none", "-serial", "stdio", "-monitor", "none",
		"-no-reboot",
	}
	if cfg.Kernel != "" {
		args = append(args, "-kernel", cfg.Kernel)
	}
	if cfg.Initrd != "" {
		args = append(args, "-initrd", cfg.Initrd)
	}
	if cfg.Append != "" {
		args = append(args, "-append", cfg.Append)
	}
	if !cfg.NoDebugExit {
		args = append(args, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
	}
	return append(args, cfg.Extra...)
}

// lockedBuffer collects console output written from QEMU's stdout pipe.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Run boots cfg and waits for QEMU to exit or the timeout to pass.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Kernel != "" {
		if _, err := os.Stat(cfg.Kernel); err != nil {
			return nil, fmt.Errorf("kernel image: %w (run `make kernel` first)", err)
		}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var console lockedBuffer
	cmd := exec.CommandContext(ctx, Binary, Args(cfg)...)
	if cfg.Console != nil {
		cmd.Stdout = io.MultiWriter(&console, cfg.Console)
	} else {
		cmd.Stdout = &console
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if cfg.Stdin != nil {
		cmd.Stdin = cfg.Stdin
	}
	cmd.WaitDelay = 2 * time.Second

	start := time.Now()
	err := cmd.Run()
	res := &Result{Status: -1, Elapsed: time.Since(start), Console: console.String()}
	if ctx.Err() == context.DeadlineExceeded {
		res.TimedOut = true
		res.QEMUExit = -1
		return res, nil
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		res.QEMUExit = 0
	case errors.As(err, &exitErr):
		res.QEMUExit = exitErr.ExitCode()
	default:
		return nil, fmt.Errorf("run %s: %w", Binary, err)
	}
	if res.QEMUExit&1 == 1 && !cfg.NoDebugExit {
		res.Status = res.QEMUExit >> 1
	}
	if res.QEMUExit != 0 && res.Status < 0 && stderr.Len() > 0 {
		res.Console += "\n[qemu stderr] " + strings.TrimSpace(stderr.String())
	}
	return res, nil
}
