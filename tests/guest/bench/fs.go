package main

// File system figures: sequential write and read in MB/s and file create,
// stat and unlink per second, on the root tmpfs and on ext2 over virtio-blk
// (the host attaches an empty ext2 image as the first disk).
//
// Writes to ext2 end with fsync, so they include getting the data to the
// disk; reads come from the kernel's cache on both kernels (the file was
// just written), so they measure the read path, not the disk.

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	seqFileMiB = 64
	seqChunk   = 1 << 20
	smallFiles = 2000
)

// fsFigures reports the figures for the file system mounted at dir.
func fsFigures(fs, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := filepath.Join(dir, "seq")
	var err error
	report(fs+"_write", "MB/s", median(func() float64 {
		v, e := seqWrite(file)
		if e != nil {
			err = e
		}
		return v
	}))
	report(fs+"_read", "MB/s", median(func() float64 {
		v, e := seqRead(file)
		if e != nil {
			err = e
		}
		return v
	}))
	if err != nil {
		return err
	}
	os.Remove(file)
	var create, stat, unlink []float64
	for i := 0; i < runs; i++ {
		c, s, u, e := smallFileOps(filepath.Join(dir, "small"))
		if e != nil {
			return e
		}
		create, stat, unlink = append(create, c), append(stat, s), append(unlink, u)
	}
	report(fs+"_create", "files/s", middle(create))
	report(fs+"_stat", "files/s", middle(stat))
	report(fs+"_unlink", "files/s", middle(unlink))
	return nil
}

func mbPerSec(bytes int, d time.Duration) float64 {
	return float64(bytes) / (1 << 20) / d.Seconds()
}

// seqWrite writes the file from scratch in 1 MiB chunks and fsyncs it.
func seqWrite(name string) (float64, error) {
	buf := make([]byte, seqChunk)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	start := time.Now()
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	for i := 0; i < seqFileMiB; i++ {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return mbPerSec(seqFileMiB*seqChunk, time.Since(start)), nil
}

// seqRead reads the file in 1 MiB chunks.
func seqRead(name string) (float64, error) {
	buf := make([]byte, seqChunk)
	start := time.Now()
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total := 0
	for {
		n, err := f.Read(buf)
		total += n
		if n == 0 || err != nil {
			break
		}
	}
	if total != seqFileMiB*seqChunk {
		return 0, fmt.Errorf("read %d bytes of %s, want %d", total, name, seqFileMiB*seqChunk)
	}
	return mbPerSec(total, time.Since(start)), nil
}

// smallFileOps creates, stats and unlinks smallFiles empty files in a fresh
// directory and returns each phase's rate in files per second.
func smallFileOps(dir string) (create, stat, unlink float64, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, 0, err
	}
	names := make([]string, smallFiles)
	for i := range names {
		names[i] = filepath.Join(dir, fmt.Sprintf("f%05d", i))
	}
	rate := func(d time.Duration) float64 { return smallFiles / d.Seconds() }
	start := time.Now()
	for _, n := range names {
		f, err := os.OpenFile(n, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, 0, 0, err
		}
		f.Close()
	}
	create = rate(time.Since(start))
	start = time.Now()
	for _, n := range names {
		if _, err := os.Stat(n); err != nil {
			return 0, 0, 0, err
		}
	}
	stat = rate(time.Since(start))
	start = time.Now()
	for _, n := range names {
		if err := os.Remove(n); err != nil {
			return 0, 0, 0, err
		}
	}
	unlink = rate(time.Since(start))
	return create, stat, unlink, os.Remove(dir)
}

// fsBench is the "fs" mode: tmpfs at /fsbench, ext2 at /mnt.
func fsBench() {
	if err := fsFigures("tmpfs", "/fsbench"); err != nil {
		fmt.Printf("BENCH-FAIL tmpfs: %v\n", err)
		return
	}
	if err := mountDisk("/mnt"); err != nil {
		fmt.Printf("BENCH-FAIL ext2: %v\n", err)
		return
	}
	if err := fsFigures("ext2", "/mnt"); err != nil {
		fmt.Printf("BENCH-FAIL ext2: %v\n", err)
	}
}
