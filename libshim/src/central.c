// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Each class's central lists, under one lock a class: the spans no
 * thread owns.
 *
 * Orphans are the spans of threads that exited (or that do not exist in
 * a fork child) with objects still out.  Their xfree word holds
 * SHIM_XFREE_ORPHAN, so a free into one comes here and is made under the
 * lock; those with objects to give are on the partial list, and a thread
 * that needs a span of the class adopts one before it takes an empty
 * one.  Allocations in thread-exit destructors that run after the
 * thread's heap is gone are served from orphans too.
 *
 * A span whose objects have all come back is kept, pages and all, on its
 * class's list of empty spans, and is reused first (the most recently
 * emptied first).  Empty spans are purged (decommitted and their units
 * given to the arena's pool, where any class can take them) once they
 * have been empty for decay_ms, or at once when all classes together keep
 * more than span_cache_max bytes.  Purging detaches spans under the class
 * lock and decommits them after dropping it; frees with M2_CONSTANT_TIME
 * never purge, and the spans they empty are purged by later calls.
 */
#include "small.h"

struct central {
	pthread_mutex_t lock;
	struct span *partial;	/* orphans with objects to give */
	struct span *empty;	/* spans with none handed out, newest first */
};

static struct central central[SHIM_NR_CLASSES];
static atomic_flag purging = ATOMIC_FLAG_INIT;
static _Atomic uint32_t next_purge;

void shim_central_init(void)
{
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		pthread_mutex_init(&central[c].lock, NULL);
}

void shim_central_lock(int cls)
{
	pthread_mutex_lock(&central[cls].lock);
}

void shim_central_unlock(int cls)
{
	pthread_mutex_unlock(&central[cls].lock);
}

/* Push @s onto the front of the list at @head. */
static void list_push(struct span **head, struct span *s)
{
	s->prev = NULL;
	s->next = *head;
	if (s->next)
		s->next->prev = s;
	*head = s;
}

static void partial_add(struct central *c, struct span *s)
{
	list_push(&c->partial, s);
}

static void partial_del(struct central *c, struct span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void empty_push(struct central *c, struct span *s)
{
	list_push(&c->empty, s);
}

/* Unlink and return @c's empty spans from @from (a member) on. */
static struct span *empty_cut(struct central *c, struct span *from)
{
	if (from->prev)
		from->prev->next = NULL;
	else
		c->empty = NULL;
	from->prev = NULL;
	return from;
}

/* Every object of @s is back: cache the span, pages and all; locked. */
static void empty_locked(struct central *c, struct span *s)
{
	shim_assert(!s->live);
	atomic_store_explicit(&s->owner, &shim_orphans, memory_order_relaxed);
	atomic_store_explicit(&s->xfree, 0, memory_order_relaxed);
	s->state = SPAN_EMPTY;
	s->stamp = shim_now_ms();
	empty_push(c, s);
	atomic_fetch_add(&shim_counters.small_cached, shim_span_bytes(s));
	atomic_fetch_sub(&shim_counters.small_bytes, (size_t)s->bump * s->size);
}

/*
 * Decommit a list of detached empty spans and give their units to the
 * arena, no class lock held: how many bytes.
 */
static size_t purge_list(struct span *s)
{
	size_t bytes = 0, n;
	struct span *next;

	for (; s; s = next) {
		next = s->next;
		n = shim_span_bytes(s);
		atomic_fetch_sub(&shim_counters.small_cached, n);
		if (shim_be->decommit(shim_span_start(s), n)) {
			/* Still committed: reusable later as it is. */
			atomic_fetch_add(&shim_counters.small_cached, n);
			pthread_mutex_lock(&central[s->cls].lock);
			empty_push(&central[s->cls], s);
			pthread_mutex_unlock(&central[s->cls].lock);
			continue;
		}
		atomic_fetch_sub(&shim_counters.small_committed, n);
		atomic_fetch_sub(&shim_counters.committed_spans, 1);
		s->kind = SPAN_FREE;	/* not a span: frees into it abort */
		shim_arena_give(s);
		bytes += n;
	}
	atomic_fetch_add(&shim_counters.purged_bytes, bytes);
	return bytes;
}

/*
 * Purge the empty spans of every class that have been empty for
 * decay_ms (all of them if @all, or if together they exceed
 * span_cache_max): bytes given back.
 */
size_t shim_central_purge(bool all)
{
	uint32_t now = shim_now_ms();
	size_t bytes = 0;

	if (atomic_load(&shim_counters.small_cached) > shim_opt.span_cache_max)
		all = true;
	for (int i = 0; i < SHIM_NR_CLASSES; i++) {
		struct central *c = &central[i];
		struct span *s, *cut = NULL;

		/* A peek without the lock: a miss waits for the next purge. */
		if (!__atomic_load_n(&c->empty, __ATOMIC_RELAXED))
			continue;
		pthread_mutex_lock(&c->lock);
		for (s = c->empty; s; s = s->next)
			if (all || now - s->stamp >= shim_opt.decay_ms) {
				cut = empty_cut(c, s);
				break;
			}
		pthread_mutex_unlock(&c->lock);
		bytes += purge_list(cut);
	}
	return bytes;
}

/* Purge what has decayed, at most every decay_ms / 4; no lock held. */
void shim_central_purge_if_due(void)
{
	uint32_t now = shim_now_ms();

	if ((int32_t)(now - atomic_load_explicit(&next_purge,
						 memory_order_relaxed)) < 0 &&
	    atomic_load_explicit(&shim_counters.small_cached,
				 memory_order_relaxed) <= shim_opt.span_cache_max)
		return;
	if (atomic_flag_test_and_set(&purging))
		return;
	atomic_store(&next_purge, now + shim_opt.decay_ms / 4 + 1);
	shim_central_purge(false);
	shim_large_decay();
	atomic_flag_clear(&purging);
}

/* A purge cut short by fork in the child: let the next one run. */
void shim_central_after_fork_child(void)
{
	atomic_flag_clear(&purging);
}

/*
 * A span of class @cls for @owner, with no object out: an empty one, or
 * new from the arena; locked.  Its xfree word is @xfree.
 */
static struct span *span_new(int cls, struct shim_heap *owner, uintptr_t xfree)
{
	struct central *c = &central[cls];
	struct span *s = c->empty;

	if (s) {
		shim_assert(s->state == SPAN_EMPTY && s->cls == cls && !s->live);
		/* The most recently emptied: its pages are the warmest. */
		c->empty = s->next;
		if (c->empty)
			c->empty->prev = NULL;
		atomic_fetch_sub(&shim_counters.small_cached, shim_span_bytes(s));
	} else {
		s = shim_arena_take(shim_class_units(cls));
		if (!s)
			return NULL;
		if (shim_be->commit(shim_span_start(s), shim_span_bytes(s), NULL)) {
			shim_arena_give(s);
			return NULL;
		}
		atomic_fetch_add(&shim_counters.committed_spans, 1);
		atomic_fetch_add(&shim_counters.small_committed, shim_span_bytes(s));
		shim_span_set_class(s, cls);
	}
	s->bump = 0;
	s->live = 0;
	s->free = NULL;
	s->next = s->prev = NULL;
	atomic_store_explicit(&s->owner, owner, memory_order_relaxed);
	atomic_store_explicit(&s->xfree, xfree, memory_order_release);
	s->state = SPAN_ACTIVE;
	return s;
}

/*
 * A span of class @cls for heap @h to own, NULL if there is no memory:
 * an orphan with objects to give, else an empty or a new span.  The
 * caller lists it in its heap.
 */
struct span *shim_central_take(int cls, struct shim_heap *h)
{
	struct central *c = &central[cls];
	struct span *s;

	pthread_mutex_lock(&c->lock);
	s = c->partial;
	if (s) {
		partial_del(c, s);
		shim_assert(atomic_load(&s->xfree) == SHIM_XFREE_ORPHAN);
		/*
		 * The owner first: a remote free that sees the word change
		 * (acquire) then reads the owner it must tell.
		 */
		atomic_store_explicit(&s->owner, h, memory_order_relaxed);
		atomic_store_explicit(&s->xfree, 0, memory_order_release);
	} else {
		s = span_new(cls, h, 0);
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* One object of @s (an orphan with room), for the class lock's holder. */
static void *orphan_pop(struct central *c, struct span *s)
{
	void *p = s->free;

	if (p) {
		s->free = *(void **)p;
	} else {
		p = shim_span_start(s) + (size_t)s->bump++ * s->size;
		atomic_fetch_add(&shim_counters.small_bytes, s->size);
	}
	s->live++;
	if (!shim_span_has_room(s))
		partial_del(c, s);
	shim_unpoison(p, s->size);
	((void **)p)[1] = NULL;
	return p;
}

/*
 * One object of class @cls for a thread with no heap (its heap is gone:
 * a thread-exit destructor that runs after the shim's), from an orphan.
 */
void *shim_central_alloc(int cls)
{
	struct central *c = &central[cls];
	struct span *s;
	void *p = NULL;

	for (int tries = 0; !p && tries < 2; tries++) {
		pthread_mutex_lock(&c->lock);
		s = c->partial;
		if (!s) {
			s = span_new(cls, &shim_orphans, SHIM_XFREE_ORPHAN);
			if (s)
				partial_add(c, s);
		}
		if (s)
			p = orphan_pop(c, s);
		pthread_mutex_unlock(&c->lock);
		/* The arena is full: take back every class's empty spans. */
		if (!p && !shim_central_purge(true))
			break;
	}
	if (!p)
		errno = ENOMEM;
	return p;
}

/*
 * @s's owner is gone: take its remote frees and make it an orphan (or an
 * empty span); the class lock held.
 */
void shim_central_orphan_locked(struct span *s)
{
	struct central *c = &central[s->cls];

	shim_assert(s->state == SPAN_ACTIVE &&
		    atomic_load(&s->owner) != &shim_orphans);
	shim_remote_orphan(s);
	atomic_store_explicit(&s->owner, &shim_orphans, memory_order_relaxed);
	if (!s->live)
		empty_locked(c, s);
	else if (shim_span_has_room(s))
		partial_add(c, s);
	else
		s->next = s->prev = NULL;	/* on no list until a free */
}

/*
 * Free @p into orphan @s, under the class lock: false if @s is not an
 * orphan any more (adopted since its xfree word was read).
 */
bool shim_central_orphan_free(struct span *s, void *p, bool constant_time)
{
	struct central *c = &central[s->cls];
	bool emptied = false;

	pthread_mutex_lock(&c->lock);
	if (atomic_load_explicit(&s->xfree, memory_order_relaxed) !=
	    SHIM_XFREE_ORPHAN) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	if (!s->live || (((void **)p)[1] == (void *)shim_secret &&
			 shim_on_list(s->free, p)))
		shim_fatal("free(): double free detected", p);
	if (!shim_span_has_room(s))
		partial_add(c, s);
	*(void **)p = s->free;
	((void **)p)[1] = (void *)shim_secret;
	s->free = p;
	shim_poison((char *)p + SHIM_FREE_LINK, s->size - SHIM_FREE_LINK);
	if (!--s->live) {
		partial_del(c, s);
		empty_locked(c, s);
		emptied = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (emptied && !constant_time)
		shim_central_purge_if_due();
	return true;
}

/* A span of a thread's heap has no object out: cache it. */
void shim_central_empty(struct span *s, bool constant_time)
{
	struct central *c = &central[s->cls];

	shim_assert(!atomic_load(&s->xfree));
	pthread_mutex_lock(&c->lock);
	empty_locked(c, s);
	pthread_mutex_unlock(&c->lock);
	if (!constant_time)
		shim_central_purge_if_due();
}
