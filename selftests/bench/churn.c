// SPDX-License-Identifier: GPL-2.0
/*
 * P4, small-object churn across threads: each of THREADS threads
 * allocates objects of 16 to 256 bytes and hands them to the next thread
 * through a ring, which frees them, so most frees are remote.  Reports
 * the operations (malloc + free pairs) per second.
 * Usage: churn THREADS OPS_PER_THREAD
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bench.h"

#define RING 1024

struct ring {
	_Atomic size_t head, tail;
	void *slot[RING];
	char pad[64];
};

static struct ring *rings;
static int threads;
static size_t ops;

static void *worker(void *arg)
{
	long me = (long)arg;
	struct ring *out = &rings[(me + 1) % threads], *in = &rings[me];
	uint32_t r = me * 2654435761u + 1;

	for (size_t i = 0; i < ops; i++) {
		size_t h, t;
		char *p;

		r = r * 1103515245 + 12345;
		p = malloc(16 + (r >> 8) % 241);
		p[0] = (char)i;
		/* Single producer: this thread; single consumer: the next. */
		h = atomic_load_explicit(&out->head, memory_order_relaxed);
		t = atomic_load_explicit(&out->tail, memory_order_acquire);
		if (h - t < RING) {
			out->slot[h % RING] = p;
			atomic_store_explicit(&out->head, h + 1,
					      memory_order_release);
		} else {
			free(p);
		}
		t = atomic_load_explicit(&in->tail, memory_order_relaxed);
		h = atomic_load_explicit(&in->head, memory_order_acquire);
		if (t != h) {
			free(in->slot[t % RING]);
			atomic_store_explicit(&in->tail, t + 1,
					      memory_order_release);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	char cas[32];
	double t0;

	threads = argc > 1 ? atoi(argv[1]) : 4;
	ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	if (threads < 1 || threads > 64)
		return 2;
	rings = aligned_alloc(64, sizeof(*rings) * threads);
	memset(rings, 0, sizeof(*rings) * threads);
	t0 = bench_now();
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	/* What is left in the rings. */
	for (int i = 0; i < threads; i++)
		for (size_t k = rings[i].tail; k != rings[i].head; k++)
			free(rings[i].slot[k % RING]);
	snprintf(cas, sizeof(cas), "threads-%d", threads);
	bench_result("churn", cas, "seconds=%.6f mops=%.2f", bench_now() - t0,
		     threads * ops / (bench_now() - t0) / 1e6);
	free(rings);
	return 0;
}
