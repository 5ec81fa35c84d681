// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent huge pages for large blocks: from 2 MiB up, a block is
 * 2 MiB-aligned and asks for huge pages (MADV_HUGEPAGE), on either
 * backend (unplaced large blocks are plain anonymous memory); thp=0 in
 * RESMAP_SHIM_OPTIONS turns that off.
 */
#include <stdio.h>
#include <stdlib.h>

#define SHIM_CHILDREN
#include "kselftest_harness.h"
#include "shim_test.h"

#define HUGE	(2UL << 20)

/* The kernel's THP mode: "always", "madvise" or "never". */
static void thp_mode(char *mode, size_t len)
{
	char buf[128] = "", *l, *r;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(mode, len, "never");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) &&
	    (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(mode, len, "%s", l + 1);
	}
	fclose(f);
}

/* Whether the smaps entry holding @p has AnonHugePages, or the VmFlag hg. */
static int smaps_has(const void *p, const char *what)
{
	char line[512];
	int in = 0, found = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(what, "hg") && !strncmp(line, "VmFlags:", 8))
			found |= strstr(line, " hg") != NULL;
		if (!strcmp(what, "AnonHugePages") &&
		    !strncmp(line, "AnonHugePages:", 14))
			found |= strtol(line + 14, NULL, 10) > 0;
	}
	if (f)
		fclose(f);
	return found;
}

TEST(large_blocks_ask_for_huge_pages)
{
	char mode[16];
	char *p = malloc(8 * HUGE);

	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % HUGE);
	EXPECT_TRUE(smaps_has(p, "hg"));
	memset(p, 1, 8 * HUGE);
	thp_mode(mode, sizeof(mode));
	if (strcmp(mode, "never"))
		EXPECT_TRUE(smaps_has(p, "AnonHugePages")) TH_LOG("THP %s", mode);
	/* Grown with realloc, it stays (or becomes) huge-page aligned. */
	p = realloc(p, 64 * HUGE);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % HUGE);
	EXPECT_TRUE(smaps_has(p, "hg"));
	free(p);
}

static int child_main(const char *name)
{
	char *p;

	if (strcmp(name, "thp-off"))
		return 99;
	p = malloc(8 * HUGE);
	return p && !smaps_has(p, "hg") ? 0 : 1;
}

TEST(thp_0_turns_them_off)
{
	EXPECT_EQ(0, shim_child("thp-off", "RESMAP_SHIM_OPTIONS=thp=0", 0));
}

TEST_HARNESS_MAIN
