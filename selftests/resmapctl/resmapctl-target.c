// SPDX-License-Identifier: GPL-2.0
/*
 * A process for resmapctl to look at: it reserves LEN bytes (argument 1,
 * default 4 MiB), commits and populates them on node 0, reserves LEN
 * more of which it commits a quarter without touching it (committed, not
 * resident), writes "PID ADDR LEN ADDR2 LEN2 COMMITTED2" to the file of
 * argument 2, and waits.  On SIGUSR1 it
 * writes its own view of the pages, RESMAP_IOC_RESIDENCY's
 * "node pages" lines and "resident N", to FILE.residency; SIGTERM ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/resmap.h>

#define NR_COUNTS 64

static volatile sig_atomic_t asked, done;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		asked = 1;
	else
		done = 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "resmapctl-target: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_residency(int fd, uint64_t addr, uint64_t len, const char *file)
{
	uint64_t counts[NR_COUNTS] = { 0 };
	struct resmap_residency r = {
		.addr = addr, .len = len, .counts = (uintptr_t)counts,
		.nr_counts = NR_COUNTS,
	};
	char out[4096], tmp[4100];
	FILE *f;

	if (ioctl(fd, RESMAP_IOC_RESIDENCY, &r))
		return fail("RESMAP_IOC_RESIDENCY");
	/* Written whole, then renamed: the script polls for @out. */
	snprintf(out, sizeof(out), "%s.residency", file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f)
		return fail(tmp);
	for (int n = 0; n < NR_COUNTS; n++)
		if (counts[n])
			fprintf(f, "%d %llu\n", n, (unsigned long long)counts[n]);
	fprintf(f, "resident %llu\n", (unsigned long long)r.resident);
	fclose(f);
	if (rename(tmp, out))
		return fail("rename");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t len = argc > 1 ? strtoull(argv[1], NULL, 0) : 4 << 20;
	const char *file = argc > 2 ? argv[2] : "/tmp/resmapctl-target";
	struct resmap_reserve rv = { .len = len };
	struct resmap_op op = {
		.len = len, .op = RESMAP_OP_COMMIT, .flags = RESMAP_OP_F_POPULATE,
		.place = RESMAP_PLACE_STRICT, .node = 0,
	};
	struct resmap_batch b = { .ops = (uintptr_t)&op, .count = 1 };
	struct resmap_reserve rv2 = { .len = len };
	struct resmap_range part = { .len = len / 4 };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t none;
	FILE *f;
	int fd;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(RESMAP_DEVICE);
	if (ioctl(fd, RESMAP_IOC_RESERVE, &rv))
		return fail("RESMAP_IOC_RESERVE");
	op.addr = rv.addr;
	if (ioctl(fd, RESMAP_IOC_BATCH, &b))
		return fail("RESMAP_IOC_BATCH");
	if (ioctl(fd, RESMAP_IOC_RESERVE, &rv2))
		return fail("RESMAP_IOC_RESERVE");
	part.addr = rv2.addr + len / 4;
	if (ioctl(fd, RESMAP_IOC_COMMIT, &part))
		return fail("RESMAP_IOC_COMMIT");
	f = fopen(file, "w");
	if (!f)
		return fail(file);
	fprintf(f, "%d 0x%llx %llu 0x%llx %llu %llu\n", (int)getpid(),
		(unsigned long long)rv.addr, (unsigned long long)len,
		(unsigned long long)rv2.addr, (unsigned long long)len,
		(unsigned long long)part.len);
	fclose(f);
	sigemptyset(&none);
	while (!done) {
		sigset_t block;

		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, NULL);
		if (!asked && !done)
			sigsuspend(&none);
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		if (asked) {
			asked = 0;
			if (write_residency(fd, rv.addr, len, file))
				return 1;
		}
	}
	return 0;
}
