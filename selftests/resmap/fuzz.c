// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer: every command, by ioctl and by io_uring, with random and
 * mutated arguments (addresses inside and outside reservations, sizes,
 * alignments, node ids, flags, reserved fields, vector lengths, bad and
 * read-only pointers, unknown and resized command numbers) from several
 * threads, while others fault, munmap, mprotect, mremap, madvise and
 * fork over the same address range.
 *
 * That is the second test, commands_and_chaos.  The first,
 * structured.scenarios (fuzz_gen.h), builds the shapes random arguments
 * never reach: nested, duplicate, adjacent and chained BATCH spans up to
 * 65536 operations over reservations split into thousands of VMAs (with
 * vm.max_map_count raised), long commands killed and timed, FORK_SHARE
 * with fork and failing commits, io_uring SQ slots rewritten right after
 * submit and linked SQEs, MADV_COLLAPSE and shmem THP settings, mremap
 * growth, MREMAP_DONTUNMAP aliases, and unprivileged MOVE of COW- and
 * KSM-shared pages; each oracle that fires prints "# FOUND <class>".
 *
 * Bounded by operations and time, seedable, and the seed is printed:
 *   RESMAP_FUZZ_SEED=n  RESMAP_FUZZ_OPS=n  RESMAP_FUZZ_SECONDS=n
 * (defaults: a time seed, 300000 operations, 20 seconds, two thirds of
 * them for the scenarios; RESMAP_FUZZ_SCENARIO=a,b runs only those).
 * The threads interleave as the scheduler runs them, so a seed replays
 * the argument stream of each thread, not the exact interleaving.
 *
 * Passing means: every command returned 0 or an errno the ABI lists,
 * batch results agree with the call's return, memory outside the
 * reservations was never touched (the threads' own data is a target
 * too), the counters are back to the start once everything is
 * unmapped, and the test bed finds nothing in dmesg.
 *
 * All address-space changes stay inside an arena this test owns: once
 * the threads run, nothing else in this process maps memory (no malloc
 * in the threads, rings and stacks made before), so a hole the chaos
 * thread makes can only be filled by a reservation.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <liburing.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "resmap_test.h"

#define ARENA_SIZE	(64UL << 20)
#define COMMANDERS	5
#define VEC_MAX		64	/* operations in one fuzzed batch */
#define RECENT		16	/* reservations remembered as targets */
#define CHILD_CMDS	200	/* commands a forked child runs */
/*
 * Room behind any pointer the fuzzer passes: the most a command may read
 * or write there (RESMAP_BATCH_MAX operations).  The kernel writes where
 * it is told; a shorter buffer would let it write the test's own memory.
 */
#define VEC_ROOM	((size_t)RESMAP_BATCH_MAX * sizeof(struct resmap_op))
#define RDONLY_SIZE	(VEC_ROOM + (1UL << 20))

struct fuzz {
	int fd;
	long pg;
	char *arena;
	char *rdonly;		/* read-only, RDONLY_SIZE: outputs there EFAULT */
	unsigned long long seed;
	long max_ops;
	time_t end;
	atomic_bool go, stop;
	atomic_long ops, uring_ops, errors, faults, segv, forks, maps;
	atomic_long bad;
	_Atomic unsigned long recent[RECENT];
	_Atomic unsigned long recent_len[RECENT];
	struct worker *w0;
	char why[256];		/* the first unexpected result */
	atomic_flag why_set;
};

/* One command thread's state; the argument buffers are its own. */
struct worker {
	struct fuzz *f;
	uint64_t rng;
	int fd2;		/* a second open of the device, reopened */
	bool child;		/* in a forked child: no ring */
	bool has_ring;
	struct io_uring ring;
	struct resmap_op ops[VEC_MAX];
	__u64 counts[8];
	unsigned char arg[8192] __attribute__((aligned(64)));
};

static _Thread_local sigjmp_buf fault_jmp;
static pid_t faulter_tid;		/* the one thread expecting faults */
static const char *roles[COMMANDERS + 3];
/* Unexpected faults are reported from here, whatever the stack's state. */
static char alt_stacks[COMMANDERS + 3][65536] __attribute__((aligned(16)));
static _Thread_local int my_role = -1;

