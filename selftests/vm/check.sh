#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: build everything, lint the kernel code (checkpatch, sparse,
# W=1), run the host tests, then the VM tests on
# every kernel the project supports; print each part's TAP, a summary per
# part, the skips, and a final line "N passed, N failed".  Exit 1 on any
# failure.  (make deps has already run.)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
. "$here/kernels.sh"
mkdir -p "$BUILD"

total_p=0 total_f=0 total_s=0
summary=()

# tally NAME LOGFILE: add a part's counts to the totals.
tally() {
	local p f s
	read -r p f s < <(awk -f "$here/tap-count.awk" "$2")
	summary+=("$(printf '%-10s %d passed, %d failed, %d skipped' "$1:" "$p" "$f" "$s")")
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
}

# part NAME COMMAND...: run one part; a part that cannot run is a failure.
part() {
	local name=$1 log=$BUILD/check-$1.log rc=0
	shift
	echo "=== $name"
	"$@" > "$log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || echo "# not ok - $name: '$*' exited $rc" >> "$log"
	cat "$log"
	tally "$name" "$log"
}

build_all() {
	make -C "$top" --no-print-directory selftests &&
	for k in $KVERS; do
		make -C "$top" --no-print-directory modules KVER="$k" || return 1
	done
}

part build build_all
part lint bash "$here/lint.sh"
part host make -C "$top" --no-print-directory host-check
for k in $KVERS; do
	part "vm-$k" bash "$here/run-vm.sh" "$k"
done
# The CPU-less DRAM topology: one short boot per kernel, the tier tests.
for k in $KVERS; do
	part "vm-$k-cpuless-dram" env TOPOLOGY=cpuless-dram \
		VM_RUN=ksft:resmap:tiers VM_TIMEOUT=300 bash "$here/run-vm.sh" "$k"
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
# Skips are reported above; the last line is exactly "N passed, N failed".
echo "skipped: $total_s (not counted as passed)"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
