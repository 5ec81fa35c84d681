/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmarks: a clock, peak RSS, and one result line per
 * measurement, "bench<TAB>case<TAB>allocator<TAB>key=value ...", which
 * run.sh collects and report.sh turns into tables.
 */
#ifndef BENCH_H
#define BENCH_H

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline long bench_maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The allocator this process runs on, as run.sh names it. */
static inline const char *bench_allocator(void)
{
	const char *a = getenv("BENCH_ALLOCATOR");

	return a ? a : "glibc";
}

static inline void bench_result(const char *bench, const char *cas,
				const char *fmt, ...)
{
	va_list ap;

	printf("%s\t%s\t%s\t", bench, cas, bench_allocator());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* A symbol of the preloaded allocator, if it has it (NULL otherwise). */
static inline void *bench_sym(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

/*
 * Run a program to its end under the allocator this process inherited
 * (LD_PRELOAD and the allocator's variables pass through exec), its
 * output thrown away so that only result lines reach stdout: 0 with its
 * wall time and its peak RSS (the largest of it and its children, from
 * wait4), or -1 when it could not start or did not exit with 0.
 */
static inline int bench_spawn(char *const argv[], double *seconds,
			      long *maxrss_kib)
{
	double t0 = bench_now();
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return -1;
	*seconds = bench_now() - t0;
	*maxrss_kib = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: exit status %d\n", argv[0], status);
		return -1;
	}
	return 0;
}

#endif
