// SPDX-License-Identifier: GPL-2.0
/*
 * P5, tiers (run under the resmap shim, on a machine with a pmem node):
 * TOTAL MiB in 2 MiB blocks allocated on the pmem tier, touched and
 * freed, by resmap (RESMAP_M2_PMEM, one batch_alloc1) and by memkind
 * (MEMKIND_DAX_KMEM), with the share of pages that really landed on the
 * pmem node; then a MOVE MiB block moved from DRAM to pmem: memkind by
 * allocating on pmem, copying, freeing; and in place, by resmap
 * (resmap_move) and by its system-call peers, move_pages(2) and
 * mbind(2) with MPOL_MF_MOVE.
 * Usage: tiers TOTAL_MIB MOVE_MIB
 */
#include <linux/mempolicy.h>
#include <memkind.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "resmap_alloc.h"

#define BLOCK (2UL << 20)

typedef void **(*batch_alloc1_fn)(int *, void **, size_t *, size_t *,
				  size_t, size_t, uintmax_t);
typedef long (*move_fn)(void *, uintmax_t);

static int pmem = -1;

static double share_on_pmem(void **blocks, size_t n, size_t size)
{
	size_t per = size / 4096, on = 0, all = 0;
	void **pages = malloc(per * sizeof(void *));
	int *st = malloc(per * sizeof(int));

	for (size_t b = 0; b < n; b++) {
		for (size_t i = 0; i < per; i++)
			pages[i] = (char *)blocks[b] + i * 4096;
		if (syscall(SYS_move_pages, 0, per, pages, NULL, st, 0))
			continue;
		for (size_t i = 0; i < per; i++, all++)
			on += st[i] == pmem;
	}
	free(pages);
	free(st);
	return all ? (double)on / all : 0;
}

static void touch(void *p, size_t size)
{
	for (size_t i = 0; i < size; i += 4096)
		((char *)p)[i] = 1;
}

/* Every page of a block to @node by move_pages(2): how many are there. */
static long move_pages_to(void **pages, int *nodes, int *st, size_t per,
			  int node)
{
	long on = 0;

	for (size_t i = 0; i < per; i++)
		nodes[i] = node;
	if (syscall(SYS_move_pages, 0, per, pages, nodes, st, MPOL_MF_MOVE))
		return -1;
	for (size_t i = 0; i < per; i++)
		on += st[i] == node;
	return on;
}

static void moved_in_place(const char *how, double t, const char *pages,
			   void *block, size_t size)
{
	bench_result("tiers", "move-dram-to-pmem", "allocator=%s seconds=%.6f pages=%s on_pmem=%.3f same_address=1",
		     how, t, pages, share_on_pmem(&block, 1, size));
}

/*
 * One block of the shim's (malloc, default placement, on the module
 * backend) moved from DRAM to pmem in place three ways, put back on its
 * DRAM node by move_pages(2) before each: mbind(2) with MPOL_MF_MOVE,
 * move_pages(2) with every page listed, and the module's MOVE
 * (resmap_move).  mbind goes first: once resmap_move has placed the block,
 * the module's placement, not the range's mbind policy, decides where
 * migrated pages go (get_policy), and mbind would move them back to DRAM.
 * "pages" is what each reports moved; on_pmem is read back.
 */
