package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"eggos/internal/initramfs"
)

// Go toolchains the guest programs are built with: the project's Go and
// Debian's Go 1.19, the oldest version EggOS supports.
var goVersions = []struct{ name, bin string }{
	{"go-current", ""},
	{"go1.19", "/usr/lib/go-1.19/bin/go"},
}

var (
	workDir     string
	workDirOnce sync.Once
	builds      sync.Map // key -> *buildResult
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

func work(t *testing.T) string {
	t.Helper()
	workDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "eggos-tests-")
		if err != nil {
			panic(err)
		}
		workDir = d
	})
	return workDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

func goBinary(bin string) string {
	if bin != "" {
		return bin
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildOnce runs build(out) once per key and caches the result.
func buildOnce(t *testing.T, key string, build func(out string) error) string {
	t.Helper()
	v, _ := builds.LoadOrStore(key, &buildResult{})
	br := v.(*buildResult)
	br.once.Do(func() {
		br.path = filepath.Join(work(t), strings.NewReplacer("/", "_", " ", "_").Replace(key))
		br.err = build(br.path)
	})
	if br.err != nil {
		t.Fatalf("build %s: %v", key, br.err)
	}
	return br.path
}

// buildGuestGo builds a Go package of tests/guest as a static Linux binary.
func buildGuestGo(t *testing.T, goBin, pkg string) string {
	t.Helper()
	return buildOnce(t, "go "+goBin+" "+pkg, func(out string) error {
		cmd := exec.Command(goBinary(goBin), "build", "-trimpath", "-o", out, pkg)
		cmd.Dir = filepath.Join(root(), "tests", "guest")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64",
			"GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		if o, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, o)
		}
		return nil
	})
}

// initramfsWith writes an initramfs whose /init is the given host file.
func initramfsWith(t *testing.T, key, initPath string, extra map[string][]byte) string {
	t.Helper()
	return buildOnce(t, "cpio "+key, func(out string) error {
		a := initramfs.New()
		if err := a.AddHostFile("init", initPath, 0o755); err != nil {
			return err
		}
		for p, data := range extra {
			a.AddFile(p, data, 0o644)
		}
		return a.WriteFile(out)
	})
}
