package main

// What the program does only on Linux, to stand where EggOS stands: Debian's
// kernel has the virtio and ext4 drivers as modules, so the initramfs carries
// them under /lib/modules (tests/bench adds them) and the program loads them
// before it touches a disk or a NIC. On EggOS the drivers are built in and
// none of this runs.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// sysFinitModule is finit_module(2) on amd64 (not in Go's syscall package).
const sysFinitModule = 313

// moduleOrder loads dependencies first (each module's "depends=" line).
var moduleOrder = []string{
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
	"virtio_blk", "failover", "net_failover", "virtio_net",
	"crc16", "mbcache", "jbd2", "crc32c_generic", "ext4",
}

// onEggOS tells the two kernels apart by the release string.
func onEggOS() bool {
	var u syscall.Utsname
	return syscall.Uname(&u) == nil && strings.Contains(utsString(u.Release[:]), "eggos")
}

// loadModules loads the drivers found in /lib/modules, once.
func loadModules() {
	if onEggOS() {
		return
	}
	for _, name := range moduleOrder {
		f, err := os.Open("/lib/modules/" + name + ".ko")
		if err != nil {
			continue
		}
		empty := []byte{0}
		_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(&empty[0])), 0)
		f.Close()
		if e != 0 && e != syscall.EEXIST {
			fmt.Printf("BENCH-WARN load %s: %v\n", name, e)
		}
	}
}

// mountDisk makes the ext2 disk /dev/vda available at dir. EggOS mounted it
// already (mount=/dev/vda:dir on the command line); Linux is told here.
func mountDisk(dir string) error {
	if onEggOS() {
		return nil
	}
	loadModules()
	os.MkdirAll("/dev", 0o755)
	if err := syscall.Mount("devtmpfs", "/dev", "devtmpfs", 0, ""); err != nil && err != syscall.EBUSY {
		return fmt.Errorf("mount devtmpfs: %v", err)
	}
	os.MkdirAll(dir, 0o755)
	if err := syscall.Mount("/dev/vda", dir, "ext2", 0, ""); err != nil {
		return fmt.Errorf("mount /dev/vda: %v", err)
	}
	return nil
}
