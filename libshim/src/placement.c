// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placement: resmap's M2_USERFLAGS bits to a backend placement, the
 * nodes of each tier, where a block's pages are, and moving a block
 * between tiers at the same address.
 *
 * Tiers are ranked fastest first (rank 0 is RESMAP_TIER_DRAM, the last
 * RESMAP_TIER_PMEM), as the module ranks them (RESMAP_IOC_NODES with
 * RESMAP_NODES_RANKS: the kernel's memory tiers, with its tiers=
 * override).  A module without ranks gives DRAM and PMEM only.  Without
 * the module, the same from sysfs: the kernel's memory tiers
 * (/sys/devices/virtual/memory_tiering/memory_tierN/nodelist, a lower N
 * faster), or where the kernel has none, a memory node without CPUs is
 * pmem/CXL (dax kmem) and one with CPUs DRAM.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "shim.h"

#define MEMTIER_DIR	"/sys/devices/virtual/memory_tiering"

/* Nodes of each rank (nodes 0-63), and how many ranks there are. */
static uint64_t rank_mask[SHIM_MAX_TIERS];
static unsigned int nr_ranks;
static pthread_once_t tiers_once = PTHREAD_ONCE_INIT;

/* Read a small sysfs file without stdio (which would allocate). */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* A sysfs node list ("0-2,4") as a mask of nodes 0-63. */
static uint64_t parse_nodelist(const char *s)
{
	uint64_t mask = 0;

	while (*s >= '0' && *s <= '9') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (; a <= b && a < 64; a++)
			mask |= 1ULL << a;
		s = *end == ',' ? end + 1 : end;
	}
	return mask;
}

/* Nodes 0-63 with memory. */
static uint64_t memory_nodes(void)
{
	char buf[256];

	if (read_small("/sys/devices/system/node/has_memory", buf,
		       sizeof(buf)) < 0)
		return 0;
	return parse_nodelist(buf);
}

/*
 * The kernel's memory tiers as ranks: each memory_tierN's nodes, N in
 * increasing order.  Read with getdents64, not opendir (which allocates).
 * False if the kernel has none, or a memory node is in none.
 */
static bool tiers_from_kernel(uint64_t memory)
{
	struct { int id; uint64_t nodes; } t[SHIM_MAX_TIERS];
	unsigned int n = 0;
	uint64_t seen = 0;
	char buf[4096];
	long got;
	int fd;

	fd = open(MEMTIER_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			char path[320], list[256];
			int id;

			off += e->d_reclen;
			char *end;

			if (strncmp(e->d_name, "memory_tier", 11) ||
			    n == SHIM_MAX_TIERS)
				continue;
			id = (int)strtol(e->d_name + 11, &end, 10);
			if (end == e->d_name + 11 || *end)
				continue;
			snprintf(path, sizeof(path), MEMTIER_DIR "/%s/nodelist",
				 e->d_name);
			if (read_small(path, list, sizeof(list)) < 0)
				continue;
			t[n].id = id;
			t[n].nodes = parse_nodelist(list) & memory;
			if (t[n].nodes)
				seen |= t[n++].nodes;
		}
	}
	close(fd);
	if (!n || seen != memory)
		return false;
	for (unsigned int i = 1; i < n; i++)	/* a few tiers: insertion sort */
		for (unsigned int j = i; j && t[j - 1].id > t[j].id; j--) {
			int id = t[j].id;
			uint64_t m = t[j].nodes;

			t[j] = t[j - 1];
			t[j - 1].id = id;
			t[j - 1].nodes = m;
		}
	for (unsigned int i = 0; i < n; i++)
		rank_mask[i] = t[i].nodes;
	nr_ranks = n;
	return true;
}

/* The fallback: a memory node with CPUs is DRAM, one without pmem. */
static void tiers_from_cpus(uint64_t memory)
{
	char path[96], buf[256];

	for (int n = 0; n < 64; n++) {
		if (!(memory & (1ULL << n)))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", n);
		if (read_small(path, buf, sizeof(buf)) < 0)
			continue;
		rank_mask[buf[0] >= '0' && buf[0] <= '9' ? 0 : 1] |= 1ULL << n;
	}
	nr_ranks = rank_mask[1] ? 2 : 1;
	if (!rank_mask[0]) {		/* CPU-less nodes only */
		rank_mask[0] = rank_mask[1];
		rank_mask[1] = 0;
		nr_ranks = 1;
	}
}

