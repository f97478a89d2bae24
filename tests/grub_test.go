package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// grubISO builds a GRUB rescue ISO that boots the kernel through multiboot2.
func grubISO(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "iso")
	if err := os.MkdirAll(filepath.Join(tree, "boot", "grub"), 0o755); err != nil {
		t.Fatal(err)
	}
	kernel, err := os.ReadFile(kernelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "boot", "eggos.elf"), kernel, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry "EggOS" {
    multiboot2 /boot/eggos.elf console=ttyS0 loglevel=6 -- hello
    boot
}
`
	if err := os.WriteFile(filepath.Join(tree, "boot", "grub", "grub.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(dir, "eggos.iso")
	out, err := exec.Command("grub-mkrescue", "-o", iso, tree).CombinedOutput()
	if err != nil {
		t.Fatalf("grub-mkrescue: %v\n%s", err, out)
	}
	return iso
}

// The multiboot2 header works with GRUB on BIOS and on UEFI: the packed
// image unpacks the kernel, which reports a multiboot2 boot, gets its
// command line and memory map from GRUB, and runs to the end.
func TestGRUBMultiboot2(t *testing.T) {
	iso := grubISO(t)
	for _, fw := range []string{"bios", "uefi"} {
		fw := fw
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			extra := []string{"-cdrom", iso}
			if fw == "uefi" {
				vars := filepath.Join(t.TempDir(), "vars.fd")
				data, err := os.ReadFile("/usr/share/OVMF/OVMF_VARS_4M.fd")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(vars, data, 0o644); err != nil {
					t.Fatal(err)
				}
				extra = append(extra,
					"-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
					"-drive", "if=pflash,format=raw,file="+vars)
			}
			res := boot(t, qemu.Config{Kernel: noKernel, Extra: extra, Timeout: 3 * time.Minute})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, "(multiboot2 boot) cmdline: console=ttyS0 loglevel=6 -- hello",
				"unpacking", "kernel ready", "no application to run")
		})
	}
}
