/* SPDX-License-Identifier: GPL-2.0 */
/* Reading NUMA node facts from sysfs, shared by the tests and the demo. */
#ifndef RESMAP_NODEINFO_H
#define RESMAP_NODEINFO_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NODE_SYS "/sys/devices/system/node"

/* First line of @path without its newline; -1 if unreadable. */
static inline int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Parse a sysfs node list ("0-2,4") into in[0..max); how many are in it. */
static inline int node_list_parse(const char *s, int *in, int max)
{
	int a, b, n, count = 0;

	memset(in, 0, max * sizeof(*in));
	while (*s) {
		if (sscanf(s, "%d%n", &a, &n) != 1)
			break;
		s += n;
		b = a;
		if (*s == '-' && sscanf(s + 1, "%d%n", &b, &n) == 1)
			s += 1 + n;
		for (; a <= b && a < max; a++, count++)
			in[a] = 1;
		if (*s == ',')
			s++;
	}
	return count;
}

/* Whether @node has CPUs (an empty cpulist reads as a bare newline). */
static inline int node_has_cpu(int node)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path), NODE_SYS "/node%d/cpulist", node);
	return read_line(path, buf, sizeof(buf)) == 0 && buf[0];
}

/* A node's meminfo value in KiB ("MemTotal", "MemFree", ...); -1 if none. */
static inline long node_meminfo_kib(int node, const char *key)
{
	char path[128], line[256], name[64];
	long kib;
	FILE *f;

	snprintf(path, sizeof(path), NODE_SYS "/node%d/meminfo", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d %63[^:]: %ld kB", name, &kib) == 2 &&
		    !strcmp(name, key)) {
			fclose(f);
			return kib;
		}
	}
	fclose(f);
	return -1;
}

/*
 * A node's free memory in KiB as the page allocator has it: MemFree plus
 * the pages resting in the per-CPU free lists, which MemFree leaves out
 * (6.7+ tunes those lists up to tens of MiB after a large free).
 */
static inline long node_free_kib(int node)
{
	long free = node_meminfo_kib(node, "MemFree"), pages = 0, v;
	char line[256];
	int cur = -1, n;
	FILE *f;

	if (free < 0)
		return -1;
	f = fopen("/proc/zoneinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &n) == 1)
			cur = n;
		else if (cur == node && sscanf(line, " count: %ld", &v) == 1)
			pages += v;
	}
	if (f)
		fclose(f);
	return free + pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Shrink every slab cache: empty slabs go back to the page allocator and,
 * on a KASAN kernel, so do the freed objects it holds in quarantine
 * (tens of MiB after a busy test).  Call before reading free memory that
 * is compared with another reading, so both see only what is in use.
 * Leaked slab objects are kmemleak's to find.  Needs root; a no-op
 * without /sys/kernel/slab.
 */
static inline void slab_caches_shrink(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[300];
	bool done;
	int fd;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type == DT_LNK)	/* aliases */
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		done = write(fd, "1", 1) == 1;
		close(fd);
		if (!done)	/* not root: none will shrink */
			break;
	}
	if (d)
		closedir(d);
}

/* Free memory of all nodes together, in KiB, as node_free_kib() has it. */
static inline long all_nodes_free_kib(void)
{
	long sum = 0, v;

	for (int node = 0; node < 64; node++) {
		v = node_free_kib(node);
		if (v > 0)
			sum += v;
	}
	return sum;
}

#endif
