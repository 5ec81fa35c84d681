// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The malloc family and N1527's single-object calls, all one-element
 * operations of alloc.c: linking the library, or LD_PRELOAD, makes it
 * the process's allocator, and any pointer from any of these may be
 * passed to any other.
 */
#include <string.h>
#include <unistd.h>

#include "small.h"

/*
 * The common cases inline, with nothing to set up before them: a small
 * size from the thread's span, a small block back to its span.
 */
SHIM_API void *malloc(size_t size)
{
	if (__builtin_expect(size <= 1024, 1) &&
	    __builtin_expect(atomic_load_explicit(&shim_initialised,
						  memory_order_acquire), 1))
		return shim_small_alloc(shim_class_by_16[(size + 15) >> 4]);
	return shim_alloc(size, 0, 0, 0);
}

/* The arena's bitmap has a bit set only once start-up is complete. */
SHIM_API void free(void *p)
{
	if (__builtin_expect(p && shim_small_owns(p), 1))
		shim_small_free(p, false);
	else
		shim_free(p, 0);
}

SHIM_API void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return shim_alloc(n * size, 0, 0, M2_ZERO_MEMORY);
}

/* realloc(p, 0) frees p and returns NULL, as glibc and N1527 do. */
static void *resize(void *p, size_t align, size_t size, uintmax_t flags)
{
	int err;

	if (!p)
		return shim_alloc(size, align, 0, flags);
	if (!size) {
		shim_free(p, 0);
		return NULL;
	}
	err = shim_realloc(&p, size, align, 0, flags);
	if (err) {
		errno = -err;
		return NULL;
	}
	return p;
}

SHIM_API void *realloc(void *p, size_t size)
{
	return resize(p, 0, size, 0);
}

SHIM_API void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

SHIM_API void *aligned_alloc(size_t align, size_t size)
{
	if (!shim_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return shim_alloc(size, align, 0, 0);
}

SHIM_API int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!shim_pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = shim_alloc(size, align, 0, 0);
	if (!p)
		return errno;
	*out = p;
	return 0;
}

/* glibc rounds a non-power-of-two alignment up; so does this. */
SHIM_API void *memalign(size_t align, size_t size)
{
	size_t a = SHIM_MIN_ALIGN;

	while (a < align && a)
		a <<= 1;
	if (!a) {
		errno = EINVAL;
		return NULL;
	}
	return shim_alloc(size, a, 0, 0);
}

SHIM_API void *valloc(size_t size)
{
	return shim_alloc(size, SHIM_PAGE, 0, 0);
}

SHIM_API void *pvalloc(size_t size)
{
	size_t rounded = shim_round_up(size ? size : 1, SHIM_PAGE);

	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return shim_alloc(rounded, SHIM_PAGE, 0, 0);
}

SHIM_API size_t malloc_usable_size(void *p)
{
	return shim_usable(p);
}

SHIM_API void *aligned_realloc(void *p, size_t align, size_t size)
{
	if (align && !shim_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return resize(p, align, size, 0);
}

/* NULL and the block untouched (errno ENOSPC) when it would have to move. */
SHIM_API void *try_realloc(void *p, size_t size)
{
	return try_aligned_realloc(p, 0, size);
}

SHIM_API void *try_aligned_realloc(void *p, size_t align, size_t size)
{
	if (align && !shim_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	if (!p || !size) {
		/* Allocating or freeing never moves anything. */
		return resize(p, align, size, 0);
	}
	return resize(p, align, size, M2_PREVENT_MOVE);
}

/*
 * glibc's other names for the same calls, used by code that wants "the
 * real malloc" (and by some interposers): without them, those would
 * reach glibc's allocator with pointers from this one, or the reverse.
 */
/* Through the macro: the sanitizer build renames malloc and its family. */
#define SHIM_STR(x)		#x
#define SHIM_ALIAS(f)		__attribute__((alias(SHIM_STR(f))))
/* libc's declarations of the targets carry attributes these need not. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#endif

SHIM_API void *__libc_malloc(size_t size) SHIM_ALIAS(malloc);
SHIM_API void *__libc_calloc(size_t n, size_t size) SHIM_ALIAS(calloc);
SHIM_API void *__libc_realloc(void *p, size_t size) SHIM_ALIAS(realloc);
SHIM_API void *__libc_memalign(size_t align, size_t size) SHIM_ALIAS(memalign);
SHIM_API void *__libc_valloc(size_t size) SHIM_ALIAS(valloc);
SHIM_API void *__libc_pvalloc(size_t size) SHIM_ALIAS(pvalloc);
SHIM_API void __libc_free(void *p) SHIM_ALIAS(free);
