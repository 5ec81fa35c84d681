// SPDX-License-Identifier: GPL-2.0
/*
 * The shim loaded at run time (dlopen, as a Python extension or a plugin
 * that links it would be) into a program that already has threads: its
 * first call can then come from several threads at once, and can race a
 * fork().  This program does not link the shim; each trial forks a
 * process in which it has never been called.
 *
 * A fork while another thread was starting the shim up once gave a child
 * half of it: an arena without its span table (a crash on the child's
 * first malloc), or fork handlers registered twice (the child's own next
 * fork deadlocked).  To stop a thread at every step of the start-up,
 * this program defines the libc calls through which the shim changes
 * anything (system calls, fork handlers, thread keys): the shim, loaded
 * after it, binds to these, which pass each call on to libc's.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define THREADS		8
#define MAX_POINTS	400
#define NOT_REACHED	99	/* trial(): the first call had fewer points */

struct shim {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*realloc)(void *, size_t);
	void *(*aligned_alloc)(size_t, size_t);
};

static struct shim shim;
static void *shim_handle;

static int shim_load(void)
{
	/*
	 * Found through this program's RUNPATH, the build's libshim, by its
	 * soname as any program would (the .so link is only for linking).
	 */
	void *h = dlopen("libresmap-shim.so.1", RTLD_NOW | RTLD_LOCAL);

	shim_handle = h;
	if (!h)
		return -1;
	shim.malloc = (void *(*)(size_t))dlsym(h, "malloc");
	shim.free = (void (*)(void *))dlsym(h, "free");
	shim.realloc = (void *(*)(void *, size_t))dlsym(h, "realloc");
	shim.aligned_alloc = (void *(*)(size_t, size_t))dlsym(h, "aligned_alloc");
	return shim.malloc && shim.free && shim.realloc && shim.aligned_alloc ?
	       0 : -1;
}

/*
 * Points: just before and just after each call below, in the thread
 * making the first call (@counted).  At point @stop_at that thread sleeps
 * 20 ms, long enough for another to fork.
 */
static __thread bool counted;
static int points, stop_at;
static atomic_bool go, stopped, finished;

static void point(void)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };
	int err = errno;

	if (counted && ++points == stop_at) {
		atomic_store(&stopped, true);
		nanosleep(&t, NULL);
	}
	errno = err;
}

#define REAL(name)							\
	static __typeof__(name) *real;					\
	if (!real)							\
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *ret;
	REAL(mmap);

	point();
	ret = real(addr, len, prot, flags, fd, off);
	point();
	return ret;
}

int munmap(void *addr, size_t len)
{
	int ret;
	REAL(munmap);

	point();
	ret = real(addr, len);
	point();
	return ret;
}

int mprotect(void *addr, size_t len, int prot)
{
	int ret;
	REAL(mprotect);

	point();
	ret = real(addr, len, prot);
	point();
	return ret;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int ret;
	REAL(open);

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	point();
	ret = real(path, flags, mode);
	point();
	return ret;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;
	REAL(ioctl);

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	point();
	ret = real(fd, req, arg);
	point();
	return ret;
}

/* What pthread_atfork() calls. */
int __register_atfork(void (*prepare)(void), void (*parent)(void),
		      void (*child)(void), void *dso);
int __register_atfork(void (*prepare)(void), void (*parent)(void),
		      void (*child)(void), void *dso)
{
	int ret;
	REAL(__register_atfork);

	point();
	ret = real(prepare, parent, child, dso);
	point();
	return ret;
}

int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
	int ret;
	REAL(pthread_key_create);

	point();
	ret = real(key, destructor);
	point();
	return ret;
}

static long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Small, large and aligned blocks, written and checked; 0 if all good. */
static int use_shim(unsigned int seed)
{
	unsigned char *p[64];
	int bad = 0;

	for (int i = 0; i < 64; i++) {
		size_t n = (i * 977 + seed) % 3000 + 1;

		p[i] = i % 16 == 15 ? shim.aligned_alloc(4096, 200000) :
				      shim.malloc(n);
		if (!p[i])
			return 1;
		p[i][0] = (unsigned char)(i + seed);
	}
	p[0] = shim.realloc(p[0], 1 << 20);
	if (!p[0])
		return 1;
	for (int i = 0; i < 64; i++) {
		bad |= p[i][0] != (unsigned char)(i + seed);
		bad |= i % 16 == 15 && ((size_t)p[i] & 4095);
		shim.free(p[i]);
	}
	return bad;
}

/* A child must be able to allocate, and to fork again. */
static int child_works(void)
{
	int status;
	pid_t pid;

	alarm(20);	/* a deadlock in the shim's fork handling */
	if (use_shim(1))
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(use_shim(2));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status) || use_shim(3);
}

