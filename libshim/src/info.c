// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a language binding needs to ask the allocator: whether a pointer
 * is one of its blocks, a block's sizes, alignment and placement, the
 * library's version, and a per-thread default placement for large
 * blocks (the Python package, libshim/python, is built on these).
 */
#include <string.h>
#include <linux/resmap.h>

#include "shim.h"

#ifndef RESMAP_SHIM_VERSION
#define RESMAP_SHIM_VERSION	"unknown"
#endif

/* The placement that large allocations without one get, in this thread. */
__thread uintmax_t shim_thread_place __attribute__((tls_model("initial-exec")));

SHIM_API const char *resmap_version(void)
{
	return RESMAP_SHIM_VERSION;
}

/* A small object's span, if @p is the start of one handed out. */
static struct span *small_block(const void *p)
{
	struct span *s;
	uint64_t off, idx;

	if (!shim_small_owns(p))
		return NULL;
	s = shim_span_of(p);
	if (s->kind != SPAN_HEAD || s->state != SPAN_ACTIVE || !s->size)
		return NULL;
	off = (uint64_t)((const char *)p - shim_span_start(s));
	idx = off / s->size;
	return idx * s->size == off && idx < s->bump ? s : NULL;
}

SHIM_API RESMAP_BOOL resmap_owns(const void *p)
{
	if (!p || !atomic_load_explicit(&shim_initialised, memory_order_acquire))
		return 0;
	return small_block(p) || shim_large_owns(p, NULL, NULL, NULL);
}

static uintmax_t place_flags(const struct shim_place *pl)
{
	switch (pl->mode) {
	case SHIM_PLACE_STRICT:
		return RESMAP_M2_NODE_ID(pl->node);
	case SHIM_PLACE_INTERLEAVE:
		return RESMAP_M2_INTERLEAVE |
		       ((uintmax_t)pl->node << RESMAP_M2_NODE_SHIFT);
	case SHIM_PLACE_TIER:
		if (RESMAP_TIER_IS_RANK(pl->tier))
			return RESMAP_M2_TIER_RANK(pl->tier - RESMAP_TIER_RANK_BASE);
		return pl->tier == RESMAP_TIER_DRAM ? RESMAP_M2_DRAM :
						      RESMAP_M2_PMEM;
	default:
		return 0;
	}
}

SHIM_API int resmap_block_info(const void *p, struct resmap_block_info *bi)
{
	struct shim_place pl;
	struct span *s;
	size_t used, res;

	if (!bi || !p ||
	    !atomic_load_explicit(&shim_initialised, memory_order_acquire)) {
		errno = EINVAL;
		return -1;
	}
	memset(bi, 0, sizeof(*bi));
	s = small_block(p);
	if (s) {
		bi->usable = bi->reserved = s->size;
	} else if (shim_large_owns(p, &used, &res, &pl)) {
		bi->usable = used;
		bi->reserved = res;
		bi->placement = place_flags(&pl);
		bi->large = 1;
	} else {
		errno = EINVAL;
		return -1;
	}
	/* The largest power of two dividing the address, up to 1 GiB. */
	bi->alignment = (uintptr_t)p & -(uintptr_t)p;
	if (bi->alignment > (1UL << 30))
		bi->alignment = 1UL << 30;
	return 0;
}

SHIM_API int resmap_thread_placement(uintmax_t where, uintmax_t *old)
{
	struct shim_place pl;
	int err;

	shim_ready();
	if (where & ~(RESMAP_M2_PLACE_MASK)) {
		errno = EINVAL;
		return -1;
	}
	err = shim_place_from_flags(where, &pl);
	if (err) {
		errno = -err;
		return -1;
	}
	if (old)
		*old = shim_thread_place;
	shim_thread_place = where;
	return 0;
}
