// Package lz4 compresses data into the LZ4 block format, for the kernel's
// packed boot image (tools/kpack, kernel/arch/x86_64/unpack.S).
//
// The format is a sequence of sequences, each
//
//	token (literal length << 4 | match length - 4)
//	[literal length - 15 as bytes of 255 ending below 255]
//	literals
//	offset (2 bytes, little endian, 1..65535)
//	[match length - 19 as bytes of 255 ending below 255]
//
// and the last sequence stops after its literals. As the format requires,
// the last 5 bytes are literals and no match starts in the last 12 bytes,
// so any LZ4 block decoder reads our output.
//
// The encoder spends time for ratio (the image is built once and unpacked
// at every boot): it finds the longest match at every position through
// hash chains, then chooses matches and literals by the smallest encoded
// size from each position to the end (optimal parsing).
package lz4

import (
	"errors"
	"fmt"
)

const (
	minMatch    = 4
	maxOffset   = 65535
	lastLitsMin = 5  // the block ends with at least this many literals
	matchLimit  = 12 // no match starts in the last 12 bytes
	hashBits    = 16
	chainDepth  = 1024
	// A match this long is taken without searching further; inside one,
	// the next position's match is the same one, a byte shorter.
	goodEnough = 512
	// Besides its longest match, each position tries every shorter
	// length up to this one: past it, the cost barely moves with length.
	shortLens = 64
)

// extraBytes is how many length bytes follow the token for a length field
// of n (literal length, or match length - 4).
func extraBytes(n int) int {
	if n < 15 {
		return 0
	}
	return 1 + (n-15)/255
}

func hash4(b []byte, i int) uint32 {
	v := uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
	return (v * 2654435761) >> (32 - hashBits)
}

// longestMatches returns, for every position, the length and offset of the
// longest earlier match within the window (length 0: none).
func longestMatches(src []byte) (lens []int32, offs []uint16) {
	n := len(src)
	lens = make([]int32, n)
	offs = make([]uint16, n)
	head := make([]int32, 1<<hashBits)
	for i := range head {
		head[i] = -1
	}
	prev := make([]int32, n)
	end := n - matchLimit // matches start before end
	for i := 0; i+minMatch <= n; i++ {
		h := hash4(src, i)
		prev[i], head[h] = head[h], int32(i)
		if i >= end {
			continue
		}
		if i > 0 && lens[i-1] > goodEnough {
			lens[i], offs[i] = lens[i-1]-1, offs[i-1]
			continue
		}
		limit := n - lastLitsMin - i // a match ends before the last literals
		best, bestOff := 0, 0
		for c, depth := prev[i], 0; c >= 0 && i-int(c) <= maxOffset && depth < chainDepth; c, depth = prev[c], depth+1 {
			j := int(c)
			if src[j+best] != src[i+best] {
				continue
			}
			l := 0
			for l < limit && src[j+l] == src[i+l] {
				l++
			}
			if l > best {
				best, bestOff = l, i-j
				if l >= goodEnough || l == limit {
					break
				}
			}
		}
		if best >= minMatch {
			lens[i], offs[i] = int32(best), uint16(bestOff)
		}
	}
	return lens, offs
}

// Compress returns src in the LZ4 block format.
func Compress(src []byte) []byte {
	n := len(src)
	lens, offs := longestMatches(src)
	// cost[i]: bytes to encode src[i:]; choice[i]: match length taken at
	// i (0: a literal). A literal is counted as one byte and a match as
	// its token, offset and length bytes; the literal-length bytes of
	// runs of 15 and more are left out, which makes this nearly, not
	// exactly, optimal.
	cost := make([]int, n+1)
	choice := make([]int32, n+1)
	for i := n - 1; i >= 0; i-- {
		cost[i], choice[i] = 1+cost[i+1], 0
		maxLen := int(lens[i])
		try := func(l int) {
			if c := 3 + extraBytes(l-minMatch) + cost[i+l]; c < cost[i] {
				cost[i], choice[i] = c, int32(l)
			}
		}
		for l := minMatch; l <= maxLen && l <= shortLens; l++ {
			try(l)
		}
		if maxLen > shortLens {
			try(maxLen)
		}
	}
	out := make([]byte, 0, n/2+16)
	lit := 0 // start of the pending literals
	for i := 0; i < n; {
		l := int(choice[i])
		if l == 0 {
			i++
			continue
		}
		out = appendSequence(out, src[lit:i], int(offs[i]), l)
		i += l
		lit = i
	}
	return appendSequence(out, src[lit:], 0, 0)
}

// appendLength writes the bytes that carry a length field's excess over 15.
func appendLength(out []byte, n int) []byte {
	for n -= 15; n >= 255; n -= 255 {
		out = append(out, 255)
	}
	return append(out, byte(n))
}

// appendSequence adds literals and then a match (matchLen 0: none, the end).
func appendSequence(out, lits []byte, off, matchLen int) []byte {
	token := min(len(lits), 15) << 4
	if matchLen > 0 {
		token |= min(matchLen-minMatch, 15)
	}
	out = append(out, byte(token))
	if len(lits) >= 15 {
		out = appendLength(out, len(lits))
	}
	out = append(out, lits...)
	if matchLen == 0 {
		return out
	}
	out = append(out, byte(off), byte(off>>8))
	if matchLen-minMatch >= 15 {
		out = appendLength(out, matchLen-minMatch)
	}
	return out
}

var errCorrupt = errors.New("lz4: corrupt block")

// Decompress decodes an LZ4 block of at most maxSize bytes of output. It is
// the reference the packed image's decoder (unpack.S) is checked against.
func Decompress(src []byte, maxSize int) ([]byte, error) {
	out := make([]byte, 0, maxSize)
	length := func(i *int, n int) (int, error) {
		if n < 15 {
			return n, nil
		}
		for {
			if *i >= len(src) {
				return 0, errCorrupt
			}
			b := int(src[*i])
			*i++
			n += b
			if b != 255 {
				return n, nil
			}
		}
	}
	for i := 0; i < len(src); {
		token := int(src[i])
		i++
		nlit, err := length(&i, token>>4)
		if err != nil {
			return nil, err
		}
		if nlit > len(src)-i || len(out)+nlit > maxSize {
			return nil, errCorrupt
		}
		out = append(out, src[i:i+nlit]...)
		i += nlit
		if i == len(src) {
			break
		}
		if i+2 > len(src) {
			return nil, errCorrupt
		}
		off := int(src[i]) | int(src[i+1])<<8
		i += 2
		mlen, err := length(&i, token&15)
		if err != nil {
			return nil, err
		}
		mlen += minMatch
		if off == 0 || off > len(out) || len(out)+mlen > maxSize {
			return nil, fmt.Errorf("%w: match at %d back %d", errCorrupt, len(out), off)
		}
		for k := 0; k < mlen; k++ {
			out = append(out, out[len(out)-off])
		}
	}
	return out, nil
}
