// SPDX-License-Identifier: GPL-2.0
/*
 * Committed pages behave like ordinary memory: system calls and O_DIRECT
 * read and write them, another process reaches them through
 * process_vm_readv/writev, mprotect and mlock apply, smaps counts them,
 * RLIMIT_AS limits reservations and memcg charges commits.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

FIXTURE(mem) {
	int fd;
	long pg;
};

FIXTURE_SETUP(mem)
{
	self->pg = page_size();
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mem)
{
	close(self->fd);
}

static char *committed(struct __test_metadata *_metadata, int fd,
		       size_t len, size_t commit_len)
{
	char *p = reserve(fd, len, 0, NULL);

	EXPECT_NE(NULL, p);
	if (p)
		EXPECT_EQ(0, range_cmd(fd, RESMAP_IOC_COMMIT, p, commit_len, 0));
	return p;
}

TEST_F(mem, read_write_syscalls)
{
	long pg = self->pg;
	char *p = committed(_metadata, self->fd, 8 * pg, 4 * pg);
	int pfd[2];

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pipe(pfd));
	memset(p, 'w', 2 * pg);
	/* write() from committed pages, read() into never-touched ones. */
	ASSERT_EQ(2 * pg, write(pfd[1], p, 2 * pg));
	ASSERT_EQ(2 * pg, read(pfd[0], p + 2 * pg, 2 * pg));
	EXPECT_EQ(0, memcmp(p, p + 2 * pg, 2 * pg));
	/* Into or from reserved-only pages: EFAULT, no signal. */
	ASSERT_EQ(pg, write(pfd[1], p, pg));
	EXPECT_EQ(-1, read(pfd[0], p + 4 * pg, pg));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, write(pfd[1], p + 5 * pg, pg));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, resident(p + 4 * pg, 4 * pg));
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_EQ(0, munmap(p, 8 * pg));
}

TEST_F(mem, o_direct)
{
	size_t len = 256 * 1024;
	char *p = committed(_metadata, self->fd, 2 * len, 2 * len);
	int dev = open("/dev/ram0", O_RDWR | O_DIRECT);

	ASSERT_NE(NULL, p);
	if (dev < 0)
		SKIP(return, "no /dev/ram0 (brd) for O_DIRECT: %s",
		     strerror(errno));
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + i / 4096);
	/* The block layer pins these pages (GUP) and DMAs from/into them. */
	ASSERT_EQ((ssize_t)len, pwrite(dev, p, len, 0));
	ASSERT_EQ((ssize_t)len, pread(dev, p + len, len, 0));
	EXPECT_EQ(0, memcmp(p, p + len, len));
	/* Uncommitted: EFAULT, nothing written to the device's first block. */
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p + len, len, 0));
	EXPECT_EQ(-1, pwrite(dev, p + len, len, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ((ssize_t)len, pread(dev, p, len, 0));
	EXPECT_EQ((char)7, p[1]);
	close(dev);
	EXPECT_EQ(0, munmap(p, 2 * len));
}

TEST_F(mem, process_vm_readv_writev)
{
	long pg = self->pg;
	char *p = committed(_metadata, self->fd, 4 * pg, 2 * pg);
	pid_t parent = getpid(), pid;
	int status;

	ASSERT_NE(NULL, p);
	memset(p, 'r', pg);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[64], w[64];
		struct iovec local = { buf, sizeof(buf) };
		struct iovec remote = { p + 100, sizeof(buf) };
		int bad = 0;

		bad |= process_vm_readv(parent, &local, 1, &remote, 1, 0) !=
		       (ssize_t)sizeof(buf);
		bad |= buf[0] != 'r' || buf[63] != 'r';
		memset(w, 'W', sizeof(w));
		local.iov_base = w;
		remote.iov_base = p + pg;
		bad |= process_vm_writev(parent, &local, 1, &remote, 1, 0) !=
		       (ssize_t)sizeof(w);
		/* Reserved-only memory cannot be reached either way. */
		remote.iov_base = p + 3 * pg;
		bad |= process_vm_writev(parent, &local, 1, &remote, 1, 0) != -1;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ('W', p[pg]);
	EXPECT_EQ('W', p[pg + 63]);
	EXPECT_EQ(0, p[pg + 64]);
	EXPECT_EQ(0, resident(p + 2 * pg, 2 * pg));
	EXPECT_EQ(0, munmap(p, 4 * pg));
}

TEST_F(mem, mprotect_applies)
{
	long pg = self->pg;
	char *p = committed(_metadata, self->fd, 8 * pg, 4 * pg);

	ASSERT_NE(NULL, p);
	memset(p, 'm', 4 * pg);
	ASSERT_EQ(0, mprotect(p, 2 * pg, PROT_READ));
	EXPECT_EQ('m', p[0]);
	EXPECT_EQ(SIGSEGV, touch_signal(p, 1));
	p[2 * pg] = 'M';
	/* Commands work across the VMAs mprotect split off. */
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_COMMIT, p, 8 * pg, 0));
	EXPECT_EQ('m', p[pg]);
	ASSERT_EQ(0, mprotect(p, 2 * pg, PROT_READ | PROT_WRITE));
	p[0] = 'x';
	EXPECT_EQ('x', p[0]);
	/* Protection wins over commit. */
	ASSERT_EQ(0, mprotect(p + 6 * pg, 2 * pg, PROT_NONE));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 6 * pg, 0));
	ASSERT_EQ(0, range_cmd(self->fd, RESMAP_IOC_DECOMMIT, p, 8 * pg, 0));
	EXPECT_EQ(SIGSEGV, touch_signal(p + 2 * pg, 0));
	EXPECT_EQ(0, munmap(p, 8 * pg));
}

