#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build and the test bed need, idempotently:
# Debian packages by name, then (without running any maintainer script)
# the bootable kernels matching the installed headers and the parts of
# linux-source-6.1 that the project uses.  A second run only checks.
#
# Usage: deps.sh CACHE_DIR
set -euo pipefail

cache=${1:?usage: deps.sh CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

packages=(
	build-essential g++ make perl kmod
	linux-headers-amd64 linux-headers-6.12-amd64
	qemu-system-x86 busybox-static cpio gzip xz-utils zstd
	liburing-dev libnuma-dev sparse rsync
	libjemalloc-dev libmimalloc-dev libmemkind-dev gnuplot-nox
	clang libclang-rt-14-dev
	# selftests/install: man pages, DKMS, the Debian packages.
	groff-base man-db pkgconf dkms dh-dkms debhelper lintian fakeroot dpkg-dev
	dh-python
	# make check-debug builds a kernel from linux-source-6.1.
	bc bison flex libelf-dev libssl-dev
	# The Python package (libshim/python) and its tests.
	python3-dev python3-pytest python3-numpy
	# make bench's real programs: CPython's regression suites, sqlite.
	libpython3.11-testsuite sqlite3
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

mkdir -p "$cache/debs"

# Fetch a package into the cache without installing it (no postinst).
fetch_deb() {
	local pkg=$1
	local deb
	deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache/debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2)
		deb=$(ls "$cache/debs/${pkg}_"*.deb | head -n 1)
	fi
	echo "$deb"
}

# The kselftest harness, lib.mk, checkpatch and extract-vmlinux, from
# the same kernel source Debian ships.
ksrc="$cache/ksrc"
if [ ! -e "$ksrc/.done" ]; then
	deb=$(fetch_deb linux-source-6.1)
	rm -rf "$ksrc" "$cache/ksrc.tmp"
	mkdir -p "$cache/ksrc.tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$cache/ksrc.tmp" --strip-components=1 \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/tools/testing/selftests/kselftest.h \
			linux-source-6.1/tools/testing/selftests/lib.mk \
			linux-source-6.1/tools/testing/selftests/run_kselftest.sh \
			linux-source-6.1/tools/testing/selftests/kselftest \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch \
			linux-source-6.1/scripts/extract-vmlinux
	touch "$cache/ksrc.tmp/.done"
	mv "$cache/ksrc.tmp" "$ksrc"
fi

# Modules the guest loads: the pmem node's, and brd for a block device
# that O_DIRECT tests can use.  Dependencies are added from modinfo.
guest_modules="nfit nd_pmem nd_btt dax_pmem device_dax kmem brd"

# Append module $1 of the kernel image unpacked in $2 to $order, after
# everything it depends on, decompressed into $3; nothing if the kernel
# has it built in (6.12 builds in virtio_pci, 6.1 does not).
add_module() {
	local name=$1 img=$2 out=$3 ko dep
	case " $order " in *" $name "*) return ;; esac
	grep -q "/$name.ko\$" "$img"/lib/modules/*/modules.builtin && return
	ko=$(find "$img/lib/modules" -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" | head -n 1)
	[ -n "$ko" ] || { echo "deps: module $name not in image" >&2; exit 1; }
	case "$ko" in
	*.xz) xz -dc "$ko" > "$out/$name.ko" ;;
	*.zst) zstd -qdc "$ko" > "$out/$name.ko" ;;
	*) cp "$ko" "$out/$name.ko" ;;
	esac
	for dep in $(modinfo -F depends "$out/$name.ko" | tr ',' ' '); do
		add_module "$dep" "$img" "$out"
	done
	order="$order $name"
}

# fill_modules IMG OUT MODULES...: OUT/*.ko and OUT/load-order.
fill_modules() {
	local img=$1 out=$2 m
	shift 2
	mkdir -p "$out"
	order=""
	for m in "$@"; do
		add_module "$m" "$img" "$out"
	done
	echo "$order" > "$out/load-order"
}

# The Python tests in the guest run Python and NumPy from the host's
# /usr, shared read-only over virtio-9p (run-vm.sh): those modules, apart
# from the test bed's own list so that changing one list never refetches
# for the other, in $dir/virtio-9p.
share_modules="virtio_pci 9pnet_virtio 9p"

for kver in $KVERS; do
	abi=$(kernel_abi "$kver")
	dir="$cache/kernel/$abi"
	# .done records each module list, so a changed list refetches.
	if [ "$(cat "$dir/.done" 2>/dev/null)" = "$guest_modules" ] &&
	   [ "$(cat "$dir/virtio-9p/.done" 2>/dev/null)" = "$share_modules" ]; then
		continue
	fi
	echo "deps: preparing bootable kernel $abi"
	deb=$(fetch_deb "linux-image-$abi-unsigned")
	img="$cache/kernel/$abi.img"
	rm -rf "$img"
	# dpkg-deb -x makes its target directory, not the parents: a fresh
	# clone has no $cache/kernel yet.
	mkdir -p "$cache/kernel"
	dpkg-deb -x "$deb" "$img"
	if [ "$(cat "$dir/.done" 2>/dev/null)" != "$guest_modules" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		# An ELF vmlinux boots through PVH and skips slow
		# in-guest decompression under software emulation.
		sh "$ksrc/scripts/extract-vmlinux" "$img/boot/vmlinuz-$abi" > "$dir/vmlinux"
		fill_modules "$img" "$dir/modules" $guest_modules
		echo "$guest_modules" > "$dir/.done"
	fi
	rm -rf "$dir/virtio-9p"
	fill_modules "$img" "$dir/virtio-9p" $share_modules
	echo "$share_modules" > "$dir/virtio-9p/.done"
	rm -rf "$img"
done
rm -f "$cache"/debs/linux-image-*.deb
echo "deps: ready (cache: $cache)"
