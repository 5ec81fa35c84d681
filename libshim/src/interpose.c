// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * glibc's introspection calls, as the shim's own: glibc's would report
 * on, and trim, its idle arena.  (Its __libc_* names are aliases in
 * malloc.c.)
 */
#include <malloc.h>
#include <stdio.h>

#include "shim.h"

/* glibc's fields, from the shim's counters. */
SHIM_API struct mallinfo2 mallinfo2(void)
{
	struct resmap_alloc_stats t = { 0 };
	struct mallinfo2 mi = { 0 };

	shim_totals(&t);
	mi.arena = t.small_committed;
	mi.hblks = t.large_blocks;
	mi.hblkhd = t.large_reserved;
	mi.uordblks = t.small_bytes + t.large_bytes;
	mi.fordblks = t.small_committed > t.small_bytes ?
		      t.small_committed - t.small_bytes : 0;
	mi.fordblks += t.large_cached_bytes;
	mi.keepcost = t.large_cached_bytes;
	return mi;
}

/* int fields: saturated, where glibc's wrap. */
static int clamp(size_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

SHIM_API struct mallinfo mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi = {
		.arena = clamp(m2.arena),
		.ordblks = clamp(m2.ordblks),
		.hblks = clamp(m2.hblks),
		.hblkhd = clamp(m2.hblkhd),
		.uordblks = clamp(m2.uordblks),
		.fordblks = clamp(m2.fordblks),
		.keepcost = clamp(m2.keepcost),
	};

	return mi;
}

/* Give back every cached byte now: 1 if any was, as glibc says. */
SHIM_API int malloc_trim(size_t pad)
{
	(void)pad;
	shim_ready();
	return shim_trim() > 0;
}

/*
 * glibc's tunables have no meaning here (the shim's own are in
 * RESMAP_SHIM_OPTIONS): the known ones are accepted, as glibc accepts
 * them, and ignored.
 */
SHIM_API int mallopt(int param, int value)
{
	(void)value;
	switch (param) {
	case M_MXFAST:
	case M_TRIM_THRESHOLD:
	case M_TOP_PAD:
	case M_MMAP_THRESHOLD:
	case M_MMAP_MAX:
	case M_CHECK_ACTION:
	case M_PERTURB:
	case M_ARENA_TEST:
	case M_ARENA_MAX:
		return 1;
	default:
		return 0;
	}
}

SHIM_API void malloc_stats(void)
{
	shim_ready();
	shim_print_stats(2);
}

SHIM_API int malloc_info(int options, FILE *fp)
{
	struct resmap_alloc_stats t = { 0 };

	if (options) {
		errno = EINVAL;
		return -1;
	}
	shim_ready();
	shim_totals(&t);
	fprintf(fp, "<malloc version=\"resmap-shim-1\" backend=\"%.8s\">\n"
		"<small in_use=\"%ju\" committed=\"%ju\" cached=\"%ju\"/>\n"
		"<large blocks=\"%ju\" in_use=\"%ju\" reserved=\"%ju\" "
		"cached=\"%ju\"/>\n"
		"</malloc>\n", t.backend, (uintmax_t)t.small_bytes,
		(uintmax_t)t.small_committed, (uintmax_t)t.small_cached,
		(uintmax_t)t.large_blocks, (uintmax_t)t.large_bytes,
		(uintmax_t)t.large_reserved, (uintmax_t)t.large_cached_bytes);
	return 0;
}
