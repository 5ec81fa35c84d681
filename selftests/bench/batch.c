// SPDX-License-Identifier: GPL-2.0
/*
 * P2, batch allocation: COUNT blocks of SIZE bytes allocated and freed,
 * as a malloc/free loop (every allocator), with N1527's batch_alloc1 and
 * M2_BATCH_IS_ALL_ALLOC (resmap), and with jemalloc's
 * experimental.batch_alloc mallctl (jemalloc).  Each block is written
 * once.  Usage: batch COUNT SIZE
 */
#include <stdint.h>

#include "bench.h"
#include "resmap_alloc.h"

typedef void **(*batch_alloc1_fn)(int *, void **, size_t *, size_t *,
				  size_t, size_t, uintmax_t);
typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);


static void report(const char *how, size_t size, size_t count, double t)
{
	char cas[64];

	snprintf(cas, sizeof(cas), "%s-%zuB", how, size);
	bench_result("batch", cas, "seconds=%.6f mops=%.2f", t,
		     count / t / 1e6);
}

int main(int argc, char **argv)
{
	size_t count = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 16;
	void **p = calloc(count, sizeof(void *));
	batch_alloc1_fn b1 = (batch_alloc1_fn)bench_sym("batch_alloc1");
	mallctl_fn mallctl = (mallctl_fn)bench_sym("mallctl");
	double t0;

	if (!p)
		return 1;
	t0 = bench_now();
	for (size_t i = 0; i < count; i++) {
		p[i] = malloc(size);
		*(char *)p[i] = 1;
	}
	for (size_t i = 0; i < count; i++)
		free(p[i]);
	report("loop", size, count, bench_now() - t0);

	if (b1) {
		size_t n = count, sz = size, zero = 0;

		memset(p, 0, count * sizeof(void *));
		t0 = bench_now();
		b1(NULL, p, &n, &sz, 0, 0, M2_BATCH_IS_ALL_ALLOC);
		for (size_t i = 0; i < n; i++)
			*(char *)p[i] = 1;
		n = count;
		b1(NULL, p, &n, &zero, 0, 0, M2_BATCH_IS_ALL_FREE);
		report("batch_alloc1", size, count, bench_now() - t0);
	}
	if (mallctl && !getenv("RESMAP_BACKEND")) {
		/* jemalloc's experimental batch: { void **ptrs; size_t num, size; int flags; } */
		struct { void **ptrs; size_t num, size; int flags; } in;
		size_t got = 0, len = sizeof(got);

		in.ptrs = p;
		in.num = count;
		in.size = size;
		in.flags = 0;
		t0 = bench_now();
		if (!mallctl("experimental.batch_alloc", &got, &len, &in,
			     sizeof(in))) {
			for (size_t i = 0; i < got; i++)
				*(char *)p[i] = 1;
			for (size_t i = 0; i < got; i++)
				free(p[i]);
			report("je_batch_alloc", size, count, bench_now() - t0);
		}
	}
	free(p);
	return 0;
}
