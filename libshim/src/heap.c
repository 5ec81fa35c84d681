// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Thread heaps: the spans a thread owns, and what it does when the span
 * it allocates from has no object left (mimalloc's heap and page
 * queues, in small).
 *
 * A heap lists its spans per class, those with objects to give in front
 * and the exhausted ones behind, so a refill looks at the front only.
 * A span that gets objects back (a free by the owner into an exhausted
 * span, remote frees taken) goes to the front; one whose objects are
 * all back goes to its class's empty spans (central.c), unless it is the
 * one the thread allocates from.
 *
 * Refills adapt: a span's space is carved into its free list a few
 * objects at a time, 4 at a thread's first refill of a class, twice as
 * many at each later one up to the class's limit (8-256 objects) and a
 * page's worth, so a thread that allocates a few objects of a class
 * touches a page or two of it.  Remote frees are taken before any more
 * space is carved.
 *
 * A heap is registered (its key set, so that the thread's exit is seen)
 * at the thread's first refill: a thread that only frees owns nothing.
 * At exit its spans become orphans (central.c); so do those of every
 * other thread in a fork child.  Frees and allocations in TSD
 * destructors that run after that go to orphans under the class lock.
 *
 * Heaps are taken from mappings of their own that are never unmapped, and
 * reused: a remote free may set a bit in the mask of a heap whose thread
 * has just exited.
 */
#include <sys/mman.h>

#include "small.h"

#define CARVE_FIRST	4
#define HEAP_CHUNK		(64UL << 10)

__thread struct shim_thread shim_self __attribute__((tls_model("initial-exec")));
struct shim_heap shim_orphans;

static pthread_key_t heap_key;
static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_heap *live_heaps, *free_heaps;
static char *chunk;
static size_t chunk_left;

static void heap_exit(void *arg);

int shim_heap_init(void)
{
	return pthread_key_create(&heap_key, heap_exit) ? -EAGAIN : 0;
}

void shim_heap_lock(void)
{
	pthread_mutex_lock(&heaps_lock);
}

void shim_heap_unlock(void)
{
	pthread_mutex_unlock(&heaps_lock);
}

/* A zeroed heap on the live list, or NULL. */
static struct shim_heap *heap_new(void)
{
	struct shim_heap *h;

	pthread_mutex_lock(&heaps_lock);
	h = free_heaps;
	if (h) {
		free_heaps = h->next;
	} else {
		if (chunk_left < sizeof(*h)) {
			/* Plain pages: no backend, no placement, never freed. */
			void *m = mmap(NULL, HEAP_CHUNK, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED) {
				pthread_mutex_unlock(&heaps_lock);
				return NULL;
			}
			chunk = m;
			chunk_left = HEAP_CHUNK;
		}
		h = (struct shim_heap *)chunk;
		chunk += sizeof(*h);
		chunk_left -= sizeof(*h);
	}
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		h->spans[c] = NULL;
	atomic_store(&h->remote, 0);
	h->prev = NULL;
	h->next = live_heaps;
	if (live_heaps)
		live_heaps->prev = h;
	live_heaps = h;
	pthread_mutex_unlock(&heaps_lock);
	return h;
}

/* @h off the live list, to be reused; heaps_lock held. */
static void heap_free_locked(struct shim_heap *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		live_heaps = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = NULL;
	h->next = free_heaps;
	free_heaps = h;
}

/*
 * A class's spans: a ring through next and prev, its head in front.
 *
 * A fork may copy a heap between any two stores of its thread, and the
 * child walks the rings of the threads it does not have: each change is
 * ordered (shim_publish) so that a walk from the head always comes back
 * to it or ends, with at most the span being moved missing.
 */
static void ring_add(struct shim_heap *h, struct span *s, bool front)
{
	struct span *head = h->spans[s->cls];

	shim_assert(atomic_load(&s->owner) == h && s->state == SPAN_ACTIVE);

	if (!head) {
		s->next = s->prev = s;
		shim_publish();
		h->spans[s->cls] = s;
		return;
	}
	s->next = head;
	s->prev = head->prev;
	shim_publish();
	head->prev->next = s;
	head->prev = s;
	shim_publish();
	if (front)
		h->spans[s->cls] = s;
}

static void ring_del(struct shim_heap *h, struct span *s)
{
	if (s->next == s) {
		h->spans[s->cls] = NULL;
	} else {
		if (h->spans[s->cls] == s)
			h->spans[s->cls] = s->next;
		shim_publish();
		s->prev->next = s->next;
		s->next->prev = s->prev;
	}
	shim_publish();
	s->next = s->prev = NULL;
}

/*
 * The spans of class @cls, off the ring: a list through next.  The walk
 * stops at the head, at a NULL, or after as many spans as the arena has
 * units (a fork child's copy of a ring another thread was changing).
 */
static struct span *ring_take(struct shim_heap *h, int cls)
{
	size_t most = atomic_load_explicit(&shim_counters.arena_reserved,
					   memory_order_relaxed) >> SHIM_UNIT_SHIFT;
	struct span *head = h->spans[cls], *s;

	if (!head)
		return NULL;
	h->spans[cls] = NULL;
	for (s = head; s->next && s->next != head && most; s = s->next)
		most--;
	s->next = NULL;
	return head;
}

/* @h's thread is gone: its spans of @cls become orphans; class locked. */
static void orphan_class_locked(struct shim_heap *h, int cls)
{
	struct span *s, *next;

	for (s = ring_take(h, cls); s; s = next) {
		next = s->next;
		shim_central_orphan_locked(s);
	}
}

/*
 * The owner freed into @s, not the span it allocates from, and @s had
 * no room before or has no object out now.
 */
void shim_heap_settle(struct span *s, bool constant_time)
{
	struct shim_heap *h = shim_self.heap;

	ring_del(h, s);
	if (!s->live)
		shim_central_empty(s, constant_time);
	else
		ring_add(h, s, true);
}

/*
 * Take the remote frees of every span of class @cls: those that get
 * room go to the front; of those with nothing out (the current one
 * aside), @keep stay in front and the rest go to the class's empty
 * spans.  Keeping one spares a thread whose objects are freed by
 * another a trip through the class lock for every span it refills.
 */
static void collect_class(struct shim_heap *h, int cls, unsigned int keep)
{
	struct span *s, *next;

	atomic_fetch_and_explicit(&h->remote, ~(1ULL << cls),
				  memory_order_seq_cst);
	/* Off the ring, then each one back where it now belongs. */
	for (s = ring_take(h, cls); s; s = next) {
		next = s->next;
		shim_remote_collect(s);
		if (!s->live && s != shim_self.cur[cls]) {
			if (!keep) {
				s->next = s->prev = NULL;
				shim_central_empty(s, false);
				continue;
			}
			keep--;
		}
		ring_add(h, s, shim_span_has_room(s));
	}
}

/* Put up to @n objects of @s's uncarved space on its free list. */
static void heap_carve(struct span *s, uint32_t n)
{
	char *p = shim_span_start(s) + (size_t)s->bump * s->size;

	shim_assert(!s->free && s->bump < s->cap);
	if (n > (uint32_t)(s->cap - s->bump))
		n = s->cap - s->bump;
	for (uint32_t i = 0; i < n; i++, p += s->size) {
		/* A span used before may still carry its old poison. */
		shim_unpoison(p, SHIM_FREE_LINK);
		*(void **)p = i + 1 < n ? p + s->size : NULL;
		shim_poison(p + SHIM_FREE_LINK, s->size - SHIM_FREE_LINK);
	}
	shim_publish();
	s->free = shim_span_start(s) + (size_t)s->bump * s->size;
	s->bump += n;
	atomic_fetch_add_explicit(&shim_counters.small_bytes, (size_t)n * s->size,
				  memory_order_relaxed);
}

/* The carving of a thread's class: 4 objects first, doubling after. */
static uint32_t carve_count(int cls)
{
	uint32_t n = shim_self.carve[cls], page = SHIM_PAGE / shim_class_bytes[cls];

	if (n < CARVE_FIRST)
		n = CARVE_FIRST;
	shim_self.carve[cls] = 2 * n < shim_class_limit[cls] ?
			     2 * n : shim_class_limit[cls];
	/* A page's worth at most: carving writes every object it takes. */
	if (n > page)
		n = page ? page : 1;
	return n;
}

static void heap_exit(void *arg)
{
	struct shim_heap *h = shim_self.heap;

	(void)arg;
	for (int c = 0; c < SHIM_NR_CLASSES; c++) {
		shim_self.cur[c] = NULL;
		if (!h->spans[c])
			continue;
		shim_central_lock(c);
		orphan_class_locked(h, c);
		shim_central_unlock(c);
	}
	shim_self.heap = NULL;
	shim_self.state = THREAD_DEAD;
	pthread_mutex_lock(&heaps_lock);
	heap_free_locked(h);
	pthread_mutex_unlock(&heaps_lock);
}

/* Whether the thread has a heap: registered for its exit. */
static bool heap_register(void)
{
	struct shim_heap *h;

	if (shim_self.state == THREAD_DEAD)
		return false;
	h = heap_new();
	if (!h)
		return false;
	if (pthread_setspecific(heap_key, &shim_self) ||
	    pthread_getspecific(heap_key) != &shim_self) {
		pthread_mutex_lock(&heaps_lock);
		heap_free_locked(h);
		pthread_mutex_unlock(&heaps_lock);
		return false;
	}
	shim_self.heap = h;
	shim_self.state = THREAD_LIVE;
	return true;
}

/* The span class @cls allocates from next: one with room, or NULL. */
static struct span *heap_next_span(struct shim_heap *h, int cls)
{
	struct span *s = shim_self.cur[cls];

	/* Objects other threads gave back before space never touched. */
	if (atomic_load_explicit(&h->remote, memory_order_relaxed) & (1ULL << cls))
		collect_class(h, cls, 1);
	if (s && shim_span_has_room(s))
		return s;
	if (s) {
		/* Exhausted: behind the others. */
		ring_del(h, s);
		ring_add(h, s, false);
	}
	s = h->spans[cls];
	if (s && shim_span_has_room(s))
		return s;
	s = shim_central_take(cls, h);
	if (!s && shim_central_purge(true))
		s = shim_central_take(cls, h);
	if (s)
		ring_add(h, s, true);
	shim_central_purge_if_due();
	return s;
}

/*
 * The current span of @cls has no free object: find or make one, and
 * return one object.  Out of line, so that the fast path has no stack
 * frame to set up.
 */
__attribute__((noinline)) void *shim_heap_refill(int cls)
{
	struct span *s;
	void *p;

	if (shim_self.state != THREAD_LIVE && !heap_register())
		return shim_central_alloc(cls);
	s = heap_next_span(shim_self.heap, cls);
	shim_self.cur[cls] = s;
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (!s->free)
		heap_carve(s, carve_count(cls));
	p = s->free;
	s->free = *(void **)p;
	s->live++;
	shim_assert(s->live <= s->bump && s->cls == cls);
	((void **)p)[1] = NULL;
	shim_unpoison(p, s->size);
	return p;
}

/* This thread's spans with nothing out go to the empty lists. */
void shim_heap_trim(void)
{
	struct shim_heap *h = shim_self.heap;

	if (shim_self.state != THREAD_LIVE)
		return;
	for (int c = 0; c < SHIM_NR_CLASSES; c++) {
		struct span *s;

		collect_class(h, c, 0);
		s = shim_self.cur[c];
		/* The current span too, if nothing is out of it. */
		if (s && !s->live && !atomic_load(&s->xfree)) {
			shim_self.cur[c] = NULL;
			ring_del(h, s);
			shim_central_empty(s, true);
		}
	}
}

/*
 * In a fork child, locks held: the spans of every heap but this thread's
 * become orphans, and this thread looks for remote frees whose push had
 * not yet set its bit when the parent forked.
 */
void shim_heap_after_fork_child(void)
{
	struct shim_heap *h, *next;

	for (h = live_heaps; h; h = next) {
		next = h->next;
		if (h == shim_self.heap)
			continue;
		for (int c = 0; c < SHIM_NR_CLASSES; c++)
			orphan_class_locked(h, c);
		heap_free_locked(h);
	}
	if (shim_self.heap)
		atomic_store(&shim_self.heap->remote, ~0ULL);
	shim_central_after_fork_child();
}
