// SPDX-License-Identifier: GPL-2.0
/*
 * The module's tracepoints (events/resmap/ in tracefs): each command run
 * leaves one line of its event with its arguments and its result, and a
 * batch one MOVE line per MOVE operation.  Skipped without tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#define NPAGES	16

static int exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/*
 * The tracefs directory: mounted already, mounted now (*@mounted), or
 * under debugfs; NULL if there is none.
 */
static const char *tracefs_dir(int *mounted)
{
	*mounted = 0;
	if (exists("/sys/kernel/tracing", "trace"))
		return "/sys/kernel/tracing";
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		*mounted = 1;
		return "/sys/kernel/tracing";
	}
	if (exists("/sys/kernel/debug/tracing", "trace"))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *s,
		      int flags)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The whole of @dir/trace, NUL-terminated (malloc'd), or NULL. */
static char *read_trace(const char *dir)
{
	size_t len = 0, size = 65536;
	char path[256], *buf = malloc(size);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len < 4096) {
			char *more = realloc(buf, size * 2);

			if (!more)
				break;
			buf = more;
			size *= 2;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* How many lines of @trace are events @event ("resmap_move: "...). */
static int count_lines(const char *trace, const char *event)
{
	char key[64];
	const char *p = trace;
	int n = 0;

	snprintf(key, sizeof(key), " %s: ", event);
	while ((p = strstr(p, key))) {
		n++;
		p += strlen(key);
	}
	return n;
}

/* Whether @trace has a line "... @event: @fields" ending there. */
static int has_line(const char *trace, const char *event, const char *fields)
{
	char key[512];

	snprintf(key, sizeof(key), " %s: %s\n", event, fields);
	return strstr(trace, key) != NULL;
}

FIXTURE(tr) {
	int fd;
	long pg;
	int mounted;
	const char *dir;
};

FIXTURE_SETUP(tr)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->dir = tracefs_dir(&self->mounted);
	if (!self->dir)
		SKIP(return, "no tracefs (/sys/kernel/tracing or debugfs): %s",
		     strerror(errno));
	/* The module is loaded, so its events are there. */
	ASSERT_TRUE(exists(self->dir, "events/resmap/enable"));
	ASSERT_TRUE(exists(self->dir, "events/resmap/resmap_reserve"));
}

FIXTURE_TEARDOWN(tr)
{
	if (self->dir)
		write_file(self->dir, "events/resmap/enable", "0", 0);
	if (self->mounted)
		umount("/sys/kernel/tracing");
	close(self->fd);
}

TEST_F(tr, one_line_per_event)
{
	size_t len = NPAGES * self->pg, align = 4 * self->pg;
	unsigned long long mv = 0;
	struct resmap_op ops[2];
	unsigned int done;
	char f[256], *t;
	int pmem, node;
	char *p;

	pmem = pmem_node_of(self->fd);
	node = pmem >= 0 ? pmem : 0;
	ASSERT_EQ(0, pin_to_cpu0());
	ASSERT_EQ(0, write_file(self->dir, "events/resmap/enable", "0", 0));
	ASSERT_EQ(0, write_file(self->dir, "trace", "", O_TRUNC));
	ASSERT_EQ(0, write_file(self->dir, "tracing_on", "1", 0));
	ASSERT_EQ(0, write_file(self->dir, "events/resmap/enable", "1", 0));

	/* RESERVE, COMMIT, RESIZE, DECOMMIT and a DECOMMIT that fails. */
	p = reserve(self->fd, len, align, NULL);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 8 * self->pg,
			       RESMAP_COMMIT_POPULATE));
	ASSERT_EQ(0, resize_cmd(self->fd, p, 8 * self->pg, 12 * self->pg, 0));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT,
			       p + 8 * self->pg, 4 * self->pg, 0));
	ASSERT_EQ(-1, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p, len, 1));
	ASSERT_EQ(EINVAL, errno);
	/* A batch: a MOVE and a COMMIT; then a MOVE of unreserved space. */
	ops[0] = op_of(RESMAP_OP_MOVE, p, 8 * self->pg, 0,
		       RESMAP_PLACE_STRICT, node, 0);
	ops[1] = op_of(RESMAP_OP_COMMIT, p + 12 * self->pg, 4 * self->pg, 0,
		       RESMAP_PLACE_DEFAULT, 0, 0);
	ASSERT_EQ(0, batch(self->fd, ops, 2, 0, &done));
	ASSERT_EQ(2, done);
	mv = ops[0].moved;
	if (pmem >= 0) {
		ASSERT_EQ(8, mv);
	}
	ops[1] = op_of(RESMAP_OP_MOVE, p + len, 4 * self->pg, 0,
		       RESMAP_PLACE_STRICT, node, 0);
	/* The space after the reservation is (almost surely) not ours. */
	ASSERT_EQ(-1, batch(self->fd, &ops[1], 1, 0, &done));
	ASSERT_EQ(ENXIO, errno);
	ASSERT_EQ(0, done);

	ASSERT_EQ(0, write_file(self->dir, "events/resmap/enable", "0", 0));
	t = read_trace(self->dir);
	ASSERT_NE(NULL, t);

	EXPECT_EQ(1, count_lines(t, "resmap_reserve"));
	snprintf(f, sizeof(f),
		 "addr=%p len=0x%zx align=0x%zx flags=0x0 result=0",
		 p, len, align);
	EXPECT_TRUE(has_line(t, "resmap_reserve", f)) TH_LOG("%s", f);

	EXPECT_EQ(1, count_lines(t, "resmap_commit"));
	snprintf(f, sizeof(f), "addr=%p len=0x%lx flags=0x%lx result=0",
		 p, 8 * self->pg, RESMAP_COMMIT_POPULATE);
	EXPECT_TRUE(has_line(t, "resmap_commit", f)) TH_LOG("%s", f);

	EXPECT_EQ(1, count_lines(t, "resmap_resize"));
	snprintf(f, sizeof(f), "addr=%p old_len=0x%lx new_len=0x%lx result=0",
		 p, 8 * self->pg, 12 * self->pg);
	EXPECT_TRUE(has_line(t, "resmap_resize", f)) TH_LOG("%s", f);

	EXPECT_EQ(2, count_lines(t, "resmap_decommit"));
	snprintf(f, sizeof(f), "addr=%p len=0x%lx flags=0x0 result=0",
		 p + 8 * self->pg, 4 * self->pg);
	EXPECT_TRUE(has_line(t, "resmap_decommit", f)) TH_LOG("%s", f);
	snprintf(f, sizeof(f), "addr=%p len=0x%zx flags=0x1 result=%d",
		 p, len, -EINVAL);
	EXPECT_TRUE(has_line(t, "resmap_decommit", f)) TH_LOG("%s", f);

	EXPECT_EQ(2, count_lines(t, "resmap_batch"));
	EXPECT_TRUE(has_line(t, "resmap_batch", "ops=2 done=2 result=0"));
	snprintf(f, sizeof(f), "ops=1 done=0 result=%d", -ENXIO);
	EXPECT_TRUE(has_line(t, "resmap_batch", f)) TH_LOG("%s", f);

	EXPECT_EQ(2, count_lines(t, "resmap_move"));
	snprintf(f, sizeof(f), "start=%p len=0x%lx node=%d moved=%llu result=0",
		 p, 8 * self->pg, node, mv);
	EXPECT_TRUE(has_line(t, "resmap_move", f)) TH_LOG("%s", f);
	snprintf(f, sizeof(f), "start=%p len=0x%lx node=-1 moved=0 result=%d",
		 p + len, 4 * self->pg, -ENXIO);
	EXPECT_TRUE(has_line(t, "resmap_move", f)) TH_LOG("%s", f);

	if (!_metadata->passed)
		TH_LOG("trace:\n%s", t);
	free(t);
	range_cmd(self->fd, RESMAP_IOC_RELEASE, p, len, 0);
}

TEST_HARNESS_MAIN
