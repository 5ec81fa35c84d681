// SPDX-License-Identifier: GPL-2.0
/*
 * Stress on the module backend: eight threads for a fixed time
 * (RESMAP_STRESS_SECONDS, default 10), mixing every shim call (small and
 * large blocks freed by other threads, realloc, aligned and batch calls,
 * placed allocations and tier moves) with module commands on
 * reservations of their own (commit, placed batches, moves between DRAM
 * and pmem, resize), reservations unmapped while another thread commits
 * into them, and forks whose children check a COPY reservation's
 * contents and use the allocator.  Every block and page keeps its
 * pattern.  It all runs in a child process; once that has exited, the
 * module's counters are back where they were and every node's free
 * memory, read with the slab caches shrunk, is within 1% of the start
 * (the test bed then checks rmmod).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "shim_test.h"
#include "../resmap/nodeinfo.h"
#include "../resmap/resmap_test.h"

#define SLOTS		2048
#define COPY_PAGES	64
#define MAX_NODES	8

struct stress {
	int fd;
	long pg;
	char *copy;			/* COPY reservation, pattern fixed */
	_Atomic(void *) slots[SLOTS];	/* shared blocks: a head + pattern */
	_Atomic(char *) victim;
	atomic_bool stop;
	atomic_long calls, commands, moved, forks, bad;
	char why[160];
	atomic_flag why_set;
};

struct head {
	size_t size;
	unsigned int seed;
};

static void fail(struct stress *s, const char *what, long v)
{
	s->bad++;
	if (!atomic_flag_test_and_set(&s->why_set))
		snprintf(s->why, sizeof(s->why), "%s (%ld, errno %d)", what, v,
			 errno);
}

static unsigned int next(unsigned int *r)
{
	*r = *r * 1103515245 + 12345;
	return *r >> 8;
}

static size_t pick_size(unsigned int *r)
{
	switch (next(r) % 8) {
	case 0:
		return 64 * 1024 + next(r) % (2 << 20);	/* large */
	case 1:
		return 4096 + next(r) % 60000;
	default:
		return sizeof(struct head) + next(r) % 1000;
	}
}

/* A block's pattern covers its first 512 bytes at most. */
static size_t span(size_t size)
{
	return size < 512 ? size : 512;
}

static void stamp(void *p, size_t size, unsigned int seed)
{
	struct head *h = p;

	h->size = size;
	h->seed = seed;
	fill(h + 1, span(size) - sizeof(*h), seed);
}

static bool intact(const void *p)
{
	const struct head *h = p;

	return check(h + 1, span(h->size) - sizeof(*h), h->seed);
}

