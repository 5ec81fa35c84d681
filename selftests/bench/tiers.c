// SPDX-License-Identifier: GPL-2.0
/*
 * P5, tiers (run under the resmap shim, on a machine with a pmem node):
 * TOTAL MiB in 2 MiB blocks allocated on the pmem tier, touched and
 * freed, by resmap (RESMAP_M2_PMEM, one batch_alloc1) and by memkind
 * (MEMKIND_DAX_KMEM), with the share of pages that really landed on the
 * pmem node; then a MOVE MiB block moved from DRAM to pmem: resmap in
 * place (resmap_move), memkind by allocating on pmem, copying, freeing.
 * Usage: tiers TOTAL_MIB MOVE_MIB
 */
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

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? strtoul(argv[1], NULL, 0) : 256) << 20;
	size_t move = (argc > 2 ? strtoul(argv[2], NULL, 0) : 64) << 20;
	size_t n = total / BLOCK, count, size;
	batch_alloc1_fn b1 = (batch_alloc1_fn)bench_sym("batch_alloc1");
	move_fn mv = (move_fn)bench_sym("resmap_move");
	void **blocks = calloc(n, sizeof(void *));
	char path[96], buf[64];
	double t0, share;
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

	/* Moving MOVE MiB from DRAM to pmem. */
	{
		struct mallocation5 m = { NULL, move, 0, 0, RESMAP_M2_DRAM };
		struct mallocation5 *md[1] = { &m };
		size_t one = 1;
		_Bool (*b5)(int *, struct mallocation5 **, size_t *) =
			(_Bool (*)(int *, struct mallocation5 **, size_t *))
			bench_sym("batch_alloc5");
		long moved;

		b5(NULL, md, &one);
		touch(m.ptr, move);
		t0 = bench_now();
		moved = mv(m.ptr, RESMAP_M2_PMEM);
		bench_result("tiers", "move-dram-to-pmem", "allocator=resmap seconds=%.6f pages=%ld same_address=1",
			     bench_now() - t0, moved);
		free(m.ptr);
	}
	p = malloc(move);
	touch(p, move);
	t0 = bench_now();
	q = memkind_malloc(MEMKIND_DAX_KMEM, move);
	if (q) {
		memcpy(q, p, move);
		free(p);
		bench_result("tiers", "move-dram-to-pmem", "allocator=memkind seconds=%.6f pages=%zu same_address=0",
			     bench_now() - t0, move / 4096);
		memkind_free(MEMKIND_DAX_KMEM, q);
	}
	free(blocks);
	return 0;
}
