// Package netem impairs an Ethernet link in user space, the way Linux's
// netem qdisc does, for tests on machines whose kernel has no sch_netem.
//
// A Relay moves whole frames between two Ports (a tap device, or a UDP
// socket speaking QEMU's `-netdev dgram` protocol: one frame a datagram)
// and passes each direction through a Model: loss, duplication, a fixed
// delay, and netem's reordering, in which some frames skip the delay and
// overtake the ones waiting. namespace.go creates the network namespace and
// the tap device a test needs.
package netem

import (
	"math/rand"
	"time"
)

// Model is one direction's impairment, with the meaning of the tc-netem(8)
// options of the same names. Probabilities are in [0, 1].
type Model struct {
	Loss      float64       // "loss P": each frame is dropped with probability P
	Duplicate float64       // "duplicate P": each frame is sent twice with probability P
	Delay     time.Duration // "delay D": every frame waits D...
	// "reorder P C": ...except frames picked with probability P, correlated
	// C with the previous pick (netem's correlated random), which go at
	// once. netem needs a delay for reordering to happen; so does Model.
	Reorder, ReorderCorr float64
	// "limit N": at most N frames wait in the delay line; more are dropped
	// (netem's default is 1000).
	Limit int
}

// Issue5 is the impairment issue #5 asks for: 5% loss, 1% duplication,
// 50 ms delay, reordering as in netem's example `reorder 25% 50%`. Like
// netem's, the correlated random gathers near 0.5, so about 7% of the
// frames (not 25%) skip the delay and overtake the others.
var Issue5 = Model{Loss: 0.05, Duplicate: 0.01, Delay: 50 * time.Millisecond,
	Reorder: 0.25, ReorderCorr: 0.5, Limit: defaultLimit}

// defaultLimit is netem's default queue limit, in frames.
const defaultLimit = 1000

// Verdict is what a Model decides for one frame: how many copies leave
// (0 = lost, 2 = duplicated) and, for each, whether it skips the delay.
type Verdict struct {
	Copies    int
	Immediate [2]bool
}

// decider draws a Model's random decisions from one seeded source, so a run
// can be repeated. Not safe for concurrent use: one per direction.
type decider struct {
	m       Model
	rng     *rand.Rand
	lastReo float64 // the previous value of the correlated reorder random
}

func newDecider(m Model, seed int64) *decider {
	return &decider{m: m, rng: rand.New(rand.NewSource(seed))}
}

// correlated returns netem's correlated random: a uniform value mixed with
// the previous one in proportion to the correlation (get_crandom).
func (d *decider) correlated(corr float64, last *float64) float64 {
	v := d.rng.Float64()
	if corr != 0 {
		v = (1-corr)*v + corr*(*last)
	}
	*last = v
	return v
}

// decide draws the verdict for the next frame.
func (d *decider) decide() Verdict {
	var v Verdict
	if d.m.Loss > 0 && d.rng.Float64() < d.m.Loss {
		return v
	}
	v.Copies = 1
	if d.m.Duplicate > 0 && d.rng.Float64() < d.m.Duplicate {
		v.Copies = 2
	}
	for i := 0; i < v.Copies; i++ {
		// As in netem_enqueue(): a frame goes at once when the correlated
		// random is at most the reorder probability, otherwise it waits.
		if d.m.Delay > 0 && d.m.Reorder > 0 {
			v.Immediate[i] = d.correlated(d.m.ReorderCorr, &d.lastReo) <= d.m.Reorder
		} else if d.m.Delay == 0 {
			v.Immediate[i] = true
		}
	}
	return v
}
