package tests

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"eggos/internal/qemu"
)

// A line typed at the console and what read() must return for it.
type typedLine struct {
	keys, want string
}

// The editing cases, in order (the history cases depend on the lines
// before them).
var consoleLines = []typedLine{
	{"hello\r", "hello"},
	{"abcd\x7f\x7fXY\r", "abXY"},                     // backspace
	{"foo bar\x15baz\r", "baz"},                      // ^U kills the line
	{"one two\x17three\r", "one three"},              // ^W kills a word
	{"ac\x1b[Db\r", "abc"},                           // left arrow, insert
	{"bc\x1b[Ha\x1b[Fd\r", "abcd"},                   // home, end
	{"abc\x1b[D\x1b[D\x1b[3~\r", "ac"},               // delete under the cursor
	{"\x1b[A\x1b[A\r", "abcd"},                       // up twice: the second newest line
	{"x\x1b[A\x1b[B\r", "x"},                         // up then down brings back the edit
	{"Hello, World! (A_b)\r", "Hello, World! (A_b)"}, // shifted characters
}

// typist enters keys on one of the console's two inputs.
type typist interface {
	typeKeys(s string) error
}

type serialTypist struct{ m *qemu.Machine }

func (s serialTypist) typeKeys(keys string) error { return s.m.Type(keys) }

// keyboardTypist presses PS/2 keys through QEMU's monitor.
type keyboardTypist struct{ m *qemu.Machine }

// QEMU key names for what a US keyboard types.
var keyNames = map[byte]string{
	' ': "spc", '\r': "ret", '\x7f': "backspace", '\t': "tab",
	'-': "minus", '=': "equal", '[': "bracket_left", ']': "bracket_right",
	';': "semicolon", '\'': "apostrophe", '`': "grave_accent", '\\': "backslash",
	',': "comma", '.': "dot", '/': "slash",
	'!': "shift-1", '@': "shift-2", '#': "shift-3", '$': "shift-4", '%': "shift-5",
	'^': "shift-6", '&': "shift-7", '*': "shift-8", '(': "shift-9", ')': "shift-0",
	'_': "shift-minus", '+': "shift-equal", '{': "shift-bracket_left",
	'}': "shift-bracket_right", ':': "shift-semicolon", '"': "shift-apostrophe",
	'~': "shift-grave_accent", '|': "shift-backslash", '<': "shift-comma",
	'>': "shift-dot", '?': "shift-slash",
}

var escapeKeys = map[string]string{
	"\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left",
	"\x1b[H": "home", "\x1b[F": "end", "\x1b[3~": "delete",
}

// keysFor turns terminal input into the key presses that produce it.
func keysFor(s string) ([]string, error) {
	var keys []string
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b {
			found := false
			for seq, k := range escapeKeys {
				if strings.HasPrefix(s[i:], seq) {
					keys, i, found = append(keys, k), i+len(seq), true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("no key for escape sequence %q", s[i:])
			}
			continue
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			keys = append(keys, string(c))
		case c >= 'A' && c <= 'Z':
			keys = append(keys, "shift-"+string(c+'a'-'A'))
		case c >= 1 && c <= 26 && c != '\r' && c != '\t':
			keys = append(keys, "ctrl-"+string('a'+c-1))
		default:
			k, ok := keyNames[c]
			if !ok {
				return nil, fmt.Errorf("no key for %q", c)
			}
			keys = append(keys, k)
		}
		i++
	}
	return keys, nil
}

func (k keyboardTypist) typeKeys(s string) error {
	keys, err := keysFor(s)
	if err != nil {
		return err
	}
	for _, key := range keys {
		// Hold each key 10 ms (QEMU's default is 100).
		if _, err := k.m.Monitor().Command("sendkey " + key + " 10"); err != nil {
			return err
		}
	}
	return nil
}

// The console's line editing, signals, raw mode and end of file, typed on
// the serial line and on the PS/2 keyboard.
func TestConsole(t *testing.T) {
	for _, input := range []string{"serial", "keyboard"} {
		input := input
		t.Run(input, func(t *testing.T) {
			t.Parallel()
			consoleSession(t, input)
		})
	}
}

func consoleSession(t *testing.T, input string) {
	cfg := qemu.Config{
		Kernel:  kernelPath(t),
		Initrd:  suiteInitramfs(t, "", "go-current"),
		Append:  fmt.Sprintf("console=ttyS0 -- console %d", len(consoleLines)),
		Timeout: 4 * time.Minute,
		Monitor: input == "keyboard",
	}
	m, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		m.Kill()
		res, _ := m.Wait()
		if t.Failed() && res != nil {
			t.Logf("console:\n%s", res.Console)
		}
	}()
	var ty typist = serialTypist{m}
	if input == "keyboard" {
		ty = keyboardTypist{m}
	}
	expect := newExpecter(t, m).expect
	send := func(keys string) {
		t.Helper()
		if err := ty.typeKeys(keys); err != nil {
			t.Fatalf("typing %q: %v", keys, err)
		}
	}

	expect(`LINES \d+`)
	for i, l := range consoleLines {
		send(l.keys)
		expect(regexp.QuoteMeta(fmt.Sprintf("LINE %q", l.want)))
		if i == 0 {
			// The typed line was echoed before the program printed it.
			if !strings.Contains(m.Console(), "hello\r\nLINE") {
				t.Errorf("no echo of the typed line")
			}
		}
	}

	expect("WAIT-SIGINT")
	send("\x03")
	expect(`GOT-SIGINT interrupt`)

	expect("RAW-READY")
	send("q\x03x")
	expect(regexp.QuoteMeta("RAW [113 3 120]"))

	expect("COOKED-READY")
	send("back\r")
	expect(regexp.QuoteMeta(`LINE "back"`))

	expect("EOF-READY")
	send("last\r")
	expect(regexp.QuoteMeta(`LINE "last\n"`))
	send("part\x04")
	send("\x04")
	expect(regexp.QuoteMeta(`LINE "part"`))
	expect(`EOF\r?\n`)
	expect(`PASS`)
}

// expecter follows a running machine's console output.
type expecter struct {
	t    *testing.T
	m    *qemu.Machine
	seen int
}

func newExpecter(t *testing.T, m *qemu.Machine) *expecter { return &expecter{t: t, m: m} }

// expect waits up to a minute for the console to show re after the output
// matched so far, and returns the match.
func (e *expecter) expect(re string) string {
	e.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(60 * time.Second)
	for {
		out := e.m.Console()
		if loc := rx.FindStringIndex(out[e.seen:]); loc != nil {
			match := out[e.seen+loc[0] : e.seen+loc[1]]
			e.seen += loc[1]
			return match
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("console did not show %q; after offset %d it has:\n%q", re, e.seen, out[e.seen:])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
