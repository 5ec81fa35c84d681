// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resmapctl: what resmap.ko and the processes using it are doing.
 *
 *   resmapctl [--json] nodes                  memory nodes: tier, size, free, distances
 *   resmapctl [--json] tiers                  the module's tiers and the kernel's
 *   resmapctl [--json] stats [PID]            module counters; PID's reservations
 *   resmapctl [--json] where PID ADDR [LEN]   which node each page is on
 *   resmapctl [--json] move PID ADDR LEN TIER move pages to a tier (dram, pmem, rankN,
 *                                             a tier number) or node:N
 *
 * C11 on <linux/resmap.h>, sysfs and procfs, with no library beyond libc,
 * so that the same binary runs on a host and in the busybox test bed.
 * Another process's pages are read and moved with move_pages(2), which
 * the kernel permission-checks exactly as migrate_pages(2) (ptrace read
 * access to the target; CAP_SYS_NICE to move pages shared with others is
 * not asked for).  The module's own queries act only on the caller's
 * memory, so they serve the node table and nothing per process.
 *
 * Exit status: 0 success, 1 failure, 64 usage (EX_USAGE), 69 the module
 * is not loaded (EX_UNAVAILABLE), 77 permission denied (EX_NOPERM).
 * Documentation/man/resmapctl.8.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempolicy.h>
#include <linux/resmap.h>

#ifndef RESMAPCTL_VERSION
#define RESMAPCTL_VERSION "0.1.0"
#endif

#define EXIT_USAGE	64
#define EXIT_NOMODULE	69
#define EXIT_NOPERM	77

#define MAX_NODES	1024	/* RESMAP_IOC_RESIDENCY's limit, and MAX_NUMNODES' */
#define MOVE_CHUNK	4096	/* pages per move_pages(2) call */
#define SYSFS_MODULE	"/sys/class/misc/resmap"
#define SYSFS_NODES	"/sys/devices/system/node"
#define SYSFS_TIERING	"/sys/devices/virtual/memory_tiering"

static bool json;
static long page_size;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("resmapctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* The status an errno from opening something maps to. */
static int errno_status(int err)
{
	if (err == EACCES || err == EPERM)
		return EXIT_NOPERM;
	return 1;
}

static void __attribute__((noreturn)) no_module(const char *path)
{
	die(EXIT_NOMODULE, "%s: %s: the resmap module is not loaded "
	    "(load it with 'modprobe resmap' or 'insmod resmap.ko')",
	    path, strerror(errno));
}

static int open_device(void)
{
	int fd = open(RESMAP_DEVICE, O_RDONLY | O_CLOEXEC);
	struct resmap_version v = { 0 };

	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			no_module(RESMAP_DEVICE);
		die(errno_status(errno), "%s: %s", RESMAP_DEVICE, strerror(errno));
	}
	if (ioctl(fd, RESMAP_IOC_VERSION, &v) < 0)
		die(1, "%s: not a resmap device: %s", RESMAP_DEVICE, strerror(errno));
	if (v.abi_version != RESMAP_ABI_VERSION)
		die(1, "%s: ABI version %u, resmapctl speaks %u", RESMAP_DEVICE,
		    v.abi_version, RESMAP_ABI_VERSION);
	return fd;
}

/* The first line of a sysfs or procfs file, without its newline. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A node list such as "0-1,3" into set[]; returns how many, or -1. */
static int parse_nodelist(const char *s, bool *set)
{
	int n = 0;

	memset(set, 0, MAX_NODES * sizeof(*set));
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (a > b || b >= MAX_NODES)
			return -1;
		for (; a <= b; a++, n++)
			set[a] = true;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return n;
}

static void print_nodelist(const bool *set)
{
	bool first = true;

	for (int i = 0; i < MAX_NODES; i++) {
		if (!set[i])
			continue;
		printf("%s%d", first ? "" : ",", i);
		first = false;
	}
	if (first && !json)
		printf("-");
}

/* Bytes as a person reads them ("1.5 GiB"), or exactly in JSON. */
static const char *fmt_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	if (json) {
		snprintf(buf, size, "%" PRIu64, bytes);
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
	return buf;
}

