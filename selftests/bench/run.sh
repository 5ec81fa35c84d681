#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmarks against every allocator present, REPS times each,
# printing one result line per measurement (see bench.h).  On a machine
# with /dev/resmap it adds the module backend, the batch-mapping and the
# tier benchmarks.  BENCH_TINY=1: each once, at a tiny size (make check).
# BENCH_ONLY="glibc resmap-syscall": only those allocators.
# POSIX sh: it also runs in the test bed's busybox.
set -u
here=$(cd "$(dirname "$0")" && pwd)
lib=/usr/lib/x86_64-linux-gnu
if command -v ldd > /dev/null; then
	shim=$(ldd "$here/../shim/api" 2>/dev/null | awk '/libresmap-shim/ { print $3 }')
else
	shim=$(find / -xdev -name libresmap-shim.so.1 2>/dev/null | head -n 1)
fi
tiny=${BENCH_TINY:-0}
reps=${REPS:-5}
vm=0
[ -c /dev/resmap ] && vm=1

# The real programs (host only: the test bed has neither Python nor
# sqlite3): CPython's own regression suites, a bytearray grown to PYMIB
# MiB and dropped PYROUNDS times, PYOBJECTS bytes objects through a
# queue between two threads, sqlite on SQLROWS rows.
pysuites="test_bytes test_list test_dict test_set test_array test_json test_re
	test_unicode test_pickle test_string test_tuple test_deque test_heapq
	test_bisect test_struct test_collections"
pyrounds=40 pymib=16 pyobjects=200000 sqlrows=100000
if [ "$tiny" = 1 ]; then
	reps=1 grow="4 2" batchn=2000 churnops=2000 threads="1 2" ranges="16 64" tiers="4 2"
	functions=2 largeops=200 smallops=2000
	pysuites=test_bisect pyrounds=2 pymib=1 pyobjects=2000 sqlrows=1000
elif [ $vm = 1 ]; then
	# Software-emulated: populating costs ~25 ms/MiB, so 4096 ranges of
	# 16 KiB rather than 64 KiB, and 512 MiB rather than 1 GiB on the
	# 896 MiB pmem node.
	grow="256 64" batchn=200000 churnops=200000 threads="1 2 4 8"
	ranges="4096 16" tiers="512 256" functions=0 largeops=2000 smallops=200000
else
	grow="1024 256" batchn=1000000 churnops=2000000 threads="1 2 4 8"
	ranges="4096 64" tiers="256 64" functions=10 largeops=100000 smallops=5000000
fi

echo "# where: $(uname -r) $( [ $vm = 1 ] && echo vm || echo host) reps=$reps"
# name:preload:backend, or name:preload:@VAR=VALUE for a peer's huge-page
# configuration (the VALUE may hold colons)
allocators="glibc:: glibc-hugetlb::@GLIBC_TUNABLES=glibc.malloc.hugetlb=1"
[ -e $lib/libjemalloc.so.2 ] && allocators="$allocators jemalloc:$lib/libjemalloc.so.2:
	jemalloc-thp:$lib/libjemalloc.so.2:@MALLOC_CONF=thp:always,metadata_thp:always"
[ -e $lib/libmimalloc.so.2 ] && allocators="$allocators mimalloc:$lib/libmimalloc.so.2:
	mimalloc-large:$lib/libmimalloc.so.2:@MIMALLOC_ALLOW_LARGE_OS_PAGES=1"
allocators="$allocators resmap-syscall:$shim:syscall"
[ $vm = 1 ] && allocators="$allocators resmap-module:$shim:module"
if [ -n "${BENCH_ONLY:-}" ]; then
	all=$allocators allocators=
	for a in $all; do
		case " $BENCH_ONLY " in *" ${a%%:*} "*) allocators="$allocators $a" ;; esac
	done
