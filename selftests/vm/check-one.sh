#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh on one kernel, with the TAP it prints counted as make check
# counts it: the last line is "N passed, N failed"; exit 1 on a failure.
# Usage: check-one.sh KVER   (environment as for run-vm.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
log=$BUILD/check-$1.log
mkdir -p "$BUILD"

start=$(date +%s)
bash "$here/run-vm.sh" "$1" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || echo "# not ok - run-vm.sh $1 exited $rc" | tee -a "$log"
read -r p f s < <(awk -f "$here/tap-count.awk" "$log")
echo "kernel $1: $((($(date +%s) - start) / 60)) min, skipped: $s"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
