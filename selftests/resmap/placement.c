// SPDX-License-Identifier: GPL-2.0
/*
 * RESMAP_IOC_BATCH: placed commits on the DRAM and pmem nodes, checked
 * page by page through move_pages(2) in query mode, which reads the page
 * tables without asking the module; batches of 64k operations; all or
 * nothing; and every kind of bad input, failing per operation.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define MAX_NODES 8

FIXTURE(place) {
	int fd;
	long pg;
	int nodes[MAX_NODES], nr_nodes, pmem;
};

FIXTURE_SETUP(place)
{
	struct resmap_node n[MAX_NODES];
	struct resmap_nodes a = { .nodes = (unsigned long)n, .count = MAX_NODES };

	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, RESMAP_IOC_NODES, &a));
	self->nr_nodes = a.count;
	self->pmem = -1;
	for (unsigned int i = 0; i < a.count; i++) {
		self->nodes[i] = n[i].node;
		if (n[i].tier == RESMAP_TIER_PMEM)
			self->pmem = n[i].node;
	}
	/* On CPU 0 (node 0 in the test bed), for the tier tests. */
	ASSERT_EQ(0, pin_to_cpu0());
}

FIXTURE_TEARDOWN(place)
{
	close(self->fd);
}

TEST_F(place, strict_on_every_node_now_and_on_fault)
{
	long n = 64, pg = self->pg;

	for (int i = 0; i < self->nr_nodes; i++) {
		int nid = self->nodes[i];
		char *p = reserve(self->fd, 2 * n * pg, 0, NULL);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, n * pg,
				 RESMAP_OP_F_POPULATE, RESMAP_PLACE_STRICT,
				 nid, 0)) TH_LOG("node %d: %s", nid,
						 strerror(errno));
		EXPECT_EQ(n, pages_on(p, n, nid)) TH_LOG("node %d", nid);
		/* Committed now, touched later: still placed. */
		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p + n * pg,
				 n * pg, 0, RESMAP_PLACE_STRICT, nid, 0));
		EXPECT_EQ(0, resident(p + n * pg, n * pg));
		memset(p + n * pg, 1, n * pg);
		EXPECT_EQ(n, pages_on(p + n * pg, n, nid));
		/* Read first (zero page), written after: a copy, placed. */
		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_DECOMMIT, p, n * pg, 0,
				 0, 0, 0));
		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, n * pg, 0,
				 RESMAP_PLACE_STRICT, nid, 0));
		for (long j = 0; j < n; j++)
			ASSERT_EQ(0, ((volatile char *)p)[j * pg]);
		memset(p, 2, n * pg);
		EXPECT_EQ(n, pages_on(p, n, nid));
		EXPECT_EQ(0, munmap(p, 2 * n * pg));
	}
}

TEST_F(place, preferred_interleave_tier)
{
	long n = 96, pg = self->pg;
	char *p = reserve(self->fd, 4 * n * pg, 0, NULL);
	unsigned long long all = 0;
	long per;

	ASSERT_NE(NULL, p);
	ASSERT_LE(0, self->pmem) TH_LOG("no pmem node in this topology");
	for (int i = 0; i < self->nr_nodes; i++)
		all |= 1ULL << self->nodes[i];
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, n * pg,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_PREFERRED,
			 self->pmem, 0));
	EXPECT_EQ(n, pages_on(p, n, self->pmem));

	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p + n * pg, n * pg,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_INTERLEAVE, 0, all));
	per = n / self->nr_nodes;
	for (int i = 0; i < self->nr_nodes; i++) {
		long on = pages_on(p + n * pg, n, self->nodes[i]);

		EXPECT_TRUE(on >= per - 1 && on <= per + 1)
			TH_LOG("node %d has %ld of %ld interleaved pages",
			       self->nodes[i], on, n);
	}

	/* A tier: its node nearest to this CPU (node 0 is DRAM itself). */
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p + 2 * n * pg, n * pg,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
			 RESMAP_TIER_PMEM, 0));
	EXPECT_EQ(n, pages_on(p + 2 * n * pg, n, self->pmem));
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p + 3 * n * pg, n * pg,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
			 RESMAP_TIER_DRAM, 0));
	EXPECT_EQ(n, pages_on(p + 3 * n * pg, n, 0));
	EXPECT_EQ(0, munmap(p, 4 * n * pg));
}