static void take_role(int i, const char *name)
{
	stack_t ss = { .ss_sp = alt_stacks[i], .ss_size = sizeof(alt_stacks[i]) };

	roles[i] = name;
	my_role = i;
	sigaltstack(&ss, NULL);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	int n;

	(void)uc;
	if (gettid() == faulter_tid)
		siglongjmp(fault_jmp, 1);
	n = snprintf(msg, sizeof(msg), "fuzz: signal %d (code %d, address %p) in the %s thread\n",
		     sig, si->si_code, si->si_addr,
		     my_role >= 0 ? roles[my_role] : "main");
	if (write(2, msg, n) < 0)
		_exit(3);
	_exit(4);
}

/* splitmix64: a seed per thread from the run's seed, cheap and good. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

static void report(struct fuzz *f, const char *what, int cmd, long ret)
{
	f->bad++;
	if (!atomic_flag_test_and_set(&f->why_set))
		snprintf(f->why, sizeof(f->why), "%s: command 0x%x gave %ld",
			 what, cmd, ret);
}

/* The errnos the ABI lists for some command (Documentation/userspace-api). */
static bool errno_listed(int e)
{
	switch (e) {
	case EINVAL: case ENXIO: case ENOMEM: case EFAULT: case ENOSPC:
	case ENODEV: case EOPNOTSUPP: case EINTR: case E2BIG: case ENOTTY:
	case EACCES: case EEXIST: case ENFILE:
		return true;
	}
	return false;
}

static bool result_listed(int r)
{
	switch (-r) {
	case 0: case EINVAL: case ENXIO: case ENODEV: case EFAULT: case ENOMEM:
	case EINTR: case ECANCELED: case EOPNOTSUPP:
		return true;
	}
	return false;
}

/* A page of the arena, or a page of a reservation made lately. */
static uint64_t arena_addr(struct worker *w)
{
	struct fuzz *f = w->f;
	unsigned int i = below(&w->rng, RECENT);
	unsigned long at = f->recent[i], len = f->recent_len[i];

	uintptr_t lo = (uintptr_t)f->arena;

	/* Up to two pages past its end, but never outside the arena. */
	if (at && chance(&w->rng, 50)) {
		at += below(&w->rng, len / f->pg + 2) * f->pg;
		if (at < lo + ARENA_SIZE)
			return at;
	}
	return lo + below(&w->rng, ARENA_SIZE / f->pg) * f->pg;
}

static uint64_t fuzz_addr(struct worker *w)
{
	static const uint64_t odd[] = {
		0, 1, 4096, ~0ULL, 1ULL << 47, (1ULL << 47) - 4096,
		0x7ffffffff000ULL, 0xffff888000000000ULL, 0xfffffffffffff000ULL,
	};
	uint64_t a;

	switch (below(&w->rng, 12)) {
	case 0:
		return odd[below(&w->rng, sizeof(odd) / sizeof(odd[0]))];
	case 1:
		return rnd(&w->rng);
	case 2:	/* this thread's own data: never a reservation */
		return (uintptr_t)w->arg & ~(uint64_t)(w->f->pg - 1);
	default:
		a = arena_addr(w);
		if (chance(&w->rng, 3))
			a += below(&w->rng, w->f->pg);
		return a;
	}
}

static uint64_t fuzz_len(struct worker *w)
{
	long pg = w->f->pg;

	switch (below(&w->rng, 16)) {
	case 0:
		return 0;
	case 1:
		return rnd(&w->rng);
	case 2:
		return ~0ULL - below(&w->rng, 2) * (pg - 1);
	case 3:
		return 1 + below(&w->rng, pg);
	case 4:
		return pg * (1 + below(&w->rng, 1024));
	default:
		return pg * (1 + below(&w->rng, 16));
	}
}

static unsigned int fuzz_node(struct worker *w)
{
	switch (below(&w->rng, 8)) {
	case 0:
		return rnd(&w->rng);
	case 1:
		return 1023 + below(&w->rng, 3);
	default:
		return below(&w->rng, 5);
	}
}

static unsigned int fuzz_flags(struct worker *w, unsigned int valid)
{
	if (chance(&w->rng, 10))
		return rnd(&w->rng);
	if (chance(&w->rng, 5))
		return 1u << below(&w->rng, 32);
	return rnd(&w->rng) & valid;
}

/* Flip a bit now and then: reserved fields, pads, anything. */
static void mutate(struct worker *w, void *p, size_t len)
{
	if (chance(&w->rng, 8))
		((unsigned char *)p)[below(&w->rng, len)] ^=
			1u << below(&w->rng, 8);
}

