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
	"sync": {
		"TestMutexMisuse", // re-executes the test binary: needs fork/exec
		"TestIssue76126",  // re-executes the test binary: needs fork/exec
	},
}

// goTestBinary builds the test binary of a standard-library package.
func goTestBinary(t *testing.T, goBin, pkg string) string {
	t.Helper()
	return buildOnce(t, "gotest "+goBin+" "+pkg, func(out string) error {
		cmd := exec.Command(goBinary(goBin), "test", "-c", "-o", out, pkg)
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
	pkgs := []string{"sync", "sync/atomic", "strings", "sort", "container/list", "unicode/utf8", "math"}
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
				return a.WriteFile(out)
			})
			args := "-test.short"
			if ex := stdlibExcluded[pkg]; len(ex) > 0 {
				args += " -test.skip=^(" + strings.Join(ex, "|") + ")$"
				t.Logf("excluded (need exec): %v", ex)
			}
			res := boot(t, qemu.Config{CPUs: 2, Memory: "512M", Initrd: cpio,
				Append: "console=ttyS0 -- " + args, Timeout: 10 * time.Minute})
			wantStatus(t, res, 0)
			wantConsole(t, res, "PASS")
		})
	}
}
