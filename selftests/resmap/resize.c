// SPDX-License-Identifier: GPL-2.0
/*
 * RESMAP_IOC_RESIZE: an extent grows into the rest of its reservation and
 * past its end into free address space, never moving and never taking
 * what is mapped after it (ENOSPC, nothing changed); shrinking frees the
 * pages.
 */
#include <fcntl.h>
#include <signal.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

FIXTURE(rsz) {
	int fd;
	long pg;
};

FIXTURE_SETUP(rsz)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(rsz)
{
	close(self->fd);
}

TEST_F(rsz, grow_and_shrink_inside_reservation)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 64 * pg, 0, NULL);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 4 * pg, 0));
	memset(p, 'a', 4 * pg);
	ASSERT_EQ(0, resize_cmd(self->fd, p, 4 * pg, 48 * pg, 0));
	EXPECT_EQ('a', p[4 * pg - 1]);
	for (long i = 4 * pg; i < 48 * pg; i += 512)
		ASSERT_EQ(0, p[i]);
	memset(p + 4 * pg, 'b', 44 * pg);
	EXPECT_EQ(SIGSEGV, touch_signal(p + 48 * pg, 0));

	/* Shrinking frees the tail; the address space stays reserved. */
	EXPECT_EQ(48, resident(p, 64 * pg));
	ASSERT_EQ(0, resize_cmd(self->fd, p, 48 * pg, 8 * pg, 0));
	EXPECT_EQ(8, resident(p, 64 * pg));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 8 * pg, 0));
	EXPECT_EQ('b', p[8 * pg - 1]);
	EXPECT_EQ('a', p[0]);
	/* Growing again yields zeroes, populated now if asked. */
	ASSERT_EQ(0, resize_cmd(self->fd, p, 8 * pg, 64 * pg,
				RESMAP_RESIZE_POPULATE));
	EXPECT_EQ(64, resident(p, 64 * pg));
	for (long i = 8 * pg; i < 64 * pg; i += 256)
		ASSERT_EQ(0, p[i]);
	/* Same length: nothing to do. */
	EXPECT_EQ(0, resize_cmd(self->fd, p, 64 * pg, 64 * pg, 0));
	EXPECT_EQ(0, munmap(p, 64 * pg));
}

TEST_F(rsz, grow_past_end_in_place)
{
	long pg = self->pg;
	char *h = free_range(64 * pg), *p;
	struct resmap_counters c0, c1;
	char line[512];

	ASSERT_NE(NULL, h);
	p = reserve(self->fd, 4 * pg, 0, h);
	ASSERT_EQ(h, p);
	c0 = resmap_counters();
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 4 * pg, 0));
	memset(p, 'x', 4 * pg);
	ASSERT_EQ(0, resize_cmd(self->fd, p, 4 * pg, 32 * pg, 0));
	/* The same address; the reservation now reaches further. */
	maps_line(p + 4 * pg, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, RESMAP_MAPS_NAME)) TH_LOG("maps: %s", line);
	c1 = resmap_counters();
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas + 1, c1.vmas);
	EXPECT_EQ('x', p[4 * pg - 1]);
	EXPECT_EQ(0, p[4 * pg]);
	memset(p + 4 * pg, 'y', 28 * pg);
	EXPECT_EQ(SIGSEGV, touch_signal(p + 32 * pg, 0));
	/* The extension is the same reservation: it grows again, shrinks. */
	ASSERT_EQ(0, resize_cmd(self->fd, p, 32 * pg, 40 * pg, 0));
	ASSERT_EQ(0, resize_cmd(self->fd, p, 40 * pg, 2 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 2 * pg, 0));
	EXPECT_EQ('x', p[pg]);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, 40 * pg, 0));
	maps_line(p + 4 * pg, line, sizeof(line));
	EXPECT_STREQ("", line);
}

