// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * N1527's batch calls.  Each element is an allocation, resize, free or
 * no-op by the paper's rules; failures are per element, with its errno,
 * and leave the element as it was.  With M2_BATCH_IS_ALL_ALLOC the
 * small elements of one size class are carved under one lock, and
 * batch_alloc1's large ones share one reservation committed in one call.
 */
#include <string.h>
#include <sys/mman.h>

#include "shim.h"

/* One element: 0 or an errno value; @m updated on success only. */
static int element(struct mallocation5 *m, size_t *reserved)
{
	void *p = m->ptr;
	size_t res;
	int err;

	if (!m->size) {
		if (p)
			shim_free(p, m->flags);
		m->ptr = NULL;
		return 0;
	}
	if (!p) {
		p = shim_alloc(m->size, m->alignment, m->reserve, m->flags);
		if (!p)
			return errno;
	} else {
		err = shim_realloc(&p, m->size, m->alignment, m->reserve,
				   m->flags);
		if (err)
			return -err;
	}
	m->ptr = p;
	m->size = shim_usable(p);
	if (reserved) {
		if (!shim_large_owns(p, NULL, &res, NULL))
			res = m->size;
		*reserved = res;
	}
	return 0;
}

/* A new small element the fast path can carve: its class, else -1. */
static int carvable(const struct mallocation5 *m)
{
	if (!m || m->ptr || !m->size || (m->alignment && !shim_pow2(m->alignment)) ||
	    (m->flags & (RESMAP_M2_PLACE_MASK | M2_RESERVE_IS_MULT)) ||
	    m->reserve > SHIM_SMALL_MAX)
		return -1;
	return shim_class_of(m->size, m->alignment);
}

/*
 * M2_BATCH_IS_ALL_ALLOC for batch_alloc5: the small elements are carved
 * class by class, each class under its lock once, and marked in @done.
 * Elements it could not serve are left for the element loop.
 */
static void carve_all(struct mallocation5 **md, size_t n, uint8_t *done)
{
	size_t want[SHIM_NR_CLASSES] = { 0 }, got, k;
	void **tmp;
	int c;

	for (size_t i = 0; i < n; i++) {
		c = carvable(md[i]);
		if (c >= 0)
			want[c]++;
	}
	for (c = 0; c < SHIM_NR_CLASSES; c++) {
		if (!want[c])
			continue;
		tmp = shim_alloc(want[c] * sizeof(void *), 0, 0, 0);
		if (!tmp)
			return;
		got = shim_small_alloc_many(c, tmp, want[c]);
		k = 0;
		for (size_t i = 0; i < n && k < got; i++) {
			struct mallocation5 *m = md[i];

			if (carvable(m) != c)
				continue;
			if (m->flags & M2_ZERO_MEMORY)
				memset(tmp[k], 0, shim_class_size(c));
			m->ptr = tmp[k++];
			m->size = shim_class_size(c);
			m->reserve = m->size;
			done[i / 8] |= 1 << (i % 8);
		}
		shim_free(tmp, 0);
	}
}

SHIM_API _Bool batch_alloc5(int *errnos, struct mallocation5 **restrict md,
			    size_t *restrict count)
{
	size_t n = *count, ok = 0, res;
	uint8_t *done = NULL;
	int err;

	shim_ready();
	if (md && n && md[0] && (md[0]->flags & M2_BATCH_IS_ALL_ALLOC)) {
		done = shim_alloc(n / 8 + 1, 0, 0, M2_ZERO_MEMORY);
		if (done)
			carve_all(md, n, done);
	}
	for (size_t i = 0; i < n; i++) {
		struct mallocation5 *m = md ? md[i] : NULL;

		err = 0;
		if (done && (done[i / 8] & (1 << (i % 8))))
			;	/* carved above */
		else if (m && (m->size || m->ptr)) {
			err = element(m, &res);
			if (!err && m->ptr)
				m->reserve = res;
		}
		if (errnos)
			errnos[i] = err;
		ok += !err;
	}
	shim_free(done, 0);
	*count = ok;
	return ok == n;
}

