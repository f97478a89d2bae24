package main

// Network figures, EggOS beside Linux: the guest program's "serve" mode
// (tests/guest/bench/net.go) in the same QEMU with the same NIC
// (virtio-net-pci on -M q35) on both kernels. From the host: wrk's requests
// per second on a 612-byte page with 30 connections, and TCP throughput in
// each direction.
//
// The guest sits on a tap device in a network namespace the bench makes
// (host 10.0.9.1, guest 10.0.9.2), and QEMU, wrk and the bench's own
// connections run inside that namespace. QEMU's user networking (slirp) is
// the fallback when the namespace cannot be made (not root): it measures
// slirp as much as the guest — it accepts the host's connections with a
// backlog of 1 and carries every byte through a user-space TCP stack in
// QEMU's main thread — so its figures are printed with that warning.
// Linux loads the virtio-net modules from the initramfs and configures eth0
// itself; EggOS takes its address from ip= (tap) or slirp's DHCP.

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"eggos/internal/netem"
	"eggos/internal/qemu"
	"eggos/internal/qprof"
	"eggos/internal/wrk"
)

var (
	netOnly    = flag.Bool("net", false, "only the network figures")
	netProfile = flag.String("net-profile", "", "save a CPU profile of each guest under load in this directory")
	netSlirp   = flag.Bool("net-slirp", false, "QEMU user networking instead of a tap device")
	netSample  = flag.Bool("net-sample", false, "sample EggOS's CPUs through QEMU's monitor under load (kernel and user functions)")
	netEggOS   = flag.Bool("net-eggos", false, "only EggOS, not the Linux guest (while working on EggOS)")
	netRounds  = flag.Int("net-rounds", 3, "network runs per guest, EggOS and Linux in turn; the medians are printed")
	netNoBulk  = flag.Bool("net-http-only", false, "skip the TCP throughput transfers")
)

const (
	netConnections = 30
	netPage        = 612
	netWarmup      = 5 * time.Second
	netDuration    = 20 * time.Second
	netTimeout     = 10 * time.Second
	netBytes       = 64 << 20 // per throughput transfer
	netRuns        = 3        // throughput transfers per direction; the median is printed
)

var servingRE = regexp.MustCompile(`BENCH-SERVING|BENCH-FAIL.*`)

// netResult is one guest's figures.
type netResult struct {
	rps, up, down float64 // req/s; host->guest and guest->host MB/s
	wrkErrors     string  // wrk's error counts, by kind
	reached       int64   // wrk's connections the guest's server accepted during the run
	threads       int64   // threads the Go runtime had made by the end
	// Per request during wrk's run, from the guest's /proc/stat.
	intrPerReq, ctxtPerReq float64
	cpuShares              string  // how each guest CPU spent wrk's run
	segsIn, segsOut        float64 // TCP segments received and sent (/proc/net/snmp)
	// Host CPU time QEMU spent per request (guest and device emulation):
	// unlike req/s, this hardly moves with the load of the shared host.
	cpuPerReq time.Duration
	irqRows   []string // /proc/interrupts rows that moved, per request
}

// interruptsPerRequest compares two /proc/interrupts texts row by row (the
// first field names the row, the last numeric fields are per-CPU counts)
// and returns the rows that moved, as counts per request.
func interruptsPerRequest(before, after string, requests int64) []string {
	sums := func(text string) (map[string]int64, map[string]string) {
		n, names := map[string]int64{}, map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || !strings.HasSuffix(f[0], ":") {
				continue
			}
			var sum int64
			i := 1
			for ; i < len(f); i++ {
				v, err := strconv.ParseInt(f[i], 10, 64)
				if err != nil {
					break
				}
				sum += v
			}
			n[f[0]], names[f[0]] = sum, strings.Join(f[i:], " ")
		}
		return n, names
	}
	b, _ := sums(before)
	a, names := sums(after)
	var rows []string
	for k, v := range a {
		if d := v - b[k]; d > 0 {
			rows = append(rows, fmt.Sprintf("%8.3f  %s %s", float64(d)/float64(requests), k, names[k]))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(rows)))
	return rows
}

