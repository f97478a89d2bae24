package netem

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Port is one end of a relay: it reads and writes whole Ethernet frames.
// WriteFrame may be called from two goroutines at once (the frames that
// skip the delay and the delay line).
type Port interface {
	ReadFrame(buf []byte) (int, error)
	WriteFrame(frame []byte) error
	Close() error
}

// maxFrame is the largest frame a port reads: an Ethernet frame with a
// 1500-byte MTU is 1514 bytes; keep room for a larger MTU.
const maxFrame = 65536

// UDPPort is the relay's end of QEMU's `-netdev dgram` link: every datagram
// is one frame, to and from QEMU's socket at Peer. Datagrams from any other
// address are ignored.
type UDPPort struct {
	Conn *net.UDPConn
	Peer *net.UDPAddr
}

// ListenUDP opens a UDPPort on 127.0.0.1 (port 0: any) that talks to peer.
func ListenUDP(port int, peer *net.UDPAddr) (*UDPPort, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return nil, fmt.Errorf("netem: udp port: %w", err)
	}
	return &UDPPort{Conn: c, Peer: peer}, nil
}

// Addr is the port's own address (QEMU's remote address).
func (p *UDPPort) Addr() *net.UDPAddr { return p.Conn.LocalAddr().(*net.UDPAddr) }

// ReadFrame reads the next datagram from the peer.
func (p *UDPPort) ReadFrame(buf []byte) (int, error) {
	for {
		n, from, err := p.Conn.ReadFromUDP(buf)
		if err != nil {
			return 0, err
		}
		if from.Port == p.Peer.Port && from.IP.Equal(p.Peer.IP) {
			return n, nil
		}
	}
}

// WriteFrame sends one frame as one datagram.
func (p *UDPPort) WriteFrame(frame []byte) error {
	_, err := p.Conn.WriteToUDP(frame, p.Peer)
	return err
}

// Close closes the socket; a blocked ReadFrame returns.
func (p *UDPPort) Close() error { return p.Conn.Close() }

// TapPort is a tap device's file (IFF_TAP | IFF_NO_PI: bare frames).
type TapPort struct {
	File *os.File
}

// ReadFrame reads the next frame the kernel sent out of the tap device.
func (p *TapPort) ReadFrame(buf []byte) (int, error) { return p.File.Read(buf) }

// WriteFrame hands one frame to the kernel as received on the device.
func (p *TapPort) WriteFrame(frame []byte) error {
	_, err := p.File.Write(frame)
	return err
}

// Close closes the file; a blocked ReadFrame returns.
func (p *TapPort) Close() error { return p.File.Close() }

// Stats counts what one direction of a relay did with its frames.
type Stats struct {
	Frames     uint64 // read from the source port
	Lost       uint64 // dropped by the model's loss
	Duplicated uint64 // sent twice
	Reordered  uint64 // copies sent at once, skipping the delay
	Overflow   uint64 // dropped because the delay line held Limit frames
	Sent       uint64 // written to the destination port
	WriteErrs  uint64 // destination writes that failed (the frame is gone)
}

func (s Stats) String() string {
	return fmt.Sprintf("%d frames: %d lost, %d duplicated, %d sent early, %d overflowed, %d sent, %d write errors",
		s.Frames, s.Lost, s.Duplicated, s.Reordered, s.Overflow, s.Sent, s.WriteErrs)
}

// counters are a Stats updated from two goroutines.
type counters struct {
	frames, lost, duplicated, reordered, overflow, sent, writeErrs atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{Frames: c.frames.Load(), Lost: c.lost.Load(), Duplicated: c.duplicated.Load(),
		Reordered: c.reordered.Load(), Overflow: c.overflow.Load(), Sent: c.sent.Load(),
		WriteErrs: c.writeErrs.Load()}
}

// delayed is a frame in the delay line and the time it is due.
type delayed struct {
	due   time.Time
	frame []byte
}

// direction moves frames from src to dst through one Model. The delay line
// is a FIFO: every waiting frame has the same delay, so due times only grow,
// and frames that skip it are written straight from the reader.
type direction struct {
	src, dst Port
	dec      *decider
	line     chan delayed
	stats    counters
}

func newDirection(src, dst Port, m Model, seed int64) *direction {
	limit := m.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	return &direction{src: src, dst: dst, dec: newDecider(m, seed), line: make(chan delayed, limit)}
}

func (d *direction) write(frame []byte) {
	if err := d.dst.WriteFrame(frame); err != nil {
		d.stats.writeErrs.Add(1)
		return
	}
	d.stats.sent.Add(1)
}

// read runs until the source port fails (it is closed), then ends the line.
func (d *direction) read() {
	defer close(d.line)
	buf := make([]byte, maxFrame)
	for {
		n, err := d.src.ReadFrame(buf)
		if err != nil {
			return
		}
		d.stats.frames.Add(1)
		v := d.dec.decide()
		switch v.Copies {
		case 0:
			d.stats.lost.Add(1)
			continue
		case 2:
			d.stats.duplicated.Add(1)
		}
		for i := 0; i < v.Copies; i++ {
			frame := append([]byte(nil), buf[:n]...)
			if v.Immediate[i] {
				if d.dec.m.Delay > 0 {
					d.stats.reordered.Add(1)
				}
				d.write(frame)
				continue
			}
			select {
			case d.line <- delayed{due: time.Now().Add(d.dec.m.Delay), frame: frame}:
			default:
				d.stats.overflow.Add(1)
			}
		}
	}
}

// drain writes each delayed frame when it is due.
func (d *direction) drain() {
	for f := range d.line {
		if wait := time.Until(f.due); wait > 0 {
			time.Sleep(wait)
		}
		d.write(f.frame)
	}
}

// Relay joins two ports: frames from A go to B through AtoB's model, frames
// from B to A through BtoA's.
type Relay struct {
	a, b     Port
	ab, ba   *direction
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Start begins relaying; seed makes the impairment decisions repeatable
// (the two directions use seed and seed+1).
func Start(a, b Port, aToB, bToA Model, seed int64) *Relay {
	r := &Relay{a: a, b: b, ab: newDirection(a, b, aToB, seed), ba: newDirection(b, a, bToA, seed+1)}
	for _, d := range []*direction{r.ab, r.ba} {
		d := d
		r.wg.Add(2)
		go func() { defer r.wg.Done(); d.read() }()
		go func() { defer r.wg.Done(); d.drain() }()
	}
	return r
}

// Stats returns the counters of each direction so far.
func (r *Relay) Stats() (aToB, bToA Stats) { return r.ab.stats.snapshot(), r.ba.stats.snapshot() }

// Close closes both ports and waits for the relay's goroutines; frames
// still in the delay lines are dropped.
func (r *Relay) Close() error {
	r.once.Do(func() {
		r.closeErr = errors.Join(r.a.Close(), r.b.Close())
		r.wg.Wait()
	})
	return r.closeErr
}
