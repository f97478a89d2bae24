#!/bin/sh
# debian-kernel.sh DIR - put Debian's current amd64 kernel at DIR/vmlinuz
# and the modules the benchmarks need (virtio, ext4) in DIR/modules.
#
# `make bench` boots the same initramfs on this kernel to compare EggOS
# with Linux in the same QEMU. The package is only downloaded and
# unpacked into DIR, never installed, so the host's /boot is untouched.
# DIR/version names the package the image came from.
set -eu

# Debian builds these as modules; EggOS has the same drivers built in.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
failover net_failover virtio_net crc16 mbcache jbd2 crc32c_generic ext4"

dir=$1
[ -s "$dir/vmlinuz" ] && [ -s "$dir/modules/ext4.ko" ] && exit 0
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
patterns=""
for m in $modules; do patterns="$patterns ./lib/modules/*/$m.ko"; done
# shellcheck disable=SC2086 # one pattern per module
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --wildcards $patterns
mkdir -p "$dir/modules"
for m in $modules; do
	ko=$(find "$tmp/lib/modules" -name "$m.ko" | head -n 1)
	[ -n "$ko" ] || { echo "debian-kernel.sh: $pkg has no $m.ko" >&2; exit 1; }
	cp "$ko" "$dir/modules/"
done
echo "$pkg" > "$dir/version"
echo "debian-kernel.sh: $pkg -> $dir/vmlinuz" >&2