/* The module's ranks; false if it is not there or fails. */
static bool tiers_from_module(void)
{
	struct resmap_node nodes[64];
	struct resmap_nodes a;
	bool ranks = true;

	if (shim_module_fd < 0)
		return false;
	memset(&a, 0, sizeof(a));
	a.nodes = (uintptr_t)nodes;
	a.count = 64;
	a.flags = RESMAP_NODES_RANKS;
	if (ioctl(shim_module_fd, RESMAP_IOC_NODES, &a)) {
		/* A module from before ranks: DRAM and PMEM only. */
		if (errno != EINVAL)
			return false;
		ranks = false;
		a.flags = 0;
		a.count = 64;
		if (ioctl(shim_module_fd, RESMAP_IOC_NODES, &a))
			return false;
	}
	for (unsigned int i = 0; i < a.count && i < 64; i++) {
		unsigned int r = nodes[i].rank;

		if (nodes[i].node >= 64)
			continue;
		if (!ranks)
			r = nodes[i].tier == RESMAP_TIER_PMEM;
		if (r >= SHIM_MAX_TIERS)
			continue;
		rank_mask[r] |= 1ULL << nodes[i].node;
		if (r + 1 > nr_ranks)
			nr_ranks = r + 1;
	}
	return nr_ranks > 0;
}

static void tiers_init(void)
{
	uint64_t memory;

	if (tiers_from_module())
		return;
	memory = memory_nodes();
	if (!tiers_from_kernel(memory))
		tiers_from_cpus(memory);
}

unsigned int shim_nr_tiers(void)
{
	pthread_once(&tiers_once, tiers_init);
	return nr_ranks;
}

/* The rank a tier names, or -1 for none. */
static int tier_rank(uint32_t tier)
{
	unsigned int nr = shim_nr_tiers();

	if (tier == RESMAP_TIER_DRAM)
		return nr ? 0 : -1;
	if (tier == RESMAP_TIER_PMEM)	/* none under a single tier */
		return nr >= 2 ? (int)nr - 1 : -1;
	if (RESMAP_TIER_IS_RANK(tier) &&
	    tier - RESMAP_TIER_RANK_BASE < nr)
		return tier - RESMAP_TIER_RANK_BASE;
	return -1;
}

uint64_t shim_tier_nodes(uint32_t tier)
{
	int r = tier_rank(tier);

	return r < 0 ? 0 : rank_mask[r];
}

/* Every memory node the tiers know. */
static uint64_t all_nodes(void)
{
	uint64_t all = 0;

	for (unsigned int r = 0; r < shim_nr_tiers(); r++)
		all |= rank_mask[r];
	return all;
}

/*
 * Interleave sets named by resmap_interleave_nodes(): set k's node mask
 * in interleave_sets[k] (0: unnamed; set 0 is every memory node).  A slot
 * is filled once, by compare-and-swap, and never changes: no lock, so
 * nothing for a fork to leave held, and a block's placement can keep its
 * set number for life.
 */
#define INTERLEAVE_SETS 256
static _Atomic uint64_t interleave_sets[INTERLEAVE_SETS];

SHIM_API uintmax_t resmap_interleave_nodes(uint64_t nodes)
{
	uint64_t cur;

	shim_init();
	if (!nodes) {
		errno = EINVAL;
		return 0;
	}
	if (nodes & ~all_nodes()) {
		errno = ENODEV;
		return 0;
	}
	if (nodes == all_nodes())
		return RESMAP_M2_INTERLEAVE;
	for (unsigned int k = 1; k < INTERLEAVE_SETS; k++) {
		cur = atomic_load_explicit(&interleave_sets[k],
					   memory_order_acquire);
		if (!cur && atomic_compare_exchange_strong_explicit(
				&interleave_sets[k], &cur, nodes,
				memory_order_acq_rel, memory_order_acquire))
			cur = nodes;
		if (cur == nodes)
			return RESMAP_M2_INTERLEAVE |
			       ((uintmax_t)k << RESMAP_M2_NODE_SHIFT);
	}
	errno = ENOSPC;
	return 0;
}