// tcpSegments reads InSegs and OutSegs from a /proc/net/snmp text.
func tcpSegments(snmp string) (in, out int64) {
	var names []string
	for _, line := range strings.Split(snmp, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i := 1; i < len(f) && i < len(names); i++ {
			switch names[i] {
			case "InSegs":
				fmt.Sscan(f[i], &in)
			case "OutSegs":
				fmt.Sscan(f[i], &out)
			}
		}
		break
	}
	return in, out
}

// procStat is what the bench reads of a guest's /proc/stat: interrupts,
// context switches and each CPU's user, system and idle ticks.
type procStat struct {
	intr, ctxt int64
	cpus       [][3]int64
}

// cpuShares says how each CPU spent the time between two /proc/stat reads.
func cpuShares(a, b procStat) string {
	var parts []string
	for i := 0; i < len(a.cpus) && i < len(b.cpus); i++ {
		var d [3]float64
		total := 0.0
		for k := range d {
			d[k] = float64(b.cpus[i][k] - a.cpus[i][k])
			total += d[k]
		}
		if total <= 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("cpu%d user %.0f%% system %.0f%% idle %.0f%%", i,
			100*d[0]/total, 100*d[1]/total, 100*d[2]/total))
	}
	return strings.Join(parts, "; ")
}

// procFile reads a file of the guest's /proc.
func (p *netPath) procFile(name string) (string, error) {
	resp, err := p.get("/proc/" + name)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("/proc/%s: %s", name, resp.Status)
	}
	return string(body), err
}

func (p *netPath) procStat() (procStat, error) {
	var st procStat
	body, err := p.procFile("stat")
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(body, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "intr" || f[0] == "ctxt") {
			fmt.Sscan(f[1], map[string]*int64{"intr": &st.intr, "ctxt": &st.ctxt}[f[0]])
		}
		// cpuN user nice system idle ...
		if len(f) >= 5 && strings.HasPrefix(f[0], "cpu") && f[0] != "cpu" {
			var c [3]int64
			fmt.Sscan(f[1], &c[0])
			fmt.Sscan(f[3], &c[1])
			fmt.Sscan(f[4], &c[2])
			st.cpus = append(st.cpus, c)
		}
	}
	return st, nil
}

// Addresses of the bench's tap network.
const (
	tapNamespace = "eggbench"
	tapDevice    = "tapbench"
	tapHost      = "10.0.9.1"
	tapGuest     = "10.0.9.2"
	tapMask      = "255.255.255.0"
)

// netPath is how the host reaches a guest: through a tap device in the
// namespace ns, or (ns nil) through slirp's port forwards web and raw on
// 127.0.0.1.
type netPath struct {
	ns       *netem.Namespace
	web, raw int
}

// newNetPath makes the tap network, or says why it falls back to slirp.
func newNetPath() (*netPath, error) {
	if !*netSlirp {
		ns, err := tapNetwork()
		if err == nil {
			return &netPath{ns: ns, web: 80, raw: 81}, nil
		}
		fmt.Printf("  (no tap network: %v; falling back to user networking)\n", err)
	}
	web, err := freePort()
	if err != nil {
		return nil, err
	}
	raw, err := freePort()
	if err != nil {
		return nil, err
	}
	return &netPath{web: web, raw: raw}, nil
}

// tapNetwork creates the namespace with a persistent tap device that QEMU
// opens by name from inside it.
func tapNetwork() (*netem.Namespace, error) {
	if _, err := os.Stat("/var/run/netns/" + tapNamespace); err == nil {
		(&netem.Namespace{Name: tapNamespace}).Delete() // left by a killed run
	}
	ns, err := netem.NewNamespace(tapNamespace)
	if err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"tuntap", "add", "dev", tapDevice, "mode", "tap"},
		{"addr", "add", tapHost + "/24", "dev", tapDevice},
		{"link", "set", tapDevice, "up"},
	} {
		if err := ns.IP(args...); err != nil {
			ns.Delete()
			return nil, err
		}
	}
	return ns, nil
}

