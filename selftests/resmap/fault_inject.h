/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel fault injection for one thread: /proc/thread-self/fail-nth makes
 * the nth allocation this thread attempts fail (slab with FAILSLAB, pages
 * with FAIL_PAGE_ALLOC).  Sweeping n = 1, 2, ... fails every allocation
 * of a command in turn, until the command no longer reaches the nth.
 * Needs a kernel with FAULT_INJECTION (make check-debug's); Debian's have
 * none, and the tests skip there.
 */
#ifndef RESMAP_FAULT_INJECT_H
#define RESMAP_FAULT_INJECT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAULT_DEBUGFS "/sys/kernel/debug"

/*
 * Count every allocation, including those that may sleep and highmem
 * (user) pages of any order, and say nothing when failing one: the test
 * bed fails the run on a stack dump.
 */
static inline int fault_inject_setup(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/verbose", "0" },
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
	};
	char path[128];

	if (access("/proc/thread-self/fail-nth", W_OK))
		return -1;
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s", knobs[i][0]);
		f = fopen(path, "w");
		if (!f)
			return -1;
		fputs(knobs[i][1], f);
		if (fclose(f))
			return -1;
	}
	return 0;
}

/* This thread's fail-nth, opened once: arming must not allocate. */
static inline int fail_nth_open(void)
{
	return open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
}

static inline void fail_nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* Disarm; true if the nth allocation was reached (and so failed). */
static inline bool fail_nth_disarm(int fd)
{
	char buf[16] = "";
	bool hit;

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	hit = strtoul(buf, NULL, 10) == 0;
	if (pwrite(fd, "0", 1, 0) != 1)
		abort();
	return hit;
}

#endif
