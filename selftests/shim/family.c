// SPDX-License-Identifier: GPL-2.0
/*
 * The malloc family as the shim serves it: every call's contract, and
 * every pointer accepted by every other call.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "shim_test.h"

int shim_header_cxx(void);

TEST(header_works_from_cxx)
{
	EXPECT_EQ(0, shim_header_cxx());
}

TEST(sizes_from_zero_to_large)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 128, 129, 1000,
		4096, 5000, 65536, 100000, 131072, 131073, 1 << 20,
		(1 << 20) + 1, 50 << 20 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	unsigned int n = sizeof(sizes) / sizeof(sizes[0]);

	for (unsigned int i = 0; i < n; i++) {
		p[i] = malloc(sizes[i]);
		ASSERT_NE(NULL, p[i]) TH_LOG("malloc(%zu)", sizes[i]);
		EXPECT_EQ(0, (uintptr_t)p[i] % 16);
		EXPECT_LE(sizes[i], malloc_usable_size(p[i]));
		fill(p[i], sizes[i], i);
	}
	for (unsigned int i = 0; i < n; i++) {
		EXPECT_TRUE(check(p[i], sizes[i], i));
		free(p[i]);
	}
	EXPECT_EQ(0, malloc_usable_size(NULL));
	free(NULL);
}

TEST(calloc_zeroes_and_checks_overflow)
{
	volatile size_t huge = SIZE_MAX / 2;	/* hidden from the compiler */
	char *p;

	for (int round = 0; round < 3; round++) {
		p = malloc(3000);
		memset(p, 0xab, 3000);
		free(p);
		p = calloc(100, 30);
		ASSERT_NE(NULL, p);
		EXPECT_TRUE(all_zero(p, 3000));
		free(p);
	}
	p = calloc(1, 3 << 20);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(all_zero(p, 3 << 20));
	free(p);
	errno = 0;
	EXPECT_EQ(NULL, calloc(huge, 3));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(NULL, reallocarray(NULL, huge, 3));
	EXPECT_EQ(ENOMEM, errno);
}

TEST(aligned_calls)
{
	void *p;

	for (size_t a = 16; a <= (4 << 20); a *= 2) {
		p = aligned_alloc(a, 100);
		ASSERT_NE(NULL, p) TH_LOG("align %zu", a);
		EXPECT_EQ(0, (uintptr_t)p % a);
		memset(p, 1, 100);
		free(p);
		ASSERT_EQ(0, posix_memalign(&p, a, 3 * a));
		EXPECT_EQ(0, (uintptr_t)p % a);
		free(p);
	}
	errno = 0;
	EXPECT_EQ(NULL, aligned_alloc(24, 100));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(EINVAL, posix_memalign(&p, 24, 100));
	EXPECT_EQ(EINVAL, posix_memalign(&p, 2, 100));	/* < sizeof(void *) */
	p = memalign(24, 100);		/* rounded up to 32 */
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % 32);
	free(p);
	p = valloc(10);
	EXPECT_EQ(0, (uintptr_t)p % 4096);
	free(p);
	p = pvalloc(10);
	EXPECT_EQ(0, (uintptr_t)p % 4096);
	EXPECT_LE(4096, malloc_usable_size(p));
	free(p);
	/* aligned_realloc realigns, keeping the contents. */
	p = malloc(100);
	fill(p, 100, 3);
	p = aligned_realloc(p, 8192, 200);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % 8192);
	EXPECT_TRUE(check(p, 100, 3));
	free(p);
}

TEST(realloc_keeps_contents_across_kinds)
{
	static const size_t steps[] = { 10, 100, 2000, 70000, 200000,
		3 << 20, 150000, 5000, 8, 1 << 20 };
	size_t prev = 0;
	char *p = NULL;

	for (unsigned int i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t keep = prev < steps[i] ? prev : steps[i];

		p = realloc(p, steps[i]);
		ASSERT_NE(NULL, p);
		EXPECT_TRUE(check(p, keep, 9)) TH_LOG("step %u", i);
		fill(p, steps[i], 9);
		prev = steps[i];
	}
	EXPECT_EQ(NULL, realloc(p, 0));	/* frees */
	p = realloc(NULL, 50);
	ASSERT_NE(NULL, p);
	free(p);
}