TEST_F(rsz, grow_blocked_is_enospc_and_changes_nothing)
{
	long pg = self->pg;
	char *h = free_range(16 * pg), *p, *m, line[512];
	struct resmap_counters c0, c1;

	ASSERT_NE(NULL, h);
	p = reserve(self->fd, 4 * pg, 0, h);
	ASSERT_EQ(h, p);
	m = mmap(h + 8 * pg, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(h + 8 * pg, m);
	m[0] = 42;
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 2 * pg, 0));
	p[0] = 7;
	c0 = resmap_counters();

	EXPECT_EQ(-1, resize_cmd(self->fd, p, 2 * pg, 12 * pg, 0));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, 2 * pg, 9 * pg,
				 RESMAP_RESIZE_POPULATE));
	EXPECT_EQ(ENOSPC, errno);
	/* Nothing changed: not committed, not extended, neighbour intact. */
	c1 = resmap_counters();
	EXPECT_EQ(c0.vmas, c1.vmas);
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
	EXPECT_EQ(SIGSEGV, touch_signal(p + 2 * pg, 0));
	maps_line(p + 4 * pg, line, sizeof(line));
	EXPECT_STREQ("", line);
	EXPECT_EQ(7, p[0]);
	EXPECT_EQ(42, m[0]);

	/* Up to the neighbour exactly is in place, so it works. */
	ASSERT_EQ(0, resize_cmd(self->fd, p, 2 * pg, 8 * pg, 0));
	p[8 * pg - 1] = 1;
	EXPECT_EQ(42, m[0]);
	EXPECT_EQ(0, munmap(p, 8 * pg));
	EXPECT_EQ(0, munmap(m, pg));
}

TEST_F(rsz, never_grows_into_another_reservation)
{
	long pg = self->pg;
	char *h = free_range(16 * pg), *a, *b;

	ASSERT_NE(NULL, h);
	a = reserve(self->fd, 4 * pg, 0, h);
	b = reserve(self->fd, 4 * pg, 0, h + 4 * pg);
	ASSERT_EQ(h, a);
	ASSERT_EQ(h + 4 * pg, b);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a, 4 * pg, 0));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, b, pg, 0));
	b[0] = 'B';
	EXPECT_EQ(-1, resize_cmd(self->fd, a, 4 * pg, 6 * pg, 0));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ('B', b[0]);
	EXPECT_EQ(SIGSEGV, touch_signal(b + pg, 0));
	/* Nor can an extent span two reservations. */
	EXPECT_EQ(-1, resize_cmd(self->fd, a, 5 * pg, 6 * pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, munmap(h, 8 * pg));
}

TEST_F(rsz, resize_bad_arguments)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 8 * pg, 0, NULL);
	char *anon = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct resmap_resize r;

	ASSERT_NE(NULL, p);
	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, 0, pg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, pg, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p + 1, pg, 2 * pg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, pg + 1, 2 * pg, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, pg, 2 * pg - 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, pg, 2 * pg, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, p, -pg, pg, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Growth past the end of the address space: never in place. */
	EXPECT_EQ(-1, resize_cmd(self->fd, p, pg, -pg, 0));
	EXPECT_EQ(ENOSPC, errno);
	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)p;
	r.old_len = pg;
	r.new_len = 2 * pg;
	r.reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.reserved[2] = 0;
	r.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	/* Not in a reservation: ENXIO, the anonymous memory untouched. */
	anon[0] = 3;
	EXPECT_EQ(-1, resize_cmd(self->fd, anon, pg, 2 * pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, resize_cmd(self->fd, anon, 2 * pg, pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(3, anon[0]);
	EXPECT_EQ(0, anon[pg]);
	/* An old extent longer than its reservation. */
	EXPECT_EQ(-1, resize_cmd(self->fd, p, 12 * pg, 13 * pg, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	EXPECT_EQ(0, munmap(p, 8 * pg));
	EXPECT_EQ(0, munmap(anon, 4 * pg));
}

TEST_HARNESS_MAIN
