// SPDX-License-Identifier: GPL-2.0
/*
 * The shim under the limits a process can meet: a small RLIMIT_AS, and
 * vm.max_map_count.  Where glibc runs, the shim runs, and holds about as
 * much.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define SHIM_CHILDREN
#include "kselftest_harness.h"
#include "shim_test.h"

/* Small objects of @size as a list through their first words: bytes had. */
static size_t fill_list(size_t size, size_t most, void **list)
{
	size_t bytes = 0;
	void *p;

	while (bytes < most && (p = malloc(size))) {
		*(void **)p = *list;
		*list = p;
		bytes += size;
	}
	return bytes;
}

static void drain(void *list)
{
	for (void *next; list; list = next) {
		next = *(void **)list;
		free(list);
	}
}

static int child_main(const char *name)
{
	void *list = NULL;
	size_t small, other;

	if (!strcmp(name, "start")) {
		/* At start-up, and 32 MiB of 1000 B objects. */
		if (!malloc(16))
			return 1;
		return fill_list(1000, 32 << 20, &list) >= 32 << 20 ? 0 : 2;
	}
	if (!strcmp(name, "start-small")) {
		/*
		 * Room for one 32 MiB segment and a little more, not for the
		 * segment and its alignment: read without allocating, before
		 * the shim's first call.
		 */
		char buf[64] = "";
		int fd = open("/proc/self/statm", O_RDONLY);
		struct rlimit rl;

		if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
			return 4;
		close(fd);
		rl.rlim_cur = rl.rlim_max = strtoul(buf, NULL, 10) * 4096 +
					    (36UL << 20);
		if (setrlimit(RLIMIT_AS, &rl))
			return 5;
		if (!malloc(16))
			return 1;
		return fill_list(1000, 1 << 20, &list) >= 1 << 20 ? 0 : 2;
	}
	if (!strcmp(name, "classes")) {
		/* The address space of freed 64 B objects serves 4000 B ones. */
		small = fill_list(64, SIZE_MAX, &list);
		drain(list);
		list = NULL;
		/* Served by purging, after the arena failed to grow: no errno. */
		errno = 0;
		list = malloc(4000);
		if (!list || errno)
			return 3;
		*(void **)list = NULL;
		other = fill_list(4000, SIZE_MAX, &list) + 4000;
		printf("# 64 B objects: %zu MiB, then 4000 B objects: %zu MiB\n",
		       small >> 20, other >> 20);
		return small > (64 << 20) && other >= small / 2 ? 0 : 1;
	}
	return 99;
}

/*
 * A process under a small RLIMIT_AS starts and allocates (the first
 * malloc once aborted under 1.1 GiB or less: the smallest arena tried
 * was 1 GiB).
 */
TEST(small_rlimit_as_starts_and_allocates)
{
	static const rlim_t limits[] = { 128UL << 20, 512UL << 20, 1UL << 30 };

	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(0, shim_child("start", NULL, limits[i]))
			TH_LOG("RLIMIT_AS %lu MiB", (unsigned long)(limits[i] >> 20));
	}
	/* Where the program and one 32 MiB segment just fit. */
	EXPECT_EQ(0, shim_child("start-small", NULL, 0));
}

/*
 * rlimit-user, next to this program, under RLIMIT_AS @as; the shim
 * preloaded if @shim is not NULL.  Its exit status, or 128 + a signal.
 */
