package tests

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"eggos/internal/qemu"
)

// The vDSO image (build/vdso/vdso.so) is an ELF that Go's runtime parser
// (runtime/vdso_linux.go) accepts: a shared object linked at 0 whose first
// PT_LOAD covers the headers, a PT_DYNAMIC, hash tables, version
// definitions, the functions versioned LINUX_2.6, and nothing to relocate.
func TestVDSOImage(t *testing.T) {
	p := filepath.Join(root(), "build", "vdso", "vdso.so")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s missing: run `make kernel` first", p)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		t.Fatalf("type %v machine %v class %v", f.Type, f.Machine, f.Class)
	}
	var loads, dyns int
	for _, ph := range f.Progs {
		switch ph.Type {
		case elf.PT_LOAD:
			loads++
			if ph.Off != 0 || ph.Vaddr != 0 || ph.Flags&elf.PF_W != 0 {
				t.Errorf("PT_LOAD at offset %#x vaddr %#x flags %v", ph.Off, ph.Vaddr, ph.Flags)
			}
		case elf.PT_DYNAMIC:
			dyns++
		}
	}
	if loads != 1 || dyns != 1 {
		t.Errorf("%d PT_LOAD and %d PT_DYNAMIC, want 1 and 1", loads, dyns)
	}
	for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_SYMTAB, elf.DT_STRTAB,
		elf.DT_VERSYM, elf.DT_VERDEF} {
		if v, err := f.DynValue(tag); err != nil || len(v) != 1 {
			t.Errorf("dynamic tag %v: %v %v", tag, v, err)
		}
	}
	for _, s := range []string{".rela.dyn", ".rel.dyn", ".data", ".bss", ".got"} {
		if sec := f.Section(s); sec != nil && sec.Size != 0 {
			t.Errorf("section %s present (%d bytes): the vDSO must not need relocation or data", s,
				sec.Size)
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"__vdso_clock_gettime": false, "__vdso_gettimeofday": false,
		"__vdso_time": false, "__vdso_clock_getres": false}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF && s.Name != "" {
			t.Errorf("undefined symbol %s", s.Name)
		}
		if _, ok := want[s.Name]; !ok {
			continue
		}
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || elf.ST_BIND(s.Info) != elf.STB_GLOBAL ||
			s.Version != "LINUX_2.6" {
			t.Errorf("%s: type %v bind %v version %q", s.Name, elf.ST_TYPE(s.Info),
				elf.ST_BIND(s.Info), s.Version)
		}
		want[s.Name] = true
	}
	for name, found := range want {
		if !found {
			t.Errorf("%s not exported", name)
		}
	}
}

// With the vDSO, 100,000 time.Now() calls enter the kernel (almost) never:
// booted with "strace", the console shows every system call, and the loop
// adds no clock_gettime lines (without a vDSO it would add 100,000).
func TestVDSOStrace(t *testing.T) {
	res := runArea(t, "", "go-current", "vdsoloop", qemu.Config{Append: "console=ttyS0 strace"})
	n := len(regexp.MustCompile(`\] clock_gettime\(`).FindAllStringIndex(res.Console, -1))
	t.Logf("%d clock_gettime system calls", n)
	if n > 100 {
		t.Errorf("%d clock_gettime system calls for 100,000 time.Now(): the vDSO is not used", n)
	}
	if !regexp.MustCompile(`vdsoloop: 100000 readings`).MatchString(res.Console) {
		t.Errorf("the loop did not run")
	}
	if !regexp.MustCompile(`\] exit_group\(0\) = \?`).MatchString(res.Console) {
		t.Errorf("strace shows no exit_group: is it tracing at all?")
	}
}
