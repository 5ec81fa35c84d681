// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_BATCH, many placed operations under one mmap lock.
 *
 * Every operation is checked on its own first (arguments, then overlap
 * with the others: no two may touch the same page), then all run in order
 * with the mmap lock held for writing once.  Each either applies whole or
 * changes nothing.  With RESMAP_BATCH_ALL_OR_NOTHING the first failure
 * undoes every operation before it; to make that possible, DECOMMITs
 * discard their pages only once every operation has succeeded (nothing
 * else can fault there meanwhile: the lock is held).
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

/* Static checks of one operation: 0 or -EINVAL. */
static int resmap_op_check(const struct resmap_op *op)
{
	if (op->reserved[0] || op->reserved[1])
		return -EINVAL;
	if (!op->len || !PAGE_ALIGNED(op->addr) || !PAGE_ALIGNED(op->len) ||
	    op->len > TASK_SIZE || op->addr > TASK_SIZE - op->len)
		return -EINVAL;
	switch (op->op) {
	case RESMAP_OP_COMMIT:
		if (op->flags & ~RESMAP_OP_F_POPULATE)
			return -EINVAL;
		break;
	case RESMAP_OP_POPULATE:
		if (op->flags)
			return -EINVAL;
		break;
	case RESMAP_OP_MOVE:
		/* To one node: strict, preferred or a tier's nearest. */
		if (op->flags || op->place == RESMAP_PLACE_DEFAULT ||
		    op->place == RESMAP_PLACE_INTERLEAVE)
			return -EINVAL;
		break;
	case RESMAP_OP_DECOMMIT:
		if (op->flags || op->place)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	switch (op->place) {
	case RESMAP_PLACE_DEFAULT:
		return op->node || op->nodes ? -EINVAL : 0;
	case RESMAP_PLACE_STRICT:
	case RESMAP_PLACE_PREFERRED:
		return op->nodes || op->node >= MAX_NUMNODES ? -EINVAL : 0;
	case RESMAP_PLACE_INTERLEAVE:
		return op->node || !op->nodes ? -EINVAL : 0;
	case RESMAP_PLACE_TIER:
		return op->nodes || (op->node != RESMAP_TIER_DRAM &&
				     op->node != RESMAP_TIER_PMEM) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/*
 * The policy an operation places its pages by (NULL for the default) and
 * the nodes it may use; ERR_PTR(-ENODEV) for a node without memory.
 */
static struct mempolicy *resmap_op_policy(const struct resmap_op *op,
					  nodemask_t *nodes)
{
	unsigned short mode;
	int nid;

	nodes_clear(*nodes);
	switch (op->place) {
	case RESMAP_PLACE_STRICT:
	case RESMAP_PLACE_PREFERRED:
		if (!node_state(op->node, N_MEMORY))
			return ERR_PTR(-ENODEV);
		node_set(op->node, *nodes);
		mode = op->place == RESMAP_PLACE_STRICT ? MPOL_BIND :
							  MPOL_PREFERRED;
		break;
	case RESMAP_PLACE_INTERLEAVE:
		for (nid = 0; nid < 64; nid++) {
			if (!(op->nodes & BIT_ULL(nid)))
				continue;
			if (nid >= MAX_NUMNODES || !node_state(nid, N_MEMORY))
				return ERR_PTR(-ENODEV);
			node_set(nid, *nodes);
		}
		mode = MPOL_INTERLEAVE;
		break;
	case RESMAP_PLACE_TIER:
		/* Bound to the tier; the core takes its nearest node with room. */
		for_each_node_state(nid, N_MEMORY) {
			if (resmap_node_tier(nid) == op->node)
				node_set(nid, *nodes);
		}
		if (nodes_empty(*nodes))
			return ERR_PTR(-ENODEV);
		mode = MPOL_BIND;
		break;
	default:
		return NULL;
	}
	return resmap_policy_get(mode, nodes);
}

/*
 * Pages the allocator can give from @nodes without going below their
 * high watermarks.  A populate bound to these nodes that needs more would
 * reclaim hard and then OOM-kill rather than fail, so it is refused.
 */
static unsigned long resmap_nodes_room(const nodemask_t *nodes)
{
	unsigned long room = 0, free, high;
	int nid, z;

	for_each_node_mask(nid, *nodes) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			free = zone_page_state(zone, NR_FREE_PAGES);
			high = high_wmark_pages(zone);
			room += free > high ? free - high : 0;
		}
	}
	return room;
}

/* Whether any VMA in [start, end) is a FORK_SHARE (shmem) one. */
static bool resmap_range_has_shared(struct mm_struct *mm, unsigned long start,
				    unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (resmap_vma_is_shared(vma))
			return true;
	}
	return false;
}

