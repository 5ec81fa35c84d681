// SPDX-License-Identifier: GPL-2.0
/*
 * Not linked with the shim: prints, for each name of the malloc family,
 * the object its reference (glibc-versioned, as in any program) was bound
 * to.  With LD_PRELOAD of the shim every line must name the shim.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#define FN(f) { #f, (void *)f }

int main(void)
{
	static const struct { const char *name; void *addr; } fns[] = {
		FN(malloc), FN(free), FN(calloc), FN(realloc), FN(reallocarray),
		FN(aligned_alloc), FN(posix_memalign), FN(memalign), FN(valloc),
		FN(pvalloc), FN(malloc_usable_size),
	};
	void *p = malloc(64);

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		Dl_info info;

		if (!dladdr(fns[i].addr, &info))
			return 1;
		printf("%s %s\n", fns[i].name, info.dli_fname);
	}
	free(p);
	return 0;
}
