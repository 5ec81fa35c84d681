// SPDX-License-Identifier: GPL-2.0
/*
 * Small objects, the three modes of issue 15, in million operations
 * (malloc + free pairs) per second:
 *   single    free(malloc(64)) on one thread;
 *   private   the same on THREADS threads, nothing shared;
 *   handoff   one thread allocates 64-byte objects, another frees them
 *             (through a ring of 1024 slots).
 * Usage: small single|private|handoff OPS [THREADS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bench.h"

#define RING	1024

static size_t ops;
static _Atomic(void *) ring[RING];

static void *private_loop(void *arg)
{
	void *volatile p;

	(void)arg;
	for (size_t i = 0; i < ops; i++) {
		p = malloc(64);
		free(p);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	void *p;

	(void)arg;
	for (size_t i = 0; i < ops; i++) {
		while (!(p = atomic_exchange_explicit(&ring[i % RING], NULL,
						      memory_order_acquire)))
			sched_yield();	/* 2 CPUs may be all there is */
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "single";
	int threads = argc > 3 ? atoi(argv[3]) : 2;
	pthread_t t[64];
	double t0;
	char cas[32];

	ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000000;
	if (!strcmp(mode, "single"))
		threads = 1;
	if (threads < 1 || threads > 64)
		return 2;
	t0 = bench_now();
	if (!strcmp(mode, "handoff")) {
		pthread_create(&t[0], NULL, consumer, NULL);
		for (size_t i = 0; i < ops; i++) {
			void *p = malloc(64);

			while (atomic_load_explicit(&ring[i % RING],
						    memory_order_relaxed))
				sched_yield();
			atomic_store_explicit(&ring[i % RING], p,
					      memory_order_release);
		}
		pthread_join(t[0], NULL);
		threads = 1;
	} else {
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, private_loop, NULL);
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
	}
	snprintf(cas, sizeof(cas), "%s-%d", mode, threads);
	bench_result("small", cas, "mops=%.2f", ops * threads / 1e6 /
		     (bench_now() - t0));
	return 0;
}
