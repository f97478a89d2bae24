package netem

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// Namespace is a named network namespace (`ip netns add`), private to one
// test: its interfaces, addresses and sockets are invisible to the host's.
// Creating one needs root (CAP_SYS_ADMIN).
type Namespace struct {
	Name string
}

// NewNamespace creates the namespace name with its loopback up. The caller
// must Delete it, also when the test fails.
func NewNamespace(name string) (*Namespace, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("netem: creating network namespace %s needs root (uid %d)", name, os.Geteuid())
	}
	if err := ip("netns", "add", name); err != nil {
		return nil, err
	}
	ns := &Namespace{Name: name}
	if err := ns.IP("link", "set", "lo", "up"); err != nil {
		ns.Delete()
		return nil, err
	}
	return ns, nil
}

// Delete removes the namespace; its interfaces (the tap) go with it once
// the last file and socket in it are closed.
func (ns *Namespace) Delete() error { return ip("netns", "delete", ns.Name) }

// IP runs `ip -n NAME args...` (address and link configuration).
func (ns *Namespace) IP(args ...string) error {
	return ip(append([]string{"-n", ns.Name}, args...)...)
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netem: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// sysSetns is setns(2)'s number on x86-64; the syscall package lacks it.
const sysSetns = 308

// Do runs fn on an OS thread that has entered the namespace, and returns
// its error. Sockets, devices and processes that fn creates belong to the
// namespace for their whole life, whichever thread uses them later. The
// thread is never handed back to the Go scheduler: its goroutine ends
// locked, so the runtime retires it.
func (ns *Namespace) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + ns.Name)
		if err != nil {
			errc <- fmt.Errorf("netem: open namespace: %w", err)
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("netem: setns %s: %w", ns.Name, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Linux's tun ABI (linux/if_tun.h).
const (
	tunSetIff = 0x400454ca // TUNSETIFF = _IOW('T', 202, int)
	iffTap    = 0x0002
	iffNoPi   = 0x1000
	ifNameLen = 16 // IFNAMSIZ
)

// ifreq is struct ifreq as TUNSETIFF reads it: the name, then the flags.
type ifreq struct {
	name  [ifNameLen]byte
	flags uint16
	_     [22]byte
}

// OpenTap creates the tap device name in the namespace, brings it up with
// the address cidr ("10.99.0.1/24") and returns its port. The device lives
// as long as the port is open.
func (ns *Namespace) OpenTap(name, cidr string) (*TapPort, error) {
	if len(name) >= ifNameLen {
		return nil, fmt.Errorf("netem: tap name %q longer than %d bytes", name, ifNameLen-1)
	}
	var file *os.File
	err := ns.Do(func() error {
		fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("netem: open /dev/net/tun: %w", err)
		}
		var req ifreq
		copy(req.name[:], name)
		req.flags = iffTap | iffNoPi
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); e != 0 {
			syscall.Close(fd)
			return fmt.Errorf("netem: TUNSETIFF %s: %w", name, e)
		}
		// Non-blocking, so the runtime's poller serves reads and Close
		// wakes a blocked one.
		file = os.NewFile(uintptr(fd), "/dev/net/tun:"+name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, args := range [][]string{{"addr", "add", cidr, "dev", name}, {"link", "set", name, "up"}} {
		if err := ns.IP(args...); err != nil {
			file.Close()
			return nil, err
		}
	}
	return &TapPort{File: file}, nil
}
