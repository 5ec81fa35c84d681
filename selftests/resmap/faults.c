// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every allocation a command makes fails in turn
 * (fail-nth, fault_inject.h: slab and page allocations alike, the pages
 * a populate faults in included), and the command either succeeds as if
 * nothing had failed or fails with ENOMEM leaving everything as before:
 * the mappings of the area, which of its pages are resident, on which
 * node, with what contents, and the module's counters.  A batch without
 * ALL_OR_NOTHING ends as if only the operations it reports done had been
 * asked.  After all of it the counters and every node's free memory are
 * back where they started.
 *
 * Runs on kernels with FAILSLAB and FAIL_PAGE_ALLOC (make check-debug);
 * skips elsewhere.
 */
#include <fcntl.h>
#include <linux/resmap.h>

#include "kselftest_harness.h"
#include "fault_inject.h"
#include "nodeinfo.h"
#include "resmap_test.h"

#define AREA_PAGES	128
#define MAX_SWEEP	20000	/* allocations one command may make */
#define MAX_NODES	8

/* What can be seen of the area at ctx.base without changing it. */
struct snap {
	struct resmap_counters c;
	char maps[2048];		/* its maps lines, relative addresses */
	char merged[2048];		/* the same, adjacent alike VMAs joined */
	unsigned char resident[AREA_PAGES];
	int node[AREA_PAGES];
	unsigned int sum[AREA_PAGES];
};

struct ctx {
	int fd, nth, pmem;
	long pg;
	char *base;
	struct resmap_op ops[8];
	unsigned int nops, batch_flags;
	long injected, failed, tolerated;
};

static void take_snap(struct ctx *x, struct snap *s)
{
	char line[512];
	unsigned long lo, hi, b = (unsigned long)x->base;
	size_t used = 0;
	char perms[8];
	unsigned long mlo = 0, mhi = 0;
	char mkind[32] = "";
	size_t mused = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->c = resmap_counters();
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    lo < b || lo >= b + AREA_PAGES * x->pg)
			continue;
		char kind[32];

		snprintf(kind, sizeof(kind), "%s %s", perms,
			 strstr(line, "resmap") ? "resmap" : "other");
		used += snprintf(s->maps + used, sizeof(s->maps) - used,
				 "%lx-%lx %s\n", lo - b, hi - b, kind);
		if (mhi == lo && !strcmp(kind, mkind)) {
			mhi = hi;
			continue;
		}
		if (mhi)
			mused += snprintf(s->merged + mused, sizeof(s->merged) -
					  mused, "%lx-%lx %s\n", mlo - b,
					  mhi - b, mkind);
		mlo = lo;
		mhi = hi;
		strcpy(mkind, kind);
		if (used >= sizeof(s->maps) || mused >= sizeof(s->merged))
			break;
	}
	if (mhi && mused < sizeof(s->merged))
		snprintf(s->merged + mused, sizeof(s->merged) - mused,
			 "%lx-%lx %s\n", mlo - b, mhi - b, mkind);
	if (f)
		fclose(f);
	if (mincore(x->base, AREA_PAGES * x->pg, s->resident))
		memset(s->resident, 0, sizeof(s->resident));	/* unmapped */
	for (int i = 0; i < AREA_PAGES; i++) {
		unsigned char *p = (unsigned char *)x->base + i * x->pg;

		s->resident[i] &= 1;
		s->node[i] = -1;
		if (!s->resident[i])
			continue;
		for (long k = 0; k < x->pg; k += 64)
			s->sum[i] = s->sum[i] * 31 + p[k];
		page_nodes((char *)p, 1, &s->node[i]);
	}
}

/* Equal, or the first difference in @why. */
static bool same(const struct snap *a, const struct snap *b, bool nodes,
		 bool split, char *why, size_t len)
{
	if (a->c.committed_pages != b->c.committed_pages ||
	    a->c.reservations != b->c.reservations ||
	    a->c.files != b->c.files || (!split && a->c.vmas != b->c.vmas))
		return snprintf(why, len, "counters: committed %ld/%ld vmas %ld/%ld reservations %ld/%ld",
				a->c.committed_pages, b->c.committed_pages,
				a->c.vmas, b->c.vmas, a->c.reservations,
				b->c.reservations), false;
	if (strcmp(split ? a->merged : a->maps, split ? b->merged : b->maps))
		return snprintf(why, len, "maps:\n%s---\n%s", a->maps, b->maps),
		       false;
	for (int i = 0; i < AREA_PAGES; i++) {
		if (a->resident[i] != b->resident[i] || a->sum[i] != b->sum[i])
			return snprintf(why, len, "page %d: resident %d/%d", i,
					a->resident[i], b->resident[i]), false;
		if (nodes && a->node[i] != b->node[i])
			return snprintf(why, len, "page %d: node %d/%d", i,
					a->node[i], b->node[i]), false;
	}
	return true;
}