/* Code can run from committed pages, as from anonymous memory (JITs). */
TEST_F(mem, executable)
{
#if defined(__x86_64__)
	static const unsigned char ret42[] = {
		0xb8, 0x2a, 0x00, 0x00, 0x00,	/* mov $42, %eax */
		0xc3,				/* ret */
	};
	char *p = committed(_metadata, self->fd, 2 * self->pg, self->pg);
	int (*fn)(void);

	ASSERT_NE(NULL, p);
	memcpy(p, ret42, sizeof(ret42));
	ASSERT_EQ(0, mprotect(p, self->pg, PROT_READ | PROT_EXEC));
	fn = (int (*)(void))p;
	EXPECT_EQ(42, fn());
	EXPECT_EQ(SIGSEGV, touch_signal(p, 1));
	EXPECT_EQ(0, munmap(p, 2 * self->pg));
#else
	SKIP(return, "x86-64 only");
#endif
}

TEST_F(mem, mlock_and_smaps)
{
	long pg = self->pg;
	char *p = committed(_metadata, self->fd, 64 * pg, 32 * pg);
	char line[256], head[32];
	long rss = -1, anon = -1, locked = -1, v;
	int in_vma = 0;
	FILE *f;

	ASSERT_NE(NULL, p);
	memset(p, 1, 16 * pg);
	ASSERT_EQ(0, mlock(p, 32 * pg));
	EXPECT_EQ(32 * pg / 1024, status_kib("VmLck"));
	/* Locking populates: all 32 committed pages are resident now. */
	EXPECT_EQ(32, resident(p, 64 * pg));

	snprintf(head, sizeof(head), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strstr(line, " rw"))
			in_vma = !strncmp(line, head, strlen(head));
		if (!in_vma)
			continue;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			rss = v;
		else if (sscanf(line, "Anonymous: %ld kB", &v) == 1)
			anon = v;
		else if (sscanf(line, "Locked: %ld kB", &v) == 1)
			locked = v;
	}
	fclose(f);
	/* mlock split the VMA at 32 pages: this one is the locked half. */
	EXPECT_EQ(32 * pg / 1024, rss);
	/* Written pages are anonymous; read-populated ones map the zero page. */
	EXPECT_LE(16 * pg / 1024, anon);
	EXPECT_EQ(32 * pg / 1024, locked);
	/* Locking reserved-only pages cannot populate them: ENOMEM. */
	EXPECT_EQ(-1, mlock(p + 32 * pg, 32 * pg));
	EXPECT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, munlock(p, 64 * pg));
	EXPECT_EQ(0, status_kib("VmLck"));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(0, munmap(p, 64 * pg));
}

