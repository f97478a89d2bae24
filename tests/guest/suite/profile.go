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

// profileSamples counts CPU samples in a pprof profile, all of them and
// those with a label: the first value of every Sample message (field 2 of
// Profile; values are its field 2, packed or, for two values or fewer, one
// varint each; labels are its field 3).
func profileSamples(data []byte) (total, labeled int, ok bool) {
	for len(data) > 0 {
		key, n := varint(data)
		if n == 0 {
			return 0, 0, false
		}
		data = data[n:]
		switch key & 7 {
		case 0:
			_, n = varint(data)
			data = data[n:]
		case 2:
			l, n := varint(data)
			if n == 0 || uint64(len(data)-n) < l {
				return 0, 0, false
			}
			msg := data[n : n+int(l)]
			data = data[n+int(l):]
			if key>>3 != 2 {
				continue
			}
			count, hasLabel, first := 0, false, true
			for len(msg) > 0 { // Sample
				k, m := varint(msg)
				if m == 0 {
					return 0, 0, false
				}
				msg = msg[m:]
				switch k & 7 {
				case 2:
					l2, m2 := varint(msg)
					if m2 == 0 || uint64(len(msg)-m2) < l2 {
						return 0, 0, false
					}
					field := msg[m2 : m2+int(l2)]
					msg = msg[m2+int(l2):]
					if k>>3 == 2 && first { // packed values: samples, nanoseconds
						v, _ := varint(field)
						count, first = int(v), false
					}
					hasLabel = hasLabel || k>>3 == 3
				case 0:
					v, m2 := varint(msg)
					msg = msg[m2:]
					if k>>3 == 2 && first {
						count, first = int(v), false
					}
				default:
					return 0, 0, false
				}
			}
			total += count
			if hasLabel {
				labeled += count
			}
		case 1:
			data = data[8:]
		case 5:
			data = data[4:]
		default:
			return 0, 0, false
		}
	}
	return total, labeled, true
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
// thread sleeps in afterwards, where a signal raised late would land.
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
	n, labeled, ok := profileSamples(raw)
	if !ok {
		c.Errorf("cannot parse the %d-byte profile", len(raw))
		return
	}
	c.Logf("%d samples in 1.5 s, %d of them in the computing goroutines", n, labeled)
	if n < 20 {
		c.Errorf("only %d CPU profile samples in 1.5 s (want >= 20 at 100 Hz)", n)
	}
	if labeled*10 < n*9 {
		c.Errorf("only %d of %d samples are in the goroutines that use the CPU (want >= 90%%)", labeled, n)
	}
}
