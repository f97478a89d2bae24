package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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
// ACPI is off, in the DSDT when it is on). The guest reads the superblock and writes, flushes and
// reads back a scratch disk from 8 goroutines at once.
func TestStorageTransports(t *testing.T) {
	cases := []struct{ name, machine, dev string }{
		{"q35-transitional", "q35", "virtio-blk-pci"},
		{"q35-modern", "q35", "virtio-blk-pci,disable-legacy=on"},
		{"pc-legacy", "pc", "virtio-blk-pci,disable-modern=on"},
		{"pc-modern", "pc", "virtio-blk-pci,disable-legacy=on"},
		{"microvm-mmio-cmdline", "microvm,acpi=off", "virtio-blk-device"},
		{"microvm-mmio-acpi", "microvm", "virtio-blk-device"},
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

// pattern matches the guest suite's deterministic data (tests/guest/suite/fs_ext2.go).
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// rootImageDir is a directory tree for `mke2fs -d`: the guest suite as
// /init, /dev and /tmp, and under /data what the fsimage area checks.
func rootImageDir(t *testing.T, suite string) string {
	t.Helper()
	d := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(suite)
	must(err)
	must(os.WriteFile(filepath.Join(d, "init"), bin, 0o755))
	for _, sub := range []string{"dev", "tmp", "data/sub/deep", "data/many"} {
		must(os.MkdirAll(filepath.Join(d, sub), 0o755))
	}
	must(os.WriteFile(filepath.Join(d, "data/hello.txt"), []byte("hello from the host\n"), 0o644))
	must(os.WriteFile(filepath.Join(d, "data/sub/deep/data.bin"), pattern(3, 3<<20), 0o644))
	must(os.WriteFile(filepath.Join(d, "data/script.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("hello.txt", filepath.Join(d, "data/link")))
	for i := 0; i < 500; i++ {
		must(os.WriteFile(filepath.Join(d, "data/many", fmt.Sprintf("entry-with-a-longer-name-%04d", i)), nil, 0o644))
	}
	return d
}

// wantClean fails the test unless `e2fsck -fn` finds img clean.
func wantClean(t *testing.T, img string) {
	t.Helper()
	if code, out := e2fsck(t, img); code != 0 {
		t.Errorf("e2fsck -fn exit %d:\n%s", code, out)
	}
}

// bigFileMiB is the size of the large-file test: 256 MiB, as the issue
// asks. Under TCG ext2 over virtio-blk moves 16 MB/s writing and 25 MB/s
// reading on an idle host (about 30 s for 256 MiB), three times slower
// when the two cores are busy with other tests. EGG_TEST_BIG_MB overrides.
func bigFileMiB() int {
	if v := os.Getenv("EGG_TEST_BIG_MB"); v != "" {
		var n int
		fmt.Sscan(v, &n)
		if n > 0 {
			return n
		}
	}
	return 256
}

// The root file system is ext2 made by the host's mke2fs -d: the kernel
// runs /init from it (root=/dev/vda), the guest checks the host's files,
// then works on the disk (files, directories, links, 10,000 files through
// WalkDir, a large file with SHA-256); afterwards e2fsck finds it clean.
func TestStorageExt2Root(t *testing.T) {
	suite := buildGuestGo(t, "", "./suite")
	for _, bs := range []int{4096, 1024} {
		bs := bs
		t.Run(fmt.Sprintf("block%d", bs), func(t *testing.T) {
			t.Parallel()
			img := mkext2(t, rootImageDir(t, suite), 512, bs)
			areas := "fsimage,fs,fswalk,fsbig,mmap,fifo"
			big := bigFileMiB()
			if bs == 1024 {
				areas, big = "fsimage,fs,fsbig,mmap", 8 // 1 KiB blocks: the 3-level indirect paths
			}
			res := boot(t, qemu.Config{Memory: "512M",
				Append: fmt.Sprintf("console=ttyS0 root=/dev/vda EGG_FSDIR=/data EGG_FSTYPE=ext2 EGG_BIG_MB=%d -- %s", big, areas),
				Extra:  drives("virtio-blk-pci", img), Timeout: 8 * time.Minute})
			wantStatus(t, res, 0)
			wantConsole(t, res, "PASS")
			for _, line := range strings.Split(res.Console, "\n") {
				if strings.Contains(line, "fswalk:") || strings.Contains(line, "fsbig:") {
					t.Log(strings.TrimSpace(line))
				}
			}
			wantClean(t, img)
		})
	}
}

// root=/dev/vda ro: reads work, changes fail with EROFS, and the image is
// not written at all.
func TestStorageReadOnlyRoot(t *testing.T) {
	suite := buildGuestGo(t, "", "./suite")
	img := mkext2(t, rootImageDir(t, suite), 64, 4096)
	before, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	res := boot(t, qemu.Config{
		Append: "console=ttyS0 root=/dev/vda ro EGG_FSDIR=/data -- fsro",
		Extra:  drives("virtio-blk-pci", img)})
	wantStatus(t, res, 0)
	wantConsole(t, res, "PASS")
	if after, _ := os.ReadFile(img); !bytes.Equal(before, after) {
		t.Errorf("a read-only mount changed the image")
	}
}

// The same file system areas on tmpfs, with both Go versions.
func TestStorageTmpfs(t *testing.T) {
	for i, gv := range goVersions {
		gv, cpus := gv, 2-i
		t.Run(gv.name, func(t *testing.T) {
			t.Parallel()
			runArea(t, gv.bin, gv.name, "fs,fswalk,fserrors", qemu.Config{CPUs: cpus, Memory: "512M",
				Timeout: 5 * time.Minute})
		})
	}
}

// ENAMETOOLONG, ELOOP, EMFILE and ENOSPC on ext2, as Linux reports them: a
// small disk mounted at /data is filled up, keeps working, gets its space
// back when the file goes, and e2fsck finds it clean.
func TestStorageErrors(t *testing.T) {
	img := mkext2(t, "", 8, 1024)
	runArea(t, "", "go-current", "fserrors", qemu.Config{
		Append: "console=ttyS0 mount=/dev/vda:/data EGG_FSDIR=/data EGG_FSTYPE=ext2",
		Extra:  drives("virtio-blk-pci", img)})
	wantClean(t, img)
}

// Files written and fsync'd, and bytes stored through shared file mappings
// (msync, munmap), survive a power-off and a boot on another machine type
// and transport (q35 modern PCI, then microvm virtio-mmio, then pc legacy
// PCI); e2fsck finds the disk clean after each.
func TestStoragePersistence(t *testing.T) {
	img := mkext2(t, "", 64, 4096)
	boots := []struct{ machine, dev, phase string }{
		{"q35", "virtio-blk-pci,disable-legacy=on", "write"},
		{"microvm,acpi=off", "virtio-blk-device", "check"},
		{"pc", "virtio-blk-pci,disable-modern=on", "check"},
	}
	for _, b := range boots {
		runArea(t, "", "go-current", "fspersist,mmappersist", qemu.Config{Machine: b.machine,
			Append: "console=ttyS0 mount=/dev/vda:/mnt EGG_FSDIR=/mnt EGG_PHASE=" + b.phase,
			Extra:  drives(b.dev, img), Timeout: 3 * time.Minute})
		wantClean(t, img)
	}
}

// powerCut boots cfg, waits for want on the console, then delay more, and
// kills QEMU: a power cut. Returns the console.
func powerCut(t *testing.T, cfg qemu.Config, want *regexp.Regexp, delay time.Duration) string {
	t.Helper()
	m, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.WaitConsole(want, 2*time.Minute)
	time.Sleep(delay)
	m.Kill()
	m.Wait()
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, out)
	}
	return m.Console()
}

// Bytes stored through a shared mapping reach the disk by fsync alone: the
// guest fsyncs with the mapping still in place, the host cuts the power,
// and the next boot finds the bytes.
func TestStorageMmapFsync(t *testing.T) {
	img := mkext2(t, "", 16, 4096)
	cfg := qemu.Config{Kernel: kernelPath(t), Initrd: suiteInitramfs(t, "", "go-current"),
		Append: "console=ttyS0 mount=/dev/vda:/mnt EGG_FSDIR=/mnt -- mmapfsync",
		Extra:  drives("virtio-blk-pci", img), Timeout: 3 * time.Minute}
	powerCut(t, cfg, regexp.MustCompile(`MMAP FSYNCED\r?\n`), 0)
	runArea(t, "", "go-current", "mmapfsync", qemu.Config{
		Append: "console=ttyS0 mount=/dev/vda:/mnt EGG_FSDIR=/mnt EGG_PHASE=check",
		Extra:  drives("virtio-blk-pci", img), Timeout: 3 * time.Minute})
}

// What e2fsck may find after a power cut on unjournaled ext2 (see
// docs/storage.md): lost allocations and counts, and names of files
// created during the interrupted write-back whose inodes did not reach
// the disk; never damage to files that were fsync'd.
var crashAllowed = []string{
	"Free blocks count wrong", "Free inodes count wrong", "Block bitmap differences",
	"Inode bitmap differences", "Fix?", "Pass ", "e2fsck", "WARNING", "was not cleanly unmounted",
	"i_size is", "i_blocks is", "Unattached inode", "Unattached zero-length inode",
	"Inode bitmap differences", "ref count is", "Connect to /lost+found", "Directories count wrong",
	"has zero dtime", "Deleted inode", "Clear?", "files (", "Padding at end", "Wrong",
	"Counted", "Group ", "Directories count wrong",
}

// entryRe matches e2fsck's complaints about one directory entry of /crash.
var entryRe = regexp.MustCompile(`Entry '(\d+)' in /crash .*(deleted/unused inode|incorrect filetype)`)

// A power cut in the middle of a write-heavy run: the guest writes files
// and reports each fsync; the host kills QEMU, boots again and checks
// that every file reported as synced is intact.
func TestStorageCrash(t *testing.T) {
	img := mkext2(t, "", 64, 4096)
	cfg := qemu.Config{Kernel: kernelPath(t), Initrd: suiteInitramfs(t, "", "go-current"),
		Append: "console=ttyS0 mount=/dev/vda:/mnt EGG_FSDIR=/mnt -- fscrash",
		Extra:  drives("virtio-blk-pci", img), Timeout: 3 * time.Minute}
	synced := regexp.MustCompile(`SYNCED (\d+)\r?\n`)
	// Cut the power in the middle of later writes.
	console := powerCut(t, cfg, regexp.MustCompile(`SYNCED 40\r?\n`), 250*time.Millisecond)
	all := synced.FindAllStringSubmatch(console, -1)
	last := all[len(all)-1][1]
	code, report := e2fsck(t, img)
	t.Logf("after the power cut (last fsync'd file %s), e2fsck -fn exit %d:\n%s", last, code, report)
	for _, line := range strings.Split(report, "\n") {
		trimmed := strings.TrimSpace(line)
		// A name whose inode did not reach the disk is allowed only for a
		// file that was not reported fsync'd.
		if m := entryRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			if lastN, _ := strconv.Atoi(last); n <= lastN && n%2 == 0 {
				t.Errorf("fsync'd file %d damaged: %q", n, line)
			}
			continue
		}
		// Bitmap difference lists: "+1234 -(1300--1310)".
		ok := trimmed == "" || strings.HasPrefix(trimmed, "+") || strings.HasPrefix(trimmed, "-")
		for _, a := range crashAllowed {
			ok = ok || strings.Contains(line, a)
		}
		if !ok {
			t.Errorf("e2fsck reports damage unjournaled ext2 should not show: %q", line)
		}
	}
	runArea(t, "", "go-current", "fscrash", qemu.Config{
		Append: "console=ttyS0 mount=/dev/vda:/mnt EGG_FSDIR=/mnt EGG_CRASH_N=" + last,
		Extra:  drives("virtio-blk-pci", img), Timeout: 3 * time.Minute})
}
