// SPDX-License-Identifier: GPL-2.0
/*
 * Tiers from the kernel: the module's tier ranks (RESMAP_IOC_NODES with
 * RESMAP_NODES_RANKS, /sys/class/misc/resmap/tiers) against the kernel's
 * memory tiers (/sys/devices/virtual/memory_tiering/memory_tierN/nodelist,
 * a lower N faster), and placement by rank (RESMAP_TIER_RANK(n)) landing
 * on that tier's nodes as move_pages(2) sees them.
 *
 * Runs on both test-bed topologies: the default one (two DRAM nodes with
 * CPUs, a dax kmem pmem node) and TOPOLOGY=cpuless-dram (a third,
 * CPU-less node of ordinary RAM).  What the kernel made of each is
 * printed, and checked where the topology says what it must be.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define MAX_NODES 64
#define MEMTIER_DIR "/sys/devices/virtual/memory_tiering"

FIXTURE(tiers) {
	int fd;
	int has_memory[MAX_NODES];
	int kernel_tier[MAX_NODES];	/* memory_tierN of each node, -1 */
	int rank[MAX_NODES];		/* expected rank; -1 not a memory node */
	int nr_tiers;
	struct resmap_node n[MAX_NODES];
	unsigned int count;
};

/* memory_tierN/nodelist into kernel_tier[]; false without memory tiering. */
static bool read_kernel_tiers(int *kernel_tier)
{
	struct dirent *e;
	DIR *d;
	int id;

	for (int i = 0; i < MAX_NODES; i++)
		kernel_tier[i] = -1;
	d = opendir(MEMTIER_DIR);
	if (!d)
		return false;
	while ((e = readdir(d)) != NULL) {
		char path[512], buf[256];
		int in[MAX_NODES];

		if (sscanf(e->d_name, "memory_tier%d", &id) != 1)
			continue;
		snprintf(path, sizeof(path), MEMTIER_DIR "/%s/nodelist",
			 e->d_name);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		node_list_parse(buf, in, MAX_NODES);
		for (int i = 0; i < MAX_NODES; i++)
			if (in[i])
				kernel_tier[i] = id;
	}
	closedir(d);
	return true;
}

/* Ranks of the memory nodes: how many distinct kernel tiers are faster. */
static int rank_nodes(const int *has_memory, const int *kernel_tier,
		      int *rank)
{
	int nr = 0;

	for (int i = 0; i < MAX_NODES; i++) {
		rank[i] = -1;
		if (!has_memory[i])
			continue;
		rank[i] = 0;
		for (int j = 0; j < MAX_NODES; j++) {
			bool first = true;

			if (!has_memory[j] || kernel_tier[j] >= kernel_tier[i])
				continue;
			for (int k = 0; k < j; k++)	/* counted already? */
				if (has_memory[k] &&
				    kernel_tier[k] == kernel_tier[j])
					first = false;
			rank[i] += first;
		}
		if (rank[i] + 1 > nr)
			nr = rank[i] + 1;
	}
	return nr;
}

static int nodes_ranks(int fd, struct resmap_node *n, unsigned int *count)
{
	struct resmap_nodes a;

	memset(&a, 0, sizeof(a));
	a.nodes = (unsigned long)n;
	a.count = MAX_NODES;
	a.flags = RESMAP_NODES_RANKS;
	if (ioctl(fd, RESMAP_IOC_NODES, &a))
		return -1;
	*count = a.count;
	return 0;
}

static unsigned int tier_of_rank(int rank, int nr)
{
	if (!rank)
		return RESMAP_TIER_DRAM;
	if (rank == nr - 1)
		return RESMAP_TIER_PMEM;
	return RESMAP_TIER_RANK(rank);
}

FIXTURE_SETUP(tiers)
{
	char buf[256];

	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, read_line(NODE_SYS "/has_memory", buf, sizeof(buf)));
	node_list_parse(buf, self->has_memory, MAX_NODES);
	if (!read_kernel_tiers(self->kernel_tier))
		SKIP(return, "kernel without memory tiering (%s)", MEMTIER_DIR);
	self->nr_tiers = rank_nodes(self->has_memory, self->kernel_tier,
				    self->rank);
	ASSERT_EQ(0, nodes_ranks(self->fd, self->n, &self->count));
}

FIXTURE_TEARDOWN(tiers)
{
	close(self->fd);
}

