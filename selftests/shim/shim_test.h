/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the shim tests. */
#ifndef SHIM_TEST_H
#define SHIM_TEST_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "resmap_alloc.h"

/* Fill @p with a pattern derived from @seed; check it. */
static inline void fill(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(seed + i * 31);
}

static inline int check(const void *p, size_t n, unsigned int seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed + i * 31))
			return 0;
	return 1;
}

static inline int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

#endif