TEST_F(mem, rlimit_as)
{
	long pg = self->pg;
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		long vm = status_kib("VmSize");
		struct rlimit rl = {
			.rlim_cur = (vm << 10) + (64UL << 20),
			.rlim_max = (vm << 10) + (64UL << 20),
		};
		char *h = free_range(128UL << 20), *p;
		int bad = 0;

		bad |= setrlimit(RLIMIT_AS, &rl) ? 1 : 0;
		bad |= reserve(self->fd, 1UL << 30, 0, NULL) || errno != ENOMEM ?
		       2 : 0;
		p = reserve(self->fd, 32UL << 20, 0, h);
		bad |= p != h ? 4 : 0;
		/* Growth past the limit: ENOMEM, the extent unchanged. */
		if (p) {
			bad |= range_cmd(self->fd, RESMAP_IOC_COMMIT, p, pg, 0) ?
			       8 : 0;
			bad |= !resize_cmd(self->fd, p, pg, 100UL << 20, 0) ||
			       errno != ENOMEM ? 16 : 0;
			bad |= status_kib("VmSize") > vm + (33 << 10) ? 32 : 0;
			bad |= resize_cmd(self->fd, p, pg, 48UL << 20, 0) ?
			       64 : 0;
		}
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Write @val to the file @dir/@name; 0 or -1. */
static int put(const char *dir, const char *name, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long get(const char *dir, const char *name, const char *key)
{
	char path[256], line[256];
	size_t n = key ? strlen(key) : 0;
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, n) && line[n] == ' ') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

/*
 * In a child moved into the cgroup @dir (through its file @procs): commit
 * and populate @keep bytes, check the cgroup's @usage file counts them,
 * then commit and populate @len.  The child's exit code: 0 on success,
 * 10 + errno if the second commit failed (having rolled back), or the
 * signal that killed it + 128.
 */
static int commit_in_cgroup(int fd, const char *dir, const char *procs,
			    const char *usage, size_t len, size_t keep)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char pidstr[32];
		char *p;

		snprintf(pidstr, sizeof(pidstr), "%d", getpid());
		if (put(dir, procs, pidstr))
			_exit(1);
		p = reserve(fd, len, 0, NULL);
		if (!p)
			_exit(2);
		if (range_cmd(fd, RESMAP_IOC_COMMIT, p, keep,
			      RESMAP_COMMIT_POPULATE))
			_exit(3);
		if (get(dir, usage, NULL) < (long)keep)
			_exit(5);
		if (range_cmd(fd, RESMAP_IOC_COMMIT, p, len,
			      RESMAP_COMMIT_POPULATE)) {
			int err = errno;

			/* Rolled back: the failed range is reserved only. */
			if (resident(p + keep, 64 * page_size()) != 0 ||
			    resident(p, 64 * page_size()) != 64)
				_exit(4);
			_exit(10 + err);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* The number of cgroups in the memory controller's hierarchy; -1 if none. */
static int memory_cgroups(void)
{
	FILE *f = fopen("/proc/cgroups", "r");
	char line[128], name[32];
	int n = -1, hier, cgroups;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %d %d", name, &hier, &cgroups) == 3 &&
		    !strcmp(name, "memory"))
			n = cgroups;
	if (f)
		fclose(f);
	return n;
}

/*
 * cgroup v1 with the OOM killer disabled: the kernel lets a charge fail,
 * so COMMIT returns ENOMEM and rolls back.  (cgroup v2 always OOM-kills
 * in the charge path; 6.12 as Debian builds it has no memcg v1.)
 */
TEST_F(mem, memcg_v1_commit_enomem)
{
	const char *root = "/tmp/memcg-v1", *dir = "/tmp/memcg-v1/resmap";
	int ret;

	mkdir(root, 0755);
	if (mount("none", root, "cgroup", 0, "memory"))
		SKIP(return, "no cgroup v1 memory controller: %s",
		     strerror(errno));
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, put(dir, "memory.limit_in_bytes", "33554432"));
	ASSERT_EQ(0, put(dir, "memory.oom_control", "1"));
	ret = commit_in_cgroup(self->fd, dir, "tasks", "memory.usage_in_bytes",
			       64UL << 20, 4UL << 20);
	EXPECT_EQ(10 + ENOMEM, ret);
	EXPECT_GE(32L << 20, get(dir, "memory.max_usage_in_bytes", NULL));
	EXPECT_EQ(0, rmdir(dir));
	/*
	 * Unmounted while the removed cgroup is still dying, a v1 hierarchy
	 * is never destroyed (cgroup_kill_sb() kills only an empty one) and
	 * keeps the memory controller from cgroup v2 for good: unmount once
	 * only the root is left.
	 */
	for (int i = 0; i < 100 && memory_cgroups() > 1; i++)
		usleep(100 * 1000);
	EXPECT_EQ(1, memory_cgroups());
	EXPECT_EQ(0, umount(root));
}

