// Package qemu boots EggOS images under QEMU for tests, benchmarks and
// `egg run`: it builds the command line, captures the serial console,
// types on the serial line, drives the monitor (keys for the PS/2
// keyboard, screen dumps), enforces a timeout and decodes the exit status
// the kernel writes to QEMU's isa-debug-exit device.
package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// Monitor opens QEMU's human monitor on a socket (Machine.Monitor):
	// sendkey for the PS/2 keyboard, screendump, nmi.
	Monitor bool
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
	// Signal is the signal that ended QEMU itself (a crash), or 0.
	Signal syscall.Signal
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

// Machine is a running QEMU.
type Machine struct {
	cfg     Config
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	ctx     context.Context
	console *lockedBuffer
	stderr  bytes.Buffer
	stdin   io.WriteCloser // the serial line's input, when cfg.Stdin is nil
	monitor *Monitor
	sock    string // the monitor's socket (always there: the timeout dump uses it)
	start   time.Time
	dir     string
	// timedOut is closed when the timeout passed and QEMU was killed.
	timedOut chan struct{}
	done     chan struct{} // closed when QEMU has exited
}

// dumpGrace is how long a timed-out guest has to print its thread and timer
// dump after the harness injects an NMI (the kernel's NMI handler prints
// them), before QEMU is killed.
const dumpGrace = 3 * time.Second

// Start boots cfg and returns at once; Wait collects the result.
func Start(ctx context.Context, cfg Config) (*Machine, error) {
	if cfg.Kernel != "" {
		if _, err := os.Stat(cfg.Kernel); err != nil {
			return nil, fmt.Errorf("kernel image: %w (run `make kernel` first)", err)
		}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	m := &Machine{cfg: cfg, console: &lockedBuffer{}, timedOut: make(chan struct{}),
		done: make(chan struct{})}
	// The context is the hard limit; the watchdog below kills QEMU at the
	// timeout itself, after asking the guest for a dump.
	m.ctx, m.cancel = context.WithTimeout(ctx, timeout+dumpGrace+5*time.Second)
	dir, err := os.MkdirTemp("", "eggos-qemu-")
	if err != nil {
		m.cancel()
		return nil, err
	}
	m.dir = dir
	m.sock = dir + "/monitor.sock"
	args := replaceMonitor(Args(cfg), "unix:"+m.sock+",server=on,wait=off")
	m.cmd = exec.CommandContext(m.ctx, Binary, args...)
	if err := m.startCmd(); err != nil {
		return nil, err
	}
	if cfg.Monitor {
		mon, err := dialMonitor(m.ctx, m.sock)
		if err != nil {
			m.Kill()
			m.cmd.Wait()
			m.cancel()
			m.cleanup()
			return nil, fmt.Errorf("qemu monitor: %w", err)
		}
		m.monitor = mon
	}
	go m.watchdog(timeout - time.Since(m.start))
	return m, nil
}

func (m *Machine) startCmd() error {
	if m.cfg.Console != nil {
		m.cmd.Stdout = io.MultiWriter(m.console, m.cfg.Console)
	} else {
		m.cmd.Stdout = m.console
	}
	m.cmd.Stderr = &m.stderr
	if m.cfg.Stdin != nil {
		m.cmd.Stdin = m.cfg.Stdin
	} else {
		w, err := m.cmd.StdinPipe()
		if err != nil {
			m.cancel()
			return err
		}
		m.stdin = w
	}
	m.cmd.WaitDelay = 2 * time.Second
	m.start = time.Now()
	if err := m.cmd.Start(); err != nil {
		m.cancel()
		m.cleanup()
		return fmt.Errorf("run %s: %w", Binary, err)
	}
	return nil
}

func (m *Machine) cleanup() {
	if m.dir != "" {
		os.RemoveAll(m.dir)
	}
}

// replaceMonitor swaps "-monitor none" for the given monitor.
func replaceMonitor(args []string, monitor string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-monitor" {
			args[i+1] = monitor
		}
	}
	return args
}

// Console returns the console output so far.
func (m *Machine) Console() string { return m.console.String() }

