/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forced into every file of a sanitizer build (make -C libshim san):
 * AddressSanitizer owns malloc and its family, so there the shim's
 * versions take other names, and the tests built the same way call them.
 * Every other name, the N1527 calls included, stays as it is.
 */
#ifndef RESMAP_SANITIZE_NAMES_H
#define RESMAP_SANITIZE_NAMES_H

#define malloc			resmap_san_malloc
#define free			resmap_san_free
#define calloc			resmap_san_calloc
#define realloc			resmap_san_realloc
#define reallocarray		resmap_san_reallocarray
#define aligned_alloc		resmap_san_aligned_alloc
#define posix_memalign		resmap_san_posix_memalign
#define memalign		resmap_san_memalign
#define valloc			resmap_san_valloc
#define pvalloc			resmap_san_pvalloc
#define malloc_usable_size	resmap_san_malloc_usable_size

#endif
