#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every shim test program with RESMAP_BACKEND=$1; fail if any fails.
here=$(dirname "$0")
rc=0
tests="api family threads remote errors placement faults dlopen limits reuse huge"
# Module commands and counters: only where the module serves the shim.
[ "$1" = module ] && tests="$tests stress"
for t in $tests; do
	echo "# backend $1: $t"
	RESMAP_BACKEND=$1 RESMAP_BACKEND_STRICT=1 "$here/$t" || rc=1
done
exit $rc