static void fuzz_op(struct worker *w, struct resmap_op *o)
{
	memset(o, 0, sizeof(*o));
	o->addr = fuzz_addr(w);
	o->len = fuzz_len(w);
	o->op = chance(&w->rng, 5) ? rnd(&w->rng) : 1 + below(&w->rng, 4);
	o->flags = fuzz_flags(w, RESMAP_OP_F_POPULATE);
	o->place = chance(&w->rng, 5) ? rnd(&w->rng) : below(&w->rng, 5);
	o->node = fuzz_node(w);
	if (o->place == RESMAP_PLACE_INTERLEAVE || chance(&w->rng, 5))
		o->nodes = chance(&w->rng, 80) ? below(&w->rng, 16) :
			   rnd(&w->rng);
	if (o->op == RESMAP_OP_DECOMMIT && chance(&w->rng, 80))
		o->place = 0;
	o->result = 0x5a5a;
	mutate(w, o, sizeof(*o));
}

/* An argument pointer: usually the real buffer, sometimes not. */
static uint64_t fuzz_ptr(struct worker *w, void *good)
{
	switch (below(&w->rng, 40)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)w->f->rdonly;
	case 2:	/* in the arena, with VEC_ROOM bytes of it behind */
		return (uintptr_t)w->f->arena + below(&w->rng, (ARENA_SIZE -
			VEC_ROOM) / w->f->pg) * w->f->pg;
	case 3:
		return 0xffff888000001000ULL;
	default:
		return (uintptr_t)good;
	}
}

/* Build one command in w->arg; returns the command number. */
static unsigned int build(struct worker *w, unsigned int *what)
{
	unsigned char *a = w->arg;
	unsigned int nr = below(&w->rng, 10);

	memset(a, 0, 256);
	*what = nr;
	switch (nr) {
	case 0: {
		struct resmap_version *v = (void *)a;

		v->abi_version = rnd(&w->rng);
		mutate(w, v, sizeof(*v));
		return RESMAP_IOC_VERSION;
	}
	case 1: {
		struct resmap_reserve *r = (void *)a;

		r->addr = chance(&w->rng, 30) ? 0 : fuzz_addr(w);
		r->len = chance(&w->rng, 90) ? w->f->pg * (1 +
			 below(&w->rng, 512)) : fuzz_len(w);
		r->align = chance(&w->rng, 60) ? 0 : chance(&w->rng, 80) ?
			   1ULL << below(&w->rng, 40) : rnd(&w->rng);
		r->flags = fuzz_flags(w, RESMAP_RESERVE_FORK_SHARE |
				      RESMAP_RESERVE_FORK_DROP |
				      RESMAP_RESERVE_FORK_ZERO);
		mutate(w, r, sizeof(*r));
		return RESMAP_IOC_RESERVE;
	}
	case 2: case 3: case 4: {
		struct resmap_range *r = (void *)a;

		r->addr = fuzz_addr(w);
		r->len = fuzz_len(w);
		r->flags = fuzz_flags(w, nr == 2 ? RESMAP_COMMIT_POPULATE : 0);
		mutate(w, r, sizeof(*r));
		return nr == 2 ? RESMAP_IOC_COMMIT : nr == 3 ?
		       RESMAP_IOC_DECOMMIT : RESMAP_IOC_RELEASE;
	}
	case 5: {
		struct resmap_resize *r = (void *)a;

		r->addr = fuzz_addr(w);
		r->old_len = fuzz_len(w);
		r->new_len = chance(&w->rng, 50) ? r->old_len +
			     w->f->pg * below(&w->rng, 64) : fuzz_len(w);
		r->flags = fuzz_flags(w, RESMAP_RESIZE_POPULATE);
		mutate(w, r, sizeof(*r));
		return RESMAP_IOC_RESIZE;
	}
	case 6: {
		struct resmap_nodes *n = (void *)a;

		n->count = chance(&w->rng, 80) ? below(&w->rng, 40) :
			   rnd(&w->rng);
		/* The output vector: after the struct, room for 40 nodes. */
		mutate(w, n, sizeof(*n));
		/*
		 * Output vectors are never mutated: the kernel writes there,
		 * and a flipped bit could point into this process's heap.
		 */
		n->nodes = n->count <= 40 ? fuzz_ptr(w, a + 64) :
			   chance(&w->rng, 50) ? 0 : (uintptr_t)w->f->rdonly;
		return RESMAP_IOC_NODES;
	}
	case 7: {
		struct resmap_batch *b = (void *)a;
		unsigned int n = 1 + below(&w->rng, chance(&w->rng, 50) ? 4 :
					  VEC_MAX);

		for (unsigned int i = 0; i < n; i++)
			fuzz_op(w, &w->ops[i]);
		b->count = n;
		if (chance(&w->rng, 3))	/* refused before the vector is read */
			b->count = chance(&w->rng, 50) ? 0 : RESMAP_BATCH_MAX +
				   1 + below(&w->rng, 1u << 30);
		b->flags = fuzz_flags(w, RESMAP_BATCH_ALL_OR_NOTHING);
		mutate(w, b, sizeof(*b));
		b->ops = fuzz_ptr(w, w->ops);
		if (b->ops == (uintptr_t)w->ops && b->count > VEC_MAX &&
		    b->count <= RESMAP_BATCH_MAX)
			b->count = VEC_MAX;	/* results go only to w->ops */
		b->done = 0xdead;	/* written back only once ops ran */
		return RESMAP_IOC_BATCH;
	}
	case 8: {
		struct resmap_residency *r = (void *)a;

		r->addr = fuzz_addr(w);
		r->len = fuzz_len(w);
		r->nr_counts = chance(&w->rng, 90) ? below(&w->rng, 9) :
			       rnd(&w->rng);
		mutate(w, r, sizeof(*r));
		r->counts = r->nr_counts <= 8 ? fuzz_ptr(w, w->counts) :
			    (uintptr_t)w->f->rdonly;
		return RESMAP_IOC_RESIDENCY;
	}
	default: {
		/* Any number: other types, directions, sizes up to 4 KiB. */
		unsigned int size = chance(&w->rng, 50) ? below(&w->rng, 129) :
				    below(&w->rng, 4097);

		if (chance(&w->rng, 10))	/* past every struct: E2BIG */
			a[64 + below(&w->rng, 192)] = 1;
		return _IOC(below(&w->rng, 4), chance(&w->rng, 90) ?
			    RESMAP_IOC_MAGIC : rnd(&w->rng) & 0xff,
			    below(&w->rng, 16), size);
	}
	}
}

