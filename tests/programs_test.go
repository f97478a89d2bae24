package tests

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// suiteInitramfs is the guest suite built with goVer, as /init.
func suiteInitramfs(t *testing.T, goBin, key string) string {
	bin := buildGuestGo(t, goBin, "./suite")
	return initramfsWith(t, "suite-"+key, bin, nil)
}

// runArea boots the suite with the named areas and checks it passes.
func runArea(t *testing.T, goBin, key, areas string, cfg qemu.Config) *qemu.Result {
	t.Helper()
	cfg.Initrd = suiteInitramfs(t, goBin, key)
	if cfg.Append == "" {
		cfg.Append = "console=ttyS0"
	}
	cfg.Append += " -- " + areas
	res := boot(t, cfg)
	wantStatus(t, res, 0)
	wantConsole(t, res, "PASS")
	return res
}

// Every area of the guest suite, with both Go versions: the current one on
// two CPUs (SMP races show there), Go 1.19 on one.
func TestGoPrograms(t *testing.T) {
	areas := []struct {
		name string
		mem  string
		env  string
	}{
		{"goroutines", "1G", ""},
		{"sync", "", ""},
		{"gc", "256M", ""},
		{"timers", "", ""},
		{"preempt", "", ""},
		{"panics", "", ""},
		{"signals", "", ""},
		{"mm", "", ""},
		{"io", "", ""},
		{"profile", "", ""},
		{"numcpu", "", ""},
	}
	for i, gv := range goVersions {
		gv, cpus := gv, 2-i
		t.Run(gv.name, func(t *testing.T) {
			for _, a := range areas {
				a := a
				t.Run(a.name, func(t *testing.T) {
					t.Parallel()
					runArea(t, gv.bin, gv.name, a.name, qemu.Config{Memory: a.mem, CPUs: cpus,
						Append:  fmt.Sprintf("console=ttyS0 EGG_NCPU=%d %s", cpus, a.env),
						Timeout: 5 * time.Minute})
				})
			}
		})
	}
}

// Arguments after "--" and unknown name=value words reach the program.
func TestArgumentsAndEnvironment(t *testing.T) {
	runArea(t, "", "go-current", `args -flag "value with spaces" last`,
		qemu.Config{Append: "console=ttyS0 EGG_TEST_VAR=hello=world quiet"})
}

// The application's exit status is the machine's; a Go panic exits 2 with
// Go's own traceback on the console.
func TestExitStatus(t *testing.T) {
	cases := []struct {
		area   string
		status int
		text   []string
	}{
		{"exit3", 3, nil},
		{"unrecovered", 2, []string{"panic: assignment to entry in nil map", "goroutine 1 [running]"}},
		{"nilderef", 2, []string{"invalid memory address or nil pointer dereference", "SIGSEGV"}},
	}
	for _, c := range cases {
		c := c
		t.Run(c.area, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Initrd: suiteInitramfs(t, "", "go-current"),
				Append: "console=ttyS0 -- " + c.area})
			wantStatus(t, res, c.status)
			wantConsole(t, res, c.text...)
		})
	}
}

// crypto/rand differs between boots (the kernel's generator is seeded anew).
func TestRandomDiffersBetweenBoots(t *testing.T) {
	re := regexp.MustCompile(`RANDOM=([0-9a-f]{64})`)
	var seen []string
	for i := 0; i < 2; i++ {
		res := runArea(t, "", "go-current", "rand", qemu.Config{})
		m := re.FindStringSubmatch(res.Console)
		if m == nil {
			t.Fatalf("no RANDOM= line")
		}
		seen = append(seen, m[1])
	}
	if seen[0] == seen[1] {
		t.Errorf("two boots produced the same random bytes %s", seen[0])
	}
}

// Random arguments to every system call for a while; the kernel survives and
// the program keeps working.
func TestSyscallFuzz(t *testing.T) {
	res := runArea(t, "", "go-current", "fuzz", qemu.Config{Append: "console=ttyS0 EGG_FUZZ_SECONDS=20",
		Timeout: 4 * time.Minute})
	if strings.Contains(res.Console, "Kernel") {
		t.Errorf("kernel complained during fuzzing")
	}
	if m := regexp.MustCompile(`fuzz: (\d+) calls`).FindStringSubmatch(res.Console); m != nil {
		t.Logf("%s system calls", m[1])
	}
}

// buildMusl compiles a C program of tests/guest/c statically with musl.
func buildMusl(t *testing.T, name string) string {
	t.Helper()
	return buildOnce(t, "musl "+name, func(out string) error {
		src := filepath.Join(root(), "tests", "guest", "c", name+".c")
		cmd := exec.Command("musl-gcc", "-static", "-O2", "-pthread", "-Wall", "-Wextra", "-Werror",
			"-o", out, src)
		if o, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("musl-gcc: %v\n%s", err, o)
		}
		return nil
	})
}

// A static musl C program: pthreads, mutexes, condition variables, malloc,
// stdio, the signal ABI in detail, AVX registers across switches and
// signal handlers, clocks and interval timers.
func TestMuslC(t *testing.T) {
	for _, cpus := range []int{1, 2} {
		cpus := cpus
		t.Run(fmt.Sprintf("smp%d", cpus), func(t *testing.T) {
			t.Parallel()
			bin := buildMusl(t, "abi")
			res := boot(t, qemu.Config{CPUs: cpus, Initrd: initramfsWith(t, "musl-abi", bin, nil),
				Append: "console=ttyS0"})
			wantStatus(t, res, 0)
			wantConsole(t, res, "PASS")
		})
	}
}
