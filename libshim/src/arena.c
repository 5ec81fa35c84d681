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

#include "shim.h"

#define POOL_BINS	(SHIM_SPAN_MAX_UNITS + 1)	/* [0]: longer runs */

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

/* One more segment, all of it one free run; pool_lock held. */
static int arena_grow(void)
{
	size_t reserved = atomic_load(&shim_counters.arena_reserved);
	struct span *spans;
	uintptr_t i;

	int err = errno;

	if (shim_opt.arena_max && reserved + SHIM_SEG > shim_opt.arena_max)
		return -ENOMEM;
	spans = shim_be->reserve(SHIM_SEG, SHIM_SEG);
	/* The caller may still succeed (from purged spans): keep errno. */
	errno = err;
	if (!spans)
		return -ENOMEM;
	i = (uintptr_t)spans >> SHIM_SEG_SHIFT;
	if (i >= (1UL << (SHIM_ADDR_BITS - SHIM_SEG_SHIFT)) ||
	    shim_be->commit(spans, SHIM_UNIT, NULL)) {
		shim_be->release(spans, SHIM_SEG);
		return -ENOMEM;
	}
	/* Fresh pages are zero: every unit is SPAN_UNUSED until listed. */
	run_add(&spans[1], SHIM_SEG_UNITS - 1);
	atomic_fetch_add(&shim_counters.arena_reserved, SHIM_SEG);
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
	if (!s && !arena_grow())
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
	err = atomic_load(&shim_counters.arena_reserved) ? 0 : arena_grow();
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

			if (shim_where_pages((void *)seg, SHIM_SEG, one, nr) < 0)
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
