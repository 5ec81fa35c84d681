// SPDX-License-Identifier: GPL-2.0
/*
 * Eight threads mixing every call, freeing each other's blocks, while
 * the process forks: no corruption (every block keeps its pattern), no
 * crash, and the child of a fork can allocate and free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "shim_test.h"

#define THREADS	8
#define SLOTS	4096
#define FORKS	40

/* Each block starts with its size and seed, then a pattern. */
struct head {
	size_t size;
	unsigned int seed;
};

static _Atomic(void *) slots[SLOTS];
static atomic_int bad, forks_ok;
static atomic_bool stop;

static size_t span(size_t size)
{
	return size < 256 ? size : 256;
}

static void stamp(void *p, size_t size, unsigned int seed)
{
	struct head *h = p;

	h->size = size;
	h->seed = seed;
	fill((char *)p + sizeof(*h), span(size) - sizeof(*h), seed);
}

/* Whether the first @n bytes of a stamped block are intact. */
static int intact(const void *p, size_t n)
{
	const struct head *h = p;
	size_t len = span(n < h->size ? n : h->size);

	return len <= sizeof(*h) ||
	       check((const char *)p + sizeof(*h), len - sizeof(*h), h->seed);
}

static void *take(unsigned int i)
{
	void *p = atomic_exchange(&slots[i], NULL);

	if (p && !intact(p, SIZE_MAX))
		bad++;
	return p;
}

static void put(unsigned int i, void *p, size_t size, unsigned int seed)
{
	stamp(p, size, seed);
	p = atomic_exchange(&slots[i], p);
	free(p);	/* raced with another put */
}

static void *worker(void *arg)
{
	unsigned int r = (unsigned int)(uintptr_t)arg * 7919 + 1, i;
	size_t size, old;
	void *p, *q;

	while (!stop) {
		r = r * 1103515245 + 12345;
		i = (r >> 8) % SLOTS;
		size = sizeof(struct head) + (r >> 4) % ((r & 1) ? 200 : 300000);
		p = take(i);
		old = p ? ((struct head *)p)->size : 0;
		switch (r % 7) {
		case 0:
			free(p);
			p = malloc(size);
			break;
		case 1:
			free(p);
			p = calloc(1, size);
			if (p && !all_zero(p, size))
				bad++;
			break;
		case 2:
			q = realloc(p, size);
			if (q && p && !intact(q, size))
				bad++;
			p = q ? q : p;
			size = q ? size : old;
			break;
		case 3:
			free(p);
			p = aligned_alloc(64, size);
			if (p && (uintptr_t)p % 64)
				bad++;
			break;
		case 4: {
			size_t count = 4, sz = size % 1000 + sizeof(struct head);
			void *four[4] = { 0 };

			free(p);
			batch_alloc1(NULL, four, &count, &sz, 0, 0,
				     M2_BATCH_IS_ALL_ALLOC);
			for (unsigned int k = 1; k < count; k++)
				free(four[k]);
			p = count ? four[0] : NULL;
			size = sz;
			break;
		}
		case 5: {
			struct mallocation5 m = { p, size, 0, 0, M2_ZERO_MEMORY };
			struct mallocation5 *md[1] = { &m };
			size_t count = 1;

			if (batch_alloc5(NULL, md, &count)) {
				if (p && !intact(m.ptr, size))
					bad++;
				p = m.ptr;
			} else {
				size = old;	/* unchanged on failure */
			}
			break;
		}
		default:
			free(p);
			p = NULL;
		}
		if (p)
			put(i, p, size, r);
	}
	return NULL;
}

