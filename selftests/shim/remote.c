// SPDX-License-Identifier: GPL-2.0
/*
 * Frees from threads that do not own the span (libshim/src/remote.c):
 * many threads freeing into one owner's spans while it allocates, owners
 * exiting while their blocks are being freed, and forks while frees are
 * in flight and another owner allocates.  Each checks what a lost or doubled free would change: the
 * blocks' contents, and that freed blocks are reused (no new span is
 * committed to serve the same number of blocks again).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "shim_test.h"

#define FREERS	6
#define RING	4096

static size_t spans_committed(void)
{
	struct resmap_stats st;

	resmap_stats(&st);
	return st.committed_spans;
}

static size_t small_bytes(void)
{
	struct resmap_stats st;

	resmap_stats(&st);
	return st.small_bytes;
}

/* Blocks handed from allocating threads to freeing ones. */
static _Atomic(void *) ring[RING];
static atomic_size_t freed;
static atomic_int corrupt;
static atomic_bool stop;

/*
 * Each block holds its size in its first word, then a pattern seeded by
 * its address over at most 120 bytes (the test bed's CPUs are emulated).
 */
static size_t pattern(size_t size)
{
	return size - sizeof(size_t) < 120 ? size - sizeof(size_t) : 120;
}

static void *make(size_t size)
{
	size_t *p = malloc(size);

	if (p) {
		p[0] = size;
		fill(p + 1, pattern(size), (unsigned int)(uintptr_t)p);
	}
	return p;
}

static void unmake(void *q)
{
	size_t *p = q;

	if (!check(p + 1, pattern(p[0]), (unsigned int)(uintptr_t)p))
		corrupt++;
	free(p);
	freed++;
}

/* Free whatever is in the ring, from slot @first by @step, until stop. */
static void *freer(void *arg)
{
	uintptr_t first = (uintptr_t)arg;
	bool last = false;
	void *p;

	while (!last) {
		last = atomic_load(&stop);
		for (size_t i = first; i < RING; i += FREERS)
			if ((p = atomic_exchange(&ring[i], NULL)))
				unmake(p);
	}
	return NULL;
}

static size_t size_of(size_t i)
{
	return 16 + i * 48 % 1000;
}

/* Put @n blocks into the ring, each in the first empty slot from @i. */
static void produce(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = i % RING;
		void *p = make(size_of(i));

		void *empty = NULL;

		if (!p)
			return;
		/* A CAS: there may be more than one producer. */
		while (!atomic_compare_exchange_weak(&ring[k], &empty, p)) {
			empty = NULL;
			sched_yield();
		}
	}
}

static void start_freers(pthread_t *t)
{
	atomic_store(&stop, false);
	for (uintptr_t i = 0; i < FREERS; i++)
		pthread_create(&t[i], NULL, freer, (void *)i);
}

static void stop_freers(pthread_t *t)
{
	atomic_store(&stop, true);
	for (int i = 0; i < FREERS; i++)
		pthread_join(t[i], NULL);
}

/* Emulated CPUs in the test bed, ASan: past the harness's 30 s. */
FIXTURE(remote) {
};

FIXTURE_SETUP(remote)
{
}

FIXTURE_TEARDOWN(remote)
{
}

/*
 * One thread allocates while six free its blocks: every block arrives
 * intact, and the owner reuses what they freed (a lost remote free
 * would leave its span's objects out for ever).
 */
TEST_F_TIMEOUT(remote, many_threads_free_into_one_owners_spans, 600)
{
	size_t before, after, n = 50000;
	pthread_t t[FREERS];

	produce(RING);	/* the spans this needs, reached once */
	start_freers(t);
	while (atomic_load(&freed) < RING)
		sched_yield();
	before = spans_committed();
	produce(n);
	stop_freers(t);
	after = spans_committed();
	TH_LOG("%zu blocks freed by %d threads; spans committed %zu, then %zu",
	       atomic_load(&freed), FREERS, before, after);
	EXPECT_EQ(0, atomic_load(&corrupt));
	EXPECT_EQ(RING + n, atomic_load(&freed));
	/*
	 * The ring holds at most 4096 blocks, as many of each size as the
	 * first 4096 did (give or take one, and those in the freers' hands):
	 * the same spans serve them.
	 */
	EXPECT_LE(after, before + 4);
}

/* An owner that allocates its blocks, hands them out and exits. */
static void *owner(void *arg)
{
	produce((uintptr_t)arg);
	return NULL;
}

