// SPDX-License-Identifier: GPL-2.0
/*
 * Misuse the shim can detect cheaply ends the process like glibc does:
 * a message naming the call and the pointer on stderr, then abort().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define SHIM_CHILDREN
#include "kselftest_harness.h"
#include "shim_test.h"

/* The misuse below is deliberate. */
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wuse-after-free"	/* realloc that fails */

/* Run @fn in a child with stderr captured; its signal and message. */
static int run_child(void (*fn)(void), char *msg, size_t len)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	for (size_t got = 0; got < len - 1; got += n) {
		n = read(fds[0], msg + got, len - 1 - got);
		if (n <= 0) {
			msg[got] = 0;
			break;
		}
		msg[got + n] = 0;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* volatile: the compiler must not pair up and drop malloc and free. */
static void double_free_small(void)
{
	void *volatile p = malloc(32);

	free(p);
	free(p);
}

static void double_free_large(void)
{
	void *volatile p = malloc(1 << 20);

	free(p);
	free(p);
}

static void free_stack_pointer(void)
{
	int x;

	free(&x);
}

static void free_interior_pointer(void)
{
	char *volatile p = malloc(64);

	free(p + 16);
}

static void realloc_foreign(void)
{
	static char buf[64];

	(void)!realloc(buf, 100);
}

TEST(detected_misuse_aborts_with_a_message)
{
	char msg[512];

	EXPECT_EQ(SIGABRT, run_child(double_free_small, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "double free")) TH_LOG("%s", msg);
	EXPECT_EQ(SIGABRT, run_child(double_free_large, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "invalid pointer")) TH_LOG("%s", msg);
	EXPECT_EQ(SIGABRT, run_child(free_stack_pointer, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "free(): invalid pointer")) TH_LOG("%s", msg);
	EXPECT_EQ(SIGABRT, run_child(free_interior_pointer, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "invalid pointer")) TH_LOG("%s", msg);
	EXPECT_EQ(SIGABRT, run_child(realloc_foreign, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "realloc(): invalid pointer"))
		TH_LOG("%s", msg);
}

TEST(bad_arguments_are_errno)
{
	errno = 0;
	EXPECT_EQ(NULL, malloc(SIZE_MAX - 100));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(NULL, aligned_alloc(3, 10));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, aligned_realloc(NULL, 6, 10));
	EXPECT_EQ(EINVAL, errno);
	{
		struct mallocation5 m = { NULL, 10, 0, 0,
					  RESMAP_M2_DRAM | RESMAP_M2_PMEM };
		struct mallocation5 *md[1] = { &m };
		size_t count = 1;
		int err = 0;

		EXPECT_FALSE(batch_alloc5(&err, md, &count));
		EXPECT_EQ(EINVAL, err);
		EXPECT_EQ(NULL, m.ptr);
	}
}

/*
 * A size within one alignment of SIZE_MAX once wrapped when rounded up:
 * every batch call returned tiny blocks (alignments up to 64 KiB), or one
 * pointer to unmapped memory for every element (128 KiB and more).
 */
TEST(batch_sizes_near_size_max_are_enomem)
{
	static const size_t aligns[] = { 0, 32, 64, 4096, 64 << 10,
					 128 << 10, 1 << 20 };

	for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		size_t align = aligns[a], step = align ? align : 16;
		size_t deltas[] = { 0, 1, step / 2, step - 1 };

		for (size_t d = 0; d < 4; d++) {
			size_t size = SIZE_MAX - deltas[d], sz = size, count = 4;
			struct mallocation2 m2[4], *md2[4];
			struct mallocation5 m5[4], *md5[4];
			void *ptrs[4] = { 0 };
			int errs[4];

			batch_alloc1(errs, ptrs, &count, &sz, align, 0,
				     M2_BATCH_IS_ALL_ALLOC);
			EXPECT_EQ(0, count) TH_LOG("align %zu size %zx", align, size);
			for (int i = 0; i < 4; i++) {
				EXPECT_EQ(NULL, ptrs[i]);
				EXPECT_EQ(ENOMEM, errs[i]);
				m2[i] = (struct mallocation2){ NULL, size };
				md2[i] = &m2[i];
				m5[i] = (struct mallocation5){ NULL, size, align, 0,
							       M2_BATCH_IS_ALL_ALLOC };
				md5[i] = &m5[i];
			}
			count = 4;
			EXPECT_FALSE(batch_alloc2(errs, md2, &count, align, 0,
						  M2_BATCH_IS_ALL_ALLOC));
			EXPECT_EQ(0, count) TH_LOG("align %zu size %zx", align, size);
			count = 4;
			EXPECT_FALSE(batch_alloc5(errs, md5, &count));
			EXPECT_EQ(0, count) TH_LOG("align %zu size %zx", align, size);
			for (int i = 0; i < 4; i++) {
				EXPECT_EQ(NULL, m2[i].ptr);
				EXPECT_EQ(NULL, m5[i].ptr);
				EXPECT_EQ(ENOMEM, errs[i]);
			}
		}
	}
}

