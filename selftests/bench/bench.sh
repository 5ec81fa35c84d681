#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the benchmarks at full size, REPS (5) times, on the host
# (every allocator, the syscall backend; Python's growth,
# libshim/python/bench/growth.py) and in the test bed on 6.1 (the
# module backend too, batch mapping, tiers), then the report:
# Documentation/results.rst and its plots.  Raw lines in $BUILD/bench/.
# About 30 min on a busy 2-CPU host: per repetition, 7 allocators of
# about 30 s each on the host (two thirds of it the real programs) and
# 2 min in the test bed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/bench
mkdir -p "$out"

make -s --no-print-directory -C "$top/selftests" ksft-install \
	DEST="$BUILD/ksft-bench" COLLECTIONS="shim bench" > /dev/null
echo "bench: host ($(nproc) CPUs)"
REPS=${REPS:-5} sh "$BUILD/ksft-bench/bench/run.sh" | tee "$out/host.tsv" |
	grep -v '^#' | cut -f1-3 | uniq -c | tail -n 3
echo "bench: host, Python growth to 1 GiB"
PYTHONPATH=$BUILD/python /usr/bin/python3 "$top/libshim/python/bench/growth.py" \
	--reps "${REPS:-5}" --tsv | tee -a "$out/host.tsv" | cut -f1-3 | uniq -c
echo "bench: test bed, 6.1"
VM_RUN=bench/run.sh VM_TIMEOUT=${VM_TIMEOUT:-3000} \
	bash "$top/selftests/vm/run-vm.sh" 6.1 > "$out/vm-6.1.log" || true
grep -E '^(# where|growth|batch|churn|large|small|mapping|tiers)' "$out/vm-6.1.log" > "$out/vm-6.1.tsv"
grep -c . "$out/vm-6.1.tsv"
sh "$here/report.sh" "$out/host.tsv" "$out/vm-6.1.tsv" "$top/Documentation"
echo "bench: wrote $top/Documentation/results.rst"
