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
#include <sys/resource.h>
#include <time.h>

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

#endif