/* Resizing to more than PTRDIFF_MAX is out of memory, as in glibc. */
TEST(resize_beyond_ptrdiff_max_is_enomem)
{
	static const size_t sizes[] = { 64, 1 << 20 };

	for (int i = 0; i < 2; i++) {
		char *p = malloc(sizes[i]);

		ASSERT_NE(NULL, p);
		p[0] = 7;
		errno = 0;
		EXPECT_EQ(NULL, realloc(p, (size_t)PTRDIFF_MAX + 1));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, realloc(p, SIZE_MAX - 4096));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, aligned_realloc(p, 4096, (size_t)PTRDIFF_MAX + 1));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, malloc((size_t)PTRDIFF_MAX + 1));
		EXPECT_EQ(ENOMEM, errno);
		EXPECT_EQ(7, p[0]);
		free(p);
	}
}

/* The same pointer twice in one M2_BATCH_IS_ALL_FREE batch. */
static void batch_free_twice(void)
{
	void *ptrs[4] = { 0 };
	size_t count = 3, size = 64, zero = 0;

	batch_alloc1(NULL, ptrs, &count, &size, 0, 0, M2_BATCH_IS_ALL_ALLOC);
	ptrs[3] = ptrs[0];
	count = 4;
	batch_alloc1(NULL, ptrs, &count, &zero, 0, 0, M2_BATCH_IS_ALL_FREE);
	/* Not reached: the free list would now be a cycle. */
}

TEST(duplicate_pointer_in_a_batch_free_aborts)
{
	char msg[512];

	EXPECT_EQ(SIGABRT, run_child(batch_free_twice, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "double free")) TH_LOG("%s", msg);
}

/*
 * Another thread frees a block twice: its span's remote list becomes a
 * cycle, found when the owner takes the list at its next refill.
 */
static void *free_twice(void *p)
{
	free(p);
	free(p);
	return NULL;
}

static void remote_double_free(void)
{
	void *volatile p = malloc(64);
	pthread_t t;

	pthread_create(&t, NULL, free_twice, p);
	pthread_join(t, NULL);
	/* Enough for a refill of the class, which takes the remote list. */
	for (int i = 0; i < 5000; i++)
		p = malloc(64);
}

TEST(double_free_from_another_thread_aborts)
{
	char msg[512];

	EXPECT_EQ(SIGABRT, run_child(remote_double_free, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "double free")) TH_LOG("%s", msg);
}

static int child_main(const char *name)
{
	void *p;

	if (!strcmp(name, "first-malloc-errno")) {
		/* The shim's first call; /dev/resmap may be missing. */
		errno = 0;
		p = malloc(16);
		return !p || errno ? 1 : 0;
	}
	return 99;
}

/* A successful first malloc leaves errno alone (it once left ENOENT). */
TEST(first_malloc_keeps_errno)
{
	EXPECT_EQ(0, shim_child("first-malloc-errno", NULL, 0));
}

#ifdef __SANITIZE_ADDRESS__
/*
 * The sanitizer build (san-errors) poisons free small objects: a write
 * into one after free(), past its list words, is reported by ASan.
 */
TEST(asan_sees_use_after_free_of_a_small_block)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *p = malloc(200);

		p[100] = 1;
		free(p);
		((volatile char *)p)[100] = 2;
		_exit(0);	/* not reached: ASan exits 1 */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}
#endif

TEST_HARNESS_MAIN
