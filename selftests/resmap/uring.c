// SPDX-License-Identifier: GPL-2.0
/*
 * The commands through io_uring (IORING_OP_URING_CMD with liburing): the
 * same argument structs, the same effects (checked as the ioctl tests
 * check them: pages on their node by move_pages(2)), the same result
 * codes in the CQE, many commands in flight at once.
 *
 * Every command goes with IOSQE_ASYNC.  6.12's io_uring issues a command
 * without it while its SQE still sits in the ring, where the application
 * may already have rewritten it, so there the module refuses it
 * (EOPNOTSUPP); the slot tests rewrite the slot right after submitting a
 * linked and a punted DECOMMIT, and only the range named at submission
 * may be decommitted (issue 14, defect 2).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <liburing.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#define DEPTH 64

/*
 * Queue command @cmd with argument @arg and SQE flags @flags; @tag comes
 * back in user_data.  The queued SQE, or NULL.
 */
static struct io_uring_sqe *queue_cmd_flags(struct io_uring *ring, int fd,
					    unsigned int cmd, void *arg,
					    __u64 reserved, __u64 tag,
					    unsigned int flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct resmap_uring_cmd *c;

	if (!sqe)
		return NULL;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd;
	sqe->user_data = tag;
	sqe->flags = flags;
	c = (struct resmap_uring_cmd *)sqe->cmd;
	c->arg = (unsigned long)arg;
	c->reserved = reserved;
	return sqe;
}

/*
 * Every command the module must run is submitted with IOSQE_ASYNC: where
 * io_uring does not copy the SQE before issue (6.12), the module refuses
 * a command without it (EOPNOTSUPP), see sqe_must_be_async below.
 */
static int queue_cmd(struct io_uring *ring, int fd, unsigned int cmd,
		     void *arg, __u64 reserved, __u64 tag)
{
	return queue_cmd_flags(ring, fd, cmd, arg, reserved, tag,
			       IOSQE_ASYNC) ? 0 : -1;
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

/* The running kernel's major.minor as major * 1000 + minor. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return -1;
	return major * 1000 + minor;
}

/*
 * Without IOSQE_ASYNC: 6.12's io_uring issues a command with the SQE
 * still in the ring, where the application may have rewritten it, so
 * the module refuses (EOPNOTSUPP, nothing done); 6.1 copies the SQE and
 * the command runs.  Other kernels may do either, consistently.
 */
TEST_F(ur, sqe_must_be_async_where_not_copied)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 4 * pg, 0, NULL);
	struct resmap_range r = { .addr = (unsigned long)p, .len = pg };
	int res[1] = { 1 }, ver = kernel_version();

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, queue_cmd_flags(&self->ring, self->fd,
					RESMAP_IOC_COMMIT, &r, 0, 0, 0));
	ASSERT_EQ(0, complete(&self->ring, 1, res));
	if (ver == 6012) {
		EXPECT_EQ(-EOPNOTSUPP, res[0]);
	} else if (ver == 6001) {
		EXPECT_EQ(0, res[0]);
	} else {
		EXPECT_TRUE(res[0] == 0 || res[0] == -EOPNOTSUPP);
	}
	EXPECT_EQ(res[0] ? SIGSEGV : 0, touch_signal(p, 1));
	/* With IOSQE_ASYNC it always runs. */
	EXPECT_EQ(0, uring_cmd1(&self->ring, self->fd, RESMAP_IOC_COMMIT, &r));
	EXPECT_EQ(0, touch_signal(p, 1));
	EXPECT_EQ(0, munmap(p, 4 * pg));
}

/* Two ranges of 4 pages, committed and filled with 'A' and 'B'. */
static void two_ranges(struct __test_metadata *_metadata, int fd, long pg,
		       char **a, char **b)
{
	*a = reserve(fd, 4 * pg, 0, NULL);
	*b = reserve(fd, 4 * pg, 0, NULL);
	ASSERT_NE(NULL, *a);
	ASSERT_NE(NULL, *b);
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, *a, 4 * pg, 0));
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, *b, 4 * pg, 0));
	memset(*a, 'A', 4 * pg);
	memset(*b, 'B', 4 * pg);
}

/*
 * After a DECOMMIT of A whose SQ slot was rewritten to name B once
 * submitted, with result @res: B is untouched, and A is decommitted or
 * the command was refused (EOPNOTSUPP) with A untouched.
 */
static void only_a_decommitted(struct __test_metadata *_metadata, long pg,
			       char *a, char *b, int res)
{
	for (long i = 0; i < 4 * pg; i += 512) {
		ASSERT_EQ(0, touch_signal(b + i, 0)) TH_LOG("B decommitted");
		ASSERT_EQ('B', b[i]) TH_LOG("B's contents lost at %ld", i);
	}
	if (res == 0) {
		EXPECT_EQ(SIGSEGV, touch_signal(a, 0)) TH_LOG("A still committed");
	} else {
		EXPECT_EQ(-EOPNOTSUPP, res);
		EXPECT_EQ('A', a[0]);
	}
	munmap(a, 4 * pg);
	munmap(b, 4 * pg);
}

