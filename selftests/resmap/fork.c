// SPDX-License-Identifier: GPL-2.0
/*
 * Fork modes: what a child gets of each reservation.  COPY (default) is
 * malloc's semantics, SHARE shares the pages both ways, DROP leaves the
 * child nothing mapped, ZERO leaves it the reservation with zeroed pages.
 */
#include <fcntl.h>
#include <signal.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

FIXTURE(frk) {
	int fd;
	long pg;
	size_t len;
};

FIXTURE_SETUP(frk)
{
	self->pg = page_size();
	self->len = 8 * self->pg;
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(frk)
{
	close(self->fd);
}

/* Run @child in a child process; its exit status (or 128 + signal). */
#define IN_CHILD(child) ({						\
	int __status;							\
	pid_t __pid = fork();						\
	if (__pid == 0)							\
		_exit(child);						\
	waitpid(__pid, &__status, 0);					\
	WIFEXITED(__status) ? WEXITSTATUS(__status) :			\
			      128 + WTERMSIG(__status);			\
})

/* The page offsets [0, 4) hold 'P'; [4, 8) are committed and zero. */
static char *parent_setup(struct __test_metadata *_metadata,
			  FIXTURE_DATA(frk) * self, unsigned int mode)
{
	/* With free space after it, so that it can grow in place. */
	char *h = free_range(2 * self->len);
	char *p = reserve_flags(self->fd, self->len, 0, h, mode);

	EXPECT_NE(NULL, p) TH_LOG("reserve mode %u: %s", mode,
				  strerror(errno));
	if (!p)
		return NULL;
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, self->len, 0));
	memset(p, 'P', 4 * self->pg);
	return p;
}

TEST_F(frk, copy_is_private_both_ways)
{
	char *p = parent_setup(_metadata, self, 0);
	long pg = self->pg;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, IN_CHILD(({
		int bad = p[0] != 'P' || p[5 * pg] != 0;

		memset(p, 'C', self->len);
		/* The child's decommit does not reach the parent. */
		bad |= range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p, self->len, 0);
		bad;
	})));
	EXPECT_EQ('P', p[0]);
	EXPECT_EQ('P', p[4 * pg - 1]);
	EXPECT_EQ(0, p[5 * pg]);
	/* A later child copies what the parent has now. */
	p[0] = 'Q';
	EXPECT_EQ(0, IN_CHILD(p[0] != 'Q'));
	EXPECT_EQ(0, munmap(p, self->len));
}

TEST_F(frk, share_is_shared_both_ways)
{
	char *p = parent_setup(_metadata, self, RESMAP_RESERVE_FORK_SHARE);
	long pg = self->pg;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, IN_CHILD(({
		int bad = p[0] != 'P' || p[5 * pg] != 0;

		memset(p + 4 * pg, 'C', 4 * pg);
		p[0] = 'c';
		bad;
	})));
	EXPECT_EQ('c', p[0]);
	EXPECT_EQ('C', p[4 * pg]);
	EXPECT_EQ('C', p[8 * pg - 1]);
	/* Uncommitted stays uncommitted; a decommit frees it for both. */
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p + 4 * pg,
			       4 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 4 * pg, 0));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 4 * pg,
			       4 * pg, RESMAP_COMMIT_POPULATE));
	EXPECT_EQ(0, p[4 * pg]);
	/* Growth in place, past the reservation's end too, keeps sharing. */
	ASSERT_EQ(0, resize_cmd(self->fd, p, 4 * pg, 12 * pg, 0));
	EXPECT_EQ(0, IN_CHILD(({ p[7 * pg] = 'G'; p[11 * pg] = 'H'; 0; })));
	EXPECT_EQ('G', p[7 * pg]);
	EXPECT_EQ('H', p[11 * pg]);
	EXPECT_EQ(0, munmap(p, 12 * pg));
}

TEST_F(frk, drop_leaves_child_nothing)
{
	char *p = parent_setup(_metadata, self, RESMAP_RESERVE_FORK_DROP);
	char *h;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(128 + SIGSEGV, IN_CHILD(p[0] == 'P' ? 1 : 2));
	/* In the child the range is free address space. */
	EXPECT_EQ(0, IN_CHILD(({
		h = mmap(p, self->len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED_NOREPLACE, -1, 0);
		h != p;
	})));
	EXPECT_EQ('P', p[0]);
	EXPECT_EQ(0, munmap(p, self->len));
}

TEST_F(frk, zero_keeps_reservation_zeroed)
{
	char *p = parent_setup(_metadata, self, RESMAP_RESERVE_FORK_ZERO);
	long pg = self->pg;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p + 6 * pg,
			       2 * pg, 0));
	EXPECT_EQ(0, IN_CHILD(({
		int bad = p[0] != 0 || p[4 * pg - 1] != 0;

		/* Still committed where the parent had committed. */
		memset(p, 'C', 6 * pg);
		bad;
	})));
	EXPECT_EQ(128 + SIGSEGV, IN_CHILD(p[6 * pg]));
	EXPECT_EQ('P', p[0]);
	EXPECT_EQ(0, p[5 * pg]);
	EXPECT_EQ(0, munmap(p, self->len));
}

TEST_HARNESS_MAIN
