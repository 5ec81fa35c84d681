// SPDX-License-Identifier: GPL-2.0
/*
 * Which backend serves the process, and resmap's placement flags: blocks
 * on the DRAM or pmem tier or a given node, checked page by page with
 * move_pages(2); a block moved between tiers at the same address;
 * interleaving over every memory node or a set of them
 * (resmap_interleave_nodes), by the policy mbind(2) left (syscall
 * backend) and page by page.  On a machine without pmem (the host) the
 * pmem cases expect ENODEV.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/mempolicy.h>

#include "kselftest_harness.h"
#include "shim_test.h"

/* A memory node without CPUs, or -1. */
static int pmem_node(void)
{
	char path[96], buf[64];

	for (int n = 0; n < 64; n++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf[0] = 0;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (buf[0] < '0' || buf[0] > '9')
			return n;
	}
	return -1;
}

/* How many of the pages of [p, p + len) are on @node (move_pages). */
static long pages_on(void *p, size_t len, int node)
{
	long n = len / 4096, count = 0;
	void **pages = malloc(n * sizeof(void *));
	int *st = malloc(n * sizeof(int));

	for (long i = 0; i < n; i++)
		pages[i] = (char *)p + i * 4096;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, st, 0))
		count = -1;
	for (long i = 0; count >= 0 && i < n; i++)
		count += st[i] == node;
	free(pages);
	free(st);
	return count;
}

static void *placed(size_t size, uintmax_t flags, int *err)
{
	struct mallocation5 m = { NULL, size, 0, 0, flags };
	struct mallocation5 *md[1] = { &m };
	size_t count = 1;

	*err = 0;
	batch_alloc5(err, md, &count);
	return m.ptr;
}

TEST(backend_is_reported)
{
	const char *want = getenv("RESMAP_BACKEND");
	struct resmap_stats s;

	resmap_stats(&s);
	EXPECT_STREQ(resmap_backend(), s.backend);
	if (want) {
		EXPECT_STREQ(want, resmap_backend());
	} else {
		EXPECT_STREQ(access("/dev/resmap", F_OK) ? "syscall" : "module",
			     resmap_backend());
	}
	TH_LOG("backend %s", resmap_backend());
}

/*
 * Run shim-probe (next to this program) with @backend and @strict in its
 * environment: its output (stdout then stderr) and how it ended.
 */
