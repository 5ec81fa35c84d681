// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header's ABI: every struct's size and field offsets are the
 * published ones, identical in C and C++, and every ioctl number encodes
 * its struct's size (the kernel reads the caller's size from it).
 */
#include <stddef.h>
#include <string.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "uapi_layout.h"

extern const struct uapi_layout_row cxx_layout[];

#define ASSERT_STRUCT(s, size) \
	_Static_assert(sizeof(struct s) == size, #s " size");
#define ASSERT_FIELD(s, f, off, size) \
	_Static_assert(offsetof(struct s, f) == off, #s "." #f " offset"); \
	_Static_assert(sizeof(((struct s *)0)->f) == size, #s "." #f " size");
RESMAP_UAPI_STRUCTS(ASSERT_STRUCT)
RESMAP_UAPI_FIELDS(ASSERT_FIELD)

#define ROW_STRUCT(s, size) { #s, size, sizeof(struct s) },
#define ROW_FIELD(s, f, off, size) { #s "." #f, off, offsetof(struct s, f) },

static const struct uapi_layout_row c_layout[] = {
	RESMAP_UAPI_STRUCTS(ROW_STRUCT)
	RESMAP_UAPI_FIELDS(ROW_FIELD)
	{ NULL, 0, 0 }
};

TEST(c_and_cxx_agree)
{
	int i;

	for (i = 0; c_layout[i].name; i++) {
		ASSERT_NE(NULL, cxx_layout[i].name);
		ASSERT_STREQ(c_layout[i].name, cxx_layout[i].name);
		EXPECT_EQ(c_layout[i].expected, c_layout[i].actual)
			TH_LOG("C: %s", c_layout[i].name);
		EXPECT_EQ(cxx_layout[i].expected, cxx_layout[i].actual)
			TH_LOG("C++: %s", cxx_layout[i].name);
	}
	ASSERT_EQ(NULL, cxx_layout[i].name);
}

/* Every u64 is naturally aligned so 32-bit callers share the layout. */
TEST(natural_alignment)
{
	EXPECT_EQ(0, sizeof(struct resmap_version) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_version, features) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_version, reserved) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_reserve) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_reserve, reserved) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_range) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_range, reserved) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_resize) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_resize, reserved) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_node) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_node, total_pages) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_nodes) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_nodes, reserved) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_op) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_op, nodes) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_batch) % 8);
	EXPECT_EQ(0, sizeof(struct resmap_residency) % 8);
	EXPECT_EQ(0, offsetof(struct resmap_residency, resident) % 8);
}

/* Published numbers and sizes: changing one breaks every old binary. */
#define CHECK_IOC(cmd, nr, type, size0)					\
	do {								\
		EXPECT_EQ(RESMAP_IOC_MAGIC, _IOC_TYPE(cmd));		\
		EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(cmd));	\
		EXPECT_EQ(nr, _IOC_NR(cmd));				\
		EXPECT_EQ(sizeof(struct type), _IOC_SIZE(cmd));		\
		EXPECT_EQ(size0, _IOC_SIZE(cmd));			\
	} while (0)

TEST(ioctl_numbers)
{
	CHECK_IOC(RESMAP_IOC_VERSION, 0, resmap_version,
		  RESMAP_VERSION_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_RESERVE, 1, resmap_reserve,
		  RESMAP_RESERVE_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_COMMIT, 2, resmap_range, RESMAP_RANGE_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_DECOMMIT, 3, resmap_range, RESMAP_RANGE_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_RELEASE, 4, resmap_range, RESMAP_RANGE_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_RESIZE, 5, resmap_resize,
		  RESMAP_RESIZE_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_NODES, 6, resmap_nodes, RESMAP_NODES_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_BATCH, 7, resmap_batch, RESMAP_BATCH_SIZE_VER0);
	CHECK_IOC(RESMAP_IOC_RESIDENCY, 8, resmap_residency,
		  RESMAP_RESIDENCY_SIZE_VER0);
}

TEST(flag_values)
{
	EXPECT_EQ(1ULL << 0, RESMAP_FEAT_VERSION);
	EXPECT_EQ(1ULL << 1, RESMAP_FEAT_RESERVE);
	EXPECT_EQ(1ULL << 2, RESMAP_FEAT_RESIZE);
	EXPECT_EQ(1ULL << 3, RESMAP_FEAT_FORK_MODES);
	EXPECT_EQ(1UL << 0, RESMAP_COMMIT_POPULATE);
	EXPECT_EQ(1UL << 0, RESMAP_RESERVE_FORK_SHARE);
	EXPECT_EQ(1UL << 1, RESMAP_RESERVE_FORK_DROP);
	EXPECT_EQ(1UL << 2, RESMAP_RESERVE_FORK_ZERO);
	EXPECT_EQ(1UL << 0, RESMAP_RESIZE_POPULATE);
	EXPECT_EQ(1ULL << 4, RESMAP_FEAT_NODES);
	EXPECT_EQ(1, RESMAP_TIER_DRAM);
	EXPECT_EQ(2, RESMAP_TIER_PMEM);
	EXPECT_EQ(1UL << 0, RESMAP_NODE_HAS_CPU);
	EXPECT_EQ(1ULL << 5, RESMAP_FEAT_BATCH);
	EXPECT_EQ(1, RESMAP_OP_COMMIT);
	EXPECT_EQ(2, RESMAP_OP_DECOMMIT);
	EXPECT_EQ(3, RESMAP_OP_POPULATE);
	EXPECT_EQ(4, RESMAP_OP_MOVE);
	EXPECT_EQ(1ULL << 6, RESMAP_FEAT_MOVE);
	EXPECT_EQ(1ULL << 7, RESMAP_FEAT_URING_CMD);
	EXPECT_EQ(1ULL << 8, RESMAP_FEAT_TIER_RANKS);
	EXPECT_EQ(0x100, RESMAP_TIER_RANK_BASE);
	EXPECT_EQ(0x103, RESMAP_TIER_RANK(3));
	EXPECT_EQ(255, RESMAP_TIER_RANK_MAX);
	EXPECT_EQ(1UL << 0, RESMAP_NODES_RANKS);
	EXPECT_EQ(1UL << 0, RESMAP_OP_F_POPULATE);
	EXPECT_EQ(0, RESMAP_PLACE_DEFAULT);
	EXPECT_EQ(1, RESMAP_PLACE_STRICT);
	EXPECT_EQ(2, RESMAP_PLACE_PREFERRED);
	EXPECT_EQ(3, RESMAP_PLACE_INTERLEAVE);
	EXPECT_EQ(4, RESMAP_PLACE_TIER);
	EXPECT_EQ(1UL << 0, RESMAP_BATCH_ALL_OR_NOTHING);
	EXPECT_EQ(65536, RESMAP_BATCH_MAX);
	EXPECT_EQ(1ULL << 40, RESMAP_MAX_ALIGN);
}

TEST_HARNESS_MAIN
