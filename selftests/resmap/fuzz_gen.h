/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzer's structure-aware half: scenarios that build the shapes the
 * random argument streams of fuzz.c never reach, each with an oracle.
 *
 * Each scenario runs in a process of its own, forked from the test (an
 * OOM kill, an unkillable command or a crash then costs one scenario, not
 * the run), with a seed of its own derived from RESMAP_FUZZ_SEED.  When an
 * oracle fires, the scenario prints
 *
 *   # FOUND <class>: <what> [<scenario> seed 0x..., <s> s, <n> commands]
 *
 * with the time and the command count since the scenario phase began, and
 * the run goes on.  The classes and the defects of issue 14 they are made
 * for:
 *
 *   batch-overlap    an operation overlapping an earlier one of the same
 *                    BATCH succeeded (nested, duplicate, chained spans)  #1
 *   canary           a command changed pages outside the ranges it was
 *                    given (BATCH canaries, io_uring SQ slots rewritten
 *                    right after submit, linked SQEs)                #1 #2
 *   kernel-log       WARNING, BUG, OOM, soft lockup... in /dev/kmsg after
 *                    a scenario (65536-op batches over thousands of VMAs)
 *                                                                #1 #4 #5
 *   oom-kill         a scenario process was killed without being asked   #1
 *   shared-data-lost a FORK_SHARE child's data gone after the parent's
 *                    failing COMMIT|POPULATE or ALL_OR_NOTHING batch     #3
 *   kill-latency     a command still running 2 s after SIGKILL  #4 #5
 *   move-privilege   MOVE without CAP_SYS_NICE moved pages another process
 *                    (a forked child, or KSM) maps too                  #6
 *   uncommitted-read an uncommitted page read without SIGSEGV (after
 *                    MADV_COLLAPSE, MREMAP_DONTUNMAP)                 #7 #10
 *   resize-extent    RESIZE of a committed extent inside one reservation
 *                    refused                                            #8
 *   sigbus           a committed page SIGBUSed, or POPULATE of a writable
 *                    committed range EFAULTed (FORK_SHARE grown by mremap) #9
 *   errno, batch-result  a result the ABI does not list, or a batch whose
 *                    done and results disagree
 *   counters         the module's counters not back at the end
 */
#ifndef RESMAP_FUZZ_GEN_H
#define RESMAP_FUZZ_GEN_H

#include <stdarg.h>
#include <sys/resource.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE	12
#endif

enum sc_class {
	C_OVERLAP, C_CANARY, C_KLOG, C_OOM, C_SHARED, C_KILL, C_MOVE,
	C_UNCOMMITTED, C_RESIZE, C_SIGBUS, C_ERRNO, C_BATCH, C_CRASH,
	C_COUNTERS, C_NR
};

static const char *const sc_class_name[C_NR] = {
	"batch-overlap", "canary", "kernel-log", "oom-kill",
	"shared-data-lost", "kill-latency", "move-privilege",
	"uncommitted-read", "resize-extent", "sigbus", "errno",
	"batch-result", "crash", "counters",
};

/* How often a scenario got as far as its oracle (coverage). */
enum sc_info {
	I_COLLAPSE_OK, I_THP_SYSFS, I_DONTUNMAP_OK, I_DONTUNMAP_DECOMMIT,
	I_GROW_OK, I_KSM_MERGED, I_COW_MOVE, I_URING_CMDS, I_URING_LINKED,
	I_BIG_BATCH, I_FORK_FAIL, I_VMAS_SPLIT, I_PMD_MAPPED, I_NR
};

static const char *const sc_info_name[I_NR] = {
	"MADV_COLLAPSE succeeded", "shmem_enabled set", "MREMAP_DONTUNMAP succeeded",
	"DECOMMIT through an alias", "mremap growth", "KSM merged",
	"MOVE of COW-shared pages", "uring commands", "linked uring commands",
	"batches of 1024+ ops", "failing FORK_SHARE commits",
	"reservations split into 1000+ VMAs",
	"reservations with PMD-mapped pages",
};

/* Shared by the test and every scenario process (MAP_SHARED). */
struct sc_shared {
	struct timespec t0;
	atomic_long cmds;
	atomic_long found;
	atomic_int straggler;	/* an unkillable command's process */
	double straggler_since;
	int pmem;		/* the pmem node, or -1 */
	atomic_long info[I_NR];
	int collapse_errno, dontunmap_errno;	/* the last failure's */
	struct {
		atomic_long n;
		double first_s;
		long first_cmds;
		unsigned long long first_seed;
		char first_sc[24];
		char first[160];
	} cls[C_NR];
};

struct sc {
	struct sc_shared *sh;
	int fd;
	long pg;
	uint64_t rng;
	unsigned long long seed;	/* this scenario's */
	const char *name;
};

static double sc_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double sc_elapsed(struct sc_shared *sh)
{
	return sc_now() - (sh->t0.tv_sec + sh->t0.tv_nsec / 1e9);
}

static void __attribute__((format(printf, 3, 4)))
found(struct sc *s, enum sc_class c, const char *fmt, ...)
{
	struct sc_shared *sh = s->sh;
	double t = sc_elapsed(sh);
	long cmds = sh->cmds;
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sh->found++;
	if (sh->cls[c].n++ == 0) {
		sh->cls[c].first_s = t;
		sh->cls[c].first_cmds = cmds;
		sh->cls[c].first_seed = s->seed;
		snprintf(sh->cls[c].first_sc, sizeof(sh->cls[c].first_sc),
			 "%s", s->name);
		snprintf(sh->cls[c].first, sizeof(sh->cls[c].first), "%s", msg);
	}
	/* Every report up to 20 per class, then every 100th. */
	if (sh->cls[c].n <= 20 || sh->cls[c].n % 100 == 0)
		dprintf(1, "# FOUND %s: %s [%s seed 0x%llx, %.1f s, %ld commands, #%ld]\n",
			sc_class_name[c], msg, s->name, s->seed, t, cmds,
			(long)sh->cls[c].n);
}

/* Probing pages: a fault while probing returns its signal. */
static sigjmp_buf sc_jmp;
static volatile sig_atomic_t sc_probing, sc_sig;

static void sc_on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[120];
	int n;

	(void)uc;
	if (sc_probing) {
		sc_sig = sig;
		sc_probing = 0;
		siglongjmp(sc_jmp, 1);
	}
	n = snprintf(msg, sizeof(msg), "fuzz scenario: signal %d at %p outside a probe\n",
		     sig, si->si_addr);
	if (write(2, msg, n) < 0)
		_exit(5);
	_exit(5);
}

