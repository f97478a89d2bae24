package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"eggos/internal/initramfs"
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
		{"files", "", ""},
		{"net", "", ""},
		{"unix", "", ""},
		{"http", "", ""},
		{"procfs", "", ""},
		{"locks", "", ""},
		{"xfer", "", ""},
		{"mmap", "", ""},
		{"fifo", "", ""},
		{"reopen", "", ""},
		{"vdso", "", ""},
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

// Asking for more memory than the machine has, at once or bit by bit,
// gets ENOMEM from mmap and so Go's own "out of memory" (status 2); the
// kernel neither panics nor has to kill the program. Both Go versions.
func TestOutOfMemory(t *testing.T) {
	for _, gv := range goVersions {
		for _, area := range []string{"oom-once", "oom-grow"} {
			gv, area := gv, area
			t.Run(gv.name+"/"+area, func(t *testing.T) {
				t.Parallel()
				res := boot(t, qemu.Config{Initrd: suiteInitramfs(t, gv.bin, gv.name), Memory: "128M",
					CPUs: 2, Append: "console=ttyS0 -- " + area})
				wantStatus(t, res, 2)
				wantConsole(t, res, "fatal error: runtime: out of memory")
				for _, bad := range []string{"Kernel", "killing the application"} {
					if strings.Contains(res.Console, bad) {
						t.Errorf("console shows %q", bad)
					}
				}
			})
		}
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

// "strace" logs every system call with decoded arguments and its result:
// addresses in hex, counts in decimal, errors by name.
func TestStrace(t *testing.T) {
	res := runArea(t, "", "go-current", "rand,enoent", qemu.Config{Append: "console=ttyS0 strace"})
	for _, re := range []string{
		`\[1\] mmap\(NULL, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+, -1, 0\) = 0x[0-9a-f]+`,
		`\[1\] rt_sigaction\(\d+, .*\) = 0`,
		// Runtime start-up runs on the first thread; after that the main
		// goroutine may run on any thread.
		`\[\d+\] write\(1, 0x[0-9a-f]+, (\d+)\) = (\d+)`,
		`\[\d+\] openat\(AT_FDCWD, "/no/such/file", 0x[0-9a-f]+, 0\) = -1 ENOENT`,
		`\[\d+\] exit_group\(0\) = \?`,
	} {
		if !regexp.MustCompile(re).MatchString(res.Console) {
			t.Errorf("strace output lacks %s", re)
		}
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

// buildMuslPIE compiles a C program of tests/guest/c as a static PIE:
// ET_DYN without an interpreter, relocating itself with musl's rcrt1.o.
// (musl-gcc's specs do not do -static-pie, so the link is spelled out.)
func buildMuslPIE(t *testing.T, name string) string {
	t.Helper()
	return buildOnce(t, "musl-pie "+name, func(out string) error {
		src := filepath.Join(root(), "tests", "guest", "c", name+".c")
		lib := "/usr/lib/x86_64-linux-musl"
		gccFile := func(f string) string {
			o, _ := exec.Command("gcc", "-print-file-name="+f).Output()
			return strings.TrimSpace(string(o))
		}
		obj := out + ".o"
		steps := [][]string{
			{"musl-gcc", "-O2", "-fPIE", "-pthread", "-Wall", "-Wextra", "-Werror", "-c", "-o", obj, src},
			{"gcc", "-static-pie", "-nostdlib", "-o", out, lib + "/rcrt1.o", lib + "/crti.o",
				gccFile("crtbeginS.o"), obj, lib + "/libc.a", gccFile("libgcc.a"), gccFile("crtendS.o"),
				lib + "/crtn.o"},
		}
		for _, s := range steps {
			if o, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v\n%s", s[0], err, o)
			}
		}
		return nil
	})
}

// What a program finds at its entry (tests/guest/c/startup.c): argv and
// envp from the command line, every auxv value checked against its own ELF
// headers and CPUID, TLS, W^X; as a static ET_EXEC and as a static PIE.
func TestStartup(t *testing.T) {
	for _, kind := range []string{"ET_EXEC", "ET_DYN"} {
		kind := kind
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			bin := buildMusl(t, "startup")
			if kind == "ET_DYN" {
				bin = buildMuslPIE(t, "startup")
			}
			res := boot(t, qemu.Config{Initrd: initramfsWith(t, "musl-startup-"+kind, bin, nil),
				Append: `console=ttyS0 STARTUP_VAR=x=y -- one "two words"`})
			wantStatus(t, res, 0)
			wantConsole(t, res, "startup: "+kind, "PASS")
		})
	}
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

// System calls as Linux answers them where Go and musl's daily use does
// not reach (tests/guest/c/sys.c): every futex operation, CPU-fault
// signals, what EggOS refuses (fork, vfork, execve, clone of a process),
// EFAULT, timer_create with SIGEV_THREAD_ID, every clock, CPU affinity,
// thread churn without leaks or a limit. An unknown system call is
// answered ENOSYS and logged once, by name.
func TestMuslSyscalls(t *testing.T) {
	bin := buildMusl(t, "sys")
	cpio := initramfsWith(t, "musl-sys", bin, nil)
	for _, cpus := range []int{1, 2} {
		cpus := cpus
		t.Run(fmt.Sprintf("smp%d", cpus), func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{CPUs: cpus, Initrd: cpio, Append: "console=ttyS0"})
			wantStatus(t, res, 0)
			wantConsole(t, res, "PASS", "clone without CLONE_THREAD (a new process) is not supported",
				"threads: 20000 created and joined, 1000 at once")
			if cpus > 1 {
				wantConsole(t, res, "signal kick: 300 rounds, 0 late")
			}
			if n := strings.Count(res.Console, "unsupported system call syscall_500 (500)"); n != 1 {
				t.Errorf("the unknown system call was logged %d times, want once", n)
			}
		})
	}
}

