package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func init() {
	register("timers", testTimers)
	register("preempt", testPreempt)
	register("hang", testHang)
}

// hang never ends: one goroutine spins in user mode while main sleeps, the
// guest the harness's timeout handling is tested with (TestTimeoutDump).
func testHang(c *t) {
	go func() {
		for {
			spinSink++
		}
	}()
	for {
		time.Sleep(time.Hour)
	}
}

func testTimers(c *t) {
	// 10,000 concurrent time.After all fire, none early.
	const n = 10000
	var wg sync.WaitGroup
	var early, fired int64
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		d := time.Duration(1+i%50) * time.Millisecond
		go func(d time.Duration) {
			defer wg.Done()
			t0 := time.Now()
			<-time.After(d)
			if time.Since(t0) < d {
				atomic.AddInt64(&early, 1)
			}
			atomic.AddInt64(&fired, 1)
		}(d)
	}
	wg.Wait()
	if fired != n || early != 0 {
		c.Errorf("time.After: %d fired, %d early", fired, early)
	}
	c.Logf("10000 timers in %v", time.Since(start))

	// time.Sleep(10ms) never returns early.
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		time.Sleep(10 * time.Millisecond)
		if d := time.Since(t0); d < 10*time.Millisecond {
			c.Errorf("Sleep(10ms) returned after %v", d)
		}
	}

	// The monotonic clock never goes back, on any thread.
	var back int64
	var mwg sync.WaitGroup
	for g := 0; g < runtime.GOMAXPROCS(0)*2; g++ {
		mwg.Add(1)
		go func() {
			defer mwg.Done()
			prev := time.Now()
			for i := 0; i < 50000; i++ {
				now := time.Now()
				if now.Before(prev) {
					atomic.AddInt64(&back, 1)
				}
				prev = now
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	mwg.Wait()
	if back != 0 {
		c.Errorf("monotonic clock went back %d times", back)
	}

	// Wall clock is plausible (the RTC was read at boot): after 2020.
	if time.Now().Year() < 2020 {
		c.Errorf("wall clock says %v", time.Now())
	}
	timerSlack(c)
}

// prctl's timer slack, as on Linux: 50 us by default, settable, and 0
// gives the default back. A nanosleep ends no earlier than asked whatever
// the slack.
func timerSlack(c *t) {
	const prSetTimerslack, prGetTimerslack = 29, 30
	prctl := func(op, arg uintptr) uintptr {
		r, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, op, arg, 0)
		if e != 0 {
			c.Errorf("prctl(%d, %d): %v", op, arg, e)
		}
		return r
	}
	runtime.LockOSThread() // the slack is per thread
	defer runtime.UnlockOSThread()
	if s := prctl(prGetTimerslack, 0); s != 50000 {
		c.Errorf("default timer slack %d ns, want 50000", s)
	}
	prctl(prSetTimerslack, 2000000)
	if s := prctl(prGetTimerslack, 0); s != 2000000 {
		c.Errorf("timer slack %d ns after setting 2 ms", s)
	}
	for i := 0; i < 5; i++ {
		ts := syscall.Timespec{Nsec: 300000}
		t0 := time.Now()
		syscall.Nanosleep(&ts, nil)
		if d := time.Since(t0); d < 300*time.Microsecond {
			c.Errorf("nanosleep(300us) with 2 ms of slack returned after %v", d)
		}
	}
	prctl(prSetTimerslack, 0)
	if s := prctl(prGetTimerslack, 0); s != 50000 {
		c.Errorf("timer slack %d ns after setting 0, want the default 50000", s)
	}
}

//go:noinline
func spin(stop *int32) int {
	n := 0
	for atomic.LoadInt32(stop) == 0 {
		n++
	}
	return n
}

var spinSink int

// A goroutine spinning without function calls must not stop a GC or other
// goroutines: the runtime preempts it with a signal (SIGURG via tgkill).
func testPreempt(c *t) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	var stop int32
	go func() {
		// A loop with no calls at all: only asynchronous preemption stops it.
		var x uint64
		for atomic.LoadInt32(&stop) == 0 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		spinSink = int(x)
	}()
	time.Sleep(10 * time.Millisecond) // let it start
	done := make(chan time.Duration, 1)
	go func() {
		t0 := time.Now()
		runtime.GC()
		done <- time.Since(t0)
	}()
	select {
	case d := <-done:
		c.Logf("GC finished in %v beside a spinning goroutine", d)
	case <-time.After(30 * time.Second):
		c.Errorf("GC did not finish while a goroutine spun: no async preemption")
	}
	ticks := 0
	deadline := time.After(2 * time.Second)
loop:
	for {
		select {
		case <-deadline:
			break loop
		default:
			ticks++
			time.Sleep(time.Millisecond)
		}
	}
	// Without asynchronous preemption the spinner would keep the only P and
	// ticks would stay at 0 or 1; a loaded TCG host lets sysmon preempt only
	// every few tens of milliseconds, so ask for a handful, not a rate.
	if ticks < 5 {
		c.Errorf("main goroutine ran only %d times in 2s beside a spinner", ticks)
	}
	atomic.StoreInt32(&stop, 1)
}
