package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

func init() {
	register("signals", testSignals)
}

func testSignals(c *t) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP)
	defer signal.Stop(ch)

	// kill(getpid) -> process-directed; tgkill -> one thread.
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		c.Errorf("kill: %v", err)
	}
	if err := syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGUSR2); err != nil {
		c.Errorf("tgkill: %v", err)
	}
	got := map[os.Signal]bool{}
	timeout := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case s := <-ch:
			got[s] = true
		case <-timeout:
			c.Errorf("signals received: %v, want SIGUSR1 and SIGUSR2", got)
			return
		}
	}

	// An ignored signal is dropped; a default-ignored one too.
	signal.Ignore(syscall.SIGHUP)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		c.Errorf("kill SIGHUP: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		c.Errorf("kill SIGWINCH: %v", err)
	}
	select {
	case s := <-ch:
		c.Errorf("ignored signal delivered: %v", s)
	case <-time.After(50 * time.Millisecond):
	}

	// Errors for bad targets and numbers.
	if err := syscall.Kill(12345, syscall.SIGUSR1); err != syscall.ESRCH {
		c.Errorf("kill(12345) = %v, want ESRCH", err)
	}
	if err := syscall.Tgkill(os.Getpid(), 999999, syscall.SIGUSR1); err != syscall.ESRCH {
		c.Errorf("tgkill(bad tid) = %v, want ESRCH", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.Signal(99)); err != syscall.EINVAL {
		c.Errorf("kill(sig 99) = %v, want EINVAL", err)
	}
	// Signal 0 probes.
	if err := syscall.Kill(os.Getpid(), 0); err != nil {
		c.Errorf("kill(sig 0) = %v", err)
	}
}
