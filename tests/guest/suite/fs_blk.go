package main

import (
	"bytes"
	"fmt"
	"os"
	"sync"
)

func init() {
	register("blkdev", testBlockDevice)
}

// testBlockDevice reads the ext2 superblock of /dev/vda and writes,
// flushes and reads back a scratch disk /dev/vdb from several goroutines
// at once (several virtio-blk requests in flight).
func testBlockDevice(c *t) {
	f, err := os.Open("/dev/vda")
	if err != nil {
		c.Errorf("open /dev/vda: %v", err)
		return
	}
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, 1024); err != nil {
		c.Errorf("read superblock: %v", err)
	} else if sb[56] != 0x53 || sb[57] != 0xef {
		c.Errorf("ext2 magic: got %#x %#x", sb[56], sb[57])
	}
	f.Close()

	g, err := os.OpenFile("/dev/vdb", os.O_RDWR, 0)
	if err != nil {
		c.Errorf("open /dev/vdb: %v", err)
		return
	}
	defer g.Close()
	const chunk = 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			buf := bytes.Repeat([]byte{byte('A' + i)}, chunk)
			// An unaligned start exercises read-modify-write of partial sectors.
			off := int64(i*chunk + 100)
			if _, err := g.WriteAt(buf, off); err != nil {
				errs <- fmt.Errorf("write %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.Errorf("%v", err)
	}
	if err := g.Sync(); err != nil {
		c.Errorf("fsync /dev/vdb: %v", err)
	}
	got := make([]byte, chunk)
	for i := 0; i < 8; i++ {
		if _, err := g.ReadAt(got, int64(i*chunk+100)); err != nil {
			c.Errorf("read back %d: %v", i, err)
			continue
		}
		if !bytes.Equal(got, bytes.Repeat([]byte{byte('A' + i)}, chunk)) {
			c.Errorf("chunk %d differs after write", i)
		}
	}
}
