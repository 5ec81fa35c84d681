// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small blocks, up to SHIM_SMALL_MAX: 48 size classes (16-byte steps to
 * 128, then four per doubling), each served from spans of 64 KiB units
 * taken from the arena (arena.c), which every class shares.  A span
 * belongs to one class and carves objects at multiples of the class size
 * from its 64 KiB-aligned start, so power-of-two classes are naturally
 * aligned.
 *
 * Each thread keeps a cache of free objects per class: malloc and free
 * are a list pop and push with no lock and no atomic.  Caches refill
 * from, and overflow into, the class's central lists under one mutex, in
 * batches.
 *
 * A span whose objects have all come back is kept, pages and all, on its
 * class's list of empty spans, and is reused first (the most recently
 * emptied first).  Empty spans are purged (decommitted and their units
 * given to the arena's pool, where any class can take them) once they
 * have been empty for decay_ms, or at once when all classes together keep
 * more than span_cache_max bytes.  Purging detaches spans under the class
 * lock and decommits them after dropping it; frees with M2_CONSTANT_TIME
 * never purge, and the spans they empty are purged by later calls.
 *
 * A freed object holds the next-pointer of its list and, in its second
 * word, a per-process secret: free() of an object that carries the secret
 * checks the thread's cache for it, which catches the common double free
 * cheaply.
 */
#include <string.h>
#include <sys/auxv.h>

#include "shim.h"

struct central {
	pthread_mutex_t lock;
	struct span *partial;	/* spans with objects to give */
	struct span *empty;	/* spans with none handed out, newest first */
};

struct tbin {
	void *head;
	uint32_t count;
	uint32_t refill;	/* objects the next refill takes */
};

/*
 * Adaptive refill: a thread's first refill of a class takes a few
 * objects, and each one after takes twice as many, up to half the
 * bin's limit: a thread that allocates a few objects of a class does
 * not hold a hundred, and one that allocates many soon takes them in
 * large batches.
 */
#define TBIN_FIRST_REFILL	4

/*
 * A thread's cache is registered (its key set, so that it is flushed
 * when the thread exits) at its first allocation or free.  Once flushed
 * it is dead: frees and allocations in later TSD destructors go to the
 * central lists directly, or they would stay in a cache no one flushes.
 */
enum { TCACHE_NEW, TCACHE_LIVE, TCACHE_DEAD };

struct tcache {
	struct tbin bin[SHIM_NR_CLASSES];
	uint8_t state;		/* TCACHE_* */
};

static size_t class_size[SHIM_NR_CLASSES];
/* Division by a class size as a multiply: exact for span offsets < 2^20. */
static uint64_t class_recip[SHIM_NR_CLASSES];
uint8_t shim_class_by_16[65];	/* class of sizes up to 1024, by 16 */
static uint32_t class_units[SHIM_NR_CLASSES];
static uint32_t class_limit[SHIM_NR_CLASSES];
static struct central central[SHIM_NR_CLASSES];

static atomic_flag purging = ATOMIC_FLAG_INIT;
static _Atomic uint32_t next_purge;
static pthread_key_t tcache_key;
static uintptr_t secret;

static __thread struct tcache tc __attribute__((tls_model("initial-exec")));

static void tcache_exit(void *arg);

static void shim_classes_init(void)
{
	int c = 0;

	for (size_t s = 16; s <= 128; s += 16)
		class_size[c++] = s;
	for (size_t p = 128; c < SHIM_NR_CLASSES; p *= 2)
		for (int q = 5; q <= 8 && c < SHIM_NR_CLASSES; q++)
			class_size[c++] = p * q / 4;
	for (size_t i = 0, k = 0; i <= 64; i++) {
		while (class_size[k] < i * 16)
			k++;
		shim_class_by_16[i] = k;
	}
	for (c = 0; c < SHIM_NR_CLASSES; c++) {
		size_t span = shim_round_up(8 * class_size[c], SHIM_UNIT);
		size_t limit = (64 << 10) / class_size[c];

		class_units[c] = span >> SHIM_UNIT_SHIFT;
		class_recip[c] = ((1ULL << 40) + class_size[c] - 1) /
				 class_size[c];
		class_limit[c] = limit < 8 ? 8 : limit > 256 ? 256 : limit;
		pthread_mutex_init(&central[c].lock, NULL);
	}
}

size_t shim_class_size(int cls)
{
	return class_size[cls];
}

/* The smallest class holding @size bytes aligned to @align; -1 if none. */
int shim_class_of(size_t size, size_t align)
{
	int lo, hi, c;

	/* Checked before rounding up, which would wrap near SIZE_MAX. */
	if (size > SHIM_SMALL_MAX || align > SHIM_UNIT)
		return -1;
	if (align > SHIM_MIN_ALIGN)
		size = shim_round_up(size ? size : 1, align);
	if (size > SHIM_SMALL_MAX)
		return -1;
	if (size <= 1024) {
		c = shim_class_by_16[(size + 15) >> 4];
	} else {
		lo = shim_class_by_16[64];
		hi = SHIM_NR_CLASSES - 1;
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (class_size[mid] < size)
				lo = mid + 1;
			else
				hi = mid;
		}
		c = lo;
	}
	while (c < SHIM_NR_CLASSES && align > SHIM_MIN_ALIGN &&
	       class_size[c] % align)
		c++;
	return c < SHIM_NR_CLASSES ? c : -1;
}

