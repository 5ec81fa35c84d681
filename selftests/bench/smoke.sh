#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check runs every benchmark once at a tiny size: they must work.
BENCH_TINY=1 exec sh "$(dirname "$0")/run.sh"