static bool resmap_op_populates(const struct resmap_op *op)
{
	return op->op == RESMAP_OP_POPULATE ||
	       (op->flags & RESMAP_OP_F_POPULATE);
}

/*
 * The node a MOVE goes to: its node, or for a tier the tier's node
 * nearest to this CPU with room for the range; -ENOMEM if it has none.
 */
static int resmap_move_target(const struct resmap_op *op,
			      const nodemask_t *nodes)
{
	unsigned long pages = op->len >> PAGE_SHIFT;
	int nid, best = -ENOMEM, here = numa_node_id();
	nodemask_t one;

	for_each_node_mask(nid, *nodes) {
		nodes_clear(one);
		node_set(nid, one);
		if (resmap_nodes_room(&one) < pages)
			continue;
		if (best < 0 ||
		    node_distance(here, nid) < node_distance(here, best))
			best = nid;
	}
	return best;
}

/*
 * Everything that can make a checked operation fail before it changes
 * anything, with the mmap lock held: its placement into *@pol and, for
 * a MOVE, the node it goes to into *@target.
 */
static int resmap_op_prepare(struct mm_struct *mm, const struct resmap_op *op,
			     struct mempolicy **pol, int *target)
{
	unsigned long start = op->addr, end = op->addr + op->len;
	nodemask_t nodes;

	*pol = resmap_op_policy(op, &nodes);
	if (IS_ERR(*pol))
		return PTR_ERR(*pol);
	if (!resmap_range_is_ours(mm, start, end, NULL))
		return -ENXIO;
	/* shmem places its pages by its own policy, not ours. */
	if (*pol && resmap_range_has_shared(mm, start, end))
		return -EOPNOTSUPP;
	if ((op->op == RESMAP_OP_POPULATE || op->op == RESMAP_OP_MOVE) &&
	    !resmap_range_is_committed(mm, start, end))
		return -EFAULT;
	if (resmap_op_populates(op) && *pol && (*pol)->mode == MPOL_BIND &&
	    resmap_nodes_room(&nodes) < op->len >> PAGE_SHIFT)
		return -ENOMEM;
	if (op->op == RESMAP_OP_MOVE) {
		*target = resmap_move_target(op, &nodes);
		if (*target < 0)
			return *target;
	}
	return 0;
}

/* Whether an operation changes committed sets (POPULATE may not). */
static bool resmap_op_edits(const struct resmap_op *op, struct mempolicy *pol)
{
	return op->op != RESMAP_OP_POPULATE || pol;
}

struct resmap_span {
	u64 start, end;
	u32 index;
};

static int resmap_span_cmp(const void *a, const void *b)
{
	const struct resmap_span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Mark with EINVAL every operation overlapping one listed before it. */
static int resmap_check_overlap(struct resmap_op *ops, u32 n)
{
	struct resmap_span *s;
	u64 reach = 0;
	u32 i, j, last = 0;

	s = kvmalloc_array(n, sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s[i].start = ops[i].addr;
		s[i].end = ops[i].addr + ops[i].len;
		s[i].index = i;
	}
	sort(s, n, sizeof(*s), resmap_span_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (i && s[i].start < reach) {
			/* Overlaps the span reaching furthest so far. */
			j = max(s[i].index, last);
			ops[j].result = -EINVAL;
		}
		if (!i || s[i].end > reach) {
			reach = s[i].end;
			last = s[i].index;
		}
	}
	kvfree(s);
	return 0;
}

/*
 * The VMA mapping @addr and where its piece of [@addr, @end) ends; NULL
 * at a hole.
 */
static struct vm_area_struct *resmap_piece(struct mm_struct *mm,
					   unsigned long addr,
					   unsigned long end,
					   unsigned long *piece_end)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!vma || vma->vm_start > addr)
		return NULL;
	*piece_end = min(end, vma->vm_end);
	return vma;
}