static void print_bytes(uint64_t bytes)
{
	char buf[32];

	fputs(fmt_bytes(buf, sizeof(buf), bytes), stdout);
}

/* A tier's name by rank: dram (the top), pmem (the slowest), or rankN. */
static const char *rank_name(char *buf, size_t size, uint32_t rank,
			     uint32_t nr_tiers)
{
	if (!rank)
		return "dram";
	if (rank + 1 == nr_tiers)
		return "pmem";
	snprintf(buf, size, "rank%u", rank);
	return buf;
}

struct nodes {
	struct resmap_node *n;
	uint32_t count;
	uint32_t caller_node;
};

/*
 * The memory nodes with their tier ranks.  A module from before ranks
 * (EINVAL for RESMAP_NODES_RANKS) has DRAM and PMEM only: rank 0 and 1.
 */
static void get_nodes(struct nodes *out)
{
	int fd = open_device();
	struct resmap_nodes a = { .flags = RESMAP_NODES_RANKS };
	uint32_t room;

	if (ioctl(fd, RESMAP_IOC_NODES, &a) < 0) {
		if (errno != EINVAL)
			die(1, "RESMAP_IOC_NODES: %s", strerror(errno));
		a.flags = 0;
		if (ioctl(fd, RESMAP_IOC_NODES, &a) < 0)
			die(1, "RESMAP_IOC_NODES: %s", strerror(errno));
	}
	room = a.count ? a.count : 1;
	out->n = calloc(room, sizeof(*out->n));
	if (!out->n)
		die(1, "out of memory");
	a.nodes = (uintptr_t)out->n;
	a.count = room;
	if (ioctl(fd, RESMAP_IOC_NODES, &a) < 0)
		die(1, "RESMAP_IOC_NODES: %s", strerror(errno));
	/* A node brought online between the two calls is not reported. */
	out->count = a.count < room ? a.count : room;
	for (uint32_t i = 0; !a.flags && i < out->count; i++) {
		struct resmap_node *n = &out->n[i];

		n->rank = n->tier == RESMAP_TIER_PMEM;
		n->nr_tiers = 1;
		for (uint32_t j = 0; j < out->count; j++)
			if (out->n[j].tier == RESMAP_TIER_PMEM)
				n->nr_tiers = 2;
	}
	out->caller_node = a.caller_node;
	close(fd);
}

/* The kernel's distances from node @from to every online node. */
static int node_distances(unsigned int from, int *dist)
{
	char path[64], buf[4096], *s = buf;
	bool online[MAX_NODES];
	int n = 0;

	for (int i = 0; i < MAX_NODES; i++)
		dist[i] = -1;
	if (read_line(SYSFS_NODES "/online", buf, sizeof(buf)) < 0 ||
	    parse_nodelist(buf, online) < 0)
		return -1;
	snprintf(path, sizeof(path), SYSFS_NODES "/node%u/distance", from);
	if (read_line(path, buf, sizeof(buf)) < 0)
		return -1;
	for (int i = 0; i < MAX_NODES; i++) {
		char *end;

		if (!online[i])
			continue;
		dist[i] = (int)strtol(s, &end, 10);
		if (end == s)
			return -1;
		s = end;
		n++;
	}
	return n;
}