/* A reservation the command made: a target if in the arena, else gone. */
static void note_reservation(struct worker *w, unsigned int cmd,
			     unsigned long arg)
{
	struct resmap_reserve *r = (void *)w->arg;
	struct fuzz *f = w->f;
	uintptr_t lo = (uintptr_t)f->arena;

	if (cmd != RESMAP_IOC_RESERVE || arg != (uintptr_t)w->arg)
		return;
	if (r->addr >= lo && r->len <= ARENA_SIZE &&
	    r->addr - lo <= ARENA_SIZE - r->len) {
		unsigned int i = below(&w->rng, RECENT);

		f->recent[i] = r->addr;
		f->recent_len[i] = r->len;
	} else if (munmap((void *)(uintptr_t)r->addr, r->len)) {
		report(f, "munmap of a reservation failed", cmd, -errno);
	}
}

/* What a batch says of itself must agree with the call's return. */
static void check_batch(struct worker *w, unsigned long arg, long ret,
			int err)
{
	struct resmap_batch *b = (void *)w->arg;
	unsigned int i, failed = 0;

	if (arg != (uintptr_t)w->arg || b->ops != (uintptr_t)w->ops ||
	    !b->count || b->count > VEC_MAX || b->done == 0xdead)
		return;
	for (i = 0; i < b->count; i++) {
		if (!result_listed(w->ops[i].result)) {
			report(w->f, "batch result", RESMAP_IOC_BATCH,
			       w->ops[i].result);
			return;
		}
		failed += w->ops[i].result != 0;
	}
	if ((!ret && (failed || b->done != b->count)) ||
	    (ret && err != EFAULT && !failed) ||
	    ((b->flags & RESMAP_BATCH_ALL_OR_NOTHING) && ret && b->done))
		report(w->f, "batch done/result disagree", RESMAP_IOC_BATCH,
		       b->done);
}

static void check_ret(struct worker *w, unsigned int cmd, unsigned int what,
		      unsigned long arg, long ret, int err)
{
	struct fuzz *f = w->f;

	if (ret && !errno_listed(err)) {
		report(f, "errno not in the ABI", cmd, -err);
		return;
	}
	if (what == 7)
		check_batch(w, arg, ret, err);
	if (ret)
		f->errors++;
	else if (what == 1)
		note_reservation(w, cmd, arg);
}

#include "fuzz_gen.h"

