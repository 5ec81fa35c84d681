// SPDX-License-Identifier: GPL-2.0
/*
 * resmap-demo: what "make demo" runs in the test bed.  Asks the module
 * for its ABI and features, then lists the memory nodes as an allocator
 * would see them: DRAM nodes with CPUs, and CPU-less memory (pmem or CXL
 * brought online by dax kmem).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "nodeinfo.h"

int main(void)
{
	struct resmap_version v;
	char path[128], cpus[256], dist[256];
	int fd, node;

	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "resmap-demo: open %s: %s\n", RESMAP_DEVICE,
			strerror(errno));
		return 1;
	}
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, RESMAP_IOC_VERSION, &v)) {
		fprintf(stderr, "resmap-demo: RESMAP_IOC_VERSION: %s\n",
			strerror(errno));
		return 1;
	}
	printf("%s: ABI version %u, features %#llx\n", RESMAP_DEVICE,
	       v.abi_version, (unsigned long long)v.features);
	close(fd);

	printf("%-5s %-22s %10s %10s %-6s %s\n", "node", "kind", "total MiB",
	       "free MiB", "cpus", "distances");
	for (node = 0; node < 64; node++) {
		snprintf(path, sizeof(path), NODE_SYS "/node%d/cpulist", node);
		if (access(path, R_OK))
			continue;
		read_line(path, cpus, sizeof(cpus));
		snprintf(path, sizeof(path), NODE_SYS "/node%d/distance", node);
		read_line(path, dist, sizeof(dist));
		printf("%-5d %-22s %10ld %10ld %-6s %s\n", node,
		       cpus[0] ? "DRAM" : "CPU-less (pmem/CXL)",
		       node_meminfo_kib(node, "MemTotal") / 1024,
		       node_meminfo_kib(node, "MemFree") / 1024,
		       cpus[0] ? cpus : "-", dist);
	}
	return 0;
}
