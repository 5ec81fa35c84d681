// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Shared regions for large blocks.  A large block that is a mapping of
 * its own costs the process one of its vm.max_map_count mappings as soon
 * as its neighbours are freed (anonymous mappings merge only while they
 * touch), so tens of thousands of live blocks with holes between them
 * once exhausted the limit where glibc went on.  Unplaced blocks below
 * SHIM_HUGE are therefore carved from regions instead: anonymous
 * mappings of 32 MiB up to 1 GiB (each twice the last; what a block
 * needs, under a small RLIMIT_AS), handed out in granules
 * of SHIM_UNIT (64 KiB) by a bitmap in the region's first granule, first
 * fit from where the last block was taken.  However many blocks they hold,
 * and however they are freed, a region stays one mapping: every call on
 * its blocks is madvise (MADV_DONTNEED to give pages back) or nothing,
 * never mprotect, mremap or munmap of a part, which would split it.
 *
 * Free granules hold no pages (an extent is MADV_DONTNEED'd before its
 * granules are marked free), so a new block's memory is zero.  Regions
 * are MADV_NOHUGEPAGE: a 2 MiB page faulted in for a 132 KiB block would
 * multiply its resident size (blocks from SHIM_HUGE up have their own
 * reservations, with huge pages).  Under strict overcommit, where a
 * writable region would be charged whole, there are no regions.
 *
 * A block that resmap_move() bound to a node has a memory policy of its
 * own, which splits the region's mapping around it; freeing it resets
 * the policy, and the mapping merges again.
 */
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define GRANULE_SHIFT		SHIM_UNIT_SHIFT
#define GRANULE			(1UL << GRANULE_SHIFT)
#define REGION_FIRST		(32UL << 20)
#define REGION_MAX		(1UL << 30)
#define REGION_GRANULES_MAX	(REGION_MAX >> GRANULE_SHIFT)
/* 512 GiB of blocks at most; past that, blocks get mappings of their own. */
#define REGIONS_MAX		512

struct region {
	char *base;		/* NULL: a free slot */
	uint64_t *map;		/* 1: taken; at base, in granule 0 */
	uint32_t granules;	/* its length */
	uint32_t free;		/* granules not taken */
	uint32_t hint;		/* where the last search ended */
};

_Static_assert(REGION_GRANULES_MAX / 8 <= GRANULE,
	       "a region's bitmap fits in its first granule");

/*
 * Small, in the library's bss (which a small RLIMIT_AS must hold too):
 * the bitmaps are in the regions.
 */
static struct region regions[REGIONS_MAX];
static unsigned int nr_regions;		/* slots ever used */
static unsigned int cur;		/* the region the last block came from */
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;