static void sc_signals(void)
{
	struct sigaction sa = {
		.sa_sigaction = sc_on_fault, .sa_flags = SA_NODEFER | SA_SIGINFO,
	};

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* 0, SIGSEGV or SIGBUS; a read's byte in *val. */
static int probe(volatile char *p, bool wr, char *val)
{
	sc_sig = 0;
	if (sigsetjmp(sc_jmp, 1))
		return sc_sig;
	sc_probing = 1;
	if (wr)
		*p = *val;
	else
		*val = *p;
	sc_probing = 0;
	return 0;
}

static char pat(unsigned long long seed, size_t i)
{
	return (char)(((seed >> 8) + i * 131) | 1);
}

/* Write the pattern to each page's first and last byte. */
static int fill(struct sc *s, char *p, size_t pages, size_t from)
{
	for (size_t i = 0; i < pages; i++) {
		char v = pat(s->seed, from + i);
		int sig = probe(p + i * s->pg, true, &v);

		if (!sig)
			sig = probe(p + (i + 1) * s->pg - 1, true, &v);
		if (sig)
			return sig;
	}
	return 0;
}

/* The first page whose pattern is gone (or faults), or -1. */
static long check(struct sc *s, char *p, size_t pages, size_t from, int *sig)
{
	for (size_t i = 0; i < pages; i++) {
		char v = 0, w = 0;

		*sig = probe(p + i * s->pg, false, &v);
		if (!*sig)
			*sig = probe(p + (i + 1) * s->pg - 1, false, &w);
		if (*sig || v != pat(s->seed, from + i) ||
		    w != pat(s->seed, from + i))
			return i;
	}
	return -1;
}

static long sc_ioctl(struct sc *s, unsigned long cmd, void *arg)
{
	long r = ioctl(s->fd, cmd, arg);
	int e = r ? errno : 0;

	s->sh->cmds++;
	if (r && !errno_listed(e))
		found(s, C_ERRNO, "command 0x%lx gave errno %d", cmd, e);
	errno = e;
	return r ? -e : 0;
}

static char *sc_reserve(struct sc *s, size_t len, size_t align,
			unsigned int flags, void *hint)
{
	struct resmap_reserve r = {
		.addr = (uintptr_t)hint, .len = len, .align = align,
		.flags = flags,
	};

	if (sc_ioctl(s, RESMAP_IOC_RESERVE, &r))
		return NULL;
	return (char *)(uintptr_t)r.addr;
}

static long sc_range(struct sc *s, unsigned long cmd, void *addr, size_t len,
		     unsigned int flags)
{
	struct resmap_range r = {
		.addr = (uintptr_t)addr, .len = len, .flags = flags,
	};

	return sc_ioctl(s, cmd, &r);
}

/*
 * Which operations overlap an earlier one: pages covered so far in a
 * Fenwick tree, each page marked once (a next-unmarked skip list).
 */
struct cover {
	size_t n;
	uint32_t *fw;
	uint32_t *next;
};

static bool cover_init(struct cover *c, size_t n)
{
	c->n = n;
	c->fw = calloc(n + 1, sizeof(*c->fw));
	c->next = malloc((n + 2) * sizeof(*c->next));
	if (!c->fw || !c->next)
		return false;
	for (size_t i = 0; i <= n + 1; i++)
		c->next[i] = i;
	return true;
}

static void cover_free(struct cover *c)
{
	free(c->fw);
	free(c->next);
}

static size_t cover_find(struct cover *c, size_t i)
{
	while (c->next[i] != i) {
		c->next[i] = c->next[c->next[i]];
		i = c->next[i];
	}
	return i;
}

static uint64_t cover_sum(struct cover *c, size_t i)	/* [0, i) */
{
	uint64_t s = 0;

	for (; i; i -= i & -i)
		s += c->fw[i];
	return s;
}

/* Whether [a, b) was covered anywhere; then covers it. */
static bool cover_add(struct cover *c, size_t a, size_t b)
{
	bool hit = cover_sum(c, b) - cover_sum(c, a) > 0;

	for (size_t i = cover_find(c, a); i < b; i = cover_find(c, i + 1)) {
		for (size_t j = i + 1; j <= c->n; j += j & -j)
			c->fw[j]++;
		c->next[i] = i + 1;
	}
	return hit;
}

/*
 * A batch over [base, base + pages): results listed, done and results
 * agree, and no operation that overlaps an earlier one succeeded.
 */
static long sc_batch(struct sc *s, struct resmap_op *ops, unsigned int n,
		     unsigned int flags, char *base, size_t pages)
{
	struct resmap_batch b = {
		.ops = (uintptr_t)ops, .count = n, .flags = flags,
		.done = 0xdead,
	};
	unsigned int failed = 0, overl = 0, first = 0;
	struct cover c;
	long ret;

	for (unsigned int i = 0; i < n; i++)
		ops[i].result = 0x5a5a;
	ret = sc_ioctl(s, RESMAP_IOC_BATCH, &b);
	if (b.done == 0xdead || n > RESMAP_BATCH_MAX)
		return ret;
	for (unsigned int i = 0; i < n; i++) {
		if (!result_listed(ops[i].result)) {
			found(s, C_BATCH, "op %u of %u: result %d", i, n,
			      ops[i].result);
			return ret;
		}
		failed += ops[i].result != 0;
	}
	if ((!ret && (failed || b.done != n)) ||
	    (ret && ret != -EFAULT && !failed) ||
	    ((flags & RESMAP_BATCH_ALL_OR_NOTHING) && ret && b.done))
		found(s, C_BATCH, "batch of %u returned %ld, done %u, %u failed",
		      n, ret, b.done, failed);
	if (!base || !cover_init(&c, pages)) {
		if (base)
			cover_free(&c);
		return ret;
	}
	for (unsigned int i = 0; i < n; i++) {
		size_t a = (ops[i].addr - (uintptr_t)base) / s->pg;
		size_t e = a + ops[i].len / s->pg;

		if (ops[i].addr < (uintptr_t)base || e > pages || a >= e)
			continue;
		if (cover_add(&c, a, e) && ops[i].result == 0 && !overl++)
			first = i;
	}
	cover_free(&c);
	if (overl)
		found(s, C_OVERLAP, "%u of %u ops overlapped an earlier op and succeeded (first: op %u, [+%llu,+%llu) pages)",
		      overl, n, first,
		      (unsigned long long)(ops[first].addr - (uintptr_t)base) / s->pg,
		      (unsigned long long)(ops[first].addr - (uintptr_t)base +
					   ops[first].len) / s->pg);
	return ret;
}

/* Split [p, p + pages) into about @vmas VMAs: every other page read-only. */
static void split_vmas(char *p, long pg, size_t pages, size_t vmas)
{
	size_t step = vmas ? pages / vmas : 0;

	if (step < 1)
		step = 1;
	for (size_t i = 0; i + step <= pages; i += 2 * step)
		mprotect(p + i * pg, step * pg, PROT_READ);
}

/*
 * Run fn in a child; if it has not finished after @ms, SIGKILL it and
 * time its exit.  Over 2 s is a finding; the process is then left to the
 * test (a subreaper) to reap, after 20 s more of measuring.
 */
/*
 * How long a killed command may take to die: RESMAP_KILL_MS (2000); the
 * debug kernel (make check-debug), several times slower, allows more.
 */
static double kill_bound_s(void)
{
	const char *v = getenv("RESMAP_KILL_MS");

	return (v && *v ? strtod(v, NULL) : 2000) / 1000.0;
}

static void kill_timed(struct sc *s, const char *what, int ms,
		       void (*fn)(struct sc *, void *), void *arg)
{
	double t;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid == 0) {
		fn(s, arg);
		_exit(0);
	}
	t = sc_now();
	while (sc_now() - t < ms / 1000.0) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	t = sc_now();
	while (sc_now() - t < kill_bound_s()) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(2000);
	}
	while (sc_now() - t < 20.0) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			found(s, C_KILL, "%s: exited %.1f s after SIGKILL",
			      what, sc_now() - t);
			return;
		}
		usleep(20000);
	}
	found(s, C_KILL, "%s: still running 20 s after SIGKILL", what);
	s->sh->straggler = pid;
	s->sh->straggler_since = sc_now();
}

