// SPDX-License-Identifier: GPL-2.0
/*
 * Misuse the shim can detect cheaply ends the process like glibc does:
 * a message naming the call and the pointer on stderr, then abort().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "shim_test.h"

/* The misuse below is deliberate. */
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="

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