TEST(every_pointer_accepted_everywhere)
{
	void *p[8];

	p[0] = malloc(40);
	p[1] = calloc(2, 300000);
	p[2] = aligned_alloc(4096, 4096);
	ASSERT_EQ(0, posix_memalign(&p[3], 64, 64));
	p[4] = memalign(1 << 20, 10);
	p[5] = valloc(1);
	p[6] = aligned_realloc(NULL, 256, 256);
	{
		size_t count = 1, size = 77;
		void *one[1] = { NULL };

		batch_alloc1(NULL, one, &count, &size, 0, 0, 0);
		p[7] = one[0];
	}
	for (int i = 0; i < 8; i++) {
		ASSERT_NE(NULL, p[i]) TH_LOG("pointer %d", i);
		p[i] = realloc(p[i], 1000 + i * 100000);
		ASSERT_NE(NULL, p[i]);
		EXPECT_LE(1000 + i * 100000, malloc_usable_size(p[i]));
	}
	for (int i = 0; i < 8; i += 2)
		free(p[i]);
	{
		struct mallocation5 m[4], *md[4];
		size_t count = 4;

		for (int i = 0; i < 4; i++) {
			m[i] = (struct mallocation5){ p[2 * i + 1], 0, 0, 0, 0 };
			md[i] = &m[i];
		}
		EXPECT_TRUE(batch_alloc5(NULL, md, &count));
	}
}

TEST(many_blocks_churn)
{
	enum { N = 20000 };
	void **p = calloc(N, sizeof(void *));
	size_t *sz = calloc(N, sizeof(size_t));
	unsigned int seed = 1;

	ASSERT_NE(NULL, p);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < N; i++) {
			seed = seed * 1103515245 + 12345;
			if (p[i]) {
				ASSERT_TRUE(check(p[i], sz[i] < 64 ? sz[i] : 64, i));
				free(p[i]);
				p[i] = NULL;
			}
			if (seed & 0x100) {
				sz[i] = (seed >> 12) % (seed & 0x200 ? 300 : 40000);
				p[i] = malloc(sz[i]);
				ASSERT_NE(NULL, p[i]);
				fill(p[i], sz[i] < 64 ? sz[i] : 64, i);
			}
		}
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
	free(p);
	free(sz);
}

/* glibc's other names for the family, which must reach the shim too. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void __libc_free(void *p);

TEST(libc_names_are_the_shims)
{
	void *p = __libc_malloc(100), *q;

	ASSERT_NE(NULL, p);
	/* A pointer from glibc's malloc would abort here. */
	EXPECT_EQ(malloc_usable_size(malloc(100)), malloc_usable_size(p));
	p = __libc_realloc(p, 1 << 20);
	ASSERT_NE(NULL, p);
	EXPECT_LE(1 << 20, malloc_usable_size(p));
	free(p);
	q = __libc_calloc(10, 100);
	ASSERT_NE(NULL, q);
	EXPECT_TRUE(all_zero(q, 1000));
	EXPECT_LE(1000, malloc_usable_size(q));
	__libc_free(q);
	q = __libc_memalign(4096, 100);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, (uintptr_t)q % 4096);
	EXPECT_LE(100, malloc_usable_size(q));
	free(q);
}

/* mallinfo and the rest report on, and act on, the shim's heap. */
TEST(introspection_is_the_shims)
{
	struct mallinfo2 m0, m1;
	char *text = NULL;
	size_t len = 0;
	void *p[64];
	FILE *f;

	m0 = mallinfo2();
	for (int i = 0; i < 64; i++)
		ASSERT_NE(NULL, p[i] = malloc(64 << 10));
	m1 = mallinfo2();
	EXPECT_LE(m0.uordblks + (4 << 20), m1.uordblks)
		TH_LOG("%zu then %zu", m0.uordblks, m1.uordblks);
	for (int i = 0; i < 64; i++)
		free(p[i]);
	EXPECT_LE(0, malloc_trim(0));
	EXPECT_EQ(1, mallopt(M_ARENA_MAX, 1));
	f = open_memstream(&text, &len);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(0, malloc_info(0, f));
	fclose(f);
	EXPECT_NE(NULL, strstr(text, "resmap-shim")) TH_LOG("%s", text);
	free(text);
}

/*
 * Large blocks coming and going at wandering addresses: the registry's
 * slots fill with tombstones, which a rehash at the same size clears
 * (it once doubled the table each time).
 */
TEST(registry_stays_small_under_churn)
{
	unsigned int r = 1;
	void *live[64];
	size_t reg0, reg1;

	for (int i = 0; i < 64; i++)
		ASSERT_NE(NULL, live[i] = malloc((200 << 10) + i * 4096));
	reg0 = alloc_stats().registry_bytes;
	for (int i = 0; i < 200000; i++) {
		r = r * 1103515245 + 12345;
		free(live[r % 64]);
		live[r % 64] = malloc((200 << 10) + (r >> 8) % 4096 * 4096);
		ASSERT_NE(NULL, live[r % 64]);
	}
	reg1 = alloc_stats().registry_bytes;
	TH_LOG("registry: %zu bytes, then %zu", reg0, reg1);
	EXPECT_LE(reg1, reg0 > 65536 ? reg0 : 65536);
	for (int i = 0; i < 64; i++)
		free(live[i]);
}

TEST_HARNESS_MAIN