static int cmd_nodes(void)
{
	struct nodes ns;
	static int dist[MAX_NODES];

	get_nodes(&ns);
	if (json)
		printf("{\"caller_node\":%u,\"nodes\":[", ns.caller_node);
	else
		printf("%-5s %-10s %-4s %12s %12s  %s\n", "node", "tier", "cpus",
		       "total", "free", "distances (node:distance)");
	for (uint32_t i = 0; i < ns.count; i++) {
		const struct resmap_node *n = &ns.n[i];
		bool cpu = n->flags & RESMAP_NODE_HAS_CPU;
		bool first = true;
		char rname[16];
		const char *name = rank_name(rname, sizeof(rname), n->rank,
					     n->nr_tiers);

		node_distances(n->node, dist);
		if (json) {
			printf("%s{\"node\":%u,\"tier\":%u,\"tier_name\":\"%s\","
			       "\"rank\":%u,\"nr_tiers\":%u,"
			       "\"cpus\":%s,\"total_bytes\":",
			       i ? "," : "", n->node, n->tier, name, n->rank,
			       n->nr_tiers, cpu ? "true" : "false");
			print_bytes(n->total_pages * page_size);
			printf(",\"free_bytes\":");
			print_bytes(n->free_pages * page_size);
			printf(",\"distance\":%u,\"distances\":{", n->distance);
			for (int d = 0; d < MAX_NODES; d++) {
				if (dist[d] < 0)
					continue;
				printf("%s\"%d\":%d", first ? "" : ",", d, dist[d]);
				first = false;
			}
			printf("}}");
			continue;
		}
		char tier[32], total[32], free_[32];

		snprintf(tier, sizeof(tier), "%u %s", n->rank, name);
		fmt_bytes(total, sizeof(total), n->total_pages * page_size);
		fmt_bytes(free_, sizeof(free_), n->free_pages * page_size);
		printf("%-5u %-10s %-4s %12s %12s ", n->node, tier,
		       cpu ? "yes" : "no", total, free_);
		for (int d = 0; d < MAX_NODES; d++)
			if (dist[d] >= 0)
				printf(" %d:%d", d, dist[d]);
		printf("\n");
	}
	if (json)
		printf("]}\n");
	else
		printf("caller's node: %u\n", ns.caller_node);
	return 0;
}

static int cmd_tiers(void)
{
	struct nodes ns;
	uint32_t nr_tiers = 0;
	static bool set[MAX_NODES];
	DIR *d;
	struct dirent *e;
	int first = 1;

	get_nodes(&ns);
	if (ns.count)
		nr_tiers = ns.n[0].nr_tiers;
	if (json)
		printf("{\"nr_tiers\":%u,\"tiers\":[", nr_tiers);
	else
		printf("resmap tiers (fastest first):\n");
	for (uint32_t r = 0; r < nr_tiers; r++) {
		uint64_t total = 0, free_ = 0;
		bool any = false;
		char rname[16];
		const char *name = rank_name(rname, sizeof(rname), r, nr_tiers);
		uint32_t t = 0;

		memset(set, 0, sizeof(set));
		for (uint32_t i = 0; i < ns.count; i++) {
			if (ns.n[i].rank != r)
				continue;
			t = ns.n[i].tier;
			set[ns.n[i].node] = any = true;
			total += ns.n[i].total_pages * page_size;
			free_ += ns.n[i].free_pages * page_size;
		}
		if (!any)
			continue;
		if (json) {
			printf("%s{\"rank\":%u,\"tier\":%u,\"name\":\"%s\",\"nodes\":[",
			       first ? "" : ",", r, t, name);
			print_nodelist(set);
			printf("],\"total_bytes\":%" PRIu64 ",\"free_bytes\":%"
			       PRIu64 "}", total, free_);
		} else {
			printf("  rank %u %-6s nodes ", r, name);
			print_nodelist(set);
			printf("  total ");
			print_bytes(total);
			printf("  free ");
			print_bytes(free_);
			printf("\n");
		}
		first = 0;
	}
	/* The kernel's own ranking, by abstract distance (lower is faster). */
	if (json)
		printf("],\"kernel_tiers\":[");
	else
		printf("kernel memory tiers (%s):\n", SYSFS_TIERING);
	first = 1;
	d = opendir(SYSFS_TIERING);
	if (d) {
		int ids[MAX_NODES], n = 0;

		while ((e = readdir(d)) && n < MAX_NODES) {
			int id;

			if (sscanf(e->d_name, "memory_tier%d", &id) == 1)
				ids[n++] = id;
		}
		closedir(d);
		for (int i = 1; i < n; i++)	/* insertion sort: a few tiers */
			for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
				int t = ids[j];

				ids[j] = ids[j - 1];
				ids[j - 1] = t;
			}
		for (int i = 0; i < n; i++) {
			char path[128], buf[4096];

			snprintf(path, sizeof(path),
				 SYSFS_TIERING "/memory_tier%d/nodelist", ids[i]);
			if (read_line(path, buf, sizeof(buf)) < 0 ||
			    parse_nodelist(buf, set) < 0)
				continue;
			if (json) {
				printf("%s{\"id\":%d,\"nodes\":[", first ? "" : ",", ids[i]);
				print_nodelist(set);
				printf("]}");
			} else {
				printf("  memory_tier%-4d nodes ", ids[i]);
				print_nodelist(set);
				printf("\n");
			}
			first = 0;
		}
	}
	if (json)
		printf("]}\n");
	else if (first)
		printf("  none (kernel without memory tiering)\n");
	return 0;
}