static int run_limited(const char *shim, rlim_t as)
{
	char self[PATH_MAX], prog[PATH_MAX + 16], pre[PATH_MAX + 16];
	char *argv[] = { prog, NULL }, *envp[4] = { NULL };
	const char *backend = getenv("RESMAP_BACKEND");
	char be[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status, k = 0;
	pid_t pid;

	if (n < 0)
		return -1;
	self[n] = 0;
	snprintf(prog, sizeof(prog), "%s/rlimit-user", dirname(self));
	if (shim) {
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", shim);
		envp[k++] = pre;
		if (backend) {
			snprintf(be, sizeof(be), "RESMAP_BACKEND=%s", backend);
			envp[k++] = be;
		}
	}
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { as, as };

		if (setrlimit(RLIMIT_AS, &rl))
			_exit(126);
		execve(prog, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

/*
 * What the shim needs of the address space beyond what glibc's malloc
 * does, for rlimit-user: its segment bitmap (512 KiB of bss), a metadata
 * unit (64 KiB) for each short segment and a span's worth of units per
 * size class where glibc's heap packs objects, a region's bitmap (64
 * KiB), the large-block registry.  Measured on the host: glibc from
 * 6.5 MiB, the shim from 9.75 MiB.
 */
#define SHIM_AS_MORE	(5UL << 20)

/*
 * A small program runs with the shim under every RLIMIT_AS from glibc's
 * smallest (plus SHIM_AS_MORE) to 64 MiB: it once needed 40 MiB or so,
 * a whole 32 MiB segment and its alignment before the first malloc.
 */
TEST(runs_where_glibc_runs_under_rlimit_as)
{
	rlim_t least = 0;
	Dl_info info;

	ASSERT_NE(0, dladdr((void *)resmap_version, &info));
	ASSERT_NE(NULL, info.dli_fname);
	for (rlim_t as = 1UL << 20; as <= 64UL << 20; as += 512UL << 10) {
		if (!least && !run_limited(NULL, as))
			least = as;
		if (!least || as < least + SHIM_AS_MORE)
			continue;
		EXPECT_EQ(0, run_limited(info.dli_fname, as))
			TH_LOG("RLIMIT_AS %lu KiB (glibc: from %lu KiB)",
			       (unsigned long)(as >> 10),
			       (unsigned long)(least >> 10));
	}
	ASSERT_NE(0, least) TH_LOG("rlimit-user did not run with glibc");
	TH_LOG("glibc from %lu KiB", (unsigned long)(least >> 10));
}

/*
 * Under an RLIMIT_AS, the space held by one size class is reused by
 * another once freed (it once stayed with its class for good).
 */
/*
 * The two below fill an address space of GiBs: on the debug kernel
 * (KASAN, lockdep) that takes minutes, past the harness's 30 s.
 */
FIXTURE(big) {
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

TEST_F_TIMEOUT(big, address_space_moves_between_size_classes, 900)
{
	EXPECT_EQ(0, shim_child("classes", NULL, 384UL << 20));
	/* Empty spans kept: reclaimed when the arena cannot grow. */
	EXPECT_EQ(0, shim_child("classes", "RESMAP_SHIM_OPTIONS="
				"span_cache_max=1G,decay_ms=600000", 384UL << 20));
}

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = 65530;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}

/*
 * Large blocks take one mapping each at most, however they are committed
 * (they once took two, and mprotect split more), so a process holds as
 * many as glibc; shrunk to a small size, they take none.
 */
TEST_F_TIMEOUT(big, large_blocks_within_max_map_count, 900)
{
	long n = max_map_count() * 6 / 10, maps0 = count_maps(), maps1;
	void **blocks;
	void *p;

	blocks = calloc(n, sizeof(*blocks));
	ASSERT_NE(NULL, blocks);
	for (long i = 0; i < n; i++) {
		blocks[i] = malloc(132 << 10);
		ASSERT_NE(NULL, blocks[i]) TH_LOG("block %ld of %ld", i, n);
	}
	p = malloc(1 << 20);
	EXPECT_NE(NULL, p);
	free(p);
	maps1 = count_maps();
	EXPECT_LE(maps1 - maps0, n + 64) TH_LOG("%ld blocks, %ld mappings", n,
						maps1 - maps0);
	for (long i = 0; i < n; i++) {
		blocks[i] = realloc(blocks[i], 100);
		ASSERT_NE(NULL, blocks[i]);
	}
	maps1 = count_maps();
	EXPECT_LE(maps1 - maps0, 256) TH_LOG("%ld mappings after shrinking",
					     maps1 - maps0);
	for (long i = 0; i < n; i++)
		free(blocks[i]);
	free(blocks);
}

/*
 * More live large blocks than vm.max_map_count allows mappings, with a
 * freed block between each two, so that no two could be one mapping by
 * merging: each once took a mapping of its own, and past the limit
 * malloc failed where glibc went on.  They share regions now: the
 * mappings stay few, and a 1 MiB block can still be had and used.
 */
TEST_F_TIMEOUT(big, more_large_blocks_than_max_map_count, 900)
{
	long n = max_map_count() + 4096, maps0 = count_maps(), maps1;
	void **blocks;
	char *p;

	if (n > (1L << 20))
		SKIP(return, "vm.max_map_count is %ld: too many blocks to hold",
		     n - 4096);
	blocks = calloc(2 * n, sizeof(*blocks));
	ASSERT_NE(NULL, blocks);
	for (long i = 0; i < 2 * n; i++) {
		blocks[i] = malloc(132 << 10);
		ASSERT_NE(NULL, blocks[i]) TH_LOG("block %ld of %ld", i, 2 * n);
	}
	for (long i = 1; i < 2 * n; i += 2)
		free(blocks[i]);
	/* Some of them written, at both ends (all would be 1 GiB or so). */
	for (long i = 0; i < 2 * n; i += 32) {
		((char *)blocks[i])[0] = (char)(i / 32);
		((char *)blocks[i])[(132 << 10) - 1] = (char)(i / 32);
	}
	maps1 = count_maps();
	EXPECT_LT(maps1 - maps0, 256) TH_LOG("%ld blocks, %ld mappings", n,
					     maps1 - maps0);
	p = malloc(1 << 20);
	ASSERT_NE(NULL, p);
	memset(p, 0xa5, 1 << 20);
	free(p);
	for (long i = 0; i < 2 * n; i += 32) {
		ASSERT_EQ((char)(i / 32), ((char *)blocks[i])[0]);
		ASSERT_EQ((char)(i / 32), ((char *)blocks[i])[(132 << 10) - 1]);
	}
	for (long i = 0; i < 2 * n; i += 2)
		free(blocks[i]);
	free(blocks);
}

TEST_HARNESS_MAIN
