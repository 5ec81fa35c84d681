// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/fdinfo of /dev/resmap: the opener (resmap_owner) and one
 * "resmap_mapping: START-END COMMITTED" line per reservation mapping of
 * its process, the committed bytes following COMMIT, DECOMMIT and RESIZE.
 * What resmapctl stats PID reads (selftests/resmapctl checks its output).
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

/* The owner, and the committed bytes of the mapping at @addr (-1: none). */
static long fdinfo_committed(int fd, void *addr, int *owner)
{
	char path[64], line[256];
	long bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -2;
	*owner = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, b;

		sscanf(line, "resmap_owner: %d", owner);
		if (sscanf(line, "resmap_mapping: %lx-%lx %lu", &s, &e, &b) == 3 &&
		    s == (unsigned long)addr)
			bytes = b;
	}
	fclose(f);
	return bytes;
}

FIXTURE(fdinfo) {
	int fd;
	long pg;
};

FIXTURE_SETUP(fdinfo)
{
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->pg = page_size();
}

FIXTURE_TEARDOWN(fdinfo)
{
	close(self->fd);
}

TEST_F(fdinfo, committed_bytes_follow_the_commands)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 64 * pg, 0, NULL);
	int owner;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, fdinfo_committed(self->fd, p, &owner));
	EXPECT_EQ(getpid(), owner);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p + 8 * pg, 16 * pg, 0));
	EXPECT_EQ(16 * pg, fdinfo_committed(self->fd, p, &owner));
	/* Committed, not touched: fdinfo counts it, residency does not. */
	EXPECT_EQ(0, resident(p, 64 * pg));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p + 8 * pg, 4 * pg, 0));
	EXPECT_EQ(12 * pg, fdinfo_committed(self->fd, p, &owner));
	ASSERT_EQ(0, resize_cmd(self->fd, p + 12 * pg, 12 * pg, 20 * pg, 0));
	EXPECT_EQ(20 * pg, fdinfo_committed(self->fd, p, &owner));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, 64 * pg, 0));
	EXPECT_EQ(-1, fdinfo_committed(self->fd, p, &owner));
}

/* Another descriptor, another mapping: each listed, wherever opened. */
TEST_F(fdinfo, lists_the_whole_process)
{
	long pg = self->pg;
	int fd2 = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC), owner;
	char *a = reserve(self->fd, 4 * pg, 0, NULL);
	char *b = reserve(fd2, 8 * pg, 0, NULL);

	ASSERT_LE(0, fd2);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, range_cmd(fd2, RESMAP_IOC_COMMIT, b, 8 * pg, 0));
	EXPECT_EQ(8 * pg, fdinfo_committed(self->fd, b, &owner));
	EXPECT_EQ(0, fdinfo_committed(fd2, a, &owner));
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, a, 4 * pg, 0));
	EXPECT_EQ(0, range_cmd(fd2, RESMAP_IOC_RELEASE, b, 8 * pg, 0));
	close(fd2);
}

/*
 * A descriptor inherited through fork names its opener, the parent, and
 * lists the parent's mappings (the child's own commit does not show);
 * the child's own open names the child.
 */
TEST_F(fdinfo, inherited_descriptor_names_its_opener)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 4 * pg, 0, NULL);
	pid_t parent = getpid(), child;
	int status;

	ASSERT_NE(NULL, p);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int owner, fd2;

		if (range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 4 * pg, 0))
			_exit(1);
		if (fdinfo_committed(self->fd, p, &owner) != 0 || owner != parent)
			_exit(2);
		fd2 = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
		if (fdinfo_committed(fd2, p, &owner) != 4 * pg ||
		    owner != getpid())
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, 4 * pg, 0));
}

/*
 * A descriptor kept across a privilege drop: the holder's fdinfo names
 * the opener but does not list its mappings (their addresses are the
 * opener's layout, which a process that could not trace it must not
 * learn).
 */
TEST_F(fdinfo, layout_hidden_after_a_privilege_drop)
{
	long pg = self->pg;
	char *p = reserve(self->fd, 4 * pg, 0, NULL);
	pid_t parent = getpid(), child;
	int status, owner;

	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 4 * pg, 0));
	ASSERT_EQ(4 * pg, fdinfo_committed(self->fd, p, &owner));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		if (fdinfo_committed(self->fd, p, &owner) != -1)
			_exit(2);
		_exit(owner == parent ? 0 : 3);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, range_cmd(self->fd, RESMAP_IOC_RELEASE, p, 4 * pg, 0));
}

/* A descriptor passed on by an opener that has exited names nobody. */
TEST_F(fdinfo, exited_opener_is_minus_one)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], status, owner = 0, fd;
	pid_t child;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0 || !reserve(fd, 4 * self->pg, 0, NULL))
			_exit(1);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &msg, 0) == 1 ? 0 : 2);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, recvmsg(sv[0], &msg, 0));
	cm = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cm);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	EXPECT_EQ(-1, fdinfo_committed(fd, NULL, &owner));
	EXPECT_EQ(-1, owner);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
