/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libresmap-shim internals.  Small blocks come from size-class spans in
 * an arena of segments that grows with the heap, through per-thread
 * caches; large blocks each get a reservation of their own and grow into
 * it, and freed ones are cached for a while.  The backend (the resmap
 * module, or plain system calls) reserves, commits and places memory.
 */
#ifndef SHIM_H
#define SHIM_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resmap_alloc.h"

#define SHIM_API __attribute__((visibility("default")))

/*
 * Under AddressSanitizer (make -C libshim san) a free small object is
 * poisoned past the two words its list keeps there, so a use after free
 * or an overflow into a free neighbour is reported where it happens.
 */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define shim_poison(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define shim_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define shim_poison(p, n)	((void)(p), (void)(n))
#define shim_unpoison(p, n)	((void)(p), (void)(n))
#endif
#define SHIM_FREE_LINK		(2 * sizeof(void *))	/* never poisoned */

#define SHIM_PAGE		4096UL
#define SHIM_MAX_TIERS		64	/* tier ranks of nodes 0-63 */
#define SHIM_UNIT_SHIFT		16
#define SHIM_UNIT		(1UL << SHIM_UNIT_SHIFT)	/* span granule */
#define SHIM_MIN_ALIGN		16UL
#define SHIM_SMALL_MAX		(128UL << 10)	/* larger: own reservation */
#define SHIM_NR_CLASSES		48
/* No object may be larger: pointer differences within it must fit. */
#define SHIM_SIZE_MAX		((size_t)PTRDIFF_MAX)

static inline size_t shim_round_up(size_t x, size_t to)
{
	return (x + to - 1) & ~(to - 1);
}

static inline bool shim_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* Where a range's pages come from. */
enum shim_place_mode {
	SHIM_PLACE_NONE,	/* the process's policy */
	SHIM_PLACE_STRICT,	/* node only */
	SHIM_PLACE_INTERLEAVE,	/* nodes, page by page */
	SHIM_PLACE_TIER,	/* nodes of a tier, nearest first */
};

struct shim_place {
	enum shim_place_mode mode;
	int node;		/* STRICT */
	uint32_t tier;		/* TIER: RESMAP_TIER_DRAM, _PMEM or _RANK(n) */
	uint64_t nodes;		/* INTERLEAVE, TIER: the node mask */
	bool populate;
};

struct shim_range {
	void *addr;
	size_t len;
};

/* What the two backends do, each in its own way. */
struct shim_backend {
	const char *name;
	/* Address space only; NULL and errno on failure. */
	void *(*reserve)(size_t len, size_t align);
	/* Readable, writable, zero-filled, placed. */
	int (*commit)(void *addr, size_t len, const struct shim_place *pl);
	/* Many ranges at once, all placed the same (the module: one call). */
	int (*commit_many)(const struct shim_range *r, size_t n,
			   const struct shim_place *pl);
	/* Pages freed; the range faults again. */
	int (*decommit)(void *addr, size_t len);
	int (*release)(void *addr, size_t len);
	/*
	 * Commit [base + used, base + new_used), extending the reservation
	 * of @res bytes at @base past its end if needed; ENOSPC if that
	 * space is taken.  Nothing changes on failure.
	 */
	int (*grow)(void *base, size_t used, size_t new_used, size_t res,
		    const struct shim_place *pl);
	/*
	 * Move the block to new address space without copying (mremap) and
	 * commit it to @new_used: *new_base, and a reservation of *new_res
	 * bytes (in: wanted, at least @new_used).  Nothing changes on
	 * failure.
	 */
	int (*relocate)(void *base, size_t used, size_t res, size_t new_used,
			const struct shim_place *pl, void **new_base,
			size_t *new_res);
	/* Move pages in place to @pl's node; *moved counts them. */
	int (*move)(void *addr, size_t len, const struct shim_place *pl,
		    long *moved);
	/* Transparent huge pages for the range, where allowed (or NULL). */
	int (*huge)(void *addr, size_t len);
};

#define SHIM_HUGE		(2UL << 20)	/* a PMD-mapped huge page */

extern const struct shim_backend shim_syscall_backend;
extern const struct shim_backend shim_module_backend;
extern const struct shim_backend *shim_be;
extern int shim_module_fd;

void shim_init(void);

/*
 * Every public entry that may reach the backend calls this first.  Set
 * once initialisation is complete: shim_be is set before the arena is,
 * so it cannot tell another thread that the allocator is ready.
 */
extern atomic_bool shim_initialised;

static inline void shim_ready(void)
{
	if (__builtin_expect(!atomic_load_explicit(&shim_initialised,
						   memory_order_acquire), 0))
		shim_init();
}

bool shim_module_open(void);
void shim_fatal(const char *what, const void *ptr) __attribute__((noreturn));
void shim_warn(const char *msg);

size_t shim_default_reserve(size_t used, size_t factor);

/* Placement. */
int shim_place_from_flags(uintmax_t flags, struct shim_place *pl);
uint64_t shim_tier_nodes(uint32_t tier);
unsigned int shim_nr_tiers(void);
long shim_where_pages(void *addr, size_t len, uint64_t *counts,
		      unsigned int nr);

/*
 * The small-object arena (arena.c): segments of SHIM_SEG bytes, each
 * aligned to its size, reserved as the heap grows; the first unit of
 * each holds one struct span per unit.  Free runs of units, from any
 * segment, are one pool that every size class takes from.
 */
#define SHIM_SEG_SHIFT		25
#define SHIM_SEG		(1UL << SHIM_SEG_SHIFT)	/* 32 MiB */
#define SHIM_SEG_UNITS		(SHIM_SEG >> SHIM_UNIT_SHIFT)
#define SHIM_ADDR_BITS		47	/* mmap's addresses without a hint */
#define SHIM_SPAN_MAX_UNITS	16	/* the largest class's span, 1 MiB */

enum shim_span_kind {
	SPAN_UNUSED,		/* the metadata unit (units: the segment's) */
	SPAN_HEAD,		/* first unit of a class's span */
	SPAN_CONT,		/* other units of a span (head: its first) */
	SPAN_FREE,		/* first unit of a free run in the pool */
	SPAN_FREE_TAIL,		/* last unit of a free run (head: its first) */
};

enum shim_span_state {
	SPAN_ACTIVE,		/* has objects handed out or to give */
	SPAN_EMPTY,		/* no object out, pages kept: the class's cache */
};

struct shim_heap;

/*
 * A span's objects are on three lists (small.c, remote.c): free, which
 * only its owner thread touches (allocations pop it, the owner's frees
 * push it), and xfree, which other threads push with a CAS and the owner
 * takes whole.  A span whose owner exited is an orphan: its xfree word
 * holds SHIM_XFREE_ORPHAN and its objects are its class's, under the
 * class lock (central.c).
 *
 * Two cache lines: the first is what any thread's free reads and CASes,
 * written only when the span changes hands or carves; the second is what
 * the owner writes at every malloc and free of its own.  So a thread
 * freeing another's objects never pulls the line the owner is writing.
 */
struct span {
	uint8_t kind;		/* enum shim_span_kind */
	uint8_t state;		/* HEAD: enum shim_span_state */
	uint8_t cls;
	uint8_t shift;		/* HEAD: idx = off * recip >> shift */
	uint16_t units;		/* HEAD, FREE: length in units */
	uint16_t cap, bump;
	union {
		uint32_t head;	/* CONT, FREE_TAIL: index of the first unit */
		uint32_t stamp;	/* HEAD, EMPTY: when, in ms (wraps) */
	};
	uint32_t size;		/* HEAD: the class's object size */
	uint32_t recip;		/* HEAD: division by size as a multiply */
	_Atomic(struct shim_heap *) owner;	/* HEAD: thread or orphans */
	_Atomic uintptr_t xfree;		/* HEAD: other threads' frees */
	struct span *next, *prev;
	void *free __attribute__((aligned(64)));
	uint32_t live;
};

#define SHIM_XFREE_ORPHAN	((uintptr_t)1)

/* Invariants, checked in the sanitizer build (make -C libshim san). */
#if defined(SHIM_DEBUG) || defined(__SANITIZE_ADDRESS__)
#define shim_assert(c)	((c) ? (void)0 : shim_fatal("assertion failed: " #c, NULL))
#else
#define shim_assert(c)	((void)0)
#endif

/* Two cache lines a span; a segment's span table fits in its first unit. */
_Static_assert(sizeof(struct span) == 128, "struct span is two cache lines");
_Static_assert(SHIM_SEG_UNITS * sizeof(struct span) <= SHIM_UNIT,
	       "the span table fits in the metadata unit");
_Static_assert(SHIM_SEG_UNITS <= UINT16_MAX, "units fit in a span");

extern _Atomic uint64_t shim_seg_map[(1UL << (SHIM_ADDR_BITS - SHIM_SEG_SHIFT)) / 64];

static inline struct span *shim_seg_spans(const void *p)
{
	return (struct span *)((uintptr_t)p & ~(SHIM_SEG - 1));
}

/*
 * Whether @p lies in a unit of a segment of the arena.  A segment is
 * shorter than SHIM_SEG under a small RLIMIT_AS: its span table's first
 * entry (the metadata unit's own) holds its length in units.
 */
static inline bool shim_small_owns(const void *p)
{
	uintptr_t i = (uintptr_t)p >> SHIM_SEG_SHIFT;
	uintptr_t off = (uintptr_t)p & (SHIM_SEG - 1);

	if (i >= (1UL << (SHIM_ADDR_BITS - SHIM_SEG_SHIFT)) ||
	    !(atomic_load_explicit(&shim_seg_map[i / 64],
				   memory_order_acquire) & (1ULL << (i % 64))))
		return false;
	return off >= SHIM_UNIT &&
	       off >> SHIM_UNIT_SHIFT < shim_seg_spans(p)->units;
}

static inline struct span *shim_span_of(const void *p)
{
	struct span *spans = shim_seg_spans(p);
	struct span *s = &spans[((uintptr_t)p & (SHIM_SEG - 1)) >> SHIM_UNIT_SHIFT];

	return s->kind == SPAN_CONT ? &spans[s->head] : s;
}

static inline char *shim_span_start(const struct span *s)
{
	struct span *spans = shim_seg_spans(s);

	return (char *)spans + ((size_t)(s - spans) << SHIM_UNIT_SHIFT);
}

int shim_arena_init(void);
bool shim_roomy(size_t bytes);
struct span *shim_arena_take(uint32_t units);
void shim_arena_give(struct span *s);
void shim_arena_where(uint64_t *counts, unsigned int nr);
void shim_arena_lock(void);
void shim_arena_unlock(void);

/* Small blocks (malloc and free of one: small.h). */
extern uint8_t shim_class_by_16[65];
int shim_class_of(size_t size, size_t align);
size_t shim_class_size(int cls);
size_t shim_small_alloc_many(int cls, void **out, size_t n);
void shim_small_free_many(void **ptrs, size_t n, bool constant_time);
size_t shim_small_usable(const void *p);
int shim_small_init(void);
size_t shim_small_trim(void);
void shim_small_lock_all(void);
void shim_small_unlock_all(void);
void shim_small_after_fork_child(void);

/* Large blocks. */
void *shim_large_alloc(size_t size, size_t align, size_t reserve,
		       const struct shim_place *pl, bool zero);
int shim_large_alloc_many(void **out, size_t n, size_t size, size_t align,
			  size_t reserve, const struct shim_place *pl);
int shim_large_resize(void *p, size_t size, size_t align, bool may_move,
		      bool zero, void **out);
void shim_large_free(void *p);
void shim_large_set_place(void *p, const struct shim_place *pl);
bool shim_large_owns(const void *p, size_t *usable, size_t *res,
		     struct shim_place *pl);
const struct shim_backend *shim_large_backend(const void *p);
size_t shim_large_trim(void);
size_t shim_large_decay(void);
void shim_large_lock_all(void);
void shim_large_unlock_all(void);

/* resmap_thread_placement(3): large allocations without a placement. */
extern __thread uintmax_t shim_thread_place __attribute__((tls_model("initial-exec")));

/* The allocator's entry points, every flag honoured. */
void *shim_alloc(size_t size, size_t align, size_t reserve, uintmax_t flags);
int shim_realloc(void **ptr, size_t size, size_t align, size_t reserve,
		 uintmax_t flags);
void shim_free(void *p, uintmax_t flags);
size_t shim_usable(const void *p);

/*
 * Shared regions that unplaced large blocks below SHIM_HUGE are carved
 * from (large_region.c), so that they take no mapping each.  An extent
 * is a multiple of SHIM_UNIT; *region names its region for the calls
 * after.  NULL if there is no room (or strict overcommit).
 */
void *shim_region_alloc(size_t len, size_t align, unsigned int *region);
bool shim_region_extend(unsigned int region, void *p, size_t len,
			size_t new_len);
void shim_region_free(unsigned int region, void *p, size_t len, bool placed);
size_t shim_region_trim(void);
void shim_region_lock(void);
void shim_region_unlock(void);
bool shim_strict_overcommit(void);

size_t shim_large_registry_bytes(void);
void shim_large_where(uint64_t *counts, unsigned int nr);

/* Statistics. */
struct shim_counters {
	atomic_size_t small_bytes, large_blocks, large_bytes, reserved_bytes,
		committed_spans, in_place_growths, moves;
	atomic_size_t small_committed;	/* bytes of spans holding memory */
	atomic_size_t small_cached;	/* of which: empty, kept for reuse */
	atomic_size_t arena_reserved;	/* address space of small spans */
	atomic_size_t large_cached_blocks, large_cached_bytes;
	atomic_size_t purged_bytes;	/* given back by decay or trim */
};
extern struct shim_counters shim_counters;

/* A snapshot of the counters, the node and tier bytes left alone. */
void shim_totals(struct resmap_alloc_stats *t);
void shim_print_stats(int fd);
/* Give every cached byte back now: how many were. */
size_t shim_trim(void);

/* RESMAP_SHIM_OPTIONS (options.c), read once at start-up. */
struct shim_options {
	unsigned int decay_ms;		/* cached memory kept this long */
	size_t span_cache_max;		/* bytes of empty spans kept */
	size_t large_cache_max;		/* bytes of freed large blocks kept */
	size_t arena_max;		/* small-object arena, at most */
	bool thp;			/* huge pages for large blocks */
	bool stats;			/* print the counters at exit */
};
extern struct shim_options shim_opt;
void shim_options_init(void);
uint32_t shim_now_ms(void);

#endif
