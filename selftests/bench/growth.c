// SPDX-License-Identifier: GPL-2.0
/*
 * P1, growth: realloc doubling from 4 KiB to MAX, and growth in 4 KiB
 * steps to STEPMAX, touching the new last page each time (as a growing
 * buffer would).  Reports the time, how many times the block moved and
 * the bytes a copying move would have copied (each move counts the old
 * size), and the peak RSS.  "floor" is the physical floor for the same
 * final size: one mmap, MADV_POPULATE_WRITE, or touching each page.
 * Usage: growth MAX_MIB STEPMAX_MIB [floor]
 */
#include <stdint.h>
#include <sys/mman.h>

#include "bench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static void grow(const char *cas, size_t from, size_t to, size_t step,
		 int doubling)
{
	size_t size = from, moves = 0, copied = 0;
	double t0 = bench_now();
	char *p = malloc(size), *q;

	p[0] = 1;
	while (size < to) {
		size_t next = doubling ? size * 2 : size + step;

		q = realloc(p, next);
		if (!q) {
			perror("realloc");
			exit(1);
		}
		if (q != p) {
			moves++;
			copied += size;
		}
		p = q;
		p[next - 1] = 1;
		size = next;
	}
	free(p);
	bench_result("growth", cas, "seconds=%.6f moves=%zu copied_mib=%.1f maxrss_mib=%.1f",
		     bench_now() - t0, moves, copied / 1048576.0,
		     bench_maxrss_kib() / 1024.0);
}

static void floor_cost(const char *cas, size_t size, int touch)
{
	double t0 = bench_now();
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if (touch) {
		for (size_t i = 0; i < size; i += 4096)
			p[i] = 1;
	} else if (madvise(p, size, MADV_POPULATE_WRITE)) {
		perror("MADV_POPULATE_WRITE");
		exit(1);
	}
	munmap(p, size);
	bench_result("growth", cas, "seconds=%.6f moves=0 copied_mib=0 maxrss_mib=%.1f",
		     bench_now() - t0, bench_maxrss_kib() / 1024.0);
}

int main(int argc, char **argv)
{
	size_t max = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	size_t stepmax = (argc > 2 ? strtoul(argv[2], NULL, 0) : 256) << 20;
	char cas[64];

	if (argc > 3 && !strcmp(argv[3], "floor")) {
		/* The floor of each case's final size. */
		snprintf(cas, sizeof(cas), "floor-populate-%zuM", max >> 20);
		floor_cost(cas, max, 0);
		snprintf(cas, sizeof(cas), "floor-touch-%zuM", max >> 20);
		floor_cost(cas, max, 1);
		snprintf(cas, sizeof(cas), "floor-populate-%zuM", stepmax >> 20);
		floor_cost(cas, stepmax, 0);
		snprintf(cas, sizeof(cas), "floor-touch-%zuM", stepmax >> 20);
		floor_cost(cas, stepmax, 1);
		return 0;
	}
	snprintf(cas, sizeof(cas), "double-%zuM", max >> 20);
	grow(cas, 4096, max, 0, 1);
	snprintf(cas, sizeof(cas), "step4k-%zuM", stepmax >> 20);
	grow(cas, 4096, stepmax, 4096, 0);
	return 0;
}
