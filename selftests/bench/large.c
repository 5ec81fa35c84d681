// SPDX-License-Identifier: GPL-2.0
/*
 * Large blocks (issue 15):
 *   touch MAX_MIB   realloc doubling from 4 KiB to MAX, every new page
 *                   touched; with the two populate floors for MAX: one
 *                   mmap touched in 4 KiB pages, and in 2 MiB pages
 *                   (MADV_HUGEPAGE, MADV_POPULATE_WRITE).
 *   touch-dram MAX_MIB  the same, the block placed on DRAM (the shim's
 *                   resmap_thread_placement, looked up with dlsym): on
 *                   the module backend, the module's memory, 4 KiB pages.
 *   churn OPS       64 live blocks of 256-508 KiB; each op frees one and
 *                   allocates another of a random size, touching each of
 *                   its pages: microseconds per op.
 * Usage: large touch|touch-dram MAX_MIB | large churn OPS
 */
#include <dlfcn.h>
#include <stdint.h>
#include <sys/mman.h>

#include "bench.h"
#include "resmap_alloc.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static void touch(char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i += 4096)
		p[i] = 1;
}

static void grow_touch(size_t max, const char *name)
{
	size_t size = 4096, moves = 0;
	double t0 = bench_now();
	char *p = malloc(size), *q;
	char cas[64];

	touch(p, 0, size);
	while (size < max) {
		q = realloc(p, size * 2);
		if (!q) {
			perror("realloc");
			exit(1);
		}
		moves += q != p;
		p = q;
		touch(p, size, size * 2);
		size *= 2;
	}
	free(p);
	snprintf(cas, sizeof(cas), "%s-%zuM", name, max >> 20);
	bench_result("large", cas, "seconds=%.6f moves=%zu maxrss_mib=%.1f",
		     bench_now() - t0, moves, bench_maxrss_kib() / 1024.0);
}

static void floor_cost(size_t size, int huge)
{
	double t0 = bench_now();
	char *p = mmap(NULL, size + (2 << 20), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char cas[64];

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	p = (char *)(((uintptr_t)p + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	if (huge) {
		madvise(p, size, MADV_HUGEPAGE);
		madvise(p, size, MADV_POPULATE_WRITE);
	} else {
		madvise(p, size, MADV_NOHUGEPAGE);
		touch(p, 0, size);
	}
	snprintf(cas, sizeof(cas), "floor-%s-%zuM", huge ? "2M" : "4K",
		 size >> 20);
	bench_result("large", cas, "seconds=%.6f moves=0 maxrss_mib=%.1f",
		     bench_now() - t0, bench_maxrss_kib() / 1024.0);
}

static void churn(size_t ops)
{
	void *live[64];
	unsigned int r = 1;
	size_t size;
	double t0;

	for (int i = 0; i < 64; i++) {
		live[i] = malloc(256 << 10);
		touch(live[i], 0, 256 << 10);
	}
	t0 = bench_now();
	for (size_t i = 0; i < ops; i++) {
		r = r * 1103515245 + 12345;
		free(live[r % 64]);
		size = (256 << 10) + ((r >> 8) % 64) * 4096;
		live[r % 64] = malloc(size);
		if (!live[r % 64]) {
			perror("malloc");
			exit(1);
		}
		touch(live[r % 64], 0, size);
	}
	bench_result("large", "churn-64x256-508K", "us_per_op=%.3f maxrss_mib=%.1f",
		     (bench_now() - t0) * 1e6 / ops, bench_maxrss_kib() / 1024.0);
	for (int i = 0; i < 64; i++)
		free(live[i]);
}

int main(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;

	if (argc > 2 && !strcmp(argv[1], "touch")) {
		grow_touch(n << 20, "touch");
	} else if (argc > 2 && !strcmp(argv[1], "touch-dram")) {
		int (*place)(uintmax_t, uintmax_t *) =
			(int (*)(uintmax_t, uintmax_t *))dlsym(RTLD_DEFAULT,
						"resmap_thread_placement");

		if (!place || place(RESMAP_M2_DRAM, NULL)) {
			fprintf(stderr, "large: no resmap_thread_placement\n");
			return 2;
		}
		grow_touch(n << 20, "touch-dram");
	} else if (argc > 3 && !strcmp(argv[1], "floor")) {
		floor_cost(n << 20, !strcmp(argv[3], "2M"));
	} else if (argc > 2 && !strcmp(argv[1], "churn")) {
		churn(n);
	} else {
		fprintf(stderr, "usage: large touch|touch-dram MAX_MIB | floor MAX_MIB 4K|2M | churn OPS\n");
		return 2;
	}
	return 0;
}
