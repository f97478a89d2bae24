package tests

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// Exit statuses the kernel itself reports (kernel/core/panic.h).
const (
	exitKernelPanic = 125
	exitBadInit     = 126
	exitNoInit      = 127
)

// Without an application the kernel says so and powers off non-zero, on
// every machine type and memory size.
func TestBootWithoutApplication(t *testing.T) {
	cases := []struct{ machine, mem string }{
		{"pc", "32M"}, {"q35", "32M"}, {"microvm", "32M"},
		{"pc", "256M"}, {"pc", "6G"}, {"q35", "6G"}, {"microvm", "6G"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.machine+"-"+c.mem, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Machine: c.machine, Memory: c.mem,
				Append: "console=ttyS0 loglevel=7"})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, "no application to run", "kernel ready")
			// All of it found, above 4 GiB too (the memory_all self-test uses it).
			m := regexp.MustCompile(`mm: (\d+) MiB usable`).FindStringSubmatch(res.Console)
			if m == nil {
				t.Fatalf("no usable-memory line")
			}
			got, _ := strconv.Atoi(m[1])
			want := map[string]int{"32M": 24, "256M": 240, "6G": 6000}[c.mem]
			if got < want {
				t.Errorf("%s MiB usable with -m %s, want at least %d", m[1], c.mem, want)
			}
		})
	}
}

// Without isa-debug-exit the kernel powers off through ACPI (QEMU exits 0).
func TestACPIPowerOff(t *testing.T) {
	for _, m := range []string{"pc", "q35", "microvm"} {
		m := m
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Machine: m, NoDebugExit: true, Append: "console=ttyS0"})
			if res.QEMUExit != 0 {
				t.Errorf("qemu exit %d, want 0 (ACPI power-off)", res.QEMUExit)
			}
			wantConsole(t, res, "no application to run")
		})
	}
}

// Without ACPI tables the kernel warns, falls back to one CPU and default
// APIC addresses, and still runs (docs/architecture.md, Interrupts and time).
func TestNoACPI(t *testing.T) {
	for _, m := range []string{"pc,acpi=off", "microvm,acpi=off"} {
		m := m
		t.Run(strings.SplitN(m, ",", 2)[0], func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Machine: m, CPUs: 2, Append: "console=ttyS0 loglevel=6"})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, "acpi: no valid RSDP found", "kernel ready", "1 CPUs", "no application to run")
		})
	}
}

// The in-kernel self-tests pass, in the debug kernel (heap red zones and
// poisoning) and the release kernel, with 32 MiB and with 6 GiB.
func TestSelftests(t *testing.T) {
	cases := []struct {
		name, mem string
		debug     bool
	}{
		{"debug-256M", "256M", true}, {"release-32M", "32M", false}, {"release-6G", "6G", false},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := qemu.Config{Memory: c.mem, Append: "console=ttyS0 selftest"}
			if c.debug {
				cfg.Kernel = debugKernelPath(t)
			}
			res := boot(t, cfg)
			wantStatus(t, res, 0)
			wantConsole(t, res, "selftest paging: ok", "selftest heap_stress: ok",
				"selftest threads: ok", "selftest waitq: ok", "selftest timer_accuracy: ok",
				"selftest wake_ends_slice: ok", "selftest mutex_contention: ok", "selftest timer_slack: ok")
			if !regexp.MustCompile(`selftest: \d+ run, 0 failed`).MatchString(res.Console) {
				t.Errorf("not every self-test passed")
			}
		})
	}
}

// A deliberate fault prints a backtrace naming the faulting function and
// exits with the kernel panic status.
func TestDeliberateFaults(t *testing.T) {
	cases := map[string]string{
		"pagefault": "fault_trigger_pagefault",
		"ud":        "fault_trigger_invalid_opcode",
		"divide":    "fault_trigger_divide",
		"panic":     "fault_trigger_panic",
		"stack":     "fault_trigger_stack_overflow",
	}
	for kind, fn := range cases {
		kind, fn := kind, fn
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Append: "console=ttyS0 fault=" + kind})
			wantStatus(t, res, exitKernelPanic)
			wantConsole(t, res, "Call trace:", fn)
			switch kind {
			case "stack":
				// Reported from the double-fault IST stack.
				wantConsole(t, res, "double fault: kernel stack overflow (vector 8", "RIP: ")
			case "panic":
				wantConsole(t, res, "Kernel panic")
			default:
				wantConsole(t, res, "Kernel oops", "RIP: ")
			}
		})
	}
}

