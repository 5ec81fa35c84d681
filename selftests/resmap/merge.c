// SPDX-License-Identifier: GPL-2.0
/*
 * VMA merging: on 6.12 (not 6.1) the core may merge or move the boundary of
 * VMAs that have a ->close hook, as long as none is freed, so two
 * reservation VMAs with the same file, flags and adjoining offsets can
 * become one.  A merge must never join two reservations (a new one would
 * inherit its neighbour's committed pages, or be freed without ->close),
 * and moving a boundary between two VMAs of one reservation must never
 * change which of its pages are committed.
 *
 * Each case builds the adjoining VMAs that invite a merge (by mmap,
 * mprotect or mremap), in every fork mode.  6.1 never merges such VMAs,
 * so there the cases pass with or without the fix; on 6.12 they failed
 * before it.
 */
#include <fcntl.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

/* The number of lines of /proc/self/maps inside [p, p + len). */
static int vmas_in(char *p, size_t len)
{
	unsigned long lo, hi, s = (unsigned long)p, e = s + len;
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < e && hi > s)
			n++;
	if (f)
		fclose(f);
	return n;
}

/* 8 pages reserved, split by a read-only third page into three VMAs. */
static char *split_in_three(int fd, long pg, unsigned int flags)
{
	char *a = reserve_flags(fd, 8 * pg, 0, NULL, flags);

	if (a && mprotect(a + 2 * pg, pg, PROT_READ)) {
		munmap(a, 8 * pg);
		return NULL;
	}
	return a;
}

FIXTURE(merge) {
	int fd;
	long pg;
	struct resmap_counters c0;
};

FIXTURE_VARIANT(merge) {
	unsigned int flags;
};

FIXTURE_VARIANT_ADD(merge, copy) { .flags = 0 };
FIXTURE_VARIANT_ADD(merge, share) { .flags = RESMAP_RESERVE_FORK_SHARE };
FIXTURE_VARIANT_ADD(merge, drop) { .flags = RESMAP_RESERVE_FORK_DROP };
FIXTURE_VARIANT_ADD(merge, zero) { .flags = RESMAP_RESERVE_FORK_ZERO };

FIXTURE_SETUP(merge)
{
	self->pg = page_size();
	self->c0 = resmap_counters();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(merge)
{
	struct resmap_counters c1;

	close(self->fd);
	c1 = resmap_counters();
	EXPECT_EQ(self->c0.reservations, c1.reservations);
	EXPECT_EQ(self->c0.vmas, c1.vmas);
	EXPECT_EQ(self->c0.committed_pages, c1.committed_pages);
	EXPECT_EQ(self->c0.files, c1.files);
}

/*
 * A reservation of 4 pages loses its first page; a new one-page
 * reservation there adjoins the rest, which holds offsets 1-3 of the same
 * file.  The new one is its own VMA, has nothing committed, and both go
 * away without leaving anything behind (the counters, in the teardown).
 */
TEST_F(merge, new_reservation_never_joins_its_neighbour)
{
	long pg = self->pg;
	char *a, *b;

	a = reserve_flags(self->fd, 4 * pg, 0, NULL, variant->flags);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a, 4 * pg, 0));
	memset(a, 0x5a, 4 * pg);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a, pg, 0));

	b = reserve_flags(self->fd, pg, 0, a, variant->flags);
	ASSERT_EQ(a, b);
	EXPECT_EQ(2, vmas_in(a, 4 * pg));
	/* Not its neighbour's: releasing that leaves the new one alone. */
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a + pg, 3 * pg, 0));
	EXPECT_EQ(1, vmas_in(a, 4 * pg));
	if (!(variant->flags & RESMAP_RESERVE_FORK_DROP))
		EXPECT_EQ(SIGSEGV, touch_signal(b, 0));
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, b, pg, 0));
	EXPECT_EQ(0, b[0]);
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, b, pg, 0));
}

/*
 * Three VMAs of one reservation (split by mprotect), the first with its
 * pages committed: making the first one's last page read-only like the
 * middle VMA may move the boundary between them, and that page must stay
 * committed, its contents kept; the middle VMA's page must stay
 * uncommitted.
 */
