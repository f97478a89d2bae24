package main

import "unsafe"

// unsafePointer turns an address into a pointer, for fault tests only.
func unsafePointer(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}
