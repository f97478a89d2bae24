// Package qprof profiles a guest from outside: it samples every virtual
// CPU's instruction pointer through QEMU's monitor ("info registers -a")
// and attributes the samples to functions of the kernel and of the
// application by their ELF symbol tables.
//
// It needs nothing from the guest, so it sees kernel and user time alike
// (Go's own profiler only sees user time, and the guest's system calls as
// where its signals landed). Each sample costs the guest a short pause of
// every CPU, so sample at tens of hertz, not thousands, and read the result
// as shares, not as absolute times.
package qprof

import (
	"debug/elf"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Sampler is what qprof needs of a QEMU monitor.
type Sampler interface {
	Command(cmd string) (string, error)
}

var ripRE = regexp.MustCompile(`RIP=([0-9a-f]{16})`)

// sample reads every CPU's RIP once.
func sample(m Sampler) ([]uint64, error) {
	out, err := m.Command("info registers -a")
	if err != nil {
		return nil, err
	}
	var rips []uint64
	for _, s := range ripRE.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseUint(s[1], 16, 64)
		if err != nil {
			return nil, err
		}
		rips = append(rips, v)
	}
	if len(rips) == 0 {
		return nil, fmt.Errorf("qprof: no RIP in the monitor's answer: %q", out)
	}
	return rips, nil
}

// Collect samples every interval until d has passed or stop is closed.
func Collect(m Sampler, interval, d time.Duration, stop <-chan struct{}) ([]uint64, error) {
	var all []uint64
	t := time.NewTicker(interval)
	defer t.Stop()
	end := time.After(d)
	for {
		select {
		case <-stop:
			return all, nil
		case <-end:
			return all, nil
		case <-t.C:
			rips, err := sample(m)
			if err != nil {
				return all, err
			}
			all = append(all, rips...)
		}
	}
}

// Symbols maps addresses to function names.
type Symbols struct {
	syms []sym
}

type sym struct {
	addr, size uint64
	name       string
}

// Load adds the function symbols of the ELF file at path; prefix marks
// their names (for instance "k:" for the kernel).
func (s *Symbols) Load(path, prefix string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range syms {
		if elf.ST_TYPE(e.Info) == elf.STT_FUNC && e.Value != 0 {
			s.syms = append(s.syms, sym{e.Value, e.Size, prefix + e.Name})
		}
	}
	sort.Slice(s.syms, func(i, j int) bool { return s.syms[i].addr < s.syms[j].addr })
	return nil
}

// Name returns the function holding addr, or "?" and whether it is
// kernel-half.
func (s *Symbols) Name(addr uint64) string {
	i := sort.Search(len(s.syms), func(i int) bool { return s.syms[i].addr > addr }) - 1
	if i >= 0 {
		e := s.syms[i]
		if addr < e.addr+max(e.size, 1) {
			return e.name
		}
	}
	if addr >= 1<<63 {
		return "k:?"
	}
	return "u:?"
}

// Report prints the top functions of samples, with the kernel's share.
func Report(w io.Writer, samples []uint64, syms *Symbols, top int) {
	counts := map[string]int{}
	kernel := 0
	for _, a := range samples {
		counts[syms.Name(a)]++
		if a >= 1<<63 {
			kernel++
		}
	}
	type row struct {
		name string
		n    int
	}
	var rows []row
	for k, v := range counts {
		rows = append(rows, row{k, v})
	}
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].n > rows[j].n || rows[i].n == rows[j].n && rows[i].name < rows[j].name
	})
	n := len(samples)
	if n == 0 {
		fmt.Fprintln(w, "  no samples")
		return
	}
	fmt.Fprintf(w, "  %d samples, %.1f%% in the kernel\n", n, 100*float64(kernel)/float64(n))
	for i, r := range rows {
		if i == top {
			break
		}
		fmt.Fprintf(w, "  %6.2f%%  %s\n", 100*float64(r.n)/float64(n), r.name)
	}
}
