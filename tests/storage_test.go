package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// Storage: PCI, the virtio transports, virtio-blk, the block cache and
// ext2 (docs/storage.md). Disk images are made on the host with mke2fs.

// mkext2 makes an ext2 image of sizeMiB from the host directory src (empty:
// an empty file system) with the given block size; extra mke2fs flags may follow.
func mkext2(t *testing.T, src string, sizeMiB, blockSize int, extra ...string) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	args := []string{"-q", "-F", "-t", "ext2", "-b", fmt.Sprint(blockSize)}
	args = append(args, extra...)
	if src != "" {
		args = append(args, "-d", src)
	}
	args = append(args, img, fmt.Sprintf("%dM", sizeMiB))
	if out, err := exec.Command("mke2fs", args...).CombinedOutput(); err != nil {
		t.Fatalf("mke2fs %v: %v\n%s", args, err, out)
	}
	return img
}

// scratchDisk is a zeroed raw image of sizeMiB.
func scratchDisk(t *testing.T, sizeMiB int) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "scratch.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, int64(sizeMiB)<<20); err != nil {
		t.Fatal(err)
	}
	return img
}

// drives returns QEMU arguments attaching images in order (vda, vdb...) as dev.
func drives(dev string, images ...string) []string {
	var args []string
	for i, img := range images {
		args = append(args, "-drive", fmt.Sprintf("file=%s,format=raw,if=none,id=d%d", img, i),
			"-device", fmt.Sprintf("%s,drive=d%d", dev, i))
	}
	return args
}

// e2fsck runs `e2fsck -fn` on img and returns its exit code and output.
func e2fsck(t *testing.T, img string) (int, string) {
	t.Helper()
	out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("e2fsck: %v", err)
	}
	return 0, string(out)
}

// The transports: modern and legacy virtio-blk-pci on q35 and pc, and
// virtio-mmio on microvm (QEMU names its devices on the command line when
// ACPI is off). The guest reads the superblock and writes, flushes and
// reads back a scratch disk from 8 goroutines at once.
func TestStorageTransports(t *testing.T) {
	cases := []struct{ name, machine, dev string }{
		{"q35-transitional", "q35", "virtio-blk-pci"},
		{"q35-modern", "q35", "virtio-blk-pci,disable-legacy=on"},
		{"pc-legacy", "pc", "virtio-blk-pci,disable-modern=on"},
		{"pc-modern", "pc", "virtio-blk-pci,disable-legacy=on"},
		{"microvm-mmio", "microvm,acpi=off", "virtio-blk-device"},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fs := mkext2(t, "", 16, 4096)
			scratch := scratchDisk(t, 4)
			res := runArea(t, "", "go-current", "blkdev", qemu.Config{Machine: c.machine,
				Append: "console=ttyS0 loglevel=7",
				Extra:  drives(c.dev, fs, scratch), Timeout: 2 * time.Minute})
			wantConsole(t, res, "block: vda", "block: vdb")
			if strings.Contains(c.dev, "disable-modern") && !strings.Contains(res.Console, "(legacy)") {
				t.Errorf("legacy device not driven through the legacy transport")
			}
		})
	}
}
