// SPDX-License-Identifier: GPL-2.0
/*
 * The commands through io_uring (IORING_OP_URING_CMD with liburing): the
 * same argument structs, the same effects (checked as the ioctl tests
 * check them: pages on their node by move_pages(2)), the same result
 * codes in the CQE, many commands in flight at once.
 */
#include <fcntl.h>
#include <signal.h>
#include <liburing.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#define DEPTH 64

/* Queue command @cmd with argument @arg; @tag comes back in user_data. */
static int queue_cmd(struct io_uring *ring, int fd, unsigned int cmd,
		     void *arg, __u64 reserved, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct resmap_uring_cmd *c;

	if (!sqe)
		return -1;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd;
	sqe->user_data = tag;
	c = (struct resmap_uring_cmd *)sqe->cmd;
	c->arg = (unsigned long)arg;
	c->reserved = reserved;
	return 0;
}

/* Submit what is queued and collect @n completions: res by tag. */
static int complete(struct io_uring *ring, unsigned int n, int *res)
{
	struct io_uring_cqe *cqe;

	if (io_uring_submit(ring) < 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

/* One command, submitted and completed: the CQE's res. */
static int uring_cmd1(struct io_uring *ring, int fd, unsigned int cmd,
		      void *arg)
{
	int res[1] = { 1 };

	if (queue_cmd(ring, fd, cmd, arg, 0, 0) || complete(ring, 1, res))
		return 1;
	return res[0];
}

FIXTURE(ur) {
	int fd;
	long pg;
	int pmem;
	struct io_uring ring;
};

FIXTURE_SETUP(ur)
{
	struct resmap_node n[8];
	struct resmap_nodes a = { .nodes = (unsigned long)n, .count = 8 };
	int err;

	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	err = io_uring_queue_init(DEPTH, &self->ring, 0);
	ASSERT_EQ(0, err) TH_LOG("io_uring_queue_init: %s", strerror(-err));
	/* The node list itself comes through the ring. */
	ASSERT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_NODES, &a));
	self->pmem = -1;
	for (unsigned int i = 0; i < a.count && i < 8; i++)
		if (n[i].tier == RESMAP_TIER_PMEM)
			self->pmem = n[i].node;
	ASSERT_LE(0, self->pmem);
}

FIXTURE_TEARDOWN(ur)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

TEST_F(ur, reserve_and_batch_like_ioctl)
{
	long pg = self->pg;
	struct resmap_reserve r = { .len = 128 * pg };
	struct resmap_op ops[2];
	struct resmap_batch b;

	ASSERT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_RESERVE, &r));
	ASSERT_NE(0, r.addr);
	char *p = (char *)(unsigned long)r.addr;

	EXPECT_EQ(SIGSEGV, touch_signal(p, 0));
	ops[0] = op_of(RESMAP_OP_COMMIT, p, 64 * pg, RESMAP_OP_F_POPULATE,
		       RESMAP_PLACE_STRICT, self->pmem, 0);
	ops[1] = op_of(RESMAP_OP_COMMIT, p + 64 * pg, 64 * pg,
		       RESMAP_OP_F_POPULATE, RESMAP_PLACE_STRICT, 0, 0);
	memset(&b, 0, sizeof(b));
	b.ops = (unsigned long)ops;
	b.count = 2;
	ASSERT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_BATCH, &b));
	EXPECT_EQ(2, b.done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(64, pages_on(p, 64, self->pmem));
	EXPECT_EQ(64, pages_on(p + 64 * pg, 64, 0));
	memset(p, 7, 128 * pg);

	/* MOVE through the ring too, then RELEASE. */
	ops[0] = op_of(RESMAP_OP_MOVE, p + 64 * pg, 64 * pg, 0,
		       RESMAP_PLACE_STRICT, self->pmem, 0);
	b.count = 1;
	ASSERT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_BATCH, &b));
	EXPECT_EQ(64, ops[0].moved);
	EXPECT_EQ(64, pages_on(p + 64 * pg, 64, self->pmem));
	EXPECT_EQ(7, p[127 * pg]);
	struct resmap_range rel = { .addr = r.addr, .len = r.len };

	ASSERT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_RELEASE,
				&rel));
	EXPECT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, pg, 0));
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(ur, many_in_flight)
{
	long pg = self->pg, n = 48;
	char *p = reserve(self->fd, n * 16 * pg, 0, NULL);
	struct resmap_range cmds[48];
	int res[48];

	ASSERT_NE(NULL, p);
	for (long i = 0; i < n; i++) {
		cmds[i] = (struct resmap_range) {
			.addr = (unsigned long)(p + i * 16 * pg),
			.len = 16 * pg,
			.flags = RESMAP_COMMIT_POPULATE,
		};
		res[i] = 1;
		ASSERT_EQ(0, queue_cmd(&self->ring, self->fd, RESMAP_IOC_COMMIT,
				       &cmds[i], 0, i));
	}
	ASSERT_EQ(0, complete(&self->ring, n, res));
	for (long i = 0; i < n; i++) {
		EXPECT_EQ(0, res[i]) TH_LOG("command %ld: %d", i, res[i]);
	}
	EXPECT_EQ(n * 16, resident(p, n * 16 * pg));
	EXPECT_EQ(0, munmap(p, n * 16 * pg));
}

TEST_F(ur, same_errors_as_ioctl)
{
	long pg = self->pg;
	char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct resmap_range bad = { .addr = (unsigned long)anon, .len = pg };
	struct resmap_range unaligned = { .addr = 1, .len = pg };
	struct resmap_op op = op_of(RESMAP_OP_COMMIT, anon, pg, 0, 0, 0, 0);
	struct resmap_batch b = { .ops = (unsigned long)&op, .count = 1 };
	int res[2];

	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ(-ENXIO, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_COMMIT,
				     &bad));
	EXPECT_EQ(-EINVAL, uring_cmd1(&self->ring, self->fd,
				      RESMAP_IOC_COMMIT, &unaligned));
	EXPECT_EQ(-ENXIO, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_BATCH,
				     &b));
	EXPECT_EQ(-ENXIO, op.result);
	EXPECT_EQ(-EFAULT, uring_cmd1(&self->ring, self->fd,
				      RESMAP_IOC_COMMIT, (void *)8));
	EXPECT_EQ(-ENOTTY, uring_cmd1(&self->ring, self->fd, 0x1234, &bad));
	/* A non-zero reserved word in the SQE's cmd area. */
	ASSERT_EQ(0, queue_cmd(&self->ring, self->fd, RESMAP_IOC_COMMIT, &bad,
			       1, 0));
	ASSERT_EQ(0, complete(&self->ring, 1, res));
	EXPECT_EQ(-EINVAL, res[0]);
	EXPECT_EQ(0, munmap(anon, pg));
}

TEST_HARNESS_MAIN
