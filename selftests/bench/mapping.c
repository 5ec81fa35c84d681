// SPDX-License-Identifier: GPL-2.0
/*
 * P3, batch mapping (needs resmap.ko): RANGES ranges of 64 KiB spread
 * over the memory nodes in turn, committed and populated with a strict
 * placement: one RESMAP_IOC_BATCH ioctl, the same batch as one io_uring
 * command, and per-range mmap + mbind + MADV_POPULATE_WRITE.  The floor
 * is one MADV_POPULATE_WRITE over the same bytes with no placement.
 * Usage: mapping RANGES [RANGE_KIB]
 */
#include <fcntl.h>
#include <liburing.h>
#include <linux/mempolicy.h>
#include <linux/resmap.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static int fd, nodes[8], nr_nodes;
static size_t RANGE = 64UL << 10;

static size_t nranges;

static void report(const char *how, double t, long calls)
{
	char cas[96];

	snprintf(cas, sizeof(cas), "%s-%zux%zuK", how, nranges, RANGE >> 10);
	bench_result("mapping", cas, "seconds=%.6f syscalls=%ld", t, calls);
}

static struct resmap_op *make_ops(char *base, size_t n)
{
	struct resmap_op *ops = calloc(n, sizeof(*ops));

	for (size_t i = 0; i < n; i++) {
		ops[i].op = RESMAP_OP_COMMIT;
		ops[i].flags = RESMAP_OP_F_POPULATE;
		ops[i].addr = (unsigned long)(base + i * RANGE);
		ops[i].len = RANGE;
		ops[i].place = RESMAP_PLACE_STRICT;
		ops[i].node = nodes[i % nr_nodes];
	}
	return ops;
}

static char *reserve(size_t len)
{
	struct resmap_reserve r = { .len = len };

	if (ioctl(fd, RESMAP_IOC_RESERVE, &r)) {
		perror("RESMAP_IOC_RESERVE");
		exit(1);
	}
	return (char *)(unsigned long)r.addr;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 4096;
	struct resmap_node info[8];
	struct resmap_nodes a = { .nodes = (unsigned long)info, .count = 8 };
	struct resmap_batch b = { .count = n };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct resmap_op *ops;
	double t0;
	char *p;

	if (argc > 2)
		RANGE = strtoul(argv[2], NULL, 0) << 10;
	nranges = n;
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, RESMAP_IOC_NODES, &a))
		return 4;
	for (unsigned int i = 0; i < a.count && i < 8; i++)
		nodes[nr_nodes++] = info[i].node;

	p = reserve(n * RANGE);
	ops = make_ops(p, n);
	b.ops = (unsigned long)ops;
	t0 = bench_now();
	if (ioctl(fd, RESMAP_IOC_BATCH, &b))
		perror("RESMAP_IOC_BATCH");
	report("batch-ioctl", bench_now() - t0, 1);
	munmap(p, n * RANGE);
	free(ops);

	if (io_uring_queue_init(4, &ring, 0) == 0) {
		p = reserve(n * RANGE);
		ops = make_ops(p, n);
		b.ops = (unsigned long)ops;
		t0 = bench_now();
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			return 1;
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		/* Run from the core's copy of the SQE (resmap.rst, io_uring). */
		sqe->flags = IOSQE_ASYNC;
		sqe->fd = fd;
		sqe->cmd_op = RESMAP_IOC_BATCH;
		((struct resmap_uring_cmd *)sqe->cmd)->arg = (unsigned long)&b;
		io_uring_submit(&ring);
		io_uring_wait_cqe(&ring, &cqe);
		if (cqe->res)
			fprintf(stderr, "uring batch: %d\n", cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		report("batch-uring", bench_now() - t0, 2);
		munmap(p, n * RANGE);
		free(ops);
		io_uring_queue_exit(&ring);
	}

	t0 = bench_now();
	{
		char **r = calloc(n, sizeof(char *));

		for (size_t i = 0; i < n; i++) {
			unsigned long mask = 1UL << nodes[i % nr_nodes];

			r[i] = mmap(NULL, RANGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			syscall(SYS_mbind, r[i], RANGE, MPOL_BIND, &mask, 65, 0);
			madvise(r[i], RANGE, MADV_POPULATE_WRITE);
		}
		report("mmap-mbind-populate", bench_now() - t0, 3 * n);
		for (size_t i = 0; i < n; i++)
			munmap(r[i], RANGE);
		free(r);
	}

	t0 = bench_now();
	p = mmap(NULL, n * RANGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(p, n * RANGE, MADV_POPULATE_WRITE);
	report("floor-populate", bench_now() - t0, 2);
	munmap(p, n * RANGE);
	return 0;
}
