/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small objects: what small.c (classes, malloc and free), heap.c (thread
 * heaps: their spans, refill, exit, fork), remote.c (frees from other
 * threads) and central.c (each class's orphaned and empty spans, decay)
 * share.  malloc's and free's fast paths are inline here, so that the
 * entry points (malloc.c, alloc.c) have no call to make on them.
 */
#ifndef SHIM_SMALL_H
#define SHIM_SMALL_H

#include "shim.h"

/*
 * A thread's heap: the spans it owns, per class, those with objects to
 * give first.  Heaps are never unmapped (heap.c), only reused: a thread
 * that read a span's owner just before the owner exited may still set a
 * bit in that heap's remote mask.
 */
struct shim_heap {
	/* Classes with frees from other threads not yet taken (remote.c). */
	_Atomic uint64_t remote;
	struct span *spans[SHIM_NR_CLASSES];
	struct shim_heap *next, *prev;	/* live heaps, or free heaps */
};
_Static_assert(SHIM_NR_CLASSES <= 64, "one remote bit per class");

/*
 * The thread's part of its heap, in static TLS: the span each class
 * allocates from (one of the heap's), and how many objects the next
 * carving of a fresh span's space takes.
 */
enum { THREAD_NEW, THREAD_LIVE, THREAD_DEAD };

struct shim_thread {
	struct span *cur[SHIM_NR_CLASSES];
	struct shim_heap *heap;		/* NULL until LIVE, and once DEAD */
	uint16_t carve[SHIM_NR_CLASSES];
	uint8_t state;			/* THREAD_* */
};

extern __thread struct shim_thread shim_self __attribute__((tls_model("initial-exec")));
/* The owner of orphans, which is no thread's heap. */
extern struct shim_heap shim_orphans;
/* Written in a free object's second word: a cheap double-free check. */
extern uintptr_t shim_secret;
extern uint32_t shim_class_limit[SHIM_NR_CLASSES];
extern size_t shim_class_bytes[SHIM_NR_CLASSES];

/* small.c */
void shim_span_set_class(struct span *s, int cls);
uint32_t shim_class_units(int cls);
void shim_small_free_slow(struct span *s, void *p, bool constant_time);
bool shim_on_list(void *head, const void *p);

/* heap.c */
void *shim_heap_refill(int cls);
void shim_heap_settle(struct span *s, bool constant_time);
int shim_heap_init(void);
void shim_heap_trim(void);
void shim_heap_lock(void);
void shim_heap_unlock(void);
void shim_heap_after_fork_child(void);

/* remote.c */
void shim_remote_free(struct span *s, void *p, bool constant_time);
uint32_t shim_remote_collect(struct span *s);
uint32_t shim_remote_orphan(struct span *s);

/* central.c */
void *shim_central_alloc(int cls);
struct span *shim_central_take(int cls, struct shim_heap *h);
void shim_central_orphan_locked(struct span *s);
void shim_central_after_fork_child(void);
bool shim_central_orphan_free(struct span *s, void *p, bool constant_time);
void shim_central_empty(struct span *s, bool constant_time);
void shim_central_lock(int cls);
void shim_central_unlock(int cls);
void shim_central_init(void);
size_t shim_central_purge(bool all);
void shim_central_purge_if_due(void);

/*
 * A list's links are written before the pointer that publishes them:
 * fork copies another thread's lists at any instant (x86 keeps stores in
 * order; this keeps the compiler from reordering them).
 */
#define shim_publish()	atomic_signal_fence(memory_order_release)

static inline size_t shim_span_bytes(const struct span *s)
{
	return (size_t)s->units << SHIM_UNIT_SHIFT;
}

/* Whether the span has objects to give without taking frees. */
static inline bool shim_span_has_room(const struct span *s)
{
	return s->free || s->bump < s->cap;
}

/* The span of a small object being freed; aborts if @p is not one. */
static inline struct span *shim_checked_span(void *p)
{
	struct span *s = shim_span_of(p);
	uint64_t off = (uint64_t)((char *)p - shim_span_start(s));
	uint64_t idx = (off * s->recip) >> s->shift;

	/*
	 * A live span, an object boundary, an object carved already; from
	 * the first line of the span only (no class table in the chain).
	 */
	if (__builtin_expect(s->kind != SPAN_HEAD || s->state != SPAN_ACTIVE ||
			     idx * s->size != off || idx >= s->bump, 0))
		shim_fatal("free(): invalid pointer", p);
	return s;
}

static inline void *shim_small_alloc(int cls)
{
	struct span *s = shim_self.cur[cls];
	void *p;

	if (__builtin_expect(s != NULL, 1) &&
	    __builtin_expect((p = s->free) != NULL, 1)) {
		s->free = *(void **)p;
		s->live++;
		shim_assert(s->live <= s->bump);
		/* Not free any more: no double-free search on its free. */
		((void **)p)[1] = NULL;
		shim_unpoison(p, s->size);
		return p;
	}
	return shim_heap_refill(cls);
}

/*
 * A free into a span of this thread's own is a push onto its free list.
 * Another thread's span, or a pointer that carries the free secret (a
 * double free, likely), goes out of line; so does a span that had no
 * room or now has nothing out, unless it is the one allocated from.
 */
static inline void shim_local_free(struct span *s, void *p, bool constant_time)
{
	void *old = s->free;

	shim_assert(s->live > 0);
	*(void **)p = old;
	((void **)p)[1] = (void *)shim_secret;
	shim_publish();
	s->free = p;
	s->live--;
	shim_poison((char *)p + SHIM_FREE_LINK, s->size - SHIM_FREE_LINK);
	if (__builtin_expect(!old || !s->live, 0) && s != shim_self.cur[s->cls])
		shim_heap_settle(s, constant_time);
}

static inline void shim_small_free(void *p, bool constant_time)
{
	struct span *s = shim_checked_span(p);

	if (__builtin_expect(atomic_load_explicit(&s->owner, memory_order_relaxed) !=
			     shim_self.heap || ((void **)p)[1] == (void *)shim_secret, 0))
		shim_small_free_slow(s, p, constant_time);
	else
		shim_local_free(s, p, constant_time);
}

#endif
