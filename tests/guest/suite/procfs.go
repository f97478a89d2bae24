package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	register("procfs", testProcfs)
}

// testProcfs reads /proc and /sys as Go programs and tools do, and checks
// the text against what the program knows of itself.
func testProcfs(c *t) {
	procSelf(c)
	procFds(c)
	procSystem(c)
	procSysctl(c)
	procDevices(c)
}

func readText(c *t, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		c.Errorf("read %s: %v", path, err)
	}
	return string(b)
}

// field returns the value of "Key:\tvalue" in /proc status-style text.
func field(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, key+":") {
			return strings.TrimSpace(line[len(key)+1:])
		}
	}
	return ""
}

func procSelf(c *t) {
	self, err := os.Readlink("/proc/self")
	if err != nil || self != strconv.Itoa(os.Getpid()) {
		c.Errorf("/proc/self -> %q %v (pid %d)", self, err, os.Getpid())
	}
	exe, err := os.Executable()
	if err != nil || exe != "/init" {
		c.Errorf("os.Executable: %q %v", exe, err)
	}
	// The text segment: r-xp, named after the program, in Linux's columns.
	maps := readText(c, "/proc/self/maps")
	text := false
	var pc uintptr
	if p, _, _, ok := runtime.Caller(0); ok {
		pc = p
	}
	for _, line := range strings.Split(strings.TrimSpace(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			c.Errorf("maps line %q", line)
			continue
		}
		r := strings.SplitN(f[0], "-", 2)
		lo, _ := strconv.ParseUint(r[0], 16, 64)
		hi, _ := strconv.ParseUint(r[1], 16, 64)
		if uint64(pc) >= lo && uint64(pc) < hi {
			if f[1] != "r-xp" || len(f) != 6 || f[5] != exe || strings.Index(line, "/init") != 73 {
				c.Errorf("text mapping %q", line)
			}
			text = true
		}
	}
	if !text {
		c.Errorf("no mapping holds pc %#x:\n%s", pc, maps)
	}
	cmd := readText(c, "/proc/self/cmdline")
	if cmd != strings.Join(os.Args, "\x00")+"\x00" {
		c.Errorf("cmdline %q, args %q", cmd, os.Args)
	}
	if env := readText(c, "/proc/self/environ"); !strings.Contains(env, "HOME=/\x00") {
		c.Errorf("environ %q", env)
	}
	st := readText(c, "/proc/self/status")
	if field(st, "Name") != "init" || field(st, "Pid") != strconv.Itoa(os.Getpid()) ||
		field(st, "Tgid") != strconv.Itoa(os.Getpid()) || !strings.HasPrefix(field(st, "VmRSS"), "") {
		c.Errorf("status:\n%s", st)
	}
	if n, _ := strconv.Atoi(field(st, "Threads")); n < 2 {
		c.Errorf("status Threads %q", field(st, "Threads"))
	}
	if rss := strings.Fields(field(st, "VmRSS")); len(rss) != 2 || rss[1] != "kB" || rss[0] == "0" {
		c.Errorf("status VmRSS %q", field(st, "VmRSS"))
	}
	stat := readText(c, "/proc/self/stat")
	if f := strings.Fields(stat); len(f) != 52 || f[0] != strconv.Itoa(os.Getpid()) || f[1] != "(init)" {
		c.Errorf("stat has %d fields: %q", len(f), stat)
	}
	if cg := readText(c, "/proc/self/cgroup"); cg != "0::/\n" {
		c.Errorf("cgroup %q", cg)
	}
	if comm := readText(c, "/proc/self/comm"); comm != "init\n" {
		c.Errorf("comm %q", comm)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tasks) < 2 {
		c.Errorf("task/: %d entries, %v", len(tasks), err)
	} else if s := readText(c, "/proc/self/task/"+tasks[0].Name()+"/stat"); !strings.HasPrefix(s, tasks[0].Name()+" (init)") {
		c.Errorf("task stat %q", s)
	}
	mi := readText(c, "/proc/self/mountinfo")
	if !strings.Contains(mi, " / rw,relatime - rootfs rootfs rw") || !strings.Contains(mi, " /proc ") {
		c.Errorf("mountinfo:\n%s", mi)
	}
	if m := readText(c, "/proc/mounts"); !strings.Contains(m, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n") {
		c.Errorf("mounts:\n%s", m)
	}
	ents, err := os.ReadDir("/proc")
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	if err != nil || !names["self"] || !names["meminfo"] || !names[strconv.Itoa(os.Getpid())] {
		c.Errorf("ReadDir /proc: %v %v", names, err)
	}
}

