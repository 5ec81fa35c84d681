// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Frees from a thread that does not own the span (mimalloc's
 * xthread_free): the object is pushed with a CAS onto the span's xfree
 * list, and the owner takes the whole list with one exchange when it
 * runs out of objects of that class.  No lock, and the freeing thread
 * keeps nothing: a thread that only frees has no cache to give back.
 *
 * The push that makes a span's list non-empty also sets the class's bit
 * in the owner's remote mask, so that the owner looks through its spans
 * of the class only when one of them has frees to take.  The orderings
 * make a lost wake-up impossible: the owner clears the bit before it
 * takes the lists, the pusher sets it after its push, both sequentially
 * consistent, so a push that the owner's exchange missed comes with a
 * bit set after the owner cleared it.
 *
 * An orphan's word is SHIM_XFREE_ORPHAN: no list, and the free is made
 * under the class lock (central.c).
 */
#include "small.h"

void shim_remote_free(struct span *s, void *p, bool constant_time)
{
	uintptr_t w = atomic_load_explicit(&s->xfree, memory_order_relaxed);
	uint64_t bit = 1ULL << s->cls;
	struct shim_heap *h;

	((void **)p)[1] = (void *)shim_secret;
	shim_poison((char *)p + SHIM_FREE_LINK, s->size - SHIM_FREE_LINK);
	for (;;) {
		if (w == SHIM_XFREE_ORPHAN) {
			if (shim_central_orphan_free(s, p, constant_time))
				return;
			w = atomic_load_explicit(&s->xfree, memory_order_relaxed);
			continue;
		}
		*(void **)p = (void *)w;
		if (atomic_compare_exchange_weak_explicit(&s->xfree, &w,
							  (uintptr_t)p,
							  memory_order_seq_cst,
							  memory_order_relaxed))
			break;
	}
	if (w)
		return;
	/*
	 * The owner now, not before the push: a span orphaned and adopted
	 * in between has a new owner to tell.  Heaps are never unmapped, so
	 * one that exited since only looks through its spans for nothing.
	 */
	h = atomic_load_explicit(&s->owner, memory_order_relaxed);
	if (h)
		atomic_fetch_or_explicit(&h->remote, bit, memory_order_seq_cst);
}

/* Put the remote list @w at the head of @s's free list: how many. */
static uint32_t splice(struct span *s, uintptr_t w)
{
	void *list = (void *)w, *last = NULL;
	uint32_t n = 0;

	for (void *q = list; q; q = *(void **)q) {
		last = q;
		/* More than are out: one was freed twice (a cycle). */
		if (++n > s->live)
			shim_fatal("free(): double free detected", q);
	}
	if (!n)
		return 0;
	*(void **)last = s->free;
	shim_publish();
	s->free = list;
	s->live -= n;
	return n;
}

/* The owner takes @s's remote frees onto its free list: how many. */
uint32_t shim_remote_collect(struct span *s)
{
	uintptr_t w = atomic_load_explicit(&s->xfree, memory_order_relaxed);

	shim_assert(w != SHIM_XFREE_ORPHAN);
	if (!w)
		return 0;
	w = atomic_exchange_explicit(&s->xfree, 0, memory_order_seq_cst);
	return splice(s, w);
}

/*
 * @s's owner is gone: take its remote frees, and make later ones go to
 * the class lock (whose holder this is).
 */
uint32_t shim_remote_orphan(struct span *s)
{
	uintptr_t w = atomic_exchange_explicit(&s->xfree, SHIM_XFREE_ORPHAN,
					       memory_order_seq_cst);

	shim_assert(w != SHIM_XFREE_ORPHAN);
	return splice(s, w);
}
