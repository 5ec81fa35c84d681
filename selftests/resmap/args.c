// SPDX-License-Identifier: GPL-2.0
/*
 * How commands take their arguments (Documentation/userspace-api/resmap.rst,
 * "Rules every command follows"), and the edges an adversarial review of
 * the command table found:
 *  - a command whose struct has no outputs never writes it, so it works
 *    from read-only memory; one with outputs fails with EFAULT before it
 *    changes anything when its struct cannot be written;
 *  - BATCH checks that its results can be written before anything runs;
 *  - operations on MREMAP_DONTUNMAP aliases that name the same pages: all
 *    but the first listed fail with EINVAL, instead of one silently
 *    undoing the other;
 *  - every reservation mapping has an inode of its own;
 *  - a MOVE covers at most 2^32 - 1 pages, so @moved cannot overflow.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

FIXTURE(args) {
	int fd;
	long pg;
};

FIXTURE_SETUP(args)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(args)
{
	close(self->fd);
}

/* A page holding @len bytes of @src, then made read-only. */
static void *read_only_copy(const void *src, size_t len, long pg)
{
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, pg, PROT_READ)) {
		munmap(p, pg);
		return NULL;
	}
	return p;
}

/* COMMIT, DECOMMIT and RESIZE have no outputs: read-only structs work. */
TEST_F(args, input_only_commands_take_read_only_structs)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 8 * pg, 0, NULL);
	struct resmap_range r = { .len = 2 * pg };
	struct resmap_resize z = { .old_len = 2 * pg, .new_len = 4 * pg };
	void *ro;

	ASSERT_NE(NULL, p);
	r.addr = (unsigned long)p;
	z.addr = (unsigned long)p;
	ro = read_only_copy(&r, sizeof(r), pg);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(0, ioctl(self->fd, RESMAP_IOC_COMMIT, ro));
	p[pg] = 'x';
	EXPECT_EQ(0, ioctl(self->fd, RESMAP_IOC_DECOMMIT, ro));
	EXPECT_EQ(SIGSEGV, touch_signal(p + pg, 0));
	munmap(ro, pg);

	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 2 * pg, 0));
	ro = read_only_copy(&z, sizeof(z), pg);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(0, ioctl(self->fd, RESMAP_IOC_RESIZE, ro));
	p[3 * pg] = 'y';
	munmap(ro, pg);
	EXPECT_EQ(0, munmap(p, 8 * pg));
}

/* RESERVE with a read-only struct: EFAULT, and no reservation made. */
TEST_F(args, reserve_into_read_only_struct_changes_nothing)
{
	struct resmap_reserve r = { .len = 4 * self->pg };
	struct resmap_counters c0 = resmap_counters(), c1;
	void *ro = read_only_copy(&r, sizeof(r), self->pg);

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_RESERVE, ro));
	EXPECT_EQ(EFAULT, errno);
	c1 = resmap_counters();
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas, c1.vmas);
	munmap(ro, self->pg);
}

/* BATCH whose ops cannot be written: EFAULT with nothing run. */
TEST_F(args, batch_with_read_only_ops_runs_nothing)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 4 * pg, 0, NULL);
	struct resmap_op op = { .len = 2 * pg, .op = RESMAP_OP_COMMIT };
	struct resmap_batch b = { .count = 1 };
	void *ro;

	ASSERT_NE(NULL, p);
	op.addr = (unsigned long)p;
	ro = read_only_copy(&op, sizeof(op), pg);
	ASSERT_NE(NULL, ro);
	b.ops = (unsigned long)ro;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 1));
	munmap(ro, pg);
	EXPECT_EQ(0, munmap(p, 4 * pg));
}

/* Two reservation mappings never share an inode (nor its i_mmap). */
TEST_F(args, each_mapping_has_its_own_inode)
{
	long pg = self->pg;
	char *a = reserve(self->fd, 4 * pg, 0, NULL);
	char *b = reserve(self->fd, 4 * pg, 0, NULL);
	char la[512], lb[512];
	unsigned long ia = 0, ib = 0;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	maps_line(a, la, sizeof(la));
	maps_line(b, lb, sizeof(lb));
	ASSERT_EQ(1, sscanf(la, "%*s %*s %*s %*s %lu", &ia)) TH_LOG("%s", la);
	ASSERT_EQ(1, sscanf(lb, "%*s %*s %*s %*s %lu", &ib)) TH_LOG("%s", lb);
	EXPECT_NE(0, ia);
	EXPECT_NE(ia, ib);
	EXPECT_NE(NULL, strstr(la, RESMAP_MAPS_NAME));
	munmap(a, 4 * pg);
	munmap(b, 4 * pg);
}

/* A MOVE over more than 2^32 - 1 pages is refused before it runs. */
TEST_F(args, move_longer_than_its_counter_is_einval)
{
	struct resmap_op op = {
		.len = (1ULL << 32) * self->pg, .op = RESMAP_OP_MOVE,
		.place = RESMAP_PLACE_STRICT,
	};
	struct resmap_batch b = { .count = 1, .ops = (unsigned long)&op };

	/* Low, so that the range itself is valid: only its length is not. */
	op.addr = 1UL << 30;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, op.result);
}

/*
 * A page committed and written, its VMA aliased with MREMAP_DONTUNMAP; one
 * batch COMMITs it through one alias and DECOMMITs it through the other.
 * The addresses differ, the pages do not: the second operation fails with
 * EINVAL and the first is done, never a success that did nothing.
 */
TEST_F(args, batch_on_aliases_of_one_page_fails_the_later)
{
	long pg = self->pg;
	char *a = reserve(self->fd, pg, 0, NULL), *b;
	struct resmap_op ops[2] = {
		{ .len = pg, .op = RESMAP_OP_COMMIT },
		{ .len = pg, .op = RESMAP_OP_DECOMMIT },
	};
	struct resmap_batch bt = { .count = 2, .ops = (unsigned long)ops };

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, a, pg, 0));
	a[0] = 'A';
	b = mremap(a, pg, pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	if (b == MAP_FAILED)
		SKIP(munmap(a, pg); return, "MREMAP_DONTUNMAP: %s",
		     strerror(errno));
	ops[0].addr = (unsigned long)b;
	ops[1].addr = (unsigned long)a;
	EXPECT_EQ(-1, ioctl(self->fd, RESMAP_IOC_BATCH, &bt));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-EINVAL, ops[1].result);
	EXPECT_EQ(1, bt.done);
	/* Still committed, through both: the decommit did not happen. */
	EXPECT_EQ(0, touch_signal(a, 0));
	EXPECT_EQ(0, touch_signal(b, 1));
	EXPECT_EQ('A', b[0]);
	munmap(a, pg);
	munmap(b, pg);
}

TEST_HARNESS_MAIN
