// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Large blocks (above SHIM_SMALL_MAX, or placed, or with a large reserve
 * hint): each has a reservation, page-aligned or better, with room to
 * grow.  Unplaced blocks below SHIM_HUGE take theirs from a shared region
 * (large_region.c), so that the process's mappings do not grow with its
 * blocks; the others get a mapping of their own, and so does any block
 * when the regions are full.  A registry (open addressing, keyed by
 * address) holds each block's committed and reserved sizes and placement.
 *
 * Growth commits into the reservation, or extends it in place when the
 * address space after it is free (the backend's grow; in a region, the
 * granules after it).  When neither works the block moves:
 * mremap(MREMAP_MAYMOVE) relocates its pages without copying; only if
 * that fails, or the block is in a region (moving part of a region would
 * split its mapping), are the bytes copied.  Shrinking gives the tail's
 * pages back.
 *
 * Default reservation, for blocks whose caller gave no hint: twice the
 * size, and at least 1 MiB more, so that realloc growth stays in place
 * for a while (address space is plentiful on 64-bit, copying is not); a
 * block that had to move gets four times its new size.  When the address
 * space is tight (RLIMIT_AS), the exact size.  In a region, twice the
 * size (up to SHARED_RES_MAX), in granules.
 *
 * Growth commits ahead to twice the old size (pages cost nothing until
 * touched); shrinking gives pages back only when it frees more than
 * half of the block.
 *
 * Freed blocks are cached, pages and all, for decay_ms and up to
 * large_cache_max bytes (LARGE_CACHE_SLOTS blocks): an allocation takes
 * the smallest cached reservation that holds it before it maps anything,
 * so a program that frees and allocates large buffers in turn reuses the
 * same memory without faulting it in again.  What leaves the cache is
 * released (unmapped) after large_lock is dropped.
 *
 * Unplaced blocks are plain anonymous memory (the syscall backend's),
 * whichever backend serves the process: the module maps 4 KiB pages
 * only, while such memory can have transparent huge pages.  Blocks from
 * 2 MiB up get 2 MiB-aligned reservations and MADV_HUGEPAGE (unless
 * thp=0).  Placed blocks are the module's where it is loaded; a tier
 * move of an unplaced block is mbind(MPOL_MF_MOVE).  The cache only
 * ever holds unplaced blocks.
 */
#include <string.h>
#include <sys/mman.h>

#include "shim.h"

struct large {
	uintptr_t ptr;		/* 0: empty slot, 1: deleted */
	size_t used;		/* committed, usable bytes */
	size_t res;		/* reserved bytes from ptr */
	size_t req;		/* the size last asked for */
	uint32_t grows;		/* times it has grown: its growth history */
	bool carved;		/* part of a batch's shared reservation */
	uint16_t region;	/* 1 + its shared region, or 0: own mapping */
	struct shim_place pl;
	const struct shim_backend *be;	/* whose memory it is */
};

static struct large *table;
static size_t table_cap, table_used;	/* used: live + deleted */
static size_t table_live;

#define LARGE_CACHE_SLOTS	64

/* A freed block, kept for reuse. */
struct cached {
	uintptr_t ptr;
	size_t used, res;
	bool carved;
	uint16_t region;
	uint32_t stamp;		/* when freed, in ms */
};

static struct cached cache[LARGE_CACHE_SLOTS];
static _Atomic unsigned int cache_n;	/* read unlocked only as a hint */
static size_t cache_bytes;	/* their committed bytes */
static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Blocks below SHIM_HUGE whose reservation is at most this are carved
 * from a shared region; past it, growth moves them to a mapping of their
 * own, with huge pages.
 */
#define SHARED_RES_MAX		(4UL << 20)

static void large_free(void *p, bool may_cache);

/* Give a block's memory back: its extent to its region, or its mapping. */
static void block_release(const struct shim_backend *be, uintptr_t p,
			  size_t res, unsigned int region, bool placed)
{
	if (region)
		shim_region_free(region - 1, (void *)p, res, placed);
	else
		be->release((void *)p, res);
}

static size_t slot_of(uintptr_t p, size_t cap)
{
	return (size_t)(((p >> 12) * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static struct large *find(uintptr_t p)
{
	size_t i;

	if (!table)
		return NULL;
	for (i = slot_of(p, table_cap); table[i].ptr; i = (i + 1) & (table_cap - 1))
		if (table[i].ptr == p)
			return &table[i];
	return NULL;
}

/* Mark a slot deleted (a tombstone: probes go on past it). */
static void forget(struct large *l)
{
	l->ptr = 1;
	table_live--;
}

/*
 * Rehash into a table twice the size, or the same size when at most a
 * quarter of the slots are live (the rest are tombstones: churn, not
 * growth, filled it).
 */
static int grow_table(void)
{
	size_t cap = table_cap, i, j;
	struct large *t;

	if (!cap)
		cap = 1024;
	else if (table_live * 4 > table_cap)
		cap *= 2;
	t = mmap(NULL, cap * sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -ENOMEM;
	table_used = 0;
	for (i = 0; i < table_cap; i++) {
		if (table[i].ptr <= 1)
			continue;
		for (j = slot_of(table[i].ptr, cap); t[j].ptr; j = (j + 1) & (cap - 1))
			;
		t[j] = table[i];
		table_used++;
	}
	if (table)
		munmap(table, table_cap * sizeof(*table));
	table = t;
	table_cap = cap;
	return 0;
}

static int insert(const struct large *rec)
{
	size_t i;

	pthread_mutex_lock(&large_lock);
	if ((table_used + 1) * 2 > table_cap && grow_table()) {
		pthread_mutex_unlock(&large_lock);
		return -ENOMEM;
	}
	for (i = slot_of(rec->ptr, table_cap); table[i].ptr > 1;
	     i = (i + 1) & (table_cap - 1))
		;
	if (!table[i].ptr)
		table_used++;
	table_live++;
	table[i] = *rec;
	pthread_mutex_unlock(&large_lock);
	atomic_fetch_add(&shim_counters.large_blocks, 1);
	atomic_fetch_add(&shim_counters.large_bytes, rec->used);
	atomic_fetch_add(&shim_counters.reserved_bytes, rec->res);
	return 0;
}

size_t shim_default_reserve(size_t used, size_t factor)
{
	size_t res = used * factor;

	if (res / factor != used)
		return used;
	if (res < used + (1UL << 20))
		res = used + (1UL << 20);
	return shim_round_up(res, SHIM_UNIT);
}

/* The backend for a new block placed as @pl. */
static const struct shim_backend *be_for(const struct shim_place *pl)
{
	if (pl->mode == SHIM_PLACE_NONE)
		return &shim_syscall_backend;
	return shim_be;
}

/*
 * Huge pages for a block's reservation once it is 2 MiB or more; not in
 * a region, whose mapping advice applies to all of it.
 */
static void want_huge(const struct large *rec, size_t used, size_t res)
{
	if (shim_opt.thp && rec->be->huge && used >= SHIM_HUGE && !rec->region)
		rec->be->huge((void *)rec->ptr, res);
}

/* Take slot @i out of the cache into *@out; large_lock held. */
static void cache_take(unsigned int i, struct cached *out)
{
	*out = cache[i];
	cache[i] = cache[--cache_n];
	cache_bytes -= out->used;
	atomic_fetch_sub(&shim_counters.large_cached_blocks, 1);
	atomic_fetch_sub(&shim_counters.large_cached_bytes, out->used);
}

/*
 * Move the blocks that have been cached for decay_ms, or all if @all,
 * or the oldest until @room more bytes fit, to @out (at most
 * LARGE_CACHE_SLOTS): how many.  large_lock held.
 */
static unsigned int cache_evict(struct cached *out, bool all, size_t room)
{
	uint32_t now = shim_now_ms();
	unsigned int n = 0, i = 0, oldest;

	while (i < cache_n) {
		if (all || now - cache[i].stamp >= shim_opt.decay_ms)
			cache_take(i, &out[n++]);
		else
			i++;
	}
	while (cache_n && ((room && cache_n == LARGE_CACHE_SLOTS) ||
			   cache_bytes + room > shim_opt.large_cache_max)) {
		oldest = 0;
		for (i = 1; i < cache_n; i++)
			if (now - cache[i].stamp > now - cache[oldest].stamp)
				oldest = i;
		cache_take(oldest, &out[n++]);
	}
	return n;
}

/* Release evicted blocks, no lock held: bytes given back. */
static size_t cache_release(const struct cached *c, unsigned int n)
{
	size_t bytes = 0;

	for (unsigned int i = 0; i < n; i++) {
		block_release(&shim_syscall_backend, c[i].ptr, c[i].res,
			      c[i].region, false);
		atomic_fetch_sub(&shim_counters.reserved_bytes, c[i].res);
		bytes += c[i].used;
	}
	atomic_fetch_add(&shim_counters.purged_bytes, bytes);
	return bytes;
}

/*
 * A cached block for @used bytes aligned to @align with at least @res
 * reserved: the smallest such reservation.  Stale blocks are released on
 * the way.  false if none.
 */
static bool cache_find(size_t used, size_t align, size_t res,
		       struct cached *out)
{
	struct cached old[LARGE_CACHE_SLOTS];
	unsigned int n, best = LARGE_CACHE_SLOTS;

	if (!atomic_load_explicit(&cache_n, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&large_lock);
	n = cache_evict(old, false, 0);
	for (unsigned int i = 0; i < cache_n; i++)
		if (cache[i].res >= res && cache[i].res >= used &&
		    !(cache[i].ptr & (align - 1)) &&
		    (best == LARGE_CACHE_SLOTS || cache[i].res < cache[best].res))
			best = i;
	if (best < LARGE_CACHE_SLOTS)
		cache_take(best, out);
	pthread_mutex_unlock(&large_lock);
	cache_release(old, n);
	return best < LARGE_CACHE_SLOTS;
}

/*
 * Serve an allocation from a cached block: its pages are kept (they are
 * why it was cached), but for a zeroed block the ones past @used are
 * given back, so that only @used bytes need zeroing.
 */
static void *cache_reuse(struct cached *c, size_t size, size_t used,
			 bool zero)
{
	struct large rec = { .ptr = c->ptr, .res = c->res, .carved = c->carved,
			     .region = c->region, .be = &shim_syscall_backend,
			     .req = size };
	char *base = (char *)c->ptr;
	size_t dirty = c->used;

	rec.used = c->used;
	if (zero && c->used > used && !rec.be->decommit(base + used,
							  c->used - used))
		rec.used = dirty = used;
	if (rec.used < used) {
		if (rec.be->grow(base, rec.used, used, rec.res, NULL))
			goto release;
		want_huge(&rec, used, rec.res);
		rec.used = used;
	}
	if (zero)
		memset(base, 0, dirty < used ? dirty : used);
	atomic_fetch_sub(&shim_counters.reserved_bytes, rec.res);
	if (insert(&rec)) {
		atomic_fetch_add(&shim_counters.reserved_bytes, rec.res);
		goto release;
	}
	return base;
release:
	c->used = rec.used;
	cache_release(c, 1);
	return NULL;
}

/*
 * A block carved from a shared region, if it may have one: unplaced,
 * below SHIM_HUGE, with a reserve hint within SHARED_RES_MAX; with @any,
 * of any size, reserving only @used (it could not have a mapping of its
 * own).  Fills in @rec; NULL if not.
 */
static void *shared_block(struct large *rec, size_t used, size_t align,
			  size_t reserve, bool any)
{
	size_t res = reserve > used * 2 ? reserve : used * 2;
	unsigned int region;
	char *base;

	if (rec->pl.mode != SHIM_PLACE_NONE || rec->pl.populate)
		return NULL;
	if (any)
		res = used;
	else if (used >= SHIM_HUGE || reserve > SHARED_RES_MAX)
		return NULL;
	else if (res > SHARED_RES_MAX)
		res = SHARED_RES_MAX;
	res = shim_round_up(res, SHIM_UNIT);
	base = shim_region_alloc(res, align, &region);
	if (!base && res > shim_round_up(used, SHIM_UNIT)) {
		res = shim_round_up(used, SHIM_UNIT);
		base = shim_region_alloc(res, align, &region);
	}
	if (!base)
		return NULL;
	rec->ptr = (uintptr_t)base;
	rec->used = used;
	rec->res = res;
	rec->region = region + 1;
	rec->be = &shim_syscall_backend;
	return base;
}

void *shim_large_alloc(size_t size, size_t align, size_t reserve,
		       const struct shim_place *pl, bool zero)
{
	const struct shim_backend *be = be_for(pl);
	struct large rec = { .pl = *pl, .be = be, .req = size };
	size_t used = shim_round_up(size ? size : 1, SHIM_PAGE), res;
	struct cached c;
	char *base;
	int err, saved;

	if (used < size) {
		errno = ENOMEM;
		return NULL;
	}
	align = align > SHIM_PAGE ? align : SHIM_PAGE;
	if (pl->mode == SHIM_PLACE_NONE && !pl->populate &&
	    cache_find(used, align, reserve, &c)) {
		base = cache_reuse(&c, size, used, zero);
		if (base)
			return base;
	}
	saved = errno;
	base = shared_block(&rec, used, align, reserve, false);
	if (base)
		goto insert;
	res = shim_default_reserve(used, 2);
	if (reserve > res)
		res = shim_round_up(reserve, SHIM_PAGE);
	if (shim_opt.thp && be->huge && used >= SHIM_HUGE) {
		align = align > SHIM_HUGE ? align : SHIM_HUGE;
		res = shim_round_up(res, SHIM_HUGE);
	}
	base = be->reserve(res, align);
	if (!base) {
		/* Short of address space: the exact size, errno as it was. */
		errno = saved;
		res = used;
		base = be->reserve(res, align);
	}
	if (!base) {
		/* Or of mappings (vm.max_map_count): a region's space. */
		base = shared_block(&rec, used, align, reserve, true);
		if (!base)
			return NULL;
		goto insert;
	}
	rec.ptr = (uintptr_t)base;
	rec.used = used;
	rec.res = res;
	want_huge(&rec, used, res);
	err = be->commit(base, used, pl);
	if (err) {
		be->release(base, res);
		errno = -err;
		return NULL;
	}
insert:
	errno = saved;
	err = insert(&rec);
	if (err) {
		block_release(rec.be, rec.ptr, rec.res, rec.region, false);
		errno = -err;
		return NULL;
	}
	return base;
}

/*
 * A batch's blocks from a shared region, if they may be (as a block of
 * shared_block()'s), each @*each bytes rounded up to granules: where.
 * Sets rec->region; uncommitted, as region memory needs no commit.
 */
static char *shared_batch(struct large *rec, size_t n, size_t used,
			  size_t *each, size_t align)
{
	size_t shared = shim_round_up(*each, SHIM_UNIT);
	unsigned int region;
	char *base;

	if (rec->pl.mode != SHIM_PLACE_NONE || rec->pl.populate ||
	    used >= SHIM_HUGE || shared > SHARED_RES_MAX ||
	    n > (SIZE_MAX >> 1) / shared)
		return NULL;
	base = shim_region_alloc(shared * n, align, &region);
	if (!base)
		return NULL;
	*each = shared;
	rec->region = region + 1;
	rec->carved = false;
	return base;
}

/*
 * @n blocks of @size in one reservation, committed in one call: the
 * batch fast path.  Each keeps its own stretch to grow into but, sharing
 * a reservation, never grows past it in place.
 */
int shim_large_alloc_many(void **out, size_t n, size_t size, size_t align,
			  size_t reserve, const struct shim_place *pl)
{
	size_t used = shim_round_up(size ? size : 1, SHIM_PAGE), each, i;
	struct shim_range ranges[64];
	const struct shim_backend *be = be_for(pl);
	struct large rec = { .pl = *pl, .carved = true, .be = be, .req = size };
	char *base;
	int err = 0;

	if (size > SHIM_SIZE_MAX || reserve > SHIM_SIZE_MAX)
		return -ENOMEM;
	align = align > SHIM_PAGE ? align : SHIM_PAGE;
	each = shim_round_up(reserve > used ? reserve : used, align);
	if (each < used || n > SIZE_MAX / each)
		return -ENOMEM;
	base = shared_batch(&rec, n, used, &each, align);
	if (!base)
		base = be->reserve(each * n, align);
	if (!base)
		return -errno;
	for (i = 0; i < n && !err && !rec.region; i += 64) {
		size_t k = n - i < 64 ? n - i : 64;

		for (size_t j = 0; j < k; j++) {
			ranges[j].addr = base + (i + j) * each;
			ranges[j].len = used;
		}
		err = be->commit_many(ranges, k, pl);
	}
	for (i = 0; i < n && !err; i++) {
		rec.ptr = (uintptr_t)(base + i * each);
		rec.used = used;
		rec.res = each;
		err = insert(&rec);
		out[i] = base + i * each;
	}
	if (err) {
		/* Forget the ones registered, then give it all back. */
		pthread_mutex_lock(&large_lock);
		while (i--) {
			struct large *l = find((uintptr_t)out[i]);

			if (l)
				forget(l);
		}
		pthread_mutex_unlock(&large_lock);
		block_release(be, (uintptr_t)base, each * n, rec.region, false);
	}
	return err;
}

/* A copy of @p's record, under the lock; false if @p is not a large block. */
static bool lookup(const void *p, struct large *out)
{
	struct large *l;

	pthread_mutex_lock(&large_lock);
	l = find((uintptr_t)p);
	if (l)
		*out = *l;
	pthread_mutex_unlock(&large_lock);
	return l != NULL;
}

const struct shim_backend *shim_large_backend(const void *p)
{
	struct large rec;

	return lookup(p, &rec) ? rec.be : NULL;
}

bool shim_large_owns(const void *p, size_t *used, size_t *res,
		     struct shim_place *pl)
{
	struct large rec;

	if (!lookup(p, &rec))
		return false;
	if (used)
		*used = rec.used;
	if (res)
		*res = rec.res;
	if (pl)
		*pl = rec.pl;
	return true;
}

static void update(uintptr_t old, uintptr_t p, size_t used, size_t res)
{
	struct large *l;

	pthread_mutex_lock(&large_lock);
	l = find(old);
	atomic_fetch_add(&shim_counters.large_bytes, used - l->used);
	atomic_fetch_add(&shim_counters.reserved_bytes, res - l->res);
	l->used = used;
	l->res = res;
	if (p != old) {
		struct large rec = *l;

		forget(l);
		rec.ptr = p;
		rec.carved = false;
		pthread_mutex_unlock(&large_lock);
		atomic_fetch_sub(&shim_counters.large_blocks, 1);
		atomic_fetch_sub(&shim_counters.large_bytes, rec.used);
		atomic_fetch_sub(&shim_counters.reserved_bytes, rec.res);
		insert(&rec);
		return;
	}
	pthread_mutex_unlock(&large_lock);
}

/* Record the size last asked for of the block at @p, and whether it grew. */
static void set_req(uintptr_t p, size_t size, bool grew)
{
	struct large *l;

	pthread_mutex_lock(&large_lock);
	l = find(p);
	if (l) {
		l->req = size;
		l->grows += grew;
	}
	pthread_mutex_unlock(&large_lock);
}

/* A block copied to @p carries on the growth history of the one it was. */
static void set_history(void *p, size_t size, uint32_t grows)
{
	struct large *l;

	pthread_mutex_lock(&large_lock);
	l = find((uintptr_t)p);
	if (l) {
		l->req = size;
		l->grows = grows;
	}
	pthread_mutex_unlock(&large_lock);
}

/*
 * How many times its new size a moving block reserves: four, or 64 for
 * a block that has grown four times already (address space is plentiful
 * on 64-bit, and such a block will likely grow on).
 */
static size_t growth_factor(const struct large *rec)
{
	return rec->grows >= 4 ? 64 : 4;
}

/*
 * Grow a region block's extent into the free granules after it, to hold
 * @ahead bytes or else @new_used, while it stays below SHIM_HUGE and
 * SHARED_RES_MAX (past them it moves to a mapping of its own, with huge
 * pages).  rec->res is the extent after.
 */
static void shared_extend(struct large *rec, size_t new_used, size_t ahead)
{
	size_t want[2] = { shim_round_up(ahead, SHIM_UNIT),
			   shim_round_up(new_used, SHIM_UNIT) };

	if (new_used >= SHIM_HUGE)
		return;
	for (int i = 0; i < 2; i++) {
		if (want[i] > SHARED_RES_MAX || want[i] <= rec->res)
			continue;
		if (shim_region_extend(rec->region - 1, (void *)rec->ptr,
				       rec->res, want[i])) {
			update(rec->ptr, rec->ptr, rec->used, want[i]);
			rec->res = want[i];
			return;
		}
	}
}

/*
 * Relocate the block's pages with mremap: no copy.  The new reservation
 * is sized from the block's growth history: four times the new size,
 * or 64 times for a block that has grown four times already (address
 * space is plentiful on 64-bit, and such a block will likely grow on;
 * where it is not, four times).  0 or -errno.
 */
static int remap(struct large *rec, size_t size, size_t new_used, void **out)
{
	size_t factor = growth_factor(rec), res;
	void *p;
	int err;

	do {
		res = shim_default_reserve(new_used, factor);
		err = rec->be->relocate((void *)rec->ptr, rec->used, rec->res,
					new_used, &rec->pl, &p, &res);
		factor /= 16;
	} while (err == -ENOMEM && factor >= 4);
	if (err)
		return err;
	update(rec->ptr, (uintptr_t)p, new_used, res);
	set_req((uintptr_t)p, size, true);
	*out = p;
	return 0;
}

/*
 * Resize large block @p to @size: in place if it can be, else moved if
 * @may_move, to an address aligned to @align.  0 with *out the block, or
 * -errno (the block unchanged).  New bytes are always zero: they are
 * fresh pages.
 */
int shim_large_resize(void *p, size_t size, size_t align, bool may_move,
		      bool zero, void **out)
{
	size_t new_used = shim_round_up(size ? size : 1, SHIM_PAGE), ahead;
	struct large rec;
	bool fixed;
	void *q;
	int err;

	(void)zero;
	if (!lookup(p, &rec))
		shim_fatal("realloc(): invalid pointer", p);
	*out = p;
	if (new_used < size)
		return -ENOMEM;
	/*
	 * Shrinking by less than half keeps the pages (the block may
	 * have been committed ahead, and may grow back): trimming is
	 * housekeeping, not worth a system call per small step.  Nor is
	 * growth that still fits: a block taken from the cache can hold
	 * far more than was asked for, and a buffer growing into it must
	 * not have the pages it is about to use taken away.
	 */
	if (new_used <= rec.used &&
	    (new_used >= rec.used / 2 || size >= rec.req)) {
		set_req(rec.ptr, size, size > rec.req);
		return 0;
	}
	if (new_used < rec.used) {
		err = rec.be->decommit((char *)p + new_used,
					rec.used - new_used);
		if (!err)
			update(rec.ptr, rec.ptr, new_used, rec.res);
		return err;
	}
	/*
	 * Commit ahead, to twice the old size: committed pages cost nothing
	 * until touched, and a block growing in small steps then needs a
	 * system call per doubling instead of per step.
	 */
	ahead = rec.used * 2 > new_used ? rec.used * 2 : new_used;
	if (new_used <= rec.res && ahead > rec.res)
		ahead = rec.res;
	if (rec.region && ahead > rec.res)
		shared_extend(&rec, new_used, ahead);
	/* In a batch's reservation or a region: never past it in place. */
	fixed = rec.carved || rec.region;
	err = -ENOSPC;
	if (ahead <= rec.res || !fixed)
		err = rec.be->grow(p, rec.used, ahead, rec.res, &rec.pl);
	if (err && ahead > new_used && (new_used <= rec.res || !fixed))
		err = rec.be->grow(p, rec.used, ahead = new_used, rec.res,
				    &rec.pl);
	if (!err) {
		if (rec.used < SHIM_HUGE)
			want_huge(&rec, ahead, ahead > rec.res ? ahead : rec.res);
		update(rec.ptr, rec.ptr, ahead, ahead > rec.res ? ahead : rec.res);
		set_req(rec.ptr, size, true);
		atomic_fetch_add(&shim_counters.in_place_growths, 1);
		return 0;
	}
	if (err != -ENOSPC || !may_move)
		return err;
	atomic_fetch_add(&shim_counters.moves, 1);
	/*
	 * mremap picks a page-aligned place: only for page alignment, and
	 * not out of a region.
	 */
	if (align <= SHIM_PAGE && !rec.region &&
	    !remap(&rec, size, new_used, out))
		return 0;
	q = shim_large_alloc(size, align > SHIM_PAGE ? align : SHIM_PAGE,
			     shim_default_reserve(new_used, growth_factor(&rec)),
			     &rec.pl, false);
	if (!q)
		return -errno;
	memcpy(q, p, rec.used);
	/*
	 * Not cached: a block that grew out of its place is not asked for
	 * again at its old size, and its pages, cached, would add to the
	 * peak (the Python grow-and-drop loop: 36.3 MB, against 33.6 MB).
	 */
	large_free(p, false);
	set_history(q, size, rec.grows + 1);
	*out = q;
	return 0;
}

void shim_large_set_place(void *p, const struct shim_place *pl)
{
	struct large *l;

	pthread_mutex_lock(&large_lock);
	l = find((uintptr_t)p);
	if (l) {
		l->pl = *pl;
		l->pl.populate = false;
	}
	pthread_mutex_unlock(&large_lock);
}

/*
 * Free a large block: into the cache if @may_cache, it is unplaced and
 * fits there (evicting what has decayed, then the oldest), else released.
 */
static void large_free(void *p, bool may_cache)
{
	struct cached old[LARGE_CACHE_SLOTS];
	const struct shim_backend *be = NULL;
	struct large *l;
	unsigned int n = 0, region;
	size_t used, res;
	bool keep, placed;

	pthread_mutex_lock(&large_lock);
	l = find((uintptr_t)p);
	if (!l) {
		pthread_mutex_unlock(&large_lock);
		shim_fatal("free(): invalid pointer", p);
	}
	used = l->used;
	res = l->res;
	region = l->region;
	placed = l->pl.mode != SHIM_PLACE_NONE;
	keep = may_cache && l->be == &shim_syscall_backend &&
	       l->pl.mode == SHIM_PLACE_NONE &&
	       used <= shim_opt.large_cache_max / 2;
	if (keep) {
		n = cache_evict(old, false, used);
		cache[cache_n++] = (struct cached){ .ptr = (uintptr_t)p,
			.used = used, .res = res, .carved = l->carved,
			.region = l->region, .stamp = shim_now_ms() };
		cache_bytes += used;
		atomic_fetch_add(&shim_counters.large_cached_blocks, 1);
		atomic_fetch_add(&shim_counters.large_cached_bytes, used);
	} else {
		be = l->be;
	}
	forget(l);
	pthread_mutex_unlock(&large_lock);
	atomic_fetch_sub(&shim_counters.large_blocks, 1);
	atomic_fetch_sub(&shim_counters.large_bytes, used);
	cache_release(old, n);
	if (be) {
		atomic_fetch_sub(&shim_counters.reserved_bytes, res);
		block_release(be, (uintptr_t)p, res, region, placed);
	}
}

void shim_large_free(void *p)
{
	large_free(p, true);
}

/* Release the cached blocks that have decayed (@all: every one). */
static size_t large_purge(bool all)
{
	struct cached old[LARGE_CACHE_SLOTS];
	unsigned int n;

	if (!atomic_load_explicit(&cache_n, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&large_lock);
	n = cache_evict(old, all, 0);
	pthread_mutex_unlock(&large_lock);
	return cache_release(old, n);
}

size_t shim_large_trim(void)
{
	size_t bytes = large_purge(true);

	shim_region_trim();
	return bytes;
}

/*
 * The small-object paths' periodic purge calls this too, so that
 * cached blocks decay even in a program that no longer makes large
 * calls.
 */
size_t shim_large_decay(void)
{
	return large_purge(false);
}

/*
 * Add the resident pages of every large block, live and cached, to
 * @counts (per node, @nr nodes).  Under large_lock: a stats call that
 * asks for nodes holds up large-block calls while it counts.
 */
void shim_large_where(uint64_t *counts, unsigned int nr)
{
	uint64_t one[RESMAP_STATS_MAX_NODES];

	pthread_mutex_lock(&large_lock);
	for (size_t i = 0; i < table_cap + cache_n; i++) {
		uintptr_t p = i < table_cap ? table[i].ptr : cache[i - table_cap].ptr;
		size_t used = i < table_cap ? table[i].used :
					      cache[i - table_cap].used;

		if (p <= 1 || shim_where_pages((void *)p, used, one, nr) < 0)
			continue;
		for (unsigned int n = 0; n < nr; n++)
			counts[n] += one[n];
	}
	pthread_mutex_unlock(&large_lock);
}

size_t shim_large_registry_bytes(void)
{
	size_t bytes;

	pthread_mutex_lock(&large_lock);
	bytes = table_cap * sizeof(*table);
	pthread_mutex_unlock(&large_lock);
	return bytes;
}

/* For fork: large_lock first, as every path that takes both does. */
void shim_large_lock_all(void)
{
	pthread_mutex_lock(&large_lock);
	shim_region_lock();
}

void shim_large_unlock_all(void)
{
	shim_region_unlock();
	pthread_mutex_unlock(&large_lock);
}
