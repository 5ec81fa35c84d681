// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: random sequences of batch_alloc5 calls (allocate,
 * resize and free elements, alignments, reserves, N1527 flags, blocks
 * small and large) against a model of what every live block must hold.
 * After each call, for every element: success means a block at least as
 * large as asked, aligned as asked, with the bytes both sizes cover kept
 * and, with M2_ZERO_MEMORY, the new ones zero; failure means the element
 * and its block are exactly as before.  Every other live block keeps its
 * contents.  Built with clang, ASan and UBSan around the sanitizer build
 * of the shim sources (the malloc family renamed, sanitize/names.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resmap_alloc.h"

#define SLOTS	16
#define EDGE	64	/* bytes checked at each end of a block */

struct model {
	void *ptr;
	size_t size;		/* bytes asked for */
	uint8_t seed;
};

static struct model slot[SLOTS];

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned int take(struct input *in, unsigned int bytes)
{
	unsigned int v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

static uint8_t byte_at(const struct model *m, size_t i)
{
	return (uint8_t)(m->seed + i * 7);
}

/* The pattern over a block's first and last EDGE bytes. */
static void stamp(struct model *m)
{
	uint8_t *b = m->ptr;

	for (size_t i = 0; i < m->size && i < EDGE; i++)
		b[i] = byte_at(m, i);
	for (size_t i = m->size > EDGE ? m->size - EDGE : 0; i < m->size; i++)
		b[i] = byte_at(m, i);
}

static bool holds(const struct model *m, size_t upto)
{
	const uint8_t *b = m->ptr;

	for (size_t i = 0; i < upto && i < EDGE; i++)
		if (b[i] != byte_at(m, i))
			return false;
	for (size_t i = upto > EDGE ? upto - EDGE : 0; i < upto; i++)
		if (i < m->size && (i < EDGE || i >= m->size - EDGE) &&
		    b[i] != byte_at(m, i))
			return false;
	return true;
}

static size_t pick_size(struct input *in)
{
	unsigned int v = take(in, 3);

	switch (v % 8) {
	case 0:
		return 0;				/* free */
	case 1:
		return 128 * 1024 + v % (2 << 20);	/* large */
	case 2:
		return 4096 + v % 65536;
	default:
		return 1 + v % 2048;
	}
}

static void check_all(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].ptr && !holds(&slot[i], slot[i].size))
			abort();
}

static void one_call(struct input *in)
{
	struct mallocation5 m[8], *md[8];
	struct model before[8];
	size_t req[8], old_usable[8];
	int idx[8], errs[8];
	unsigned int k = 1 + take(in, 1) % 8;
	bool used[SLOTS] = { false };
	size_t count = 0;

	for (unsigned int i = 0; i < k; i++) {
		int s = take(in, 1) % SLOTS;
		unsigned int f = take(in, 1);

		if (used[s])	/* each block at most once per call */
			continue;
		used[s] = true;
		idx[count] = s;
		before[count] = slot[s];
		m[count].ptr = slot[s].ptr;
		m[count].size = pick_size(in);
		m[count].alignment = f & 1 ? (size_t)1 << (take(in, 1) % 14) : 0;
		m[count].reserve = f & 2 ? pick_size(in) * 2 : 0;
		m[count].flags = (f & 4 ? M2_ZERO_MEMORY : 0) |
				 (f & 8 ? M2_PREVENT_MOVE : 0) |
				 (f & 16 ? M2_RESERVE_IS_MULT : 0);
		if (!m[count].ptr && !m[count].size)
			m[count].size = 1 + f;
		md[count] = &m[count];
		count++;
	}
	/* ALL_ALLOC is a promise: only when every element is new. */
	if (count && take(in, 1) % 4 == 0) {
		bool all_new = true;

		for (size_t i = 0; i < count; i++)
			all_new &= !m[i].ptr;
		if (all_new)
			m[0].flags |= M2_BATCH_IS_ALL_ALLOC;
	}
	if (!count)
		return;
	for (size_t i = 0; i < count; i++) {
		errs[i] = -1;
		req[i] = m[i].size;
		old_usable[i] = m[i].ptr ? malloc_usable_size(m[i].ptr) : 0;
	}

	size_t done = count, failed = 0;
	bool all = batch_alloc5(errs, md, &done);

	for (size_t i = 0; i < count; i++) {
		struct model *s = &slot[idx[i]], *b = &before[i];
		size_t want = req[i];

		if (errs[i]) {
			/* Failed: the element and its block as before. */
			if (errs[i] != ENOMEM && errs[i] != EINVAL &&
			    errs[i] != ENOSPC)
				abort();
			if (m[i].ptr != b->ptr || m[i].size != req[i])
				abort();
			failed++;
			continue;
		}
		if (!want) {			/* freed */
			if (m[i].ptr)
				abort();
			s->ptr = NULL;
			s->size = 0;
			continue;
		}
		if (!m[i].ptr || malloc_usable_size(m[i].ptr) < want ||
		    m[i].size < want ||
		    (m[i].alignment && (uintptr_t)m[i].ptr % m[i].alignment))
			abort();
		if ((m[i].flags & M2_PREVENT_MOVE) && b->ptr && m[i].ptr != b->ptr)
			abort();
		s->ptr = m[i].ptr;
		s->size = b->size;
		if (b->ptr && !holds(s, want < b->size ? want : b->size))
			abort();
		/* Zeroed: what lies past the old block's usable end. */
		if ((m[i].flags & M2_ZERO_MEMORY) && want > old_usable[i]) {
			const uint8_t *z = (const uint8_t *)m[i].ptr +
					   old_usable[i];
			size_t n = want - old_usable[i];

			for (size_t j = 0; j < n && j < EDGE; j++)
				if (z[j])
					abort();
			for (size_t j = n > EDGE ? n - EDGE : 0; j < n; j++)
				if (z[j])
					abort();
		}
		s->size = want;
		s->seed = (uint8_t)(b->seed * 31 + 17 + idx[i]);
		stamp(s);
	}
	/* Every element is tried; *count is how many succeeded. */
	if (done != count - failed || all != !failed)
		abort();
	check_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	while (in.n)
		one_call(&in);
	/* Everything back, every block checked on the way. */
	check_all();
	for (int i = 0; i < SLOTS; i++) {
		free(slot[i].ptr);
		slot[i].ptr = NULL;
		slot[i].size = 0;
	}
	return 0;
}