static int fill(struct ctx *x, int first, int n)
{
	for (int i = first; i < first + n; i++)
		memset(x->base + i * x->pg, 'a' + i % 26, x->pg);
	return 0;
}

static int commit(struct ctx *x, int first, int n, unsigned int flags)
{
	return range_cmd(x->fd, RESMAP_IOC_COMMIT, x->base + first * x->pg,
			 n * x->pg, flags);
}

/* A reservation of the area's first @n pages, [0, @used) committed and written. */
static int reserved(struct ctx *x, int n, int used, unsigned int flags)
{
	if (reserve_flags(x->fd, n * x->pg, 0, x->base, flags) != x->base)
		return -1;
	if (used && commit(x, 0, used, RESMAP_COMMIT_POPULATE))
		return -1;
	return fill(x, 0, used);
}

static struct resmap_op op_at(struct ctx *x, unsigned int op, int first,
			      int n, unsigned int flags, unsigned int place,
			      unsigned int node, unsigned long long nodes)
{
	return op_of(op, x->base + first * x->pg, n * x->pg, flags, place,
		     node, nodes);
}

struct scenario {
	const char *name;
	int (*setup)(struct ctx *x);
	int (*op)(struct ctx *x);
	bool node_may_change;	/* MOVE: pages already moved stay moved */
	bool may_split;		/* munmap: a failed split may stay split */
};

static int setup_none(struct ctx *x)
{
	(void)x;
	return 0;
}

static int setup_64(struct ctx *x)
{
	return reserved(x, 64, 8, 0);
}

static int setup_32_full(struct ctx *x)
{
	return reserved(x, 32, 32, 0);
}

static int op_reserve(struct ctx *x)
{
	return reserve(x->fd, 64 * x->pg, 0, x->base) ? 0 : -1;
}

static int op_reserve_share(struct ctx *x)
{
	return reserve_flags(x->fd, 64 * x->pg, 0, x->base,
			     RESMAP_RESERVE_FORK_SHARE) ? 0 : -1;
}

static int op_commit_populate(struct ctx *x)
{
	return commit(x, 4, 32, RESMAP_COMMIT_POPULATE);
}

static int op_commit(struct ctx *x)
{
	return commit(x, 16, 16, 0);
}

static int op_decommit(struct ctx *x)
{
	return range_cmd(x->fd, RESMAP_IOC_DECOMMIT, x->base + 8 * x->pg,
			 8 * x->pg, 0);
}

static int op_release(struct ctx *x)
{
	return range_cmd(x->fd, RESMAP_IOC_RELEASE, x->base + 8 * x->pg,
			 8 * x->pg, 0);
}

static int op_grow_past_end(struct ctx *x)
{
	return resize_cmd(x->fd, x->base, 32 * x->pg, 48 * x->pg,
			  RESMAP_RESIZE_POPULATE);
}

static int op_shrink(struct ctx *x)
{
	return resize_cmd(x->fd, x->base, 32 * x->pg, 8 * x->pg, 0);
}

/* Results start as a sentinel: a batch-level failure writes none. */
#define NOT_WRITTEN	0x5a5a

static int run_batch(struct ctx *x)
{
	for (unsigned int i = 0; i < x->nops; i++)
		x->ops[i].result = NOT_WRITTEN;
	return batch(x->fd, x->ops, x->nops, x->batch_flags, NULL);
}

/* Placed commits on every kind of placement, a decommit, a populate. */
static int op_batch_mixed(struct ctx *x)
{
	x->nops = 0;
	x->ops[x->nops++] = op_at(x, RESMAP_OP_COMMIT, 8, 8,
				  RESMAP_OP_F_POPULATE, RESMAP_PLACE_STRICT,
				  0, 0);
	x->ops[x->nops++] = op_at(x, RESMAP_OP_COMMIT, 16, 8,
				  RESMAP_OP_F_POPULATE, RESMAP_PLACE_TIER,
				  RESMAP_TIER_PMEM, 0);
	x->ops[x->nops++] = op_at(x, RESMAP_OP_DECOMMIT, 0, 4, 0, 0, 0, 0);
	x->ops[x->nops++] = op_at(x, RESMAP_OP_COMMIT, 24, 8,
				  RESMAP_OP_F_POPULATE,
				  RESMAP_PLACE_INTERLEAVE, 0, 3);
	x->ops[x->nops++] = op_at(x, RESMAP_OP_COMMIT, 40, 8, 0,
				  RESMAP_PLACE_PREFERRED, 1, 0);
	x->ops[x->nops++] = op_at(x, RESMAP_OP_POPULATE, 4, 4, 0, 0, 0, 0);
	return run_batch(x);
}

