#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict on kmod/ and uapi/, then the module built
# with W=1 and sparse (C=2 checks every file) against every supported
# kernel.  Any warning fails.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
. "$here/kernels.sh"
checkpatch=$CACHE/ksrc/scripts/checkpatch.pl
[ -f "$checkpatch" ] || { echo "checkpatch.pl missing: run 'make deps'"; exit 1; }
mkdir -p "$BUILD"
fail=0

files=$(cd "$top" && ls kmod/*.[ch] uapi/linux/*.h)
echo "lint: checkpatch --strict $(echo $files)"
(cd "$top" && perl "$checkpatch" --strict --no-tree --quiet --show-types -f \
	$files) || fail=1

for k in $KVERS; do
	log=$BUILD/lint-$k.log
	echo "lint: W=1 C=2 against $k"
	make -C "$top" --no-print-directory modules KVER="$k" \
		KBUILD_ARGS="W=1 C=2" > "$log" 2>&1 || { cat "$log"; fail=1; continue; }
	if grep -E 'warning|error' "$log" | grep -v 'Skipping BTF generation'; then
		fail=1
	fi
done

if [ $fail -eq 0 ]; then
	echo "# ok - lint: checkpatch, sparse and W=1 clean"
else
	echo "# not ok - lint: checkpatch, sparse and W=1 clean"
fi
exit $fail
