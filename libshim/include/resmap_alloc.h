/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * resmap_alloc.h: the C1X allocator API of WG14 paper N1527 (aligned and
 * non-moving resize, batch allocation, address-space reservation), as
 * libresmap-shim implements it, plus resmap's placement extensions.
 *
 * Linking the library (or LD_PRELOAD) also makes it the process's malloc:
 * malloc, calloc, realloc, free, aligned_alloc, posix_memalign, memalign,
 * valloc, pvalloc, reallocarray and malloc_usable_size are its own (and
 * so are glibc's __libc_* names for them, and mallinfo, mallinfo2,
 * malloc_trim, mallopt, malloc_stats and malloc_info), and every pointer
 * any of them returns is accepted by all the others.
 */
#ifndef RESMAP_ALLOC_H
#define RESMAP_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define RESMAP_BOOL bool
#else
#define RESMAP_BOOL _Bool
#endif

#ifndef MALLOCATION2_DEFINED
#define MALLOCATION2_DEFINED
struct mallocation2 {
	void *ptr;
	size_t size;
};
#endif

#ifndef MALLOCATION5_DEFINED
#define MALLOCATION5_DEFINED
struct mallocation5 {
	void *ptr;
	size_t size;
	size_t alignment;
	size_t reserve;
	uintmax_t flags;
};
#endif

/* N1527 flags, with the paper's values. */
#define M2_ZERO_MEMORY		((uintmax_t)1 << 0)
#define M2_PREVENT_MOVE		((uintmax_t)1 << 1)
#define M2_CONSTANT_TIME	((uintmax_t)1 << 2)
#define M2_RESERVE_IS_MULT	((uintmax_t)1 << 3)
#define M2_BATCH_IS_ALL_ALLOC	((uintmax_t)1 << 4)
#define M2_BATCH_IS_ALL_REALLOC	((uintmax_t)1 << 5)
#define M2_BATCH_IS_ALL_FREE	((uintmax_t)1 << 6)
#define M2_USERFLAGS_FIRST	((uintmax_t)1 << 16)
#define M2_USERFLAGS_LAST	((uintmax_t)1 << 31)

/*
 * resmap's placement, in the M2_USERFLAGS bits.  A placed block is page
 * granular (it gets a reservation of its own).  At most one of DRAM,
 * PMEM, NODE, INTERLEAVE and TIER.  Tiers are the kernel's memory tiers
 * ranked fastest first: DRAM is the top one (rank 0), PMEM the slowest,
 * RESMAP_M2_TIER_RANK(n) any by its rank.
 */
#define RESMAP_M2_DRAM		((uintmax_t)1 << 16)	/* the top tier */
#define RESMAP_M2_PMEM		((uintmax_t)1 << 17)	/* the slowest tier */
#define RESMAP_M2_NODE		((uintmax_t)1 << 18)	/* node RESMAP_M2_NODE_ID */
#define RESMAP_M2_INTERLEAVE	((uintmax_t)1 << 19)	/* over every memory node,
							 * or a set of them:
							 * resmap_interleave_nodes() */
#define RESMAP_M2_POPULATE	((uintmax_t)1 << 20)	/* fault the pages in now */
#define RESMAP_M2_TIER		((uintmax_t)1 << 21)	/* tier RESMAP_M2_TIER_RANK */
#define RESMAP_M2_NODE_SHIFT	24
#define RESMAP_M2_NODE_ID(n)	(RESMAP_M2_NODE | \
				 ((uintmax_t)((n) & 0xff) << RESMAP_M2_NODE_SHIFT))
#define RESMAP_M2_TIER_RANK(n)	(RESMAP_M2_TIER | \
				 ((uintmax_t)((n) & 0xff) << RESMAP_M2_NODE_SHIFT))
#define RESMAP_M2_PLACE_MASK	(RESMAP_M2_DRAM | RESMAP_M2_PMEM | \
				 RESMAP_M2_NODE | RESMAP_M2_INTERLEAVE | \
				 RESMAP_M2_TIER | \
				 ((uintmax_t)0xff << RESMAP_M2_NODE_SHIFT))

void *aligned_alloc(size_t alignment, size_t size);
void *aligned_realloc(void *ptr, size_t alignment, size_t size);
void *try_realloc(void *ptr, size_t size);
void *try_aligned_realloc(void *ptr, size_t alignment, size_t size);
size_t malloc_usable_size(void *ptr);

void **batch_alloc1(int *errnos, void **ptrs, size_t *__restrict count,
		    size_t *__restrict size, size_t alignment, size_t reserve,
		    uintmax_t flags);
RESMAP_BOOL batch_alloc2(int *errnos, struct mallocation2 **__restrict mdataptrs,
		   size_t *__restrict count, size_t alignment, size_t reserve,
		   uintmax_t flags);
RESMAP_BOOL batch_alloc5(int *errnos, struct mallocation5 **__restrict mdataptrs,
		   size_t *__restrict count);

/* Which backend serves this process: "module" or "syscall". */
const char *resmap_backend(void);

/*
 * Where a block's pages are: counts[n] = pages on node n (n < nr); returns
 * the resident pages, or -1 with errno (EINVAL for a pointer that is not
 * a live block).
 */
long resmap_where(void *ptr, uint64_t *counts, unsigned int nr);

