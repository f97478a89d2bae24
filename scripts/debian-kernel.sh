#!/bin/sh
# debian-kernel.sh DIR - put Debian's current amd64 kernel at DIR/vmlinuz.
#
# `make bench` boots the same initramfs on this kernel to compare EggOS
# with Linux in the same QEMU. The package is only downloaded and
# unpacked into DIR, never installed, so the host's /boot is untouched.
# DIR/version names the package the image came from.
set -eu

dir=$1
[ -s "$dir/vmlinuz" ] && exit 0
mkdir -p "$dir"
# linux-image-amd64 is a meta package: it depends on the versioned image.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	[ "$(id -u)" = 0 ] && apt-get update -q >&2
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "debian-kernel.sh: no linux-image-amd64 in the package lists" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq "$pkg") >&2
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
cp "$tmp"/boot/vmlinuz-* "$dir/vmlinuz"
echo "$pkg" > "$dir/version"
echo "debian-kernel.sh: $pkg -> $dir/vmlinuz" >&2
