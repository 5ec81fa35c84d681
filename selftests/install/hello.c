// SPDX-License-Identifier: GPL-2.0
/*
 * A program as a user of the installed library writes it: built with
 * `pkg-config --cflags --libs resmap-shim`, it uses both headers, the
 * N1527 calls and malloc, and checks that the library's malloc is the
 * one it got (the shim's counters see it).  Prints the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/resmap.h>
#include <resmap_alloc.h>

int main(void)
{
	struct mallocation5 m[2] = {
		{ .size = 1000 },
		{ .size = 1 << 20, .alignment = 4096, .reserve = 8 << 20,
		  .flags = M2_ZERO_MEMORY },
	};
	struct mallocation5 *mp[2] = { &m[0], &m[1] };
	int errs[2];
	size_t count = 2;
	struct resmap_stats before, after;
	char *p;

	if (!batch_alloc5(errs, mp, &count) || count != 2) {
		fprintf(stderr, "batch_alloc5: %zu done, %s\n", count, strerror(errs[0]));
		return 1;
	}
	if (try_realloc(m[1].ptr, 2 << 20) != m[1].ptr) {
		perror("try_realloc did not grow in place");
		return 1;
	}
	resmap_stats(&before);
	p = malloc(100);
	strcpy(p, "hello");
	resmap_stats(&after);
	if (malloc_usable_size(m[0].ptr) < 1000 || after.large_blocks < 1 ||
	    after.small_bytes < before.small_bytes + 100) {
		fprintf(stderr, "malloc is not the shim's\n");
		return 1;
	}
	printf("%s: backend %s, ABI %d\n", p, resmap_backend(), RESMAP_ABI_VERSION);
	free(p);
	m[0].size = 0;
	m[1].size = 0;
	count = 2;
	return batch_alloc5(errs, mp, &count) ? 0 : 1;
}
