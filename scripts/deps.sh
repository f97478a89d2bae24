#!/bin/sh
# deps.sh GROUP... - make sure the host has what a make target needs.
#
# Groups: build (compile the kernel and host tools), run (boot in QEMU),
# test (everything `make test` runs). Missing Debian packages are installed
# with apt-get when we are root; otherwise the exact command is printed and
# we stop. The check is cheap, so every top-level target runs it.
set -eu

pkgs=""
need() { # need COMMAND-OR-PATH PACKAGE
	case "$1" in
	/*) [ -e "$1" ] || pkgs="$pkgs $2" ;;
	*) command -v "$1" >/dev/null 2>&1 || pkgs="$pkgs $2" ;;
	esac
}

for group in "$@"; do
	case "$group" in
	build)
		need gcc gcc
		need ld binutils
		need make make
		need cpio cpio
		;;
	run)
		need qemu-system-x86_64 qemu-system-x86
		;;
	test)
		need qemu-system-x86_64 qemu-system-x86
		need /usr/include/criterion/criterion.h libcriterion-dev
		need pkg-config pkg-config
		need clang-format clang-format
		need musl-gcc musl-tools
		need /usr/lib/go-1.19/bin/go golang-1.19-go
		need mke2fs e2fsprogs
		need gdb gdb
		# The netem test: network namespaces and the tap's address.
		need ip iproute2
		# The HTTP load generator of tests/load_test.go.
		need wrk wrk
		# GRUB images for the multiboot2 boot tests (BIOS and UEFI).
		need grub-mkrescue grub-common
		need /usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
		need /usr/lib/grub/x86_64-efi/multiboot2.mod grub-efi-amd64-bin
		need xorriso xorriso
		need mformat mtools
		need /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
		need clang-14 clang-14
		need /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev
		;;
	bench)
		need qemu-system-x86_64 qemu-system-x86
		need wrk wrk
		need /usr/lib/go-1.19/bin/go golang-1.19-go
		;;
	*)
		echo "deps.sh: unknown group '$group'" >&2
		exit 2
		;;
	esac
done

check_go() {
	# Go is the language of the host tools and the test harness. The project
	# wants a recent Go (see go.mod); Debian's golang-go is too old, so we only
	# point at where to get one.
	if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
		echo "deps.sh: Go 1.22 or newer is needed at /usr/local/go or on PATH (https://go.dev/dl/)." >&2
		exit 1
	fi
}

if [ -z "$pkgs" ]; then
	check_go
	exit 0
fi
# Remove duplicates while keeping order.
pkgs=$(printf '%s\n' $pkgs | awk '!seen[$0]++' | tr '\n' ' ')
if [ "$(id -u)" != 0 ]; then
	echo "EggOS needs these Debian packages:$pkgs" >&2
	echo "Install them as root with:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends $pkgs" >&2
	exit 1
fi
echo "deps.sh: installing$pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs >&2
check_go
