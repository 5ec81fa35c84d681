// SPDX-License-Identifier: GPL-2.0
/*
 * Real programs (issue 15): run one command under the allocator in
 * LD_PRELOAD (inherited) and report its wall time and peak RSS as the
 * "program" benchmark's case CASE.  run.sh gives it CPython's own
 * regression suites, the Python workloads in py/ and the sqlite3 shell.
 * Usage: program CASE COMMAND [ARG...]
 */
#include "bench.h"

int main(int argc, char **argv)
{
	double seconds;
	long maxrss;

	if (argc < 3) {
		fprintf(stderr, "usage: program CASE COMMAND [ARG...]\n");
		return 2;
	}
	if (bench_spawn(argv + 2, &seconds, &maxrss))
		return 1;
	bench_result("program", argv[1], "seconds=%.3f maxrss_mib=%.1f",
		     seconds, maxrss / 1024.0);
	return 0;
}
