#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every shim test program with RESMAP_BACKEND=$1; fail if any fails.
here=$(dirname "$0")
rc=0
for t in api family threads errors placement; do
	echo "# backend $1: $t"
	RESMAP_BACKEND=$1 RESMAP_BACKEND_STRICT=1 "$here/$t" || rc=1
done
exit $rc