static long uring_cmd(struct worker *w, unsigned int cmd, unsigned long arg,
		      int *err)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	struct io_uring_cqe *cqe;
	struct resmap_uring_cmd *c;
	int res;

	*err = EBUSY;	/* the ring itself failed: not an answer */
	if (!sqe)
		return -1;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = w->f->fd;
	sqe->cmd_op = cmd;
	c = (struct resmap_uring_cmd *)sqe->cmd;
	c->arg = arg;
	c->reserved = chance(&w->rng, 3) ? rnd(&w->rng) : 0;
	/*
	 * Mostly IOSQE_ASYNC: on 6.12 a command without it may complete
	 * with EOPNOTSUPP (the core does not copy the SQE there).
	 */
	if (chance(&w->rng, 80))
		sqe->flags |= IOSQE_ASYNC;
	if (io_uring_submit(&w->ring) != 1 || io_uring_wait_cqe(&w->ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(&w->ring, cqe);
	w->f->uring_ops++;
	*err = res < 0 ? -res : 0;
	return res < 0 ? -1 : res;
}

/* One fuzzed command, by ioctl or through the ring. */
static void one_command(struct worker *w)
{
	unsigned int what, cmd = build(w, &what);
	unsigned long arg = fuzz_ptr(w, w->arg);
	int fd = w->f->fd, err = 0;
	long ret;

	if (w->has_ring && chance(&w->rng, 25)) {
		ret = uring_cmd(w, cmd, arg, &err);
	} else {
		if (w->fd2 >= 0 && chance(&w->rng, 20))
			fd = w->fd2;
		ret = ioctl(fd, cmd, arg);
		err = ret ? errno : 0;
	}
	check_ret(w, cmd, what, arg, ret, err);
	w->f->ops++;

	/* Now and then a fresh second fd, read-only or not. */
	if (!w->child && chance(&w->rng, 1)) {
		if (w->fd2 >= 0)
			close(w->fd2);
		w->fd2 = open(RESMAP_DEVICE, (chance(&w->rng, 30) ? O_RDONLY :
			      O_RDWR) | O_CLOEXEC);
	}
}

/* Threads start together, once the arena exists (their stacks do first). */
static void wait_go(struct fuzz *f)
{
	while (!f->go)
		sched_yield();
}

static bool should_stop(struct fuzz *f)
{
	return f->stop || f->ops >= f->max_ops || time(NULL) >= f->end;
}

static void *commander(void *arg)
{
	struct worker *w = arg;
	unsigned int n = 0;

	take_role(w - w->f->w0, "commander");
	wait_go(w->f);
	while (!(++n % 64 == 0 && should_stop(w->f)) && !w->f->stop)
		one_command(w);
	w->f->stop = true;
	return NULL;
}

/* Touch arena pages: committed ones work, the rest SIGSEGV. */
static void *faulter(void *arg)
{
	struct worker *w = arg;
	struct fuzz *f = w->f;
	volatile char *p;

	take_role(w - f->w0, "faulter");
	faulter_tid = gettid();
	wait_go(f);
	while (!f->stop) {
		p = (char *)(uintptr_t)arena_addr(w) + below(&w->rng, f->pg);
		if (p < f->arena || p >= f->arena + ARENA_SIZE)
			continue;	/* never outside what this test owns */
		if (sigsetjmp(fault_jmp, 1)) {
			f->segv++;
			continue;
		}
		if (chance(&w->rng, 50))
			*p = (char)rnd(&w->rng);
		else
			(void)*p;
		f->faults++;
	}
	return NULL;
}

/*
 * Reservations grow past their ends (RESIZE) and some are made where this
 * test cannot see them (a RESERVE whose output went to the arena): left
 * alone, those outside the arena grow without bound in a long run.  Unmap
 * them now and then, reading the maps with plain system calls (stdio
 * would allocate, and a new mapping could land in the arena).
 */
static void unmap_strays(struct fuzz *f)
{
	static char buf[1 << 20];
	uintptr_t lo = (uintptr_t)f->arena, hi = lo + ARENA_SIZE;
	ssize_t got, len = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *line, *next;

	if (fd < 0)
		return;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += got;
	close(fd);
	buf[len] = 0;
	for (line = buf; line && *line; line = next) {
		unsigned long start, end;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!is_resmap_line(line))
			continue;
		start = strtoul(line, &line, 16);
		end = strtoul(line + 1, NULL, 16);
		if (end <= lo || start >= hi)
			munmap((void *)start, end - start);
	}
}

