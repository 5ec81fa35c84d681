// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placement: resmap's M2_USERFLAGS bits to a backend placement, the
 * nodes of each tier, where a block's pages are, and moving a block
 * between tiers at the same address.
 *
 * Tiers as the module classifies them (RESMAP_IOC_NODES, which honours
 * its tiers= override); without the module, from sysfs: a memory node
 * without CPUs is pmem/CXL (dax kmem), one with CPUs is DRAM.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "shim.h"

static uint64_t tier_mask[3];
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

static void tiers_from_sysfs(void)
{
	char path[96], buf[256];

	for (int n = 0; n < 64; n++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/meminfo", n);
		if (access(path, R_OK))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", n);
		if (read_small(path, buf, sizeof(buf)) < 0)
			continue;
		tier_mask[buf[0] >= '0' && buf[0] <= '9' ? RESMAP_TIER_DRAM :
							   RESMAP_TIER_PMEM] |=
			1ULL << n;
	}
}

static void tiers_init(void)
{
	struct resmap_node nodes[64];
	struct resmap_nodes a;

	if (shim_module_fd >= 0) {
		memset(&a, 0, sizeof(a));
		a.nodes = (uintptr_t)nodes;
		a.count = 64;
		if (!ioctl(shim_module_fd, RESMAP_IOC_NODES, &a)) {
			for (unsigned int i = 0; i < a.count && i < 64; i++)
				if (nodes[i].node < 64 && nodes[i].tier <= 2)
					tier_mask[nodes[i].tier] |=
						1ULL << nodes[i].node;
			return;
		}
	}
	tiers_from_sysfs();
}

uint64_t shim_tier_nodes(int tier)
{
	pthread_once(&tiers_once, tiers_init);
	return tier_mask[tier];
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

static uint64_t memory_nodes(void)
{
	return shim_tier_nodes(RESMAP_TIER_DRAM) |
	       shim_tier_nodes(RESMAP_TIER_PMEM);
}

SHIM_API uintmax_t resmap_interleave_nodes(uint64_t nodes)
{
	uint64_t cur;

	shim_init();
	if (!nodes) {
		errno = EINVAL;
		return 0;
	}
	if (nodes & ~memory_nodes()) {
		errno = ENODEV;
		return 0;
	}
	if (nodes == memory_nodes())
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
				   RESMAP_M2_NODE | RESMAP_M2_INTERLEAVE);

	memset(pl, 0, sizeof(*pl));
	pl->populate = flags & RESMAP_M2_POPULATE;
	if (!which)
		return 0;
	if (which & (which - 1))
		return -EINVAL;		/* two placements */
	if (which == RESMAP_M2_NODE) {
		pl->mode = SHIM_PLACE_STRICT;
		pl->node = (flags >> RESMAP_M2_NODE_SHIFT) & 0xff;
		return pl->node < 64 && (shim_tier_nodes(RESMAP_TIER_DRAM) |
					 shim_tier_nodes(RESMAP_TIER_PMEM)) &
					(1ULL << pl->node) ? 0 : -ENODEV;
	}
	if (which == RESMAP_M2_INTERLEAVE) {
		pl->mode = SHIM_PLACE_INTERLEAVE;
		/* The set number, for resmap_block_info(). */
		pl->node = (flags >> RESMAP_M2_NODE_SHIFT) & 0xff;
		if (!pl->node) {
			pl->nodes = memory_nodes();
			return 0;
		}
		pl->nodes = atomic_load_explicit(&interleave_sets[pl->node],
						 memory_order_acquire);
		return pl->nodes ? 0 : -EINVAL;	/* a set never named */
	}
	pl->mode = SHIM_PLACE_TIER;
	pl->tier = which == RESMAP_M2_DRAM ? RESMAP_TIER_DRAM : RESMAP_TIER_PMEM;
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