struct resmap_run {
	struct mm_struct *mm;
	struct resmap_op *ops;
	struct mempolicy **pols;
	int *targets;		/* MOVE: the node */
	u32 n;
	bool atomic;
	struct resmap_piece *pieces;
	struct resmap_edit *edits;
	struct resmap_change *changes;
};

static bool resmap_run_live(const struct resmap_run *r, u32 i)
{
	return !r->ops[i].result && resmap_op_edits(&r->ops[i], r->pols[i]);
}

/*
 * Build the new set of every VMA the live operations edit, one merge per
 * set (resmap_build_group()).  On failure for lack of memory, the
 * operations editing that set are failed with ENOMEM and -EAGAIN says to
 * build again without them.
 */
static int resmap_run_build(struct resmap_run *r)
{
	unsigned long addr, end, pend;
	struct vm_area_struct *vma;
	u32 i, np = 0, g, k;

	for (i = 0; i < r->n; i++) {
		struct resmap_op *op = &r->ops[i];

		if (!resmap_run_live(r, i))
			continue;
		end = op->addr + op->len;
		for (addr = op->addr; addr < end; addr = pend) {
			struct resmap_piece *p = &r->pieces[np++];

			vma = resmap_piece(r->mm, addr, end, &pend);
			p->vma = vma;
			p->op = i;
			p->edit.start = resmap_pgoff(vma, addr);
			p->edit.end = resmap_pgoff(vma, pend);
			p->edit.commit = op->op != RESMAP_OP_DECOMMIT;
			p->edit.pol = r->pols[i];
		}
	}
	resmap_sort_pieces(r->pieces, np);
	for (g = 0; g < np; g += k) {
		k = resmap_group_len(r->pieces + g, np - g);
		if (resmap_build_group(r->mm, r->pieces + g, k, r->edits,
				       &r->changes)) {
			for (i = g; i < g + k; i++)
				r->ops[r->pieces[i].op].result = -ENOMEM;
			resmap_free_changes(r->changes);
			r->changes = NULL;
			return -EAGAIN;
		}
	}
	return 0;
}

/* Operation @i's step of @pass: 0 populates, 1 moves. */
static int resmap_run_step(struct resmap_run *r, u32 i, int pass)
{
	struct resmap_op *op = &r->ops[i];
	unsigned long end = op->addr + op->len;

	if (pass == 0 && resmap_op_populates(op))
		return resmap_populate(r->mm, op->addr, end);
	if (pass == 1 && op->op == RESMAP_OP_MOVE)
		return resmap_move(r->mm, op->addr, end, r->targets[i],
				   &op->moved);
	return 0;
}

/*
 * Publish the new sets, populate, then move.  A failure fails its
 * operation and puts every set and page back (-EAGAIN: run again); pages
 * already moved stay on their new nodes, at the same addresses.
 */
static int resmap_run_apply(struct resmap_run *r)
{
	int err, pass;
	u32 i;

	resmap_swap_sets(r->changes);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->n; i++) {
			if (r->ops[i].result)
				continue;
			err = resmap_run_step(r, i, pass);
			if (err) {
				r->ops[i].result = err;
				resmap_undo(r->changes, true);
				r->changes = NULL;
				return -EAGAIN;
			}
		}
	}
	return 0;
}

/* In all-or-nothing mode, one failure cancels every other operation. */
static void resmap_run_cancel(struct resmap_run *r)
{
	u32 i;

	for (i = 0; i < r->n; i++)
		r->ops[i].result = r->ops[i].result ?: -ECANCELED;
}

/* Run the checked operations; mmap write lock held.  Returns how many succeeded. */
static u32 resmap_run_ops(struct resmap_run *r)
{
	unsigned long addr, end, pend;
	struct vm_area_struct *vma;
	struct resmap_op *op;
	u32 i, done = 0;
	int err;

	for (i = 0; i < r->n; i++) {
		if (!r->ops[i].result)
			r->ops[i].result = resmap_op_prepare(r->mm, &r->ops[i],
							     &r->pols[i],
							     &r->targets[i]);
		if (r->ops[i].result && r->atomic) {
			resmap_run_cancel(r);
			return 0;
		}
	}
	do {
		err = resmap_run_build(r);
		if (!err)
			err = resmap_run_apply(r);
		if (err && r->atomic) {
			resmap_run_cancel(r);
			return 0;
		}
	} while (err);

	/* Nothing can fail now: DECOMMITs give their pages back. */
	for (i = 0; i < r->n; i++) {
		op = &r->ops[i];
		if (op->result)
			continue;
		done++;
		if (op->op != RESMAP_OP_DECOMMIT)
			continue;
		end = op->addr + op->len;
		for (addr = op->addr; addr < end; addr = pend) {
			vma = resmap_piece(r->mm, addr, end, &pend);
			resmap_discard(vma, addr, pend - addr);
		}
	}
	resmap_free_changes(r->changes);
	return done;
}