int shim_small_init(void)
{
	const void *rnd = (const void *)getauxval(AT_RANDOM);
	uint64_t bits;

	if (!class_size[0]) {
		shim_classes_init();
		/* AT_RANDOM's 16 bytes have no alignment: copy them. */
		if (rnd)
			memcpy(&bits, rnd, sizeof(bits));
		secret = rnd ? (uintptr_t)bits | 1 : (uintptr_t)&tc | 1;
		if (pthread_key_create(&tcache_key, tcache_exit))
			return -EAGAIN;
	}
	return shim_arena_init();
}

size_t shim_small_usable(const void *p)
{
	return class_size[shim_span_of(p)->cls];
}

static size_t span_bytes(const struct span *s)
{
	return (size_t)s->units << SHIM_UNIT_SHIFT;
}

static void partial_add(struct central *c, struct span *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
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
		n = span_bytes(s);
		atomic_fetch_sub(&shim_counters.small_cached, n);
		if (shim_be->decommit(shim_span_start(s), n)) {
			/* Still committed: reusable later as it is. */
			atomic_fetch_add(&shim_counters.small_cached, n);
			pthread_mutex_lock(&central[s->cls].lock);
			s->prev = NULL;
			s->next = central[s->cls].empty;
			if (s->next)
				s->next->prev = s;
			central[s->cls].empty = s;
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
static size_t purge(bool all)
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
static void purge_if_due(void)
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
	purge(false);
	shim_large_decay();
	atomic_flag_clear(&purging);
}

/* A span for class @cls with objects to give; central lock held. */
static struct span *span_get(int cls)
{
	struct central *c = &central[cls];
	uint32_t units = class_units[cls];
	struct span *s = c->empty;

	if (s) {
		/* The most recently emptied: its pages are the warmest. */
		c->empty = s->next;
		if (c->empty)
			c->empty->prev = NULL;
		atomic_fetch_sub(&shim_counters.small_cached, span_bytes(s));
	} else {
		s = shim_arena_take(units);
		if (!s)
			return NULL;
		if (shim_be->commit(shim_span_start(s), span_bytes(s), NULL)) {
			shim_arena_give(s);
			return NULL;
		}
		atomic_fetch_add(&shim_counters.committed_spans, 1);
		atomic_fetch_add(&shim_counters.small_committed, span_bytes(s));
		s->cls = cls;
		s->cap = span_bytes(s) / class_size[cls];
		s->size = class_size[cls];
		s->recip = class_recip[cls];
	}
	s->state = SPAN_ACTIVE;
	s->bump = 0;
	s->live = 0;
	s->free = NULL;
	partial_add(c, s);
	return s;
}

/* Up to @n objects of class @cls under one lock; how many were had. */
size_t shim_small_alloc_many(int cls, void **out, size_t n)
{
	struct central *c = &central[cls];
	size_t got = 0, size = class_size[cls];
	bool reclaimed = false;
	struct span *s;

again:
	pthread_mutex_lock(&c->lock);
	while (got < n) {
		s = c->partial ? c->partial : span_get(cls);
		if (!s)
			break;
		while (got < n && s->free) {
			out[got++] = s->free;
			s->free = *(void **)s->free;
			s->live++;
			shim_unpoison(out[got - 1], size);
			/* Not free any more: no double-free search on its free. */
			((void **)out[got - 1])[1] = NULL;
		}
		while (got < n && s->bump < s->cap) {
			out[got++] = shim_span_start(s) + (size_t)s->bump++ * size;
			s->live++;
			/* A span used before may still carry its old poison. */
			shim_unpoison(out[got - 1], size);
		}
		if (!s->free && s->bump == s->cap)
			partial_del(c, s);
	}
	pthread_mutex_unlock(&c->lock);
	if (!got && !reclaimed) {
		/* The arena is full: take back every class's empty spans. */
		reclaimed = true;
		if (purge(true))
			goto again;
	}
	atomic_fetch_add(&shim_counters.small_bytes, got * size);
	purge_if_due();
	/*
	 * The objects are not touched here: one that still carries the
	 * secret of an earlier free only makes its next free() search the
	 * thread cache (where it is not) before it is accepted.
	 */
	return got;
}

/* Give @n objects (a list through their first words) back to @cls. */
static void central_free(int cls, void *list, size_t n, bool constant_time)
{
	struct central *c = &central[cls];
	void *p, *next;
	struct span *s;

	pthread_mutex_lock(&c->lock);
	for (p = list; p; p = next) {
		next = *(void **)p;
		s = shim_span_of(p);
		if (!s->free && s->bump == s->cap)
			partial_add(c, s);
		if (!s->live)
			shim_fatal("free(): double free detected", p);
		*(void **)p = s->free;
		s->free = p;
		if (--s->live)
			continue;
		/* Every object is back: cache the span, pages and all. */
		partial_del(c, s);
		s->state = SPAN_EMPTY;
		s->stamp = shim_now_ms();
		s->next = c->empty;
		if (s->next)
			s->next->prev = s;
		c->empty = s;
		atomic_fetch_add(&shim_counters.small_cached, span_bytes(s));
	}
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_sub(&shim_counters.small_bytes, n * class_size[cls]);
	if (!constant_time)
		purge_if_due();
}

/* Move all but @keep objects of a thread-cache bin to the central lists. */
static void tbin_flush(int cls, uint32_t keep, bool constant_time)
{
	struct tbin *b = &tc.bin[cls];
	void *list = b->head, *last = NULL, *p = b->head;
	uint32_t n = b->count - keep;

	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++) {
		last = p;
		p = *(void **)p;
	}
	b->head = p;
	b->count = keep;
	*(void **)last = NULL;
	central_free(cls, list, n, constant_time);
}

