// SPDX-License-Identifier: GPL-2.0
/*
 * shim-demo: the N1527 part of "make demo", through libresmap-shim in the
 * test bed.  The four things N1527 gives a program that C's allocator
 * cannot: a block that grows from 4 KiB to 256 MiB at one address with no
 * byte copied, realloc that keeps an alignment, a batch of 100000
 * allocations in one call, and address space reserved without memory.
 * Each is checked as it is shown: exit 1 if one does not hold.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <resmap_alloc.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

static int fail(const char *what)
{
	fprintf(stderr, "shim-demo: %s: %s\n", what, strerror(errno));
	return 1;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static struct resmap_alloc_stats stats(void)
{
	struct resmap_alloc_stats st = { .size = sizeof(st) };

	resmap_alloc_stats(&st);
	return st;
}

/* One block with @reserve bytes of address space behind it. */
static void *alloc_reserved(size_t size, size_t reserve)
{
	struct mallocation5 m = { .size = size, .reserve = reserve };
	struct mallocation5 *mp = &m;
	size_t n = 1;

	if (!batch_alloc5(NULL, &mp, &n))
		return NULL;
	return m.ptr;
}

static int grow_in_place(void)
{
	struct resmap_alloc_stats st0 = stats(), st1;
	char *p = alloc_reserved(4 * KiB, 256 * MiB);
	unsigned int steps = 0;
	size_t size;

	printf("\n1. growth in place (try_realloc into a reservation):\n");
	if (!p)
		return fail("batch_alloc5");
	strcpy(p, "hello");
	for (size = 8 * KiB; size <= 256 * MiB; size *= 2, steps++) {
		if (try_realloc(p, size) != p)
			return fail("try_realloc");
		p[size - 1] = 1;
	}
	st1 = stats();
	printf("   4 KiB -> 256 MiB in %u doublings, always at %p, still \"%s\"\n",
	       steps, (void *)p, p);
	printf("   in-place growths: %llu, moves: %llu, bytes copied: 0\n",
	       (unsigned long long)(st1.in_place_growths - st0.in_place_growths),
	       (unsigned long long)(st1.moves - st0.moves));
	if (st1.moves != st0.moves)
		return fail("a growth moved");
	free(p);
	return 0;
}

static int realloc_aligned(void)
{
	const size_t align = 2 * MiB;
	size_t size, last = 0, moved = 0;
	char *p = aligned_alloc(align, 64), *q;

	printf("\n2. aligned_realloc keeps the alignment:\n");
	if (!p)
		return fail("aligned_alloc");
	strcpy(p, "aligned");
	for (size = 64; size <= 64 * MiB; size *= 8) {
		q = aligned_realloc(p, align, size);
		if (!q)
			return fail("aligned_realloc");
		moved += q != p;
		p = q;
		last = size;
		if ((uintptr_t)p % align)
			return fail("alignment lost");
	}
	printf("   64 B -> %zu MiB, 2 MiB-aligned at every step (moved %zu time(s), each\n"
	       "   to a 2 MiB boundary; C's realloc promises only 16 bytes), \"%s\"\n",
	       last >> 20, moved, p);
	free(p);
	return 0;
}

static int batch(void)
{
	size_t n = 100000, size = 64, i;
	struct timespec t0;
	double one, each;
	void **v, **w;

	printf("\n3. a batch: 100000 blocks of 64 bytes\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	v = batch_alloc1(NULL, NULL, &n, &size, 0, 0, M2_BATCH_IS_ALL_ALLOC);
	one = ms_since(&t0);
	if (!v || n != 100000)
		return fail("batch_alloc1");
	w = calloc(n, sizeof(*w));
	if (!w)
		return fail("calloc");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (!(w[i] = malloc(64)))
			return fail("malloc");
	each = ms_since(&t0);
	printf("   one batch_alloc1 call: %.1f ms; 100000 malloc calls: %.1f ms\n",
	       one, each);
	size = 0;
	batch_alloc1(NULL, v, &n, &size, 0, 0, M2_BATCH_IS_ALL_FREE);
	for (i = 0; i < 100000; i++)
		free(w[i]);
	free(v);
	free(w);
	return 0;
}

static int reservation(void)
{
	struct resmap_block_info bi;
	uint64_t counts[8];
	long resident;
	char *p = alloc_reserved(4 * KiB, 1024 * MiB);

	printf("\n4. a reservation: address space without memory\n");
	if (!p || resmap_block_info(p, &bi))
		return fail("batch_alloc5 / resmap_block_info");
	p[0] = 1;
	resident = resmap_where(p, counts, 8);
	if (resident < 0)
		return fail("resmap_where");
	printf("   1 GiB reserved at %p, %zu KiB committed, %ld page(s) resident\n",
	       (void *)p, bi.usable >> 10, resident);
	if (try_realloc(p, 512 * MiB) != p)
		return fail("try_realloc into the reservation");
	resident = resmap_where(p, counts, 8);
	printf("   grown to 512 MiB where it stands: %ld of its %zu pages resident\n"
	       "   (memory comes when a page is touched; the address never changes)\n",
	       resident, 512 * MiB / 4096);
	free(p);
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("N1527 through libresmap-shim %s (backend: %s)\n",
	       resmap_version(), resmap_backend());
	return grow_in_place() || realloc_aligned() || batch() || reservation();
}