/* munmap, mprotect, mremap, madvise, plain mappings over the arena. */
static void *mapper(void *arg)
{
	struct worker *w = arg;
	struct fuzz *f = w->f;
	char *lo;

	take_role(w - f->w0, "mapper");
	wait_go(f);
	lo = f->arena;
	while (!f->stop) {
		size_t len = f->pg * (1 + below(&w->rng, 256));
		char *at = lo + below(&w->rng, (ARENA_SIZE - len) / f->pg) *
			   f->pg;
		char *to = lo + below(&w->rng, (ARENA_SIZE - len) / f->pg) *
			   f->pg;
		static const int prot[] = {
			PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
		};

		if (chance(&w->rng, 50))	/* a reservation's own range */
			at = (char *)(uintptr_t)arena_addr(w);
		if (at < lo || at + len > lo + ARENA_SIZE)
			continue;
		switch (below(&w->rng, 8)) {
		case 7:	/* THP, KSM, and aliases that keep the old range */
			switch (below(&w->rng, 3)) {
			case 0:
				madvise(at, len, MADV_COLLAPSE);
				break;
			case 1:
				madvise(at, len, MADV_MERGEABLE);
				break;
			default:
				if (to + len <= at || at + len <= to)
					mremap(at, len, len, MREMAP_MAYMOVE |
					       MREMAP_FIXED | MREMAP_DONTUNMAP, to);
				break;
			}
			break;
		case 0: case 1:
			munmap(at, len);
			break;
		case 2:
			mprotect(at, len, prot[below(&w->rng, 3)]);
			break;
		case 3:
			madvise(at, len, MADV_DONTNEED);
			break;
		case 4:	/* in place, shrink or grow (within the arena) */
			mremap(at, len, f->pg * (1 + below(&w->rng,
			       (lo + ARENA_SIZE - at) / f->pg)), 0);
			break;
		case 5:
			if (to + len <= at || at + len <= to)
				mremap(at, len, len, MREMAP_MAYMOVE |
				       MREMAP_FIXED, to);
			break;
		default:	/* not a reservation: commands must refuse it */
			mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			     MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		}
		if (++f->maps % 1024 == 0)
			unmap_strays(f);
		usleep(100);
	}
	return NULL;
}

/* Fork: the child runs commands on its copy and exits, or is killed. */
static void *forker(void *arg)
{
	struct worker *w = arg;
	struct fuzz *f = w->f;
	int status;

	take_role(w - f->w0, "forker");
	wait_go(f);
	while (!f->stop) {
		bool kill_it = chance(&w->rng, 30);
		pid_t pid;

		w->rng ^= f->forks;
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			w->child = true;
			w->has_ring = false;
			w->fd2 = -1;
			for (int i = 0; i < CHILD_CMDS; i++)
				one_command(w);
			_exit(f->bad ? 1 : 0);
		}
		if (pid < 0)
			continue;
		if (kill_it) {
			usleep(below(&w->rng, 2000));
			kill(pid, SIGKILL);
		}
		if (waitpid(pid, &status, 0) != pid ||
		    (WIFEXITED(status) && WEXITSTATUS(status)))
			report(f, "child failed", 0, status);
		f->forks++;
		usleep(1000);
	}
	return NULL;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoll(v, NULL, 0) : def;
}

/* Unmap every mapping of the device (and the arena) left behind. */
static void unmap_all(struct fuzz *f)
{
	char line[512];
	unsigned long lo[256], hi[256];
	int n = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	while (maps && n < 256 && fgets(line, sizeof(line), maps))
		if (is_resmap_line(line))
			if (sscanf(line, "%lx-%lx", &lo[n], &hi[n]) == 2)
				n++;
	if (maps)
		fclose(maps);
	while (n--)
		munmap((void *)lo[n], hi[n] - lo[n]);
	munmap(f->arena, ARENA_SIZE);
}

/* RESMAP_FUZZ_SECONDS is the whole run: 2/3 scenarios, 1/3 chaos. */
static long fuzz_seconds(void)
{
	return env_long("RESMAP_FUZZ_SECONDS", 20);
}

static long chaos_seconds(void)
{
	long t = fuzz_seconds() / 3;

	return t < 5 ? 5 : t;
}

static unsigned long long fuzz_seed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return env_long("RESMAP_FUZZ_SEED",
			now.tv_nsec ^ ((long)now.tv_sec << 20) ^ getpid());
}

#define MAX_MAP_COUNT	"/proc/sys/vm/max_map_count"
#define KSM_RUN		"/sys/kernel/mm/ksm/run"
#define WATCHDOG_THRESH	"/proc/sys/kernel/watchdog_thresh"