/* Every shim call, on blocks shared with the other shim threads. */
static void *shim_calls(void *arg)
{
	struct stress *s = arg;
	unsigned int r = (unsigned int)(uintptr_t)&r;

	while (!s->stop) {
		unsigned int i = next(&r) % SLOTS, seed = next(&r);
		size_t size = pick_size(&r);
		void *p = atomic_exchange(&s->slots[i], NULL), *q;

		if (p && !intact(p))
			fail(s, "block changed under its owner", (long)i);
		switch (next(&r) % 6) {
		case 0:	/* realloc keeps the pattern's prefix */
			if (!p)
				break;
			q = realloc(p, size);
			if (!q) {
				fail(s, "realloc", (long)size);
				break;
			}
			p = q;
			/* What both sizes cover must have survived. */
			if (size < ((struct head *)p)->size)
				((struct head *)p)->size = size;
			if (!intact(p))
				fail(s, "realloc lost contents", (long)size);
			stamp(p, size, seed);
			break;
		case 1: {
			struct mallocation5 m[3] = {
				{ p, p ? 0 : size, 0, 0, 0 },
				{ NULL, size, 64, 0, 0 },
				{ NULL, sizeof(struct head) + 8, 0, 0,
				  M2_ZERO_MEMORY },
			};
			struct mallocation5 *md[3] = { &m[0], &m[1], &m[2] };
			size_t count = 3;

			if (!batch_alloc5(NULL, md, &count)) {
				fail(s, "batch_alloc5", (long)count);
				p = NULL;
				break;
			}
			if ((uintptr_t)m[1].ptr % 64 || !all_zero(m[2].ptr, 8))
				fail(s, "batch_alloc5 alignment or zero", 0);
			free(m[2].ptr);
			p = m[0].ptr ? m[0].ptr : m[1].ptr;
			if (m[0].ptr)
				free(m[1].ptr);
			stamp(p, size, seed);
			break;
		}
		case 2:
			free(p);
			p = aligned_alloc(4096, (size + 4095) & ~4095UL);
			if (!p || (uintptr_t)p % 4096) {
				fail(s, "aligned_alloc", (long)size);
				p = NULL;
				break;
			}
			stamp(p, size, seed);
			break;
		case 3:	/* a placed large block (over SHIM_SMALL_MAX), moved */
			free(p);
			p = NULL;
			{
				size_t big = 256 * 1024;
				struct mallocation5 m = {
					NULL, big, 0, 0,
					(seed & 1 ? RESMAP_M2_PMEM :
					 RESMAP_M2_DRAM) | RESMAP_M2_POPULATE,
				};
				struct mallocation5 *md = &m;
				size_t count = 1;

				if (!batch_alloc5(NULL, &md, &count)) {
					fail(s, "placed batch_alloc5", 0);
					break;
				}
				p = m.ptr;
				stamp(p, big, seed);
				if (resmap_move(p, seed & 1 ? RESMAP_M2_DRAM :
						RESMAP_M2_PMEM) < 0)
					fail(s, "resmap_move", (long)big);
				else
					s->moved++;
				if (!intact(p))
					fail(s, "move changed contents", 0);
			}
			break;
		default:
			free(p);
			p = next(&r) & 1 ? malloc(size) : calloc(1, size);
			if (!p) {
				fail(s, "malloc", (long)size);
				break;
			}
			stamp(p, size, seed);
			break;
		}
		q = atomic_exchange(&s->slots[i], p);
		free(q);	/* another thread's, put back meanwhile */
		s->calls++;
	}
	return NULL;
}

/* Module commands on reservations of this thread's own. */
static void *commands(void *arg)
{
	struct stress *s = arg;
	size_t len = 64 * s->pg;
	unsigned int r = (unsigned int)(uintptr_t)&r;
	char *own = reserve(s->fd, 2 * len, 0, NULL), *v;

	if (!own) {
		fail(s, "reserve", 0);
		return NULL;
	}
	while (!s->stop) {
		unsigned char seed = next(&r);
		struct resmap_op ops[2] = {
			op_of(RESMAP_OP_COMMIT, own, len / 2,
			      RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
			      RESMAP_TIER_DRAM, 0),
			op_of(RESMAP_OP_COMMIT, own + len / 2, len / 2,
			      RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
			      RESMAP_TIER_PMEM, 0),
		};

		if (batch(s->fd, ops, 2, RESMAP_BATCH_ALL_OR_NOTHING, NULL))
			fail(s, "placed batch", ops[0].result);
		memset(own, seed, len);
		ops[0] = op_of(RESMAP_OP_MOVE, own, len, 0, RESMAP_PLACE_TIER,
			       seed & 1 ? RESMAP_TIER_PMEM : RESMAP_TIER_DRAM,
			       0);
		if (batch(s->fd, ops, 1, 0, NULL))
			fail(s, "move", ops[0].result);
		if (resize_cmd(s->fd, own, len, 2 * len, 0))
			fail(s, "resize", 0);
		for (size_t k = 0; k < len; k += 512)
			if ((unsigned char)own[k] != seed) {
				fail(s, "page changed", (long)k);
				break;
			}
		if (range_cmd(s->fd, RESMAP_IOC_DECOMMIT, own, 2 * len, 0))
			fail(s, "decommit", 0);

		/* A victim the unmapper takes while this commits into it. */
		v = reserve(s->fd, 16 * s->pg, 0, NULL);
		if (v) {
			v = atomic_exchange(&s->victim, v);
			if (v)
				munmap(v, 16 * s->pg);
			range_cmd(s->fd, RESMAP_IOC_COMMIT,
				  atomic_load(&s->victim), 16 * s->pg,
				  RESMAP_COMMIT_POPULATE);
			v = atomic_exchange(&s->victim, NULL);
			if (v)
				munmap(v, 16 * s->pg);
		}
		s->commands++;
	}
	munmap(own, 2 * len);
	return NULL;
}

