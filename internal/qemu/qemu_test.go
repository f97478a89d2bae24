package qemu

import (
	"syscall"
	"testing"
)

// Only QEMU's own crash before any guest output earns a second boot: a
// guest that printed something, or a QEMU that was killed or exited, is
// the run's result.
func TestCrashedEarly(t *testing.T) {
	for _, c := range []struct {
		res  Result
		want bool
	}{
		{Result{Signal: syscall.SIGSEGV}, true},
		{Result{Signal: syscall.SIGABRT, Console: " \n"}, true},
		{Result{Signal: syscall.SIGSEGV, Console: "[    0.000000] EggOS"}, false},
		{Result{Signal: syscall.SIGKILL}, false},
		{Result{QEMUExit: 1}, false},
		{Result{}, false},
	} {
		if got := crashedEarly(&c.res); got != c.want {
			t.Errorf("crashedEarly(%+v) = %v, want %v", c.res, got, c.want)
		}
	}
}
