// SPDX-License-Identifier: GPL-2.0
/*
 * Freed memory is reused before anything new is faulted in or mapped,
 * and given back later: empty spans and large blocks are kept for
 * decay_ms and a bounded number of bytes (RESMAP_SHIM_OPTIONS).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SHIM_CHILDREN
#include "kselftest_harness.h"
#include "shim_test.h"

#define N	64
#define SIZE	4000	/* 16 to a 64 KiB span */

static size_t batch(void **ptrs, size_t size, uintmax_t flags)
{
	size_t n = N;

	batch_alloc1(NULL, ptrs, &n, &size, 0, 0, flags);
	return n;
}

/*
 * Spans emptied and refilled at once are not faulted in again (a
 * decommitted span was once reused ahead of the committed spare).
 */
TEST(emptied_spans_are_reused_with_their_pages)
{
	void *ptrs[N] = { 0 };
	long f0, f1;

	ASSERT_EQ(N, batch(ptrs, SIZE, M2_BATCH_IS_ALL_ALLOC));
	for (int i = 0; i < N; i++)
		memset(ptrs[i], i, SIZE);
	batch(ptrs, 0, M2_BATCH_IS_ALL_FREE);
	f0 = minor_faults();
	ASSERT_EQ(N, batch(ptrs, SIZE, M2_BATCH_IS_ALL_ALLOC));
	for (int i = 0; i < N; i++)
		memset(ptrs[i], i, SIZE);
	f1 = minor_faults();
	EXPECT_LT(f1 - f0, 24) TH_LOG("%ld page faults", f1 - f0);	/* not 48 */
	batch(ptrs, 0, M2_BATCH_IS_ALL_FREE);
}

/* A freed large block is reused, pages and all (it was once unmapped). */
TEST(freed_large_blocks_are_reused_with_their_pages)
{
	long f0 = 0;
	char *volatile p;	/* or the compiler drops malloc and free */

	for (int round = 0; round < 9; round++) {
		if (round == 1)
			f0 = minor_faults();
		p = malloc(1 << 20);
		ASSERT_NE(NULL, p);
		memset(p, round, 1 << 20);
		free(p);
	}
	/* 2048 pages if each round faulted its block in; a few for ASan. */
	EXPECT_LT(minor_faults() - f0, 256) TH_LOG("%ld page faults in 8 rounds",
						  minor_faults() - f0);
	/* calloc's reused block is zero. */
	p = calloc(1, 1 << 20);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(all_zero(p, 1 << 20));
	free(p);
}

/*
 * A buffer that grows again after being dropped (a Python bytearray
 * built and dropped in a loop) reuses the cached block's pages: growth
 * that fits in the block is not taken for shrinking.
 */
TEST(regrowth_into_a_reused_block_keeps_its_pages)
{
	char *volatile p = malloc(16 << 20);
	long f0;

	ASSERT_NE(NULL, p);
	memset(p, 1, 16 << 20);
	free(p);
	f0 = minor_faults();
	p = malloc(200 << 10);
	ASSERT_NE(NULL, p);
	for (size_t size = 256 << 10; size <= (16 << 20); size += 64 << 10) {
		p = realloc(p, size);
		ASSERT_NE(NULL, p);
		memset(p + size - (64 << 10), 2, 64 << 10);
	}
	EXPECT_LT(minor_faults() - f0, 128) TH_LOG("%ld page faults",
						  minor_faults() - f0);
	free(p);
}

/* Cached large blocks: bounded in bytes, and released once decayed. */
static int large_cache_bounds(void)
{
	struct resmap_alloc_stats st;
	void *p[10], *volatile q;

	for (int i = 0; i < 10; i++)
		if (!(p[i] = malloc(1 << 20)))
			return 2;
	for (int i = 0; i < 10; i++)
		free(p[i]);
	st = alloc_stats();
	printf("# %llu blocks, %llu bytes cached\n",
	       (unsigned long long)st.large_cached_blocks,
	       (unsigned long long)st.large_cached_bytes);
	if (st.large_cached_bytes > (4 << 20) || !st.large_cached_blocks)
		return 3;
	usleep(50 * 1000);	/* decay_ms=20 */
	/* Small-object calls through the central lists release them too. */
	for (int i = 0; i < 4; i++) {
		void *ptrs[N] = { 0 };

		batch(ptrs, 64, M2_BATCH_IS_ALL_ALLOC);
		batch(ptrs, 0, M2_BATCH_IS_ALL_FREE);
	}
	st = alloc_stats();
	if (st.large_cached_blocks)
		return 4;
	q = malloc(300 << 10);
	free(q);
	usleep(50 * 1000);
	q = malloc(300 << 10);	/* a large call evicts the rest */
	free(q);
	st = alloc_stats();
	return st.large_cached_blocks <= 1 ? 0 : 5;
}

TEST(large_cache_is_bounded_and_decays)
{
	EXPECT_EQ(0, shim_child("large-cache",
		  "RESMAP_SHIM_OPTIONS=large_cache_max=4M,decay_ms=20", 0));
}

static int child_main(const char *name)
{
	struct resmap_stats s0, s1, s2;
	void *ptrs[N * 16] = { 0 }, *one[N] = { 0 };
	size_t n = N * 16, size = SIZE, zero = 0;

	if (!strcmp(name, "large-cache"))
		return large_cache_bounds();
	if (strcmp(name, "constant-time"))
		return 99;
	/* 64 spans, emptied by constant-time frees: kept, at first. */
	batch_alloc1(NULL, ptrs, &n, &size, 0, 0, M2_BATCH_IS_ALL_ALLOC);
	if (n != N * 16)
		return 2;
	for (size_t i = 0; i < n; i++)
		memset(ptrs[i], 1, SIZE);
	resmap_stats(&s0);
	batch_alloc1(NULL, ptrs, &n, &zero, 0, 0,
		     M2_BATCH_IS_ALL_FREE | M2_CONSTANT_TIME);
	resmap_stats(&s1);
	usleep(20 * 1000);
	/* A later ordinary free trims them (decay_ms=0). */
	batch(one, 64, M2_BATCH_IS_ALL_ALLOC);
	batch(one, 0, M2_BATCH_IS_ALL_FREE);
	resmap_stats(&s2);
	printf("# committed spans: %zu, after constant-time frees %zu, later %zu\n",
	       s0.committed_spans, s1.committed_spans, s2.committed_spans);
	return s2.committed_spans + 48 <= s0.committed_spans ? 0 : 1;
}

/* Spans emptied by M2_CONSTANT_TIME frees are trimmed by later calls. */
TEST(constant_time_frees_are_trimmed_later)
{
	EXPECT_EQ(0, shim_child("constant-time",
				"RESMAP_SHIM_OPTIONS=decay_ms=0", 0));
}

TEST_HARNESS_MAIN