static void move_in_place(move_fn mv, size_t size)
{
	size_t per = size / 4096;
	unsigned long mask = 1UL << pmem;
	void **pages = malloc(per * sizeof(void *));
	int *nodes = malloc(per * sizeof(int)), *st = malloc(per * sizeof(int));
	char *p = malloc(size);
	char n[32];
	double t0, t;
	long moved;
	int dram;

	if (!pages || !nodes || !st || !p) {
		fprintf(stderr, "tiers: no %zu MiB block to move\n", size >> 20);
		exit(1);
	}
	touch(p, size);
	for (size_t i = 0; i < per; i++)
		pages[i] = p + i * 4096;
	if (syscall(SYS_move_pages, 0, 1, pages, NULL, st, 0) || st[0] < 0) {
		fprintf(stderr, "tiers: where is the block?\n");
		exit(1);
	}
	dram = st[0];

	t0 = bench_now();
	moved = syscall(SYS_mbind, p, size, MPOL_BIND, &mask, 64,
			MPOL_MF_MOVE | MPOL_MF_STRICT);
	t = bench_now() - t0;
	if (moved)
		perror("tiers: mbind MPOL_MF_MOVE");
	moved_in_place("mbind", t, moved ? "-" : "all", p, size);
	/* The policy stays with the range: drop it before the shim reuses it. */
	syscall(SYS_mbind, p, size, MPOL_DEFAULT, NULL, 0, 0);

	move_pages_to(pages, nodes, st, per, dram);
	t0 = bench_now();
	moved = move_pages_to(pages, nodes, st, per, pmem);
	t = bench_now() - t0;
	snprintf(n, sizeof(n), "%ld", moved);
	moved_in_place("move_pages", t, n, p, size);

	move_pages_to(pages, nodes, st, per, dram);
	t0 = bench_now();
	moved = mv(p, RESMAP_M2_PMEM);
	t = bench_now() - t0;
	snprintf(n, sizeof(n), "%ld", moved);
	moved_in_place("resmap", t, n, p, size);

	free(p);
	free(pages);
	free(nodes);
	free(st);
}

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? strtoul(argv[1], NULL, 0) : 256) << 20;
	size_t move = (argc > 2 ? strtoul(argv[2], NULL, 0) : 64) << 20;
	size_t n = total / BLOCK, count, size;
	batch_alloc1_fn b1 = (batch_alloc1_fn)bench_sym("batch_alloc1");
	move_fn mv = (move_fn)bench_sym("resmap_move");
	void **blocks = calloc(n, sizeof(void *));
	char path[96], buf[64];
	double t0, t, share;
	void *p, *q;

	for (int i = 0; i < 64 && pmem < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f) || buf[0] < '0' || buf[0] > '9')
			pmem = i;
		fclose(f);
	}
	if (pmem < 0 || !b1 || !mv) {
		fprintf(stderr, "tiers: needs a pmem node and the resmap shim\n");
		return 4;
	}

	/* resmap: one batch on the pmem tier. */
	t0 = bench_now();
	count = n;
	size = BLOCK;
	b1(NULL, blocks, &count, &size, 0, 0,
	   M2_BATCH_IS_ALL_ALLOC | RESMAP_M2_PMEM);
	for (size_t i = 0; i < count; i++)
		touch(blocks[i], BLOCK);
	share = share_on_pmem(blocks, count, BLOCK);
	for (size_t i = 0; i < count; i++)
		free(blocks[i]);
	bench_result("tiers", "alloc-touch-free", "allocator=resmap seconds=%.6f on_pmem=%.3f blocks=%zu",
		     bench_now() - t0, share, count);

	/* memkind: MEMKIND_DAX_KMEM block by block. */
	t0 = bench_now();
	for (size_t i = 0; i < n; i++) {
		blocks[i] = memkind_malloc(MEMKIND_DAX_KMEM, BLOCK);
		if (blocks[i])
			touch(blocks[i], BLOCK);
	}
	share = share_on_pmem(blocks, n, BLOCK);
	for (size_t i = 0; i < n; i++)
		memkind_free(MEMKIND_DAX_KMEM, blocks[i]);
	bench_result("tiers", "alloc-touch-free", "allocator=memkind seconds=%.6f on_pmem=%.3f blocks=%zu",
		     bench_now() - t0, share, n);

	/* Moving MOVE MiB from DRAM to pmem by a copy to a new address. */
	p = malloc(move);
	touch(p, move);
	t0 = bench_now();
	q = memkind_malloc(MEMKIND_DAX_KMEM, move);
	if (q) {
		memcpy(q, p, move);
		free(p);
		t = bench_now() - t0;
		bench_result("tiers", "move-dram-to-pmem", "allocator=memkind seconds=%.6f pages=%zu on_pmem=%.3f same_address=0",
			     t, move / 4096, share_on_pmem(&q, 1, move));
		memkind_free(MEMKIND_DAX_KMEM, q);
	}
	move_in_place(mv, move);
	free(blocks);
	return 0;
}