static void *unmapper(void *arg)
{
	struct stress *s = arg;

	while (!s->stop) {
		char *v = atomic_exchange(&s->victim, NULL);

		if (v)
			munmap(v, 16 * s->pg);
		else
			sched_yield();
	}
	return NULL;
}

/* Children see the COPY reservation as it was and can allocate. */
static void *forker(void *arg)
{
	struct stress *s = arg;

	while (!s->stop) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			void *p = malloc(100000);
			int ok = p != NULL;

			for (long i = 0; i < COPY_PAGES * s->pg; i += 256)
				ok &= s->copy[i] == (char)(i / s->pg + 1);
			free(p);
			_exit(ok ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			fail(s, "child", pid);
		s->forks++;
		usleep(2000);
	}
	return NULL;
}

static int run_stress(int seconds)
{
	void *(*roles[])(void *) = {
		shim_calls, shim_calls, shim_calls, shim_calls, commands,
		commands, unmapper, forker,
	};
	enum { NR = sizeof(roles) / sizeof(roles[0]) };
	struct stress *s = calloc(1, sizeof(*s));
	pthread_t t[NR];

	if (!s)
		return 2;
	s->pg = page_size();
	s->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	s->copy = reserve(s->fd, COPY_PAGES * s->pg, 0, NULL);
	if (s->fd < 0 || !s->copy ||
	    range_cmd(s->fd, RESMAP_IOC_COMMIT, s->copy, COPY_PAGES * s->pg, 0))
		return 2;
	for (long i = 0; i < COPY_PAGES; i++)
		memset(s->copy + i * s->pg, (char)(i + 1), s->pg);
	for (int i = 0; i < NR; i++)
		if (pthread_create(&t[i], NULL, roles[i], s))
			return 2;
	sleep(seconds);
	s->stop = true;
	for (int i = 0; i < NR; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < SLOTS; i++) {
		void *p = s->slots[i];

		if (p && !intact(p))
			fail(s, "block changed at the end", i);
		free(p);
	}
	printf("# %ld shim calls, %ld command rounds, %ld tier moves, %ld forks; %s\n",
	       (long)s->calls, (long)s->commands, (long)s->moved,
	       (long)s->forks, s->bad ? s->why : "nothing lost");
	fflush(stdout);
	return s->bad || !s->calls || !s->commands || !s->forks ? 1 : 0;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/* The harness's limit only catches a hang: the run bounds itself. */
TEST_F_TIMEOUT(stress, eight_threads_then_everything_back, 3600)
{
	const char *env = getenv("RESMAP_STRESS_SECONDS");
	int seconds = env ? atoi(env) : 10, status;
	struct resmap_counters c0, c1;
	long free0[MAX_NODES], free1;
	pid_t pid;

	if (access(RESMAP_DEVICE, R_OK | W_OK))
		SKIP(return, "no " RESMAP_DEVICE);
	/*
	 * This process runs on the shim too: let the reading of the counters,
	 * the shrinking of slab caches and the reading of node memory (stdio
	 * and directory buffers) take their spans first, so that its own
	 * state is the same before and after.
	 */
	for (int i = 0; i < 2; i++) {
		c0 = resmap_counters();
		slab_caches_shrink();
		free0[0] = node_free_kib(0);
	}
	c0 = resmap_counters();
	slab_caches_shrink();
	for (int n = 0; n < MAX_NODES; n++)
		free0[n] = node_free_kib(n);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(run_stress(seconds));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	c1 = resmap_counters();
	EXPECT_EQ(c0.files, c1.files);
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas, c1.vmas);
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
	slab_caches_shrink();
	for (int n = 0; n < MAX_NODES; n++) {
		if (free0[n] < 0)
			continue;
		free1 = node_free_kib(n);
		EXPECT_GE(free1 + free0[n] / 100, free0[n])
			TH_LOG("node %d: %ld KiB free before, %ld after", n,
			       free0[n], free1);
	}
}

TEST_HARNESS_MAIN