static int probe(const char *backend, const char *strict, char *out,
		 size_t len)
{
	char exe[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	if (n < 0 || pipe(fds))
		return -1;
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/shim-probe", dirname(exe));
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		setenv("RESMAP_BACKEND", backend, 1);
		if (strict)
			setenv("RESMAP_BACKEND_STRICT", strict, 1);
		else
			unsetenv("RESMAP_BACKEND_STRICT");
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (got < len - 1 && (n = read(fds[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST(backend_choice)
{
	bool module = !access("/dev/resmap", F_OK);
	char out[1024];

	EXPECT_EQ(0, probe("syscall", NULL, out, sizeof(out)));
	EXPECT_STREQ("syscall\n", out);
	EXPECT_EQ(0, probe("nonsense", NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "RESMAP_BACKEND must be")) TH_LOG("%s", out);
	if (module) {
		EXPECT_EQ(0, probe("module", "1", out, sizeof(out)));
		EXPECT_STREQ("module\n", out);
		return;
	}
	/* Asked for and missing: said on stderr, then system calls... */
	EXPECT_EQ(0, probe("module", NULL, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "cannot be used")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "syscall\n")) TH_LOG("%s", out);
	/* ...unless strict. */
	EXPECT_EQ(128 + SIGABRT, probe("module", "1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "RESMAP_BACKEND_STRICT")) TH_LOG("%s", out);
}

TEST(tiers_and_nodes)
{
	size_t len = 1 << 20;
	int pmem = pmem_node(), err;
	uint64_t counts[64];
	char *p;

	p = placed(len, RESMAP_M2_DRAM | RESMAP_M2_POPULATE, &err);
	ASSERT_NE(NULL, p) TH_LOG("DRAM: %s", strerror(err));
	EXPECT_EQ(len / 4096, resmap_where(p, counts, 64));
	EXPECT_EQ(0, pmem >= 0 ? pages_on(p, len, pmem) : 0);
	free(p);

	p = placed(len, RESMAP_M2_NODE_ID(0) | RESMAP_M2_POPULATE, &err);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(len / 4096, pages_on(p, len, 0));
	free(p);
	EXPECT_EQ(NULL, placed(len, RESMAP_M2_NODE_ID(63), &err));
	EXPECT_EQ(ENODEV, err);

	p = placed(len, RESMAP_M2_PMEM | RESMAP_M2_POPULATE, &err);
	if (pmem < 0) {
		EXPECT_EQ(NULL, p);
		EXPECT_EQ(ENODEV, err);
		return;
	}
	ASSERT_NE(NULL, p) TH_LOG("pmem: %s", strerror(err));
	EXPECT_EQ(len / 4096, pages_on(p, len, pmem));
	EXPECT_EQ(len / 4096, resmap_where(p, counts, 64));
	EXPECT_EQ(len / 4096, counts[pmem]);
	/* Growth keeps the placement (first touch, no populate). */
	p = realloc(p, 2 * len);
	ASSERT_NE(NULL, p);
	memset(p, 1, 2 * len);
	EXPECT_EQ(2 * len / 4096, pages_on(p, 2 * len, pmem));
	free(p);
}

/*
 * RESMAP_M2_TIER_RANK(n): rank 0 is the DRAM nodes, rank 1 the pmem node
 * where there is one (the bed's two tiers), and a rank past the last has
 * no memory.  The block reports the placement it was given.
 */
TEST(tier_by_rank)
{
	size_t len = 1 << 20;
	int pmem = pmem_node(), err;
	struct resmap_block_info bi;
	char *p;

	p = placed(len, RESMAP_M2_TIER_RANK(0) | RESMAP_M2_POPULATE, &err);
	ASSERT_NE(NULL, p) TH_LOG("rank 0: %s", strerror(err));
	EXPECT_EQ(0, pmem >= 0 ? pages_on(p, len, pmem) : 0);
	ASSERT_EQ(0, resmap_block_info(p, &bi));
	EXPECT_EQ(RESMAP_M2_TIER_RANK(0), bi.placement);
	free(p);

	p = placed(len, RESMAP_M2_TIER_RANK(1) | RESMAP_M2_POPULATE, &err);
	if (pmem < 0) {
		EXPECT_EQ(NULL, p);
		EXPECT_EQ(ENODEV, err);
	} else {
		ASSERT_NE(NULL, p) TH_LOG("rank 1: %s", strerror(err));
		EXPECT_EQ(len / 4096, pages_on(p, len, pmem));
		EXPECT_EQ(len / 4096, resmap_move(p, RESMAP_M2_TIER_RANK(0)));
		EXPECT_EQ(0, pages_on(p, len, pmem));
		free(p);
	}
	EXPECT_EQ(NULL, placed(len, RESMAP_M2_TIER_RANK(200), &err));
	EXPECT_EQ(ENODEV, err);
	/* Two placements at once. */
	EXPECT_EQ(NULL, placed(len, RESMAP_M2_TIER_RANK(0) | RESMAP_M2_DRAM, &err));
	EXPECT_EQ(EINVAL, err);
}

/* The resmap_owner of every /dev/resmap descriptor is this process. */
static bool device_fds_are_mine(void)
{
	char path[300], target[64], line[128];
	struct dirent *e;
	int owner = -1, n = 0;
	DIR *d = opendir("/proc/self/fd");

	while (d && (e = readdir(d)) != NULL) {
		ssize_t len;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		if (strcmp(target, "/dev/resmap"))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "resmap_owner: %d", &owner);
		if (f)
			fclose(f);
		if (owner != getpid())
			n = -1000;
		n++;
	}
	if (d)
		closedir(d);
	return n > 0;
}

/*
 * A forked child opens the device again (at the same descriptor), so the
 * module's fdinfo, which resmapctl stats reads, lists the child's own
 * reservations rather than the parent's.
 */
TEST(child_has_its_own_device_descriptor)
{
	pid_t pid;
	int status;

	free(malloc(1 << 20));	/* started */
	if (strcmp(resmap_backend(), "module"))
		SKIP(return, "the syscall backend opens no device");
	ASSERT_TRUE(device_fds_are_mine());
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(device_fds_are_mine() ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(move_between_tiers_in_place)
{
	size_t len = 2 << 20;
	int pmem = pmem_node(), err;
	char *p;
	long moved;

	if (pmem < 0)
		SKIP(return, "no pmem node here");
	p = placed(len, RESMAP_M2_DRAM, &err);
	ASSERT_NE(NULL, p);
	fill(p, len, 5);
	moved = resmap_move(p, RESMAP_M2_PMEM);
	EXPECT_EQ((long)(len / 4096), moved);
	EXPECT_EQ(len / 4096, pages_on(p, len, pmem));
	EXPECT_TRUE(check(p, len, 5));
	moved = resmap_move(p, RESMAP_M2_DRAM);
	EXPECT_EQ((long)(len / 4096), moved);
	EXPECT_EQ(0, pages_on(p, len, pmem));
	EXPECT_TRUE(check(p, len, 5));
	free(p);
	/* Small blocks share pages: not movable alone. */
	p = malloc(100);
	EXPECT_EQ(-1, resmap_move(p, RESMAP_M2_PMEM));
	EXPECT_EQ(EINVAL, errno);
	free(p);
}

/* The memory nodes, as a mask, from sysfs. */
static uint64_t memory_nodes(void)
{
	char path[96];
	uint64_t mask = 0;

	for (int n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", n);
		if (!access(path, R_OK))
			mask |= 1ULL << n;
	}
	return mask;
}

/* The interleave mask that mbind(2) left on @p, or 0 if another policy. */
static uint64_t interleave_policy(void *p)
{
	unsigned long mask[16] = { 0 };
	int mode = -1;

	if (syscall(SYS_get_mempolicy, &mode, mask, 1024, p, MPOL_F_ADDR))
		return 0;
	return mode == MPOL_INTERLEAVE ? mask[0] : 0;
}

/*
 * Pages of a block placed by @flags land only on @nodes, on every one.
 * 16 MiB: with transparent huge pages (the syscall backend's anonymous
 * memory) interleaving goes 2 MiB at a time, so a smaller block could
 * miss a node.
 */
static void expect_interleaved(struct __test_metadata *_metadata,
			       uintmax_t flags, uint64_t nodes)
{
	size_t len = 16 << 20;
	struct resmap_block_info bi;
	long total = 0, on;
	int err;
	char *p = placed(len, flags | RESMAP_M2_POPULATE, &err);

	ASSERT_NE(NULL, p) TH_LOG("interleave %#llx: %s",
				  (unsigned long long)nodes, strerror(err));
	ASSERT_EQ(0, resmap_block_info(p, &bi));
	EXPECT_EQ(flags, bi.placement);
	if (!strcmp(resmap_backend(), "syscall"))
		EXPECT_EQ(nodes, interleave_policy(p));
	for (int n = 0; n < 64; n++) {
		on = pages_on(p, len, n);
		if (nodes & (1ULL << n)) {
			EXPECT_LT(0, on) TH_LOG("node %d", n);
		} else {
			EXPECT_EQ(0, on) TH_LOG("node %d", n);
		}
		total += on;
	}
	EXPECT_EQ((long)(len / 4096), total);
	free(p);
}

TEST(interleave_over_a_set_of_nodes)
{
	uint64_t all = memory_nodes(), set;
	uintmax_t f;
	int err;

	/* Every memory node is plain RESMAP_M2_INTERLEAVE. */
	EXPECT_EQ(RESMAP_M2_INTERLEAVE, resmap_interleave_nodes(all));
	expect_interleaved(_metadata, RESMAP_M2_INTERLEAVE, all);
	/* Errors, and a set number never named. */
	EXPECT_EQ(0, resmap_interleave_nodes(0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, resmap_interleave_nodes(1ULL << 63));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(NULL, placed(4096, RESMAP_M2_INTERLEAVE |
			       ((uintmax_t)255 << RESMAP_M2_NODE_SHIFT), &err));
	EXPECT_EQ(EINVAL, err);
	if (__builtin_popcountll(all) < 2)
		SKIP(return, "one memory node: no proper subset to interleave over");
	/* All but the lowest memory node: a set of its own, named once. */
	set = all & (all - 1);
	f = resmap_interleave_nodes(set);
	ASSERT_NE(0, f);
	EXPECT_NE(RESMAP_M2_INTERLEAVE, f);
	EXPECT_EQ(RESMAP_M2_INTERLEAVE, f & ~((uintmax_t)0xff << RESMAP_M2_NODE_SHIFT));
	EXPECT_EQ(f, resmap_interleave_nodes(set));
	expect_interleaved(_metadata, f, set);
	/* The lowest and the highest memory node only. */
	set = (all & -all) | (1ULL << (63 - __builtin_clzll(all)));
	if (set != all) {
		f = resmap_interleave_nodes(set);
		ASSERT_NE(0, f);
		expect_interleaved(_metadata, f, set);
	}
}

/* The size-versioned stats call: resident bytes per node and tier. */
TEST(stats_count_bytes_per_node_and_tier)
{
	struct resmap_alloc_stats st = { .size = sizeof(st),
					 .flags = RESMAP_STATS_NODES };
	uint64_t nodes = 0, tiers = 0;
	char *p = malloc(8 << 20);

	ASSERT_NE(NULL, p);
	memset(p, 1, 8 << 20);
	ASSERT_EQ(0, resmap_alloc_stats(&st));
	EXPECT_EQ(sizeof(st), st.size);
	for (int n = 0; n < RESMAP_STATS_MAX_NODES; n++)
		nodes += st.node_bytes[n];
	tiers = st.tier_bytes[1] + st.tier_bytes[2];
	EXPECT_LE(8 << 20, nodes);
	EXPECT_EQ(nodes, tiers);
	EXPECT_LE(8 << 20, st.large_bytes);
	/* An older, smaller struct gets what fits; too small is EINVAL. */
	st.size = 4;
	EXPECT_EQ(-1, resmap_alloc_stats(&st));
	EXPECT_EQ(EINVAL, errno);
	free(p);
}

TEST_HARNESS_MAIN
