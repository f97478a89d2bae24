package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eggos/internal/initramfs"
	"eggos/internal/qemu"
)

// Go standard-library tests that cannot pass on a single-application
// kernel, by name, with the reason. Nothing else is skipped.
var stdlibExcluded = map[string][]string{
	// The test binary runs in / with the package's .go files beside it, not
	// in GOROOT/src/<pkg>: tests that look for their directory by name or
	// walk GOROOT cannot find them.
	"io/fs": {
		"TestGlob", // Glob("*/glob.go") wants the package directory "fs"
	},
	"path/filepath": {
		"TestGlob",    // Glob("../*/match.go") wants the package directory "filepath"
		"TestBug3486", // walks GOROOT/src (/usr/local/go/src/unicode)
	},
	"sync": {
		"TestMutexMisuse", // re-executes the test binary: needs fork/exec
		"TestIssue76126",  // re-executes the test binary: needs fork/exec
	},
	"net/http": {
		// Turns keep-alives off and sends the next request at once: it races
		// the server's close of the idle connection against the client's
		// reuse of it (a second connection is a lost race, not a failure of
		// either side). Lost on a loaded TCG host; passes on an idle one.
		"TestServerKeepAlivesEnabled",
	},
	"net": {
		"TestSplice",                     // runs the test binary as a child: needs fork/exec
		"TestInterfaces",                 // interface lists come from netlink (AF_NETLINK): not implemented
		"TestInterfaceAddrs",             // netlink
		"TestInterfaceUnicastAddrs",      // netlink
		"TestInterfaceMulticastAddrs",    // netlink
		"TestIPConnLocalName",            // raw IP sockets (SOCK_RAW): not implemented
		"TestIPConnRemoteName",           // raw IP sockets
		"TestIPConnSpecificMethods",      // raw IP sockets
		"TestReadTimeoutFluctuation",     // allow 10% timer overshoot; guest sleeps overshoot 2-3x on a loaded TCG host
		"TestReadFromTimeoutFluctuation", // the same
		"TestWriteTimeoutFluctuation",    // the same
	},
	"os": {
		// These start a child process (most re-execute the test binary):
		// EggOS runs one program, without fork/exec (clone of a new
		// process, execve and waitid answer ENOSYS).
		"TestFileChdirTestlog",
		"TestStdPipe",
		"TestReadNonblockingFd",
		"TestProcessWithHandleLinux",
		"TestKillFindProcess",
		"TestKillStartProcess",
		"TestGetppid",
		"TestStatStdin",
		"TestStartProcess",
		"TestExecutable",
		// DirFS("/").Open(cwd + "/testdata/...") with the binary's working
		// directory "/" becomes Open("/testdata/...") which io/fs rejects:
		// the harness cannot start the program in another directory.
		"TestDirFSRootDir",
	},
}

// Files some packages' tests expect of a Linux root beyond their own
// directory: os lists and enters /usr/bin ("a big directory that doesn't
// change often").
var stdlibRootFiles = map[string]func(a *initramfs.Archive){
	"os": func(a *initramfs.Archive) {
		a.AddDir("usr/bin", 0o755)
		for _, n := range []string{"cat", "env", "ls", "pwd", "sh", "sleep", "true", "false"} {
			a.AddFile("usr/bin/"+n, []byte("#!/bin/sh\n# placeholder: EggOS runs no other program\n"), 0o755)
		}
	},
}

// goTestBinary builds the test binary of a standard-library package.
func goTestBinary(t *testing.T, goBin, pkg string) string {
	t.Helper()
	return buildOnce(t, "gotest "+goBin+" "+pkg, func(out string) error {
		cmd := exec.Command(goBinary(goBin), "test", "-c", "-o", out, pkg)
		// Outside our module: its go.mod's "go" line would set the test
		// binary's default GODEBUG (asynctimerchan, cookie limits...).
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local")
		if o, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, o)
		}
		return nil
	})
}

// packageDir is where the package's sources are (tests may read them).
func packageDir(t *testing.T, goBin, pkg string) string {
	out, err := exec.Command(goBinary(goBin), "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.TrimSpace(string(out))
}

// The test binaries of Go's own packages run inside EggOS and pass.
func TestGoStdlib(t *testing.T) {
	pkgs := []string{"sync", "sync/atomic", "strings", "sort", "container/list", "unicode/utf8", "math", "net",
		"io/fs", "path/filepath", "net/http", "os"}
	for _, pkg := range pkgs {
		pkg := pkg
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			bin := goTestBinary(t, "", pkg)
			dir := packageDir(t, "", pkg)
			// The binary runs in / with the package's files next to it, as
			// `go test` runs it in the package directory.
			cpio := buildOnce(t, "cpio gotest "+pkg, func(out string) error {
				a := initramfs.New()
				if err := a.AddHostFile("init", bin, 0o755); err != nil {
					return err
				}
				files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
				for _, f := range files {
					if err := a.AddHostFile(filepath.Base(f), f, 0o644); err != nil {
						return err
					}
				}
				// Subpackages' directories (empty), as a listing of the
				// package directory shows them (os's TestReadDir looks for "exec").
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.IsDir() && e.Name() != "testdata" {
						a.AddDir(e.Name(), 0o755)
					}
				}
				if add := stdlibRootFiles[pkg]; add != nil {
					add(a)
				}
				// The package's testdata, and GOROOT/src/testdata that some
				// tests open as ../testdata (from / that is /testdata too).
				if err := addTree(a, dir, "testdata"); err != nil {
					return err
				}
				if err := addTree(a, filepath.Dir(dir), "testdata"); err != nil {
					return err
				}
				return a.WriteFile(out)
			})
			args := "-test.short"
			if ex := stdlibExcluded[pkg]; len(ex) > 0 {
				args += " -test.skip=^(" + strings.Join(ex, "|") + ")$"
				t.Logf("excluded: %v", ex)
			}
			res := boot(t, qemu.Config{CPUs: 2, Memory: "512M", Initrd: cpio,
				Append: "console=ttyS0 -- " + args, Timeout: 10 * time.Minute})
			wantStatus(t, res, 0)
			wantConsole(t, res, "PASS")
		})
	}
}

// addTree adds the files below dir/sub (a package's testdata) to a, if it exists.
func addTree(a *initramfs.Archive, dir, sub string) error {
	return filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			a.AddDir(rel, 0o755)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return a.AddHostFile(rel, p, 0o644)
	})
}