/* One resmap reservation mapping of a process, from /proc/PID/maps. */
struct resv {
	uint64_t start, end;
	char perms[8];
	uint64_t resident[MAX_NODES];	/* pages, from numa_maps */
	uint64_t resident_pages;
	uint64_t pagesize;
	int64_t committed;		/* bytes, from fdinfo; -1 unknown */
};

struct resvs {
	struct resv *v;
	size_t n;
};

static bool is_resmap_mapping(const char *path)
{
	return !strcmp(path, "anon_inode:[resmap]") ||
	       !strcmp(path, "/resmap (deleted)");
}

static void proc_open_fail(const char *path, pid_t pid)
{
	if (errno == ENOENT)
		die(1, "no process %d", (int)pid);
	die(errno_status(errno), "%s: %s", path, strerror(errno));
}

/*
 * Committed bytes per mapping, from the fdinfo of a /dev/resmap
 * descriptor that @pid opened itself (resmap_owner is @pid): the module
 * lists the opener's reservation VMAs there (resmap(4)).  Readable with
 * ptrace read access to @pid, as /proc/PID/fdinfo is.  Without such a
 * descriptor (closed, or only inherited) the bytes stay unknown.
 */
static void get_committed(pid_t pid, struct resvs *rs)
{
	char path[300], target[64], line[256];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		bool mine = false;
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, RESMAP_DEVICE))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long s, end, bytes;
			int owner;

			if (sscanf(line, "resmap_owner: %d", &owner) == 1)
				mine = owner == (int)pid;
			if (!mine || sscanf(line, "resmap_mapping: %llx-%llx %llu",
					    &s, &end, &bytes) != 3)
				continue;
			for (size_t i = 0; i < rs->n; i++)
				if (rs->v[i].start == s && rs->v[i].end == end)
					rs->v[i].committed = (int64_t)bytes;
		}
		fclose(f);
		if (mine)
			break;
	}
	closedir(d);
}

static void get_resvs(pid_t pid, struct resvs *out)
{
	char path[64], line[4096];
	FILE *f;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		proc_open_fail(path, pid);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char perms[8];
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, perms, &off) < 3 ||
		    !off || !is_resmap_mapping(line + off))
			continue;
		struct resv *v = realloc(out->v, (out->n + 1) * sizeof(*v));

		if (!v)
			die(1, "out of memory");
		out->v = v;
		v = &out->v[out->n++];
		memset(v, 0, sizeof(*v));
		v->start = s;
		v->end = e;
		v->pagesize = page_size;
		v->committed = -1;
		snprintf(v->perms, sizeof(v->perms), "%s", perms);
	}
	fclose(f);
	get_committed(pid, out);

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !access("/proc/self/numa_maps", F_OK))
			proc_open_fail(path, pid);
		if (errno != ENOENT)
			proc_open_fail(path, pid);
		return;	/* a kernel without NUMA: nothing per node */
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s = strtoull(line, NULL, 16);
		struct resv *v = NULL;

		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].start == s)
				v = &out->v[i];
		if (!v)
			continue;
		for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
			unsigned int node;
			unsigned long long pages, kb;

			if (sscanf(tok, "N%u=%llu", &node, &pages) == 2 && node < MAX_NODES) {
				v->resident[node] = pages;
				v->resident_pages += pages;
			} else if (sscanf(tok, "kernelpagesize_kB=%llu", &kb) == 1) {
				v->pagesize = kb * 1024;
			}
		}
	}
	fclose(f);
}

