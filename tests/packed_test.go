package tests

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"eggos/internal/qemu"
)

// The image that boots is packed (kernel/arch/x86_64/unpack.S): it says how
// long unpacking took, and the uncompressed kernel boots the same way on
// every machine type.
func TestPackedImage(t *testing.T) {
	for _, m := range []string{"pc", "q35", "microvm"} {
		m := m
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			res := boot(t, qemu.Config{Machine: m, Append: "console=ttyS0 loglevel=6"})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, "(PVH boot)", "unpacking", "kernel ready", "no application to run")
			res = boot(t, qemu.Config{Machine: m, Kernel: rawKernelPath(t), Append: "console=ttyS0 loglevel=6"})
			wantStatus(t, res, exitNoInit)
			wantConsole(t, res, "(PVH boot)", "kernel ready", "no application to run")
			if bytes.Contains([]byte(res.Console), []byte("unpacking")) {
				t.Errorf("the raw kernel says it was unpacked")
			}
		})
	}
}

// A packed image whose payload is damaged stops with a message and the
// kernel's panic status; it neither hangs nor runs a broken kernel.
func TestPackedImageCorrupt(t *testing.T) {
	packed, err := os.ReadFile(kernelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	sec := f.Section(".unpack.payload")
	if sec == nil {
		t.Fatalf("%s has no .unpack.payload section", kernelPath(t))
	}
	cases := map[string]func(p []byte){
		// Length bytes of 255 make every following run overlong.
		"overlong": func(p []byte) {
			for i := len(p) / 2; i < len(p)/2+64; i++ {
				p[i] = 0xff
			}
		},
		// Cut short: the output ends early.
		"short": func(p []byte) {
			for i := len(p) - 4096; i < len(p); i++ {
				p[i] = 0
			}
		},
	}
	for name, damage := range cases {
		name, damage := name, damage
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img := append([]byte{}, packed...)
			damage(img[sec.Offset : sec.Offset+sec.Size])
			path := filepath.Join(t.TempDir(), "eggos-"+name+".elf")
			if err := os.WriteFile(path, img, 0o644); err != nil {
				t.Fatal(err)
			}
			res := boot(t, qemu.Config{Machine: "microvm", Kernel: path, Append: "console=ttyS0"})
			wantStatus(t, res, exitKernelPanic)
			wantConsole(t, res, "the packed kernel image is corrupt")
		})
	}
}