/* Minutes under ASan on the debug kernel: past the harness's 30 s. */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, eight_threads_every_call_and_fork, 600)
{
	pthread_t t[THREADS];
	struct timespec t0, t1;
	int status, forks;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uintptr_t i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker, (void *)i));
	/*
	 * Many forks, each of which must find every allocator lock free to
	 * take; at most FORKS, for at most 3 s (debug kernels are slow).
	 */
	for (forks = 0; forks < FORKS; forks++) {
		struct timespec now;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (forks >= 5 && now.tv_sec - t0.tv_sec >= 3)
			break;
		usleep(25 * 1000);
		pid = fork();
		if (pid == 0) {
			/* The child: its allocator works, single-threaded. */
			void *q[1000];

			for (int i = 0; i < 1000; i++)
				q[i] = malloc(i * 37 % 5000 + 1);
			for (int i = 0; i < 1000; i++)
				free(q[i]);
			q[0] = realloc(malloc(200000), 2 << 20);
			free(q[0]);
			/*
			 * Not _exit(): before a noreturn call ASan's runtime
			 * allocates, and in a child forked from threads its
			 * allocator lock may be held forever (san-threads).
			 */
			syscall(SYS_exit_group, 0);
		}
		ASSERT_LT(0, pid);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			forks_ok++;
	}
	stop = true;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < SLOTS; i++)
		free(take(i));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("%.1f s", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(forks, forks_ok);
	EXPECT_LE(5, forks);
}

/*
 * A thread that only frees (blocks from another thread) must give its
 * cache back when it exits, as must frees in TSD destructors that run
 * after the shim's: each such thread once kept up to 1 MiB per class.
 */
#define BLOCK	(100 << 10)
#define EACH	8

static void *free_only(void *arg)
{
	void **blocks = arg;

	for (int i = 0; i < EACH; i++)
		free(blocks[i]);
	return NULL;
}

static pthread_key_t late_key;

static void *free_at_exit(void *arg)
{
	(void)arg;
	/* Keys made after the shim's: this destructor runs after its own. */
	pthread_setspecific(late_key, malloc(BLOCK));
	return NULL;
}

TEST(free_only_threads_give_their_caches_back)
{
	struct resmap_stats s0, s1, s2;
	void *blocks[EACH];
	pthread_t t;

	free(malloc(BLOCK));
	resmap_stats(&s0);
	for (int n = 0; n < 100; n++) {
		for (int i = 0; i < EACH; i++)
			ASSERT_NE(NULL, blocks[i] = malloc(BLOCK));
		ASSERT_EQ(0, pthread_create(&t, NULL, free_only, blocks));
		ASSERT_EQ(0, pthread_join(t, NULL));
	}
	resmap_stats(&s1);
	ASSERT_EQ(0, pthread_key_create(&late_key, free));
	for (int n = 0; n < 100; n++) {
		ASSERT_EQ(0, pthread_create(&t, NULL, free_at_exit, NULL));
		ASSERT_EQ(0, pthread_join(t, NULL));
	}
	resmap_stats(&s2);
	TH_LOG("small bytes: %zu, after free-only threads %zu, after destructors %zu",
	       s0.small_bytes, s1.small_bytes, s2.small_bytes);
	/* This thread's cache may hold a few blocks more. */
	EXPECT_LE(s1.small_bytes, s0.small_bytes + 2 * EACH * BLOCK);
	EXPECT_LE(s2.small_bytes, s1.small_bytes + 2 * EACH * BLOCK);
}

/* A thread's first refill of a class takes a few objects, not dozens. */
static void *one_block(void *arg)
{
	struct resmap_stats *s = arg;
	void *volatile p;

	resmap_stats(&s[0]);
	p = malloc(2000);
	resmap_stats(&s[1]);
	free(p);
	return NULL;
}

TEST(first_refill_is_small)
{
	struct resmap_stats s[2];
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, one_block, s));
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* 4 objects of 2048 B (it took 16 before the refill adapted). */
	EXPECT_LE(s[1].small_bytes - s[0].small_bytes, 4 * 2048)
		TH_LOG("%zu bytes", s[1].small_bytes - s[0].small_bytes);
}

TEST_HARNESS_MAIN
