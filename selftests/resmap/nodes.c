// SPDX-License-Identifier: GPL-2.0
/*
 * RESMAP_IOC_NODES and /sys/class/misc/resmap/nodes: every memory node,
 * its tier, size, free memory and distance, checked against what the
 * kernel shows in /sys/devices/system/node; the tiers= override.
 */
#include <fcntl.h>
#include <sched.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define MAX_NODES 64
#define TIERS_PARAM "/sys/module/resmap/parameters/tiers"

/* The distance from @from to @to as /sys/devices/system/node shows it. */
static long sys_distance(int from, int to)
{
	char path[128], buf[512], *s = buf;
	long d = -1;
	int i;

	snprintf(path, sizeof(path), NODE_SYS "/node%d/distance", from);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	for (i = 0; i <= to; i++)
		d = strtol(s, &s, 10);
	return d;
}

static int nodes_cmd(int fd, struct resmap_node *out, unsigned int cap,
		     struct resmap_nodes *a)
{
	memset(a, 0, sizeof(*a));
	a->nodes = (unsigned long)out;
	a->count = cap;
	return ioctl(fd, RESMAP_IOC_NODES, a);
}

static int put_param(const char *val)
{
	int fd = open(TIERS_PARAM, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

FIXTURE(nodes) {
	int fd;
	int has_memory[MAX_NODES];
	int nr_memory;
};

FIXTURE_SETUP(nodes)
{
	char buf[256];

	self->fd = open(RESMAP_DEVICE, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, read_line(NODE_SYS "/has_memory", buf, sizeof(buf)));
	self->nr_memory = node_list_parse(buf, self->has_memory, MAX_NODES);
	ASSERT_LT(0, self->nr_memory);
}

FIXTURE_TEARDOWN(nodes)
{
	close(self->fd);
}

TEST_F(nodes, every_memory_node_as_sysfs_has_it)
{
	struct resmap_node n[MAX_NODES];
	long pg_kib = page_size() / 1024;
	struct resmap_nodes a;
	int i;

	/* On CPU 0, so that the caller's node is known. */
	ASSERT_EQ(0, pin_to_cpu0());
	ASSERT_EQ(0, nodes_cmd(self->fd, NULL, 0, &a));
	EXPECT_EQ(self->nr_memory, a.count);
	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	ASSERT_EQ(self->nr_memory, a.count);
	{
		char path[128];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/node%u",
			 a.caller_node);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("caller node %u",
							a.caller_node);
	}
	for (i = 0; i < (int)a.count; i++) {
		int node = n[i].node, cpu = node_has_cpu(node);
		long total = node_meminfo_kib(node, "MemTotal");
		long free = node_meminfo_kib(node, "MemFree");

		ASSERT_LT(node, MAX_NODES);
		EXPECT_TRUE(self->has_memory[node]);
		if (i)
			EXPECT_LT(n[i - 1].node, n[i].node);
		/*
		 * Which tier is the kernel's memory tiers' (tiers.c checks
		 * them); a node with CPUs is never slower than pmem here.
		 */
		EXPECT_TRUE(n[i].tier == RESMAP_TIER_DRAM ||
			    n[i].tier == RESMAP_TIER_PMEM ||
			    RESMAP_TIER_IS_RANK(n[i].tier)) TH_LOG("node %d", node);
		if (cpu) {
			EXPECT_NE(RESMAP_TIER_PMEM, n[i].tier) TH_LOG("node %d", node);
		}
		EXPECT_EQ(cpu ? RESMAP_NODE_HAS_CPU : 0, n[i].flags);
		EXPECT_EQ(total, (long)n[i].total_pages * pg_kib);
		EXPECT_GE(free / 50, labs((long)n[i].free_pages * pg_kib - free))
			TH_LOG("node %d free %llu pages, MemFree %ld kB", node,
			       n[i].free_pages, free);
		EXPECT_EQ(sys_distance(a.caller_node, node), n[i].distance);
		/* Without RESMAP_NODES_RANKS, as from an older caller. */
		EXPECT_EQ(0, n[i].rank | n[i].nr_tiers);
		EXPECT_EQ(0, n[i].reserved[0]);
	}
}

TEST_F(nodes, sysfs_table_agrees)
{
	struct resmap_node n[MAX_NODES];
	char line[256], tier[16];
	unsigned long long total, free;
	struct resmap_nodes a;
	int node, i = 0;
	FILE *f;

	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	f = fopen("/sys/class/misc/resmap/nodes", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		ASSERT_EQ(4, sscanf(line, "%d %15s %llu %llu", &node, tier,
				    &total, &free));
		ASSERT_LT(i, (int)a.count);
		EXPECT_EQ((int)n[i].node, node);
		EXPECT_STREQ(n[i].tier == RESMAP_TIER_DRAM ? "dram" : "pmem",
			     tier);
		EXPECT_EQ(n[i].total_pages, total);
		i++;
	}
	fclose(f);
	EXPECT_EQ((int)a.count, i);
}

TEST_F(nodes, short_array_gets_count_and_prefix)
{
	struct resmap_node n[2];
	struct resmap_nodes a;

	memset(n, 0xa5, sizeof(n));
	ASSERT_EQ(0, nodes_cmd(self->fd, n, 1, &a));
	EXPECT_EQ(self->nr_memory, a.count);
	EXPECT_TRUE(self->has_memory[n[0].node]);
	EXPECT_EQ(0xa5a5a5a5, n[1].node);
}

TEST_F(nodes, tier_override)
{
	struct resmap_node n[MAX_NODES];
	struct resmap_nodes a;
	char val[64], cur[64];
	unsigned int last, guess;

	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	last = n[a.count - 1].node;
	guess = n[a.count - 1].tier;
	snprintf(val, sizeof(val), "%u:%s", last,
		 guess == RESMAP_TIER_DRAM ? "pmem" : "dram");
	ASSERT_EQ(0, put_param(val)) TH_LOG("%s: %s", TIERS_PARAM,
					    strerror(errno));
	ASSERT_EQ(0, read_line(TIERS_PARAM, cur, sizeof(cur)));
	EXPECT_STREQ(val, cur);
	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	EXPECT_NE(guess, n[a.count - 1].tier);
	/* A bad string is refused whole; the override stays. */
	EXPECT_EQ(-1, put_param("0:dram,1:fast"));
	EXPECT_EQ(-1, put_param("99999:dram"));
	EXPECT_EQ(-1, put_param("dram"));
	ASSERT_EQ(0, read_line(TIERS_PARAM, cur, sizeof(cur)));
	EXPECT_STREQ(val, cur);
	/* Empty (as "echo > tiers" writes it): back to the guess. */
	ASSERT_EQ(0, put_param("\n"));
	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	EXPECT_EQ(guess, n[a.count - 1].tier);
}

/*
 * Every memory node overridden to pmem: each reports PMEM, and DRAM (the
 * top tier) has no node left (it once put them all on the top tier and
 * called it DRAM).
 */
TEST_F(nodes, all_nodes_overridden_to_pmem)
{
	struct resmap_node n[MAX_NODES];
	struct resmap_nodes a;
	char val[256];
	int len = 0;

	for (int i = 0; i < MAX_NODES && len < 200; i++)
		if (self->has_memory[i])
			len += snprintf(val + len, sizeof(val) - len, "%s%d:pmem",
					len ? "," : "", i);
	ASSERT_EQ(0, put_param(val)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	for (unsigned int i = 0; i < a.count; i++) {
		EXPECT_EQ(RESMAP_TIER_PMEM, n[i].tier) TH_LOG("node %u", n[i].node);
	}
	ASSERT_EQ(0, put_param("\n"));
	ASSERT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
	EXPECT_EQ(RESMAP_TIER_DRAM, n[0].tier);
}

TEST_F(nodes, bad_arguments)
{
	struct resmap_node n[MAX_NODES];
	struct resmap_nodes a;

	memset(&a, 0, sizeof(a));
	a.flags = RESMAP_NODES_RANKS << 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_NODES, &a));
	EXPECT_EQ(EINVAL, errno);
	memset(&a, 0, sizeof(a));
	a.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_NODES, &a));
	EXPECT_EQ(EINVAL, errno);
	memset(&a, 0, sizeof(a));
	a.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_NODES, &a));
	EXPECT_EQ(EINVAL, errno);
	/* Room claimed without an array; an array at a bad address. */
	EXPECT_EQ(-1, nodes_cmd(self->fd, NULL, 4, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, nodes_cmd(self->fd, (void *)8, 4, &a));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_NODES, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, nodes_cmd(self->fd, n, MAX_NODES, &a));
}

TEST_HARNESS_MAIN
