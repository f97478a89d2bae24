// Package initramfs writes initramfs images: "newc" cpio archives, the
// format Linux and EggOS unpack into their root file system at boot.
package initramfs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Entry is one file system object in the archive.
type Entry struct {
	Path  string    // "init", "etc/hosts" (no leading slash)
	Mode  uint32    // permission bits and type (use the S_* constants)
	Data  []byte    // file contents, or the target of a symlink
	UID   uint32    // owner
	GID   uint32    // group
	Mtime uint32    // seconds since the epoch
	Rdev  [2]uint32 // major, minor for device nodes
}

// File types for Entry.Mode (as in Linux's stat.h).
const (
	TypeDir     = 0o040000
	TypeRegular = 0o100000
	TypeSymlink = 0o120000
	TypeChar    = 0o020000
	TypeFIFO    = 0o010000
)

// Archive collects entries; directories are created for every parent path.
type Archive struct {
	entries map[string]Entry
}

// New returns an empty archive.
func New() *Archive { return &Archive{entries: map[string]Entry{}} }

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

func (a *Archive) addParents(p string) {
	for dir := path.Dir(p); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if _, ok := a.entries[dir]; !ok {
			a.entries[dir] = Entry{Path: dir, Mode: TypeDir | 0o755}
		}
	}
}

// Add puts e in the archive (replacing an entry with the same path).
func (a *Archive) Add(e Entry) {
	e.Path = clean(e.Path)
	a.addParents(e.Path)
	a.entries[e.Path] = e
}

// AddFile adds a regular file.
func (a *Archive) AddFile(p string, data []byte, perm uint32) {
	a.Add(Entry{Path: p, Mode: TypeRegular | perm, Data: data})
}

// AddHostFile adds the contents of a host file under p, with the host
// file's modification time, as cpio(1) does.
func (a *Archive) AddHostFile(p, hostPath string, perm uint32) error {
	data, err := os.ReadFile(hostPath)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	st, err := os.Stat(hostPath)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	a.Add(Entry{Path: p, Mode: TypeRegular | perm, Data: data, Mtime: uint32(st.ModTime().Unix())})
	return nil
}

// AddDir adds a directory.
func (a *Archive) AddDir(p string, perm uint32) { a.Add(Entry{Path: p, Mode: TypeDir | perm}) }

// AddSymlink adds a symbolic link p -> target.
func (a *Archive) AddSymlink(p, target string) {
	a.Add(Entry{Path: p, Mode: TypeSymlink | 0o777, Data: []byte(target)})
}

// WriteTo writes the archive in newc format, parents before children.
func (a *Archive) WriteTo(w io.Writer) (int64, error) {
	paths := make([]string, 0, len(a.entries))
	for p := range a.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	ino := uint32(1)
	for _, p := range paths {
		writeEntry(&buf, a.entries[p], ino)
		ino++
	}
	writeEntry(&buf, Entry{Path: "TRAILER!!!"}, 0)
	for buf.Len()%512 != 0 {
		buf.WriteByte(0)
	}
	return buf.WriteTo(w)
}

// Bytes returns the archive as a byte slice.
func (a *Archive) Bytes() []byte {
	var buf bytes.Buffer
	a.WriteTo(&buf) //nolint:errcheck // bytes.Buffer does not fail
	return buf.Bytes()
}

// WriteFile writes the archive to a host file.
func (a *Archive) WriteFile(hostPath string) error {
	return os.WriteFile(hostPath, a.Bytes(), 0o644)
}

func pad4(buf *bytes.Buffer) {
	for buf.Len()%4 != 0 {
		buf.WriteByte(0)
	}
}

func writeEntry(buf *bytes.Buffer, e Entry, ino uint32) {
	name := e.Path
	nlink := uint32(1)
	if e.Mode&0o170000 == TypeDir {
		nlink = 2
	}
	fmt.Fprintf(buf, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, e.Mode, e.UID, e.GID, nlink, e.Mtime, len(e.Data), 0, 0, e.Rdev[0], e.Rdev[1],
		len(name)+1, 0)
	buf.WriteString(name)
	buf.WriteByte(0)
	pad4(buf)
	buf.Write(e.Data)
	pad4(buf)
}
