// SPDX-License-Identifier: GPL-2.0
/*
 * resmap-demo: what "make demo" runs in the test bed.  Asks the module
 * for its ABI and features, lists the memory nodes as the module sees
 * them (DRAM, and CPU-less pmem/CXL memory brought up by dax kmem), grows
 * a block in place (reserve, commit, grow, grow past the end of the
 * reservation, ENOSPC rather than a move), then places a block on DRAM
 * and moves it to the pmem tier without changing its address.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "nodeinfo.h"
#include "resmap_test.h"

static int fail(const char *what)
{
	fprintf(stderr, "resmap-demo: %s: %s\n", what, strerror(errno));
	return 1;
}

static int show_nodes(int fd)
{
	struct resmap_node n[64];
	struct resmap_nodes a = { .nodes = (unsigned long)n, .count = 64 };
	char path[128], cpus[256];
	unsigned int i;

	if (ioctl(fd, RESMAP_IOC_NODES, &a))
		return fail("RESMAP_IOC_NODES");
	printf("\nmemory nodes (this CPU is on node %u):\n", a.caller_node);
	printf("%-5s %-5s %10s %10s %9s %s\n", "node", "tier", "total MiB",
	       "free MiB", "distance", "cpus");
	for (i = 0; i < a.count && i < 64; i++) {
		snprintf(path, sizeof(path), NODE_SYS "/node%u/cpulist",
			 n[i].node);
		read_line(path, cpus, sizeof(cpus));
		printf("%-5u %-5s %10llu %10llu %9u %s\n", n[i].node,
		       n[i].tier == RESMAP_TIER_DRAM ? "DRAM" : "pmem",
		       n[i].total_pages * page_size() >> 20,
		       n[i].free_pages * page_size() >> 20, n[i].distance,
		       cpus[0] ? cpus : "-");
	}
	return 0;
}

static int grow_in_place(int fd)
{
	size_t mib = 1 << 20;
	char *h = free_range(96 * mib), *p, *wall;

	printf("\ngrowing a block in place:\n");
	p = reserve(fd, 16 * mib, 0, h);
	if (!p)
		return fail("RESMAP_IOC_RESERVE");
	printf("  reserved 16 MiB at %p (no memory used yet)\n", (void *)p);
	if (range_cmd(fd, RESMAP_IOC_COMMIT, p, mib, 0))
		return fail("RESMAP_IOC_COMMIT");
	strcpy(p, "hello");
	printf("  committed 1 MiB and wrote \"%s\"\n", p);
	if (resize_cmd(fd, p, mib, 16 * mib, 0))
		return fail("RESMAP_IOC_RESIZE");
	printf("  grew to 16 MiB: still at %p, still \"%s\"\n", (void *)p, p);
	if (resize_cmd(fd, p, 16 * mib, 64 * mib, 0))
		return fail("RESMAP_IOC_RESIZE past the end");
	p[64 * mib - 1] = 1;
	printf("  grew to 64 MiB past the reservation's end: still at %p, \"%s\"\n",
	       (void *)p, p);
	wall = mmap(p + 80 * mib, mib, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED_NOREPLACE, -1, 0);
	if (wall == MAP_FAILED)
		return fail("mmap");
	if (!resize_cmd(fd, p, 64 * mib, 96 * mib, 0) || errno != ENOSPC)
		return fail("expected ENOSPC");
	printf("  growing to 96 MiB would hit a mapping at +80 MiB: ENOSPC, nothing moved (\"%s\")\n",
	       p);
	munmap(wall, mib);
	munmap(p, 64 * mib);
	return 0;
}

/* "node 0: 4096 pages, node 2: 0 pages" for the residency of [p, p+len). */
static int show_residency(int fd, const char *when, char *p, size_t len)
{
	__u64 counts[8] = { 0 };
	struct resmap_residency r = {
		.addr = (unsigned long)p, .len = len,
		.counts = (unsigned long)counts, .nr_counts = 8,
	};

	if (ioctl(fd, RESMAP_IOC_RESIDENCY, &r))
		return fail("RESMAP_IOC_RESIDENCY");
	printf("  %s: %llu pages resident:", when, r.resident);
	for (int n = 0; n < 8; n++)
		if (counts[n])
			printf(" node %d: %llu", n, counts[n]);
	printf("\n");
	return 0;
}

static int move_between_tiers(int fd)
{
	size_t len = 16 << 20;
	char *p = reserve(fd, len, 0, NULL);
	struct resmap_op op;

	printf("\nmoving a block from DRAM to pmem in place:\n");
	if (!p)
		return fail("RESMAP_IOC_RESERVE");
	op = op_of(RESMAP_OP_COMMIT, p, len, RESMAP_OP_F_POPULATE,
		   RESMAP_PLACE_TIER, RESMAP_TIER_DRAM, 0);
	if (batch(fd, &op, 1, 0, NULL))
		return fail("RESMAP_IOC_BATCH commit");
	strcpy(p + len - 64, "still here");
	printf("  16 MiB at %p committed on the DRAM tier\n", (void *)p);
	if (show_residency(fd, "before", p, len))
		return 1;
	op = op_of(RESMAP_OP_MOVE, p, len, 0, RESMAP_PLACE_TIER,
		   RESMAP_TIER_PMEM, 0);
	if (batch(fd, &op, 1, 0, NULL))
		return fail("RESMAP_IOC_BATCH move");
	printf("  moved %u pages to the pmem tier; still at %p, \"%s\"\n",
	       op.moved, (void *)p, p + len - 64);
	if (show_residency(fd, "after", p, len))
		return 1;
	munmap(p, len);
	return 0;
}

int main(void)
{
	struct resmap_version v;
	int fd, err;

	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open " RESMAP_DEVICE);
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, RESMAP_IOC_VERSION, &v))
		return fail("RESMAP_IOC_VERSION");
	printf("%s: ABI version %u, features %#llx\n", RESMAP_DEVICE,
	       v.abi_version, (unsigned long long)v.features);
	err = show_nodes(fd) || grow_in_place(fd) || move_between_tiers(fd);
	close(fd);
	return err;
}