// A signal's default action ends the program: "killed by signal N" on the
// console and exit status 128+N, as a shell reports it on Linux. QEMU's
// exit code ((s<<1)|1, 8 bits) keeps only the low 7 bits of s, so the
// harness sees N: the console line is what says it was a signal.
func TestKilledBySignal(t *testing.T) {
	bin := buildMusl(t, "sys")
	cpio := initramfsWith(t, "musl-sys", bin, nil)
	cases := []struct {
		mode, text string
		sig        int
	}{
		{"kill-segv", "killed by signal 11 (SIGSEGV)", 11},
		{"kill-term", "killed by signal 15 (SIGTERM)", 15},
		{"abort", "killed by signal 6 (SIGABRT)", 6},
	}
	for _, c := range cases {
		c := c
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Initrd: cpio, Append: "console=ttyS0 -- " + c.mode})
			wantStatus(t, res, (128+c.sig)&0x7f)
			wantConsole(t, res, c.text)
		})
	}
}

// Broken applications are refused with a clear message and exit status 126;
// a missing /init gives 127. Nothing panics.
func TestBadApplications(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(buildGuestGo(t, "", "./suite"))
	if err != nil {
		t.Fatal(err)
	}
	elf32 := append([]byte{}, good[:4096]...)
	elf32[4] = 1 // ELFCLASS32
	arm := append([]byte{}, good...)
	arm[18] = 183                         // EM_AARCH64
	host, err := os.ReadFile("/bin/true") // dynamically linked
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, message string
		data          []byte
		status        int
	}{
		{"text", "not an ELF file", []byte("#!/bin/sh\necho hi\n"), exitBadInit},
		{"truncated", "truncated", good[:30000], exitBadInit},
		{"elf32", "not a 64-bit ELF", elf32, exitBadInit},
		{"aarch64", "another machine", arm, exitBadInit},
		{"dynamic", "dynamically linked", host, exitBadInit},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cpio := initramfsWith(t, "bad-"+c.name, write(c.name, c.data), nil)
			res := boot(t, qemu.Config{Initrd: cpio, Append: "console=ttyS0"})
			wantStatus(t, res, c.status)
			wantConsole(t, res, c.message)
		})
	}
	t.Run("missing-init", func(t *testing.T) {
		t.Parallel()
		res := boot(t, qemu.Config{Initrd: suiteInitramfs(t, "", "go-current"),
			Append: "console=ttyS0 rdinit=/does/not/exist"})
		wantStatus(t, res, exitNoInit)
		wantConsole(t, res, "cannot find /does/not/exist")
	})
}

// A bare static ELF as the initrd becomes /init; rdinit= names another program.
func TestInitrdForms(t *testing.T) {
	bin := buildGuestGo(t, "", "./suite")
	res := boot(t, qemu.Config{Initrd: bin, Append: "console=ttyS0 EGG_NCPU=1 -- numcpu"})
	wantStatus(t, res, 0)
	wantConsole(t, res, "PASS")
	cpio := buildOnce(t, "cpio rdinit", func(out string) error {
		a := initramfs.New()
		if err := a.AddHostFile("sbin/app", bin, 0o755); err != nil {
			return err
		}
		return a.WriteFile(out)
	})
	res = boot(t, qemu.Config{Initrd: cpio, Append: "console=ttyS0 EGG_NCPU=1 rdinit=/sbin/app -- numcpu"})
	wantStatus(t, res, 0)
	wantConsole(t, res, "PASS")
}
