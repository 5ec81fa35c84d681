// SPDX-License-Identifier: GPL-2.0
/*
 * RESMAP_OP_MOVE and RESMAP_IOC_RESIDENCY: committed pages move between
 * DRAM and pmem at the same address with the same contents, while other
 * threads read and write them; the residency query agrees with
 * move_pages(2); bad moves fail with nothing moved.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define NPAGES 256

static int residency(int fd, void *addr, size_t len, __u64 *counts,
		     unsigned int nr, __u64 *resident)
{
	struct resmap_residency r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)addr;
	r.len = len;
	r.counts = (unsigned long)counts;
	r.nr_counts = nr;
	ret = ioctl(fd, RESMAP_IOC_RESIDENCY, &r);
	if (resident)
		*resident = r.resident;
	return ret;
}

/* MOVE as a batch of one; the pages moved in *moved. */
static int move(int fd, void *addr, size_t len, unsigned int place,
		unsigned int node, unsigned int *moved)
{
	struct resmap_op o = op_of(RESMAP_OP_MOVE, addr, len, 0, place, node,
				   0);
	int ret = batch(fd, &o, 1, 0, NULL);

	if (moved)
		*moved = o.moved;
	return ret;
}

/* Page i holds byte (i * 7 + 1) everywhere but its last 8 bytes. */
static int pattern_ok(const char *p, long pg, long i)
{
	for (long j = 0; j < pg - 8; j += 64)
		if (p[i * pg + j] != (char)(i * 7 + 1))
			return 0;
	return 1;
}

FIXTURE(mv) {
	int fd;
	long pg;
	int pmem;
	char *p;
};

FIXTURE_SETUP(mv)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->pmem = pmem_node_of(self->fd);
	ASSERT_LE(0, self->pmem) TH_LOG("no pmem node");
	ASSERT_EQ(0, pin_to_cpu0());
	self->p = reserve(self->fd, NPAGES * self->pg, 0, NULL);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, self->p,
			 NPAGES * self->pg, RESMAP_OP_F_POPULATE,
			 RESMAP_PLACE_STRICT, 0, 0));
	for (long i = 0; i < NPAGES; i++)
		memset(self->p + i * self->pg, i * 7 + 1, self->pg);
}

FIXTURE_TEARDOWN(mv)
{
	munmap(self->p, NPAGES * self->pg);
	close(self->fd);
}

TEST_F(mv, dram_to_pmem_and_back_in_place)
{
	long pg = self->pg;
	char *p = self->p;
	__u64 counts[8], resident;
	unsigned int moved;

	ASSERT_EQ(0, residency(self->fd, p, NPAGES * pg, counts, 8, &resident));
	EXPECT_EQ(NPAGES, resident);
	EXPECT_EQ(NPAGES, counts[0]);
	EXPECT_EQ(NPAGES, pages_on(p, NPAGES, 0));

	ASSERT_EQ(0, move(self->fd, p, NPAGES * pg, RESMAP_PLACE_STRICT,
			  self->pmem, &moved));
	EXPECT_EQ(NPAGES, moved);
	EXPECT_EQ(NPAGES, pages_on(p, NPAGES, self->pmem));
	ASSERT_EQ(0, residency(self->fd, p, NPAGES * pg, counts, 8, &resident));
	EXPECT_EQ(NPAGES, counts[self->pmem]);
	EXPECT_EQ(0, counts[0]);
	for (long i = 0; i < NPAGES; i++) {
		ASSERT_TRUE(pattern_ok(p, pg, i)) TH_LOG("page %ld", i);
	}
	/* Already there: nothing to move. */
	ASSERT_EQ(0, move(self->fd, p, NPAGES * pg, RESMAP_PLACE_STRICT,
			  self->pmem, &moved));
	EXPECT_EQ(0, moved);
	/* The range's placement moved too: new pages land on pmem. */
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_DECOMMIT, p, 8 * pg, 0, 0, 0, 0));
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, 8 * pg, 0, 0, 0, 0));
	ASSERT_EQ(0, move(self->fd, p + 8 * pg, 8 * pg, RESMAP_PLACE_STRICT,
			  self->pmem, NULL));
	memset(p + 8 * pg, 3, 8 * pg);
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_DECOMMIT, p + 8 * pg, 8 * pg, 0,
			 0, 0, 0));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 8 * pg, 8 * pg,
			       0));

	/* Back to the DRAM tier: its node nearest to this CPU. */
	ASSERT_EQ(0, move(self->fd, p + 16 * pg, (NPAGES - 16) * pg,
			  RESMAP_PLACE_TIER, RESMAP_TIER_DRAM, &moved));
	EXPECT_EQ(NPAGES - 16, moved);
	EXPECT_EQ(NPAGES - 16, pages_on(p + 16 * pg, NPAGES - 16, 0));
	for (long i = 16; i < NPAGES; i++) {
		ASSERT_TRUE(pattern_ok(p, pg, i)) TH_LOG("page %ld", i);
	}
}

struct mover {
	char *p;
	long pg;
	atomic_bool stop;
	atomic_long reads, writes, bad;
};