FIXTURE(structured) {
	struct sc_shared *sh;
	int fd;
	long old_map_count, old_ksm, old_watchdog;
	char old_shmem[32];
};

FIXTURE_SETUP(structured)
{
	self->fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->sh->pmem = pmem_node_of(self->fd);
	/* Fedora's and Arch's value: room for ~65000-VMA reservations. */
	self->old_map_count = write_sysctl(MAX_MAP_COUNT, 1048576);
	self->old_ksm = write_sysctl(KSM_RUN, 1);
	/* A soft lockup reported after 8 s, not 20. */
	self->old_watchdog = write_sysctl(WATCHDOG_THRESH, 4);
	sysfs_choice(SHMEM_ENABLED, self->old_shmem, sizeof(self->old_shmem));
}

FIXTURE_TEARDOWN(structured)
{
	restore_sysctl(MAX_MAP_COUNT, self->old_map_count);
	restore_sysctl(KSM_RUN, self->old_ksm);
	restore_sysctl(WATCHDOG_THRESH, self->old_watchdog);
	if (self->old_shmem[0])
		sysfs_write(SHMEM_ENABLED, self->old_shmem);
	munmap(self->sh, sizeof(*self->sh));
	close(self->fd);
}

/*
 * The structure-aware scenarios of fuzz_gen.h, each in a process of its
 * own, for two thirds of RESMAP_FUZZ_SECONDS (RESMAP_FUZZ_SCENARIO=a,b
 * runs only those).  Every oracle that fires prints a "# FOUND" line.
 */
TEST_F_TIMEOUT(structured, scenarios, 6 * 3600)
{
	struct resmap_counters c0 = resmap_counters(), c1;
	unsigned long long seed = fuzz_seed();
	long secs = fuzz_seconds() - chaos_seconds(), ran;
	const char *only_name = getenv("RESMAP_FUZZ_SCENARIO");
	struct sc_shared *sh = self->sh;
	struct sc s = { .sh = sh, .seed = seed, .name = "end" };
	unsigned int only = 0;

	/* RESMAP_FUZZ_SCENARIO=name,name,...: only those */
	for (unsigned int i = 0; only_name && i < NR_SCENARIOS; i++)
		if (strstr(only_name, scenarios[i].name))
			only |= 1u << i;
	if (secs < 5)
		secs = 5;
	TH_LOG("seed %llu (RESMAP_FUZZ_SEED), scenarios for %ld s, max_map_count %s",
	       seed, secs, self->old_map_count >= 0 ? "1048576" : "unchanged");
	clock_gettime(CLOCK_MONOTONIC, &sh->t0);
	ran = run_scenarios(sh, self->fd, seed, time(NULL) + secs,
			    env_long("RESMAP_FUZZ_OPS", 300000), only);
	c1 = resmap_counters();
	if (c0.reservations != c1.reservations || c0.vmas != c1.vmas ||
	    c0.committed_pages != c1.committed_pages || c0.files != c1.files)
		found(&s, C_COUNTERS, "reservations %ld -> %ld, vmas %ld -> %ld, committed pages %ld -> %ld, files %ld -> %ld",
		      c0.reservations, c1.reservations, c0.vmas, c1.vmas,
		      c0.committed_pages, c1.committed_pages, c0.files, c1.files);
	TH_LOG("seed %llu: %ld scenarios, %ld commands in %.1f s, %ld findings",
	       seed, ran, (long)sh->cmds, sc_elapsed(sh), (long)sh->found);
	for (int c = 0; c < C_NR; c++)
		if (sh->cls[c].n)
			TH_LOG("class %s: %ld, first after %.1f s and %ld commands (%s seed 0x%llx): %s",
			       sc_class_name[c], (long)sh->cls[c].n,
			       sh->cls[c].first_s, sh->cls[c].first_cmds,
			       sh->cls[c].first_sc, sh->cls[c].first_seed,
			       sh->cls[c].first);
	for (int i = 0; i < I_NR; i++)
		TH_LOG("reached: %s: %ld", sc_info_name[i], (long)sh->info[i]);
	TH_LOG("last errno of MADV_COLLAPSE %d, of MREMAP_DONTUNMAP %d",
	       sh->collapse_errno, sh->dontunmap_errno);
	EXPECT_EQ(0, sh->found);
	EXPECT_LT(0, ran);
}

FIXTURE(fuzz) {
	struct fuzz f;
	struct worker *w;
	int nw;
};