/* ---- 1: batches of nested, duplicate, adjacent and chained spans ---- */

static unsigned int batch_count(struct sc *s, size_t pages)
{
	switch (below(&s->rng, 10)) {
	case 0: case 1: case 2: case 3:
		return 2 + below(&s->rng, 7);
	case 4: case 5:
		return 16 + below(&s->rng, 1024);
	case 6: case 7:
		return RESMAP_BATCH_MAX;
	case 8:
		return chance(&s->rng, 50) ? RESMAP_BATCH_MAX + 1 :
		       pages < RESMAP_BATCH_MAX ? pages : RESMAP_BATCH_MAX;
	default:
		return 1 + below(&s->rng, RESMAP_BATCH_MAX);
	}
}

static void sc_op(struct sc *s, struct resmap_op *o, char *base, size_t a,
		  size_t len, bool small)
{
	static const unsigned int kinds[] = {
		RESMAP_OP_COMMIT, RESMAP_OP_COMMIT, RESMAP_OP_DECOMMIT,
		RESMAP_OP_POPULATE, RESMAP_OP_MOVE,
	};

	memset(o, 0, sizeof(*o));
	o->addr = (uintptr_t)base + a * s->pg;
	o->len = len * s->pg;
	o->op = kinds[below(&s->rng, small ? 5 : 3)];
	if (o->op == RESMAP_OP_COMMIT && small && chance(&s->rng, 50))
		o->flags = RESMAP_OP_F_POPULATE;
	if (o->op == RESMAP_OP_COMMIT && chance(&s->rng, 20)) {
		o->place = RESMAP_PLACE_PREFERRED;
		o->node = below(&s->rng, 2);
	}
	if (o->op == RESMAP_OP_MOVE) {
		o->place = RESMAP_PLACE_PREFERRED;
		o->node = below(&s->rng, 3);
	}
	if (o->op == RESMAP_OP_POPULATE && !small)
		o->op = RESMAP_OP_DECOMMIT;
}

struct big_batch {
	struct resmap_op *ops;
	unsigned int n, flags;
	char *base;
	size_t pages;
};

static void run_big_batch(struct sc *s, void *arg)
{
	struct big_batch *bb = arg;

	sc_batch(s, bb->ops, bb->n, bb->flags, bb->base, bb->pages);
}

static void sc_batch_shapes(struct sc *s)
{
	static const size_t sizes[] = { 16, 64, 512, 4096, 32768, 131072 };
	size_t pages = sizes[below(&s->rng, 6)];
	bool small = pages <= 4096;	/* POPULATE and MOVE only there */
	size_t canary = 4, lo, hi, vmas = 0;
	unsigned int n = batch_count(s, pages), shape = below(&s->rng, 7);
	unsigned int flags = chance(&s->rng, 30) ? RESMAP_BATCH_ALL_OR_NOTHING : 0;
	struct resmap_op *ops;
	char *p;
	long at;
	int sig;

	p = sc_reserve(s, (pages + 2 * canary) * s->pg, 0,
		       chance(&s->rng, 20) ? RESMAP_RESERVE_FORK_SHARE : 0, NULL);
	if (!p)
		return;
	/* Canaries: committed, written, and never named by the batch. */
	if (sc_range(s, RESMAP_IOC_COMMIT, p, canary * s->pg, 0) ||
	    sc_range(s, RESMAP_IOC_COMMIT, p + (canary + pages) * s->pg,
		     canary * s->pg, 0) ||
	    fill(s, p, canary, 0) ||
	    fill(s, p + (canary + pages) * s->pg, canary, canary + pages))
		goto out;
	if (small && chance(&s->rng, 50) &&
	    !sc_range(s, RESMAP_IOC_COMMIT, p + canary * s->pg,
		      pages * s->pg, 0))
		fill(s, p + canary * s->pg, pages, canary);
	if (chance(&s->rng, 60)) {
		vmas = chance(&s->rng, 50) ? 1 + below(&s->rng, 64) :
		       1000 + below(&s->rng, pages / 2 > 1000 ? pages / 2 - 1000 : 1);
		if (vmas > pages)
			vmas = pages;
		split_vmas(p + canary * s->pg, s->pg, pages, vmas);
	}
	ops = calloc(n, sizeof(*ops));
	if (!ops)
		goto out;
	lo = below(&s->rng, pages / 2);
	hi = lo + 1 + below(&s->rng, pages - lo);
	for (unsigned int i = 0; i < n; i++) {
		size_t a, len;

		switch (shape) {
		case 0:	/* issue 14's: [+1,+3), [+2,+4), [+0,+10) */
			a = i + 1 == n ? lo : lo + (i % 8) + 1;
			len = i + 1 == n ? hi - lo : 2;
			break;
		case 1:	/* many nested in the long one listed last */
			if (i + 1 == n) {
				a = lo;
				len = hi - lo;
			} else {
				a = lo + below(&s->rng, hi - lo);
				len = 1 + below(&s->rng, hi - a);
			}
			break;
		case 2:	/* duplicates */
			a = lo;
			len = hi - lo;
			break;
		case 3:	/* adjacent: one page each, back to back */
			a = (lo + i) % pages;
			len = 1;
			break;
		case 4:	/* chained: [i, i + 2) */
			a = (lo + i) % (pages - 1);
			len = 2;
			break;
		case 5:	/* the long one first, then nested */
			a = i ? lo + below(&s->rng, hi - lo) : lo;
			len = i ? 1 + below(&s->rng, hi - a) : hi - lo;
			break;
		default: /* anything inside */
			a = below(&s->rng, pages);
			len = 1 + below(&s->rng, chance(&s->rng, 80) ?
					(pages - a < 8 ? pages - a : 8) : pages - a);
			break;
		}
		if (a + len > pages)
			len = pages - a;
		if (!len) {
			a = 0;
			len = 1;
		}
		sc_op(s, &ops[i], p + canary * s->pg, a, len, small);
		if (shape != 6 && i && chance(&s->rng, 50))
			ops[i].op = ops[i - 1].op == RESMAP_OP_MOVE ?
				    RESMAP_OP_COMMIT : ops[i - 1].op;
	}
	if (n >= 1024 || pages >= 32768) {
		/* It may run long: killed after a while, and must then die. */
		struct big_batch bb = { ops, n, flags, p + canary * s->pg, pages };
		char what[96];

		snprintf(what, sizeof(what), "BATCH of %u ops (shape %u) over %zu pages, %zu VMAs",
			 n, shape, pages, vmas ? vmas : 1);
		s->sh->info[I_BIG_BATCH] += n >= 1024;
		kill_timed(s, what, 500 + below(&s->rng, 7500), run_big_batch, &bb);
	} else {
		sc_batch(s, ops, n, flags, p + canary * s->pg, pages);
	}
	free(ops);
	at = check(s, p, canary, 0, &sig);
	if (at < 0)
		at = check(s, p + (canary + pages) * s->pg, canary,
			   canary + pages, &sig);
	if (at >= 0)
		found(s, C_CANARY, "batch of %u ops (shape %u): canary page %ld beside it %s",
		      n, shape, at, sig ? "faults" : "changed");
out:
	munmap(p, (pages + 2 * canary) * s->pg);
}