static void tcache_exit(void *arg)
{
	(void)arg;
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		tbin_flush(c, 0, false);
	tc.state = TCACHE_DEAD;
}

/* Whether the thread's cache may be used: registered for its exit. */
static __attribute__((noinline)) bool tcache_register(void)
{
	if (tc.state == TCACHE_DEAD)
		return false;
	if (pthread_setspecific(tcache_key, &tc) ||
	    pthread_getspecific(tcache_key) != &tc)
		return false;
	tc.state = TCACHE_LIVE;
	return true;
}

static inline bool tcache_usable(void)
{
	if (__builtin_expect(tc.state == TCACHE_LIVE, 1))
		return true;
	return tcache_register();
}

/*
 * The thread cache of @cls is empty: refill it, and return one object.
 * Out of line, so that the fast path has no stack frame to set up.
 */
static __attribute__((noinline)) void *tcache_refill(int cls)
{
	struct tbin *b = &tc.bin[cls];
	void *batch[128], *p = NULL;
	size_t n;

	if (!tcache_usable()) {
		/* Exiting: nothing more may be cached. */
		if (!shim_small_alloc_many(cls, &p, 1)) {
			errno = ENOMEM;
			return NULL;
		}
		return p;
	}
	n = b->refill > TBIN_FIRST_REFILL ? b->refill : TBIN_FIRST_REFILL;
	if (n > class_limit[cls] / 2)
		n = class_limit[cls] / 2;
	if (n > 128)
		n = 128;
	b->refill = 2 * n;
	n = shim_small_alloc_many(cls, batch, n);
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 1; i < n; i++) {
		*(void **)batch[i] = b->head;
		((void **)batch[i])[1] = (void *)secret;
		b->head = batch[i];
		shim_poison((char *)batch[i] + SHIM_FREE_LINK,
			    class_size[cls] - SHIM_FREE_LINK);
	}
	b->count += n - 1;
	return batch[0];
}