func procFds(c *t) {
	p := filepath.Join(os.TempDir(), "procfd")
	f, err := os.Create(p)
	if err != nil {
		c.Errorf("create: %v", err)
		return
	}
	defer os.Remove(p)
	defer f.Close()
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	fd := strconv.Itoa(int(f.Fd()))
	if got, err := os.Readlink("/proc/self/fd/" + fd); err != nil || got != p {
		c.Errorf("fd link %s: %q %v", fd, got, err)
	}
	if got, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(r.Fd()))); !strings.HasPrefix(got, "pipe:[") {
		c.Errorf("pipe fd link %q", got)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	found := 0
	for _, e := range ents {
		if e.Name() == fd || e.Name() == strconv.Itoa(int(r.Fd())) || e.Name() == "0" {
			found++
		}
	}
	if err != nil || found != 3 {
		c.Errorf("ReadDir /proc/self/fd: %d of 3 found, %v", found, err)
	}
	f.WriteString("hello")
	if info := readText(c, "/proc/self/fdinfo/"+fd); !strings.HasPrefix(info, "pos:\t5\n") {
		c.Errorf("fdinfo %q", info)
	}
	// Reading through the fd link reaches the file.
	if got, err := os.ReadFile("/proc/self/fd/" + fd); err != nil || string(got) != "hello" {
		c.Errorf("read through fd link: %q %v", got, err)
	}
	if _, err := os.Stat("/proc/self/fd/999"); err == nil {
		c.Errorf("a closed fd has a link")
	}
}

func procSystem(c *t) {
	mi := readText(c, "/proc/meminfo")
	kb := func(key string) uint64 {
		f := strings.Fields(field(mi, key))
		if len(f) != 2 || f[1] != "kB" {
			c.Errorf("meminfo %s: %q", key, field(mi, key))
			return 0
		}
		n, _ := strconv.ParseUint(f[0], 10, 64)
		return n
	}
	total, free, avail := kb("MemTotal"), kb("MemFree"), kb("MemAvailable")
	if total < 100<<10 || free == 0 || free > total || avail > total {
		c.Errorf("meminfo total %d free %d available %d", total, free, avail)
	}
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	if total*1024 != si.Totalram {
		c.Errorf("MemTotal %d kB, sysinfo %d bytes", total, si.Totalram)
	}
	cpus := strings.Count(readText(c, "/proc/cpuinfo"), "processor\t:")
	if cpus != runtime.NumCPU() {
		c.Errorf("cpuinfo lists %d CPUs, NumCPU %d", cpus, runtime.NumCPU())
	}
	if !strings.Contains(readText(c, "/proc/cpuinfo"), " fpu ") {
		c.Errorf("cpuinfo flags lack fpu")
	}
	up := strings.Fields(readText(c, "/proc/uptime"))
	if v, err := strconv.ParseFloat(up[0], 64); len(up) != 2 || err != nil || v <= 0 {
		c.Errorf("uptime %q", up)
	}
	if la := strings.Fields(readText(c, "/proc/loadavg")); len(la) != 5 {
		c.Errorf("loadavg %q", la)
	}
	if v := readText(c, "/proc/version"); !strings.HasPrefix(v, "Linux version ") {
		c.Errorf("version %q", v)
	}
	procStat(c)
	procInterrupts(c)
	if s := readText(c, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"); s != "2097152\n" {
		c.Errorf("hpage_pmd_size %q", s)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/proc", &st); err != nil || st.Type != 0x9fa0 {
		c.Errorf("statfs /proc: %x %v", st.Type, err)
	}
	if err := os.WriteFile("/proc/meminfo", []byte("x"), 0); err == nil {
		c.Errorf("writing /proc/meminfo succeeded")
	}
}

// statLine returns the numbers after key in /proc/stat text.
func statLine(text, key string) []uint64 {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == key {
			var ns []uint64
			for _, s := range f[1:] {
				n, _ := strconv.ParseUint(s, 10, 64)
				ns = append(ns, n)
			}
			return ns
		}
	}
	return nil
}