TEST_F(merge, boundary_move_keeps_what_is_committed)
{
	long pg = self->pg;
	char *a = split_in_three(self->fd, pg, variant->flags);

	ASSERT_NE(NULL, a);
	ASSERT_EQ(3, vmas_in(a, 8 * pg));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a, 2 * pg, 0));
	a[0] = 7;	/* page 1 committed, but never touched */
	ASSERT_EQ(0, mprotect(a + pg, pg, PROT_READ));
	if (!(variant->flags & RESMAP_RESERVE_FORK_DROP)) {
		EXPECT_EQ(0, touch_signal(a + pg, 0));
		EXPECT_EQ(SIGSEGV, touch_signal(a + 2 * pg, 0));
	}
	EXPECT_EQ(0, a[pg]);
	EXPECT_EQ(7, a[0]);
	/* And back: the middle page may now join the first VMA. */
	ASSERT_EQ(0, mprotect(a + pg, 2 * pg, PROT_READ | PROT_WRITE));
	if (!(variant->flags & RESMAP_RESERVE_FORK_DROP)) {
		EXPECT_EQ(0, touch_signal(a + pg, 1));
		EXPECT_EQ(SIGSEGV, touch_signal(a + 2 * pg, 0));
	}
	a[pg] = 8;
	EXPECT_EQ(7, a[0]);
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a, 8 * pg, 0));
}

/*
 * The same with the two VMAs made by a commit after the split: the
 * later VMA's committed head becomes read-only like the VMA before it.
 */
TEST_F(merge, boundary_move_after_commit)
{
	long pg = self->pg;
	char *a = split_in_three(self->fd, pg, variant->flags);

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a + 3 * pg, 2 * pg, 0));
	ASSERT_EQ(0, mprotect(a + 3 * pg, pg, PROT_READ));
	if (!(variant->flags & RESMAP_RESERVE_FORK_DROP)) {
		EXPECT_EQ(0, touch_signal(a + 3 * pg, 0));
		EXPECT_EQ(0, touch_signal(a + 4 * pg, 1));
		EXPECT_EQ(SIGSEGV, touch_signal(a + 2 * pg, 0));
	}
	EXPECT_EQ(0, a[3 * pg]);
	a[4 * pg] = 9;
	EXPECT_EQ(9, a[4 * pg]);
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a, 8 * pg, 0));
}

/*
 * A piece moved away by mremap, committed there and moved back next to
 * the piece it came from: the core may merge the two again, and what the
 * moved piece had committed stays committed.
 */
TEST_F(merge, mremap_back_keeps_what_is_committed)
{
	long pg = self->pg;
	char *a, *away, *back;

	a = reserve_flags(self->fd, 8 * pg, 0, NULL, variant->flags);
	ASSERT_NE(NULL, a);
	away = free_range(4 * pg);
	ASSERT_NE(NULL, away);
	ASSERT_EQ(away, mremap(a + 4 * pg, 4 * pg, 4 * pg,
			       MREMAP_MAYMOVE | MREMAP_FIXED, away));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, away, 2 * pg, 0));
	away[0] = 5;
	back = mremap(away, 4 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED,
		      a + 4 * pg);
	ASSERT_EQ(a + 4 * pg, back);
	EXPECT_EQ(5, a[4 * pg]);
	if (!(variant->flags & RESMAP_RESERVE_FORK_DROP)) {
		EXPECT_EQ(0, touch_signal(a + 5 * pg, 0));
		EXPECT_EQ(SIGSEGV, touch_signal(a + 6 * pg, 0));
		EXPECT_EQ(SIGSEGV, touch_signal(a, 0));
	}
	EXPECT_EQ(0, a[5 * pg]);
	/* One command over both pieces, as over one. */
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a, 8 * pg, 0));
	EXPECT_EQ(5, a[4 * pg]);
	EXPECT_EQ(0, a[7 * pg]);
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a, 8 * pg, 0));
}

TEST_HARNESS_MAIN
