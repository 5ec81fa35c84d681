# SPDX-License-Identifier: GPL-2.0
# Sourced by the install tests: the source tree (TOP, BUILD, from the
# generated paths.sh) and the TAP helpers of tap.sh.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/paths.sh"
. "$here/tap.sh"
# The runner runs under make: do not hand its flags to the make we run.
unset MAKEFLAGS MAKELEVEL MFLAGS

# pc ROOT LIBDIR ARGS...: pkg-config for resmap-shim.pc installed under
# ROOT (a DESTDIR or an unpacked package root) in LIBDIR/pkgconfig.
pc() {
	local root=$1 libdir=$2
	shift 2
	PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$root" pkg-config "$@" resmap-shim
}

# hello_against ROOT LIBDIR: hello.c built with `pkg-config --cflags
# --libs resmap-shim` from ROOT, linked to the soname with versioned
# references, and run against ROOT's library.
hello_against() {
	local lib=$1$2
	gcc -std=c11 -Wall -Werror "$here/hello.c" $(pc "$1" "$2" --cflags --libs) \
		-o "$scratch/hello" &&
	readelf -d "$scratch/hello" | grep -q 'NEEDED.*\[libresmap-shim.so.1\]' &&
	readelf --dyn-syms -W "$scratch/hello" | grep -q 'batch_alloc5@RESMAP_SHIM_1.0' &&
	LD_LIBRARY_PATH=$lib ldd "$scratch/hello" | grep -q "$lib/libresmap-shim.so.1" &&
	LD_LIBRARY_PATH=$lib "$scratch/hello"
}

# The malloc family: unversioned, so that LD_PRELOAD replaces glibc's
# (with the __libc_* aliases and glibc's introspection calls).
MALLOC_FAMILY='^(malloc|free|calloc|realloc|reallocarray|aligned_alloc|posix_memalign|memalign|valloc|pvalloc|malloc_usable_size|malloc_.*|mallinfo.*|mallopt|__libc_.*)$'

# The functions resmap_alloc.h declares (not the names its comments cite).
header_functions() {
	grep -vE '^[[:space:]]*(/?\*|//)' "$TOP/libshim/include/resmap_alloc.h" |
		grep -oE '^[a-z_ A-Z*]*[ *]([a-z_0-9]+)\(' |
		sed -E 's/.*[ *]([a-z_0-9]+)\($/\1/'
}