TEST_F(tiers, every_memory_node_is_in_a_kernel_tier)
{
	for (int i = 0; i < MAX_NODES; i++) {
		if (!self->has_memory[i])
			continue;
		EXPECT_LE(0, self->kernel_tier[i]) TH_LOG("node %d", i);
		ksft_print_msg("node %d: memory_tier%d, %s CPUs -> rank %d of %d\n",
			       i, self->kernel_tier[i],
			       node_has_cpu(i) ? "with" : "without",
			       self->rank[i], self->nr_tiers);
	}
	fflush(stdout);	/* the harness's child ends with _exit() */
}

TEST_F(tiers, module_ranks_equal_kernel_memory_tiers)
{
	for (unsigned int i = 0; i < self->count; i++) {
		struct resmap_node *n = &self->n[i];

		ASSERT_GT(MAX_NODES, n->node);
		EXPECT_EQ(self->rank[n->node], (int)n->rank)
			TH_LOG("node %u: memory_tier%d", n->node,
			       self->kernel_tier[n->node]);
		EXPECT_EQ(self->nr_tiers, (int)n->nr_tiers);
		EXPECT_EQ(tier_of_rank(n->rank, n->nr_tiers), n->tier)
			TH_LOG("node %u rank %u of %u", n->node, n->rank,
			       n->nr_tiers);
		EXPECT_EQ(0, n->reserved[0]);
	}
}

/* /sys/class/misc/resmap/tiers: "rank nodelist" lines, "source kernel". */
TEST_F(tiers, sysfs_tiers_file_agrees)
{
	char line[256], list[200], source[16] = "";
	int r, lines = 0, in[MAX_NODES];
	FILE *f;

	f = fopen("/sys/class/misc/resmap/tiers", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "source %15s", source) == 1)
			continue;
		ASSERT_EQ(2, sscanf(line, "%d %199s", &r, list)) TH_LOG("%s", line);
		EXPECT_EQ(lines, r);
		node_list_parse(list, in, MAX_NODES);
		for (int i = 0; i < MAX_NODES; i++) {
			EXPECT_EQ(self->rank[i] == r, in[i])
				TH_LOG("node %d, rank %d line", i, r);
		}
		lines++;
	}
	fclose(f);
	EXPECT_EQ(self->nr_tiers, lines);
	EXPECT_STREQ("kernel", source);
}

/* Writing the file reads the kernel's tiers again: the same answer. */
TEST_F(tiers, reread_keeps_ranks)
{
	struct resmap_node n[MAX_NODES];
	unsigned int count;
	int fd = open("/sys/class/misc/resmap/tiers", O_WRONLY);

	if (fd < 0)
		SKIP(return, "not root");
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	ASSERT_EQ(0, nodes_ranks(self->fd, n, &count));
	ASSERT_EQ(self->count, count);
	for (unsigned int i = 0; i < count; i++)
		EXPECT_EQ(self->n[i].rank, n[i].rank);
}

/* A commit placed on each rank, and on the DRAM and PMEM aliases. */
TEST_F(tiers, placement_by_rank_lands_on_its_nodes)
{
	const long pages = 16;
	size_t len = pages * page_size();
	int node[16];

	for (int r = 0; r < self->nr_tiers + 2; r++) {
		unsigned int tier = r < self->nr_tiers ? RESMAP_TIER_RANK(r) :
				    r == self->nr_tiers ? RESMAP_TIER_DRAM :
							  RESMAP_TIER_PMEM;
		int want = r < self->nr_tiers ? r :
			   r == self->nr_tiers ? 0 : self->nr_tiers - 1;
		char *p = reserve(self->fd, len, 0, NULL);

		ASSERT_NE(NULL, p);
		if (tier == RESMAP_TIER_PMEM && self->nr_tiers < 2) {
			/* One tier: no pmem, as before there were ranks. */
			EXPECT_EQ(-1, op1(self->fd, RESMAP_OP_COMMIT, p, len, 0,
					  RESMAP_PLACE_TIER, tier, 0));
			EXPECT_EQ(ENODEV, errno);
			EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, len, 0));
			continue;
		}
		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, len,
				 RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER, tier, 0))
			TH_LOG("tier %#x: %s", tier, strerror(errno));
		ASSERT_EQ(0, page_nodes(p, pages, node));
		for (long i = 0; i < pages; i++) {
			ASSERT_LE(0, node[i]) TH_LOG("page %ld: %d", i, node[i]);
			EXPECT_EQ(want, self->rank[node[i]])
				TH_LOG("tier %#x: page %ld on node %d", tier, i,
				       node[i]);
		}
		EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, len, 0));
	}
}

