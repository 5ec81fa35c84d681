/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the shim tests. */
#ifndef SHIM_TEST_H
#define SHIM_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resmap_alloc.h"

/* Fill @p with a pattern derived from @seed; check it. */
static inline void fill(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(seed + i * 31);
}

static inline int check(const void *p, size_t n, unsigned int seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed + i * 31))
			return 0;
	return 1;
}

static inline int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

/* A number from a "Key:   value" line of /proc/self/status (kB), or -1. */
static inline long proc_status(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Lines of /proc/self/maps: the process's mappings. */
static inline long count_maps(void)
{
	char buf[4096];
	long lines = 0;
	size_t n;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)))
		for (size_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	fclose(f);
	return lines;
}

static inline long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static inline struct resmap_alloc_stats alloc_stats(void)
{
	struct resmap_alloc_stats st = { .size = sizeof(st) };

	resmap_alloc_stats(&st);
	return st;
}

/*
 * Tests of the shim's start-up (errno, RLIMIT_AS, RESMAP_SHIM_OPTIONS)
 * run in a fresh copy of the program, where the shim has not been
 * called yet: shim_child() runs /proc/self/exe with SHIM_TEST_CHILD=@name,
 * the environment entry @env (or NULL) and, if @as is not 0, that
 * RLIMIT_AS.  Before anything else, that copy calls the test file's
 * child_main(@name) and exits with what it returns.  The child's exit
 * status, or 128 + the signal that ended it.
 */
#ifdef SHIM_CHILDREN
static int child_main(const char *name);

__attribute__((constructor)) static void shim_child_start(void)
{
	const char *name = getenv("SHIM_TEST_CHILD");
	int ret;

	if (name) {
		ret = child_main(name);
		fflush(NULL);
		_exit(ret);
	}
}

static inline int shim_child(const char *name, const char *env, rlim_t as)
{
	extern char **environ;
	char *envp[512], var[128], *argv[] = { "shim-child", NULL };
	size_t n = 0;
	int status;
	pid_t pid;

	snprintf(var, sizeof(var), "SHIM_TEST_CHILD=%s", name);
	envp[n++] = var;
	if (env)
		envp[n++] = (char *)env;
	for (char **e = environ; *e && n < 510; e++)
		if (strncmp(*e, "SHIM_TEST_CHILD=", 16) &&
		    strncmp(*e, "RESMAP_SHIM_OPTIONS=", 20))
			envp[n++] = *e;
	envp[n] = NULL;
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { as, as };

		if (as && setrlimit(RLIMIT_AS, &rl))
			_exit(126);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}
#endif

#endif
