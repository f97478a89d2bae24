package tests

// QEMU's tap backend, as clouds and the bench use it: the host's TCP hands
// the tap whole 64 KiB segments, and QEMU passes them to a guest that took
// virtio-net's GUEST_TSO4 unsegmented (large receive). TestNetem cannot see
// this: its relay carries Ethernet-sized frames.

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"eggos/internal/netem"
	"eggos/internal/qemu"
)

const (
	tapTestDevice = "tapgso"
	tapTestHost   = "10.98.0.1"
	tapTestGuest  = "10.98.0.2"
	tapTestMiB    = 32
)

// eth0's receive counters in /proc/net/dev, as the netem area logs them.
var devRE = regexp.MustCompile(`eth0:\s+(\d+)\s+(\d+)\s+(\d+)`)

// 32 MiB each way at once over a QEMU tap netdev, SHA-256 checked by both
// ends; the host's segments arrive merged: eth0's mean received frame is
// longer than the 1514 bytes one Ethernet frame can be.
func TestNICTapOffload(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatalf("TestNICTapOffload needs root to create a network namespace and a tap device (uid %d): "+
			"run it as root, as CI does", os.Geteuid())
	}
	const size = tapTestMiB << 20
	kernel := kernelPath(t)
	initrd := suiteInitramfs(t, "", "go-current")
	ns, err := netem.NewNamespace(fmt.Sprintf("eggtap%d", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			t.Errorf("delete namespace: %v", err)
		}
	})
	for _, args := range [][]string{
		{"tuntap", "add", "dev", tapTestDevice, "mode", "tap"},
		{"addr", "add", tapTestHost + "/24", "dev", tapTestDevice},
		{"link", "set", tapTestDevice, "up"},
	} {
		if err := ns.IP(args...); err != nil {
			t.Fatal(err)
		}
	}
	down, up, err := peerListeners(ns, tapTestHost)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	defer up.Close()
	downc := make(chan peerResult, 1)
	upc := make(chan peerResult, 1)
	go func() { downc <- netemPeerSend(down, size) }()
	go func() { upc <- netemPeerReceive(up, size) }()

	cfg := qemu.Config{
		Kernel: kernel,
		Initrd: initrd,
		CPUs:   2,
		Append: fmt.Sprintf("console=ttyS0 loglevel=7 ip=%s::%s:255.255.255.0:eggtap:eth0:off -- netem "+
			"peer=%s down=%d up=%d size=%d seed=%d",
			tapTestGuest, tapTestHost, tapTestHost, netemDownPort, netemUpPort, size, netemSeedGuest),
		Extra: []string{"-netdev", "tap,id=n0,ifname=" + tapTestDevice + ",script=no,downscript=no",
			"-device", "virtio-net-pci,netdev=n0"},
		Timeout: 5 * time.Minute,
	}
	var res *qemu.Result
	if err := ns.Do(func() (err error) { res, err = qemu.Run(context.Background(), cfg); return err }); err != nil {
		t.Fatal(err)
	}
	peerVerdicts(t, down, up, downc, upc, size)
	if res.TimedOut || res.Status != 0 || !strings.Contains(res.Console, "PASS") {
		t.Fatalf("guest status %d (timed out %v):\n%s", res.Status, res.TimedOut, res.Console)
	}
	if !strings.Contains(res.Console, "guest_tso4") {
		t.Errorf("virtio-net did not take GUEST_TSO4:\n%s", res.Console)
	}
	m := devRE.FindStringSubmatch(res.Console)
	if m == nil {
		t.Fatalf("no eth0 counters on the console:\n%s", res.Console)
	}
	bytes, _ := strconv.ParseFloat(m[1], 64)
	packets, _ := strconv.ParseFloat(m[2], 64)
	errs, _ := strconv.Atoi(m[3])
	t.Logf("eth0 received %.0f bytes in %.0f frames (%.0f bytes each), %d errors", bytes, packets,
		bytes/packets, errs)
	if packets == 0 || bytes/packets <= 1514 {
		t.Errorf("eth0's frames average %.0f bytes: the host's segments did not arrive merged", bytes/packets)
	}
	if errs != 0 {
		t.Errorf("eth0 counted %d receive errors", errs)
	}
}