// A guest that outlives its timeout is asked for a dump before it is
// killed: the harness injects an NMI and every CPU prints where it was,
// with every thread and timer. One CPU spins in user mode, the other
// idles in the kernel: an NMI in either mode is reported and returns (one
// from user mode used to kill the application as an unexpected exception).
func TestTimeoutDump(t *testing.T) {
	cfg := qemu.Config{Initrd: suiteInitramfs(t, "", "go-current"), CPUs: 2, Kernel: kernelPath(t),
		Append: "console=ttyS0 -- hang", Timeout: 20 * time.Second}
	res, err := qemu.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	if !res.TimedOut {
		t.Fatalf("the hanging guest ended (status %d) before its timeout", res.Status)
	}
	for _, want := range []string{"NMI received on CPU 0 in", "NMI received on CPU 1 in",
		"in user mode at rip", "thread dump (", "timers cpu 0:"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("the timeout dump lacks %q", want)
		}
	}
	if strings.Contains(res.Console, "unexpected exception") || strings.Contains(res.Console, "killed by") {
		t.Errorf("the NMI ended the application")
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.Console)
	}
}

// Bad command-line values give a warning and defaults, never a panic.
func TestBadCommandLine(t *testing.T) {
	res := boot(t, qemu.Config{Append: `console=ttyS0 loglevel=banana console=ttyS9 fault selftest=nonexistent "unterminated quote x=1`})
	wantConsole(t, res, "bad value 'banana' for loglevel=", "unknown console 'ttyS9'",
		"bad value '' for fault=", "unterminated quote")
	// selftest=nonexistent runs nothing, which counts as failure (status 1).
	wantStatus(t, res, 1)

	// Longer than the kernel keeps: cut, with a warning.
	res = boot(t, qemu.Config{Machine: "microvm", Append: "console=ttyS0 " + strings.Repeat("x", 5000)})
	wantConsole(t, res, "command line longer than 4095 bytes")
	wantStatus(t, res, exitNoInit)
}

// Console log levels work as on Linux: warnings by default, errors only
// with quiet, loglevel=N shows the levels below N.
func TestLogLevels(t *testing.T) {
	const (
		warning = "bad value '' for fault=" // KERN_WARNING
		notice  = "kernel ready in"         // KERN_NOTICE
		info    = "mm: [mem "               // KERN_INFO
		errMsg  = "no application to run"   // KERN_ERR
	)
	cases := []struct {
		append    string
		want, not []string
	}{
		{"fault", []string{errMsg, warning}, []string{notice, info}},
		{"quiet fault", []string{errMsg}, []string{warning, notice, info}},
		{"loglevel=6 fault", []string{errMsg, warning, notice}, []string{info}},
		{"loglevel=7 fault", []string{errMsg, warning, notice, info}, nil},
	}
	for _, c := range cases {
		c := c
		t.Run(strings.ReplaceAll(c.append, " ", "_"), func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Machine: "microvm", Memory: "64M", Append: "console=ttyS0 " + c.append})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, c.want...)
			for _, s := range c.not {
				if strings.Contains(res.Console, s) {
					t.Errorf("console shows %q with %q", s, c.append)
				}
			}
		})
	}
}

// The kernel reports when it is ready (make bench reads this line).
func TestReadyLine(t *testing.T) {
	res := boot(t, qemu.Config{Machine: "microvm", Append: "console=ttyS0 loglevel=6"})
	m := regexp.MustCompile(`kernel ready in (\d+)\.(\d+) ms`).FindStringSubmatch(res.Console)
	if m == nil {
		t.Fatalf("no ready line")
	}
	if _, err := strconv.Atoi(m[1]); err != nil {
		t.Errorf("ready time %q: %v", m[1], err)
	}
}

// The self-tests TestSMPBoot runs.
const smpSelftests = "vm_hugepages,kstack_guard,heap_stress,paging,memory_all,page_alloc,waitq," +
	"wake_ends_slice,preemption,threads,mutex_contention"

// Every CPU QEMU gives is started, and the self-tests pass with several.
func TestSMPBoot(t *testing.T) {
	for _, n := range []int{2, 4} {
		n := n
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			// Every self-test but timer_accuracy (TestSelftests runs it on
			// one CPU): four emulated CPUs on a two-core host measure the
			// host's scheduler, not the kernel's timers.
			res := boot(t, qemu.Config{CPUs: n, Append: "console=ttyS0 loglevel=6 selftest=" + smpSelftests})
			wantStatus(t, res, 0)
			wantConsole(t, res, fmt.Sprintf("%d CPUs", n), "run, 0 failed")
		})
	}
}
