// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RESMAP_SHIM_OPTIONS: the shim's settings, read once at start-up, as a
 * comma-separated list of name=value (sizes take a K, M or G suffix):
 *
 *   decay_ms=N          freed memory kept for reuse this long (1000)
 *   span_cache_max=SIZE bytes of empty small-object spans kept (32M)
 *   large_cache_max=SIZE bytes of freed large blocks kept (64M)
 *   arena_max=SIZE      the small-object arena at most (0: no limit but
 *                       the address space)
 *   thp=0|1             transparent huge pages for large blocks (1)
 *   stats=0|1           print the counters on stderr at exit (0)
 *
 * An unknown name or a bad value is reported on stderr and ignored.
 * Parsed by hand: nothing here may allocate.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shim.h"

struct shim_options shim_opt = {
	.decay_ms = 1000,
	.span_cache_max = 32UL << 20,
	.large_cache_max = 64UL << 20,
	.thp = true,
};

/* A decimal number with an optional K, M or G; false if malformed. */
static bool parse_size(const char *s, size_t len, size_t *out)
{
	size_t v = 0, i = 0;
	unsigned int shift = 0;

	if (!len)
		return false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (!i)
		return false;
	if (i + 1 == len) {
		switch (s[i]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return false;
		}
	} else if (i != len) {
		return false;
	}
	if (shift && v > (SIZE_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static bool is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(name, want, len);
}

static void option(const char *name, size_t nlen, const char *val,
		   size_t vlen)
{
	size_t v;

	if (!parse_size(val, vlen, &v))
		goto bad;
	if (is(name, nlen, "decay_ms") && v <= 3600000)
		shim_opt.decay_ms = v;
	else if (is(name, nlen, "span_cache_max"))
		shim_opt.span_cache_max = v;
	else if (is(name, nlen, "large_cache_max"))
		shim_opt.large_cache_max = v;
	else if (is(name, nlen, "arena_max"))
		shim_opt.arena_max = v;
	else if (is(name, nlen, "thp") && v <= 1)
		shim_opt.thp = v;
	else if (is(name, nlen, "stats") && v <= 1)
		shim_opt.stats = v;
	else
		goto bad;
	return;
bad:
	shim_warn("RESMAP_SHIM_OPTIONS: an unknown option or a bad value, ignored");
}

void shim_options_init(void)
{
	const char *s = getenv("RESMAP_SHIM_OPTIONS");

	while (s && *s) {
		const char *end = strchr(s, ','), *eq;
		size_t len = end ? (size_t)(end - s) : strlen(s);

		eq = memchr(s, '=', len);
		if (eq)
			option(s, eq - s, eq + 1, len - (eq + 1 - s));
		else if (len)
			option(s, len, "", 0);
		s += len + (end != NULL);
	}
}

/* Milliseconds, wrapping: the coarse clock, a vDSO read. */
uint32_t shim_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint32_t)(t.tv_sec * 1000 + t.tv_nsec / 1000000);
}