SHIM_API _Bool batch_alloc2(int *errnos, struct mallocation2 **restrict md,
			    size_t *restrict count, size_t alignment,
			    size_t reserve, uintmax_t flags)
{
	size_t n = *count, ok = 0;
	struct mallocation5 *e5, **md5;
	_Bool all;
	int err;

	/* The all-allocation fast path is batch_alloc5's, on a copy. */
	if ((flags & M2_BATCH_IS_ALL_ALLOC) && md && n &&
	    (e5 = shim_alloc(n * (sizeof(*e5) + sizeof(*md5)), 0, 0, 0))) {
		md5 = (struct mallocation5 **)(e5 + n);
		for (size_t i = 0; i < n; i++) {
			e5[i] = (struct mallocation5){ md[i] ? md[i]->ptr : NULL,
				md[i] ? md[i]->size : 0, alignment, reserve,
				flags };
			md5[i] = &e5[i];
		}
		all = batch_alloc5(errnos, md5, count);
		for (size_t i = 0; i < n; i++) {
			if (md[i] && (!errnos || !errnos[i])) {
				md[i]->ptr = e5[i].ptr;
				md[i]->size = e5[i].size;
			}
		}
		shim_free(e5, 0);
		return all;
	}
	for (size_t i = 0; i < n; i++) {
		struct mallocation2 *m = md ? md[i] : NULL;
		struct mallocation5 e;

		err = 0;
		if (m && (m->size || m->ptr)) {
			e = (struct mallocation5){ m->ptr, m->size, alignment,
						   reserve, flags };
			err = element(&e, NULL);
			if (!err) {
				m->ptr = e.ptr;
				m->size = e.size;
			}
		}
		if (errnos)
			errnos[i] = err;
		ok += !err;
	}
	*count = ok;
	return ok == n;
}

/*
 * The all-allocation fast path of batch_alloc1: every element is new and
 * of one size.  Small: one class, carved under its lock in one go.
 * Large: one reservation, one commit call.  Returns how many were had.
 */
static size_t alloc_all(void **ptrs, size_t n, size_t size, size_t align,
			size_t reserve, uintmax_t flags)
{
	struct shim_place pl;
	size_t got = 0;
	int cls;

	if (shim_place_from_flags(flags, &pl))
		return 0;
	if (flags & M2_RESERVE_IS_MULT)
		reserve = reserve && size > SIZE_MAX / reserve ? SIZE_MAX :
								 reserve * size;
	cls = (flags & RESMAP_M2_PLACE_MASK) || reserve > SHIM_SMALL_MAX ?
	      -1 : shim_class_of(size, align);
	if (cls >= 0) {
		got = shim_small_alloc_many(cls, ptrs, n);
		for (size_t i = 0; (flags & M2_ZERO_MEMORY) && i < got; i++)
			memset(ptrs[i], 0, shim_class_size(cls));
		return got;
	}
	if (!shim_large_alloc_many(ptrs, n, size, align, reserve, &pl))
		return n;
	return 0;
}

SHIM_API void **batch_alloc1(int *errnos, void **ptrs,
			     size_t *restrict count, size_t *restrict size,
			     size_t alignment, size_t reserve, uintmax_t flags)
{
	size_t n = *count, ok = 0, smallest = SIZE_MAX, got = 0;
	bool free_all = !size || !*size;
	int err;

	shim_ready();	/* it may be the process's first call */
	if (!ptrs) {
		if (n > SIZE_MAX / sizeof(void *) ||
		    !(ptrs = shim_alloc(n * sizeof(void *), 0, 0,
					M2_ZERO_MEMORY))) {
			*count = 0;
			return NULL;
		}
	}
	/* The caller promises every operation is a free: one lock per class. */
	if (free_all && (flags & M2_BATCH_IS_ALL_FREE))
		shim_small_free_many(ptrs, n, flags & M2_CONSTANT_TIME);
	/* The caller promises every ptrs[i] is NULL. */
	if (!free_all && (flags & M2_BATCH_IS_ALL_ALLOC) &&
	    (!alignment || shim_pow2(alignment)))
		got = alloc_all(ptrs, n, *size, alignment, reserve, flags);
	for (size_t i = 0; i < n; i++) {
		struct mallocation5 e = { ptrs[i], free_all ? 0 : *size,
					  alignment, reserve, flags };

		err = 0;
		if (i >= got && (e.size || e.ptr))
			err = element(&e, NULL);
		else if (i < got)
			e.size = shim_usable(e.ptr);
		if (!err) {
			ptrs[i] = e.ptr;
			if (e.ptr && e.size < smallest)
				smallest = e.size;
		}
		if (errnos)
			errnos[i] = err;
		ok += !err;
	}
	if (!free_all)
		*size = smallest == SIZE_MAX ? 0 : smallest;
	*count = ok;
	return ptrs;
}
