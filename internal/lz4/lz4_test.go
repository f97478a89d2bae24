package lz4

import (
	"bytes"
	"math/rand"
	"os"
	"testing"
)

func roundTrip(t *testing.T, src []byte) []byte {
	t.Helper()
	c := Compress(src)
	d, err := Decompress(c, len(src))
	if err != nil {
		t.Fatalf("%d bytes: %v", len(src), err)
	}
	if !bytes.Equal(d, src) {
		t.Fatalf("%d bytes: the round trip changed the data", len(src))
	}
	checkTail(t, c, len(src))
	return c
}

// checkTail checks the format's end rules: after the last match come at
// least 5 literals, and no match starts in the last 12 bytes.
func checkTail(t *testing.T, c []byte, n int) {
	t.Helper()
	pos, lastMatchStart, lastLits := 0, -1, 0
	for i := 0; i < len(c); {
		token := int(c[i])
		i++
		l := token >> 4
		if l == 15 {
			for c[i] == 255 {
				l += 255
				i++
			}
			l += int(c[i])
			i++
		}
		i += l
		pos += l
		lastLits = l
		if i == len(c) {
			break
		}
		i += 2
		m := token&15 + minMatch
		if token&15 == 15 {
			for c[i] == 255 {
				m += 255
				i++
			}
			m += int(c[i])
			i++
		}
		lastMatchStart = pos
		pos += m
	}
	if lastMatchStart < 0 {
		return // literals only
	}
	if lastMatchStart >= n-matchLimit {
		t.Errorf("a match starts at %d of %d bytes", lastMatchStart, n)
	}
	if lastLits < lastLitsMin {
		t.Errorf("the block ends with %d literals after a match, want >= %d", lastLits, lastLitsMin)
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 100000)
	rng.Read(random)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog. "), 3000)
	mixed := append(append(append([]byte{}, random[:5000]...), make([]byte, 70000)...), text[:20000]...)
	cases := map[string][]byte{
		"empty":      {},
		"one":        {7},
		"twelve":     bytes.Repeat([]byte{1}, 12),
		"thirteen":   bytes.Repeat([]byte{1}, 13),
		"zeros":      make([]byte, 300000), // runs longer than the window
		"random":     random,
		"text":       text,
		"mixed":      mixed,
		"long-lits":  random[:270], // a literal length of 15 + 255
		"long-match": bytes.Repeat([]byte{0xab, 0xcd}, 40000),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			c := roundTrip(t, src)
			t.Logf("%d -> %d", len(src), len(c))
		})
	}
}

// The encoder finds what there is to find: repetitive input shrinks a lot,
// random input grows by at most the format's overhead.
func TestRatio(t *testing.T) {
	if c := Compress(make([]byte, 1<<20)); len(c) > 5000 {
		t.Errorf("1 MiB of zeros compressed to %d bytes", len(c))
	}
	random := make([]byte, 1<<16)
	rand.New(rand.NewSource(2)).Read(random)
	if c := Compress(random); len(c) > len(random)+len(random)/255+16 {
		t.Errorf("64 KiB of random bytes grew to %d", len(c))
	}
	// A real program: this test binary.
	if exe, err := os.ReadFile(os.Args[0]); err == nil {
		exe = exe[:min(len(exe), 1<<20)]
		if c := roundTrip(t, exe); len(c) > len(exe)*3/4 {
			t.Errorf("an executable compressed only to %d of %d bytes", len(c), len(exe))
		}
	}
}

// Decompress refuses malformed blocks instead of reading or writing past
// an end.
func TestDecompressCorrupt(t *testing.T) {
	good := Compress(bytes.Repeat([]byte("abcdefgh"), 100))
	cases := map[string][]byte{
		"truncated literals":  {0x50, 'a', 'b'},
		"truncated length":    {0xf0, 255},
		"truncated offset":    {0x14, 'a', 1},
		"offset zero":         {0x14, 'a', 0, 0},
		"offset before start": {0x14, 'a', 2, 0},
		"cut":                 good[:len(good)-3],
	}
	for name, c := range cases {
		if _, err := Decompress(c, 1000); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Decompress(good, 799); err == nil {
		t.Errorf("output larger than maxSize accepted")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello hello hello hello"))
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, src []byte) {
		roundTrip(t, src)
	})
}

func FuzzDecompress(f *testing.F) {
	f.Add(Compress([]byte("hello hello hello hello")))
	f.Fuzz(func(t *testing.T, c []byte) {
		Decompress(c, 1<<16) // must not panic
	})
}
