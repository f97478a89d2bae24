// Command suite is the guest side of EggOS's tests: one static Go program
// whose first argument names the test areas to run, comma-separated
// ("suite goroutines,timers"); later arguments belong to the areas. Each area checks real
// behaviour of the kernel through the Go runtime and standard library and
// reports every failed check. The program prints "PASS" and exits 0 only
// when every check of every requested area held.
//
// It must build with every supported Go version (1.19 and newer): no
// language features or library calls newer than Go 1.19.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// t collects the failures of one area.
type t struct {
	area   string
	failed int
}

func (c *t) Errorf(format string, args ...interface{}) {
	c.failed++
	fmt.Printf("FAIL %s: %s\n", c.area, fmt.Sprintf(format, args...))
}

func (c *t) Logf(format string, args ...interface{}) {
	fmt.Printf("     %s: %s\n", c.area, fmt.Sprintf(format, args...))
}

var areas = map[string]func(*t){}

func register(name string, fn func(*t)) { areas[name] = fn }

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: suite AREA... (areas:", strings.Join(areaNames(), " "), ")")
		os.Exit(2)
	}
	names := strings.Split(os.Args[1], ",")
	failed := 0
	for _, name := range names {
		fn, ok := areas[name]
		if !ok {
			fmt.Printf("FAIL unknown area %q\n", name)
			failed++
			continue
		}
		c := &t{area: name}
		start := time.Now()
		fn(c)
		if c.failed > 0 {
			failed++
			fmt.Printf("--- %s: FAILED (%d checks, %v)\n", name, c.failed, time.Since(start))
		} else {
			fmt.Printf("--- %s: ok (%v)\n", name, time.Since(start))
		}
	}
	if failed > 0 {
		fmt.Println("FAILED")
		os.Exit(1)
	}
	fmt.Println("PASS")
}

func areaNames() []string {
	var names []string
	for n := range areas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