int shim_place_from_flags(uintmax_t flags, struct shim_place *pl)
{
	uintmax_t which = flags & (RESMAP_M2_DRAM | RESMAP_M2_PMEM |
				   RESMAP_M2_NODE | RESMAP_M2_INTERLEAVE |
				   RESMAP_M2_TIER);
	unsigned int arg = (flags >> RESMAP_M2_NODE_SHIFT) & 0xff;

	memset(pl, 0, sizeof(*pl));
	pl->populate = flags & RESMAP_M2_POPULATE;
	if (!which)
		return 0;
	if (which & (which - 1))
		return -EINVAL;		/* two placements */
	if (which == RESMAP_M2_NODE) {
		pl->mode = SHIM_PLACE_STRICT;
		pl->node = arg;
		return pl->node < 64 && all_nodes() & (1ULL << pl->node) ?
			       0 : -ENODEV;
	}
	if (which == RESMAP_M2_INTERLEAVE) {
		pl->mode = SHIM_PLACE_INTERLEAVE;
		/* The set number, for resmap_block_info(). */
		pl->node = (flags >> RESMAP_M2_NODE_SHIFT) & 0xff;
		if (!pl->node) {
			pl->nodes = all_nodes();
			return 0;
		}
		pl->nodes = atomic_load_explicit(&interleave_sets[pl->node],
						 memory_order_acquire);
		return pl->nodes ? 0 : -EINVAL;	/* a set never named */
	}
	pl->mode = SHIM_PLACE_TIER;
	if (which == RESMAP_M2_TIER)
		pl->tier = RESMAP_TIER_RANK(arg);
	else
		pl->tier = which == RESMAP_M2_DRAM ? RESMAP_TIER_DRAM :
						     RESMAP_TIER_PMEM;
	pl->nodes = shim_tier_nodes(pl->tier);
	return pl->nodes ? 0 : -ENODEV;
}

/* Pages of [addr, addr + len) per node, by move_pages(2) in query mode. */
long shim_where_pages(void *addr, size_t len, uint64_t *counts,
		      unsigned int nr)
{
	void *pages[512];
	int status[512];
	size_t n = len / SHIM_PAGE, i, k;
	long resident = 0;

	for (i = 0; i < nr; i++)
		counts[i] = 0;
	for (i = 0; i < n; i += k) {
		k = n - i < 512 ? n - i : 512;
		for (size_t j = 0; j < k; j++)
			pages[j] = (char *)addr + (i + j) * SHIM_PAGE;
		if (syscall(SYS_move_pages, 0, k, pages, NULL, status, 0))
			return -errno;
		for (size_t j = 0; j < k; j++) {
			if (status[j] < 0)
				continue;
			resident++;
			if ((unsigned int)status[j] < nr)
				counts[status[j]]++;
		}
	}
	return resident;
}

SHIM_API long resmap_where(void *ptr, uint64_t *counts, unsigned int nr)
{
	size_t used;
	long r;

	shim_init();
	if (!ptr || !shim_large_owns(ptr, &used, NULL, NULL)) {
		if (ptr && shim_small_owns(ptr)) {
			/* A small block lies within one or two pages. */
			uintptr_t a = (uintptr_t)ptr & ~(SHIM_PAGE - 1);
			uintptr_t e = shim_round_up((uintptr_t)ptr +
						    shim_usable(ptr), SHIM_PAGE);

			r = shim_where_pages((void *)a, e - a, counts, nr);
			goto out;
		}
		errno = EINVAL;
		return -1;
	}
	r = shim_where_pages(ptr, used, counts, nr);
out:
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

SHIM_API long resmap_move(void *ptr, uintmax_t where)
{
	struct shim_place pl;
	size_t used;
	long moved = 0;
	int err;

	shim_init();
	err = shim_place_from_flags(where, &pl);
	if (!err && (pl.mode == SHIM_PLACE_NONE ||
		     pl.mode == SHIM_PLACE_INTERLEAVE))
		err = -EINVAL;
	if (!err && (!ptr || !shim_large_owns(ptr, &used, NULL, NULL)))
		err = -EINVAL;
	if (!err)
		err = shim_large_backend(ptr)->move(ptr, used, &pl, &moved);
	if (!err)
		shim_large_set_place(ptr, &pl);	/* growth follows it */
	if (err) {
		errno = -err;
		return -1;
	}
	return moved;
}
