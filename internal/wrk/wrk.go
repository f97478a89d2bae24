// Package wrk runs the wrk HTTP load generator (Debian package wrk, 4.x)
// and reads its summary: the one way EggOS's tests and benchmarks load an
// HTTP server from the host (tests/load_test.go, tests/bench/net.go).
package wrk

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// Result is what one wrk run reported.
type Result struct {
	Requests  int64
	PerSecond float64
	// Socket errors: connect, read, write, timeout.
	Connect, Read, Write, Timeout int64
	Non2xx                        int64 // non-2xx or 3xx responses
	Output                        string
}

// Errors is the sum of every kind of error wrk counts.
func (r Result) Errors() int64 {
	return r.Connect + r.Read + r.Write + r.Timeout + r.Non2xx
}

var (
	requestsRE = regexp.MustCompile(`(\d+) requests in`)
	rateRE     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	socketRE   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	non2xxRE   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// Parse reads wrk's text summary.
func Parse(out string) (Result, error) {
	r := Result{Output: out}
	m := requestsRE.FindStringSubmatch(out)
	rate := rateRE.FindStringSubmatch(out)
	if m == nil || rate == nil {
		return r, fmt.Errorf("wrk: no summary in:\n%s", out)
	}
	r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	r.PerSecond, _ = strconv.ParseFloat(rate[1], 64)
	if m := socketRE.FindStringSubmatch(out); m != nil {
		for i, p := range []*int64{&r.Connect, &r.Read, &r.Write, &r.Timeout} {
			*p, _ = strconv.ParseInt(m[i+1], 10, 64)
		}
	}
	if m := non2xxRE.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// Run runs wrk with the given threads and connections for d against url;
// a request unanswered after timeout counts as an error.
func Run(url string, threads, conns int, d, timeout time.Duration) (Result, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return Result{}, fmt.Errorf("wrk is not installed (scripts/deps.sh installs it): %w", err)
	}
	secs := func(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }
	cmd := exec.Command(bin, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+secs(d),
		"--timeout", secs(timeout), "--latency", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return Parse(string(out))
}
