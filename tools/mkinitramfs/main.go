// Command mkinitramfs builds a newc cpio initramfs from host files:
//
//	mkinitramfs -o initramfs.cpio init=./myprog etc/hosts=/etc/hosts
//
// Each argument is DEST=SOURCE; DEST is the path inside the image. A file
// named "init" becomes the program the kernel starts.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"eggos/internal/initramfs"
)

func main() {
	out := flag.String("o", "initramfs.cpio", "output file")
	flag.Parse()
	a := initramfs.New()
	for _, arg := range flag.Args() {
		dest, src, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "mkinitramfs: %q: want DEST=SOURCE\n", arg)
			os.Exit(2)
		}
		st, err := os.Stat(src)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mkinitramfs: %v\n", err)
			os.Exit(1)
		}
		if err := a.AddHostFile(dest, src, uint32(st.Mode().Perm())); err != nil {
			fmt.Fprintf(os.Stderr, "mkinitramfs: %v\n", err)
			os.Exit(1)
		}
	}
	if err := a.WriteFile(*out); err != nil {
		fmt.Fprintf(os.Stderr, "mkinitramfs: %v\n", err)
		os.Exit(1)
	}
}