fi
# Debian's Python, whose suites libpython3.11-testsuite installs (not
# whichever python3 comes first in PATH).
PYTHON=${PYTHON:-/usr/bin/python3}
havepy=0 havetests=0 havesql=0
[ -x "$PYTHON" ] && havepy=1
if [ $havepy = 1 ] && "$PYTHON" -c 'import test.libregrtest' 2> /dev/null; then
	havetests=1
fi
command -v sqlite3 > /dev/null && havesql=1
# For report.sh's text: what the real programs were given (one line:
# $pysuites unquoted).
echo "# programs: pyrounds=$pyrounds pymib=$pymib pyobjects=$pyobjects" \
	"sqlrows=$sqlrows functions=$functions suites:" $pysuites

rc=0
run() {	# name preload backend cmd...
	name=$1 pre=$2 be=$3
	shift 3
	case $be in
	@*)	set -- env "${be#@}" "$@" ;;
	?*)	set -- env RESMAP_BACKEND="$be" RESMAP_BACKEND_STRICT=1 "$@" ;;
	esac
	BENCH_ALLOCATOR=$name LD_PRELOAD=$pre "$@" ||
		{ echo "# failed: $name $*" >&2; rc=1; }
}

r=0
while [ $r -lt "$reps" ]; do
	r=$((r + 1))
	for a in $allocators; do
		name=${a%%:*} rest=${a#*:}
		pre=${rest%%:*} be=${rest#*:}
		run "$name" "$pre" "$be" "$here/growth" $grow
		for s in 16 64 256; do
			run "$name" "$pre" "$be" "$here/batch" "$batchn" "$s"
		done
		for t in $threads; do
			run "$name" "$pre" "$be" "$here/churn" "$t" "$churnops"
		done
		run "$name" "$pre" "$be" "$here/large" touch "${grow%% *}"
		run "$name" "$pre" "$be" "$here/large" churn "$largeops"
		for m in single private handoff; do
			run "$name" "$pre" "$be" "$here/small" $m "$smallops" 2
		done
		# A real program, where there is a compiler (not in the test bed).
		if [ "$functions" -gt 0 ] && command -v g++ > /dev/null; then
			run "$name" "$pre" "$be" "$here/compile" "$functions"
		fi
		# $pysuites unquoted: one argument per suite.  -j1: each suite
		# in a fresh worker, as CPython's CI runs them; in one process
		# the later suites' gc.collect() calls walk every object the
		# earlier ones left, which doubles the time.
		if [ $havetests = 1 ]; then
			run "$name" "$pre" "$be" "$here/program" cpython-tests \
				"$PYTHON" -m test -q -j1 $pysuites
		fi
		if [ $havepy = 1 ]; then
			run "$name" "$pre" "$be" "$here/program" py-grow-drop \
				"$PYTHON" "$here/py/bytearray_grow_drop.py" $pyrounds $pymib
			run "$name" "$pre" "$be" "$here/program" py-producer-consumer \
				"$PYTHON" "$here/py/queue_producer_consumer.py" $pyobjects
		fi
		if [ $havesql = 1 ]; then
			run "$name" "$pre" "$be" "$here/program" sqlite sqlite3 :memory: \
				".parameter set @rows $sqlrows" ".read $here/sqlite.sql"
		fi
	done
	BENCH_ALLOCATOR=floor "$here/growth" $grow floor || rc=1
	for pg in 4K 2M; do
		BENCH_ALLOCATOR=floor "$here/large" floor "${grow%% *}" $pg || rc=1
	done
	if [ $vm = 1 ]; then
		BENCH_ALLOCATOR=resmap-module "$here/mapping" $ranges || rc=1
		pmem=
		for n in /sys/devices/system/node/node[0-9]*; do
			[ -n "$(tr -d '\n' < "$n/cpulist")" ] || pmem=${n##*node}
		done
		MEMKIND_DAX_KMEM_NODES=$pmem BENCH_ALLOCATOR=tiers LD_PRELOAD=$shim \
			RESMAP_BACKEND=module "$here/tiers" $tiers || rc=1
	fi
done
exit $rc
