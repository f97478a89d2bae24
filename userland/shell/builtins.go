// Built-in commands: files, the environment, and what the system is doing.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var bootTime = time.Now()

func init() {
	register("help", "[command]", "list the commands, or describe one", cmdHelp)
	register("echo", "[-n] [word...]", "print the words", cmdEcho)
	register("pwd", "", "print the working directory", cmdPwd)
	register("cd", "[dir]", "change the working directory (default /)", cmdCd)
	register("ls", "[-l] [-a] [path...]", "list directory contents", cmdLs)
	register("cat", "file...", "print files", cmdCat)
	register("mkdir", "[-p] dir...", "make directories", cmdMkdir)
	register("rm", "[-r] [-f] path...", "remove files and directories", cmdRm)
	register("mv", "from to", "rename a file or directory", cmdMv)
	register("cp", "from to", "copy a file", cmdCp)
	register("touch", "file...", "create files or update their times", cmdTouch)
	register("ln", "[-s] target name", "make a hard or symbolic link", cmdLn)
	register("stat", "path...", "show file metadata", cmdStat)
	register("env", "", "print the environment", cmdEnv)
	register("export", "NAME=value...", "set environment variables", cmdExport)
	register("unset", "NAME...", "remove environment variables", cmdUnset)
	register("date", "", "print the wall-clock time (UTC)", cmdDate)
	register("uptime", "", "time since boot, CPUs and goroutines", cmdUptime)
	register("uname", "[-a]", "print the system name", cmdUname)
	register("free", "", "memory of the machine and of the Go heap", cmdFree)
	register("sleep", "seconds", "wait (^C interrupts)", cmdSleep)
	register("true", "", "succeed", func(context.Context, *shell, []string, io.Writer) error { return nil })
	register("false", "", "fail", func(context.Context, *shell, []string, io.Writer) error {
		return errors.New("failed")
	})
	register("exit", "[status]", "leave the shell and power off", cmdExit)
	register("poweroff", "", "power off (status 0)", cmdExit)
}

func cmdHelp(_ context.Context, _ *shell, args []string, out io.Writer) error {
	if len(args) == 1 {
		c, ok := commands[args[0]]
		if !ok {
			return fmt.Errorf("no command %q", args[0])
		}
		fmt.Fprintf(out, "%s %s\n    %s\n", args[0], c.usage, c.help)
		return nil
	}
	for _, n := range names() {
		fmt.Fprintf(out, "  %-9s %s\n", n, commands[n].help)
	}
	fmt.Fprintln(out, "Line editing: arrows, home/end, ^U, ^W, history with up/down; ^C interrupts.")
	fmt.Fprintln(out, "Redirect output with > file or >> file; $NAME expands variables.")
	return nil
}

func cmdEcho(_ context.Context, _ *shell, args []string, out io.Writer) error {
	nl := "\n"
	if len(args) > 0 && args[0] == "-n" {
		nl, args = "", args[1:]
	}
	_, err := fmt.Fprint(out, strings.Join(args, " ")+nl)
	return err
}

func cmdPwd(_ context.Context, _ *shell, args []string, out io.Writer) error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, dir)
	return nil
}

func cmdCd(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	switch len(args) {
	case 0:
		return os.Chdir("/")
	case 1:
		return os.Chdir(args[0])
	}
	return errUsage
}

// flags parses single-letter options like -l -a -la from the front of args.
func flags(args []string, allowed string) (set map[rune]bool, rest []string, err error) {
	set = map[rune]bool{}
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		if args[0] == "--" {
			return set, args[1:], nil
		}
		for _, c := range args[0][1:] {
			if !strings.ContainsRune(allowed, c) {
				return nil, nil, errUsage
			}
			set[c] = true
		}
		args = args[1:]
	}
	return set, args, nil
}

func cmdLs(_ context.Context, _ *shell, args []string, out io.Writer) error {
	opt, paths, err := flags(args, "la")
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var failed error
	for i, p := range paths {
		st, err := os.Lstat(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ls: %v\n", err)
			failed = errors.New("some paths could not be listed")
			continue
		}
		if !st.IsDir() {
			lsEntry(out, filepath.Dir(p), st, opt['l'])
			continue
		}
		if len(paths) > 1 {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "%s:\n", p)
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ls: %v\n", err)
			failed = errors.New("some paths could not be listed")
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") && !opt['a'] {
				continue
			}
			info, err := e.Info()
			if err != nil {
				fmt.Fprintf(os.Stderr, "ls: %v\n", err)
				continue
			}
			lsEntry(out, p, info, opt['l'])
		}
	}
	return failed
}

func lsEntry(out io.Writer, dir string, st os.FileInfo, long bool) {
	name := st.Name()
	if !long {
		if st.IsDir() {
			name += "/"
		}
		fmt.Fprintln(out, name)
		return
	}
	if st.Mode()&os.ModeSymlink != 0 {
		if target, err := os.Readlink(filepath.Join(dir, name)); err == nil {
			name += " -> " + target
		}
	}
	fmt.Fprintf(out, "%s %10d %s %s\n", st.Mode(), st.Size(), st.ModTime().UTC().Format("Jan _2 15:04"), name)
}

