#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install into a DESTDIR: every file where it belongs, the soname and
# symbol versions, a program built with `pkg-config --cflags --libs
# resmap-shim` running against the installed library (shared and static),
# LD_PRELOAD still replacing glibc's malloc, the Python package importing
# from Debian's dist-packages for the prefix, and make uninstall leaving
# nothing behind.
set -u
. "$(dirname "$0")/lib.sh"

dest=$scratch/root
prefix=/usr/local
lib=$dest$prefix/lib
so=$lib/libresmap-shim.so.1

check "make install DESTDIR PREFIX" \
	make -C "$TOP" -s BUILD="$BUILD" DESTDIR="$dest" PREFIX="$prefix" install

expect_files() {
	local f missing=0
	for f in lib/libresmap-shim.so.1.0.0 lib/libresmap-shim.so.1 \
		 lib/libresmap-shim.so lib/libresmap-shim.a \
		 lib/pkgconfig/resmap-shim.pc include/resmap_alloc.h \
		 include/linux/resmap.h sbin/resmapctl \
		 share/man/man3/batch_alloc5.3 share/man/man3/resmap_move.3 \
		 share/man/man4/resmap.4 share/man/man8/resmapctl.8; do
		[ -e "$dest$prefix/$f" ] || { echo "missing $prefix/$f"; missing=1; }
	done
	if [ "$(readlink "$lib/libresmap-shim.so")" != libresmap-shim.so.1 ] ||
	   [ "$(readlink "$so")" != libresmap-shim.so.1.0.0 ]; then
		ls -l "$lib"
		missing=1
	fi
	return $missing
}
check "installed files and links" expect_files

check "soname is libresmap-shim.so.1" \
	sh -c "readelf -d '$so' | grep -q 'SONAME.*\[libresmap-shim.so.1\]'"

# Every exported function: the malloc family (and any __libc_*, mallinfo*
# or malloc_* name) unversioned, everything else in one of the version
# nodes of libshim/libresmap-shim.map (RESMAP_SHIM_1.0, 1.1...), and
# every non-malloc function of resmap_alloc.h among them.
family=$MALLOC_FAMILY
symbol_versions() {
	local bad=0 sym name ver fn nodes
	nodes=$(grep -oE '^RESMAP_SHIM_[0-9.]+' "$TOP/libshim/libresmap-shim.map" |
		sed 's/^/@@/' | paste -sd'|')
	readelf --dyn-syms -W "$so" |
		awk '$5 == "GLOBAL" && $7 != "UND" && $7 != "ABS" && ($4 == "FUNC" || $4 == "OBJECT") { print $8 }' \
		> "$scratch/exports"
	while read -r sym; do
		name=${sym%%@*}
		ver=${sym#"$name"}
		if [[ $name =~ $family ]]; then
			[ -z "$ver" ] || { echo "$name is versioned ($ver): LD_PRELOAD would not replace glibc's"; bad=1; }
		elif [[ ! $ver =~ ^($nodes)$ ]]; then
			echo "$name has version '$ver', not one of $nodes (libshim/libresmap-shim.map)"
			bad=1
		fi
	done < "$scratch/exports"
	for fn in $(header_functions); do
		[[ $fn =~ $family ]] && continue
		grep -qE "^$fn($nodes)\$" "$scratch/exports" ||
			{ echo "$fn (resmap_alloc.h) not exported in a RESMAP_SHIM_ node"; bad=1; }
	done
	cat "$scratch/exports"
	return $bad
}
check "symbol versions: API in RESMAP_SHIM_ nodes, malloc family unversioned" symbol_versions

check "a program built with pkg-config runs against the installed library" \
	hello_against "$dest" "$prefix/lib"

build_static() {
	gcc -std=c11 -Wall -Werror -static "$here/hello.c" \
		$(pc "$dest" "$prefix/lib" --cflags --static --libs) -o "$scratch/hello-static" 2>&1 &&
	"$scratch/hello-static"
}
check "the static library links and runs (pkg-config --static)" build_static

preload() {
	gcc -std=c11 -D_GNU_SOURCE -Wall -Werror "$here/preload.c" -o "$scratch/preload" &&
	"$scratch/preload" > "$scratch/without" &&
	LD_PRELOAD=$so "$scratch/preload" > "$scratch/with" || return 1
	cat "$scratch/with"
	! grep -v libresmap-shim.so.1 "$scratch/with" &&
	! grep libresmap-shim "$scratch/without"
}
check "LD_PRELOAD of the installed library replaces glibc's malloc family" preload

check "installed resmapctl runs" "$dest$prefix/sbin/resmapctl" --version

pydir=$prefix/lib/python$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages
if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
	check "the installed Python package imports and works" \
		python_imports "$dest" "$pydir" "$prefix/lib"
else
	skip "the installed Python package" "no NumPy (make deps)"
fi

uninstalled() {
	make -C "$TOP" -s BUILD="$BUILD" DESTDIR="$dest" PREFIX="$prefix" uninstall &&
	! find "$dest" -type f -o -type l | grep .
}
check "make uninstall removes every installed file" uninstalled

# The module, as any out-of-tree module installs (built if it is not).
. "$TOP/selftests/vm/kernels.sh"
modules_install() {
	local abi
	abi=$(kernel_abi 6.1) || return 1
	make -C "$TOP" -s BUILD="$BUILD" KVER=6.1 INSTALL_MOD_PATH="$scratch/mods" \
		modules_install &&
	find "$scratch/mods/lib/modules/$abi/updates" -name 'resmap.ko*' | grep .
}
if [ -d "/usr/src/linux-headers-$(kernel_abi 6.1 2> /dev/null)" ]; then
	check "make modules_install INSTALL_MOD_PATH (6.1)" modules_install
else
	skip "make modules_install" "no 6.1 headers (make deps)"
fi

finish
