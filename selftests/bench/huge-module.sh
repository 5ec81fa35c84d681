#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Huge pages on the module backend (issue 15): one block grown by realloc
# doubling to MIB (256) MiB, every page touched, REPS (5) times each, as
# the shim serves it on the module backend: unplaced (plain anonymous
# memory, MADV_HUGEPAGE), the same with thp=0, and placed on DRAM (the
# module's memory, 4 KiB pages); against the populate floors, one mmap
# in 4 KiB and in 2 MiB pages.  Documentation/shim.rst has the figures.
# POSIX sh: it runs in the test bed's busybox.
here=$(cd "$(dirname "$0")" && pwd)
mib=${MIB:-256}
reps=${REPS:-5}
if [ ! -c /dev/resmap ]; then
	echo "# SKIP: no /dev/resmap (resmap.ko not loaded)"
	exit 4
fi
shim=$(find / -xdev -name libresmap-shim.so.1 2>/dev/null | head -n 1)
echo "# where: $(uname -r) $(grep -h . /sys/kernel/mm/transparent_hugepage/enabled) reps=$reps"
rc=0
r=0
while [ $r -lt "$reps" ]; do
	r=$((r + 1))
	for pg in 4K 2M; do
		BENCH_ALLOCATOR=floor "$here/large" floor "$mib" $pg || rc=1
	done
	RESMAP_BACKEND=module RESMAP_BACKEND_STRICT=1 LD_PRELOAD=$shim \
		BENCH_ALLOCATOR=module-unplaced "$here/large" touch "$mib" || rc=1
	RESMAP_BACKEND=module RESMAP_BACKEND_STRICT=1 LD_PRELOAD=$shim \
		RESMAP_SHIM_OPTIONS=thp=0 BENCH_ALLOCATOR=module-unplaced-thp0 \
		"$here/large" touch "$mib" || rc=1
	RESMAP_BACKEND=module RESMAP_BACKEND_STRICT=1 LD_PRELOAD=$shim \
		BENCH_ALLOCATOR=module-dram "$here/large" touch-dram "$mib" || rc=1
done
exit $rc
