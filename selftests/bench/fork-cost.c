// SPDX-License-Identifier: GPL-2.0
/*
 * What fork() costs per committed GiB: a resmap reservation in each fork
 * mode against plain anonymous memory of the same size (with transparent
 * huge pages as the kernel chooses, and with 4K pages only), populated
 * and written, timed as fork + child exit + wait.  Several repetitions; the
 * median, min and max.  Usage: fork-cost [MiB [repetitions]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/resmap.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Time @reps forks; the child touches nothing and exits at once. */
static void time_forks(const char *name, size_t len, int reps)
{
	double t[64], start;
	int i;

	for (i = 0; i < reps; i++) {
		pid_t pid;

		start = now_ms();
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		t[i] = now_ms() - start;
	}
	qsort(t, reps, sizeof(t[0]), cmp_double);
	printf("%-16s %10.2f %10.2f %10.2f %12.1f\n", name, t[reps / 2], t[0],
	       t[reps - 1], len ? t[reps / 2] * (1 << 30) / len : 0.0);
}

static char *resmap_block(int fd, size_t len, unsigned int mode)
{
	struct resmap_reserve r = { .len = len, .flags = mode };
	struct resmap_range c = { .len = len, .flags = RESMAP_COMMIT_POPULATE };

	if (ioctl(fd, RESMAP_IOC_RESERVE, &r))
		return NULL;
	c.addr = r.addr;
	if (ioctl(fd, RESMAP_IOC_COMMIT, &c))
		return NULL;
	return (char *)(unsigned long)r.addr;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 256) << 20;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	static const struct { const char *name; unsigned int mode; } modes[] = {
		{ "resmap COPY", 0 },
		{ "resmap SHARE", RESMAP_RESERVE_FORK_SHARE },
		{ "resmap DROP", RESMAP_RESERVE_FORK_DROP },
		{ "resmap ZERO", RESMAP_RESERVE_FORK_ZERO },
	};
	char *p, name[32];
	unsigned int m;
	int fd;

	if (reps < 1 || reps > 64 || !len) {
		fprintf(stderr, "usage: fork-cost [MiB [repetitions 1-64]]\n");
		return 2;
	}
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	printf("# fork cost, %zu MiB committed and written, %d repetitions\n",
	       len >> 20, reps);
	printf("%-16s %10s %10s %10s %12s\n", "memory", "median ms", "min ms",
	       "max ms", "ms per GiB");
	time_forks("nothing", 0, reps);

	/* Anonymous memory as the kernel gives it (THP), and in 4K pages. */
	for (m = 0; m < 2; m++) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return perror("mmap"), 1;
		if (m)
			madvise(p, len, MADV_NOHUGEPAGE);
		memset(p, 1, len);
		time_forks(m ? "anonymous 4K" : "anonymous", len, reps);
		munmap(p, len);
	}

	if (fd < 0) {
		printf("# no %s: %s\n", RESMAP_DEVICE, strerror(errno));
		return 0;
	}
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		p = resmap_block(fd, len, modes[m].mode);
		if (!p)
			return perror(modes[m].name), 1;
		memset(p, 1, len);
		snprintf(name, sizeof(name), "%s", modes[m].name);
		time_forks(name, len, reps);
		munmap(p, len);
	}
	close(fd);
	return 0;
}