FIXTURE_SETUP(fuzz)
{
	memset(&self->f, 0, sizeof(self->f));
	self->f.pg = page_size();
	self->f.seed = fuzz_seed();
	self->f.max_ops = env_long("RESMAP_FUZZ_OPS", 300000);
	/* A third of the time; the structured scenarios run first. */
	self->f.end = time(NULL) + chaos_seconds();
	self->f.fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->f.fd);
	self->nw = COMMANDERS + 3;
	self->w = calloc(self->nw, sizeof(*self->w));
	ASSERT_NE(NULL, self->w);
	self->f.w0 = self->w;
	for (int i = 0; i < self->nw; i++) {
		struct worker *w = &self->w[i];

		w->f = &self->f;
		w->rng = self->f.seed + 0x1000193ULL * (i + 1);
		w->fd2 = -1;
		/* Rings now: nothing may map memory once the threads run. */
		if (i < COMMANDERS)
			w->has_ring = !io_uring_queue_init(8, &w->ring, 0);
	}
	self->f.rdonly = mmap(NULL, RDONLY_SIZE, PROT_READ, MAP_PRIVATE |
			      MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->f.rdonly);
	TH_LOG("seed %llu (RESMAP_FUZZ_SEED), up to %ld operations in %ld s",
	       self->f.seed, self->f.max_ops,
	       (long)(self->f.end - time(NULL)));
}

FIXTURE_TEARDOWN(fuzz)
{
	for (int i = 0; i < self->nw; i++) {
		if (self->w[i].has_ring)
			io_uring_queue_exit(&self->w[i].ring);
		if (self->w[i].fd2 >= 0)
			close(self->w[i].fd2);
	}
	free(self->w);
	munmap(self->f.rdonly, RDONLY_SIZE);
	close(self->f.fd);
}

/*
 * The run bounds itself (RESMAP_FUZZ_SECONDS); the harness's limit only
 * catches a hang, and leaves room for 10 million commands on the debug
 * kernel (about 1,100 a second).
 */
TEST_F_TIMEOUT(fuzz, commands_and_chaos, 6 * 3600)
{
	struct resmap_counters c0 = resmap_counters(), c1;
	struct sigaction sa = {
		.sa_sigaction = on_fault, .sa_flags = SA_NODEFER | SA_SIGINFO | SA_ONSTACK,
	};
	struct fuzz *f = &self->f;
	pthread_t t[COMMANDERS + 3];
	struct timespec t0, t1;
	double secs;
	int i;

	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < COMMANDERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, commander,
					    &self->w[i]));
	ASSERT_EQ(0, pthread_create(&t[i], NULL, faulter, &self->w[i]));
	i++;
	ASSERT_EQ(0, pthread_create(&t[i], NULL, mapper, &self->w[i]));
	i++;
	ASSERT_EQ(0, pthread_create(&t[i], NULL, forker, &self->w[i]));
	/*
	 * The arena, after the thread stacks: a placeholder the mapper
	 * punches holes in, which only reservations can then fill.
	 */
	f->arena = mmap(NULL, ARENA_SIZE, PROT_NONE, MAP_PRIVATE |
			MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, f->arena);
	f->go = true;
	for (i = 0; i < COMMANDERS + 3; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	TH_LOG("seed %llu: %ld commands (%ld through io_uring, %ld failed as "
	       "expected) in %.1f s, %.0f/s; %ld faults, %ld SIGSEGV, %ld "
	       "address-space changes, %ld forks", f->seed, (long)f->ops,
	       (long)f->uring_ops, (long)f->errors, secs, f->ops / secs,
	       (long)f->faults, (long)f->segv, (long)f->maps, (long)f->forks);
	if (f->bad)
		TH_LOG("%ld unexpected results, first: %s", (long)f->bad,
		       f->why);
	EXPECT_EQ(0, f->bad);
	EXPECT_LT(1000, f->ops);
	EXPECT_LT(0, f->uring_ops);
	EXPECT_LT(0, f->forks);
	EXPECT_LT(0, f->ops - f->errors);	/* some commands worked */

	unmap_all(f);
	for (i = 0; i < self->nw; i++) {
		if (self->w[i].has_ring)
			io_uring_queue_exit(&self->w[i].ring);
		self->w[i].has_ring = false;
		if (self->w[i].fd2 >= 0)
			close(self->w[i].fd2);
		self->w[i].fd2 = -1;
	}
	c1 = resmap_counters();
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas, c1.vmas);
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
	EXPECT_EQ(c0.files, c1.files);
}

TEST_HARNESS_MAIN
