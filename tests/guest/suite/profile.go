package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"runtime/pprof"
	"time"
)

func init() {
	register("profile", testProfile)
}

// varint reads a protobuf varint.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// pbFields calls fn for every field of a protobuf message: its number, and
// its value (varints) or bytes (length-delimited). False if data is broken.
func pbFields(data []byte, fn func(field int, v uint64, b []byte)) bool {
	for len(data) > 0 {
		key, n := varint(data)
		if n == 0 {
			return false
		}
		data = data[n:]
		switch key & 7 {
		case 0:
			v, m := varint(data)
			if m == 0 {
				return false
			}
			fn(int(key>>3), v, nil)
			data = data[m:]
		case 2:
			l, m := varint(data)
			if m == 0 || uint64(len(data)-m) < l {
				return false
			}
			fn(int(key>>3), 0, data[m:m+int(l)])
			data = data[m+int(l):]
		case 1, 5:
			w := 8
			if key&7 == 5 {
				w = 4
			}
			if len(data) < w {
				return false
			}
			data = data[w:]
		default:
			return false
		}
	}
	return true
}

// varints decodes a packed repeated varint field (or one unpacked value).
func varints(v uint64, b []byte) []uint64 {
	if b == nil {
		return []uint64{v}
	}
	var out []uint64
	for len(b) > 0 {
		x, n := varint(b)
		if n == 0 {
			break
		}
		out = append(out, x)
		b = b[n:]
	}
	return out
}

// profSample is one sample of a CPU profile: its count, whether it has a
// label, and the functions on its stack, leaf first.
type profSample struct {
	count   int
	labeled bool
	stack   []string
}

// parseProfile decodes what the test needs of a pprof profile (the
// Profile message: samples 2, locations 4, functions 5, strings 6).
func parseProfile(data []byte) ([]profSample, bool) {
	type rawSample struct {
		locs    []uint64
		count   int
		labeled bool
	}
	var raws []rawSample
	var strs []string
	locFuncs := map[uint64][]uint64{} // location -> functions, inlined first
	funcName := map[uint64]uint64{}   // function -> string index
	ok := pbFields(data, func(field int, v uint64, b []byte) {
		switch field {
		case 2:
			var r rawSample
			first := true
			pbFields(b, func(f int, v uint64, b []byte) {
				switch f {
				case 1:
					r.locs = append(r.locs, varints(v, b)...)
				case 2:
					if vals := varints(v, b); first && len(vals) > 0 {
						r.count, first = int(vals[0]), false
					}
				case 3:
					r.labeled = true
				}
			})
			raws = append(raws, r)
		case 4:
			var id uint64
			var fns []uint64
			pbFields(b, func(f int, v uint64, b []byte) {
				switch f {
				case 1:
					id = v
				case 4: // Line
					pbFields(b, func(f int, v uint64, _ []byte) {
						if f == 1 {
							fns = append(fns, v)
						}
					})
				}
			})
			locFuncs[id] = fns
		case 5:
			var id, name uint64
			pbFields(b, func(f int, v uint64, _ []byte) {
				switch f {
				case 1:
					id = v
				case 2:
					name = v
				}
			})
			funcName[id] = name
		case 6:
			strs = append(strs, string(b))
		}
	})
	if !ok {
		return nil, false
	}
	var out []profSample
	for _, r := range raws {
		ps := profSample{count: r.count, labeled: r.labeled}
		for _, l := range r.locs {
			for _, fn := range locFuncs[l] {
				if i := funcName[fn]; i < uint64(len(strs)) {
					ps.stack = append(ps.stack, strs[i])
				}
			}
		}
		out = append(out, ps)
	}
	return out, true
}

var profSink uint64

// burn spins for d of CPU time, as far as the wall clock can tell.
func burn(d time.Duration) {
	x := profSink | 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			x = x*6364136223846793005 + 1
		}
	}
	profSink = x
}

// Go's CPU profiler needs per-thread CPU-time timers delivering SIGPROF,
// raised while the thread runs: a profile must show where the time went.
// Besides a goroutine that computes throughout, three compute in short bursts
// between sleeps, as servers do. Their CPU time must be seen in the bursts
// (which carry a profiler label), not in the futex or epoll_wait the
// thread sleeps in afterwards, where a signal raised late would land. On
// an idle host EggOS now puts 1-2% of the samples there, and put 19-21%
// before 2026-12-08 (signals raised by another CPU after the thread had
// gone to sleep, mostly in netpoll). Under the full make test load the
// Go scheduler's real work there reaches 12%, so the bound, 30%, only
// catches gross misattribution: the fix's measurement is in docs/net.md.
func testProfile(c *t) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		c.Errorf("StartCPUProfile: %v", err)
		return
	}
	end := time.Now().Add(1500 * time.Millisecond)
	done := make(chan bool)
	go pprof.Do(context.Background(), pprof.Labels("work", "steady"), func(context.Context) {
		burn(time.Until(end))
		done <- true
	})
	for i := 0; i < 3; i++ {
		go pprof.Do(context.Background(), pprof.Labels("work", "bursts"), func(context.Context) {
			for time.Now().Before(end) {
				burn(200 * time.Microsecond)
				time.Sleep(time.Millisecond)
			}
			done <- true
		})
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	pprof.StopCPUProfile()
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		c.Errorf("profile is not gzip: %v", err)
		return
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		c.Errorf("profile: %v", err)
		return
	}
	samples, ok := parseProfile(raw)
	if !ok {
		c.Errorf("cannot parse the %d-byte profile", len(raw))
		return
	}
	// Where a thread sleeps: Go parks an idle thread in futexsleep, waits
	// for the network and timers in netpoll, and backs off in usleep.
	sleeping := map[string]bool{"runtime.futexsleep": true, "runtime.netpoll": true, "runtime.usleep": true}
	n, labeled, asleep := 0, 0, 0
	for _, ps := range samples {
		n += ps.count
		if ps.labeled {
			labeled += ps.count
		}
		for _, fn := range ps.stack {
			if sleeping[fn] {
				asleep += ps.count
				break
			}
		}
	}
	c.Logf("%d samples in 1.5 s: %d in the computing goroutines, %d in futexsleep, netpoll or usleep",
		n, labeled, asleep)
	if n < 20 {
		c.Errorf("only %d CPU profile samples in 1.5 s (want >= 20 at 100 Hz)", n)
	}
	if labeled*10 < n*6 {
		c.Errorf("only %d of %d samples are in the goroutines that use the CPU (want >= 60%%)", labeled, n)
	}
	if asleep*10 > n*3 {
		c.Errorf("%d of %d samples are where threads sleep (want <= 30%%): the signal came late", asleep, n)
	}
}
