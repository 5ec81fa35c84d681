// SPDX-License-Identifier: GPL-2.0
/*
 * Many threads at once: commands on a shared reservation while others
 * fault on it, reservations munmapped while being committed, forks in the
 * middle of it all.  No crash, no lost or foreign page (each thread checks
 * a region only it writes), and afterwards every counter is back where it
 * started.  The test bed fails the run on any kernel warning.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#define SHARED_PAGES	1024
#define OWN_PAGES	64
/* RESMAP_RACE_SECONDS (3): the debug kernel, several times slower, runs longer. */
static unsigned int run_seconds(void)
{
	const char *v = getenv("RESMAP_RACE_SECONDS");

	return v && *v ? (unsigned int)strtoul(v, NULL, 0) : 3;
}

struct race {
	int fd;
	long pg;
	char *shared;
	_Atomic(char *) victim;		/* a reservation about to be unmapped */
	atomic_bool stop;
	atomic_long ops, faults, segv, forks, errors;
};

static _Thread_local sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

static unsigned int next_rand(unsigned int *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

/* Commit/decommit/resize random ranges of the shared reservation. */
static void *committer(void *arg)
{
	struct race *r = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	while (!r->stop) {
		long first = next_rand(&seed) % SHARED_PAGES;
		long n = 1 + next_rand(&seed) % (SHARED_PAGES - first);
		char *at = r->shared + first * r->pg;
		int ret;

		switch (next_rand(&seed) % 4) {
		case 0:
			ret = range_cmd(r->fd, RESMAP_IOC_COMMIT, at, n * r->pg,
					RESMAP_COMMIT_POPULATE);
			break;
		case 1:
			ret = range_cmd(r->fd, RESMAP_IOC_COMMIT, at,
					n * r->pg, 0);
			break;
		case 2:
			ret = range_cmd(r->fd, RESMAP_IOC_DECOMMIT, at,
					n * r->pg, 0);
			break;
		default:
			ret = resize_cmd(r->fd, r->shared, first ? first * r->pg :
					 r->pg, (first + n) * r->pg, 0);
			break;
		}
		if (ret)
			r->errors++;
		r->ops++;
	}
	return NULL;
}

/* Read and write random shared pages; SIGSEGV when not committed. */
static void *faulter(void *arg)
{
	struct race *r = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	volatile char *p;

	while (!r->stop) {
		p = r->shared + (next_rand(&seed) % SHARED_PAGES) * r->pg;
		if (sigsetjmp(segv_jmp, 1)) {
			r->segv++;
			continue;
		}
		if (next_rand(&seed) & 1)
			*p = 1;
		else
			(void)*p;
		r->faults++;
	}
	return NULL;
}

/*
 * Its own reservation, written and checked: no page may be lost or
 * change under it, whatever the others do.  Also offers reservations to
 * the unmapper while committing into them.
 */
static void *owner(void *arg)
{
	struct race *r = arg;
	size_t len = OWN_PAGES * r->pg;
	unsigned char round = 0;
	char *own = reserve(r->fd, len, 0, NULL), *v;

	if (!own) {
		r->errors += 1000000;
		return NULL;
	}
	while (!r->stop) {
		round++;
		if (range_cmd(r->fd, RESMAP_IOC_COMMIT, own, len,
			      round & 1 ? RESMAP_COMMIT_POPULATE : 0))
			break;
		for (size_t i = 0; i < len; i += 64)
			if (own[i] != 0)
				goto corrupt;
		memset(own, round, len);
		for (size_t i = 0; i < len; i += 64)
			if ((unsigned char)own[i] != round)
				goto corrupt;
		if (range_cmd(r->fd, RESMAP_IOC_DECOMMIT, own, len, 0))
			break;

		/* A victim: committed here while the unmapper unmaps it. */
		v = reserve(r->fd, 16 * r->pg, 0, NULL);
		if (!v)
			break;
		v = atomic_exchange(&r->victim, v);
		if (v)	/* the other owner's, not taken yet */
			munmap(v, 16 * r->pg);
		range_cmd(r->fd, RESMAP_IOC_COMMIT, atomic_load(&r->victim),
			  16 * r->pg, RESMAP_COMMIT_POPULATE);
		v = atomic_exchange(&r->victim, NULL);
		if (v)
			munmap(v, 16 * r->pg);
		r->ops++;
	}
	munmap(own, len);
	return NULL;
corrupt:
	r->errors += 1000000;
	munmap(own, len);
	return NULL;
}

static void *unmapper(void *arg)
{
	struct race *r = arg;
	char *v;

	while (!r->stop) {
		v = atomic_exchange(&r->victim, NULL);
		if (v)
			munmap(v, 16 * r->pg);
		else
			sched_yield();
	}
	return NULL;
}

/* Fork while all that runs; the child touches shared pages and exits. */
static void *forker(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		pid_t pid = fork();

		if (pid == 0) {
			for (long i = 0; i < SHARED_PAGES; i += 16) {
				if (sigsetjmp(segv_jmp, 1))
					continue;
				r->shared[i * r->pg] = 2;
			}
			_exit(0);
		}
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			r->forks++;
		}
	}
	return NULL;
}

static void run_race(struct __test_metadata *_metadata, unsigned int mode)
{
	void *(*roles[])(void *) = {
		committer, committer, faulter, faulter, owner, owner,
		unmapper, forker,
	};
	enum { NR = sizeof(roles) / sizeof(roles[0]) };
	struct resmap_counters c0 = resmap_counters(), c1;
	struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
	pthread_t t[NR];
	struct race r;
	int i;

	memset(&r, 0, sizeof(r));
	r.pg = page_size();
	r.fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	r.shared = reserve_flags(r.fd, SHARED_PAGES * r.pg, 0, NULL, mode);
	ASSERT_NE(NULL, r.shared);
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, roles[i], &r));
	sleep(run_seconds());
	r.stop = true;
	for (i = 0; i < NR; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld commands, %ld faults, %ld SIGSEGV, %ld forks",
	       (long)r.ops, (long)r.faults, (long)r.segv, (long)r.forks);
	EXPECT_EQ(0, r.errors);
	EXPECT_LT(100, r.ops);
	EXPECT_LT(0, r.segv);
	EXPECT_LT(0, r.forks);

	ASSERT_EQ(0, munmap(r.shared, SHARED_PAGES * r.pg));
	close(r.fd);
	c1 = resmap_counters();
	EXPECT_EQ(c0.files, c1.files);
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas, c1.vmas);
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
}

TEST(threads_on_copy_reservation)
{
	run_race(_metadata, 0);
}

/* The same with the shared reservation shmem-backed and FORK_SHARE. */
TEST(threads_on_share_reservation)
{
	run_race(_metadata, RESMAP_RESERVE_FORK_SHARE);
}

TEST_HARNESS_MAIN