static void *first_call(void *arg)
{
	long bad;

	counted = !arg;
	while (!atomic_load(&go))
		;
	bad = use_shim((unsigned int)(long)arg);
	atomic_store(&finished, true);
	return (void *)bad;
}

/*
 * One trial, in a fresh process: @threads threads make the shim's first
 * calls at once.  With @stop > 0, the first of them is stopped at point
 * @stop of its calls while this thread forks, and the child must work.
 * Exit status 0 when all went well, NOT_REACHED when the thread made
 * fewer calls, else which part failed.
 */
static int trial(int threads, int stop)
{
	pthread_t t[THREADS];
	int status, rc = 0;
	void *ret;
	pid_t pid;

	stop_at = stop;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, first_call, (void *)(long)i))
			return 10;
	atomic_store(&go, true);
	if (stop) {
		while (!atomic_load(&stopped) && !atomic_load(&finished))
			;
		if (!atomic_load(&stopped)) {
			rc = NOT_REACHED;
		} else {
			pid = fork();
			if (pid == 0)
				_exit(child_works());
			if (pid < 0 || waitpid(pid, &status, 0) != pid)
				rc = 11;
			else if (WIFSIGNALED(status))
				rc = 20 + WTERMSIG(status);
			else if (WEXITSTATUS(status))
				rc = 12;
		}
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], &ret);
		if (ret)
			rc = rc ? rc : 13;
	}
	return rc;
}

/* Run trial() in a fresh process; its exit status, or -1. */
static int run_trial(int threads, int stop)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(trial(threads, stop));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(loaded) {
};

FIXTURE_SETUP(loaded)
{
	ASSERT_EQ(0, shim_load()) TH_LOG("dlopen: %s", dlerror());
}

FIXTURE_TEARDOWN(loaded)
{
}

/* Eight threads whose first calls are the shim's first call. */
TEST_F(loaded, first_calls_from_eight_threads_at_once)
{
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(0, run_trial(THREADS, 0)) TH_LOG("trial %d", i);
	}
}

/*
 * A fork at every step of the shim's start-up, and of the call after:
 * about 80 trials, a few seconds here, minutes on a debug kernel.
 */
TEST_F_TIMEOUT(loaded, fork_at_every_step_of_the_first_call, 1200)
{
	int failed = 0, rc = 0, stop;
	long t0 = now_ns();

	for (stop = 1; stop <= MAX_POINTS; stop++) {
		rc = run_trial(1, stop);
		if (rc == NOT_REACHED)
			break;
		if (rc) {
			failed++;
			TH_LOG("fork at point %d: trial status %d (20+n: the child was killed by signal n)",
			       stop, rc);
		}
	}
	ASSERT_EQ(NOT_REACHED, rc) TH_LOG("more than %d points", MAX_POINTS);
	TH_LOG("%d points, %.1f s", stop - 1, (now_ns() - t0) / 1e9);
	EXPECT_LT(8, stop - 1);
	EXPECT_EQ(0, failed);
}

/*
 * dlclose while a thread that used the shim lives: when that thread
 * exits, its cache is flushed by the shim's code, which must still be
 * there (it once was unmapped: SIGSEGV).
 */
static atomic_bool used, release;

static void *user_thread(void *arg)
{
	(void)arg;
	if (use_shim(5))
		return (void *)1;
	atomic_store(&used, true);
	while (!atomic_load(&release))
		usleep(1000);
	return NULL;
}

TEST(dlclose_while_a_user_thread_lives)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t t;
		void *ret;

		alarm(20);
		if (shim_load() || pthread_create(&t, NULL, user_thread, NULL))
			_exit(2);
		while (!atomic_load(&used))
			usleep(1000);
		dlclose(shim_handle);
		atomic_store(&release, true);
		pthread_join(t, &ret);
		_exit(ret ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("status %#x", status);
}

/* VmSize in kB. */
static long vm_size(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmSize:", 7))
			v = atol(line + 7);
	if (f)
		fclose(f);
	return v;
}

/* dlopen/dlclose cycles once each left the 64 GiB arena behind. */
TEST(dlopen_cycles_keep_their_address_space)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		long before = 0;

		for (int i = 0; i < 16; i++) {
			if (shim_load() || use_shim(i))
				_exit(2);
			dlclose(shim_handle);
			if (!i)
				before = vm_size();
		}
		/* Under 1 GiB more after 15 more cycles. */
		_exit(vm_size() - before < (1L << 20) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("status %#x", status);
}

TEST_HARNESS_MAIN