/* ---- 4, 5: long commands and SIGKILL ---- */

struct long_cmd {
	unsigned long cmd;
	char *p;
	size_t len;
	unsigned int flags;
};

static void run_long(struct sc *s, void *arg)
{
	struct long_cmd *l = arg;

	if (l->cmd == RESMAP_IOC_RESIDENCY) {
		__u64 counts[4];
		struct resmap_residency r = {
			.addr = (uintptr_t)l->p, .len = l->len,
			.counts = (uintptr_t)counts, .nr_counts = 4,
		};

		sc_ioctl(s, l->cmd, &r);
	} else if (l->cmd == RESMAP_IOC_RESIZE) {
		resize_cmd(s->fd, l->p, s->pg, l->len, 0);
		s->sh->cmds++;
	} else {
		sc_range(s, l->cmd, l->p, l->len, l->flags);
	}
}

static void sc_many_vmas(struct sc *s)
{
	static const size_t counts[] = { 2000, 8000, 16000, 32000, 64000 };
	size_t vmas = counts[below(&s->rng, 5)], pages = 2 * vmas;
	int forks = below(&s->rng, 4);
	struct long_cmd l = { 0 };
	pid_t kids[4];
	char what[96];
	char *p;

	p = sc_reserve(s, pages * s->pg, 0,
		       chance(&s->rng, 30) ? RESMAP_RESERVE_FORK_SHARE : 0, NULL);
	if (!p)
		return;
	sc_range(s, RESMAP_IOC_COMMIT, p, pages * s->pg, 0);
	split_vmas(p, s->pg, pages, vmas);
	s->sh->info[I_VMAS_SPLIT]++;
	/*
	 * Forked sets, killed at the end (no pipe: the command's process
	 * would hold it open, and an unkillable one keeps them waiting).
	 */
	for (int i = 0; i < forks; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
	}
	l.p = p;
	l.len = pages * s->pg;
	if (chance(&s->rng, 30)) {
		/* 65536 duplicates, or nested in the whole range listed last */
		unsigned int n = RESMAP_BATCH_MAX;
		struct resmap_op *ops = calloc(n, sizeof(*ops));
		struct big_batch bb = { ops, n, 0, p, pages };
		bool nested = chance(&s->rng, 50);

		if (!ops)
			goto done;
		for (unsigned int i = 0; i < n; i++) {
			size_t a = nested && i + 1 < n ? below(&s->rng, pages) : 0;
			size_t len = nested && i + 1 < n ?
				     1 + below(&s->rng, pages - a) : pages;

			ops[i] = op_of(chance(&s->rng, 50) ? RESMAP_OP_COMMIT :
				       RESMAP_OP_DECOMMIT, p + a * s->pg,
				       len * s->pg, 0, 0, 0, 0);
		}
		snprintf(what, sizeof(what), "BATCH of %u %s ops over %zu VMAs, %d forks",
			 n, nested ? "nested" : "duplicate", vmas, forks);
		s->sh->info[I_BIG_BATCH]++;
		kill_timed(s, what, 2000 + below(&s->rng, 8000), run_big_batch, &bb);
		free(ops);
		goto done;
	}
	switch (below(&s->rng, 4)) {
	case 0:
		l.cmd = RESMAP_IOC_COMMIT;
		break;
	case 1:
		l.cmd = RESMAP_IOC_DECOMMIT;
		break;
	case 2:
		l.cmd = RESMAP_IOC_RESIDENCY;
		break;
	default:
		l.cmd = RESMAP_IOC_RESIZE;
		break;
	}
	snprintf(what, sizeof(what), "command 0x%lx over %zu VMAs, %d forks",
		 l.cmd, vmas, forks);
	kill_timed(s, what, 100 + below(&s->rng, 400), run_long, &l);
done:
	for (int i = 0; i < forks; i++)
		if (kids[i] > 0 && !kill(kids[i], SIGKILL))
			waitpid(kids[i], NULL, 0);
	munmap(p, pages * s->pg);
}

static void sc_residency(struct sc *s)
{
	/*
	 * 64 GiB to 1 TiB, now and then 64 TiB: a RESIDENCY that ignores
	 * SIGKILL takes minutes over 64 TiB, and no other long scenario
	 * runs until it is gone.
	 */
	size_t len = chance(&s->rng, 3) ? 64UL << 40 :
		     (64UL << 30) << below(&s->rng, 5);
	struct long_cmd l = { .cmd = RESMAP_IOC_RESIDENCY, .len = len };
	char what[64];

	l.p = sc_reserve(s, len, 0, 0, NULL);
	if (!l.p)
		return;
	sc_range(s, RESMAP_IOC_COMMIT, l.p + len / 2, s->pg, RESMAP_COMMIT_POPULATE);
	snprintf(what, sizeof(what), "RESIDENCY over %zu GiB", len >> 30);
	kill_timed(s, what, 100 + below(&s->rng, 200), run_long, &l);
	munmap(l.p, len);
}