static void print_by_node(const uint64_t *pages, uint64_t unit)
{
	bool first = true;

	for (int i = 0; i < MAX_NODES; i++) {
		if (!pages[i])
			continue;
		if (json) {
			printf("%s\"%d\":%" PRIu64, first ? "" : ",", i, pages[i] * unit);
		} else {
			printf("%snode %d: ", first ? "" : ", ", i);
			print_bytes(pages[i] * unit);
		}
		first = false;
	}
	if (first && !json)
		printf("none");
}

/* Bytes, or null (JSON) / "unknown" where they could not be read. */
static void print_maybe(int64_t bytes)
{
	if (bytes >= 0)
		json ? (void)printf("%" PRId64, bytes) : print_bytes((uint64_t)bytes);
	else
		fputs(json ? "null" : "unknown", stdout);
}

static const char *const counters[] = {
	"files", "reservations", "vmas", "committed_pages",
};

static pid_t parse_pid(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v <= 0 || v > INT32_MAX)
		die(EXIT_USAGE, "'%s' is not a process id", s);
	return (pid_t)v;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end || errno || s[0] == '-')
		die(EXIT_USAGE, "'%s' is not a valid %s", s, what);
	return v;
}

static int cmd_stats(int argc, char **argv)
{
	uint64_t val[4];
	char path[128], buf[64];
	struct resvs rs = { 0 };
	static uint64_t total[MAX_NODES];
	uint64_t size = 0, resident = 0;
	int64_t committed = 0;
	pid_t pid = 0;

	if (argc > 1)
		die(EXIT_USAGE, "usage: resmapctl stats [PID]");
	if (argc == 1)
		pid = parse_pid(argv[0]);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), SYSFS_MODULE "/%s", counters[i]);
		if (read_line(path, buf, sizeof(buf)) < 0) {
			if (access(SYSFS_MODULE, F_OK) && errno == ENOENT)
				no_module(SYSFS_MODULE);
			die(1, "%s: %s", path, strerror(errno));
		}
		val[i] = strtoull(buf, NULL, 10);
	}
	if (pid)
		get_resvs(pid, &rs);

	if (json) {
		printf("{\"module\":{");
		for (int i = 0; i < 4; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "", counters[i], val[i]);
		printf(",\"committed_bytes\":%" PRIu64 "}", val[3] * page_size);
	} else {
		printf("module (%s):\n", SYSFS_MODULE);
		for (int i = 0; i < 4; i++)
			printf("  %-16s %" PRIu64 "\n", counters[i], val[i]);
		printf("  %-16s ", "committed");
		print_bytes(val[3] * page_size);
		printf("\n");
	}
	if (!pid) {
		if (json)
			printf("}\n");
		return 0;
	}
	if (json)
		printf(",\"pid\":%d,\"reservations\":[", (int)pid);
	else
		printf("process %d: %zu reservation mapping%s\n", (int)pid, rs.n,
		       rs.n == 1 ? "" : "s");
	for (size_t i = 0; i < rs.n; i++) {
		const struct resv *v = &rs.v[i];

		size += v->end - v->start;
		resident += v->resident_pages * v->pagesize;
		if (v->committed < 0 || committed < 0)
			committed = -1;
		else
			committed += v->committed;
		for (int n = 0; n < MAX_NODES; n++)
			total[n] += v->resident[n] * (v->pagesize / page_size);
		if (json) {
			printf("%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			       "\",\"perms\":\"%s\",\"size\":%" PRIu64
			       ",\"committed_bytes\":", i ? "," : "", v->start,
			       v->end, v->perms, v->end - v->start);
			print_maybe(v->committed);
			printf(",\"resident_bytes\":%" PRIu64 ",\"resident_by_node\":{",
			       v->resident_pages * v->pagesize);
			print_by_node(v->resident, v->pagesize);
			printf("}}");
		} else {
			printf("  %" PRIx64 "-%" PRIx64 " %s  size ", v->start,
			       v->end, v->perms);
			print_bytes(v->end - v->start);
			printf("  committed ");
			print_maybe(v->committed);
			printf("  resident ");
			print_bytes(v->resident_pages * v->pagesize);
			printf(" (");
			print_by_node(v->resident, v->pagesize);
			printf(")\n");
		}
	}
	if (json) {
		printf("],\"reserved_bytes\":%" PRIu64 ",\"committed_bytes\":", size);
		print_maybe(committed);
		printf(",\"resident_bytes\":%" PRIu64 ",\"resident_by_node\":{",
		       resident);
		print_by_node(total, page_size);
		printf("}}\n");
	} else {
		printf("  total: reserved ");
		print_bytes(size);
		printf(", committed ");
		print_maybe(committed);
		printf(", resident ");
		print_bytes(resident);
		printf(" (");
		print_by_node(total, page_size);
		printf(")\n");
	}
	free(rs.v);
	return 0;
}