/*
 * Move a live block's pages to a tier or node (RESMAP_M2_DRAM, _PMEM or
 * RESMAP_M2_NODE_ID(n)) without changing its address: the pages moved,
 * or -1 with errno.  Small blocks share pages with others: EINVAL.
 */
long resmap_move(void *ptr, uintmax_t where);

/* Counters of this process's allocator. */
struct resmap_stats {
	const char *backend;	/* "module" or "syscall" */
	size_t small_bytes;	/* bytes in small blocks handed out */
	size_t large_blocks;	/* live large blocks */
	size_t large_bytes;	/* their usable bytes */
	size_t reserved_bytes;	/* address space reserved for large blocks */
	size_t committed_spans;	/* small-object spans holding memory */
	size_t in_place_growths;	/* resizes that grew without moving */
	size_t moves;		/* resizes that had to move */
};
void resmap_stats(struct resmap_stats *out);

/*
 * The allocator's counters in bytes, size-versioned: the caller sets
 * @size to sizeof(struct resmap_alloc_stats) as its header has it, and
 * gets the fields that fit (a newer library fills no more than that; an
 * older one fills what it knows and writes back the size it filled).
 * 0, or -1 with errno EINVAL if @size is below
 * RESMAP_ALLOC_STATS_SIZE_VER0.  Node and tier bytes (the heap's
 * resident pages: small-object segments, live and cached large blocks,
 * counted with move_pages(2)) are filled only with RESMAP_STATS_NODES
 * in @flags, since counting takes time in proportion to the heap.
 */
#define RESMAP_STATS_NODES		1U
#define RESMAP_STATS_MAX_NODES		64
struct resmap_alloc_stats {
	uint32_t size;			/* in/out: bytes of this struct */
	uint32_t flags;			/* in: RESMAP_STATS_* */
	char backend[8];		/* "module" or "syscall" */
	uint64_t small_bytes;		/* handed out in small blocks */
	uint64_t small_committed;	/* in small-object spans with memory */
	uint64_t small_cached;		/* of which in empty spans kept for reuse */
	uint64_t arena_reserved;	/* address space of the small arena */
	uint64_t large_blocks;		/* live large blocks */
	uint64_t large_bytes;		/* their usable bytes */
	uint64_t large_reserved;	/* their reservations */
	uint64_t large_cached_blocks;	/* freed large blocks kept for reuse */
	uint64_t large_cached_bytes;	/* their committed bytes */
	uint64_t registry_bytes;	/* the large-block registry */
	uint64_t purged_bytes;		/* given back by decay or trim, ever */
	uint64_t in_place_growths;	/* resizes that grew without moving */
	uint64_t moves;			/* resizes that had to move */
	uint64_t tier_bytes[3];		/* resident, by tier: [1] DRAM, [2] pmem */
	uint64_t node_bytes[RESMAP_STATS_MAX_NODES];	/* resident, by node */
};
#define RESMAP_ALLOC_STATS_SIZE_VER0	sizeof(struct resmap_alloc_stats)
int resmap_alloc_stats(struct resmap_alloc_stats *st);

/* The library's version, e.g. "0.1.0" (the release it was built from). */
const char *resmap_version(void);

/*
 * Whether @ptr is the start of a block of this allocator: a large block
 * in its registry, or a small object at an object boundary of a live
 * span that has been handed out (a small object freed back to a span
 * that still holds others is not told apart from a live one).  Never
 * starts the allocator; constant time; safe on any pointer.
 */
RESMAP_BOOL resmap_owns(const void *ptr);

/* What resmap_block_info() reports. */
struct resmap_block_info {
	size_t usable;		/* committed, usable bytes */
	size_t reserved;	/* address space held from ptr (>= usable) */
	size_t alignment;	/* largest power of two dividing ptr (<= 1 GiB) */
	uintmax_t placement;	/* RESMAP_M2_DRAM, _PMEM, _TIER_RANK(n),
				   _NODE_ID(n), _INTERLEAVE or 0 */
	int large;		/* 1: a reservation of its own (resmap_move works) */
};

/* 0 and *info filled, or -1 with errno EINVAL if @ptr is not a block. */
int resmap_block_info(const void *ptr, struct resmap_block_info *info);

/*
 * This thread's default placement (RESMAP_M2_DRAM, _PMEM, _TIER_RANK(n),
 * _NODE_ID(n), _INTERLEAVE, or 0 for none): given to every allocation above 128 KiB
 * that this thread makes without a placement of its own.  *old (if not
 * NULL) gets the previous one.  0, or -1 with errno: EINVAL (not a
 * placement), ENODEV (a tier or node without memory).
 */
int resmap_thread_placement(uintmax_t where, uintmax_t *old);

/*
 * The placement flags for interleaving page by page over the nodes of
 * @nodes (bit n = node n): RESMAP_M2_INTERLEAVE with a set number in the
 * node-id bits (RESMAP_M2_INTERLEAVE alone if @nodes is every memory
 * node).  The flags have room for a number, not a 64-node mask, so the
 * process keeps a table of the sets it has named: up to 255, the same
 * set always the same number.  0 with errno: EINVAL (@nodes is 0),
 * ENODEV (a node without memory in @nodes), ENOSPC (255 other sets).
 */
uintmax_t resmap_interleave_nodes(uint64_t nodes);

#ifdef __cplusplus
}
#endif

#endif
