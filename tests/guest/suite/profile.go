package main

import (
	"bytes"
	"compress/gzip"
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

// profileSamples counts CPU samples in a pprof profile: the first value of
// every Sample message (field 2 of Profile; values are its field 2, packed
// or, for two values or fewer, one varint each).
func profileSamples(data []byte) (int, bool) {
	total := 0
	for len(data) > 0 {
		key, n := varint(data)
		if n == 0 {
			return 0, false
		}
		data = data[n:]
		switch key & 7 {
		case 0:
			_, n = varint(data)
			data = data[n:]
		case 2:
			l, n := varint(data)
			if n == 0 || uint64(len(data)-n) < l {
				return 0, false
			}
			msg := data[n : n+int(l)]
			data = data[n+int(l):]
			if key>>3 != 2 {
				continue
			}
			first := true
			for len(msg) > 0 { // Sample
				k, m := varint(msg)
				msg = msg[m:]
				if k&7 == 2 {
					l2, m2 := varint(msg)
					field := msg[m2 : m2+int(l2)]
					msg = msg[m2+int(l2):]
					if k>>3 == 2 && first { // packed values: samples, nanoseconds
						v, _ := varint(field)
						total += int(v)
						first = false
					}
				} else if k&7 == 0 {
					v, m2 := varint(msg)
					msg = msg[m2:]
					if k>>3 == 2 && first {
						total += int(v)
						first = false
					}
				} else {
					return 0, false
				}
			}
		case 1:
			data = data[8:]
		case 5:
			data = data[4:]
		default:
			return 0, false
		}
	}
	return total, true
}

var profSink uint64

// Go's CPU profiler needs per-thread CPU-time timers delivering SIGPROF.
func testProfile(c *t) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		c.Errorf("StartCPUProfile: %v", err)
		return
	}
	end := time.Now().Add(1500 * time.Millisecond)
	x := uint64(1)
	for time.Now().Before(end) {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1
		}
	}
	profSink = x
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
	n, ok := profileSamples(raw)
	if !ok {
		c.Errorf("cannot parse the %d-byte profile", len(raw))
		return
	}
	c.Logf("%d samples in 1.5 s of CPU", n)
	if n < 20 {
		c.Errorf("only %d CPU profile samples in 1.5 s (want >= 20 at 100 Hz)", n)
	}
}