/* The reservation mapping holding [addr, addr + len), or die. */
static const struct resv *find_resv(const struct resvs *rs, pid_t pid,
				    uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (addr % page_size || !len || len % page_size || end < addr)
		die(EXIT_USAGE, "ADDR and LEN must be page aligned (%ld) and LEN non-zero",
		    page_size);
	/* Adjacent mappings of one reservation may be split: walk them. */
	for (size_t i = 0; i < rs->n; i++) {
		uint64_t at = rs->v[i].end;

		if (rs->v[i].start > addr || at <= addr)
			continue;
		for (size_t j = i + 1; at < end && j < rs->n && rs->v[j].start == at; j++)
			at = rs->v[j].end;
		if (at >= end)
			return &rs->v[i];
		break;
	}
	die(1, "0x%" PRIx64 "-0x%" PRIx64 " is not inside resmap reservations of "
	    "process %d", addr, end, (int)pid);
}

/* move_pages(2), which glibc does not wrap. */
static long sys_move_pages(pid_t pid, unsigned long count, void **pages,
			   const int *nodes, int *status, int flags)
{
	return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

struct where {
	uint64_t on[MAX_NODES];
	uint64_t absent;
	uint64_t failed;
};

/* Query (nodes NULL) or move the pages of a range, counting the outcome. */
static void walk_pages(pid_t pid, uint64_t addr, uint64_t len, int target,
		       struct where *w)
{
	static void *pages[MOVE_CHUNK];
	static int status[MOVE_CHUNK], nodes[MOVE_CHUNK];
	uint64_t n = len / page_size;

	memset(w, 0, sizeof(*w));
	for (uint64_t done = 0; done < n;) {
		unsigned long c = n - done > MOVE_CHUNK ? MOVE_CHUNK : n - done;

		for (unsigned long i = 0; i < c; i++) {
			pages[i] = (void *)(uintptr_t)(addr + (done + i) * page_size);
			nodes[i] = target;
		}
		if (sys_move_pages(pid, c, pages, target < 0 ? NULL : nodes,
				   status, target < 0 ? 0 : MPOL_MF_MOVE) < 0) {
			if (errno == EPERM || errno == EACCES)
				die(EXIT_NOPERM, "move_pages(%d): %s (the same rules as "
				    "migrate_pages(2): same user, or CAP_SYS_NICE)",
				    (int)pid, strerror(errno));
			if (errno == ESRCH)
				die(1, "no process %d", (int)pid);
			die(1, "move_pages(%d): %s", (int)pid, strerror(errno));
		}
		for (unsigned long i = 0; i < c; i++) {
			if (status[i] >= 0 && status[i] < MAX_NODES)
				w->on[status[i]]++;
			else if (status[i] == -ENOENT || status[i] == -EFAULT)
				w->absent++;	/* never touched, or not committed */
			else
				w->failed++;
		}
		done += c;
	}
}

static void print_where(const struct where *w)
{
	bool first = true;

	if (json) {
		printf("\"pages_by_node\":{");
		for (int i = 0; i < MAX_NODES; i++) {
			if (!w->on[i])
				continue;
			printf("%s\"%d\":%" PRIu64, first ? "" : ",", i, w->on[i]);
			first = false;
		}
		printf("},\"not_present\":%" PRIu64 ",\"failed\":%" PRIu64,
		       w->absent, w->failed);
		return;
	}
	for (int i = 0; i < MAX_NODES; i++) {
		if (!w->on[i])
			continue;
		printf("  node %d: %" PRIu64 " pages\n", i, w->on[i]);
	}
	printf("  not present: %" PRIu64 " pages\n", w->absent);
	if (w->failed)
		printf("  failed: %" PRIu64 " pages\n", w->failed);
}

static int cmd_where(int argc, char **argv)
{
	struct resvs rs;
	struct where w;
	const struct resv *v;
	pid_t pid;
	uint64_t addr, len;

	if (argc < 2 || argc > 3)
		die(EXIT_USAGE, "usage: resmapctl where PID ADDR [LEN]");
	pid = parse_pid(argv[0]);
	addr = parse_u64(argv[1], "address");
	len = argc == 3 ? parse_u64(argv[2], "length") : (uint64_t)page_size;
	addr -= addr % page_size;
	get_resvs(pid, &rs);
	v = find_resv(&rs, pid, addr, len);
	walk_pages(pid, addr, len, -1, &w);
	if (json) {
		printf("{\"pid\":%d,\"addr\":\"0x%" PRIx64 "\",\"len\":%" PRIu64
		       ",\"reservation\":{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%"
		       PRIx64 "\"},", (int)pid, addr, len, v->start, v->end);
		print_where(&w);
		printf("}\n");
	} else {
		printf("process %d, 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
		       " pages) in reservation %" PRIx64 "-%" PRIx64 ":\n",
		       (int)pid, addr, addr + len, len / page_size, v->start, v->end);
		print_where(&w);
	}
	free(rs.v);
	return 0;
}

#define TIER_USAGE "want dram, pmem, rankN, a tier number or node:N"

/*
 * TIER: dram (the top tier), pmem (the slowest), rankN, a tier number
 * as the ABI has it (1 dram, 2 pmem, RESMAP_TIER_RANK(n)), or node:N.
 * Returns the node to use; *@rank_out is its tier's rank.
 */
static int pick_node(const char *arg, uint64_t pages, uint32_t *rank_out,
		     uint32_t *nr_out)
{
	struct nodes ns;
	uint32_t rank, tier, nr;
	int best = -1;
	char *end;

	get_nodes(&ns);
	nr = ns.count ? ns.n[0].nr_tiers : 0;
	*nr_out = nr;
	if (!strncmp(arg, "node:", 5) || !strncmp(arg, "node", 4)) {
		const char *s = arg + (arg[4] == ':' ? 5 : 4);
		long node = strtol(s, &end, 10);

		if (end == s || *end || node < 0)
			die(EXIT_USAGE, "'%s': " TIER_USAGE, arg);
		for (uint32_t i = 0; i < ns.count; i++)
			if (ns.n[i].node == (uint32_t)node) {
				*rank_out = ns.n[i].rank;
				free(ns.n);
				return (int)node;
			}
		die(1, "node %ld has no memory", node);
	}
	if (!strncmp(arg, "rank", 4)) {
		rank = (uint32_t)strtoul(arg + 4, &end, 10);
		if (end == arg + 4 || *end)
			die(EXIT_USAGE, "'%s': " TIER_USAGE, arg);
	} else {
		if (!strcmp(arg, "dram")) {
			tier = RESMAP_TIER_DRAM;
		} else if (!strcmp(arg, "pmem")) {
			tier = RESMAP_TIER_PMEM;
		} else {
			tier = (uint32_t)strtoul(arg, &end, 10);
			if (end == arg || *end)
				die(EXIT_USAGE, "'%s': " TIER_USAGE, arg);
		}
		if (tier == RESMAP_TIER_DRAM)
			rank = 0;
		else if (tier == RESMAP_TIER_PMEM)	/* none in one tier */
			rank = nr >= 2 ? nr - 1 : UINT32_MAX;
		else if (RESMAP_TIER_IS_RANK(tier))
			rank = tier - RESMAP_TIER_RANK_BASE;
		else
			die(EXIT_USAGE, "'%s': " TIER_USAGE, arg);
	}
	/* As RESMAP_PLACE_TIER: the tier's node nearest the caller with room. */
	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (uint32_t i = 0; i < ns.count; i++) {
			const struct resmap_node *n = &ns.n[i];

			if (n->rank != rank || (!pass && n->free_pages < pages))
				continue;
			if (best < 0 || n->distance < ns.n[best].distance)
				best = (int)i;
		}
	if (best < 0)
		die(1, "tier %s has no memory node", arg);
	*rank_out = rank;
	best = (int)ns.n[best].node;
	free(ns.n);
	return best;
}

static int cmd_move(int argc, char **argv)
{
	struct resvs rs;
	struct where before, after;
	pid_t pid;
	uint64_t addr, len, moved;
	uint32_t rank, nr;
	char rname[16];
	int node;

	if (argc != 4)
		die(EXIT_USAGE, "usage: resmapctl move PID ADDR LEN TIER");
	pid = parse_pid(argv[0]);
	addr = parse_u64(argv[1], "address");
	len = parse_u64(argv[2], "length");
	get_resvs(pid, &rs);
	find_resv(&rs, pid, addr, len);
	node = pick_node(argv[3], len / page_size, &rank, &nr);
	walk_pages(pid, addr, len, -1, &before);
	walk_pages(pid, addr, len, node, &after);
	moved = after.on[node] - before.on[node];
	if (after.on[node] < before.on[node])
		moved = 0;
	if (json) {
		printf("{\"pid\":%d,\"addr\":\"0x%" PRIx64 "\",\"len\":%" PRIu64
		       ",\"rank\":%u,\"tier_name\":\"%s\",\"node\":%d,\"moved\":%"
		       PRIu64 ",", (int)pid, addr, len, rank,
		       rank_name(rname, sizeof(rname), rank, nr), node, moved);
		print_where(&after);
		printf("}\n");
	} else {
		printf("process %d, 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64
		       " pages moved to node %d (rank %u %s)\n", (int)pid, addr,
		       addr + len, moved, node, rank,
		       rank_name(rname, sizeof(rname), rank, nr));
		print_where(&after);
	}
	free(rs.v);
	/* Pages that could not move (busy, no room) fail the command. */
	return after.failed ? 1 : 0;
}

static void usage(FILE *f)
{
	fputs("usage: resmapctl [--json] COMMAND [ARGS]\n"
	      "  nodes                    memory nodes: tier, size, free, distances\n"
	      "  tiers                    resmap's tiers and the kernel's memory tiers\n"
	      "  stats [PID]              module counters; PID's reservations, committed\n"
	      "                           bytes, resident bytes per node\n"
	      "  where PID ADDR [LEN]     the node of each page of a reservation range\n"
	      "  move PID ADDR LEN TIER   move the range's pages to TIER (dram, pmem,\n"
	      "                           rankN, a tier number, or node:N)\n"
	      "options: --json (machine-readable output), --help, --version\n"
	      "exit: 0 ok, 1 failure, 64 usage, 69 module not loaded, 77 no permission\n"
	      "see resmapctl(8)\n", f);
}

int main(int argc, char **argv)
{
	int i = 1;

	page_size = sysconf(_SC_PAGESIZE);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("resmapctl %s (resmap ABI %d)\n", RESMAPCTL_VERSION,
			       RESMAP_ABI_VERSION);
			return 0;
		} else {
			fprintf(stderr, "resmapctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= i + 1;
	argv += i + 1;
	if (!strcmp(argv[-1], "nodes") && !argc)
		return cmd_nodes();
	if (!strcmp(argv[-1], "tiers") && !argc)
		return cmd_tiers();
	if (!strcmp(argv[-1], "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(argv[-1], "where"))
		return cmd_where(argc, argv);
	if (!strcmp(argv[-1], "move"))
		return cmd_move(argc, argv);
	fprintf(stderr, "resmapctl: unknown command or arguments '%s'\n", argv[-1]);
	usage(stderr);
	return EXIT_USAGE;
}
