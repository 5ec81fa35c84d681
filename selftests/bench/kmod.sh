#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's own benchmarks, to compare two builds of resmap.ko in the
# test bed (make vm-run PROG=bench/kmod.sh): batch mapping (one BATCH
# against its system-call peers) and growth on the module backend,
# REPS (5) times each.  Result lines as run.sh's (see bench.h).
set -u
here=$(cd "$(dirname "$0")" && pwd)
shim=$(find / -xdev -name libresmap-shim.so.1 2>/dev/null | head -n 1)
reps=${REPS:-5}
echo "# where: $(uname -r) vm reps=$reps kmod"
rc=0
r=0
while [ $r -lt "$reps" ]; do
	r=$((r + 1))
	BENCH_ALLOCATOR=resmap-module "$here/mapping" 4096 16 || rc=1
	BENCH_ALLOCATOR=resmap-module LD_PRELOAD=$shim RESMAP_BACKEND=module \
		RESMAP_BACKEND_STRICT=1 "$here/growth" 256 64 || rc=1
done
exit $rc