/* MOVE by rank: every page to the slowest tier, then back to the top. */
TEST_F(tiers, move_by_rank)
{
	const long pages = 16;
	size_t len = pages * page_size();
	int node[16];
	char *p;

	if (self->nr_tiers < 2)
		SKIP(return, "one tier only");
	p = reserve(self->fd, len, 0, NULL);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, op1(self->fd, RESMAP_OP_COMMIT, p, len,
			 RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
			 RESMAP_TIER_RANK(0), 0));
	for (int step = 0; step < 2; step++) {
		int want = step ? 0 : self->nr_tiers - 1;

		ASSERT_EQ(0, op1(self->fd, RESMAP_OP_MOVE, p, len, 0,
				 RESMAP_PLACE_TIER, RESMAP_TIER_RANK(want), 0))
			TH_LOG("to rank %d: %s", want, strerror(errno));
		ASSERT_EQ(0, page_nodes(p, pages, node));
		for (long i = 0; i < pages; i++) {
			EXPECT_EQ(want, self->rank[node[i]])
				TH_LOG("page %ld on node %d", i, node[i]);
		}
	}
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, len, 0));
}

TEST_F(tiers, bad_tier_names)
{
	static const struct {
		unsigned int tier;
		int err;
		const char *why;
	} bad[] = {
		{ 0, EINVAL, "no tier" },
		{ 3, EINVAL, "neither DRAM nor PMEM nor a rank" },
		{ RESMAP_TIER_RANK_BASE - 1, EINVAL, "below the rank encoding" },
		{ RESMAP_TIER_RANK_BASE + RESMAP_TIER_RANK_MAX + 1, EINVAL,
		  "past the last rank" },
		{ RESMAP_TIER_RANK(RESMAP_TIER_RANK_MAX), ENODEV, "rank 255" },
	};
	size_t len = page_size();
	char *p = reserve(self->fd, len, 0, NULL);

	ASSERT_NE(NULL, p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resmap_op o = op_of(RESMAP_OP_COMMIT, p, len, 0,
					   RESMAP_PLACE_TIER, bad[i].tier, 0);

		EXPECT_EQ(-1, batch(self->fd, &o, 1, 0, NULL)) TH_LOG("%s", bad[i].why);
		EXPECT_EQ(-bad[i].err, o.result) TH_LOG("%s", bad[i].why);
	}
	/* The rank one past the last: a tier without memory. */
	{
		struct resmap_op o = op_of(RESMAP_OP_COMMIT, p, len, 0,
					   RESMAP_PLACE_TIER,
					   RESMAP_TIER_RANK(self->nr_tiers), 0);

		EXPECT_EQ(-1, batch(self->fd, &o, 1, 0, NULL));
		EXPECT_EQ(-ENODEV, o.result);
	}
	/* Nothing was committed by any of them. */
	EXPECT_EQ(0, resident(p, len));
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, len, 0));
}

/*
 * Write @state to every memory block of @node not in it already (an
 * online block shows "online" for "online_movable"); how many refused.
 */
static int node_blocks(int node, const char *state)
{
	char path[300], now[32];
	struct dirent *e;
	int failed = 0;
	DIR *d;

	snprintf(path, sizeof(path), NODE_SYS "/node%d", node);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (strncmp(e->d_name, "memory", 6) || !isdigit(e->d_name[6]))
			continue;
		snprintf(path, sizeof(path), NODE_SYS "/node%d/%s/state", node,
			 e->d_name);
		if (read_line(path, now, sizeof(now)) ||
		    !strncmp(state, now, strlen(now)))
			continue;
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, state, strlen(state)) < 0)
			failed++;
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return failed;
}

/* Whether every memory block of @node is online in ZONE_MOVABLE. */
static bool node_movable(int node)
{
	char path[600], zones[64];
	struct dirent *e;
	bool all = true;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), NODE_SYS "/node%d", node);
	d = opendir(path);
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "memory", 6) || !isdigit(e->d_name[6]))
			continue;
		snprintf(path, sizeof(path), NODE_SYS "/node%d/%s/valid_zones",
			 node, e->d_name);
		all &= !read_line(path, zones, sizeof(zones)) &&
		       !strcmp(zones, "Movable");
		n++;
	}
	if (d)
		closedir(d);
	return all && n;
}

