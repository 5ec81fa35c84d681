#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS: dkms add, build and install of the sources 'make install-dkms'
# installs, for the 6.1 and the 6.12 headers, in scratch trees (source,
# dkms and install trees, signing key: nothing outside them changes; no
# depmod of the system).  The module each install leaves must be for its
# kernel (vermagic) and link against it (depmod -e with the kernel's
# Module.symvers).  The modules are left in $BUILD/dkms/<release>/ for
# the test bed: VM_KO=... make vm-run (see Documentation/testbed.rst).
set -u
. "$(dirname "$0")/lib.sh"
. "$TOP/selftests/vm/kernels.sh"

if ! command -v dkms > /dev/null; then
	skip "dkms" "dkms is not installed (make deps)"
	finish
	exit
fi
version=$(cat "$TOP/VERSION")
src=$scratch/src
# The signing key dkms would otherwise make in /var/lib/dkms.
export mok_signing_key=$scratch/mok.key mok_certificate=$scratch/mok.pub
dk() {
	dkms --dkmstree "$scratch/dkms" --sourcetree "$src/usr/src" \
		--installtree "$scratch/modules" "$@"
}

check "dkms.conf's PACKAGE_VERSION is VERSION ($version)" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$TOP/dkms.conf"
mkdir -p "$scratch/dkms" "$scratch/modules"
check "make install-dkms" make -C "$TOP" -s DESTDIR="$src" install-dkms
check "dkms add" dk add -m resmap -v "$version"

# usable ABI: the installed module is for this kernel and links against it.
usable() {
	local abi=$1 ko mod=$scratch/mod-$1
	ko=$(find "$scratch/modules/$abi" -name 'resmap.ko*' | head -n 1)
	[ -n "$ko" ] || { echo "no resmap.ko under $scratch/modules/$abi"; return 1; }
	echo "installed: ${ko#"$scratch/modules/"}"
	rm -rf "$mod" && mkdir -p "$mod/lib/modules/$abi/updates" || return 1
	# A kernel's lists, empty: only the module's symbols are checked.
	touch "$mod/lib/modules/$abi/"modules.{order,builtin,builtin.modinfo}
	case $ko in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -qdc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac > "$mod/lib/modules/$abi/updates/resmap.ko" || return 1
	modinfo -F vermagic "$mod/lib/modules/$abi/updates/resmap.ko" | grep -q "^$abi " ||
		{ echo "vermagic is not $abi"; return 1; }
	depmod -e -E "/usr/src/linux-headers-$abi/Module.symvers" -b "$mod" "$abi" 2>&1 |
		tee "$mod/depmod.log"
	[ ! -s "$mod/depmod.log" ] && grep -q resmap.ko "$mod/lib/modules/$abi/modules.dep" &&
	mkdir -p "$BUILD/dkms/$abi" &&
	cp "$mod/lib/modules/$abi/updates/resmap.ko" "$BUILD/dkms/$abi/resmap.ko"
}

for k in $KVERS; do
	abi=$(kernel_abi "$k") || { check "headers for $k" false; continue; }
	mkdir -p "$scratch/modules/$abi"
	check "dkms build for $abi" dk build -m resmap -v "$version" -k "$abi" \
		--kernelsourcedir "/usr/src/linux-headers-$abi"
	if [ "$(id -u)" -ne 0 ]; then
		skip "dkms install for $abi" "dkms install needs root, even into a scratch tree"
		continue
	fi
	check "dkms install for $abi" dk install -m resmap -v "$version" -k "$abi" \
		--kernelsourcedir "/usr/src/linux-headers-$abi" --no-depmod
	check "the $abi module is for $abi and links against it" usable "$abi"
done
[ "$(id -u)" -eq 0 ] || { finish; exit; }

installed() {
	dk status -m resmap > "$scratch/status" || return 1
	cat "$scratch/status"
	[ "$(grep -c ': installed' "$scratch/status")" -eq "$(echo "$KVERS" | wc -w)" ]
}
check "dkms status: installed for every kernel" installed
removed() {
	dk remove -m resmap -v "$version" --all --no-depmod &&
	! find "$scratch/modules" -name 'resmap.ko*' | grep .
}
check "dkms remove --all removes the modules" removed

finish
