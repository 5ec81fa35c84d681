// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: whatever order a process ends things in (decommit, munmap,
 * partial munmap, fd close, exit), every page and every module object is
 * freed: the module's counters return to their starting values and the
 * nodes' free memory (MemFree plus the per-CPU free lists) returns to
 * where it was.
 */
#include <fcntl.h>
#include <signal.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define MAX_NODES 16

#define EXPECT_COUNTERS_EQ(a, b) do {					\
		EXPECT_EQ((a).files, (b).files);			\
		EXPECT_EQ((a).reservations, (b).reservations);		\
		EXPECT_EQ((a).vmas, (b).vmas);				\
		EXPECT_EQ((a).committed_pages, (b).committed_pages);	\
	} while (0)

FIXTURE(life) {
	long pg;
	struct resmap_counters start;
};

FIXTURE_SETUP(life)
{
	self->pg = page_size();
	self->start = resmap_counters();
	ASSERT_LE(0, self->start.files) TH_LOG("no /sys/class/misc/resmap");
}

FIXTURE_TEARDOWN(life)
{
}

TEST_F(life, counters_count_and_return)
{
	long pg = self->pg;
	int fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	struct resmap_counters c;
	char *p, *q;
	pid_t pid;

	ASSERT_LE(0, fd);
	p = reserve(fd, 16 * pg, 0, NULL);
	q = reserve_flags(fd, 16 * pg, 0, NULL, RESMAP_RESERVE_FORK_SHARE);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, p, 8 * pg, 0));
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, q, 16 * pg,
			       RESMAP_COMMIT_POPULATE));
	c = resmap_counters();
	EXPECT_EQ(self->start.files + 1, c.files);
	EXPECT_EQ(self->start.reservations + 2, c.reservations);
	EXPECT_EQ(self->start.vmas + 2, c.vmas);
	EXPECT_EQ(self->start.committed_pages + 24, c.committed_pages);

	/* A split shares the set: one more VMA, the same pages. */
	ASSERT_EQ(0, munmap(p + 12 * pg, 2 * pg));
	c = resmap_counters();
	EXPECT_EQ(self->start.vmas + 3, c.vmas);
	EXPECT_EQ(self->start.committed_pages + 24, c.committed_pages);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 1;
		q[0] = 1;
		_exit(range_cmd(fd, RESMAP_IOC_DECOMMIT, p, 4 * pg, 0));
	}
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, resize_cmd(fd, p, 8 * pg, 2 * pg, 0));
	ASSERT_EQ(0, munmap(p, 16 * pg));
	close(fd);
	c = resmap_counters();
	EXPECT_EQ(self->start.files + 1, c.files);	/* q pins the file */
	EXPECT_EQ(self->start.reservations + 1, c.reservations);
	ASSERT_EQ(0, munmap(q, 16 * pg));
	c = resmap_counters();
	EXPECT_COUNTERS_EQ(self->start, c);
}

TEST_F(life, fd_closed_before_unmap)
{
	long pg = self->pg;
	int fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	struct resmap_counters c;
	char *p;

	ASSERT_LE(0, fd);
	p = reserve(fd, 64 * pg, 0, NULL);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, p, 32 * pg, 0));
	close(fd);
	/* The reservation outlives the fd and keeps its semantics. */
	memset(p, 9, 32 * pg);
	EXPECT_EQ(9, p[32 * pg - 1]);
	EXPECT_EQ(SIGSEGV, touch_signal(p + 32 * pg, 0));
	/* A new fd can still act on it: commands act on the mm. */
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, resize_cmd(fd, p, 32 * pg, 64 * pg, 0));
	close(fd);
	EXPECT_EQ(0, p[63 * pg]);
	EXPECT_EQ(0, munmap(p, 64 * pg));
	c = resmap_counters();
	EXPECT_COUNTERS_EQ(self->start, c);
}

TEST_F(life, exit_frees_everything)
{
	size_t len = 64UL << 20;
	long free0, free1, free_mid;
	struct resmap_counters c;
	int status;
	pid_t pid;

	slab_caches_shrink();
	free0 = all_nodes_free_kib();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(RESMAP_DEVICE, O_RDWR);
		char *p = fd < 0 ? NULL : reserve(fd, len, 0, NULL);

		if (!p || range_cmd(fd, RESMAP_IOC_COMMIT, p, len,
				    RESMAP_COMMIT_POPULATE))
			_exit(1);
		memset(p, 1, len);
		/* Wait to be killed with everything live. */
		kill(getpid(), SIGSTOP);
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	free_mid = all_nodes_free_kib();
	EXPECT_LE(free_mid + (long)(len >> 10) * 9 / 10, free0);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	slab_caches_shrink();
	free1 = all_nodes_free_kib();
	EXPECT_LE(labs(free1 - free0), free0 / 100)
		TH_LOG("free %ld kB before, %ld kB after", free0, free1);
	c = resmap_counters();
	EXPECT_COUNTERS_EQ(self->start, c);
}

/*
 * 1 GiB through commit/decommit: every node's free memory back within 1%.
 * Several times slower on the debug kernel than the default 30 s allow.
 */
TEST_F_TIMEOUT(life, churn_one_gib, 300)
{
	size_t chunk = 64UL << 20, len = 256UL << 20;
	long before[MAX_NODES], after;
	int fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	struct resmap_counters c;
	int node, round;
	char *p;

	ASSERT_LE(0, fd);
	slab_caches_shrink();
	for (node = 0; node < MAX_NODES; node++)
		before[node] = node_free_kib(node);
	p = reserve(fd, len, 0, NULL);
	ASSERT_NE(NULL, p);
	for (round = 0; round < 16; round++) {
		char *at = p + (round & 3) * chunk;

		ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, at, chunk,
				       round & 1 ? RESMAP_COMMIT_POPULATE : 0));
		for (size_t i = 0; i < chunk; i += self->pg)
			at[i] = (char)round;
		ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_DECOMMIT, at, chunk, 0));
	}
	/* Measured with the reservation still there: decommit freed it all. */
	slab_caches_shrink();
	for (node = 0; node < MAX_NODES; node++) {
		if (before[node] < 0)
			continue;
		after = node_free_kib(node);
		EXPECT_LE(labs(after - before[node]), before[node] / 100)
			TH_LOG("node %d free %ld kB before, %ld kB after",
			       node, before[node], after);
	}
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_RELEASE, p, len, 0));
	close(fd);
	c = resmap_counters();
	EXPECT_COUNTERS_EQ(self->start, c);
}

TEST_HARNESS_MAIN
