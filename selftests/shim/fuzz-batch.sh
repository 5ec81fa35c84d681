#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The libFuzzer harness for batch_alloc5 (fuzz_batch.c): first every input
# that once found a bug (fuzz-batch-corpus/), then a short random run;
# RESMAP_FUZZ_RUNS=n and RESMAP_FUZZ_SEED=n for a longer or another one.
# Host only: it checks the allocator, not the kernel.
here=$(dirname "$0")
if [ -c /dev/resmap ]; then
	echo "# SKIP: runs on the build host"
	exit 4
fi
export ASAN_OPTIONS=detect_leaks=0
art=${TMPDIR:-/tmp}/resmap-fuzz-batch-
"$here/fuzz-batch" -artifact_prefix="$art" "$here"/fuzz-batch-corpus/* 2>&1 ||
	exit 1
exec "$here/fuzz-batch" -runs="${RESMAP_FUZZ_RUNS:-30000}" \
	-seed="${RESMAP_FUZZ_SEED:-0}" -max_len=512 -artifact_prefix="$art" \
	-print_final_stats=1 2>&1