/* Readers check every page's pattern; a writer counts in one word. */
static void *reader(void *arg)
{
	struct mover *m = arg;

	while (!m->stop) {
		for (long i = 1; i < NPAGES; i++) {
			if (!pattern_ok(m->p, m->pg, i))
				m->bad++;
		}
		m->reads++;
	}
	return NULL;
}

static void *writer(void *arg)
{
	struct mover *m = arg;
	volatile unsigned long *w = (unsigned long *)m->p;
	unsigned long v = 0;

	while (!m->stop) {
		*w = ++v;
		if (*w != v)
			m->bad++;
		m->writes++;
	}
	return NULL;
}

TEST_F(mv, readers_and_writers_never_see_a_torn_or_stale_page)
{
	struct mover m = { .p = self->p, .pg = self->pg };
	pthread_t r, w;
	unsigned int moved, total = 0;
	long before;

	ASSERT_EQ(0, pthread_create(&r, NULL, reader, &m));
	ASSERT_EQ(0, pthread_create(&w, NULL, writer, &m));
	for (int round = 0; round < 10; round++) {
		before = m.writes;
		ASSERT_EQ(0, move(self->fd, self->p, NPAGES * self->pg,
				  RESMAP_PLACE_STRICT,
				  round & 1 ? 0 : self->pmem, &moved));
		total += moved;
		/* Make sure the threads ran between moves. */
		while (m.writes == before)
			sched_yield();
	}
	m.stop = true;
	pthread_join(r, NULL);
	pthread_join(w, NULL);
	TH_LOG("%u pages moved, %ld read passes, %ld writes", total,
	       (long)m.reads, (long)m.writes);
	EXPECT_EQ(0, m.bad);
	EXPECT_LE(10 * (NPAGES - 1), total);
	EXPECT_EQ(NPAGES, pages_on(self->p, NPAGES, 0));
}

TEST_F(mv, residency_counts_only_real_pages)
{
	long pg = self->pg;
	char *q = reserve(self->fd, 64 * pg, 0, NULL);
	char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 counts[8], resident;

	ASSERT_NE(NULL, q);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, q, 64 * pg, 0,
			 RESMAP_PLACE_STRICT, self->pmem, 0));
	for (long i = 0; i < 16; i++)
		q[i * pg] = 1;			/* 16 real pages */
	for (long i = 16; i < 32; i++)
		(void)((volatile char *)q)[i * pg];	/* 16 zero-page reads */
	ASSERT_EQ(0, residency(self->fd, q, 64 * pg, counts, 8, &resident));
	EXPECT_EQ(16, resident);
	EXPECT_EQ(16, counts[self->pmem]);
	EXPECT_EQ(16, pages_on(q, 16, self->pmem));
	/* A short array counts what it can; the total is all of them. */
	ASSERT_EQ(0, residency(self->fd, q, 64 * pg, counts, 1, &resident));
	EXPECT_EQ(16, resident);
	EXPECT_EQ(0, counts[0]);

	EXPECT_EQ(-1, residency(self->fd, q, 64 * pg, counts, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, residency(self->fd, q, 64 * pg, counts, 2000, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, residency(self->fd, q + 1, pg, counts, 8, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, residency(self->fd, anon, pg, counts, 8, NULL));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, residency(self->fd, q, pg, (void *)8, 8, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, munmap(q, 64 * pg));
	EXPECT_EQ(0, munmap(anon, pg));
}

TEST_F(mv, bad_moves_move_nothing)
{
	long pg = self->pg;
	char *s = reserve_flags(self->fd, 4 * pg, 0, NULL,
				RESMAP_RESERVE_FORK_SHARE);
	long free_kib = 0;
	size_t big;
	char *q;
	unsigned int moved;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, s, 4 * pg, 0));
	EXPECT_EQ(-1, move(self->fd, s, 4 * pg, RESMAP_PLACE_STRICT,
			   self->pmem, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, move(self->fd, self->p, NPAGES * pg,
			   RESMAP_PLACE_DEFAULT, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, move(self->fd, self->p, NPAGES * pg,
			   RESMAP_PLACE_STRICT, 7, NULL));
	EXPECT_EQ(ENODEV, errno);
	/* Not all committed. */
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_DECOMMIT, self->p + 8 * pg, pg,
			 0, 0, 0, 0));
	EXPECT_EQ(-1, move(self->fd, self->p, NPAGES * pg, RESMAP_PLACE_STRICT,
			   self->pmem, &moved));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, moved);
	/* No room on the node for the range: refused before anything moves. */
	free_kib = node_meminfo_kib(self->pmem, "MemFree");
	big = ((size_t)free_kib << 10) + (64UL << 20);
	q = reserve(self->fd, big, 0, NULL);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, q, big, 0));
	memset(q, 1, 16 * pg);
	EXPECT_EQ(-1, move(self->fd, q, big, RESMAP_PLACE_STRICT, self->pmem,
			   &moved));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0, moved);
	EXPECT_EQ(0, pages_on(q, 16, self->pmem));
	EXPECT_EQ(NPAGES - 1, pages_on(self->p, 8, 0) + pages_on(self->p + 9 * pg,
			NPAGES - 9, 0));
	EXPECT_EQ(0, munmap(q, big));
	EXPECT_EQ(0, munmap(s, 4 * pg));
}

TEST_HARNESS_MAIN
