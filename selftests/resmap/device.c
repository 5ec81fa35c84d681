// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/resmap: the module is live, the device node is a world-usable misc
 * device, and RESMAP_IOC_VERSION follows the ABI rules every command
 * shares (size in the ioctl number, unknown flags and reserved fields
 * rejected, newer larger structs accepted only when their tail is zero).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"

#define RESMAP_IOC_VERSION_SIZED(size) \
	_IOC(_IOC_READ | _IOC_WRITE, RESMAP_IOC_MAGIC, 0, size)

TEST(module_live)
{
	char state[32] = "";
	FILE *f = fopen("/sys/module/resmap/initstate", "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(state, sizeof(state), f));
	fclose(f);
	EXPECT_STREQ("live\n", state);
}

TEST(device_node)
{
	unsigned int major, minor;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat(RESMAP_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
	f = fopen("/sys/class/misc/resmap/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &major, &minor));
	fclose(f);
	EXPECT_EQ(major, major(st.st_rdev));
	EXPECT_EQ(minor, minor(st.st_rdev));
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", RESMAP_DEVICE,
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version)
{
	struct resmap_version v;

	memset(&v, 0, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, RESMAP_IOC_VERSION, &v));
	EXPECT_EQ(RESMAP_ABI_VERSION, v.abi_version);
	EXPECT_EQ(RESMAP_FEAT_VERSION | RESMAP_FEAT_RESERVE | RESMAP_FEAT_RESIZE |
		  RESMAP_FEAT_FORK_MODES | RESMAP_FEAT_NODES | RESMAP_FEAT_BATCH |
		  RESMAP_FEAT_MOVE | RESMAP_FEAT_URING_CMD |
		  RESMAP_FEAT_TIER_RANKS,
		  v.features);
	EXPECT_EQ(0, v.flags);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, v.reserved[i]);
	/* The answer can be passed back in unchanged. */
	EXPECT_EQ(0, ioctl(self->fd, RESMAP_IOC_VERSION, &v));
}

TEST_F(dev, version_read_only_open)
{
	struct resmap_version v;
	int fd = open(RESMAP_DEVICE, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	memset(&v, 0, sizeof(v));
	EXPECT_EQ(0, ioctl(fd, RESMAP_IOC_VERSION, &v));
	EXPECT_EQ(RESMAP_ABI_VERSION, v.abi_version);
	close(fd);
}

TEST_F(dev, unknown_flags_and_reserved_rejected)
{
	struct resmap_version v;

	for (int bit = 0; bit < 32; bit++) {
		memset(&v, 0, sizeof(v));
		v.flags = 1u << bit;
		EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, v.abi_version);	/* nothing written back */
	}
	for (int i = 0; i < 4; i++) {
		memset(&v, 0, sizeof(v));
		v.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno);
	}
}

/* A newer caller's larger struct: fine while the unknown tail is zero. */
TEST_F(dev, larger_struct)
{
	struct {
		struct resmap_version v;
		__u64 future[2];
	} big;

	memset(&big, 0, sizeof(big));
	ASSERT_EQ(0, ioctl(self->fd, RESMAP_IOC_VERSION_SIZED(sizeof(big)),
			   &big));
	EXPECT_EQ(RESMAP_ABI_VERSION, big.v.abi_version);
	EXPECT_EQ(0, big.future[0]);
	EXPECT_EQ(0, big.future[1]);

	memset(&big, 0, sizeof(big));
	big.future[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION_SIZED(sizeof(big)),
			    &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, big.v.abi_version);
}

TEST_F(dev, smaller_struct_rejected)
{
	struct resmap_version v;

	memset(&v, 0, sizeof(v));
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION_SIZED(8), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION_SIZED(0), &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, bad_pointers)
{
	long page = sysconf(_SC_PAGESIZE);
	void *none;

	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, none));
	EXPECT_EQ(EFAULT, errno);
	/* Readable but not writable: the result cannot be returned. */
	ASSERT_EQ(0, mprotect(none, page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_VERSION, none));
	EXPECT_EQ(EFAULT, errno);
	munmap(none, page);
}

TEST_F(dev, unknown_commands)
{
	struct resmap_version v;

	memset(&v, 0, sizeof(v));
	/* Unused number, wrong direction, wrong type: not ours. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(RESMAP_IOC_MAGIC, 0x7f,
					    struct resmap_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(RESMAP_IOC_MAGIC, 0,
					   struct resmap_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR('x', 0, struct resmap_version),
			    &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TCGETS, &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
