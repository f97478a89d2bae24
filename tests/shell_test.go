package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// shellInitramfs is the default image's initramfs: the EggOS shell as /init.
func shellInitramfs(t *testing.T) string {
	bin := buildOnce(t, "shell", func(out string) error {
		cmd := exec.Command(goBinary(""), "build", "-trimpath", "-o", out, "./userland/shell")
		cmd.Dir = root()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if o, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, o)
		}
		return nil
	})
	return initramfsWith(t, "shell", bin, nil)
}

// The EggOS shell, typed at on the serial console: files, the working
// directory, variables, errors, ^C interrupting a command, exit status.
func TestShell(t *testing.T) {
	m, err := qemu.Start(context.Background(), qemu.Config{
		Kernel:  kernelPath(t),
		Initrd:  shellInitramfs(t),
		Append:  "console=ttyS0 quiet",
		Timeout: 3 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()
	e := newExpecter(t, m)
	prompt := func(dir string) { e.expect(regexp.QuoteMeta("egg:" + dir + "$ ")) }
	run := func(line string) {
		t.Helper()
		if err := m.Type(line + "\r"); err != nil {
			t.Fatal(err)
		}
		e.expect(regexp.QuoteMeta(line) + "\r?\n") // the terminal's echo
	}

	prompt("/")
	run("mkdir -p /tmp/d/sub")
	prompt("/")
	run(`echo "a  b" $HOME > /tmp/d/f`)
	prompt("/")
	run("echo more >> /tmp/d/f")
	prompt("/")
	run("cat /tmp/d/f")
	e.expect(`a  b /\r?\nmore\r?\n`)
	prompt("/")
	run("cd /tmp/d")
	prompt("/tmp/d")
	run("ls -l")
	e.expect(`-rw-r--r--\s+12 .* f\r?\n`)
	e.expect(`drwxr-xr-x\s+\d+ .* sub\r?\n`)
	prompt("/tmp/d")
	run("mv f g")
	prompt("/tmp/d")
	run("ls")
	e.expect(`g\r?\nsub/\r?\n`)
	prompt("/tmp/d")
	run("cat f")
	e.expect(`cat: open f: no such file or directory`)
	prompt("/tmp/d")
	run("no-such-command")
	e.expect(`no-such-command: command not found`)
	prompt("/tmp/d")
	run("echo $?")
	e.expect(`127\r?\n`)
	prompt("/tmp/d")
	run("echo 'unterminated")
	e.expect(`shell: unterminated '`)
	prompt("/tmp/d")
	run("sleep 600")
	if err := m.Type("\x03"); err != nil {
		t.Fatal(err)
	}
	e.expect(`interrupted`)
	prompt("/tmp/d")
	run("exit 7")
	res, err := m.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 7 {
		t.Errorf("exit status %d, want 7\nconsole:\n%s", res.Status, res.Console)
	}
}