func (p *netPath) close() {
	if p.ns != nil {
		p.ns.Delete()
	}
}

func (p *netPath) kind() string {
	if p.ns != nil {
		return "a tap device (no slirp)"
	}
	return "QEMU user networking (slirp) with host port forwards"
}

// configure adds the NIC and the guest's address to cfg.
func (p *netPath) configure(cfg *qemu.Config) {
	if p.ns == nil {
		cfg.Extra = []string{"-netdev",
			fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:81", p.web, p.raw),
			"-device", "virtio-net-pci,netdev=n0"}
		return
	}
	cfg.Extra = []string{"-netdev", "tap,id=n0,ifname=" + tapDevice + ",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=n0"}
	// EggOS reads ip=; the Linux guest (no CONFIG_IP_PNP) gets both as
	// environment variables and uses BENCH_ADDR.
	cfg.Append = strings.Replace(cfg.Append, " -- ",
		fmt.Sprintf(" ip=%s::%s:%s::eth0:off BENCH_ADDR=%s -- ", tapGuest, tapHost, tapMask, tapGuest), 1)
}

// in runs fn where the guest is reachable: inside the namespace (processes
// fn starts, QEMU and wrk, stay there) or here.
func (p *netPath) in(fn func() error) error {
	if p.ns == nil {
		return fn()
	}
	return p.ns.Do(fn)
}

func (p *netPath) addr(port int) string {
	if p.ns == nil {
		return fmt.Sprintf("127.0.0.1:%d", port)
	}
	return fmt.Sprintf("%s:%d", tapGuest, port)
}

func (p *netPath) dial(addr string) (net.Conn, error) {
	var c net.Conn
	err := p.in(func() (err error) {
		c, err = net.DialTimeout("tcp", addr, netTimeout)
		return err
	})
	return c, err
}

// get fetches path from the guest's web server.
func (p *netPath) get(path string) (*http.Response, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) { return p.dial(addr) },
	}}
	return client.Get("http://" + p.addr(p.web) + path)
}