TEST_F(place, growth_keeps_placement)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 64 * pg, 0, NULL);

	ASSERT_NE(NULL, p);
	ASSERT_LE(0, self->pmem);
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, 4 * pg,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_STRICT,
			 self->pmem, 0));
	ASSERT_EQ(0, resize_cmd(self->fd, p, 4 * pg, 64 * pg,
				RESMAP_RESIZE_POPULATE));
	EXPECT_EQ(64, pages_on(p, 64, self->pmem));
	/* POPULATE of committed pages with a new placement places the rest. */
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_DECOMMIT, p + 32 * pg, 32 * pg,
			 0, 0, 0, 0));
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p + 32 * pg, 32 * pg, 0,
			 0, 0, 0));
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_POPULATE, p + 32 * pg, 32 * pg, 0,
			 RESMAP_PLACE_STRICT, 1, 0));
	EXPECT_EQ(32, pages_on(p + 32 * pg, 32, 1));
	EXPECT_EQ(32, pages_on(p, 32, self->pmem));
	EXPECT_EQ(0, munmap(p, 64 * pg));
}

TEST_F(place, strict_full_node_is_enomem_and_changes_nothing)
{
	long free_kib = node_meminfo_kib(0, "MemFree");
	size_t len = ((size_t)free_kib << 10) + (64UL << 20);
	char *p = reserve(self->fd, len, 0, NULL);
	long after;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, op1(self->fd, RESMAP_OP_COMMIT, p, len,
			  RESMAP_OP_F_POPULATE, RESMAP_PLACE_STRICT, 0, 0));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	after = node_meminfo_kib(0, "MemFree");
	EXPECT_GE(free_kib / 50, labs(after - free_kib));
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(place, sixty_four_k_operations_in_one_call)
{
	unsigned int n = RESMAP_BATCH_MAX, done;
	long pg = self->pg;
	struct resmap_op *ops = calloc(n + 1, sizeof(*ops));
	char *p = reserve(self->fd, (n + 1) * pg, 0, NULL);
	struct resmap_counters c0 = resmap_counters(), c1;

	ASSERT_NE(NULL, ops);
	ASSERT_NE(NULL, p);
	for (unsigned int i = 0; i <= n; i++)
		ops[i] = op_of(RESMAP_OP_COMMIT, p + (size_t)i * pg, pg, 0,
			       RESMAP_PLACE_STRICT, self->nodes[i % self->nr_nodes],
			       0);
	EXPECT_EQ(-1, batch(self->fd, ops, n + 1, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, batch(self->fd, ops, n, 0, &done));
	EXPECT_EQ(n, done);
	c1 = resmap_counters();
	EXPECT_EQ(c0.committed_pages + n, c1.committed_pages);
	for (unsigned int i = 0; i < n; i += 4099)
		EXPECT_EQ(0, ops[i].result);
	p[0] = 1;
	p[(size_t)(n - 1) * pg] = 1;
	EXPECT_EQ(1, pages_on(p, 1, self->nodes[0]));
	EXPECT_EQ(1, pages_on(p + (size_t)(n - 1) * pg, 1,
			      self->nodes[(n - 1) % self->nr_nodes]));
	EXPECT_EQ(SIGSEGV, touch_signal(p + (size_t)n * pg, 0));
	for (unsigned int i = 0; i < n; i++)
		ops[i] = op_of(RESMAP_OP_DECOMMIT, p + (size_t)i * pg, pg, 0, 0,
			       0, 0);
	ASSERT_EQ(0, batch(self->fd, ops, n, RESMAP_BATCH_ALL_OR_NOTHING,
			   &done));
	EXPECT_EQ(n, done);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	c1 = resmap_counters();
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
	EXPECT_EQ(0, munmap(p, (size_t)(n + 1) * pg));
	free(ops);
}

TEST_F(place, all_or_nothing)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 48 * pg, 0, NULL);
	char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct resmap_op ops[4];
	unsigned int done;

	ASSERT_NE(NULL, p);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 16 * pg,
			       16 * pg, 0));
	memset(p + 16 * pg, 'B', 16 * pg);
	ops[0] = op_of(RESMAP_OP_COMMIT, p, 16 * pg, RESMAP_OP_F_POPULATE,
		       RESMAP_PLACE_STRICT, self->nodes[0], 0);
	ops[1] = op_of(RESMAP_OP_DECOMMIT, p + 16 * pg, 16 * pg, 0, 0, 0, 0);
	ops[2] = op_of(RESMAP_OP_COMMIT, p + 32 * pg, 16 * pg, 0, 0, 0, 0);
	ops[3] = op_of(RESMAP_OP_COMMIT, anon, pg, 0, 0, 0, 0);
	EXPECT_EQ(-1, batch(self->fd, ops, 4, RESMAP_BATCH_ALL_OR_NOTHING,
			    &done));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, done);
	EXPECT_EQ(-ECANCELED, ops[0].result);
	EXPECT_EQ(-ECANCELED, ops[1].result);
	EXPECT_EQ(-ECANCELED, ops[2].result);
	EXPECT_EQ(-ENXIO, ops[3].result);
	/* Exactly as before: nothing committed, nothing freed. */
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	EXPECT_EQ(0, resident(p, 16 * pg));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 32 * pg, 0));
	for (long i = 16 * pg; i < 32 * pg; i += 512)
		ASSERT_EQ('B', p[i]);

	/* Without the flag each operation stands alone. */
	EXPECT_EQ(-1, batch(self->fd, ops, 4, 0, &done));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(3, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(-ENXIO, ops[3].result);
	EXPECT_EQ(16, pages_on(p, 16, self->nodes[0]));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 16 * pg, 0));
	EXPECT_EQ(0, resident(p + 16 * pg, 16 * pg));
	EXPECT_EQ(0, p[32 * pg]);
	EXPECT_EQ(0, munmap(p, 48 * pg));
	EXPECT_EQ(0, munmap(anon, pg));
}

