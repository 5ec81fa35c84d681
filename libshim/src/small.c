// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small blocks, up to SHIM_SMALL_MAX: 48 size classes (16-byte steps to
 * 128, then four per doubling), each served from spans of 64 KiB units
 * taken from the arena (arena.c), which every class shares.  A span
 * belongs to one class and carves objects at multiples of the class size
 * from its 64 KiB-aligned start, so power-of-two classes are naturally
 * aligned.
 *
 * A span belongs to one thread's heap (heap.c) at a time.  malloc pops
 * the free list of the thread's current span of the class, and free of
 * an object of one of the thread's own spans pushes it there: no lock,
 * no atomic operation, and the span, found by masking the pointer, is
 * the only metadata either reads.  A free from another thread is a CAS
 * onto the span's xfree list (remote.c), which the owner takes whole
 * when it runs out.  The class's central lists (central.c) hold the
 * spans of threads that exited and empty spans, under one lock a class
 * that the common paths never take.
 *
 * A freed object holds the next-pointer of its list and, in its second
 * word, a per-process secret: free() of an object that carries the secret
 * searches its span's free list for it, which catches the common double
 * free cheaply.
 */
#include <string.h>
#include <sys/auxv.h>

#include "small.h"

size_t shim_class_bytes[SHIM_NR_CLASSES];
uint8_t shim_class_by_16[65];	/* class of sizes up to 1024, by 16 */
uint32_t shim_class_limit[SHIM_NR_CLASSES];
uintptr_t shim_secret;

/*
 * Division by a class size as a multiply and a shift, exact for span
 * offsets below 2^20: with 2^L <= size < 2^(L+1), recip = ceil(2^(31+L) /
 * size) fits 32 bits and its error, under 2^20 / 2^(31+L), is below
 * 1 / size.
 */
static void class_recip(size_t size, uint32_t *recip, uint8_t *shift)
{
	unsigned int l = 63 - __builtin_clzll(size);

	*shift = 31 + l;
	*recip = (uint32_t)(((1ULL << *shift) + size - 1) / size);
}

static void shim_classes_init(void)
{
	int c = 0;

	for (size_t s = 16; s <= 128; s += 16)
		shim_class_bytes[c++] = s;
	for (size_t p = 128; c < SHIM_NR_CLASSES; p *= 2)
		for (int q = 5; q <= 8 && c < SHIM_NR_CLASSES; q++)
			shim_class_bytes[c++] = p * q / 4;
	for (size_t i = 0, k = 0; i <= 64; i++) {
		while (shim_class_bytes[k] < i * 16)
			k++;
		shim_class_by_16[i] = k;
	}
	for (c = 0; c < SHIM_NR_CLASSES; c++) {
		size_t limit = (64 << 10) / shim_class_bytes[c];

		shim_class_limit[c] = limit < 8 ? 8 : limit > 256 ? 256 : limit;
	}
}

size_t shim_class_size(int cls)
{
	return shim_class_bytes[cls];
}

/* A span's class fields, for a span new to class @cls. */
void shim_span_set_class(struct span *s, int cls)
{
	size_t size = shim_class_bytes[cls];
	uint32_t recip;
	uint8_t shift;

	class_recip(size, &recip, &shift);
	s->cls = cls;
	s->size = size;
	s->cap = shim_span_bytes(s) / size;
	s->recip = recip;
	s->shift = shift;
#if defined(SHIM_DEBUG) || defined(__SANITIZE_ADDRESS__)
	for (uint64_t off = 0; off < shim_span_bytes(s); off += size / 2 ? size / 2 : 1)
		shim_assert(((off * s->recip) >> s->shift) == off / size);
#endif
}

/* The number of 64 KiB units of a class's spans: room for 8 objects. */
uint32_t shim_class_units(int cls)
{
	return shim_round_up(8 * shim_class_bytes[cls], SHIM_UNIT) >> SHIM_UNIT_SHIFT;
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

			if (shim_class_bytes[mid] < size)
				lo = mid + 1;
			else
				hi = mid;
		}
		c = lo;
	}
	while (c < SHIM_NR_CLASSES && align > SHIM_MIN_ALIGN &&
	       shim_class_bytes[c] % align)
		c++;
	return c < SHIM_NR_CLASSES ? c : -1;
}

int shim_small_init(void)
{
	const void *rnd = (const void *)getauxval(AT_RANDOM);
	uint64_t bits;
	int err;

	if (!shim_class_bytes[0]) {
		shim_classes_init();
		shim_central_init();
		/* AT_RANDOM's 16 bytes have no alignment: copy them. */
		if (rnd)
			memcpy(&bits, rnd, sizeof(bits));
		shim_secret = rnd ? (uintptr_t)bits | 1 : (uintptr_t)&shim_self | 1;
		err = shim_heap_init();
		if (err)
			return err;
	}
	return shim_arena_init();
}

size_t shim_small_usable(const void *p)
{
	return shim_class_bytes[shim_span_of(p)->cls];
}

/* Whether @p is on the free list @head (through first words). */
bool shim_on_list(void *head, const void *p)
{
	for (void *q = head; q; q = *(void **)q)
		if (q == p)
			return true;
	return false;
}

/*
 * Not a plain free into one of this thread's spans: another thread's
 * span, or an object that carries the free secret.
 */
void shim_small_free_slow(struct span *s, void *p, bool constant_time)
{
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != shim_self.heap) {
		shim_remote_free(s, p, constant_time);
		return;
	}
	if (((void **)p)[1] == (void *)shim_secret && shim_on_list(s->free, p))
		shim_fatal("free(): double free detected", p);
	if (!s->live)
		shim_fatal("free(): double free detected", p);
	shim_local_free(s, p, constant_time);
}

/* Up to @n objects of class @cls; how many were had. */
size_t shim_small_alloc_many(int cls, void **out, size_t n)
{
	int err = errno;
	size_t got;

	for (got = 0; got < n; got++) {
		out[got] = shim_small_alloc(cls);
		if (!out[got])
			break;
	}
	/* Fewer than asked is not an error of the batch as a whole. */
	errno = err;
	return got;
}

/*
 * Free many small objects (M2_BATCH_IS_ALL_FREE).  Non-small pointers are
 * left in @ptrs for the caller; freed ones become NULL.  A pointer twice
 * in the batch is found by the double-free check of its second free.
 */
void shim_small_free_many(void **ptrs, size_t n, bool constant_time)
{
	for (size_t i = 0; i < n; i++) {
		if (!ptrs[i] || !shim_small_owns(ptrs[i]))
			continue;
		shim_small_free(ptrs[i], constant_time);
		ptrs[i] = NULL;
	}
	if (!constant_time)
		shim_central_purge_if_due();
}

/* This thread's empty spans and every class's: bytes given back. */
size_t shim_small_trim(void)
{
	shim_heap_trim();
	return shim_central_purge(true);
}

/*
 * In the order the code takes them: the heap list's lock (alone at run
 * time), a class's lock, then the arena's.
 */
void shim_small_lock_all(void)
{
	shim_heap_lock();
	for (int c = 0; c < SHIM_NR_CLASSES; c++)
		shim_central_lock(c);
	shim_arena_lock();
}

void shim_small_unlock_all(void)
{
	shim_arena_unlock();
	for (int c = SHIM_NR_CLASSES - 1; c >= 0; c--)
		shim_central_unlock(c);
	shim_heap_unlock();
}

/*
 * In the child, every lock still held: the other threads' heaps have no
 * thread to run them, so their spans become orphans, as at an exit.
 */
void shim_small_after_fork_child(void)
{
	shim_heap_after_fork_child();
	shim_small_unlock_all();
}