static void mark(struct region *r, uint32_t i, uint32_t n, bool take)
{
	for (; n; i++, n--) {
		if (take)
			r->map[i / 64] |= 1ULL << (i % 64);
		else
			r->map[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* The first free granule from @i on, or r->granules. */
static uint32_t next_free(const struct region *r, uint32_t i)
{
	while (i < r->granules) {
		uint64_t w = ~r->map[i / 64] >> (i % 64);

		if (w) {
			i += __builtin_ctzll(w);
			return i < r->granules ? i : r->granules;
		}
		i += 64 - i % 64;
	}
	return r->granules;
}

/* Free granules from @i on, counted up to @want. */
static uint32_t free_run(const struct region *r, uint32_t i, uint32_t want)
{
	uint32_t run = 0, k;

	while (run < want && i + run < r->granules) {
		uint64_t w;

		k = i + run;
		w = r->map[k / 64] >> (k % 64);
		if (w) {
			run += __builtin_ctzll(w);
			break;
		}
		run += 64 - k % 64;
	}
	if (run > r->granules - i)
		run = r->granules - i;
	return run < want ? run : want;
}

/*
 * @n free granules in [from, to), the first at an address aligned to
 * @ag granules: *at.
 */
static bool fit(const struct region *r, uint32_t from, uint32_t to,
		uint32_t n, uint32_t ag, uint32_t *at)
{
	uint32_t i = from, run;
	uint32_t phase = (ag - ((uintptr_t)r->base >> GRANULE_SHIFT) % ag) % ag;

	for (;;) {
		i = next_free(r, i);
		i += (phase + ag - i % ag) % ag;
		if (i >= to || to - i < n)
			return false;
		run = free_run(r, i, n);
		if (run == n) {
			*at = i;
			return true;
		}
		i += run ? run : 1;
	}
}

/* Take @n granules aligned to @ag granules from region @k; region_lock held. */
static void *take_from(unsigned int k, uint32_t n, uint32_t ag)
{
	struct region *r = &regions[k];
	uint32_t at;

	if (!r->base || r->free < n)
		return NULL;
	if (!fit(r, r->hint, r->granules, n, ag, &at) &&
	    !fit(r, 0, r->hint + n < r->granules ? r->hint + n : r->granules,
		 n, ag, &at))
		return NULL;
	mark(r, at, n, true);
	r->free -= n;
	r->hint = at + n;
	cur = k;
	return r->base + ((size_t)at << GRANULE_SHIFT);
}

/*
 * A new region with room for @len: 32 MiB for the first and twice the
 * last for each next one, up to 1 GiB; less, down to @len, where the
 * address space is short.  Mapped with no lock held.
 */
static int add_region(size_t len)
{
	size_t want = REGION_FIRST << (nr_regions < 5 ? nr_regions : 5);
	char *base = NULL;
	unsigned int k;

	if (want > REGION_MAX)
		want = REGION_MAX;
	len += GRANULE;		/* and the bitmap */
	if (want < len || !shim_roomy(want))
		want = len;
	for (; want > len && !base; want /= 2) {
		base = shim_syscall_backend.reserve(want, GRANULE);
		if (base)
			break;
	}
	if (!base) {
		want = len;
		base = shim_syscall_backend.reserve(want, GRANULE);
	}
	if (!base)
		return -ENOMEM;
	madvise(base, want, MADV_NOHUGEPAGE);
	/* Fresh pages are zero: all free, but granule 0, the bitmap's. */
	((uint64_t *)base)[0] = 1;
	pthread_mutex_lock(&region_lock);
	for (k = 0; k < REGIONS_MAX && regions[k].base; k++)
		;
	if (k == REGIONS_MAX) {
		pthread_mutex_unlock(&region_lock);
		munmap(base, want);
		return -ENOMEM;
	}
	regions[k].map = (uint64_t *)base;
	regions[k].granules = want >> GRANULE_SHIFT;
	regions[k].free = regions[k].granules - 1;
	regions[k].hint = 1;
	regions[k].base = base;
	if (k >= nr_regions)
		nr_regions = k + 1;
	cur = k;
	pthread_mutex_unlock(&region_lock);
	return 0;
}

/* Take an extent; region_lock held. */
static void *take(uint32_t n, uint32_t ag, unsigned int *region)
{
	for (unsigned int i = 0; i < nr_regions; i++) {
		unsigned int k = (cur + i) % nr_regions;
		void *p = take_from(k, n, ag);

		if (p) {
			*region = k;
			return p;
		}
	}
	return NULL;
}

void *shim_region_alloc(size_t len, size_t align, unsigned int *region)
{
	uint32_t n = shim_round_up(len, GRANULE) >> GRANULE_SHIFT;
	uint32_t ag = align > GRANULE ? align >> GRANULE_SHIFT : 1;
	void *p;

	if (!len || len > REGION_MAX - GRANULE || align > SHIM_HUGE ||
	    shim_strict_overcommit())
		return NULL;
	pthread_mutex_lock(&region_lock);
	p = take(n, ag, region);
	pthread_mutex_unlock(&region_lock);
	if (p || add_region(len))
		return p;
	pthread_mutex_lock(&region_lock);
	p = take(n, ag, region);
	pthread_mutex_unlock(&region_lock);
	return p;
}

bool shim_region_extend(unsigned int region, void *p, size_t len,
			size_t new_len)
{
	struct region *r = &regions[region];
	uint32_t i = ((char *)p - r->base + len) >> GRANULE_SHIFT;
	uint32_t n = (new_len - len) >> GRANULE_SHIFT;
	bool ok;

	pthread_mutex_lock(&region_lock);
	ok = i <= r->granules && free_run(r, i, n) == n;
	if (ok) {
		mark(r, i, n, true);
		r->free -= n;
	}
	pthread_mutex_unlock(&region_lock);
	return ok;
}

void shim_region_free(unsigned int region, void *p, size_t len, bool placed)
{
	struct region *r = &regions[region];

	/* Pages first: once marked free, the granules may be taken again. */
	madvise(p, len, MADV_DONTNEED);
	if (placed)
		syscall(SYS_mbind, p, len, MPOL_DEFAULT, NULL, 0UL, 0U);
	pthread_mutex_lock(&region_lock);
	mark(r, ((char *)p - r->base) >> GRANULE_SHIFT, len >> GRANULE_SHIFT,
	     false);
	r->free += len >> GRANULE_SHIFT;
	pthread_mutex_unlock(&region_lock);
}

/* Unmap the regions that hold no block: their address space, given back. */
size_t shim_region_trim(void)
{
	size_t bytes = 0;

	pthread_mutex_lock(&region_lock);
	for (unsigned int k = 0; k < nr_regions; k++) {
		struct region *r = &regions[k];
		size_t len = (size_t)r->granules << GRANULE_SHIFT;

		if (!r->base || r->free != r->granules - 1)
			continue;
		munmap(r->base, len);
		r->base = NULL;
		bytes += len;
	}
	pthread_mutex_unlock(&region_lock);
	return bytes;
}

void shim_region_lock(void)
{
	pthread_mutex_lock(&region_lock);
}

void shim_region_unlock(void)
{
	pthread_mutex_unlock(&region_lock);
}
