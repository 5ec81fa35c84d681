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
#define __libc_malloc		resmap_san___libc_malloc
#define __libc_calloc		resmap_san___libc_calloc
#define __libc_realloc		resmap_san___libc_realloc
#define __libc_memalign		resmap_san___libc_memalign
#define __libc_valloc		resmap_san___libc_valloc
#define __libc_pvalloc		resmap_san___libc_pvalloc
#define __libc_free		resmap_san___libc_free
#define mallinfo		resmap_san_mallinfo
#define mallinfo2		resmap_san_mallinfo2
#define malloc_trim		resmap_san_malloc_trim
#define mallopt			resmap_san_mallopt
#define malloc_stats		resmap_san_malloc_stats
#define malloc_info		resmap_san_malloc_info

#endif
