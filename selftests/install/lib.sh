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

# python_imports ROOT PYTHONDIR LIBDIR: the resmap package installed
# under ROOT imports from there (not from the build tree: its extensions
# have no RUNPATH into it) with ROOT's library, and works: a Buffer grows
# in place, NumPy arrays come from the resmap handler.
python_imports() {
	local root=$1 pydir=$1$2 lib=$1$3 so
	for so in "$pydir"/resmap/_*.so; do
		readelf -d "$so" | grep -E 'NEEDED|RUNPATH|RPATH'
		! readelf -d "$so" | grep -E '(RUNPATH|RPATH).*'"$BUILD" || return 1
	done
	(cd / && PYTHONPATH=$pydir LD_LIBRARY_PATH=$lib /usr/bin/python3 -s -c '
import os, sys
import numpy, resmap, resmap.numpy
root, version = sys.argv[1:]
for m in (resmap, resmap._resmap, resmap.numpy._numpy):
    assert m.__file__.startswith(root + "/"), m.__file__
assert resmap.version() == version, resmap.version()
b = resmap.Buffer(4096, reserve=1 << 20)
a = b.address
b.resize(1 << 20)
assert b.address == a
with resmap.numpy.allocator():
    x = numpy.zeros(1000)
assert numpy.core.multiarray.get_handler_name(x) == "resmap"
print("resmap", resmap.version(), "from", os.path.dirname(resmap.__file__))
' "$root" "$(cat "$TOP/VERSION")")
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
