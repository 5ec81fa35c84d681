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

#define NODE_SYS "/sys/devices/system/node"

static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

static long meminfo_kib(int node, const char *key)
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
		read_text(path, cpus, sizeof(cpus));
		snprintf(path, sizeof(path), NODE_SYS "/node%d/distance", node);
		read_text(path, dist, sizeof(dist));
		printf("%-5d %-22s %10ld %10ld %-6s %s\n", node,
		       cpus[0] ? "DRAM" : "CPU-less (pmem/CXL)",
		       meminfo_kib(node, "MemTotal") / 1024,
		       meminfo_kib(node, "MemFree") / 1024,
		       cpus[0] ? cpus : "-", dist);
	}
	return 0;
}