/* Mark the kernel log, so the test bed accepts the OOM report between. */
static void kmsg(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			perror("/dev/kmsg");
		close(fd);
	}
}

/* cgroup v2: commits are charged to the memcg, and its limit holds. */
TEST_F(mem, memcg_v2_charges_and_limits)
{
	const char *root = "/sys/fs/cgroup", *dir = "/sys/fs/cgroup/resmap";
	long oom_kills;
	int ret;

	mkdir(root, 0755);
	if (get(root, "cgroup.controllers", NULL) < 0)
		ASSERT_EQ(0, mount("none", root, "cgroup2", 0, NULL));
	/*
	 * After memcg_v1_commit_enomem ran, its unmounted hierarchy keeps
	 * the controller until it is released, soon after.
	 */
	for (int i = 0; put(root, "cgroup.subtree_control", "+memory"); i++) {
		if (i == 20)
			SKIP(return, "memory controller not available to cgroup v2 (still bound to v1?)");
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, put(dir, "memory.max", "33554432"));
	/* Within the limit: charged to the cgroup. */
	ret = commit_in_cgroup(self->fd, dir, "cgroup.procs", "memory.current",
			       16UL << 20, 16UL << 20);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, get(dir, "memory.events", "oom_kill"));
	/* Past it: the memcg OOM killer takes the committing task. */
	kmsg("resmap-selftest: expected oom begin");
	ret = commit_in_cgroup(self->fd, dir, "cgroup.procs", "memory.current",
			       64UL << 20, 4UL << 20);
	kmsg("resmap-selftest: expected oom end");
	oom_kills = get(dir, "memory.events", "oom_kill");
	EXPECT_TRUE(ret == 128 + SIGKILL || ret == 10 + ENOMEM)
		TH_LOG("child ended with %d", ret);
	EXPECT_EQ(ret == 128 + SIGKILL ? 1 : 0, oom_kills);
	EXPECT_GE(get(dir, "memory.max", NULL), get(dir, "memory.current", NULL));
	EXPECT_EQ(0, rmdir(dir));
	EXPECT_EQ(0, put(root, "cgroup.subtree_control", "-memory"));
}

TEST_HARNESS_MAIN
