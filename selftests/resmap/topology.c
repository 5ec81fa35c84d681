// SPDX-License-Identifier: GPL-2.0
/*
 * The test bed's topology, as the kernel sees it: two DRAM nodes with a
 * CPU each and a CPU-less node whose memory came from an NVDIMM through
 * the dax kmem driver (how pmem and CXL tiers appear on Linux).  Later
 * tests rely on this; if it is wrong, say so here first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"

TEST(nodes)
{
	char buf[256];

	ASSERT_EQ(0, read_line(NODE_SYS "/online", buf, sizeof(buf)));
	EXPECT_STREQ("0-2", buf);
	ASSERT_EQ(0, read_line(NODE_SYS "/has_cpu", buf, sizeof(buf)));
	EXPECT_STREQ("0-1", buf);
	ASSERT_EQ(0, read_line(NODE_SYS "/has_memory", buf, sizeof(buf)));
	EXPECT_STREQ("0-2", buf);
}

TEST(pmem_node_is_cpuless_with_memory)
{
	char buf[256] = "";

	/* An empty cpulist reads as a bare newline. */
	ASSERT_EQ(0, read_line(NODE_SYS "/node2/cpulist", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	/* 1 GiB NVDIMM: whole 128 MiB blocks after the devdax info block. */
	EXPECT_LE(512L * 1024, node_meminfo_kib(2, "MemTotal"));
	EXPECT_GE(1024L * 1024, node_meminfo_kib(2, "MemTotal"));
}

TEST(pmem_node_comes_from_dax_kmem)
{
	char target[256];
	ssize_t n;

	n = readlink("/sys/bus/dax/devices/dax0.0/driver", target,
		     sizeof(target) - 1);
	ASSERT_LT(0, n);
	target[n] = 0;
	EXPECT_STREQ("kmem", strrchr(target, '/') + 1);
	ASSERT_EQ(0, read_line("/sys/bus/dax/devices/dax0.0/target_node",
			       target, sizeof(target)));
	EXPECT_STREQ("2", target);
}

TEST(distances)
{
	char buf[256];

	ASSERT_EQ(0, read_line(NODE_SYS "/node0/distance", buf, sizeof(buf)));
	EXPECT_STREQ("10 20 30", buf);
	ASSERT_EQ(0, read_line(NODE_SYS "/node1/distance", buf, sizeof(buf)));
	EXPECT_STREQ("20 10 30", buf);
	ASSERT_EQ(0, read_line(NODE_SYS "/node2/distance", buf, sizeof(buf)));
	EXPECT_STREQ("30 30 10", buf);
}

/* HMAT: the pmem node is slower than DRAM from CPU 0's node. */
TEST(hmat_pmem_slower)
{
	char dram[64], pmem[64];

	if (read_line(NODE_SYS "/node0/access0/initiators/read_latency",
		      dram, sizeof(dram)))
		SKIP(return, "no HMAT access attributes");
	ASSERT_EQ(0, read_line(NODE_SYS "/node2/access1/initiators/read_latency",
			       pmem, sizeof(pmem)));
	EXPECT_LT(atol(dram), atol(pmem));
}

TEST_HARNESS_MAIN
