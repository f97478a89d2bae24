package main

// File system figures, EggOS beside Linux: the guest program's "fs" mode
// (tests/guest/bench/fs.go) on the root tmpfs and on an empty ext2 image
// attached as a virtio-blk disk. Both kernels boot the same initramfs: the
// bench program and Debian's virtio and ext4 modules, which only Linux loads.
// EggOS mounts the disk from its command line (mount=), Linux from the
// program (mount(2)); the parameter is an ignored environment variable there.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"eggos/internal/initramfs"
	"eggos/internal/qemu"
)

// fsInitramfs is the bench program plus the Linux modules.
func fsInitramfs(root, bin string) (string, error) {
	a := initramfs.New()
	if err := a.AddHostFile("init", bin, 0o755); err != nil {
		return "", err
	}
	mods, _ := filepath.Glob(filepath.Join(root, "build", "linux", "modules", "*.ko"))
	if len(mods) == 0 {
		return "", fmt.Errorf("no modules in build/linux/modules (scripts/debian-kernel.sh)")
	}
	for _, m := range mods {
		if err := a.AddHostFile("lib/modules/"+filepath.Base(m), m, 0o644); err != nil {
			return "", err
		}
	}
	cpio := filepath.Join(root, "build", "bench", "fs.cpio")
	return cpio, a.WriteFile(cpio)
}

// fsRun boots g in "fs" mode with a fresh 256 MiB ext2 disk.
func fsRun(g guest, initrd string) (map[string]float64, error) {
	img := filepath.Join(os.TempDir(), fmt.Sprintf("eggos-bench-%d.img", os.Getpid()))
	defer os.Remove(img)
	// 4 KiB blocks, as mke2fs picks for any disk of 512 MiB or more.
	mk := exec.Command("mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", img, "256M")
	if out, err := mk.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mke2fs: %v\n%s", err, out)
	}
	cfg := benchConfig(g, initrd, "fs", 15*time.Minute)
	cfg.Append = "console=ttyS0 quiet mount=/dev/vda:/mnt -- fs"
	cfg.Extra = []string{"-drive", "file=" + img + ",format=raw,if=none,id=d0",
		"-device", "virtio-blk-pci,drive=d0"}
	res, err := qemu.Run(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	if res.TimedOut || !strings.Contains(res.Console, "BENCH-DONE") || strings.Contains(res.Console, "BENCH-FAIL") {
		return nil, fmt.Errorf("%s: fs run failed:\n%s", g.name, res.Console)
	}
	figs := map[string]float64{}
	for _, m := range benchRE.FindAllStringSubmatch(res.Console, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		figs[m[1]] = v
	}
	return figs, nil
}

// fsFigures prints the file system table.
func fsFigures(root string, guests []guest) error {
	initrd, err := fsInitramfs(root, filepath.Join(root, "build", "bench", "guestbench"))
	if err != nil {
		return err
	}
	var figs [2]map[string]float64
	for i, g := range guests {
		if figs[i], err = fsRun(g, initrd); err != nil {
			return err
		}
	}
	fmt.Printf("\nfile systems, same QEMU, virtio-blk-pci on a raw 256 MiB ext2 image (4 KiB blocks); median of 5 runs:\n")
	fmt.Printf("  %-40s %12s %12s %8s\n", "figure", "EggOS", "Linux", "ratio")
	for _, fs := range []string{"tmpfs", "ext2"} {
		for _, f := range []struct{ key, label, unit string }{
			{"write", "sequential write 64 MiB (+fsync)", "MB/s"},
			{"read", "sequential read 64 MiB (cached)", "MB/s"},
			{"create", "create 2,000 empty files", "files/s"},
			{"stat", "stat 2,000 files", "files/s"},
			{"unlink", "unlink 2,000 files", "files/s"},
		} {
			e, l := figs[0][fs+"_"+f.key], figs[1][fs+"_"+f.key]
			ratio := 0.0
			if l > 0 {
				ratio = e / l
			}
			fmt.Printf("  %-40s %12.1f %12.1f %8.3f  %s\n", fs+": "+f.label, e, l, ratio, f.unit)
		}
	}
	fmt.Println("  (ratio = EggOS/Linux; above 1 means EggOS is faster)")
	return nil
}