static int op_batch_atomic(struct ctx *x)
{
	x->batch_flags = RESMAP_BATCH_ALL_OR_NOTHING;
	return op_batch_mixed(x);
}

static int op_batch_each(struct ctx *x)
{
	x->batch_flags = 0;
	return op_batch_mixed(x);
}

static int op_move(struct ctx *x)
{
	x->batch_flags = 0;
	x->nops = 1;
	x->ops[0] = op_at(x, RESMAP_OP_MOVE, 0, 32, 0, RESMAP_PLACE_TIER,
			  RESMAP_TIER_PMEM, 0);
	return run_batch(x);
}

static int op_residency(struct ctx *x)
{
	__u64 counts[MAX_NODES];
	struct resmap_residency r = {
		.addr = (unsigned long)x->base, .len = 32 * x->pg,
		.counts = (unsigned long)counts, .nr_counts = MAX_NODES,
	};

	if (ioctl(x->fd, RESMAP_IOC_RESIDENCY, &r))
		return -1;
	return r.resident == 32 ? 0 : (errno = EPROTO, -1);
}

static int op_nodes(struct ctx *x)
{
	struct resmap_node n[MAX_NODES];
	struct resmap_nodes a = { .nodes = (unsigned long)n,
				  .count = MAX_NODES };

	if (ioctl(x->fd, RESMAP_IOC_NODES, &a))
		return -1;
	return a.count >= 3 ? 0 : (errno = EPROTO, -1);
}

static const struct scenario scenarios[] = {
	{ "reserve", setup_none, op_reserve, false, false },
	{ "reserve FORK_SHARE", setup_none, op_reserve_share, false, false },
	{ "commit and populate", setup_64, op_commit_populate, false, false },
	{ "commit", setup_64, op_commit, false, false },
	{ "decommit splitting a range", setup_32_full, op_decommit, false, false },
	{ "release inside a reservation", setup_32_full, op_release, false, true },
	{ "resize past the end, populated", setup_32_full, op_grow_past_end, false, false },
	{ "resize shrinking", setup_32_full, op_shrink, false, false },
	{ "batch, all or nothing", setup_64, op_batch_atomic, false, false },
	{ "batch, each operation alone", setup_64, op_batch_each, false, false },
	{ "move to pmem", setup_32_full, op_move, true, false },
	{ "residency", setup_32_full, op_residency, false, false },
	{ "nodes", setup_none, op_nodes, false, false },
};

static void teardown_area(struct ctx *x)
{
	munmap(x->base, AREA_PAGES * x->pg);
}

/*
 * A batch without ALL_OR_NOTHING that failed: the reference is the same
 * state after a batch of only the operations it says succeeded.
 */
static int batch_reference(struct ctx *x, const struct scenario *sc,
			   struct snap *want)
{
	struct resmap_op done[8];
	unsigned int n = 0;

	for (unsigned int i = 0; i < x->nops; i++)
		if (!x->ops[i].result)
			done[n++] = x->ops[i];
	teardown_area(x);
	if (sc->setup(x))
		return -1;
	if (n && batch(x->fd, done, n, 0, NULL))
		return -1;
	take_snap(x, want);
	return 0;
}

FIXTURE(faults) {
	struct ctx x;
};

FIXTURE_SETUP(faults)
{
	memset(&self->x, 0, sizeof(self->x));
	self->x.pg = page_size();
	if (fault_inject_setup())
		return;		/* the test skips */
	self->x.fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->x.fd);
	self->x.nth = fail_nth_open();
	ASSERT_LE(0, self->x.nth);
	self->x.base = free_range(2 * AREA_PAGES * self->x.pg);
	ASSERT_NE(NULL, self->x.base);
	self->x.pmem = pmem_node_of(self->x.fd);
	ASSERT_EQ(0, pin_to_cpu0());
}

FIXTURE_TEARDOWN(faults)
{
	if (self->x.fd > 0)
		close(self->x.fd);
	if (self->x.nth > 0)
		close(self->x.nth);
}

