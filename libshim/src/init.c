// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Start-up on first use (no constructor: nothing can fail before the
 * first call, and a failure then is reported to that call), the choice of
 * backend, fork handling, and reporting.
 *
 * RESMAP_BACKEND=module|syscall forces a backend.  Asked for the module
 * when it is missing, the shim says so on stderr and uses system calls,
 * unless RESMAP_BACKEND_STRICT=1, which makes that fatal.  Unset, the
 * module is used when /dev/resmap answers with the features needed.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "shim.h"

#define SHIM_NEEDED_FEATURES	(RESMAP_FEAT_RESERVE | RESMAP_FEAT_RESIZE | \
				 RESMAP_FEAT_BATCH | RESMAP_FEAT_MOVE)

const struct shim_backend *shim_be;
atomic_bool shim_initialised;
struct shim_counters shim_counters;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

static void shim_write(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(2, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

void shim_warn(const char *msg)
{
	shim_write("resmap-shim: ");
	shim_write(msg);
	shim_write("\n");
}

/* Like glibc: say what was wrong with which pointer, then abort. */
void shim_fatal(const char *what, const void *ptr)
{
	char hex[2 + 16 + 1] = "0x";
	uintptr_t v = (uintptr_t)ptr;

	for (int i = 0; i < 16; i++)
		hex[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	hex[18] = 0;
	shim_write("resmap-shim: ");
	shim_write(what);
	shim_write(": ");
	shim_write(hex);
	shim_write("\n");
	abort();
}

bool shim_module_open(void)
{
	struct resmap_version v;
	int fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, RESMAP_IOC_VERSION, &v) ||
	    v.abi_version != RESMAP_ABI_VERSION ||
	    (v.features & SHIM_NEEDED_FEATURES) != SHIM_NEEDED_FEATURES) {
		close(fd);
		errno = ENODEV;
		return false;
	}
	shim_module_fd = fd;
	return true;
}

/*
 * Registered before start-up changes anything, so a fork from another
 * thread either sees none of it (the child starts up afresh: pthread_once
 * runs again after fork) or waits here until it is complete.
 */
static void shim_prepare_fork(void)
{
	shim_ready();
	shim_large_lock_all();
	shim_small_lock_all();
}

static void shim_after_fork(void)
{
	shim_small_unlock_all();
	shim_large_unlock_all();
}

/*
 * The child's own open of /dev/resmap, at the same descriptor number: the
 * module lists a descriptor's opener's reservations in its fdinfo (what
 * resmapctl stats PID reads), so an inherited one would show the
 * parent's.  Commands act on the caller's memory either way; if the open
 * fails the inherited descriptor stays.  Only async-signal-safe calls.
 */
static void shim_reopen_module(void)
{
	struct stat old, now;
	int err = errno, fd;

	if (shim_module_fd < 0)
		return;
	fd = open(RESMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errno = err;
		return;
	}
	/* Never over a descriptor the program reused after closing ours. */
	if (!fstat(fd, &now) && !fstat(shim_module_fd, &old) &&
	    S_ISCHR(old.st_mode) && old.st_rdev == now.st_rdev)
		dup3(fd, shim_module_fd, O_CLOEXEC);
	close(fd);
	errno = err;
}

static void shim_after_fork_child(void)
{
	shim_small_after_fork_child();
	shim_large_unlock_all();
	shim_reopen_module();
}

static void shim_init_once(void)
{
	const char *want = getenv("RESMAP_BACKEND");
	const char *strict = getenv("RESMAP_BACKEND_STRICT");
	const struct shim_backend *be = &shim_syscall_backend;
	int err;

	if (pthread_atfork(shim_prepare_fork, shim_after_fork,
			   shim_after_fork_child))
		shim_fatal("cannot register the fork handlers", NULL);
	if (want && strcmp(want, "syscall") && strcmp(want, "module")) {
		shim_warn("RESMAP_BACKEND must be \"module\" or \"syscall\"; using the default");
		want = NULL;
	}
	if (!want || !strcmp(want, "module")) {
		if (shim_module_open()) {
			be = &shim_module_backend;
		} else if (want) {
			shim_warn("RESMAP_BACKEND=module, but " RESMAP_DEVICE
				  " cannot be used (module not loaded?)");
			if (strict && !strcmp(strict, "1"))
				shim_fatal("RESMAP_BACKEND_STRICT=1", NULL);
			shim_warn("using the syscall backend");
		}
	}
	shim_be = be;
	shim_options_init();
	err = shim_small_init();
	if (err == -ENOMEM && be == &shim_module_backend) {
		shim_warn("no small-object arena from the module; using the syscall backend");
		shim_be = &shim_syscall_backend;
		err = shim_small_init();
	}
	/*
	 * No address space for even one segment (a tiny RLIMIT_AS) is not
	 * fatal: allocations fail with ENOMEM, and may succeed later.
	 */
	if (err && err != -ENOMEM)
		shim_fatal("cannot start (no thread key)", NULL);
	atomic_store_explicit(&shim_initialised, true, memory_order_release);
}

/*
 * Start-up tries things that may fail (opening /dev/resmap, reserving
 * address space): a call that succeeds must not leave their errno behind.
 */
void shim_init(void)
{
	int err = errno;

	pthread_once(&shim_once, shim_init_once);
	errno = err;
}

size_t shim_trim(void)
{
	return shim_small_trim() + shim_large_trim();
}

/* stats=1: the counters at exit (the library is never unloaded before). */
__attribute__((destructor)) static void shim_exit_stats(void)
{
	if (shim_opt.stats &&
	    atomic_load_explicit(&shim_initialised, memory_order_acquire))
		shim_print_stats(2);
}

SHIM_API const char *resmap_backend(void)
{
	shim_init();
	return shim_be->name;
}

void shim_totals(struct resmap_alloc_stats *t)
{
	struct shim_counters *c = &shim_counters;

	strncpy(t->backend, shim_be->name, sizeof(t->backend) - 1);
	t->small_bytes = atomic_load(&c->small_bytes);
	t->small_committed = atomic_load(&c->small_committed);
	t->small_cached = atomic_load(&c->small_cached);
	t->arena_reserved = atomic_load(&c->arena_reserved);
	t->large_blocks = atomic_load(&c->large_blocks);
	t->large_bytes = atomic_load(&c->large_bytes);
	t->large_reserved = atomic_load(&c->reserved_bytes);
	t->large_cached_blocks = atomic_load(&c->large_cached_blocks);
	t->large_cached_bytes = atomic_load(&c->large_cached_bytes);
	t->registry_bytes = shim_large_registry_bytes();
	t->purged_bytes = atomic_load(&c->purged_bytes);
	t->in_place_growths = atomic_load(&c->in_place_growths);
	t->moves = atomic_load(&c->moves);
}

/* "name value\n", with no stdio (which could allocate). */
static void print_line(int fd, const char *name, size_t v)
{
	char buf[64], num[24];
	size_t n = 0, k = 0;

	while (*name && n < 36)
		buf[n++] = *name++;
	do
		num[k++] = '0' + v % 10;
	while ((v /= 10));
	while (k)
		buf[n++] = num[--k];
	buf[n++] = '\n';
	if (write(fd, buf, n) < 0)
		return;
}

#define STAT(name, field) { name, offsetof(struct resmap_alloc_stats, field) }
static const struct {
	const char *name;
	size_t off;
} stat_lines[] = {
	STAT("small in use bytes      ", small_bytes),
	STAT("small committed bytes   ", small_committed),
	STAT("small cached bytes      ", small_cached),
	STAT("small arena bytes       ", arena_reserved),
	STAT("large blocks            ", large_blocks),
	STAT("large in use bytes      ", large_bytes),
	STAT("large reserved bytes    ", large_reserved),
	STAT("large cached blocks     ", large_cached_blocks),
	STAT("large cached bytes      ", large_cached_bytes),
	STAT("registry bytes          ", registry_bytes),
	STAT("purged bytes            ", purged_bytes),
	STAT("in-place growths        ", in_place_growths),
	STAT("moves                   ", moves),
};

void shim_print_stats(int fd)
{
	struct resmap_alloc_stats t = { 0 };

	shim_totals(&t);
	shim_write(shim_be == &shim_module_backend ?
		   "resmap-shim: module backend\n" :
		   "resmap-shim: syscall backend\n");
	for (size_t i = 0; i < sizeof(stat_lines) / sizeof(stat_lines[0]); i++)
		print_line(fd, stat_lines[i].name,
			   *(uint64_t *)((char *)&t + stat_lines[i].off));
}

/* Resident bytes of the heap per node, and per tier. */
static void node_bytes(struct resmap_alloc_stats *st)
{
	uint64_t pages[RESMAP_STATS_MAX_NODES] = { 0 };
	uint64_t dram = shim_tier_nodes(RESMAP_TIER_DRAM);
	uint64_t pmem = shim_tier_nodes(RESMAP_TIER_PMEM);

	shim_arena_where(pages, RESMAP_STATS_MAX_NODES);
	shim_large_where(pages, RESMAP_STATS_MAX_NODES);
	for (unsigned int n = 0; n < RESMAP_STATS_MAX_NODES; n++) {
		st->node_bytes[n] = pages[n] * SHIM_PAGE;
		if (dram & (1ULL << n))
			st->tier_bytes[RESMAP_TIER_DRAM] += st->node_bytes[n];
		if (pmem & (1ULL << n))
			st->tier_bytes[RESMAP_TIER_PMEM] += st->node_bytes[n];
	}
}

SHIM_API int resmap_alloc_stats(struct resmap_alloc_stats *st)
{
	struct resmap_alloc_stats all;
	size_t size;

	if (!st || st->size < RESMAP_ALLOC_STATS_SIZE_VER0) {
		errno = EINVAL;
		return -1;
	}
	shim_init();
	size = st->size < sizeof(all) ? st->size : sizeof(all);
	memset(&all, 0, sizeof(all));
	all.flags = st->flags;
	shim_totals(&all);
	if (st->flags & RESMAP_STATS_NODES)
		node_bytes(&all);
	all.size = size;
	memcpy(st, &all, size);
	return 0;
}

SHIM_API void resmap_stats(struct resmap_stats *out)
{
	shim_init();
	out->backend = shim_be->name;
	out->small_bytes = atomic_load(&shim_counters.small_bytes);
	out->large_blocks = atomic_load(&shim_counters.large_blocks);
	out->large_bytes = atomic_load(&shim_counters.large_bytes);
	out->reserved_bytes = atomic_load(&shim_counters.reserved_bytes);
	out->committed_spans = atomic_load(&shim_counters.committed_spans);
	out->in_place_growths = atomic_load(&shim_counters.in_place_growths);
	out->moves = atomic_load(&shim_counters.moves);
}