/* Pieces the operations can have: each VMA they cover, at most. */
static u32 resmap_count_pieces(struct mm_struct *mm,
			       const struct resmap_op *ops, u32 n)
{
	unsigned long addr, end, pend;
	u32 i, np = 0;

	for (i = 0; i < n; i++) {
		if (ops[i].result)
			continue;
		end = ops[i].addr + ops[i].len;
		for (addr = ops[i].addr; addr < end; addr = pend) {
			if (!resmap_piece(mm, addr, end, &pend))
				break;
			np++;
		}
	}
	return np;
}

long resmap_ioctl_batch(void __user *uarg, size_t usize)
{
	struct resmap_run r = { .mm = current->mm };
	struct resmap_op __user *uops;
	struct resmap_batch b;
	int err, first = 0;
	u32 i, np;

	err = resmap_copy_arg(&b, sizeof(b), RESMAP_BATCH_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	if ((b.flags & ~RESMAP_BATCH_ALL_OR_NOTHING) || b.pad ||
	    memchr_inv(b.reserved, 0, sizeof(b.reserved)) ||
	    !b.count || b.count > RESMAP_BATCH_MAX || !r.mm)
		return -EINVAL;
	r.atomic = b.flags & RESMAP_BATCH_ALL_OR_NOTHING;
	r.n = b.count;
	uops = u64_to_user_ptr(b.ops);
	r.ops = kvmalloc_array(r.n, sizeof(*r.ops), GFP_KERNEL_ACCOUNT);
	r.pols = kvcalloc(r.n, sizeof(*r.pols), GFP_KERNEL_ACCOUNT);
	r.targets = kvcalloc(r.n, sizeof(*r.targets), GFP_KERNEL_ACCOUNT);
	err = -ENOMEM;
	if (!r.ops || !r.pols || !r.targets)
		goto out;
	err = -EFAULT;
	if (copy_from_user(r.ops, uops, r.n * sizeof(*r.ops)))
		goto out;
	for (i = 0; i < r.n; i++) {
		r.ops[i].result = resmap_op_check(&r.ops[i]);
		r.ops[i].moved = 0;
	}
	err = resmap_check_overlap(r.ops, r.n);
	if (err)
		goto out;

	b.done = 0;
	for (i = 0; i < r.n && !first; i++)
		first = r.ops[i].result;
	if (r.atomic && first) {
		resmap_run_cancel(&r);
	} else {
		err = -EINTR;
		if (mmap_write_lock_killable(r.mm))
			goto out;
		/* Room for the per-VMA pieces, counted under the lock. */
		np = resmap_count_pieces(r.mm, r.ops, r.n);
		r.pieces = kvmalloc_array(np, sizeof(*r.pieces),
					  GFP_KERNEL_ACCOUNT);
		r.edits = kvmalloc_array(np, sizeof(*r.edits),
					 GFP_KERNEL_ACCOUNT);
		if ((r.pieces && r.edits) || !np) {
			b.done = resmap_run_ops(&r);
			err = 0;
		} else {
			err = -ENOMEM;
		}
		mmap_write_unlock(r.mm);
		if (err)
			goto out;
	}

	for (i = 0; i < r.n; i++) {
		/* Never write past an address that faulted. */
		if (!err && (put_user(r.ops[i].result, &uops[i].result) ||
			     put_user(r.ops[i].moved, &uops[i].moved)))
			err = -EFAULT;
		if (!first)
			first = r.ops[i].result == -ECANCELED ? 0 :
							       r.ops[i].result;
	}
	if (!err)
		err = resmap_put_arg(uarg, usize, &b, sizeof(b));
	if (!err)
		err = first;
out:
	kvfree(r.edits);
	kvfree(r.pieces);
	kvfree(r.targets);
	kvfree(r.pols);
	kvfree(r.ops);
	return err;
}
