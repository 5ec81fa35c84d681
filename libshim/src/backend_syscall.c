// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fallback backend, for machines without the resmap module: what
 * N1527 suggests for POSIX.  Reservations are MAP_NORESERVE anonymous
 * mappings, readable and writable: with the kernel's default overcommit
 * policy that costs no commit charge, and pages exist only once touched.
 * Commit is then only mbind for placement and MADV_POPULATE_WRITE to
 * fault in, decommit is MADV_DONTNEED, and no call changes protections:
 * a block stays one mapping however it is committed, and a process can
 * hold as many blocks as glibc would under vm.max_map_count.  Growth past
 * a reservation and relocation are mremap; moves are mbind(MPOL_MF_MOVE).
 *
 * Under strict overcommit (vm.overcommit_memory=2) MAP_NORESERVE is
 * ignored and every writable byte is charged: there, reservations are
 * PROT_NONE and commit and decommit are also mprotect.
 */
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* vm.overcommit_memory is 2; read once (a race reads the same value). */
bool shim_strict_overcommit(void)
{
	static int strict = -1;
	char c = 0;
	int fd;

	if (strict < 0) {
		fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, &c, 1) != 1)
				c = 0;
			close(fd);
		}
		strict = c == '2';
	}
	return strict;
}

/* Under strict overcommit only: make a range accessible, or not. */
static int sys_protect(void *addr, size_t len, bool access)
{
	if (!shim_strict_overcommit() || !len)
		return 0;
	return mprotect(addr, len, access ? PROT_READ | PROT_WRITE :
					    PROT_NONE) ? -errno : 0;
}

static void *sys_map(void *hint, size_t len)
{
	int prot = shim_strict_overcommit() ? PROT_NONE : PROT_READ | PROT_WRITE;

	return mmap(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
}

/* Aligned addresses tried below a misaligned one. */
#define RESERVE_HINTS	64

/*
 * An aligned reservation.  First exactly @len at an aligned hint (the
 * kernel takes a free hint), so that a process near its RLIMIT_AS needs
 * no more; else @len plus the alignment, trimmed.
 */
static void *sys_reserve(size_t len, size_t align)
{
	size_t span = len + (align > SHIM_PAGE ? align - SHIM_PAGE : 0);
	char *base, *p;

	if (span < len) {
		errno = ENOMEM;
		return NULL;
	}
	if (align > SHIM_PAGE) {
		base = sys_map(NULL, len);
		if (base != MAP_FAILED && !((uintptr_t)base & (align - 1)))
			return base;
		if (base != MAP_FAILED) {
			munmap(base, len);
			/*
			 * Below it: mmap hands out space top-down.  A few
			 * aligned places, where len + align cannot be had.
			 */
			for (int i = 0; i < RESERVE_HINTS; i++) {
				uintptr_t hint = ((uintptr_t)base & ~(align - 1)) -
						 i * align;

				p = sys_map((void *)hint, len);
				if (p != MAP_FAILED && (uintptr_t)p == hint)
					return p;
				if (p != MAP_FAILED)
					munmap(p, len);
				if (hint < align)
					break;
			}
		}
	}
	base = sys_map(NULL, span);
	if (base == MAP_FAILED)
		return NULL;
	p = (char *)shim_round_up((uintptr_t)base, align > SHIM_PAGE ? align :
								     SHIM_PAGE);
	if (p > base)
		munmap(base, p - base);
	if (base + span > p + len)
		munmap(p + len, base + span - (p + len));
	return p;
}

static int sys_mbind(void *addr, size_t len, int mode, uint64_t nodes,
		     unsigned int flags)
{
	unsigned long mask = nodes;

	return syscall(SYS_mbind, addr, len, mode, mode ? &mask : NULL,
		       mode ? 65 : 0, flags) ? -errno : 0;
}

/* Apply @pl to [addr, addr + len) for pages allocated from now on. */
static int sys_place(void *addr, size_t len, const struct shim_place *pl,
		     unsigned int flags)
{
	switch (pl ? pl->mode : SHIM_PLACE_NONE) {
	case SHIM_PLACE_STRICT:
		return sys_mbind(addr, len, MPOL_BIND, 1ULL << pl->node, flags);
	case SHIM_PLACE_INTERLEAVE:
		return sys_mbind(addr, len, MPOL_INTERLEAVE, pl->nodes, flags);
	case SHIM_PLACE_TIER:
		return sys_mbind(addr, len, MPOL_BIND, pl->nodes, flags);
	default:
		return 0;
	}
}

static int sys_populate(void *addr, size_t len)
{
	if (!madvise(addr, len, MADV_POPULATE_WRITE))
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Before 5.14: touch each page (still zero, so write zero). */
	for (size_t off = 0; off < len; off += SHIM_PAGE)
		((volatile char *)addr)[off] = 0;
	return 0;
}

static int sys_decommit(void *addr, size_t len)
{
	if (madvise(addr, len, MADV_DONTNEED))
		return -errno;
	return sys_protect(addr, len, false);
}

static int sys_commit(void *addr, size_t len, const struct shim_place *pl)
{
	int err = sys_protect(addr, len, true);

	if (err)
		return err;
	err = sys_place(addr, len, pl, 0);
	if (!err && pl && pl->populate)
		err = sys_populate(addr, len);
	if (err)
		sys_decommit(addr, len);
	return err;
}

static int sys_commit_many(const struct shim_range *r, size_t n,
			   const struct shim_place *pl)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = sys_commit(r[i].addr, r[i].len, pl);
		if (err) {
			while (i--)
				sys_decommit(r[i].addr, r[i].len);
			return err;
		}
	}
	return 0;
}

