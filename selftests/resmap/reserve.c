// SPDX-License-Identifier: GPL-2.0
/*
 * RESMAP_IOC_RESERVE, COMMIT, DECOMMIT and RELEASE on a real kernel:
 * reserved pages fault with SIGSEGV, committed pages read as zero and keep
 * what is written, decommit gives the pages back and makes them fault
 * again, and bad arguments fail with nothing changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "nodeinfo.h"
#include "resmap_test.h"

FIXTURE(res) {
	int fd;
	long pg;
};

FIXTURE_SETUP(res)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(res)
{
	close(self->fd);
}

TEST_F(res, reserved_pages_fault)
{
	char line[512];
	char *p = reserve(self->fd, 16 * self->pg, 0, NULL);

	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (unsigned long)p % self->pg);
	maps_line(p, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, RESMAP_MAPS_NAME)) TH_LOG("maps: %s", line);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 15 * self->pg, 1));
	EXPECT_EQ(0, resident(p, 16 * self->pg));
	EXPECT_EQ(0, munmap(p, 16 * self->pg));
}

TEST_F(res, commit_on_touch_is_zeroed_and_keeps_data)
{
	char *p = reserve(self->fd, 16 * self->pg, 0, NULL);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 4 * self->pg,
			       4 * self->pg, 0));
	EXPECT_EQ(0, resident(p, 16 * self->pg));
	for (long i = 4 * self->pg; i < 8 * self->pg; i++)
		ASSERT_EQ(0, p[i]);
	memset(p + 4 * self->pg, 0xa5, 2 * self->pg);
	for (long i = 4 * self->pg; i < 6 * self->pg; i++)
		ASSERT_EQ((char)0xa5, p[i]);
	EXPECT_EQ(0, p[7 * self->pg]);
	/* Outside the committed range: still reserved only. */
	EXPECT_EQ(SIGSEGV, touch_signal(p + 3 * self->pg, 1));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 8 * self->pg, 0));
	/* Committing again keeps the contents. */
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 16 * self->pg,
			       0));
	EXPECT_EQ((char)0xa5, p[5 * self->pg]);
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, munmap(p, 16 * self->pg));
}

TEST_F(res, populate_decommit_recommit)
{
	size_t len = 64 * self->pg;
	char *p = reserve(self->fd, len, 0, NULL);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, len,
			       RESMAP_COMMIT_POPULATE));
	EXPECT_EQ(64, resident(p, len));
	memset(p, 0x5a, len);

	/* Decommit the middle: pages freed, faulting, then zero again. */
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT,
			       p + 16 * self->pg, 32 * self->pg, 0));
	EXPECT_EQ(32, resident(p, len));
	EXPECT_EQ(0, resident(p + 16 * self->pg, 32 * self->pg));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 16 * self->pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 47 * self->pg, 1));
	EXPECT_EQ(0x5a, p[15 * self->pg]);
	EXPECT_EQ(0x5a, p[48 * self->pg]);

	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 16 * self->pg,
			       32 * self->pg, 0));
	for (long i = 16 * self->pg; i < 48 * self->pg; i++)
		ASSERT_EQ(0, p[i]);
	EXPECT_EQ(0, munmap(p, len));
}

/* The nodes' free memory (MemFree + per-CPU lists) drops and comes back. */
TEST_F(res, decommit_returns_memory)
{
	size_t len = 4096 * self->pg;
	long before, populated, after, kib = len / 1024;
	char *p = reserve(self->fd, len, 0, NULL);

	ASSERT_NE(NULL, p);
	before = all_nodes_free_kib();
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, len,
			       RESMAP_COMMIT_POPULATE));
	populated = all_nodes_free_kib();
	EXPECT_EQ(4096, resident(p, len));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p, len, 0));
	after = all_nodes_free_kib();
	EXPECT_EQ(0, resident(p, len));
	EXPECT_LE(populated + kib * 9 / 10, before)
		TH_LOG("free %ld kB, committed %ld kB", before, populated);
	EXPECT_GE(after + kib / 10, before)
		TH_LOG("free %ld kB, decommitted %ld kB", before, after);
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(res, alignment)
{
	size_t aligns[] = { 2UL << 20, 1UL << 30, 64UL << 10 };

	for (unsigned int i = 0; i < 3; i++) {
		char *p = reserve(self->fd, 2UL << 20, aligns[i], NULL);

		ASSERT_NE(NULL, p) TH_LOG("align %zu: %s", aligns[i],
					  strerror(errno));
		EXPECT_EQ(0, (unsigned long)p % aligns[i]);
		ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p,
				       self->pg, 0));
		p[0] = 1;
		/* Only len is reserved: the page after it is not ours. */
		EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT,
					p + (2UL << 20), self->pg, 0));
		EXPECT_EQ(ENXIO, errno);
		EXPECT_EQ(0, munmap(p, 2UL << 20));
	}
}

