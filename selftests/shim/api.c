// SPDX-License-Identifier: GPL-2.0
/*
 * N1527's element rules through batch_alloc1/2/5 and the single calls:
 * no-ops, free by size 0, per-element errnos, *count = successes, usable
 * size and actual reservation written back, M2_ZERO_MEMORY including
 * growth, M2_PREVENT_MOVE (ENOSPC, block untouched), M2_RESERVE_IS_MULT,
 * the M2_BATCH_IS_ALL_* paths, M2_CONSTANT_TIME.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "shim_test.h"

TEST(batch5_element_rules)
{
	struct mallocation5 a = { NULL, 100, 64, 0, 0 };
	struct mallocation5 b = { NULL, 0, 0, 0, 0 };		/* no-op */
	struct mallocation5 c = { NULL, 300000, 0, 0, 0 };
	struct mallocation5 bad = { NULL, 10, 3, 0, 0 };	/* alignment */
	struct mallocation5 *md[5] = { &a, NULL, &b, &c, &bad };
	int errs[5] = { -1, -1, -1, -1, -1 };
	size_t count = 5;

	EXPECT_FALSE(batch_alloc5(errs, md, &count));
	EXPECT_EQ(4, count);
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(0, errs[1]);
	EXPECT_EQ(0, errs[2]);
	EXPECT_EQ(0, errs[3]);
	EXPECT_EQ(EINVAL, errs[4]);
	EXPECT_EQ(NULL, bad.ptr);
	EXPECT_EQ(10, bad.size);	/* a failed element is unchanged */
	ASSERT_NE(NULL, a.ptr);
	EXPECT_EQ(0, (uintptr_t)a.ptr % 64);
	EXPECT_LE(100, a.size);
	EXPECT_EQ(a.size, malloc_usable_size(a.ptr));
	EXPECT_LE(a.size, a.reserve);
	EXPECT_EQ(NULL, b.ptr);
	ASSERT_NE(NULL, c.ptr);
	EXPECT_LE(300000, c.size);
	EXPECT_LE(c.size, c.reserve);
	fill(a.ptr, 100, 1);
	fill(c.ptr, 300000, 2);

	/* Resize both, then free both by size 0. */
	a.size = 5000;
	c.size = 600000;
	count = 2;
	md[0] = &a;
	md[1] = &c;
	EXPECT_TRUE(batch_alloc5(errs, md, &count));
	EXPECT_EQ(2, count);
	EXPECT_TRUE(check(a.ptr, 100, 1));
	EXPECT_TRUE(check(c.ptr, 300000, 2));
	EXPECT_LE(600000, c.size);
	a.size = c.size = 0;
	count = 2;
	EXPECT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_EQ(NULL, a.ptr);
	EXPECT_EQ(NULL, c.ptr);
}

TEST(batch2_shares_alignment_and_flags)
{
	struct mallocation2 m[3] = { { NULL, 24 }, { NULL, 4096 }, { NULL, 0 } };
	struct mallocation2 *md[3] = { &m[0], &m[1], &m[2] };
	size_t count = 3;
	int errs[3];

	EXPECT_TRUE(batch_alloc2(errs, md, &count, 256, 0, M2_ZERO_MEMORY));
	EXPECT_EQ(3, count);
	for (int i = 0; i < 2; i++) {
		ASSERT_NE(NULL, m[i].ptr);
		EXPECT_EQ(0, (uintptr_t)m[i].ptr % 256);
		EXPECT_TRUE(all_zero(m[i].ptr, m[i].size));
	}
	m[0].size = m[1].size = 0;
	count = 3;
	EXPECT_TRUE(batch_alloc2(errs, md, &count, 0, 0, 0));
	EXPECT_EQ(NULL, m[1].ptr);
}

TEST(batch1_allocates_its_array)
{
	size_t count = 10000, size = 48;
	int *errs = calloc(count, sizeof(int));
	void **p = batch_alloc1(errs, NULL, &count, &size, 0, 0,
				M2_BATCH_IS_ALL_ALLOC | M2_ZERO_MEMORY);

	ASSERT_NE(NULL, p);
	EXPECT_EQ(10000, count);
	EXPECT_LE(48, size);
	for (size_t i = 0; i < count; i++) {
		ASSERT_NE(NULL, p[i]);
		ASSERT_TRUE(all_zero(p[i], 48));
		memset(p[i], (int)i, 48);
	}
	for (size_t i = 0; i < count; i++)
		ASSERT_EQ((unsigned char)i, ((unsigned char *)p[i])[47]);
	/* size 0: free every non-NULL pointer. */
	size = 0;
	EXPECT_EQ(p, batch_alloc1(errs, p, &count, &size, 0, 0,
				  M2_BATCH_IS_ALL_FREE | M2_CONSTANT_TIME));
	EXPECT_EQ(10000, count);
	for (size_t i = 0; i < 10000; i++)
		ASSERT_EQ(NULL, p[i]);
	free(p);
	free(errs);
}