/* Point the queued command's argument at @arg, as an application may. */
static void rewrite_slot(struct io_uring_sqe *sqe, void *arg)
{
	struct resmap_uring_cmd *c = (struct resmap_uring_cmd *)sqe->cmd;

	__atomic_store_n(&c->arg, (unsigned long)arg, __ATOMIC_RELEASE);
}

/* The slot-rewrite tests, with and without IOSQE_ASYNC. */
FIXTURE(slot) {
	int fd;
	long pg;
	struct io_uring ring;
};

FIXTURE_VARIANT(slot) {
	unsigned int flags;	/* SQE flags of the command under test */
};

FIXTURE_VARIANT_ADD(slot, async) {
	.flags = IOSQE_ASYNC,
};

FIXTURE_VARIANT_ADD(slot, plain) {
	.flags = 0,
};

FIXTURE_SETUP(slot)
{
	int err;

	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	err = io_uring_queue_init(DEPTH, &self->ring, 0);
	ASSERT_EQ(0, err) TH_LOG("io_uring_queue_init: %s", strerror(-err));
}

FIXTURE_TEARDOWN(slot)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

/*
 * A linked command: it is issued only after the read ahead of it
 * completes, by which time its SQ slot names range B.  Only A may go.
 */
TEST_F_TIMEOUT(slot, linked_cmd_never_reads_a_rewritten_slot, 120)
{
	long pg = self->pg;
	struct resmap_range ra, rb;
	struct io_uring_sqe *sqe, *cmd;
	struct io_uring_cqe *cqe;
	int pfd[2], res = 1;
	char *a, *b, buf[1];

	two_ranges(_metadata, self->fd, pg, &a, &b);
	ASSERT_EQ(0, pipe(pfd));
	ra = (struct resmap_range) { .addr = (unsigned long)a, .len = 4 * pg };
	rb = (struct resmap_range) { .addr = (unsigned long)b, .len = 4 * pg };
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_read(sqe, pfd[0], buf, 1, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 100;
	cmd = queue_cmd_flags(&self->ring, self->fd, RESMAP_IOC_DECOMMIT, &ra,
			      0, 1, variant->flags);
	ASSERT_NE(NULL, cmd);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	rewrite_slot(cmd, &rb);
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		if (cqe->user_data == 1)
			res = cqe->res;
		else
			EXPECT_EQ(1, cqe->res);
		io_uring_cqe_seen(&self->ring, cqe);
	}
	TH_LOG("linked DECOMMIT: %d", res);
	only_a_decommitted(_metadata, pg, a, b, res);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * A command punted to io-wq: with one bounded worker, busy with a long
 * COMMIT|POPULATE, the command waits in the queue while its SQ slot is
 * rewritten.  Only A may go.
 */
TEST_F_TIMEOUT(slot, punted_cmd_never_reads_a_rewritten_slot, 120)
{
	long pg = self->pg;
	const size_t big = 16UL << 20;	/* milliseconds of work, or more */
	char *busy = reserve(self->fd, big, 0, NULL);
	struct resmap_range rbusy = { .addr = (unsigned long)busy, .len = big,
				      .flags = RESMAP_COMMIT_POPULATE };
	struct resmap_range ra, rb;
	struct io_uring_sqe *cmd;
	unsigned int workers[2] = { 1, 0 };
	int res[2] = { 1, 1 };
	char *a, *b;

	ASSERT_NE(NULL, busy);
	two_ranges(_metadata, self->fd, pg, &a, &b);
	ASSERT_EQ(0, io_uring_register_iowq_max_workers(&self->ring, workers));
	ra = (struct resmap_range) { .addr = (unsigned long)a, .len = 4 * pg };
	rb = (struct resmap_range) { .addr = (unsigned long)b, .len = 4 * pg };
	ASSERT_EQ(0, queue_cmd(&self->ring, self->fd, RESMAP_IOC_COMMIT,
			       &rbusy, 0, 0));
	cmd = queue_cmd_flags(&self->ring, self->fd, RESMAP_IOC_DECOMMIT, &ra,
			      0, 1, variant->flags);
	ASSERT_NE(NULL, cmd);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	rewrite_slot(cmd, &rb);
	ASSERT_EQ(0, complete(&self->ring, 2, res));
	EXPECT_EQ(0, res[0]);
	TH_LOG("punted DECOMMIT: %d", res[1]);
	only_a_decommitted(_metadata, pg, a, b, res[1]);
	munmap(busy, big);
}

TEST_HARNESS_MAIN
