// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The small-object arena: the address space that size classes carve
 * spans from.  It grows a segment (SHIM_SEG, aligned to its size) at a
 * time as the heap needs it, so no large reservation is made up front
 * and a process under a small RLIMIT_AS gets what the limit allows.
 * A bitmap with one bit per possible segment tells whether a pointer is
 * in the arena; the segment's first unit holds its span table.
 *
 * Free units are one pool, shared by every class: runs of units, kept in
 * lists by length and coalesced with their free neighbours, so address
 * space freed by one class serves any other.  Runs in the pool hold no
 * memory (a class gives a span back decommitted).
 */
#include <string.h>
#include <sys/resource.h>

#include "shim.h"

#define POOL_BINS	(SHIM_SPAN_MAX_UNITS + 1)	/* [0]: longer runs */
/* A segment where a whole one cannot be had: the metadata unit and 3. */
#define SEG_SHORT	(4 * SHIM_UNIT)


_Atomic uint64_t shim_seg_map[(1UL << (SHIM_ADDR_BITS - SHIM_SEG_SHIFT)) / 64];
static struct span *pool[POOL_BINS];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned int bin_of(uint32_t units)
{
	return units <= SHIM_SPAN_MAX_UNITS ? units : 0;
}

static void run_unlink(struct span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		pool[bin_of(s->units)] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* Mark @units from @s a free run and list it; pool_lock held. */
static void run_add(struct span *s, uint32_t units)
{
	struct span *spans = shim_seg_spans(s);
	uint32_t idx = s - spans;
	unsigned int b = bin_of(units);

	s->kind = SPAN_FREE;
	s->units = units;
	if (units > 1) {
		spans[idx + units - 1].kind = SPAN_FREE_TAIL;
		spans[idx + units - 1].head = idx;
	}
	s->prev = NULL;
	s->next = pool[b];
	if (pool[b])
		pool[b]->prev = s;
	pool[b] = s;
}

/* Give a run back, merged with the free runs on either side. */
static void run_free(struct span *s, uint32_t units)
{
	struct span *spans = shim_seg_spans(s), *n;
	uint32_t idx = s - spans, h;

	if (idx + units < SHIM_SEG_UNITS) {
		n = &spans[idx + units];
		if (n->kind == SPAN_FREE) {
			run_unlink(n);
			units += n->units;
		}
	}
	if (idx > 1) {
		n = &spans[idx - 1];
		h = n->kind == SPAN_FREE_TAIL ? n->head : idx - 1;
		if (n->kind == SPAN_FREE_TAIL || n->kind == SPAN_FREE) {
			run_unlink(&spans[h]);
			units += spans[h].units;
			s = &spans[h];
		}
	}
	run_add(s, units);
}

/* A run of at least @units, unlinked; pool_lock held. */
static struct span *run_find(uint32_t units)
{
	for (unsigned int b = units; b < POOL_BINS; b++)
		if (pool[b])
			return pool[b];
	return pool[0];
}

/*
 * Whether @bytes are at most a quarter of RLIMIT_AS: the arena's
 * segments, and the large blocks' regions, are whole only then, so that
 * under a limit of 40 MiB a 32 MiB segment does not leave too little for
 * everything else.
 */
bool shim_roomy(size_t bytes)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	       bytes <= rl.rlim_cur / 4;
}

/*
 * One more segment, all of it one free run, with room for a span of
 * @units at least; pool_lock held.  Where the address space is short
 * (RLIMIT_AS) and a whole segment cannot be had, only its first
 * SEG_SHORT bytes, or as many as that span or a 32nd of the arena so
 * far needs (taking more would leave less for the large blocks): a
 * program that glibc runs under a limit of a few MiB runs here too.  The
 * rest of its SHIM_SEG stays unreserved, and may hold other mappings;
 * spans[0].units says how long it is, so that shim_small_owns() claims
 * none of them.
 */