void *shim_small_alloc(int cls)
{
	struct tbin *b = &tc.bin[cls];
	void *p = b->head;

	if (__builtin_expect(p != NULL, 1)) {
		b->head = *(void **)p;
		b->count--;
		((void **)p)[1] = NULL;
		shim_unpoison(p, class_size[cls]);
		return p;
	}
	return tcache_refill(cls);
}

/* Whether @p is on the free list @head (through first words). */
static bool on_list(void *head, const void *p)
{
	for (void *q = head; q; q = *(void **)q)
		if (q == p)
			return true;
	return false;
}

/* The span of a small object being freed; aborts if @p is not one. */
static struct span *checked_span(void *p)
{
	struct span *s = shim_span_of(p);
	uint64_t off = (uint64_t)((char *)p - shim_span_start(s));
	uint64_t idx = (off * s->recip) >> 40;

	/*
	 * A live span, an object boundary, an object carved already; from
	 * the span's own 64 bytes only (no class table in the chain).
	 */
	if (s->kind != SPAN_HEAD || s->state != SPAN_ACTIVE ||
	    idx * s->size != off || idx >= s->bump)
		shim_fatal("free(): invalid pointer", p);
	return s;
}

/*
 * Free many small objects straight to their classes' central lists, one
 * lock per class (M2_BATCH_IS_ALL_FREE).  Non-small pointers are left in
 * @ptrs for the caller; freed ones become NULL.
 */
void shim_small_free_many(void **ptrs, size_t n, bool constant_time)
{
	void *list[SHIM_NR_CLASSES] = { 0 };
	size_t count[SHIM_NR_CLASSES] = { 0 };
	struct span *s;

	for (size_t i = 0; i < n; i++) {
		if (!ptrs[i] || !shim_small_owns(ptrs[i]))
			continue;
		s = checked_span(ptrs[i]);
		/* Twice in one batch would make the list a cycle. */
		if (((void **)ptrs[i])[1] == (void *)secret &&
		    on_list(list[s->cls], ptrs[i]))
			shim_fatal("free(): double free detected", ptrs[i]);
		((void **)ptrs[i])[1] = (void *)secret;
		*(void **)ptrs[i] = list[s->cls];
		list[s->cls] = ptrs[i];
		shim_poison((char *)ptrs[i] + SHIM_FREE_LINK,
			    class_size[s->cls] - SHIM_FREE_LINK);
		count[s->cls]++;
		ptrs[i] = NULL;
	}
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		if (count[c])
			central_free(c, list[c], count[c], constant_time);
}

void shim_small_free(void *p, bool constant_time)
{
	struct span *s = checked_span(p);
	struct tbin *b = &tc.bin[s->cls];

	if (((void **)p)[1] == (void *)secret && on_list(b->head, p))
		shim_fatal("free(): double free detected", p);
	if (__builtin_expect(!tcache_usable(), 0)) {
		*(void **)p = NULL;
		central_free(s->cls, p, 1, constant_time);
		return;
	}
	*(void **)p = b->head;
	((void **)p)[1] = (void *)secret;
	b->head = p;
	shim_poison((char *)p + SHIM_FREE_LINK,
		    class_size[s->cls] - SHIM_FREE_LINK);
	if (++b->count > class_limit[s->cls])
		tbin_flush(s->cls, class_limit[s->cls] / 2, constant_time);
}

/* This thread's cache and every empty span: bytes given back. */
size_t shim_small_trim(void)
{
	if (tc.state == TCACHE_LIVE)
		for (int c = 0; c < SHIM_NR_CLASSES; c++)
			tbin_flush(c, 0, false);
	return purge(true);
}

/* In the order the code takes them: a class's lock, then the arena's. */
void shim_small_lock_all(void)
{
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		pthread_mutex_lock(&central[c].lock);
	shim_arena_lock();
}

void shim_small_unlock_all(void)
{
	/* A purge cut short by fork in the child: let the next one run. */
	atomic_flag_clear(&purging);
	shim_arena_unlock();
	for (int c = SHIM_NR_CLASSES - 1; c >= 0; c--)
		pthread_mutex_unlock(&central[c].lock);
}