// accepted asks the guest how many connections its HTTP server has taken
// (counting the one that asks) and how many threads Go has made.
func (p *netPath) accepted() (conns, threads int64, err error) {
	resp, err := p.get("/accepted")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, err = fmt.Fscan(resp.Body, &conns, &threads)
	return conns, threads, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// transfer moves netBytes over the guest's :81 and returns MB/s; up means
// host -> guest.
func (p *netPath) transfer(up bool) (float64, error) {
	c, err := p.dial(p.addr(p.raw))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	start := time.Now()
	var got int64
	if up {
		buf := make([]byte, 64<<10)
		if _, err := c.Write([]byte{'W'}); err != nil {
			return 0, err
		}
		for sent := 0; sent < netBytes; sent += len(buf) {
			if _, err := c.Write(buf); err != nil {
				return 0, err
			}
		}
		c.(*net.TCPConn).CloseWrite()
		var count [8]byte
		if _, err := io.ReadFull(c, count[:]); err != nil {
			return 0, fmt.Errorf("no count from the guest: %w", err)
		}
		got = int64(binary.BigEndian.Uint64(count[:]))
	} else {
		req := make([]byte, 9)
		req[0] = 'R'
		binary.BigEndian.PutUint64(req[1:], netBytes)
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		if got, err = io.Copy(io.Discard, c); err != nil {
			return 0, err
		}
	}
	if got != netBytes {
		return 0, fmt.Errorf("%d of %d bytes", got, netBytes)
	}
	return float64(netBytes) / 1e6 / time.Since(start).Seconds(), nil
}

// profile saves a CPU profile of the guest program taken during d.
func (p *netPath) profile(d time.Duration, file string) error {
	resp, err := p.get(fmt.Sprintf("/profile?seconds=%d", int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// netRun boots g in "serve" mode on p and measures it.
func netRun(g guest, initrd string, p *netPath) (netResult, error) {
	var res netResult
	cfg := benchConfig(g, initrd, "serve", 10*time.Minute)
	p.configure(&cfg)
	sampling := *netSample && g.name == "EggOS"
	cfg.Monitor = sampling
	var m *qemu.Machine
	if err := p.in(func() (err error) { m, err = qemu.Start(context.Background(), cfg); return err }); err != nil {
		return res, err
	}
	defer m.Kill()
	out, err := m.WaitConsole(servingRE, 3*time.Minute)
	if err != nil || strings.Contains(out, "BENCH-FAIL") {
		return res, fmt.Errorf("%s: not serving (%v):\n%s", g.name, err, out)
	}
	url := fmt.Sprintf("http://%s/get?n=%d", p.addr(p.web), netPage)
	load := func(d time.Duration) (r wrk.Result, err error) {
		err = p.in(func() error { r, err = wrk.Run(url, 2, netConnections, d, netTimeout); return err })
		return r, err
	}
	// The guest says it serves once it listens; a Linux guest's link may
	// still be coming up then (its first ARP replies can be late): wait
	// until a connection gets through before wrk starts.
	for start := time.Now(); ; {
		c, err := p.dial(p.addr(p.web))
		if err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			return res, fmt.Errorf("%s: not reachable: %w", g.name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := load(netWarmup); err != nil {
		con := m.Console()
		if len(con) > 2000 {
			con = con[len(con)-2000:]
		}
		return res, fmt.Errorf("%s: warm-up: %w\nthe guest's console ends:\n%s", g.name, err, con)
	}
	before, _, err := p.accepted()
	if err != nil {
		return res, err
	}
	stat0, err := p.procStat()
	if err != nil {
		return res, err
	}
	irq0, _ := p.procFile("interrupts")
	snmp0, _ := p.procFile("net/snmp")
	cpu0, err := m.CPUTime()
	if err != nil {
		return res, err
	}
	profiled := make(chan error, 1)
	if *netProfile != "" {
		file := filepath.Join(*netProfile, g.name+".pprof")
		go func() { profiled <- p.profile(netDuration-2*time.Second, file) }()
	} else {
		profiled <- nil
	}
	var samples []uint64
	sampled := make(chan error, 1)
	if sampling {
		go func() {
			var err error
			samples, err = qprof.Collect(m.Monitor(), 20*time.Millisecond, netDuration-2*time.Second, nil)
			sampled <- err
		}()
	} else {
		sampled <- nil
	}
	r, err := load(netDuration)
	if err != nil {
		return res, err
	}
	if err := <-sampled; err != nil {
		return res, fmt.Errorf("%s: sampling: %w", g.name, err)
	}
	if sampling {
		var syms qprof.Symbols
		root := filepath.Dir(filepath.Dir(g.kernel))
		for _, f := range []struct{ path, prefix string }{
			{filepath.Join(root, "build", "eggos.sym.elf"), "k:"},
			{filepath.Join(root, "build", "bench", "guestbench"), "u:"},
		} {
			if err := syms.Load(f.path, f.prefix); err != nil {
				return res, err
			}
		}
		fmt.Printf("\n%s under wrk, CPU samples through QEMU's monitor (k: kernel, u: the Go program):\n", g.name)
		qprof.Report(os.Stdout, samples, &syms, 40)
	}
	if err := <-profiled; err != nil {
		return res, fmt.Errorf("%s: %w", g.name, err)
	}
	cpu1, err := m.CPUTime()
	if err != nil {
		return res, err
	}
	stat1, err := p.procStat()
	if err != nil {
		return res, err
	}
	after, threads, err := p.accepted()
	if err != nil {
		return res, err
	}
	irq1, _ := p.procFile("interrupts")
	snmp1, _ := p.procFile("net/snmp")
	if r.Requests > 0 {
		in0, out0 := tcpSegments(snmp0)
		in1, out1 := tcpSegments(snmp1)
		res.segsIn = float64(in1-in0) / float64(r.Requests)
		res.segsOut = float64(out1-out0) / float64(r.Requests)
		res.intrPerReq = float64(stat1.intr-stat0.intr) / float64(r.Requests)
		res.ctxtPerReq = float64(stat1.ctxt-stat0.ctxt) / float64(r.Requests)
		res.cpuShares = cpuShares(stat0, stat1)
		res.irqRows = interruptsPerRequest(irq0, irq1, r.Requests)
		res.cpuPerReq = (cpu1 - cpu0) / time.Duration(r.Requests)
	}
	res.rps, res.reached, res.threads = r.PerSecond, after-before-1, threads
	if *netProfile != "" {
		res.reached-- // the profile's request
	}
	res.wrkErrors = fmt.Sprintf("%d (connect %d, read %d, write %d, timeout %d, non-2xx %d)", r.Errors(),
		r.Connect, r.Read, r.Write, r.Timeout, r.Non2xx)
	for _, dir := range []struct {
		up  bool
		out *float64
	}{{true, &res.up}, {false, &res.down}} {
		if *netNoBulk {
			break
		}
		var xs []float64
		for i := 0; i < netRuns; i++ {
			v, err := p.transfer(dir.up)
			if err != nil {
				return res, fmt.Errorf("%s: throughput (up %v): %w", g.name, dir.up, err)
			}
			xs = append(xs, v)
		}
		*dir.out = median(xs)
	}
	if resp, err := p.get("/quit"); err == nil {
		resp.Body.Close()
	}
	m.Wait()
	return res, nil
}

// medianResult is the round with the median req/s, with the median of
// each other figure that is printed as a number.
func medianResult(rs []netResult) netResult {
	pick := func(get func(netResult) float64) float64 {
		var xs []float64
		for _, r := range rs {
			xs = append(xs, get(r))
		}
		return median(xs)
	}
	sorted := append([]netResult(nil), rs...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].rps < sorted[b].rps })
	m := sorted[len(sorted)/2]
	m.rps = pick(func(r netResult) float64 { return r.rps })
	m.up = pick(func(r netResult) float64 { return r.up })
	m.down = pick(func(r netResult) float64 { return r.down })
	m.cpuPerReq = time.Duration(pick(func(r netResult) float64 { return float64(r.cpuPerReq) }))
	return m
}

// netFigures prints the network table.
func netFigures(root string, guests []guest) error {
	initrd, err := fsInitramfs(root, filepath.Join(root, "build", "bench", "guestbench"))
	if err != nil {
		return err
	}
	p, err := newNetPath()
	if err != nil {
		return err
	}
	defer p.close()
	if *netEggOS {
		guests = guests[:1]
	}
	// The host is shared and its load drifts: the guests take turns, and
	// each figure is the median over the rounds.
	rounds := make([][]netResult, len(guests))
	for r := 0; r < *netRounds; r++ {
		for i, g := range guests {
			res, err := netRun(g, initrd, p)
			if err != nil {
				return err
			}
			rounds[i] = append(rounds[i], res)
			fmt.Printf("  round %d, %-5s: %7.1f req/s, %6.1f us of host CPU per request, up %5.1f MB/s, down %5.1f MB/s\n",
				r+1, g.name, res.rps, float64(res.cpuPerReq.Nanoseconds())/1000, res.up, res.down)
		}
	}
	var figs [2]netResult
	for i := range rounds {
		figs[i] = medianResult(rounds[i])
	}
	if *netEggOS {
		f := figs[0]
		fmt.Printf("\nnetwork, EggOS alone, virtio-net-pci, %s; medians of %d rounds:\n", p.kind(), *netRounds)
		fmt.Printf("  HTTP %d-byte page, wrk -c%d %v: %.1f req/s, wrk errors %s\n", netPage, netConnections,
			netDuration, f.rps, f.wrkErrors)
		fmt.Printf("  TCP host -> guest %.1f MB/s, guest -> host %.1f MB/s; %d threads\n", f.up, f.down, f.threads)
		fmt.Printf("  per request: %.1f us of QEMU's host CPU, %.2f interrupts, %.2f context switches; by vector:\n",
			float64(f.cpuPerReq.Nanoseconds())/1000, f.intrPerReq, f.ctxtPerReq)
		for _, row := range f.irqRows {
			fmt.Printf("    %s\n", row)
		}
		fmt.Printf("  guest CPUs under wrk: %s\n", f.cpuShares)
		fmt.Printf("  TCP segments per request: %.2f in, %.2f out\n", f.segsIn, f.segsOut)
		return nil
	}
	fmt.Printf("\nnetwork, same QEMU, virtio-net-pci, %s; medians of %d rounds:\n", p.kind(), *netRounds)
	fmt.Printf("  %-48s %10s %10s %8s\n", "figure", "EggOS", "Linux", "ratio")
	for _, f := range []struct {
		label, unit, target string
		v                   [2]float64
	}{
		{fmt.Sprintf("HTTP %d-byte page, wrk -c%d %v", netPage, netConnections, netDuration), "req/s",
			"target EggOS >= 1.5x", [2]float64{figs[0].rps, figs[1].rps}},
		{"host CPU QEMU spent per HTTP request", "us", "",
			[2]float64{float64(figs[0].cpuPerReq.Nanoseconds()) / 1000, float64(figs[1].cpuPerReq.Nanoseconds()) / 1000}},
		{fmt.Sprintf("TCP host -> guest, %d MiB (median of %d)", netBytes>>20, netRuns), "MB/s", "",
			[2]float64{figs[0].up, figs[1].up}},
		{fmt.Sprintf("TCP guest -> host, %d MiB (median of %d)", netBytes>>20, netRuns), "MB/s", "",
			[2]float64{figs[0].down, figs[1].down}},
	} {
		ratio := 0.0
		if f.v[1] > 0 {
			ratio = f.v[0] / f.v[1]
		}
		fmt.Printf("  %-48s %10.1f %10.1f %8.3f  %s %s\n", f.label, f.v[0], f.v[1], ratio, f.unit, f.target)
	}
	fmt.Println("  (ratio = EggOS/Linux; above 1 means EggOS is faster)")
	fmt.Printf("  wrk errors: EggOS %s; Linux %s\n", figs[0].wrkErrors, figs[1].wrkErrors)
	fmt.Printf("  connections the guest accepted during the run: EggOS %d, Linux %d (wrk opened %d;\n",
		figs[0].reached, figs[1].reached, netConnections)
	fmt.Println("  late ones of the warm-up's count too)")
	fmt.Printf("  threads the Go server made: EggOS %d, Linux %d\n", figs[0].threads, figs[1].threads)
	fmt.Printf("  per request (/proc/stat): interrupts EggOS %.2f, Linux %.2f; context switches EggOS %.2f, Linux %.2f\n",
		figs[0].intrPerReq, figs[1].intrPerReq, figs[0].ctxtPerReq, figs[1].ctxtPerReq)
	fmt.Printf("  guest CPUs under wrk: EggOS %s\n                        Linux %s\n", figs[0].cpuShares, figs[1].cpuShares)
	fmt.Printf("  TCP segments per request: EggOS %.2f in, %.2f out; Linux %.2f in, %.2f out\n",
		figs[0].segsIn, figs[0].segsOut, figs[1].segsIn, figs[1].segsOut)
	if p.ns == nil {
		fmt.Println("  (slirp listens with a backlog of 1: the host drops most of a burst of connects,")
		fmt.Println("  which then trickle in with TCP's retransmission backoff; see docs/net.md)")
	}
	if *netProfile != "" {
		fmt.Printf("  CPU profiles of each guest program under wrk: %s/*.pprof\n", *netProfile)
	}
	return nil
}