static int arena_grow(uint32_t units)
{
	size_t reserved = atomic_load(&shim_counters.arena_reserved), len;
	size_t least = (size_t)(units + 1) << SHIM_UNIT_SHIFT;
	struct span *spans = NULL;
	uintptr_t i;

	int err = errno;

	len = SHIM_SEG;
	if ((!shim_opt.arena_max || reserved + len <= shim_opt.arena_max) &&
	    shim_roomy(reserved + len))
		spans = shim_be->reserve(len, SHIM_SEG);
	if (!spans) {
		/*
		 * A 32nd of the arena so far, so that they stay few; else
		 * units exactly (a power of two would leave half of one
		 * unused: 64 objects of 64 KiB took 8 MiB, not 4.6).
		 */
		len = shim_round_up(reserved / 32, SHIM_UNIT);
		if (len < least)
			len = least;
		if (len < SEG_SHORT)
			len = SEG_SHORT;
		if (len > SHIM_SEG)
			len = SHIM_SEG;
		if (!shim_opt.arena_max || reserved + len <= shim_opt.arena_max)
			spans = shim_be->reserve(len, SHIM_SEG);
	}
	/* The caller may still succeed (from purged spans): keep errno. */
	errno = err;
	if (!spans)
		return -ENOMEM;
	i = (uintptr_t)spans >> SHIM_SEG_SHIFT;
	if (i >= (1UL << (SHIM_ADDR_BITS - SHIM_SEG_SHIFT)) ||
	    shim_be->commit(spans, SHIM_UNIT, NULL)) {
		shim_be->release(spans, len);
		return -ENOMEM;
	}
	/* Fresh pages are zero: every unit is SPAN_UNUSED until listed. */
	spans[0].units = len >> SHIM_UNIT_SHIFT;
	run_add(&spans[1], spans[0].units - 1);
	atomic_fetch_add(&shim_counters.arena_reserved, len);
	atomic_fetch_or_explicit(&shim_seg_map[i / 64], 1ULL << (i % 64),
				 memory_order_release);
	return 0;
}

/*
 * A span of @units units, marked SPAN_HEAD and SPAN_CONT, its pages not
 * committed; NULL if the arena can grow no more.
 */
struct span *shim_arena_take(uint32_t units)
{
	struct span *s, *spans;
	uint32_t idx, have;

	pthread_mutex_lock(&pool_lock);
	s = run_find(units);
	if (!s && !arena_grow(units))
		s = run_find(units);
	if (!s) {
		pthread_mutex_unlock(&pool_lock);
		return NULL;
	}
	run_unlink(s);
	have = s->units;
	spans = shim_seg_spans(s);
	idx = s - spans;
	if (have > units)
		run_add(&spans[idx + units], have - units);
	pthread_mutex_unlock(&pool_lock);
	for (uint32_t i = 1; i < units; i++) {
		spans[idx + i].kind = SPAN_CONT;
		spans[idx + i].head = idx;
	}
	s->units = units;
	s->kind = SPAN_HEAD;
	return s;
}

/* A span's units back to the pool; its pages are decommitted. */
void shim_arena_give(struct span *s)
{
	pthread_mutex_lock(&pool_lock);
	run_free(s, s->units);
	pthread_mutex_unlock(&pool_lock);
}

/* The first segment, so that a backend that cannot serve is known now. */
int shim_arena_init(void)
{
	int err;

	pthread_mutex_lock(&pool_lock);
	err = atomic_load(&shim_counters.arena_reserved) ? 0 : arena_grow(1);
	pthread_mutex_unlock(&pool_lock);
	return err;
}

/*
 * Add the resident pages of every segment to @counts (per node, @nr
 * nodes).  No lock: segments are never unmapped, and a span changing
 * meanwhile only changes what is counted.
 */
void shim_arena_where(uint64_t *counts, unsigned int nr)
{
	uint64_t one[RESMAP_STATS_MAX_NODES];

	for (size_t w = 0; w < sizeof(shim_seg_map) / sizeof(shim_seg_map[0]); w++) {
		uint64_t bits = atomic_load(&shim_seg_map[w]);

		for (; bits; bits &= bits - 1) {
			uintptr_t seg = (w * 64 + __builtin_ctzll(bits)) << SHIM_SEG_SHIFT;

			size_t len = (size_t)((struct span *)seg)->units <<
				     SHIM_UNIT_SHIFT;

			if (shim_where_pages((void *)seg, len, one, nr) < 0)
				continue;
			for (unsigned int n = 0; n < nr; n++)
				counts[n] += one[n];
		}
	}
}

void shim_arena_lock(void)
{
	pthread_mutex_lock(&pool_lock);
}

void shim_arena_unlock(void)
{
	pthread_mutex_unlock(&pool_lock);
}