TEST(batch1_large_blocks_share_one_reservation)
{
	size_t count = 16, size = 200 << 10;
	void *ptrs[16] = { 0 };
	int errs[16];

	ASSERT_EQ((void **)ptrs, batch_alloc1(errs, ptrs, &count, &size, 0, 300 << 10,
				     M2_BATCH_IS_ALL_ALLOC));
	EXPECT_EQ(16, count);
	EXPECT_LE(200 << 10, size);
	for (int i = 0; i < 16; i++)
		fill(ptrs[i], 200 << 10, i);
	for (int i = 0; i < 16; i++) {
		ASSERT_TRUE(check(ptrs[i], 200 << 10, i));
	}
	/* Within its own stretch: in place; past it: never into the next. */
	EXPECT_EQ(ptrs[0], try_realloc(ptrs[0], 300 << 10));
	EXPECT_EQ(NULL, try_realloc(ptrs[0], 1 << 20));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_TRUE(check(ptrs[1], 200 << 10, 1));
	ptrs[0] = realloc(ptrs[0], 1 << 20);
	ASSERT_NE(NULL, ptrs[0]);
	EXPECT_TRUE(check(ptrs[0], 200 << 10, 0));
	EXPECT_TRUE(check(ptrs[1], 200 << 10, 1));
	size = 0;
	batch_alloc1(NULL, ptrs, &count, &size, 0, 0, 0);
	EXPECT_EQ(NULL, ptrs[15]);
}

/*
 * A large block that has to move keeps the alignment asked for: mremap
 * gives page alignment only, so past that it is copied to an aligned
 * block (fuzz-batch found the misaligned move; its input is in
 * fuzz-batch-corpus, since where the kernel puts the block decides it).
 */
TEST(aligned_realloc_keeps_alignment_when_the_block_moves)
{
	size_t count = 2, size = 200 << 10, align = 16 << 20;	/* > THP size */
	void *ptrs[2] = { 0 }, *p, *page;

	ASSERT_EQ((void **)ptrs, batch_alloc1(NULL, ptrs, &count, &size,
					      align, 0, M2_BATCH_IS_ALL_ALLOC));
	ASSERT_EQ(2, count);
	fill(ptrs[0], 200 << 10, 3);
	/*
	 * Its stretch of the shared reservation is too small: it moves.  A
	 * page mapped first puts the kernel's next free place off any
	 * large alignment.
	 */
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	p = aligned_realloc(ptrs[0], align, 40 << 20);
	ASSERT_NE(NULL, p);
	EXPECT_NE(ptrs[0], p);
	EXPECT_EQ(0, (uintptr_t)p % align);
	EXPECT_TRUE(check(p, 200 << 10, 3));
	free(p);
	free(ptrs[1]);
	munmap(page, 4096);
}

TEST(batch5_all_alloc_carves_by_class)
{
	enum { N = 3000 };
	struct mallocation5 *m = calloc(N, sizeof(*m));
	struct mallocation5 **md = calloc(N, sizeof(*md));
	int *errs = calloc(N, sizeof(int));
	size_t count = N;

	ASSERT_NE(NULL, m);
	for (int i = 0; i < N; i++) {
		/* Mixed sizes, some large, some aligned, all new. */
		m[i] = (struct mallocation5){ NULL, i % 7 == 0 ? 200000 :
					      16 + i % 500, i % 5 ? 0 : 64, 0,
					      M2_BATCH_IS_ALL_ALLOC | M2_ZERO_MEMORY };
		md[i] = &m[i];
	}
	ASSERT_TRUE(batch_alloc5(errs, md, &count));
	EXPECT_EQ(N, count);
	for (int i = 0; i < N; i++) {
		ASSERT_NE(NULL, m[i].ptr);
		ASSERT_LE(i % 7 == 0 ? 200000 : 16 + i % 500, m[i].size);
		ASSERT_EQ(m[i].size, malloc_usable_size(m[i].ptr));
		ASSERT_TRUE(all_zero(m[i].ptr, m[i].size));
		if (i % 5 == 0)
			ASSERT_EQ(0, (uintptr_t)m[i].ptr % 64);
		memset(m[i].ptr, i, m[i].size);
	}
	for (int i = 0; i < N; i++) {
		ASSERT_EQ((unsigned char)i,
			  ((unsigned char *)m[i].ptr)[m[i].size - 1]);
		m[i].size = 0;
		m[i].flags = M2_BATCH_IS_ALL_FREE;
	}
	count = N;
	EXPECT_TRUE(batch_alloc5(errs, md, &count));
	EXPECT_EQ(NULL, m[N - 1].ptr);
	free(m);
	free(md);
	free(errs);
}

