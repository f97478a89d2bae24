package qprof

import (
	"strings"
	"testing"
	"time"
)

type fakeMonitor struct{ answers []string }

func (f *fakeMonitor) Command(cmd string) (string, error) {
	if cmd != "info registers -a" {
		return "unknown command", nil
	}
	a := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	return a, nil
}

// Every CPU's RIP is read from the monitor's answer.
func TestCollect(t *testing.T) {
	m := &fakeMonitor{answers: []string{
		"CPU#0\nRAX=0000000000000000 RBX=0000000000000001\nRIP=ffffffff80100010 RFL=00000246\n" +
			"CPU#1\nRIP=0000000000401000 RFL=00000202\n",
	}}
	got, err := Collect(m, time.Millisecond, 20*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || len(got)%2 != 0 || got[0] != 0xffffffff80100010 || got[1] != 0x401000 {
		t.Fatalf("samples %x", got)
	}
	if _, err := Collect(&fakeMonitor{answers: []string{"no registers"}}, time.Millisecond,
		10*time.Millisecond, nil); err == nil {
		t.Errorf("an answer without RIP was accepted")
	}
}

// Addresses are named by the symbol tables loaded, unknown ones by half.
func TestReport(t *testing.T) {
	var syms Symbols
	syms.syms = []sym{{0x401000, 0x100, "u:main.main"}, {0xffffffff80100000, 0x40, "k:kmain"}}
	samples := []uint64{0x401010, 0x401020, 0xffffffff80100010, 0xffffffff90000000, 0x500000}
	var b strings.Builder
	Report(&b, samples, &syms, 10)
	out := b.String()
	for _, want := range []string{"5 samples, 40.0% in the kernel", "40.00%  u:main.main", "20.00%  k:kmain",
		"20.00%  k:?", "20.00%  u:?"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
