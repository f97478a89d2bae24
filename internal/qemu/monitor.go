package qemu

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Monitor speaks QEMU's human monitor protocol (HMP) over its socket.
type Monitor struct {
	mu   sync.Mutex // one command at a time (the harness's timeout NMI shares it)
	conn net.Conn
	r    *bufio.Reader
}

const monitorPrompt = "(qemu) "

func dialMonitor(ctx context.Context, sock string) (*Monitor, error) {
	var conn net.Conn
	var err error
	for {
		conn, err = net.Dial("unix", sock)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	m := &Monitor{conn: conn, r: bufio.NewReader(conn)}
	if _, err := m.readPrompt(); err != nil {
		conn.Close()
		return nil, err
	}
	return m, nil
}

// readPrompt reads up to the next prompt and returns what came before it.
func (m *Monitor) readPrompt() (string, error) {
	m.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var sb strings.Builder
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return sb.String(), err
		}
		sb.WriteByte(b)
		if strings.HasSuffix(sb.String(), monitorPrompt) {
			return strings.TrimSuffix(sb.String(), monitorPrompt), nil
		}
	}
}

// Command runs one monitor command and returns its output.
func (m *Monitor) Command(cmd string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := fmt.Fprintf(m.conn, "%s\n", cmd); err != nil {
		return "", err
	}
	out, err := m.readPrompt()
	// HMP echoes the command (with terminal escapes); drop the first line.
	if i := strings.Index(out, "\n"); i >= 0 {
		out = out[i+1:]
	}
	return strings.ReplaceAll(out, "\r", ""), err
}

// SendKeys presses each key (QEMU key names: "a", "shift-a", "ctrl-c",
// "ret", "up", "kp_enter"...) in turn, as on a PS/2 keyboard.
func (m *Monitor) SendKeys(keys ...string) error {
	for _, k := range keys {
		if _, err := m.Command("sendkey " + k); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the monitor connection.
func (m *Monitor) Close() error { return m.conn.Close() }
