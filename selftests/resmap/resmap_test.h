/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the resmap tests: the commands as functions, and
 * what the kernel shows of their effects (faults, residency, maps, the
 * module's counters).
 */
#ifndef RESMAP_TEST_H
#define RESMAP_TEST_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/resmap.h>

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Reserve with RESERVE flags; the address, or NULL with errno set. */
static inline char *reserve_flags(int fd, size_t len, size_t align,
				  void *hint, unsigned int flags)
{
	struct resmap_reserve r;

	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)hint;
	r.len = len;
	r.align = align;
	r.flags = flags;
	if (ioctl(fd, RESMAP_IOC_RESERVE, &r))
		return NULL;
	return (char *)(unsigned long)r.addr;
}

static inline char *reserve(int fd, size_t len, size_t align, void *hint)
{
	return reserve_flags(fd, len, align, hint, 0);
}

static inline int resize_cmd(int fd, void *addr, size_t old_len,
			     size_t new_len, unsigned int flags)
{
	struct resmap_resize r;

	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)addr;
	r.old_len = old_len;
	r.new_len = new_len;
	r.flags = flags;
	return ioctl(fd, RESMAP_IOC_RESIZE, &r);
}

static inline int range_cmd(int fd, unsigned long cmd, void *addr, size_t len,
		     unsigned int flags)
{
	struct resmap_range r;

	memset(&r, 0, sizeof(r));
	r.addr = (unsigned long)addr;
	r.len = len;
	r.flags = flags;
	return ioctl(fd, cmd, &r);
}

/* The signal that touching @p kills a child with, or 0 if none. */
static inline int touch_signal(volatile char *p, int write)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static inline int resident(void *addr, size_t len)
{
	size_t n = len / page_size(), i;
	unsigned char vec[4096];
	int count = 0;

	if (n > sizeof(vec) || mincore(addr, len, vec))
		return -1;
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

/*
 * How /proc/self/maps names a reservation: a private mapping of a file of
 * its own, or, FORK_SHARE, of a shmem file.
 */
#define RESMAP_MAPS_NAME	" anon_inode:[resmap]"
#define RESMAP_MAPS_SHARED	" /resmap (deleted)"

static inline int is_resmap_line(const char *line)
{
	return strstr(line, RESMAP_MAPS_NAME) || strstr(line, RESMAP_MAPS_SHARED);
}

/* The line of /proc/self/maps that starts at @addr, or "". */
static inline void maps_line(void *addr, char *out, size_t len)
{
	char line[512], start[32];
	FILE *f = fopen("/proc/self/maps", "r");

	out[0] = 0;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start))) {
			snprintf(out, len, "%s", line);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* Node of each page of [p, p + n pages), by move_pages query; -errno if none. */
static inline int page_nodes(char *p, long n, int *node)
{
	void **pages = calloc(n, sizeof(*pages));
	long pg = page_size(), i;
	int ret;

	if (!pages)
		return -1;
	for (i = 0; i < n; i++)
		pages[i] = p + i * pg;
	ret = syscall(SYS_move_pages, 0, n, pages, NULL, node, 0);
	free(pages);
	return ret;
}

/* How many of the n pages at p are on @nid. */
static inline long pages_on(char *p, long n, int nid)
{
	int *node = calloc(n, sizeof(*node));
	long i, count = 0;

	if (!node || page_nodes(p, n, node)) {
		free(node);
		return -1;
	}
	for (i = 0; i < n; i++)
		count += node[i] == nid;
	free(node);
	return count;
}

static inline struct resmap_op op_of(unsigned int op, void *addr,
				     size_t len, unsigned int flags,
				     unsigned int place, unsigned int node,
				     unsigned long long nodes)
{
	struct resmap_op o;

	memset(&o, 0, sizeof(o));
	o.addr = (unsigned long)addr;
	o.len = len;
	o.op = op;
	o.flags = flags;
	o.place = place;
	o.node = node;
	o.nodes = nodes;
	return o;
}

static inline int batch(int fd, struct resmap_op *ops, unsigned int n,
		 unsigned int flags, unsigned int *done)
{
	struct resmap_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.ops = (unsigned long)ops;
	b.count = n;
	b.flags = flags;
	b.done = 0xdead;
	ret = ioctl(fd, RESMAP_IOC_BATCH, &b);
	if (done)
		*done = b.done;
	return ret;
}

/* One operation as a batch of one. */
static inline int op1(int fd, unsigned int op, void *addr, size_t len,
		      unsigned int flags, unsigned int place, unsigned int node,
		      unsigned long long nodes)
{
	struct resmap_op o = op_of(op, addr, len, flags, place, node, nodes);

	return batch(fd, &o, 1, 0, NULL);
}

/* The memory node the module calls pmem, or -1. */
static inline int pmem_node_of(int fd)
{
	struct resmap_node n[64];
	struct resmap_nodes a = { .nodes = (unsigned long)n, .count = 64 };
	int pmem = -1;

	if (ioctl(fd, RESMAP_IOC_NODES, &a))
		return -1;
	for (unsigned int i = 0; i < a.count && i < 64; i++)
		if (n[i].tier == RESMAP_TIER_PMEM)
			pmem = n[i].node;
	return pmem;
}

/* Run on CPU 0 (node 0 in the test bed), so the caller's node is known. */
static inline int pin_to_cpu0(void)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	return sched_setaffinity(0, sizeof(cpus), &cpus);
}

/* An address with @len bytes of free address space after it. */
static inline char *free_range(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

/* The line of /proc/self/status starting "@key:", as a number; -1 if none. */
static inline long status_kib(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

/* The module's counters, /sys/class/misc/resmap/<name>. */
struct resmap_counters {
	long files, reservations, vmas, committed_pages;
};

/* The number a file (sysfs, procfs) holds; -1 if it cannot be read. */
static inline long file_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/*
 * The selected word of a sysfs choice file such as shmem_enabled
 * ("always [never] force"), or "" if it cannot be read.
 */
static inline void sysfs_choice(const char *path, char *out, size_t len)
{
	char buf[256], *a, *b;
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		a = strchr(buf, '[');
		b = a ? strchr(a, ']') : NULL;
		if (b && (size_t)(b - a) < len) {
			*b = 0;
			snprintf(out, len, "%s", a + 1);
		}
	}
	fclose(f);
}

/* Write @s to a sysfs file: 0, or -1 with errno. */
static inline int sysfs_write(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%s\n", s);
	return fclose(f) ? -1 : 0;
}

/*
 * The sum of the kB figures of the lines of @path (meminfo, smaps) that
 * contain @key, e.g. "PmdMapped:" for FilePmdMapped and ShmemPmdMapped.
 */
static inline long file_key_kb(const char *path, const char *key)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, key))
			kb += strtol(strchr(line, ':') + 1, NULL, 10);
	fclose(f);
	return kb;
}

static inline long resmap_counter(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/resmap/%s", name);
	return file_long(path);
}

static inline struct resmap_counters resmap_counters(void)
{
	struct resmap_counters c = {
		.files = resmap_counter("files"),
		.reservations = resmap_counter("reservations"),
		.vmas = resmap_counter("vmas"),
		.committed_pages = resmap_counter("committed_pages"),
	};
	return c;
}

#endif
