// SPDX-License-Identifier: GPL-2.0
/*
 * The allocator under kernel fault injection (../resmap/fault_inject.h):
 * each call that can reach the kernel (large blocks, growth, placement,
 * batches, tier moves) is made with its 1st, 2nd, ... kernel allocation
 * failing, until it makes no more.  Every call either works or returns
 * NULL (false, -1) with errno ENOMEM, and every block that existed
 * before, the one being resized included, keeps its contents.  Skips
 * on kernels without fault injection (make check-debug has it).
 */
#include <errno.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "shim_test.h"
#include "../resmap/fault_inject.h"

#define KEEP		6	/* blocks that must survive everything */
#define MAX_SWEEP	5000

static const size_t keep_size[KEEP] = {
	24, 3000, 100000, 1 << 20, 5 << 20, 200,
};

struct call {
	const char *name;
	/* Make the call on *p (may be NULL): 0 or -1 with errno. */
	int (*run)(void **p);
	size_t setup_size;	/* *p starts as a block of this size, or 0 */
};

static int run_malloc(void **p)
{
	*p = malloc(3 << 20);
	return *p ? 0 : -1;
}

static int run_calloc(void **p)
{
	*p = calloc(1, 1 << 20);
	return *p && all_zero(*p, 1 << 20) ? 0 : *p ? (errno = EPROTO, -1) : -1;
}

static int run_aligned(void **p)
{
	*p = aligned_alloc(1 << 21, 1 << 21);
	return *p ? 0 : -1;
}

/* Growth: in place, past the reservation's end, or moved; never lost. */
static int run_realloc(void **p)
{
	void *q = realloc(*p, 24 << 20);

	if (!q)
		return -1;
	*p = q;
	return 0;
}

static int run_aligned_realloc(void **p)
{
	void *q = aligned_realloc(*p, 1 << 16, 6 << 20);

	if (!q)
		return -1;
	*p = q;
	return 0;
}

static int run_batch(void **p)
{
	struct mallocation5 m[3] = {
		{ NULL, 256 << 10, 0, 0, RESMAP_M2_PMEM | RESMAP_M2_POPULATE },
		{ NULL, 300000, 4096, 1 << 20, M2_ZERO_MEMORY },
		{ NULL, 100, 0, 0, 0 },
	};
	struct mallocation5 *md[3] = { &m[0], &m[1], &m[2] };
	size_t count = 3;
	int errs[3];

	if (batch_alloc5(errs, md, &count)) {
		free(m[1].ptr);
		free(m[2].ptr);
		*p = m[0].ptr;
		return 0;
	}
	/* Whatever was allocated is freed; the failure must be ENOMEM. */
	for (int i = 0; i < 3; i++)
		free(m[i].ptr);
	for (size_t i = 0; i < count && i < 3; i++)
		if (errs[i] && errs[i] != ENOMEM)
			return errno = errs[i], -1;
	return errno = ENOMEM, -1;
}

static int run_move(void **p)
{
	return resmap_move(*p, RESMAP_M2_PMEM) < 0 ? -1 : 0;
}

static const struct call calls[] = {
	{ "malloc 3 MiB", run_malloc, 0 },
	{ "calloc 1 MiB", run_calloc, 0 },
	{ "aligned_alloc 2 MiB", run_aligned, 0 },
	{ "realloc 2 MiB to 24 MiB", run_realloc, 2 << 20 },
	{ "aligned_realloc to 6 MiB", run_aligned_realloc, 200000 },
	{ "batch_alloc5, placed", run_batch, 0 },
	{ "resmap_move to pmem", run_move, 512 << 10 },
};

FIXTURE(sweep) {
	int unused;
};

FIXTURE_SETUP(sweep)
{
}

FIXTURE_TEARDOWN(sweep)
{
}

/* The harness's limit only catches a hang: a sweep makes many calls. */
TEST_F_TIMEOUT(sweep, every_kernel_allocation_fails_in_turn, 1200)
{
	void *keep[KEEP];
	long injected = 0, enomem = 0;
	int nth;

	if (fault_inject_setup())
		SKIP(return, "no fault injection in this kernel: make check-debug runs this");
	nth = fail_nth_open();
	ASSERT_LE(0, nth);
	for (int i = 0; i < KEEP; i++) {
		keep[i] = malloc(keep_size[i]);
		ASSERT_NE(NULL, keep[i]);
		fill(keep[i], keep_size[i], i + 1);
	}

	for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
		const struct call *call = &calls[c];
		long failed = 0, hits = 0;
		unsigned int n;

		for (n = 1; n <= MAX_SWEEP; n++) {
			void *p = NULL;
			size_t have = call->setup_size;
			bool hit;
			int ret, err;

			if (have) {
				p = malloc(have);
				ASSERT_NE(NULL, p);
				fill(p, have, 99);
			}
			fail_nth_arm(nth, n);
			ret = call->run(&p);
			err = errno;
			hit = fail_nth_disarm(nth);

			if (ret) {
				failed++;
				ASSERT_TRUE(hit) TH_LOG("%s failed without injection: %s",
							call->name, strerror(err));
				ASSERT_EQ(ENOMEM, err) TH_LOG("%s, allocation %u: %s",
							      call->name, n,
							      strerror(err));
			}
			/* The block being resized is intact either way. */
			if (have && p)
				ASSERT_TRUE(check(p, have, 99))
					TH_LOG("%s, allocation %u: block lost its contents",
					       call->name, n);
			if (p) {	/* and whatever came back is usable */
				size_t use = malloc_usable_size(p);

				ASSERT_LE(have, use);
				fill(p, use, 7);
				ASSERT_TRUE(check(p, use, 7));
			}
			free(p);
			for (int i = 0; i < KEEP; i++) {
				ASSERT_TRUE(check(keep[i], keep_size[i], i + 1))
					TH_LOG("%s, allocation %u: block %d changed",
					       call->name, n, i);
			}
			hits += hit;
			if (!hit)
				break;
		}
		ASSERT_GE(MAX_SWEEP, n);
		TH_LOG("%-26s %4ld kernel allocations failed: %ld calls gave ENOMEM",
		       call->name, hits, failed);
		injected += hits;
		enomem += failed;
	}
	TH_LOG("%ld faults injected, %ld calls failed with ENOMEM, every block intact",
	       injected, enomem);
	EXPECT_LT(20, injected);
	EXPECT_LT(0, enomem);
	for (int i = 0; i < KEEP; i++)
		free(keep[i]);
	close(nth);
}

TEST_HARNESS_MAIN