TEST(zero_memory_covers_growth)
{
	struct mallocation5 m = { NULL, 64, 0, 0, 0 };
	struct mallocation5 *md[1] = { &m };
	size_t count = 1, old;

	/* Dirty some freed memory first. */
	for (int i = 0; i < 100; i++) {
		void *d = malloc(64);

		memset(d, 0xff, 64);
		free(d);
	}
	m.flags = M2_ZERO_MEMORY;
	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_TRUE(all_zero(m.ptr, m.size));
	memset(m.ptr, 0xee, m.size);
	old = m.size;
	m.size = 1000;		/* small to bigger small: moves */
	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_TRUE(all_zero((char *)m.ptr + old, m.size - old));
	memset(m.ptr, 0xdd, m.size);
	old = m.size;
	m.size = 400000;	/* to large */
	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_TRUE(all_zero((char *)m.ptr + old, m.size - old));
	memset(m.ptr, 0xcc, m.size);
	old = m.size;
	m.size = 800000;	/* large growth, in place or not */
	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_TRUE(all_zero((char *)m.ptr + old, m.size - old));
	EXPECT_EQ(0xcc, ((unsigned char *)m.ptr)[old - 1]);
	free(m.ptr);
}

TEST(prevent_move_is_enospc_and_untouched)
{
	struct mallocation5 m = { NULL, 300 << 10, 0, 0, 0 };
	struct mallocation5 *md[1] = { &m };
	size_t count = 1;
	char *small = malloc(32), *guard, *next = NULL, *q;
	int err;

	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	fill(m.ptr, 300 << 10, 7);
	/*
	 * Block the address space right after the reservation: a mapping
	 * there or, as the block is in a shared region, the next block
	 * (taken from where the last one ended).
	 */
	guard = mmap((char *)m.ptr + m.reserve, 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (guard == MAP_FAILED) {
		ASSERT_EQ(EEXIST, errno);
		guard = NULL;
		next = malloc(200 << 10);
		ASSERT_EQ((char *)m.ptr + m.reserve, next);
	}
	/* Up to the reservation: in place. */
	q = try_realloc(m.ptr, m.reserve);
	EXPECT_EQ(m.ptr, q);
	/* Past it: ENOSPC, and the block as it was. */
	errno = 0;
	EXPECT_EQ(NULL, try_realloc(m.ptr, m.reserve + (1 << 20)));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_TRUE(check(m.ptr, 300 << 10, 7));
	m.size = m.reserve + (1 << 20);
	m.flags = M2_PREVENT_MOVE;
	count = 1;
	EXPECT_FALSE(batch_alloc5(&err, md, &count));
	EXPECT_EQ(ENOSPC, err);
	EXPECT_EQ(0, count);
	/* Without the flag it moves, keeping the contents. */
	q = realloc(m.ptr, m.reserve + (1 << 20));
	ASSERT_NE(NULL, q);
	EXPECT_TRUE(check(q, 300 << 10, 7));
	free(q);
	free(next);
	if (guard)
		munmap(guard, 4096);

	strcpy(small, "stay");
	EXPECT_EQ(NULL, try_realloc(small, 100000));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_STREQ("stay", small);
	EXPECT_EQ(small, try_realloc(small, 20));	/* shrinking fits */
	/* A new alignment needs a move, unless it happens to hold. */
	if ((uintptr_t)small % 4096) {
		EXPECT_EQ(NULL, try_aligned_realloc(small, 4096, 20));
		EXPECT_EQ(ENOSPC, errno);
	} else {
		EXPECT_EQ(small, try_aligned_realloc(small, 4096, 20));
	}
	free(small);
}

TEST(reserve_is_mult_and_growth_in_place)
{
	struct mallocation5 m = { NULL, 200 << 10, 0, 4, M2_RESERVE_IS_MULT };
	struct mallocation5 *md[1] = { &m };
	struct resmap_stats s0, s1;
	size_t count = 1;
	void *first;

	ASSERT_TRUE(batch_alloc5(NULL, md, &count));
	EXPECT_LE(800 << 10, m.reserve);
	first = m.ptr;
	resmap_stats(&s0);
	for (size_t sz = 250 << 10; sz <= m.reserve; sz += 50 << 10) {
		void *q = try_realloc(m.ptr, sz);

		ASSERT_EQ(first, q) TH_LOG("size %zu", sz);
	}
	resmap_stats(&s1);
	EXPECT_LT(s0.in_place_growths, s1.in_place_growths);
	free(m.ptr);
}

TEST(plain_realloc_growth_mostly_in_place)
{
	struct resmap_stats s0, s1;
	char *p = malloc(200 << 10);

	resmap_stats(&s0);
	for (size_t sz = 256 << 10; sz <= (64UL << 20); sz *= 2) {
		p = realloc(p, sz);
		ASSERT_NE(NULL, p);
		p[sz - 1] = 1;
	}
	resmap_stats(&s1);
	TH_LOG("%zu in place, %zu moved", s1.in_place_growths - s0.in_place_growths,
	       s1.moves - s0.moves);
	EXPECT_LT(0, s1.in_place_growths - s0.in_place_growths);
	free(p);
}

/*
 * A block that keeps growing gets reservations sized from its growth
 * history: from 256 KiB to 512 MiB by doubling it moves at most twice
 * (it moved 3 times with reservations of four times the size).
 */
TEST(growth_history_sizes_reservations)
{
	char *p = malloc(256 << 10), *q;
	int moves = 0;

	ASSERT_NE(NULL, p);
	for (size_t sz = 512 << 10; sz <= (512UL << 20); sz *= 2) {
		q = realloc(p, sz);
		ASSERT_NE(NULL, q);
		moves += q != p;
		p = q;
		p[sz - 1] = 1;
	}
	TH_LOG("%d moves", moves);
	EXPECT_LE(moves, 2);
	free(p);
}


/* resmap_version, resmap_owns, resmap_block_info (libshim/src/info.c). */
TEST(owns_and_block_info)
{
	struct resmap_block_info bi;
	char *small = malloc(100), *big = aligned_alloc(65536, 1 << 20);
	int on_stack;

	ASSERT_NE(NULL, small);
	ASSERT_NE(NULL, big);
	EXPECT_NE(NULL, resmap_version());
	EXPECT_NE(0, resmap_version()[0]);
	EXPECT_TRUE(resmap_owns(small));
	EXPECT_TRUE(resmap_owns(big));
	EXPECT_FALSE(resmap_owns(big + 4096));	/* inside, not a start */
	EXPECT_FALSE(resmap_owns(small + 1));
	EXPECT_FALSE(resmap_owns(&on_stack));
	EXPECT_FALSE(resmap_owns(NULL));
	EXPECT_EQ(-1, resmap_block_info(&on_stack, &bi));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, resmap_block_info(small, &bi));
	EXPECT_EQ(0, bi.large);
	EXPECT_LE(100, bi.usable);
	EXPECT_EQ(malloc_usable_size(small), bi.usable);
	EXPECT_EQ(0, bi.placement);
	ASSERT_EQ(0, resmap_block_info(big, &bi));
	EXPECT_EQ(1, bi.large);
	EXPECT_LE(1 << 20, bi.usable);
	EXPECT_LE(bi.usable, bi.reserved);
	EXPECT_LE(65536, bi.alignment);
	EXPECT_EQ(0, (uintptr_t)big % bi.alignment);
	volatile uintptr_t was = (uintptr_t)big;	/* not a use after free */

	free(big);
	EXPECT_FALSE(resmap_owns((void *)was));	/* freed: not a live block */
	free(small);
}

/* resmap_thread_placement: set, returned, validated, this thread only. */
TEST(thread_placement)
{
	struct resmap_block_info bi;
	uintmax_t old = 1;
	void *p;

	ASSERT_EQ(0, resmap_thread_placement(RESMAP_M2_INTERLEAVE, &old));
	EXPECT_EQ(0, old);
	p = malloc(1 << 20);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, resmap_block_info(p, &bi));
	EXPECT_EQ(RESMAP_M2_INTERLEAVE, bi.placement);
	free(p);
	p = malloc(64);		/* small: not placed */
	ASSERT_EQ(0, resmap_block_info(p, &bi));
	EXPECT_EQ(0, bi.placement);
	free(p);
	EXPECT_EQ(-1, resmap_thread_placement(M2_ZERO_MEMORY, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resmap_thread_placement(RESMAP_M2_NODE_ID(63), NULL));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, resmap_thread_placement(0, &old));
	EXPECT_EQ(RESMAP_M2_INTERLEAVE, old);
	p = malloc(1 << 20);
	ASSERT_EQ(0, resmap_block_info(p, &bi));
	EXPECT_EQ(0, bi.placement);
	free(p);
}

TEST_HARNESS_MAIN