TEST_F(place, bad_input_fails_per_operation)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 64 * pg, 0, NULL);
	char *s = reserve_flags(self->fd, 4 * pg, 0, NULL,
				RESMAP_RESERVE_FORK_SHARE);
	struct resmap_op ops[16], o;
	struct resmap_batch b;
	unsigned int done;
	int i = 0;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, s);
	/* Each of these fails alone; the one good op still runs. */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p, 4 * pg, 0, 0, 0, 0);	/* ok */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 2 * pg, 4 * pg, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 8 * pg + 1, pg, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 10 * pg, 0, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 60 * pg, 8 * pg, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 12 * pg, pg, 0,
			 RESMAP_PLACE_STRICT, 7, 0);	/* no such node */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 13 * pg, pg, 0,
			 RESMAP_PLACE_STRICT, 5000, 0);	/* out of range */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 14 * pg, pg, 0,
			 RESMAP_PLACE_INTERLEAVE, 0, 0);	/* empty set */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 15 * pg, pg, 0,
			 RESMAP_PLACE_TIER, 9, 0);	/* no such tier */
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 16 * pg, pg, 1 << 5, 0, 0, 0);
	ops[i++] = op_of(9, p + 17 * pg, pg, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_POPULATE, p + 18 * pg, pg, 0, 0, 0, 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, s, pg, 0, RESMAP_PLACE_STRICT,
			 self->nodes[0], 0);
	ops[i++] = op_of(RESMAP_OP_COMMIT, p + 20 * pg, pg, 0, 0, 0,
			 1ULL << 40);	/* nodes without interleave */
	o = op_of(RESMAP_OP_DECOMMIT, p + 21 * pg, pg, 0, 0, 0, 0);
	o.reserved[1] = 1;
	ops[i++] = o;
	EXPECT_EQ(-1, batch(self->fd, ops, i, 0, &done));
	EXPECT_EQ(EINVAL, errno);	/* the first failure's */
	EXPECT_EQ(1, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EINVAL, ops[1].result);	/* overlaps ops[0] */
	EXPECT_EQ(-EINVAL, ops[2].result);
	EXPECT_EQ(-EINVAL, ops[3].result);
	EXPECT_EQ(-ENXIO, ops[4].result);
	EXPECT_EQ(-ENODEV, ops[5].result);
	EXPECT_EQ(-EINVAL, ops[6].result);
	EXPECT_EQ(-EINVAL, ops[7].result);
	EXPECT_EQ(-EINVAL, ops[8].result);
	EXPECT_EQ(-EINVAL, ops[9].result);
	EXPECT_EQ(-EINVAL, ops[10].result);
	EXPECT_EQ(-EFAULT, ops[11].result);
	EXPECT_EQ(-EOPNOTSUPP, ops[12].result);
	EXPECT_EQ(-EINVAL, ops[13].result);
	EXPECT_EQ(-EINVAL, ops[14].result);
	/* Nothing but ops[0] happened. */
	EXPECT_EQ(SIGSEGV, touch_signal(p + 4 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 12 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(s, 0));
	p[0] = 1;

	/* Batch-level: empty, oversized, bad pointers, flags, reserved. */
	EXPECT_EQ(-1, batch(self->fd, ops, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, batch(self->fd, ops, RESMAP_BATCH_MAX + 1, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, batch(self->fd, (void *)8, 4, 0, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, batch(self->fd, ops, 1, 1 << 3, NULL));
	EXPECT_EQ(EINVAL, errno);
	memset(&b, 0, sizeof(b));
	b.ops = (unsigned long)ops;
	b.count = 1;
	b.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, munmap(p, 64 * pg));
	EXPECT_EQ(0, munmap(s, 4 * pg));
}

/*
 * Found by the fuzzer: a vector whose results cannot be written stops at
 * the first address that faults.  It used to go on writing the results
 * of later operations, into whatever memory follows a read-only page.
 */
TEST_F(place, results_stop_at_the_first_fault)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 4 * pg, 0, NULL);
	char *v = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct resmap_op *ops, *tail;
	unsigned int done;

	ASSERT_NE(NULL, p);
	ASSERT_NE(MAP_FAILED, v);
	/* Operation 0 ends the first page, which becomes read-only; 1 and 2
	 * start the second, writable page. */
	ops = (struct resmap_op *)(v + pg) - 1;
	tail = ops + 1;
	ops[0] = op_of(RESMAP_OP_COMMIT, p, pg, 0, 0, 0, 0);
	tail[0] = op_of(RESMAP_OP_COMMIT, p + pg, pg, 0, 0, 0, 0);
	tail[1] = op_of(RESMAP_OP_COMMIT, p + 2 * pg, pg, 0, 0, 0, 0);
	tail[0].result = tail[1].result = 0x5a5a;
	ASSERT_EQ(0, mprotect(v, pg, PROT_READ));

	EXPECT_EQ(-1, batch(self->fd, ops, 3, 0, &done));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0xdead, done);	/* not written either */
	EXPECT_EQ(0x5a5a, tail[0].result);
	EXPECT_EQ(0x5a5a, tail[1].result);
	EXPECT_EQ(0, tail[0].moved);
	EXPECT_EQ(0, munmap(v, 2 * pg));
	EXPECT_EQ(0, munmap(p, 4 * pg));
}

TEST_HARNESS_MAIN
