// SPDX-License-Identifier: GPL-2.0
/*
 * Commands act only on the calling process's own mm.  The fd is not a
 * handle to anyone's memory: another process that receives it acts on
 * its own address space, where the first process's reservations do not
 * exist, so it gets ENXIO and the first process's memory is untouched.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

static int send_fd(int sock, int fd, void *addr)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &addr, sizeof(addr) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(addr) ? 0 : -1;
}

static int recv_fd(int sock, void **addr)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { addr, sizeof(*addr) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != sizeof(*addr))
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* In the receiving process: every command on @p fails with ENXIO. */
static int foreign_child(int sock, long pg)
{
	void *addr;
	char *p, *own;
	int fd = recv_fd(sock, &addr), bad = 0;

	if (fd < 0)
		return 1;
	p = addr;
	bad |= !range_cmd(fd, RESMAP_IOC_COMMIT, p, pg, 0) || errno != ENXIO;
	bad |= !range_cmd(fd, RESMAP_IOC_DECOMMIT, p, pg, 0) ||
	       errno != ENXIO ? 2 : 0;
	bad |= !range_cmd(fd, RESMAP_IOC_RELEASE, p, pg, 0) ||
	       errno != ENXIO ? 4 : 0;
	bad |= !resize_cmd(fd, p, pg, 2 * pg, 0) || errno != ENXIO ? 8 : 0;
	/* The fd works for the receiver's own reservations. */
	own = reserve(fd, 4 * pg, 0, NULL);
	bad |= !own || range_cmd(fd, RESMAP_IOC_COMMIT, own, pg, 0) ? 16 : 0;
	if (own)
		own[0] = 1;
	return bad;
}

TEST(fd_passed_to_another_process)
{
	long pg = page_size();
	int sv[2], fd, status;
	char *p, line[512];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* Forked before the reservation exists: a separate mm without it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(foreign_child(sv[1], pg));
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = reserve(fd, 4 * pg, 0, NULL);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, p, 2 * pg, 0));
	memset(p, 'S', 2 * pg);
	ASSERT_EQ(0, send_fd(sv[0], fd, p));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Untouched: contents, committed range, the reservation itself. */
	EXPECT_EQ('S', p[0]);
	EXPECT_EQ('S', p[2 * pg - 1]);
	EXPECT_EQ(SIGSEGV, touch_signal(p + 2 * pg, 0));
	maps_line(p, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, RESMAP_MAPS_NAME));
	EXPECT_EQ(0, munmap(p, 4 * pg));
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