TEST_F(res, hint_never_replaces)
{
	size_t len = 8 * self->pg;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	ASSERT_NE(MAP_FAILED, m);
	m[0] = 42;
	EXPECT_EQ(NULL, reserve(self->fd, len, 0, m));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(NULL, reserve(self->fd, len, 0, m + 4 * self->pg));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(42, m[0]);

	ASSERT_EQ(0, munmap(m, len));
	p = reserve(self->fd, len, 0, m);
	EXPECT_EQ(m, p);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(res, reserve_bad_arguments)
{
	struct resmap_reserve r;
	long pg = self->pg;

	EXPECT_EQ(NULL, reserve(self->fd, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, pg + 1, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, pg, 3 * pg, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, pg, pg / 2, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, pg, RESMAP_MAX_ALIGN * 2, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, pg, 2UL << 20, (void *)(1UL << 30) + pg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve(self->fd, 1UL << 62, 0, NULL));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(NULL, reserve(self->fd, 2 * pg, 0, (void *)-pg));
	EXPECT_EQ(ENOMEM, errno);

	/* Unknown flags, or two fork modes at once. */
	EXPECT_EQ(NULL, reserve_flags(self->fd, pg, 0, NULL, 1 << 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, reserve_flags(self->fd, pg, 0, NULL,
				      RESMAP_RESERVE_FORK_DROP |
				      RESMAP_RESERVE_FORK_ZERO));
	EXPECT_EQ(EINVAL, errno);
	memset(&r, 0, sizeof(r));
	r.len = pg;
	r.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_RESERVE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.pad = 0;
	r.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_RESERVE, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, r.addr);
}

TEST_F(res, range_bad_arguments)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 8 * pg, 0, NULL);
	char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct resmap_range r;

	ASSERT_NE(NULL, p);
	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 1, pg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, pg + 7, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, -pg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, pg, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p, pg,
				RESMAP_COMMIT_POPULATE));
	EXPECT_EQ(EINVAL, errno);
	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)p;
	r.len = pg;
	r.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_COMMIT, &r));
	EXPECT_EQ(EINVAL, errno);

	/* Not a reservation, or running past one: ENXIO, nothing changed. */
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, anon, pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 9 * pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_RELEASE, anon, pg, 0));
	EXPECT_EQ(ENXIO, errno);
	anon[0] = 7;
	EXPECT_EQ(7, anon[0]);
	EXPECT_EQ(0, munmap(anon, pg));
	EXPECT_EQ(0, munmap(p, 8 * pg));
}

TEST_F(res, direct_mmap_refused)
{
	void *m = mmap(NULL, self->pg, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENODEV, errno);
	m = mmap(NULL, self->pg, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
}

/* The open mode counts as for mmap(): read to reserve, write to share. */
TEST_F(res, open_mode)
{
	int ro = open(RESMAP_DEVICE, O_RDONLY | O_CLOEXEC);
	int wo = open(RESMAP_DEVICE, O_WRONLY | O_CLOEXEC);
	char *p;

	ASSERT_LE(0, ro);
	ASSERT_LE(0, wo);
	EXPECT_EQ(NULL, reserve_flags(ro, self->pg, 0, NULL,
				      RESMAP_RESERVE_FORK_SHARE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(NULL, reserve(wo, self->pg, 0, NULL));
	EXPECT_EQ(EACCES, errno);
	p = reserve(ro, self->pg, 0, NULL);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, range_cmd(ro, RESMAP_IOC_COMMIT, p, self->pg, 0));
	p[0] = 1;
	EXPECT_EQ(0, munmap(p, self->pg));
	close(wo);
	close(ro);
}

/* Nor can a reservation's own file be opened again and mapped. */
TEST_F(res, reservation_file_cannot_be_reopened)
{
	char *p = reserve(self->fd, 4 * self->pg, 0, NULL);
	char path[128];
	int fd;

	ASSERT_NE(NULL, p);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + 4 * self->pg);
	fd = open(path, O_RDWR);
	EXPECT_EQ(-1, fd);
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDONLY);
	EXPECT_EQ(-1, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, munmap(p, 4 * self->pg));
}

TEST_F(res, release_and_partial_munmap)
{
	long pg = self->pg;
	char line[512];
	char *p = reserve(self->fd, 16 * pg, 0, NULL);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 16 * pg,
			       RESMAP_COMMIT_POPULATE));
	memset(p, 1, 16 * pg);
	/* Punch a hole: the rest keeps working on both sides. */
	ASSERT_EQ(0, munmap(p + 4 * pg, 4 * pg));
	EXPECT_EQ(1, p[3 * pg]);
	EXPECT_EQ(1, p[8 * pg]);
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 16 * pg, 0));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p + 8 * pg,
			       8 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 8 * pg, 0));
	EXPECT_EQ(1, p[0]);

	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p + 8 * pg,
			       8 * pg, 0));
	maps_line(p + 8 * pg, line, sizeof(line));
	EXPECT_STREQ("", line);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, 4 * pg, 0));
	maps_line(p, line, sizeof(line));
	EXPECT_STREQ("", line);
}

TEST_HARNESS_MAIN