/* ---- 3: FORK_SHARE, fork, and a failing commit ---- */

static void sc_fork_share(struct sc *s)
{
	size_t pages = 2 + below(&s->rng, 63), mine = below(&s->rng, pages);
	size_t ro = below(&s->rng, pages), cnt = 1 + below(&s->rng, 4);
	int to_kid[2], to_me[2], st;
	char c = 0, *p;
	pid_t pid;

	if (mine + cnt > pages)
		cnt = pages - mine;
	p = sc_reserve(s, pages * s->pg, 0, RESMAP_RESERVE_FORK_SHARE, NULL);
	if (!p || pipe(to_kid) || pipe(to_me))
		goto out;
	pid = fork();
	if (pid == 0) {
		long at;
		int sig;

		if (sc_range(s, RESMAP_IOC_COMMIT, p + mine * s->pg,
			     cnt * s->pg, 0) || fill(s, p + mine * s->pg, cnt, mine))
			_exit(2);
		if (write(to_me[1], "c", 1) != 1 || read(to_kid[0], &c, 1) != 1)
			_exit(2);
		at = check(s, p + mine * s->pg, cnt, mine, &sig);
		if (at >= 0)
			found(s, C_SHARED, "child's committed page %zu of %zu %s after the parent's failing %s",
			      mine + at, pages, sig ? "faults" : "reads other data",
			      c == 'b' ? "ALL_OR_NOTHING batch" : "COMMIT|POPULATE");
		_exit(0);
	}
	if (pid < 0 || read(to_me[0], &c, 1) != 1)
		goto out;
	/* Fail: a read-only page for POPULATE, or an op out of range. */
	if (chance(&s->rng, 50)) {
		mprotect(p + ro * s->pg, s->pg, PROT_READ);
		sc_range(s, RESMAP_IOC_COMMIT, p, pages * s->pg,
			 RESMAP_COMMIT_POPULATE);
		c = 'c';
	} else {
		struct resmap_op ops[3];
		unsigned int n = 0;

		ops[n++] = op_of(RESMAP_OP_COMMIT, p, pages * s->pg,
				 chance(&s->rng, 50) ? RESMAP_OP_F_POPULATE : 0,
				 0, 0, 0);
		if (chance(&s->rng, 50)) {
			mprotect(p + ro * s->pg, s->pg, PROT_READ);
			ops[0].flags = RESMAP_OP_F_POPULATE;
		} else {
			ops[n++] = op_of(RESMAP_OP_POPULATE, p + pages * s->pg,
					 s->pg, 0, 0, 0, 0);	/* ENXIO */
		}
		sc_batch(s, ops, n, RESMAP_BATCH_ALL_OR_NOTHING, p, pages);
		c = 'b';
	}
	s->sh->info[I_FORK_FAIL]++;
	if (write(to_kid[1], &c, 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
out:
	if (p)
		munmap(p, pages * s->pg);
}

/* ---- 2: io_uring, SQ slots rewritten after submit, linked SQEs ---- */

static atomic_bool sc_contend_stop;

static void *sc_contend(void *arg)
{
	char *q = arg;

	while (!sc_contend_stop) {
		mprotect(q, 4096, PROT_READ);
		mprotect(q, 4096, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

static void sc_uring(struct sc *s)
{
	size_t na = 4 + below(&s->rng, 16), nb = 1 + below(&s->rng, 8);
	struct resmap_range arga[4], argb;
	unsigned int k = 1 + below(&s->rng, 4), want = 0, flags[4];
	struct io_uring_sqe *slots[8];
	unsigned int nslots = 0;
	struct __kernel_timespec ts = { .tv_nsec = 1000000 };
	struct io_uring ring;
	pthread_t th;
	bool contend = chance(&s->rng, 30), linked[4];
	char *a, *b, *q = NULL;
	int sig;
	long at;

	if (io_uring_queue_init(16, &ring, 0))
		return;
	a = sc_reserve(s, na * s->pg, 0, chance(&s->rng, 30) ?
		       RESMAP_RESERVE_FORK_SHARE : 0, NULL);
	b = sc_reserve(s, nb * s->pg, 0, 0, NULL);
	if (!a || !b || sc_range(s, RESMAP_IOC_COMMIT, a, na * s->pg, 0) ||
	    sc_range(s, RESMAP_IOC_COMMIT, b, nb * s->pg, 0) ||
	    fill(s, a, na, 0) || fill(s, b, nb, 1000))
		goto out;
	memset(&argb, 0, sizeof(argb));
	argb.addr = (uintptr_t)b;
	argb.len = nb * s->pg;
	if (contend) {
		q = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		sc_contend_stop = false;
		if (q == MAP_FAILED || pthread_create(&th, NULL, sc_contend, q))
			contend = false;
	}
	for (unsigned int i = 0; i < k; i++) {
		struct io_uring_sqe *sqe;
		struct resmap_uring_cmd *c;

		/* k disjoint pieces of A */
		memset(&arga[i], 0, sizeof(arga[i]));
		arga[i].addr = (uintptr_t)a + (i * na / k) * s->pg;
		arga[i].len = ((i + 1) * na / k - i * na / k) * s->pg;
		linked[i] = chance(&s->rng, 50);
		flags[i] = chance(&s->rng, 60) ? IOSQE_ASYNC : 0;
		if (linked[i]) {
			sqe = io_uring_get_sqe(&ring);
			if (!sqe)
				break;
			if (chance(&s->rng, 50))
				io_uring_prep_nop(sqe);
			else
				io_uring_prep_timeout(sqe, &ts, 0, 0);
			sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = 100 + i;
			slots[nslots++] = sqe;
			want++;
		}
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			break;
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = s->fd;
		sqe->cmd_op = RESMAP_IOC_DECOMMIT;
		sqe->flags = flags[i];
		sqe->user_data = i;
		c = (struct resmap_uring_cmd *)sqe->cmd;
		c->arg = (uintptr_t)&arga[i];
		slots[nslots++] = sqe;
		want++;
	}
	if (io_uring_submit(&ring) != (int)want)
		goto stop;
	s->sh->cmds += k;
	s->sh->info[I_URING_CMDS] += k;
	for (unsigned int i = 0; i < k; i++)
		s->sh->info[I_URING_LINKED] += linked[i];
	/* The slots are the application's again: the next commands there. */
	for (unsigned int i = 0; i < nslots; i++) {
		struct resmap_uring_cmd *c = (struct resmap_uring_cmd *)slots[i]->cmd;

		slots[i]->opcode = IORING_OP_URING_CMD;
		slots[i]->fd = s->fd;
		slots[i]->cmd_op = RESMAP_IOC_DECOMMIT;
		c->arg = (uintptr_t)&argb;
		c->reserved = 0;
	}
	for (unsigned int got = 0; got < want; got++) {
		struct __kernel_timespec wait = { .tv_sec = 10 };
		struct io_uring_cqe *cqe;
		unsigned int i;
		int res;

		if (io_uring_wait_cqe_timeout(&ring, &cqe, &wait))
			break;
		i = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (i >= 100)
			continue;
		if (res && !result_listed(res) && res != -ENOMEM)
			found(s, C_ERRNO, "uring DECOMMIT gave %d", res);
		if (res == -EOPNOTSUPP && (flags[i] & IOSQE_ASYNC))
			found(s, C_ERRNO, "uring DECOMMIT with IOSQE_ASYNC gave EOPNOTSUPP");
		if (!res) {
			char v;

			sig = probe((char *)(uintptr_t)arga[i].addr, false, &v);
			if (sig != SIGSEGV)
				found(s, C_CANARY, "uring DECOMMIT of A (%s%s) completed 0, A still %s",
				      linked[i] ? "linked" : "alone",
				      flags[i] ? ", async" : "",
				      sig ? "faults oddly" : "committed");
		}
	}
stop:
	if (contend) {
		sc_contend_stop = true;
		pthread_join(th, NULL);
	}
	at = check(s, b, nb, 1000, &sig);
	if (at >= 0) {
		char kinds[64] = "";

		for (unsigned int i = 0; i < k; i++)
			strcat(kinds, linked[i] ? (flags[i] ? "LA " : "L- ") :
				      (flags[i] ? "-A " : "-- "));
		found(s, C_CANARY, "io_uring: canary B page %ld %s after DECOMMITs of A only (link/async: %s)",
		      at, sig ? "faults" : "changed", kinds);
	}
out:
	if (q && q != MAP_FAILED)
		munmap(q, 4096);
	io_uring_queue_exit(&ring);
	if (a)
		munmap(a, na * s->pg);
	if (b)
		munmap(b, nb * s->pg);
}

/* ---- 7: THP over a reservation (MADV_COLLAPSE) ---- */


/* Whether this process has any PMD-mapped page (smaps_rollup). */
static bool pmd_mapped(void)
{
	char line[256];
	bool any = false;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if ((strstr(line, "PmdMapped:") || strstr(line, "AnonHugePages:")) &&
		    strtol(strchr(line, ':') + 1, NULL, 10) > 0)
			any = true;
	if (f)
		fclose(f);
	return any;
}

static void sc_thp(struct sc *s)
{
	const size_t huge = 2UL << 20, hp = huge / s->pg;
	unsigned int flags = chance(&s->rng, 70) ? RESMAP_RESERVE_FORK_SHARE : 0;
	size_t ncommit = chance(&s->rng, 50) ? 1 : 1 + below(&s->rng, hp - 1);
	size_t first = below(&s->rng, hp - ncommit + 1);
	char *p = sc_reserve(s, 2 * huge, huge, flags, NULL);

	/* "force" overrides resmap's huge=never shmem mount */
	static const char *const modes[] = { "advise", "always", "within_size", "force" };

	if (!p)
		return;
	/* shmem's own THP setting (the test restores it at the end) */
	if (chance(&s->rng, 40)) {
		if (!sysfs_write(SHMEM_ENABLED, modes[chance(&s->rng, 50) ? 1 :
						       below(&s->rng, 4)]))
			s->sh->info[I_THP_SYSFS]++;
	}
	if (sc_range(s, RESMAP_IOC_COMMIT, p + first * s->pg, ncommit * s->pg,
		     chance(&s->rng, 50) ? RESMAP_COMMIT_POPULATE : 0) ||
	    fill(s, p + first * s->pg, ncommit, first))
		goto out;
	if (chance(&s->rng, 50))
		madvise(p, 2 * huge, MADV_HUGEPAGE);
	if (pmd_mapped())
		s->sh->info[I_PMD_MAPPED]++;
	if (!madvise(p, huge, MADV_COLLAPSE))
		s->sh->info[I_COLLAPSE_OK]++;
	else if (flags)
		s->sh->collapse_errno = errno;
	if (pmd_mapped())
		s->sh->info[I_PMD_MAPPED]++;
	/* and a fault on the second huge page, after the setting */
	if (!sc_range(s, RESMAP_IOC_COMMIT, p + huge, s->pg, 0)) {
		char v = 1;

		probe(p + huge, true, &v);
		for (int t = 0; t < 4; t++) {
			size_t i = 1 + below(&s->rng, hp - 1);

			if (probe(p + huge + i * s->pg, false, &v) != SIGSEGV) {
				found(s, C_UNCOMMITTED, "%s reservation, 1 page committed and written: uncommitted page %zu of its 2 MiB readable",
				      flags ? "FORK_SHARE" : "private", i);
				break;
			}
		}
	}
	for (int t = 0; t < 8; t++) {
		size_t i = below(&s->rng, hp);
		char v;
		int sig;

		if (i >= first && i < first + ncommit)
			continue;
		sig = probe(p + i * s->pg + below(&s->rng, s->pg), chance(&s->rng, 30), &v);
		if (sig != SIGSEGV) {
			found(s, C_UNCOMMITTED, "%s reservation, %zu pages committed, MADV_COLLAPSE: uncommitted page %zu %s",
			      flags ? "FORK_SHARE" : "private", ncommit, i,
			      sig ? "SIGBUS" : "readable");
			break;
		}
	}
out:
	munmap(p, 2 * huge);
}

/* ---- 8: RESIZE of an extent not at a VMA boundary ---- */

static void sc_resize(struct sc *s)
{
	size_t pages = 8 + below(&s->rng, 56), a = 1 + below(&s->rng, pages / 2);
	size_t k = 1 + below(&s->rng, (pages - a) / 2), g;
	unsigned int flags = chance(&s->rng, 30) ? RESMAP_RESERVE_FORK_SHARE : 0;
	char *p = sc_reserve(s, pages * s->pg, 0, flags, NULL);
	size_t to;
	long ret;

	if (!p)
		return;
	g = 1 + below(&s->rng, pages - a - k);
	to = k + g;
	if (sc_range(s, RESMAP_IOC_COMMIT, p + a * s->pg, k * s->pg, 0))
		goto out;
	if (chance(&s->rng, 70)) {
		ret = resize_cmd(s->fd, p + a * s->pg, k * s->pg, (k + g) * s->pg,
				 chance(&s->rng, 50) ? RESMAP_RESIZE_POPULATE : 0);
	} else if (k > 1) {
		to = k - 1 - below(&s->rng, k - 1);
		ret = resize_cmd(s->fd, p + a * s->pg, k * s->pg, to * s->pg, 0);
	} else {
		goto out;
	}
	ret = ret ? errno : 0;
	s->sh->cmds++;
	if (ret && !errno_listed(ret))
		found(s, C_ERRNO, "RESIZE gave errno %ld", ret);
	if (ret && ret != ENOMEM)
		found(s, C_RESIZE, "RESIZE of pages [%zu,%zu) of a %zu-page %s reservation to %zu pages: errno %ld",
		      a, a + k, pages, flags ? "FORK_SHARE" : "private", to, ret);
out:
	munmap(p, pages * s->pg);
}

/* ---- 9: a reservation grown with mremap ---- */

static void sc_grow(struct sc *s)
{
	size_t pages = 1 + below(&s->rng, 16), more = 1 + below(&s->rng, 16);
	unsigned int flags = chance(&s->rng, 70) ? RESMAP_RESERVE_FORK_SHARE : 0;
	char *hint = free_range((pages + more) * s->pg), *p, *q;
	bool populate = chance(&s->rng, 50);
	long ret, at;
	int sig;

	p = hint ? sc_reserve(s, pages * s->pg, 0, flags, hint) : NULL;
	if (!p)
		return;
	q = mremap(p, pages * s->pg, (pages + more) * s->pg,
		   chance(&s->rng, 50) ? MREMAP_MAYMOVE : 0, NULL);
	if (q == MAP_FAILED) {
		munmap(p, pages * s->pg);
		return;
	}
	s->sh->info[I_GROW_OK]++;
	ret = sc_range(s, RESMAP_IOC_COMMIT, q, (pages + more) * s->pg,
		       populate ? RESMAP_COMMIT_POPULATE : 0);
	if (ret == -EFAULT && populate)
		found(s, C_SIGBUS, "COMMIT|POPULATE of a writable %s reservation grown by mremap from %zu to %zu pages: EFAULT",
		      flags ? "FORK_SHARE" : "private", pages, pages + more);
	if (!ret) {
		sig = fill(s, q, pages + more, 0);
		at = sig ? -1 : check(s, q, pages + more, 0, &sig);
		if (sig || at >= 0)
			found(s, C_SIGBUS, "%s reservation grown by mremap from %zu to %zu pages, committed: signal %d",
			      flags ? "FORK_SHARE" : "private", pages,
			      pages + more, sig);
	}
	munmap(q, (pages + more) * s->pg);
}

/* ---- 10: MREMAP_DONTUNMAP aliases ---- */

static void sc_dontunmap(struct sc *s)
{
	size_t pages = 2 + below(&s->rng, 30), a = below(&s->rng, pages);
	size_t n = 1 + below(&s->rng, pages - a);
	unsigned int flags = chance(&s->rng, 30) ? RESMAP_RESERVE_FORK_SHARE : 0;
	char *p = sc_reserve(s, pages * s->pg, 0, flags, NULL), *q, *x, *y;
	bool via_old = chance(&s->rng, 50);
	char v;

	if (!p)
		return;
	if (sc_range(s, RESMAP_IOC_COMMIT, p, pages * s->pg, 0) ||
	    fill(s, p, pages, 0))
		goto out;
	/* new_addr is read even without MREMAP_FIXED: a hint, not garbage */
	q = mremap(p, pages * s->pg, pages * s->pg,
		   MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	if (q == MAP_FAILED) {
		s->sh->dontunmap_errno = errno;
		goto out;
	}
	s->sh->info[I_DONTUNMAP_OK]++;
	x = via_old ? p : q;
	y = via_old ? q : p;
	if (!sc_range(s, RESMAP_IOC_DECOMMIT, x + a * s->pg, n * s->pg, 0)) {
		s->sh->info[I_DONTUNMAP_DECOMMIT]++;
		for (size_t i = a; i < a + n; i++) {
			int sx = probe(x + i * s->pg, false, &v);
			int sy = probe(y + i * s->pg, false, &v);

			if (sx == SIGSEGV && sy != SIGSEGV) {
				found(s, C_UNCOMMITTED, "%s: DECOMMIT through the %s alias after MREMAP_DONTUNMAP, page %zu still %s through the other",
				      flags ? "FORK_SHARE" : "private",
				      via_old ? "old" : "new", i,
				      sy ? "SIGBUSes" : "readable");
				break;
			}
		}
	}
	munmap(q, pages * s->pg);
out:
	munmap(p, pages * s->pg);
}

/* ---- 6: MOVE without CAP_SYS_NICE of pages others map ---- */

static long ksm_sharing(void)
{
	long v = -1;
	FILE *f = fopen("/sys/kernel/mm/ksm/pages_sharing", "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void sc_move(struct sc *s)
{
	size_t pages = 2 + below(&s->rng, 62);
	bool ksm = chance(&s->rng, 40) && ksm_sharing() >= 0;
	int to_kid[2], st, node[64], target;
	struct resmap_op o;
	long before = 0;
	pid_t pid = -1;
	char *p;

	p = sc_reserve(s, pages * s->pg, 0, 0, NULL);
	if (!p || pipe(to_kid))
		return;
	if (sc_range(s, RESMAP_IOC_COMMIT, p, pages * s->pg,
		     RESMAP_COMMIT_POPULATE))
		goto out;
	if (ksm) {
		memset(p, 0x5a, pages * s->pg);
		before = ksm_sharing();
		if (madvise(p, pages * s->pg, MADV_MERGEABLE))
			goto out;
		for (int t = 0; t < 150 && ksm_sharing() - before < (long)pages - 1; t++)
			usleep(20000);
		if (ksm_sharing() - before < (long)pages - 1)
			goto out;	/* not merged in 3 s: nothing to test */
		s->sh->info[I_KSM_MERGED]++;
	} else {
		fill(s, p, pages, 0);
		pid = fork();	/* its pages are now the child's too */
		if (pid == 0) {
			char c;

			if (read(to_kid[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (pid < 0)
			goto out;
		s->sh->info[I_COW_MOVE]++;
	}
	if (page_nodes(p, pages, node) || node[0] < 0)
		goto done;
	target = node[0] == 0 ? 1 : 0;
	if (s->sh->pmem >= 0 && chance(&s->rng, 50))
		target = s->sh->pmem;
	/* Drop every capability: an ordinary user from here on. */
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		goto done;
	o = op_of(RESMAP_OP_MOVE, p, pages * s->pg, 0, RESMAP_PLACE_STRICT,
		  target, 0);
	sc_batch(s, &o, 1, 0, p, pages);
	if (o.result == 0 && o.moved)
		found(s, C_MOVE, "unprivileged MOVE moved %u of %zu pages %s",
		      o.moved, pages, ksm ? "merged by KSM" :
		      "shared with a forked child");
done:
	if (pid > 0) {
		if (write(to_kid[1], "x", 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
out:
	munmap(p, pages * s->pg);
}

/* ---- the scenario loop ---- */

static const struct {
	const char *name;
	void (*fn)(struct sc *s);
	unsigned int weight;
	bool is_long;
} scenarios[] = {
	{ "batch-shapes", sc_batch_shapes, 24, false },
	{ "many-vmas-kill", sc_many_vmas, 8, true },
	{ "residency-kill", sc_residency, 4, true },
	{ "fork-share-fail", sc_fork_share, 12, false },
	{ "uring-slots", sc_uring, 16, false },
	{ "thp-collapse", sc_thp, 8, false },
	{ "resize-extent", sc_resize, 8, false },
	{ "mremap-grow", sc_grow, 8, false },
	{ "dontunmap", sc_dontunmap, 8, false },
	{ "move-shared", sc_move, 6, false },
};

#define NR_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static unsigned int pick_scenario(uint64_t *rng, bool no_long,
				  unsigned int only)
{
	unsigned int total = 0, r;

	for (unsigned int i = 0; i < NR_SCENARIOS; i++)
		total += scenarios[i].weight;
	for (;;) {
		r = below(rng, total);
		for (unsigned int i = 0; i < NR_SCENARIOS; i++) {
			if (r < scenarios[i].weight) {
				if ((no_long && scenarios[i].is_long) ||
				    (only && !(only & (1u << i))))
					break;
				return i;
			}
			r -= scenarios[i].weight;
		}
	}
}

/*
 * A kernel report, printed once per kind (the line without its numbers,
 * so "soft lockup - CPU#1 stuck for 21s" is one kind however often it
 * repeats), and counted every time.
 */
static void klog_found(struct sc *s, const char *msg)
{
	static char kinds[64][64];
	static unsigned int nkinds;
	char kind[64];
	size_t n = 0;

	for (const char *c = msg; *c && n < sizeof(kind) - 1; c++)
		if (!(*c >= '0' && *c <= '9'))
			kind[n++] = *c;
	kind[n] = 0;
	for (unsigned int i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i], kind)) {
			s->sh->found++;
			s->sh->cls[C_KLOG].n++;
			return;
		}
	if (nkinds < 64)
		strcpy(kinds[nkinds++], kind);
	if (s->sh->cls[C_KLOG].n >= 20)	/* found() prints only the first 20 */
		dprintf(1, "# FOUND kernel-log: %.120s [%s seed 0x%llx, %.1f s, %ld commands]\n",
			msg, s->name, s->seed, sc_elapsed(s->sh), (long)s->sh->cmds);
	found(s, C_KLOG, "%.120s", msg);
}

/* New kernel log lines that mean trouble. */
static void scan_kmsg(struct sc *s, int kfd)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "KASAN",
		"UBSAN", "soft lockup", "hung_task", "blocked for more than",
		"Out of memory", "invoked oom-killer", "Bad page",
		"list_add corruption", "list_del corruption", "refcount_t:",
	};
	char rec[2048];
	ssize_t n;

	if (kfd < 0)
		return;
	while ((n = read(kfd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg, *nl;

		if (n <= 0)
			continue;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (strstr(msg, "resmap-selftest"))
			continue;
		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(msg, bad[i])) {
				klog_found(s, msg);
				break;
			}
	}
}

static long write_sysctl(const char *path, long v)
{
	long old = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	fclose(f);
	return old;
}

static void restore_sysctl(const char *path, long v)
{
	FILE *f;

	if (v < 0)
		return;
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

static void set_oom_adj(int v)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");

	if (f) {
		fprintf(f, "%d\n", v);
		fclose(f);
	}
}

/*
 * Run scenarios until @end or @max_cmds; returns how many ran.  Every
 * finding is in sh (and printed); sh->found counts them.
 */
static long run_scenarios(struct sc_shared *sh, int fd, unsigned long long seed,
			  time_t end, long max_cmds, unsigned int only)
{
	struct sc s = { .sh = sh, .fd = fd, .pg = page_size(), .seed = seed,
			.name = "test" };
	uint64_t rng = seed ^ 0x5ce7a210ULL;
	long ran = 0;
	int kfd;

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	set_oom_adj(-1000);
	while (time(NULL) < end && sh->cmds < max_cmds) {
		int straggler = sh->straggler, st;
		unsigned int k;
		double t;
		pid_t pid;

		/*
		 * Gone (reaped here or below: ECHILD), or still running; after
		 * 60 s long scenarios run again beside it (one that never
		 * dies would otherwise end them for the rest of the run).
		 */
		if (straggler && (waitpid(straggler, NULL, WNOHANG) != 0 ||
				  sc_now() - sh->straggler_since > 60))
			sh->straggler = straggler = 0;
		if (straggler && only) {	/* only long ones: wait */
			bool any = false;

			for (k = 0; k < NR_SCENARIOS; k++)
				any |= (only & (1u << k)) && !scenarios[k].is_long;
			if (!any) {
				usleep(100000);
				continue;
			}
		}
		k = pick_scenario(&rng, straggler, only);
		s.seed = rnd(&rng);
		s.rng = s.seed;
		s.name = scenarios[k].name;
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			set_oom_adj(1000);
			sc_signals();
			scenarios[k].fn(&s);
			_exit(0);
		}
		t = sc_now();
		while (waitpid(pid, &st, WNOHANG) != pid) {
			if (sc_now() - t > 45 * kill_bound_s()) {
				found(&s, C_KILL, "scenario still running after %.0f s",
				      45 * kill_bound_s());
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				st = 0;
				break;
			}
			usleep(1000);
		}
		if (sc_now() - t > 10)
			dprintf(1, "# slow scenario: %s seed 0x%llx took %.1f s\n",
				s.name, s.seed, sc_now() - t);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			found(&s, C_OOM, "scenario process killed by SIGKILL it was not sent");
		else if (WIFSIGNALED(st))
			found(&s, C_CRASH, "scenario process died of signal %d", WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st))
			found(&s, C_CRASH, "scenario process exited %d (a signal outside a probe)",
			      WEXITSTATUS(st));
		/* Reap whatever was reparented to us. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		scan_kmsg(&s, kfd);
		ran++;
	}
	/*
	 * Stragglers (unkillable commands, reparented here) still hold
	 * reservations: give them 60 s to go before the counters are read.
	 */
	for (int t = 0; t < 600; t++) {
		pid_t gone = waitpid(-1, NULL, WNOHANG);

		if (gone < 0)
			break;
		if (!gone)
			usleep(100000);
	}
	if (waitpid(-1, NULL, WNOHANG) == 0)
		dprintf(1, "# stragglers still running after 60 s: the counters below count them\n");
	sh->straggler = 0;
	s.name = "end";
	scan_kmsg(&s, kfd);
	if (kfd >= 0)
		close(kfd);
	set_oom_adj(0);
	return ran;
}

#endif