/*
 * Owners exit while their blocks are still being freed: frees that
 * race with the exit reach the spans it orphans, which then empty (a
 * lost free would keep its span, and the span's bytes, out for ever).
 */
TEST_F_TIMEOUT(remote, owner_exit_while_remote_frees_in_flight, 600)
{
	pthread_t t[FREERS], o;
	size_t b0, b1;

	start_freers(t);
	ASSERT_EQ(0, pthread_create(&o, NULL, owner, (void *)RING));
	ASSERT_EQ(0, pthread_join(o, NULL));
	while (atomic_load(&freed) < RING)
		sched_yield();
	b0 = small_bytes();
	for (int round = 0; round < 40; round++) {
		ASSERT_EQ(0, pthread_create(&o, NULL, owner, (void *)RING));
		ASSERT_EQ(0, pthread_join(o, NULL));
	}
	stop_freers(t);
	b1 = small_bytes();
	TH_LOG("small bytes after one owner %zu, after 40 more %zu", b0, b1);
	EXPECT_EQ(0, atomic_load(&corrupt));
	EXPECT_EQ(41 * RING, atomic_load(&freed));
	/* Every block is back: the orphans emptied. */
	EXPECT_LE(b1, b0 + (64 << 10));
}

/* Park a thread that owns blocks, so that a fork child has its spans. */
static pthread_mutex_t park = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool parked;

static void *parked_owner(void *arg)
{
	void **blocks = arg;

	for (int i = 0; i < 1000; i++)
		blocks[i] = make(size_of(i));
	atomic_store(&parked, true);
	pthread_mutex_lock(&park);
	pthread_mutex_unlock(&park);
	return NULL;
}

/*
 * The child of a fork taken while other threads free: it frees what
 * was still out.  The parked thread's blocks empty its spans, which the
 * child has no thread for (their bytes leave the small-object count),
 * and allocating again as many blocks as the parent had out takes no new
 * span.  No stdio: in the child of a threaded process, only
 * async-signal-safe calls and the allocator under test.
 */
static int child(void **blocks)
{
	size_t s1, s2, b1, b2, parked_bytes = 0;
	void *again[RING / 2];
	void *p;

	for (size_t i = 0; i < RING; i++)
		if ((p = atomic_exchange(&ring[i], NULL)))
			unmake(p);
	if (atomic_load(&corrupt))
		return 1;
	b1 = small_bytes();
	for (int i = 0; i < 1000; i++) {
		parked_bytes += size_of(i);
		free(blocks[i]);
	}
	b2 = small_bytes();
	if (b2 + parked_bytes / 2 > b1)
		return 2;
	s1 = spans_committed();
	for (size_t i = 0; i < RING / 2; i++)
		again[i] = malloc(size_of(i));
	s2 = spans_committed();
	for (size_t i = 0; i < RING / 2; i++)
		free(again[i]);
	return s2 > s1 + 2 ? 3 : 0;
}

/* Another owner, allocating all along: forks find it in its slow paths. */
static atomic_bool busy_stop;

static void *busy_owner(void *arg)
{
	(void)arg;
	while (!atomic_load(&busy_stop))
		produce(RING / 8);
	return NULL;
}

TEST_F_TIMEOUT(remote, fork_while_remote_frees_in_flight, 600)
{
	void *blocks[1000];
	pthread_t t[FREERS], o, busy;
	int status, ok = 0;

	pthread_mutex_lock(&park);
	ASSERT_EQ(0, pthread_create(&o, NULL, parked_owner, blocks));
	while (!atomic_load(&parked))
		sched_yield();
	start_freers(t);
	ASSERT_EQ(0, pthread_create(&busy, NULL, busy_owner, NULL));
	for (int f = 0; f < 20; f++) {
		pid_t pid;

		produce(RING / 2);
		/* The owner's blocks must exist before the fork copies them. */
		usleep(1000);
		pid = fork();
		if (pid == 0)
			syscall(SYS_exit_group, child(blocks));
		ASSERT_LT(0, pid);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
		ok += WIFEXITED(status) && !WEXITSTATUS(status);
	}
	atomic_store(&busy_stop, true);
	ASSERT_EQ(0, pthread_join(busy, NULL));
	stop_freers(t);
	pthread_mutex_unlock(&park);
	ASSERT_EQ(0, pthread_join(o, NULL));
	for (int i = 0; i < 1000; i++)
		free(blocks[i]);
	EXPECT_EQ(20, ok);
	EXPECT_EQ(0, atomic_load(&corrupt));
}

TEST_HARNESS_MAIN
