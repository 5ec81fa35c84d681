// SPDX-License-Identifier: GPL-2.0
/*
 * A small C program, built without the shim: what limits.c runs under a
 * small RLIMIT_AS with glibc's malloc and with the shim preloaded.  It
 * allocates, writes and frees blocks of a few sizes; exit status 0 if
 * every one was had, 1 if not.
 */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	static const size_t sizes[] = { 16, 100, 1000, 4000, 64 << 10,
					200 << 10, 1 << 20 };
	void *p[64];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int i = 0; i < 64; i++) {
			/* 64 of each small size; one large block. */
			if (i && sizes[s] > (64 << 10)) {
				p[i] = NULL;
				continue;
			}
			p[i] = malloc(sizes[s]);
			if (!p[i])
				return 1;
			memset(p[i], i, sizes[s]);
		}
		for (int i = 0; i < 64; i++)
			free(p[i]);
	}
	return 0;
}