/* Poll (the module reads from a work item) until its ranks are sysfs's. */
static bool ranks_follow_kernel(int fd)
{
	for (int i = 0; i < 100; i++, usleep(50 * 1000)) {
		int has_memory[MAX_NODES], kernel_tier[MAX_NODES], rank[MAX_NODES];
		struct resmap_node n[MAX_NODES];
		unsigned int count, want = 0;
		char buf[256];
		bool same = true;
		int nr;

		if (read_line(NODE_SYS "/has_memory", buf, sizeof(buf)) ||
		    !read_kernel_tiers(kernel_tier) || nodes_ranks(fd, n, &count))
			return false;
		node_list_parse(buf, has_memory, MAX_NODES);
		nr = rank_nodes(has_memory, kernel_tier, rank);
		for (int j = 0; j < MAX_NODES; j++)
			want += has_memory[j];
		same = count == want;
		for (unsigned int j = 0; same && j < count; j++)
			same = n[j].node < MAX_NODES && (int)n[j].rank == rank[n[j].node] &&
			       (int)n[j].nr_tiers == nr;
		if (same)
			return true;
	}
	return false;
}

/*
 * Memory hotplug: the slowest CPU-less node's memory offlined, then
 * onlined again.  The kernel changes its tiers in its own memory
 * notifier; the module's, which runs after it, rereads them: without a
 * write to the tiers file the ranks follow both ways.  Needs movable
 * (dax kmem) memory; skipped elsewhere, or where it cannot go offline.
 */
TEST_F(tiers, hotplug_rereads_the_kernels_tiers)
{
	int node = -1;

	for (int i = 0; i < MAX_NODES; i++)
		if (self->has_memory[i] && !node_has_cpu(i) &&
		    (node < 0 || self->rank[i] > self->rank[node]))
			node = i;
	if (node < 0 || getuid())
		SKIP(return, "no CPU-less memory node, or not root");
	/* Boot memory (cpuless-dram) is not: it may not go offline. */
	if (!node_movable(node))
		SKIP(return, "node %d's memory is not all movable", node);
	if (node_blocks(node, "offline")) {
		ASSERT_EQ(0, node_blocks(node, "online_movable"));
		SKIP(return, "node %d's memory cannot go offline", node);
	}
	{
		char buf[256];
		int in[MAX_NODES];

		ASSERT_EQ(0, read_line(NODE_SYS "/has_memory", buf, sizeof(buf)));
		node_list_parse(buf, in, MAX_NODES);
		EXPECT_FALSE(in[node]) TH_LOG("node %d still has memory", node);
	}
	EXPECT_TRUE(ranks_follow_kernel(self->fd)) TH_LOG("node %d offline", node);
	ASSERT_EQ(0, node_blocks(node, "online_movable"));
	EXPECT_TRUE(ranks_follow_kernel(self->fd)) TH_LOG("node %d online", node);
	/* As before the test. */
	EXPECT_TRUE(ranks_follow_kernel(self->fd));
	{
		struct resmap_node n[MAX_NODES];
		unsigned int count;

		ASSERT_EQ(0, nodes_ranks(self->fd, n, &count));
		ASSERT_EQ(self->count, count);
		for (unsigned int i = 0; i < count; i++)
			EXPECT_EQ(self->n[i].rank, n[i].rank);
	}
}

/*
 * TOPOLOGY=cpuless-dram: node 2 is ordinary RAM without CPUs, as near to
 * cpu0 as node 0's DRAM in HMAT.  The kernel puts it in node 0's memory
 * tier on 6.1 (no memory type: the default DRAM one) and on 6.12 (HMAT's
 * figures equal the DRAM's, so the same abstract distance), so the module
 * must call it DRAM, where the CPU-less rule would have said pmem.
 */
TEST_F(tiers, cpuless_dram_node_is_not_pmem)
{
	const char *topology = getenv("RESMAP_TOPOLOGY");
	char path[128], buf[64];

	if (!topology || strcmp(topology, "cpuless-dram"))
		SKIP(return, "not the cpuless-dram topology");
	ASSERT_TRUE(self->has_memory[2]);
	ASSERT_FALSE(node_has_cpu(2));
	snprintf(path, sizeof(path), NODE_SYS "/node2/access0/initiators/read_latency");
	if (!read_line(path, buf, sizeof(buf)))
		ksft_print_msg("node 2: HMAT read latency %s ns from its initiator\n", buf);
	fflush(stdout);
	EXPECT_EQ(self->kernel_tier[0], self->kernel_tier[2]);
	for (unsigned int i = 0; i < self->count; i++) {
		if (self->n[i].node != 2)
			continue;
		EXPECT_EQ(0, self->n[i].rank);
		EXPECT_EQ(RESMAP_TIER_DRAM, self->n[i].tier);
		EXPECT_EQ(0, self->n[i].flags & RESMAP_NODE_HAS_CPU);
	}
}

TEST_HARNESS_MAIN
