package main

// EggOS beside Linux: the same static Go program (tests/guest/bench) as
// /init of the same initramfs, booted in the same QEMU with the same flags
// on build/eggos.elf and on Debian's kernel (scripts/debian-kernel.sh).
// Start-up figures are timed on the host (median of several boots);
// workload figures are timed by the program itself (median of its runs).

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"eggos/internal/initramfs"
	"eggos/internal/qemu"
)

var (
	mainRE  = regexp.MustCompile(`BENCH-MAIN`)
	benchRE = regexp.MustCompile(`BENCH (\w+) ([0-9.]+) (\S+)`)
)

// guest is one kernel under comparison.
type guest struct {
	name, kernel string
}

// benchInitramfs builds the guest program and its initramfs.
func benchInitramfs(root string) (string, error) {
	dir := filepath.Join(root, "build", "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "guestbench")
	cmd := exec.Command("go", "build", "-o", bin, "./bench")
	cmd.Dir = filepath.Join(root, "tests", "guest")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build guest bench: %v\n%s", err, out)
	}
	a := initramfs.New()
	if err := a.AddHostFile("init", bin, 0o755); err != nil {
		return "", err
	}
	cpio := filepath.Join(dir, "bench.cpio")
	return cpio, a.WriteFile(cpio)
}

var eggosAppend = flag.String("eggos-append", "", "more kernel parameters for EggOS (e.g. idle_poll_us=0)")

func benchConfig(g guest, initrd, mode string, timeout time.Duration) qemu.Config {
	params := "console=ttyS0 quiet"
	if g.name == "EggOS" && *eggosAppend != "" {
		params += " " + *eggosAppend
	}
	return qemu.Config{Kernel: g.kernel, Initrd: initrd, Machine: "q35", Memory: "512M", CPUs: 2,
		Append: params + " -- " + mode, Timeout: timeout}
}

// startup boots the program's "hello" mode: QEMU start to main() and to exit.
func startup(g guest, initrd string, runs int) (toMain, toExit []float64, err error) {
	for i := 0; i < runs; i++ {
		w := &watcher{re: mainRE, start: time.Now()}
		cfg := benchConfig(g, initrd, "hello", 2*time.Minute)
		cfg.Console = w
		res, err := qemu.Run(context.Background(), cfg)
		if err != nil {
			return nil, nil, err
		}
		if w.at == 0 || res.TimedOut || !strings.Contains(res.Console, "BENCH-DONE") {
			return nil, nil, fmt.Errorf("%s: hello run failed:\n%s", g.name, res.Console)
		}
		toMain = append(toMain, float64(w.at.Microseconds())/1000)
		toExit = append(toExit, float64(res.Elapsed.Microseconds())/1000)
	}
	return toMain, toExit, nil
}

// workloads boots the program's "work" mode and returns its figures by name.
func workloads(g guest, initrd string) (map[string]float64, error) {
	res, err := qemu.Run(context.Background(), benchConfig(g, initrd, "work", 15*time.Minute))
	if err != nil {
		return nil, err
	}
	figs := map[string]float64{}
	for _, m := range benchRE.FindAllStringSubmatch(res.Console, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		figs[m[1]] = v
	}
	if res.TimedOut || !strings.Contains(res.Console, "BENCH-DONE") {
		return nil, fmt.Errorf("%s: work run failed:\n%s", g.name, res.Console)
	}
	return figs, nil
}

// linuxGuests fetches Debian's kernel and returns the two kernels compared
// and the Debian package's name.
func linuxGuests(root, kernel string) ([]guest, string, error) {
	linuxDir := filepath.Join(root, "build", "linux")
	fetch := exec.Command(filepath.Join(root, "scripts", "debian-kernel.sh"), linuxDir)
	fetch.Stderr = os.Stderr
	if err := fetch.Run(); err != nil {
		return nil, "", fmt.Errorf("debian kernel: %v", err)
	}
	version, _ := os.ReadFile(filepath.Join(linuxDir, "version"))
	return []guest{{"EggOS", kernel}, {"Linux", filepath.Join(linuxDir, "vmlinuz")}},
		strings.TrimSpace(string(version)), nil
}

// oneTable is `bench -fs` or `bench -net`: one table (fsFigures or
// netFigures) of EggOS beside Linux, alone.
func oneTable(root, kernel string, table func(root string, guests []guest) error) error {
	guests, _, err := linuxGuests(root, kernel)
	if err != nil {
		return err
	}
	if _, err := benchInitramfs(root); err != nil {
		return err
	}
	return table(root, guests)
}

func versusLinux(root, kernel string, runs int) error {
	guests, version, err := linuxGuests(root, kernel)
	if err != nil {
		return err
	}
	initrd, err := benchInitramfs(root)
	if err != nil {
		return err
	}

	type row struct {
		name, unit, target string
		v                  [2]float64
	}
	var rows []row
	starts := [2][2][]float64{}
	for i, g := range guests {
		starts[i][0], starts[i][1], err = startup(g, initrd, runs)
		if err != nil {
			return err
		}
	}
	rows = append(rows,
		row{"QEMU start -> Go main()", "ms", "EggOS 10x faster",
			[2]float64{median(starts[0][0]), median(starts[1][0])}},
		row{"QEMU start -> exit", "ms", "",
			[2]float64{median(starts[0][1]), median(starts[1][1])}})
	var figs [2]map[string]float64
	for i, g := range guests {
		if figs[i], err = workloads(g, initrd); err != nil {
			return err
		}
	}
	for _, w := range []struct{ key, label, unit, target string }{
		{"getpid", "getpid (1,000,000 raw calls)", "ns/call", "no slower"},
		{"pingpong", "goroutine ping-pong (unbuffered chan)", "ns/trip", "within 5%"},
		{"binarytrees", "binary-trees depth 16 (GC)", "ms", "within 5%"},
	} {
		rows = append(rows, row{w.label, w.unit, w.target, [2]float64{figs[0][w.key], figs[1][w.key]}})
	}

	fmt.Printf("\nEggOS vs %s, same QEMU (-M q35 -m 512M -smp 2, TCG), same initramfs;\n", version)
	fmt.Printf("start-up: median of %d boots; workloads: median of 5 runs in one boot.\n", runs)
	fmt.Printf("  %-40s %12s %12s %8s  %s\n", "figure", "EggOS", "Linux", "ratio", "target")
	for _, r := range rows {
		ratio := 0.0
		if r.v[1] > 0 {
			ratio = r.v[0] / r.v[1]
		}
		fmt.Printf("  %-40s %9.1f %-2s %9.1f %-2s %8.3f  %s\n", r.name, r.v[0], short(r.unit),
			r.v[1], short(r.unit), ratio, r.target)
	}
	fmt.Println("  (ratio = EggOS/Linux; below 1 means EggOS takes less time)")
	if err := fsFigures(root, guests); err != nil {
		return err
	}
	return netFigures(root, guests)
}

func short(unit string) string {
	switch unit {
	case "ns/call", "ns/trip":
		return "ns"
	}
	return unit
}