static int sys_release(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

/*
 * A block is one mapping while it is fully committed: anonymous mappings
 * only merge with neighbours of the same origin, so growing by mapping
 * the space after it would leave it in pieces that mremap cannot take.
 * Growth past the reservation therefore first commits the whole of it,
 * then lets mremap expand that one mapping in place.
 */
static int sys_grow(void *base, size_t used, size_t new_used, size_t res,
		    const struct shim_place *pl)
{
	char *b = base, *p;
	int err;

	if (new_used <= res)
		return sys_commit(b + used, new_used - used, pl);
	err = sys_protect(b + used, res - used, true);
	if (err)
		return err;
	p = mremap(b, res, new_used, 0);
	if (p == MAP_FAILED) {
		/*
		 * ENOMEM: the space after it is taken.  EFAULT: the block is
		 * in two mappings (mprotect could not merge them, short of
		 * memory).  Either way it may still move, or be copied.
		 */
		err = errno == ENOMEM || errno == EFAULT ? -ENOSPC : -errno;
		sys_protect(b + used, res - used, false);
		return err;
	}
	err = sys_place(b + res, new_used - res, pl, 0);
	if (!err && pl && pl->populate)
		err = sys_populate(b + used, new_used - used);
	if (err) {
		/* Back to the old reservation, committed as it was. */
		mremap(b, new_used, res, 0);
		if (used < res)
			sys_decommit(b + used, res - used);
	}
	return err;
}

static int sys_huge(void *addr, size_t len)
{
	return madvise(addr, len, MADV_HUGEPAGE) ? -errno : 0;
}

/*
 * Relocate without copying: the reservation, made one committed mapping,
 * moves with mremap to a larger place; what lies past @new_used there is
 * reserved only again.
 */
static int sys_relocate(void *base, size_t used, size_t res, size_t new_used,
			const struct shim_place *pl, void **new_base,
			size_t *new_res)
{
	size_t to = *new_res;
	char *b = base, *p;

	int err;

	(void)pl;
	err = sys_protect(b + used, res - used, true);
	if (err)
		return err;
	p = MAP_FAILED;
	if (shim_opt.thp && to >= SHIM_HUGE) {
		/* Onto huge-page-aligned space, which mremap replaces. */
		char *dest = sys_reserve(to, SHIM_HUGE);

		if (dest) {
			p = mremap(b, res, to, MREMAP_MAYMOVE | MREMAP_FIXED,
				   dest);
			if (p == MAP_FAILED)
				munmap(dest, to);
		}
	}
	if (p == MAP_FAILED)
		p = mremap(b, res, to, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		err = -errno;
		sys_protect(b + used, res - used, false);
		return err;
	}
	if (shim_opt.thp && to >= SHIM_HUGE)
		sys_huge(p, to);
	if (to > new_used)
		sys_decommit(p + new_used, to - new_used);
	*new_base = p;
	*new_res = to;
	return 0;
}

static int sys_move(void *addr, size_t len, const struct shim_place *pl,
		    long *moved)
{
	uint64_t before[64] = { 0 }, after[64] = { 0 };
	int node = pl->mode == SHIM_PLACE_STRICT ? pl->node : -1;
	long b, a;
	int err;

	b = shim_where_pages(addr, len, before, 64);
	err = sys_place(addr, len, pl, MPOL_MF_MOVE | MPOL_MF_STRICT);
	a = shim_where_pages(addr, len, after, 64);
	*moved = 0;
	for (int n = 0; n < 64 && a >= 0 && b >= 0; n++) {
		bool target = node >= 0 ? n == node :
					  !!(pl->nodes & (1ULL << n));

		if (target && after[n] > before[n])
			*moved += after[n] - before[n];
	}
	/* EIO: some pages could not move (pinned); not an error here. */
	return err == -EIO ? 0 : err;
}

const struct shim_backend shim_syscall_backend = {
	.name = "syscall",
	.reserve = sys_reserve,
	.commit = sys_commit,
	.commit_many = sys_commit_many,
	.decommit = sys_decommit,
	.release = sys_release,
	.grow = sys_grow,
	.relocate = sys_relocate,
	.move = sys_move,
	.huge = sys_huge,
};
