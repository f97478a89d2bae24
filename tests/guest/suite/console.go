package main

// The console area is interactive: the host test (tests/console_test.go)
// types on the serial line or the PS/2 keyboard and checks what this
// program reports. Protocol, one step at a time, each announced by a
// line the host waits for before it types:
//
//	LINES n        read n lines through bufio, print each as  LINE "<text>"
//	WAIT-SIGINT    wait for ^C through signal.Notify, print GOT-SIGINT
//	RAW-READY      terminal in raw mode (x/term); read 3 bytes, print RAW [..]
//	COOKED-READY   restored; read one line, print LINE "<text>"
//	EOF-READY      read lines until end of file, print LINE for each, then EOF
import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/term"
)

func init() { register("console", testConsole) }

func testConsole(c *t) {
	n := 0
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	if !term.IsTerminal(0) {
		c.Errorf("stdin is not a terminal")
		return
	}
	if w, h, err := term.GetSize(0); err != nil || w <= 0 || h <= 0 {
		c.Errorf("window size %dx%d, %v", w, h, err)
	}
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT)
	in := bufio.NewReader(os.Stdin)

	fmt.Printf("LINES %d\n", n)
	for i := 0; i < n; i++ {
		line, err := in.ReadString('\n')
		if err != nil {
			c.Errorf("line %d: %v", i, err)
			return
		}
		fmt.Printf("LINE %q\n", line[:len(line)-1])
	}

	fmt.Println("WAIT-SIGINT")
	select {
	case s := <-sigc:
		fmt.Printf("GOT-SIGINT %v\n", s)
	case <-time.After(60 * time.Second):
		c.Errorf("no SIGINT within 60s")
		return
	}

	state, err := term.MakeRaw(0)
	if err != nil {
		c.Errorf("MakeRaw: %v", err)
		return
	}
	fmt.Print("RAW-READY\r\n")
	raw := make([]byte, 0, 3)
	buf := make([]byte, 3)
	for len(raw) < 3 {
		k, err := os.Stdin.Read(buf[:3-len(raw)])
		if err != nil {
			c.Errorf("raw read: %v", err)
			break
		}
		raw = append(raw, buf[:k]...)
	}
	fmt.Printf("RAW %v\r\n", raw)
	if err := term.Restore(0, state); err != nil {
		c.Errorf("Restore: %v", err)
	}
	select {
	case s := <-sigc:
		c.Errorf("^C in raw mode raised %v", s)
	default:
	}

	fmt.Println("COOKED-READY")
	line, err := in.ReadString('\n')
	if err != nil {
		c.Errorf("cooked line: %v", err)
		return
	}
	fmt.Printf("LINE %q\n", line[:len(line)-1])

	fmt.Println("EOF-READY")
	for {
		line, err := in.ReadString('\n')
		if line != "" {
			fmt.Printf("LINE %q\n", line)
		}
		if err == io.EOF {
			fmt.Println("EOF")
			break
		}
		if err != nil {
			c.Errorf("read to EOF: %v", err)
			return
		}
	}
}
