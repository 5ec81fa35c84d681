// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The module backend: /dev/resmap's commands.  Reservations are RESERVE,
 * growth is RESIZE (with mremap expanding the reservation in place when
 * the space after it is free), placed and batched commits are one BATCH
 * call, moves are BATCH MOVE.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/resmap.h>

#include "shim.h"

int shim_module_fd = -1;

static void *mod_reserve(size_t len, size_t align)
{
	struct resmap_reserve r;

	memset(&r, 0, sizeof(r));
	r.len = len;
	r.align = align > SHIM_PAGE ? align : 0;
	if (ioctl(shim_module_fd, RESMAP_IOC_RESERVE, &r))
		return NULL;
	return (void *)(uintptr_t)r.addr;
}

static void mod_op(struct resmap_op *o, unsigned int op, void *addr,
		   size_t len, const struct shim_place *pl)
{
	memset(o, 0, sizeof(*o));
	o->op = op;
	o->addr = (uintptr_t)addr;
	o->len = len;
	if (!pl || op == RESMAP_OP_DECOMMIT)
		return;
	if (pl->populate && op == RESMAP_OP_COMMIT)
		o->flags = RESMAP_OP_F_POPULATE;
	switch (pl->mode) {
	case SHIM_PLACE_STRICT:
		o->place = RESMAP_PLACE_STRICT;
		o->node = pl->node;
		break;
	case SHIM_PLACE_INTERLEAVE:
		o->place = RESMAP_PLACE_INTERLEAVE;
		o->nodes = pl->nodes;
		break;
	case SHIM_PLACE_TIER:
		o->place = RESMAP_PLACE_TIER;
		o->node = pl->tier;
		break;
	default:
		break;
	}
}

static int mod_batch(struct resmap_op *ops, size_t n, bool atomic)
{
	struct resmap_batch b;

	memset(&b, 0, sizeof(b));
	b.ops = (uintptr_t)ops;
	b.count = n;
	b.flags = atomic ? RESMAP_BATCH_ALL_OR_NOTHING : 0;
	return ioctl(shim_module_fd, RESMAP_IOC_BATCH, &b) ? -errno : 0;
}

static int mod_commit(void *addr, size_t len, const struct shim_place *pl)
{
	struct resmap_op o;

	mod_op(&o, RESMAP_OP_COMMIT, addr, len, pl);
	return mod_batch(&o, 1, true);
}

/* All in one call (all or nothing), in chunks of RESMAP_BATCH_MAX. */
static int mod_commit_many(const struct shim_range *r, size_t n,
			   const struct shim_place *pl)
{
	struct resmap_op ops[256];
	size_t i, done = 0, k;
	int err = 0;

	for (i = 0; i < n && !err; i += k) {
		k = n - i < 256 ? n - i : 256;
		for (size_t j = 0; j < k; j++)
			mod_op(&ops[j], RESMAP_OP_COMMIT, r[i + j].addr,
			       r[i + j].len, pl);
		err = mod_batch(ops, k, true);
		if (!err)
			done = i + k;
	}
	for (i = 0; err && i < done; i++) {
		mod_op(&ops[0], RESMAP_OP_DECOMMIT, r[i].addr, r[i].len, NULL);
		mod_batch(ops, 1, false);
	}
	return err;
}

static int mod_range(unsigned long cmd, void *addr, size_t len,
		     unsigned int flags)
{
	struct resmap_range r;

	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)addr;
	r.len = len;
	r.flags = flags;
	return ioctl(shim_module_fd, cmd, &r) ? -errno : 0;
}

static int mod_decommit(void *addr, size_t len)
{
	return mod_range(RESMAP_IOC_DECOMMIT, addr, len, 0);
}

static int mod_release(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

/*
 * Growth past the reservation expands its mapping in place with mremap
 * (the new part is reserved, not committed), then RESIZE commits: the
 * block stays one mapping, which mremap can later relocate whole.
 * (RESIZE alone would extend it with a second mapping.)
 */
static int mod_grow(void *base, size_t used, size_t new_used, size_t res,
		    const struct shim_place *pl)
{
	struct resmap_resize r;

	if (new_used > res && mremap(base, res, new_used, 0) == MAP_FAILED)
		return errno == ENOMEM ? -ENOSPC : -errno;
	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)base;
	r.old_len = used;
	r.new_len = new_used;
	r.flags = pl && pl->populate ? RESMAP_RESIZE_POPULATE : 0;
	if (!ioctl(shim_module_fd, RESMAP_IOC_RESIZE, &r))
		return 0;
	if (new_used > res)
		mremap(base, new_used, res, 0);
	return -errno;
}

/*
 * mremap moves a reservation mapping with its committed set; the new
 * length beyond the old is reserved, then RESIZE commits the growth.
 * A reservation that was extended is several mappings: EFAULT, and the
 * caller copies.
 */
static int mod_relocate(void *base, size_t used, size_t res, size_t new_used,
			const struct shim_place *pl, void **new_base,
			size_t *new_res)
{
	size_t to = *new_res;
	char *p = mremap(base, res, to, MREMAP_MAYMOVE);
	int err;

	if (p == MAP_FAILED)
		return -errno;
	err = mod_grow(p, used, new_used, to, pl);
	if (err) {
		if (mremap(p, to, res, MREMAP_MAYMOVE | MREMAP_FIXED,
			   base) == MAP_FAILED)
			shim_fatal("mremap could not undo a move", p);
		return err;
	}
	*new_base = p;
	*new_res = to;
	return 0;
}

static int mod_move(void *addr, size_t len, const struct shim_place *pl,
		    long *moved)
{
	struct resmap_op o;
	int err;

	mod_op(&o, RESMAP_OP_MOVE, addr, len, pl);
	if (pl->mode == SHIM_PLACE_INTERLEAVE)
		return -EINVAL;
	err = mod_batch(&o, 1, false);
	*moved = o.moved;
	return err;
}

const struct shim_backend shim_module_backend = {
	.name = "module",
	.reserve = mod_reserve,
	.commit = mod_commit,
	.commit_many = mod_commit_many,
	.decommit = mod_decommit,
	.release = mod_release,
	.grow = mod_grow,
	.relocate = mod_relocate,
	.move = mod_move,
};