// /proc/stat counts what the CPUs did: busy work shows as user time,
// sleeping as idle time, and context switches and interrupts go up.
func procStat(c *t) {
	s0 := readText(c, "/proc/stat")
	if !strings.HasPrefix(s0, "cpu ") || !strings.Contains(s0, "\nbtime ") {
		c.Errorf("stat %q", s0)
		return
	}
	for i := 0; i < runtime.NumCPU(); i++ {
		if statLine(s0, "cpu"+strconv.Itoa(i)) == nil {
			c.Errorf("stat has no cpu%d line:\n%s", i, s0)
		}
	}
	end := time.Now().Add(150 * time.Millisecond)
	for x := 0; time.Now().Before(end); x++ {
		_ = x * x
	}
	time.Sleep(150 * time.Millisecond)
	s1 := readText(c, "/proc/stat")
	a, b := statLine(s0, "cpu"), statLine(s1, "cpu")
	if len(a) < 4 || len(b) < 4 {
		c.Errorf("stat cpu lines %v %v", a, b)
		return
	}
	// Jiffies of 10 ms: 150 ms of each should show as at least 5.
	if user := b[0] - a[0]; user < 5 {
		c.Errorf("150 ms of spinning added %d user jiffies", user)
	}
	if idle := b[3] - a[3]; idle < 5 {
		c.Errorf("150 ms of sleep added %d idle jiffies", idle)
	}
	for _, key := range []string{"ctxt", "intr"} {
		x, y := statLine(s0, key), statLine(s1, key)
		if len(x) == 0 || len(y) == 0 || y[0] <= x[0] {
			c.Errorf("stat %s did not go up: %v -> %v", key, x, y)
		}
	}
}

// /proc/interrupts has a column per CPU and counts the timer.
func procInterrupts(c *t) {
	text := readText(c, "/proc/interrupts")
	lines := strings.Split(text, "\n")
	if len(lines) < 2 || strings.Count(lines[0], "CPU") != runtime.NumCPU() {
		c.Errorf("interrupts header %q", lines[0])
		return
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) >= 2+runtime.NumCPU() && f[len(f)-1] == "timer" {
			var sum uint64
			for _, s := range f[1 : 1+runtime.NumCPU()] {
				n, _ := strconv.ParseUint(s, 10, 64)
				sum += n
			}
			if sum == 0 {
				c.Errorf("timer row %q counts nothing", line)
			}
			return
		}
	}
	c.Errorf("no timer row in /proc/interrupts:\n%s", text)
}

func procSysctl(c *t) {
	if err := os.WriteFile("/proc/sys/kernel/hostname", []byte("egghost\n"), 0); err != nil {
		c.Errorf("write hostname: %v", err)
	}
	if h, _ := os.Hostname(); h != "egghost" {
		c.Errorf("hostname after write: %q", h)
	}
	var u syscall.Utsname
	syscall.Uname(&u)
	if b := []byte{}; true {
		for _, ch := range u.Nodename {
			if ch == 0 {
				break
			}
			b = append(b, byte(ch))
		}
		if string(b) != "egghost" {
			c.Errorf("uname nodename %q", b)
		}
	}
	for path, want := range map[string]string{
		"/proc/sys/kernel/ostype":                     "Linux\n",
		"/proc/sys/net/core/somaxconn":                "4096\n",
		"/proc/sys/vm/overcommit_memory":              "0\n",
		"/proc/sys/kernel/pid_max":                    "4194304\n",
		"/proc/sys/kernel/hostname":                   "egghost\n",
		"/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
	} {
		if got := readText(c, path); got != want {
			c.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	b1, b2 := readText(c, "/proc/sys/kernel/random/boot_id"), readText(c, "/proc/sys/kernel/random/boot_id")
	u1, u2 := readText(c, "/proc/sys/kernel/random/uuid"), readText(c, "/proc/sys/kernel/random/uuid")
	if len(b1) != 37 || b1 != b2 || len(u1) != 37 || u1 == u2 || u1[14] != '4' {
		c.Errorf("boot_id %q %q, uuid %q %q", b1, b2, u1, u2)
	}
}

func procDevices(c *t) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		c.Errorf("open /dev/full: %v", err)
	} else {
		if _, err := f.Write([]byte("x")); err == nil || !strings.Contains(err.Error(), "no space") {
			c.Errorf("write /dev/full: %v", err)
		}
		f.Close()
	}
	for _, d := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
		"/dev/console", "/dev/tty", "/dev/ttyS0"} {
		if fi, err := os.Stat(d); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			c.Errorf("%s: %v %v", d, fi, err)
		}
	}
	if got, err := os.Readlink("/dev/stdout"); err != nil || got != "/proc/self/fd/1" {
		c.Errorf("/dev/stdout -> %q %v", got, err)
	}
	buf := make([]byte, 16)
	f, _ = os.Open("/dev/urandom")
	if n, _ := f.Read(buf); n != 16 || bytes.Equal(buf, make([]byte, 16)) {
		c.Errorf("urandom read %d %x", n, buf)
	}
	f.Close()
	for _, p := range []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/passwd", "/etc/group"} {
		if _, err := os.Stat(p); err != nil {
			c.Errorf("%s: %v", p, err)
		}
	}
	if h := readText(c, "/etc/hosts"); !strings.Contains(h, "127.0.0.1") || !strings.Contains(h, "localhost") {
		c.Errorf("/etc/hosts %q", h)
	}
}