/* Every command, every allocation failing in turn. */
TEST_F_TIMEOUT(faults, every_allocation_fails_cleanly, 1800)
{
	static struct snap before, after, want, got;
	struct resmap_counters c0 = resmap_counters(), c1;
	long free0[MAX_NODES], free1;
	struct ctx *x = &self->x;
	char why[4200];

	if (!x->nth)
		SKIP(return, "no fault injection in this kernel (FAILSLAB, FAIL_PAGE_ALLOC, debugfs): make check-debug runs this");

	/*
	 * Twice: the first round brings what the kernel allocates once and
	 * keeps (KASAN's stack depot among it) to its steady size, the second
	 * must then give back every page it takes.  Slab caches, and KASAN's
	 * quarantine with them, are shrunk before each reading.
	 */
	for (int round = 0; round < 2; round++) {
	slab_caches_shrink();
	for (int n = 0; n < MAX_NODES; n++)
		free0[n] = node_free_kib(n);
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		const struct scenario *sc = &scenarios[s];
		long injected = 0, failed = 0, tolerated = 0;
		unsigned int n;
		int ret, err;

		/* Without injection: the state before and after. */
		x->batch_flags = 0;
		ASSERT_EQ(0, sc->setup(x)) TH_LOG("%s: setup", sc->name);
		take_snap(x, &before);
		ASSERT_EQ(0, sc->op(x)) TH_LOG("%s: %s", sc->name,
					       strerror(errno));
		take_snap(x, &after);
		teardown_area(x);

		for (n = 1; n <= MAX_SWEEP; n++) {
			bool hit;

			ASSERT_EQ(0, sc->setup(x));
			take_snap(x, &got);
			ASSERT_TRUE(same(&before, &got, true, false, why, sizeof(why)))
				TH_LOG("%s: setup differs: %s", sc->name, why);

			fail_nth_arm(x->nth, n);
			ret = sc->op(x);
			err = errno;
			hit = fail_nth_disarm(x->nth);

			take_snap(x, &got);
			if (!hit) {	/* past its last allocation: done */
				ASSERT_EQ(0, ret);
				ASSERT_TRUE(same(&after, &got, !sc->node_may_change,
						 false, why, sizeof(why)))
					TH_LOG("%s: %s", sc->name, why);
				teardown_area(x);
				break;
			}
			injected++;
			if (!ret) {
				tolerated++;
				ASSERT_TRUE(same(&after, &got,
						 !sc->node_may_change, false, why,
						 sizeof(why)))
					TH_LOG("%s, allocation %u failed, call succeeded: %s",
					       sc->name, n, why);
			} else {
				failed++;
				ASSERT_EQ(ENOMEM, err)
					TH_LOG("%s, allocation %u: %s",
					       sc->name, n, strerror(err));
				/* As before; a batch of independent operations:
				 * as the ones it says done alone. */
				want = before;
				if (sc->op == op_batch_each) {
					ASSERT_EQ(0, batch_reference(x, sc, &want));
				}
				ASSERT_TRUE(same(&want, &got, !sc->node_may_change,
						 sc->may_split, why, sizeof(why)))
					TH_LOG("%s, allocation %u: not as before: %s",
					       sc->name, n, why);
			}
			teardown_area(x);
			c1 = resmap_counters();
			ASSERT_EQ(c0.committed_pages, c1.committed_pages);
			ASSERT_EQ(c0.vmas, c1.vmas);
			ASSERT_EQ(c0.reservations, c1.reservations);
			ASSERT_EQ(c0.files, c1.files);
		}
		ASSERT_GE(MAX_SWEEP, n) TH_LOG("%s: no end to allocations",
					       sc->name);
		if (round)
			TH_LOG("%-32s %3ld allocations failed: %ld ENOMEM, %ld absorbed",
			       sc->name, injected, failed, tolerated);
		x->injected += injected;
	}
	}
	TH_LOG("%ld faults injected in all (two rounds)", x->injected);
	EXPECT_LT(400, x->injected);

	c1 = resmap_counters();
	EXPECT_EQ(c0.committed_pages, c1.committed_pages);
	EXPECT_EQ(c0.reservations, c1.reservations);
	EXPECT_EQ(c0.vmas, c1.vmas);
	slab_caches_shrink();
	for (int n = 0; n < MAX_NODES; n++) {
		if (free0[n] < 0)
			continue;
		free1 = node_free_kib(n);
		EXPECT_GE(free1 + free0[n] / 100, free0[n])
			TH_LOG("node %d: %ld KiB free before the second round, %ld after",
			       n, free0[n], free1);
	}
}

TEST_HARNESS_MAIN
