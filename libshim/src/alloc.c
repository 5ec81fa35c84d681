// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One allocation, resize or free with every N1527 flag honoured: the
 * element operation that the batch calls and the malloc family share.
 */
#include <string.h>

#include "small.h"

/* The reservation a block asks for: its reserve hint, in bytes. */
static int reserve_bytes(size_t size, size_t reserve, uintmax_t flags,
			 size_t *out)
{
	if (flags & M2_RESERVE_IS_MULT) {
		if (reserve && size > SIZE_MAX / reserve)
			return -ENOMEM;
		reserve *= size;
	}
	*out = reserve;
	return 0;
}

/* Whether a block of @size with @reserve and @flags needs its own reservation. */
static bool wants_large(size_t size, size_t reserve, uintmax_t flags)
{
	return size > SHIM_SMALL_MAX || reserve > SHIM_SMALL_MAX ||
	       (flags & RESMAP_M2_PLACE_MASK);
}

void *shim_alloc(size_t size, size_t align, size_t reserve, uintmax_t flags)
{
	struct shim_place pl;
	int cls, err;
	void *p;

	shim_ready();
	/* plain malloc of a small size: straight to the thread's span. */
	if (!(align | reserve | flags) && size <= 1024)
		return shim_small_alloc(shim_class_by_16[(size + 15) >> 4]);
	if (!(align | reserve | flags) && size <= SHIM_SMALL_MAX)
		return shim_small_alloc(shim_class_of(size, 0));
	if (size > SHIM_SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (align && !shim_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	/* This thread's default placement, for blocks of their own. */
	if (!(flags & RESMAP_M2_PLACE_MASK) && size > SHIM_SMALL_MAX)
		flags |= shim_thread_place;
	err = shim_place_from_flags(flags, &pl);
	if (!err)
		err = reserve_bytes(size, reserve, flags, &reserve);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!wants_large(size, reserve, flags)) {
		cls = shim_class_of(size, align);
		if (cls >= 0) {
			p = shim_small_alloc(cls);
			if (p && (flags & M2_ZERO_MEMORY))
				memset(p, 0, shim_class_size(cls));
			return p;
		}
	}
	/* Fresh pages are zero; a cached block is zeroed if asked. */
	return shim_large_alloc(size, align, reserve, &pl,
				flags & M2_ZERO_MEMORY);
}

size_t shim_usable(const void *p)
{
	size_t used;

	if (!p)
		return 0;
	shim_ready();
	if (shim_small_owns(p))
		return shim_small_usable(p);
	if (shim_large_owns(p, &used, NULL, NULL))
		return used;
	shim_fatal("malloc_usable_size(): invalid pointer", p);
}

void shim_free(void *p, uintmax_t flags)
{
	if (!p)
		return;
	shim_ready();
	if (shim_small_owns(p))
		shim_small_free(p, flags & M2_CONSTANT_TIME);
	else
		shim_large_free(p);
}

/* Move a block to a new one of @size: copy, zero what is new, free. */
static int move_block(void **ptr, size_t old, size_t size, size_t align,
		      size_t reserve, uintmax_t flags)
{
	void *q = shim_alloc(size, align, reserve, flags & ~M2_ZERO_MEMORY);
	size_t keep = old < size ? old : size, now;

	if (!q)
		return -errno;
	memcpy(q, *ptr, keep);
	if (flags & M2_ZERO_MEMORY) {
		now = shim_usable(q);
		memset((char *)q + keep, 0, now - keep);
	}
	shim_free(*ptr, flags);
	*ptr = q;
	atomic_fetch_add(&shim_counters.moves, 1);
	return 0;
}

/*
 * Resize *ptr to @size (> 0) aligned to @align: in place if possible,
 * else moved unless M2_PREVENT_MOVE (ENOSPC).  0 with *ptr updated, or
 * -errno with the block untouched.
 */
int shim_realloc(void **ptr, size_t size, size_t align, size_t reserve,
		 uintmax_t flags)
{
	bool may_move = !(flags & M2_PREVENT_MOVE);
	struct shim_place pl;
	void *p = *ptr, *q;
	size_t old;
	int cls, err;

	shim_ready();
	if (align && !shim_pow2(align))
		return -EINVAL;
	if (size > SHIM_SIZE_MAX)
		return -ENOMEM;
	err = reserve_bytes(size, reserve, flags, &reserve);
	if (err)
		return err;
	if (shim_small_owns(p)) {
		old = shim_small_usable(p);
		cls = shim_class_of(size, align);
		/* Fits, aligned, and not wasting more than half: stay. */
		if (size <= old && !((uintptr_t)p & ((align ? align : 1) - 1)) &&
		    (size > old / 2 || !may_move) &&
		    !wants_large(size, reserve, flags))
			return 0;
		if (!may_move)
			return -ENOSPC;
		(void)cls;
		return move_block(ptr, old, size, align, reserve, flags);
	}
	if (!shim_large_owns(p, &old, NULL, &pl))
		shim_fatal("realloc(): invalid pointer", p);
	/*
	 * Shrunk to a small size: a small block, so that the large block's
	 * mapping and registry slot go too (a process shrinking many would
	 * otherwise keep a mapping for each).
	 */
	if (may_move && pl.mode == SHIM_PLACE_NONE &&
	    !wants_large(size, reserve, flags) && shim_class_of(size, align) >= 0)
		return move_block(ptr, old, size, align, reserve, flags);
	if (align && ((uintptr_t)p & (align - 1)))
		return may_move ? move_block(ptr, old, size, align, reserve,
					     flags) : -ENOSPC;
	err = shim_large_resize(p, size, align, may_move,
				flags & M2_ZERO_MEMORY, &q);
	if (!err)
		*ptr = q;
	return err;
}
