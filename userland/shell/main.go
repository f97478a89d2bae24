// Command shell is the EggOS shell: the program the default image boots.
//
// It is an ordinary static Go program. The kernel's terminal does the line
// editing (arrows, history, ^U, ^W) and turns ^C into SIGINT; the shell
// reads whole lines from stdin, splits them into words with sh-like
// quoting, and runs built-in commands. There is no exec in EggOS (one
// application per machine), so every command is built in; `help` lists
// them. Output of any command can go to a file with `> file` or `>> file`.
//
// `exit [status]` ends the program, and with it the machine: the kernel
// powers off and reports the status.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// command is one built-in: it writes to out and returns an error to print.
type command struct {
	usage string
	help  string
	run   func(ctx context.Context, sh *shell, args []string, out io.Writer) error
}

var commands = map[string]command{}

func register(name, usage, help string, run func(context.Context, *shell, []string, io.Writer) error) {
	commands[name] = command{usage: usage, help: help, run: run}
}

// shell is the interpreter's state.
type shell struct {
	in     *bufio.Reader
	status int // status of the last command: 0 ok, 1 failed
	exit   *int
	intr   chan os.Signal
}

// errUsage makes the shell print the command's usage line.
var errUsage = errors.New("usage")

func main() {
	sh := &shell{in: bufio.NewReader(os.Stdin), intr: make(chan os.Signal, 1)}
	signal.Notify(sh.intr, syscall.SIGINT)
	fmt.Println("EggOS shell. Type `help` for the commands, `exit` to power off.")
	for sh.exit == nil {
		cwd, err := os.Getwd()
		if err != nil {
			cwd = "?"
		}
		fmt.Printf("egg:%s$ ", cwd)
		line, err := sh.in.ReadString('\n')
		if err == io.EOF && line == "" {
			fmt.Println()
			break
		}
		if err != nil && err != io.EOF {
			fmt.Fprintf(os.Stderr, "shell: reading input: %v\n", err)
			os.Exit(1)
		}
		sh.runLine(line)
	}
	if sh.exit != nil {
		os.Exit(*sh.exit)
	}
}

// runLine parses and runs one input line.
func (sh *shell) runLine(line string) {
	defer func() { lastStatus = sh.status }()
	words, err := splitWords(line)
	if err != nil {
		fmt.Fprintf(os.Stderr, "shell: %v\n", err)
		sh.status = 1
		return
	}
	if len(words) == 0 {
		return
	}
	words, redirect, appendTo, err := parseRedirect(words)
	if err != nil || len(words) == 0 {
		if err == nil {
			err = errors.New("no command before the redirection")
		}
		fmt.Fprintf(os.Stderr, "shell: %v\n", err)
		sh.status = 1
		return
	}
	name := words[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "shell: %s: command not found (try `help`)\n", name)
		sh.status = 127
		return
	}
	var out io.Writer = os.Stdout
	if redirect != "" {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if appendTo {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(redirect, flags, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "shell: %v\n", err)
			sh.status = 1
			return
		}
		defer f.Close()
		out = f
	}
	// ^C while a command runs cancels it; at the prompt it only discards
	// the line (the terminal does that), so drain a stale signal first.
	select {
	case <-sh.intr:
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		select {
		case <-sh.intr:
			cancel()
		case <-done:
		}
	}()
	err = cmd.run(ctx, sh, words[1:], out)
	close(done)
	cancel()
	switch {
	case err == nil:
		sh.status = 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "usage: %s %s\n", name, cmd.usage)
		sh.status = 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "interrupted")
		sh.status = 130
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		sh.status = 1
	}
}

// splitWords splits a line into words: blanks separate, '...' is literal,
// "..." allows \" and \\, a backslash outside quotes escapes one character,
// and $NAME / ${NAME} outside single quotes expand from the environment.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	r := []rune(strings.TrimRight(line, "\r\n"))
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			return words, nil
		case c == '\'':
			inWord = true
			j := i + 1
			for j < len(r) && r[j] != '\'' {
				j++
			}
			if j == len(r) {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(string(r[i+1 : j]))
			i = j
		case c == '"':
			inWord = true
			j := i + 1
			for ; j < len(r) && r[j] != '"'; j++ {
				if r[j] == '\\' && j+1 < len(r) && (r[j+1] == '"' || r[j+1] == '\\' || r[j+1] == '$') {
					j++
					cur.WriteRune(r[j])
				} else if r[j] == '$' {
					j = expandVar(r, j, &cur)
				} else {
					cur.WriteRune(r[j])
				}
			}
			if j >= len(r) {
				return nil, errors.New(`unterminated "`)
			}
			i = j
		case c == '\\':
			inWord = true
			if i+1 < len(r) {
				i++
				cur.WriteRune(r[i])
			}
		case c == '$':
			inWord = true
			i = expandVar(r, i, &cur)
		default:
			inWord = true
			cur.WriteRune(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// expandVar expands the variable at r[i] == '$' into cur and returns the
// index of its last character. A lone '$' stays a '$'.
func expandVar(r []rune, i int, cur *strings.Builder) int {
	isName := func(c rune) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if i+1 < len(r) && r[i+1] == '{' {
		end := i + 2
		for end < len(r) && r[end] != '}' {
			end++
		}
		if end < len(r) {
			cur.WriteString(os.Getenv(string(r[i+2 : end])))
			return end
		}
	}
	if i+1 < len(r) && r[i+1] == '?' {
		cur.WriteString(strconv.Itoa(lastStatus))
		return i + 1
	}
	j := i + 1
	for j < len(r) && isName(r[j]) {
		j++
	}
	if j == i+1 {
		cur.WriteRune('$')
		return i
	}
	cur.WriteString(os.Getenv(string(r[i+1 : j])))
	return j - 1
}

// lastStatus is what $? expands to.
var lastStatus int

// parseRedirect takes a trailing "> file" or ">> file" (also ">file") off
// the words.
func parseRedirect(words []string) (rest []string, file string, appendTo bool, err error) {
	for i, w := range words {
		op, target := "", ""
		switch {
		case w == ">" || w == ">>":
			if i+1 >= len(words) {
				return nil, "", false, fmt.Errorf("%s needs a file name", w)
			}
			op, target = w, words[i+1]
			if i+2 != len(words) {
				return nil, "", false, errors.New("the redirection must come last")
			}
		case strings.HasPrefix(w, ">>"):
			op, target = ">>", w[2:]
		case strings.HasPrefix(w, ">"):
			op, target = ">", w[1:]
		default:
			continue
		}
		if op != "" && i+1 < len(words) && target != words[i+1] {
			return nil, "", false, errors.New("the redirection must come last")
		}
		return words[:i], target, op == ">>", nil
	}
	return words, "", false, nil
}

// names returns the built-in command names, sorted.
func names() []string {
	var n []string
	for k := range commands {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
