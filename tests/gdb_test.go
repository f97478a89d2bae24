package tests

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// The gdb session README.md documents works: QEMU waits for gdb, gdb loads
// the kernel's symbols, stops at kmain, shows a backtrace and the boot
// data, and catches the end of the run in machine_exit.
func TestGDB(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Fatalf("gdb is missing (scripts/deps.sh test installs it): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	kernel := rawKernelPath(t) // what `make debug` boots: symbols match addresses
	m, err := qemu.Start(context.Background(), qemu.Config{Kernel: kernel, Machine: "microvm", Memory: "64M",
		Append: "console=ttyS0 gdb-test-marker", Timeout: 2 * time.Minute,
		Extra: []string{"-gdb", "tcp:127.0.0.1:" + port, "-S"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sym := filepath.Join(filepath.Dir(kernel), "eggos.sym.elf")
	cmds := []string{
		"set architecture i386:x86-64",
		"file " + sym,
		"target remote 127.0.0.1:" + port,
		"hbreak kmain",
		"continue",
		"bt",
		"break machine_exit",
		"continue",
		"bt",
		"p saved_cmdline",
	}
	args := []string{"-batch", "-nx"}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	out, err := exec.CommandContext(ctx, "gdb", args...).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, text)
	}
	for _, re := range []string{
		`Breakpoint 1, kmain`,
		`#1 .* in kstart64`,
		`Breakpoint 2, machine_exit \(status=(status@entry=)?127\)`,
		`#1 .* in start_application`,
		`saved_cmdline> "console=ttyS0 gdb-test-marker"`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("gdb output lacks %q", re)
		}
	}
	if t.Failed() {
		t.Logf("gdb output:\n%s\nconsole:\n%s", text, m.Console())
	}
	if strings.Contains(text, "No symbol table") {
		t.Errorf("gdb found no symbols in %s", sym)
	}
}