func cmdCat(ctx context.Context, _ *shell, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	for _, p := range args {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, f)
		f.Close()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func cmdMkdir(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	opt, dirs, err := flags(args, "p")
	if err != nil || len(dirs) == 0 {
		return errUsage
	}
	for _, d := range dirs {
		if opt['p'] {
			err = os.MkdirAll(d, 0o755)
		} else {
			err = os.Mkdir(d, 0o755)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func cmdRm(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	opt, paths, err := flags(args, "rf")
	if err != nil || len(paths) == 0 {
		return errUsage
	}
	for _, p := range paths {
		if opt['r'] {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err != nil && !(opt['f'] && errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	return nil
}

func cmdMv(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	if len(args) != 2 {
		return errUsage
	}
	to := args[1]
	if st, err := os.Stat(to); err == nil && st.IsDir() {
		to = filepath.Join(to, filepath.Base(args[0]))
	}
	return os.Rename(args[0], to)
}

func cmdCp(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	if len(args) != 2 {
		return errUsage
	}
	src, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	to := args[1]
	if dst, err := os.Stat(to); err == nil && dst.IsDir() {
		to = filepath.Join(to, filepath.Base(args[0]))
	}
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func cmdTouch(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	now := time.Now()
	for _, p := range args {
		if err := os.Chtimes(p, now, now); err == nil {
			continue
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

func cmdLn(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	opt, rest, err := flags(args, "s")
	if err != nil || len(rest) != 2 {
		return errUsage
	}
	if opt['s'] {
		return os.Symlink(rest[0], rest[1])
	}
	return os.Link(rest[0], rest[1])
}

func cmdStat(_ context.Context, _ *shell, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	for _, p := range args {
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  File: %s\n  Size: %d\n  Mode: %s (%04o)\n", p, st.Size(), st.Mode(), st.Mode().Perm())
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			fmt.Fprintf(out, " Inode: %d  Links: %d  Uid: %d  Gid: %d\n", sys.Ino, sys.Nlink, sys.Uid, sys.Gid)
		}
		fmt.Fprintf(out, "Modify: %s\n", st.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return nil
}

func cmdEnv(_ context.Context, _ *shell, _ []string, out io.Writer) error {
	env := os.Environ()
	sort.Strings(env)
	for _, e := range env {
		fmt.Fprintln(out, e)
	}
	return nil
}

func cmdExport(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return errUsage
		}
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
}

func cmdUnset(_ context.Context, _ *shell, args []string, _ io.Writer) error {
	for _, a := range args {
		os.Unsetenv(a)
	}
	return nil
}

func cmdDate(_ context.Context, _ *shell, _ []string, out io.Writer) error {
	fmt.Fprintln(out, time.Now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"))
	return nil
}

func cmdUptime(_ context.Context, _ *shell, _ []string, out io.Writer) error {
	up := time.Since(bootTime)
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		up = time.Duration(si.Uptime) * time.Second
	}
	fmt.Fprintf(out, "up %v, %d CPUs, %d goroutines\n", up.Round(time.Millisecond), runtime.NumCPU(),
		runtime.NumGoroutine())
	return nil
}

func cmdUname(_ context.Context, _ *shell, args []string, out io.Writer) error {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return err
	}
	s := func(f [65]int8) string {
		b := make([]byte, 0, len(f))
		for _, c := range f {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	if len(args) == 1 && args[0] == "-a" {
		fmt.Fprintf(out, "%s %s %s %s %s\n", s(u.Sysname), s(u.Nodename), s(u.Release), s(u.Version), s(u.Machine))
		return nil
	}
	if len(args) != 0 {
		return errUsage
	}
	fmt.Fprintln(out, s(u.Sysname))
	return nil
}

func cmdFree(_ context.Context, _ *shell, _ []string, out io.Writer) error {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return err
	}
	unit := uint64(si.Unit)
	if unit == 0 {
		unit = 1
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "machine: %d MiB total, %d MiB free\n", si.Totalram*unit>>20, si.Freeram*unit>>20)
	fmt.Fprintf(out, "go heap: %d KiB in use, %d KiB from the kernel, %d GC cycles\n", ms.HeapAlloc>>10,
		ms.Sys>>10, ms.NumGC)
	return nil
}

func cmdSleep(ctx context.Context, _ *shell, args []string, _ io.Writer) error {
	if len(args) != 1 {
		return errUsage
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil || secs < 0 {
		return errUsage
	}
	select {
	case <-time.After(time.Duration(secs * float64(time.Second))):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func cmdExit(_ context.Context, sh *shell, args []string, _ io.Writer) error {
	status := 0
	if len(args) > 1 {
		return errUsage
	}
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 255 {
			return errUsage
		}
		status = n
	}
	sh.exit = &status
	return nil
}