// WaitConsole waits until the console output matches re (or the machine
// ends or timeout passes) and returns the output then.
func (m *Machine) WaitConsole(re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		out := m.console.String()
		if re.MatchString(out) {
			return out, nil
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("console did not show %q within %v", re, timeout)
		}
		if m.ctx.Err() != nil {
			return out, fmt.Errorf("machine ended before the console showed %q", re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Type writes s to the serial line, as if typed there.
func (m *Machine) Type(s string) error {
	if m.stdin == nil {
		return errors.New("qemu: the serial input was given as Config.Stdin")
	}
	_, err := io.WriteString(m.stdin, s)
	return err
}

// CPUTime is the host CPU time QEMU has used so far, all its threads (the
// virtual CPUs and the device emulation), user and system, from
// /proc/PID/stat.
func (m *Machine) CPUTime() (time.Duration, error) {
	if m.cmd.Process == nil {
		return 0, errors.New("qemu: not started")
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("qemu: odd /proc/%d/stat", m.cmd.Process.Pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("qemu: odd /proc/%d/stat", m.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("qemu: odd /proc/%d/stat", m.cmd.Process.Pid)
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// watchdog ends a guest that outlives its timeout. A hung guest is worth
// a look inside before it goes: an NMI makes the kernel print every
// thread (state, CPU, system call, user rip) and every CPU's timers on
// the console, which the test then logs.
func (m *Machine) watchdog(timeout time.Duration) {
	select {
	case <-m.done:
		return
	case <-time.After(timeout):
	}
	asked := make(chan struct{})
	go func() {
		// The monitor serves one client: share the test's if it has one.
		mon := m.monitor
		if mon == nil {
			ctx, cancel := context.WithTimeout(m.ctx, time.Second)
			var err error
			mon, err = dialMonitor(ctx, m.sock)
			cancel()
			if err != nil {
				return
			}
			defer mon.Close()
		}
		if _, err := mon.Command("nmi"); err == nil {
			close(asked)
		}
	}()
	select {
	case <-m.done:
	case <-asked:
		select {
		case <-m.done:
		case <-time.After(dumpGrace):
		}
	case <-time.After(dumpGrace):
	}
	close(m.timedOut)
	m.Kill()
}

// Monitor returns the QEMU monitor (nil unless Config.Monitor).
func (m *Machine) Monitor() *Monitor { return m.monitor }

// Kill ends QEMU at once, as a power cut would.
func (m *Machine) Kill() {
	if m.cmd.Process != nil {
		m.cmd.Process.Kill()
	}
}

// Wait waits for QEMU to exit or the timeout to pass.
func (m *Machine) Wait() (*Result, error) {
	defer m.cancel()
	defer m.cleanup()
	if m.monitor != nil {
		defer m.monitor.Close()
	}
	err := m.cmd.Wait()
	close(m.done)
	res := &Result{Status: -1, Elapsed: time.Since(m.start), Console: m.console.String()}
	timedOut := m.ctx.Err() == context.DeadlineExceeded
	select {
	case <-m.timedOut:
		timedOut = true
	default:
	}
	if timedOut {
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
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal()
		}
	default:
		return nil, fmt.Errorf("run %s: %w", Binary, err)
	}
	if res.QEMUExit&1 == 1 && !m.cfg.NoDebugExit {
		res.Status = res.QEMUExit >> 1
	}
	if res.QEMUExit != 0 && res.Status < 0 && m.stderr.Len() > 0 {
		res.Console += "\n[qemu stderr] " + strings.TrimSpace(m.stderr.String())
	}
	return res, nil
}

// crashedEarly says QEMU itself crashed before the guest wrote a byte:
// QEMU 7.2's multi-threaded TCG segfaults now and then in firmware, in
// memory_region_dispatch_write (seen once in a full make test, 2026-12-08),
// and such a run says nothing about the guest.
func crashedEarly(res *Result) bool {
	switch res.Signal {
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT:
		return strings.TrimSpace(res.Console) == ""
	}
	return false
}

// Run boots cfg and waits for QEMU to exit or the timeout to pass. A run
// in which QEMU crashed before the guest printed anything is booted once
// more (not with Stdin, which the first run may have read), and the
// console says so.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	m, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res, err := m.Wait()
	if err != nil || !crashedEarly(res) || cfg.Stdin != nil {
		return res, err
	}
	first := res.Signal
	if m, err = Start(ctx, cfg); err != nil {
		return nil, err
	}
	if res, err = m.Wait(); err != nil {
		return nil, err
	}
	res.Console = fmt.Sprintf("[qemu died of %v before the guest printed anything; booted again]\n", first) +
		res.Console
	return res, nil
}
