package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("goroutines", testGoroutines)
	register("sync", testSync)
}

// 100,000 goroutines in a chain pass a token; every one takes part.
func testGoroutines(c *t) {
	const n = 100000
	first := make(chan int)
	in := first
	for i := 0; i < n; i++ {
		out := make(chan int)
		go func(in <-chan int, out chan<- int) { out <- 1 + <-in }(in, out)
		in = out
	}
	first <- 0
	select {
	case got := <-in:
		if got != n {
			c.Errorf("token counted %d hops, want %d", got, n)
		}
	case <-time.After(120 * time.Second):
		c.Errorf("token did not come through %d goroutines", n)
	}

	// select with timeouts: the ready case wins, the timeout fires when nothing is ready.
	ready := make(chan int, 1)
	ready <- 7
	select {
	case v := <-ready:
		if v != 7 {
			c.Errorf("select got %d", v)
		}
	case <-time.After(time.Second):
		c.Errorf("select timed out with a ready channel")
	}
	never := make(chan int)
	start := time.Now()
	select {
	case <-never:
		c.Errorf("received from a channel nobody sends on")
	case <-time.After(20 * time.Millisecond):
		if d := time.Since(start); d < 20*time.Millisecond {
			c.Errorf("select timeout after %v, before 20ms", d)
		}
	}
}

// Mutex, RWMutex, WaitGroup, Cond and atomics under contention across all Ps.
func testSync(c *t) {
	procs := runtime.GOMAXPROCS(0) * 4
	const iters = 20000

	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counter != procs*iters {
		c.Errorf("mutex counter %d, want %d", counter, procs*iters)
	}

	var rw sync.RWMutex
	shared := map[int]int{}
	var readers int64
	for p := 0; p < procs; p++ {
		wg.Add(2)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				rw.Lock()
				shared[p] = i
				rw.Unlock()
			}
		}(p)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				rw.RLock()
				_ = len(shared)
				atomic.AddInt64(&readers, 1)
				rw.RUnlock()
			}
		}()
	}
	wg.Wait()
	if readers != int64(procs*2000) || len(shared) != procs {
		c.Errorf("rwmutex: %d reads, %d writers seen", readers, len(shared))
	}

	// Cond: a producer hands items to consumers one at a time.
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	queue := 0
	consumed := int64(0)
	const items = 5000
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cmu.Lock()
				for queue == 0 && atomic.LoadInt64(&consumed) < items {
					cond.Wait()
				}
				if atomic.LoadInt64(&consumed) >= items {
					cmu.Unlock()
					cond.Broadcast()
					return
				}
				queue--
				atomic.AddInt64(&consumed, 1)
				cmu.Unlock()
			}
		}()
	}
	for i := 0; i < items; i++ {
		cmu.Lock()
		queue++
		cmu.Unlock()
		cond.Signal()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		c.Errorf("cond consumers stuck: consumed %d of %d", atomic.LoadInt64(&consumed), items)
		return
	}
	if consumed != items {
		c.Errorf("cond: consumed %d, want %d", consumed, items)
	}

	// Atomics across every P: compare-and-swap increments never lose updates.
	var v int64
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				for {
					old := atomic.LoadInt64(&v)
					if atomic.CompareAndSwapInt64(&v, old, old+1) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	if v != int64(procs*iters) {
		c.Errorf("atomic counter %d, want %d", v, procs*iters)
	}
}
