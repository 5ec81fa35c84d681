#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages: dpkg-buildpackage -b -us -uc on a copy of the tree
# builds resmap-dkms, libresmap-shim1, libresmap-shim-dev, resmap-tools and
# python3-resmap;
# lintian --pedantic reports no error or warning (and, today, nothing at
# all, info and experimental tags included); the packages unpacked into a scratch
# root give a program built with pkg-config that runs against the packaged
# library, a resmapctl that runs, a Python package that imports and
# works, and module sources that DKMS builds.
set -u
. "$(dirname "$0")/lib.sh"
. "$TOP/selftests/vm/kernels.sh"

for tool in dpkg-buildpackage dh lintian; do
	command -v $tool > /dev/null && continue
	skip "Debian packages" "$tool is not installed (make deps)"
	finish
	exit
done
version=$(cat "$TOP/VERSION")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
src=$scratch/src/resmap-$version
root=$scratch/root
packages="resmap-dkms libresmap-shim1 libresmap-shim-dev resmap-tools python3-resmap"

check "debian/changelog's version is VERSION ($version)" \
	sh -c "cd '$TOP' && dpkg-parsechangelog -S Version | grep -qx '$version'"

# The tree as it is, without build products.
mkdir -p "$src"
tar -C "$TOP" --exclude=./build --exclude=./.cache --exclude=./.git \
	-cf - . | tar -C "$src" -xf -
build() {
	(cd "$src" && dpkg-buildpackage -b -us -uc) || return 1
	local p
	for p in $packages; do
		ls "$scratch/src/${p}_${version}_"*.deb || return 1
	done
}
check "dpkg-buildpackage -b -us -uc builds $packages" build

lint() {
	lintian --pedantic "$scratch/src/resmap_${version}_"*.changes 2>&1 |
		grep -v '^running with root privileges' | tee "$scratch/lintian"
	! grep -E '^[EW]: ' "$scratch/lintian"
}
check "lintian: no error, no warning" lint

unpack() {
	local p
	for p in $packages; do
		dpkg-deb -x "$scratch/src/${p}_${version}_"*.deb "$root" || return 1
	done
	find "$root" -type f -o -type l | sed "s|^$root||" | sort
}
check "the packages unpack into a scratch root" unpack

check "a program built with pkg-config runs against the packaged library" \
	hello_against "$root" "/usr/lib/$multiarch"
check "the packaged resmapctl runs" "$root/usr/sbin/resmapctl" --version
check "the packaged Python package imports and works" \
	python_imports "$root" /usr/lib/python3/dist-packages "/usr/lib/$multiarch"

# The packaged module sources, built by DKMS for one kernel (dkms.sh
# does both kernels from the source tree).
dkms_build() {
	local abi
	abi=$(kernel_abi 6.1) || return 1
	mkdir -p "$scratch/dkms"
	export mok_signing_key=$scratch/mok.key mok_certificate=$scratch/mok.pub
	dkms --dkmstree "$scratch/dkms" --sourcetree "$root/usr/src" \
		--installtree "$scratch/modules" build -m resmap -v "$version" \
		-k "$abi" --kernelsourcedir "/usr/src/linux-headers-$abi" &&
	find "$scratch/dkms" -name 'resmap.ko*' | grep .
}
if command -v dkms > /dev/null; then
	check "DKMS builds the packaged module sources for 6.1" dkms_build
else
	skip "DKMS builds the packaged module sources" "dkms is not installed"
fi

finish
