// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_BATCH, many placed operations under one mmap lock.
 * Documentation/userspace-api/resmap.rst, "RESMAP_IOC_BATCH".
 *
 * Every operation is checked on its own first (arguments, then overlap
 * with the operations listed before it: no two that run may touch the
 * same page), then, with the mmap lock held for writing once, against
 * the address space, and all that pass are one transaction
 * (resmap_txn.c): every set change published, then the populates, then
 * the moves.  An operation that fails there is dropped and the others
 * are rebuilt once per pass, so a batch costs at most three builds.
 * With RESMAP_BATCH_ALL_OR_NOTHING the first failure undoes everything.
 */

#include <linux/cpuset.h>
#include <linux/interval_tree_generic.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"
#include "resmap_trace.h"

/* Static checks of one operation: 0 or -EINVAL. */
static int resmap_op_check(const struct resmap_op *op)
{
	if (op->reserved[0] || op->reserved[1])
		return -EINVAL;
	if (!resmap_range_ok(op->addr, op->len))
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
		/* @moved counts its pages in 32 bits. */
		if (op->len >> PAGE_SHIFT > U32_MAX)
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
		if (op->nodes || !resmap_tier_ok(op->node))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The policy an operation places its pages by (referenced; NULL for the
 * default) and the nodes it may use; ERR_PTR(-ENODEV) for a node without
 * memory, ERR_PTR(-ENOMEM).
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
		/* As mbind and move_pages: never outside the caller's cpuset. */
		if (!node_isset(op->node, cpuset_current_mems_allowed))
			return ERR_PTR(op->op == RESMAP_OP_MOVE ? -EACCES : -EINVAL);
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
		nodes_and(*nodes, *nodes, cpuset_current_mems_allowed);
		if (nodes_empty(*nodes))
			return ERR_PTR(-EINVAL);
		mode = MPOL_INTERLEAVE;
		break;
	case RESMAP_PLACE_TIER:
		/* Bound to the tier; the core takes its nearest node with room. */
		if (resmap_tier_nodes(op->node, nodes))
			return ERR_PTR(-ENODEV);
		nodes_and(*nodes, *nodes, cpuset_current_mems_allowed);
		if (nodes_empty(*nodes))
			return ERR_PTR(op->op == RESMAP_OP_MOVE ? -EACCES : -EINVAL);
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
 * anything, with the mmap lock held: its placement into *@pol (referenced,
 * also on failure) and, for a MOVE, the node it goes to into *@target.
 */
static int resmap_op_prepare(struct mm_struct *mm, const struct resmap_op *op,
			     struct mempolicy **pol, int *target)
{
	unsigned long start = op->addr, end = op->addr + op->len;
	nodemask_t nodes;

	*pol = resmap_op_policy(op, &nodes);
	if (IS_ERR(*pol)) {
		int err = PTR_ERR(*pol);

		*pol = NULL;
		return err;
	}
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

/*
 * The spans of a batch's operations in an interval tree (of our own: the
 * kernel's lib/interval_tree.c is not built into every kernel).
 */
struct resmap_span {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long subtree_last;
};

#define RESMAP_SPAN_START(s)	((s)->start)
#define RESMAP_SPAN_LAST(s)	((s)->last)

INTERVAL_TREE_DEFINE(struct resmap_span, rb, unsigned long, subtree_last,
		     RESMAP_SPAN_START, RESMAP_SPAN_LAST, static __maybe_unused,
		     resmap_span)

/*
 * Fail with EINVAL every operation sharing a page with one listed before
 * it, whatever that one's other fields say (any range that does not wrap
 * counts, by the pages it touches): an interval tree of those, queried
 * before each is added, so nested and overlapping spans are all caught
 * in O(n log n).
 */
static int resmap_check_overlap(struct resmap_op *ops, u32 n)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct resmap_span *nodes;
	u64 end;
	u32 i;

	nodes = kvmalloc_array(n, sizeof(*nodes),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!nodes)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!ops[i].len || check_add_overflow(ops[i].addr, ops[i].len,
						      &end) || end > TASK_SIZE)
			continue;
		nodes[i].start = ops[i].addr & PAGE_MASK;
		nodes[i].last = PAGE_ALIGN(end) - 1;
		if (resmap_span_iter_first(&root, nodes[i].start,
					   nodes[i].last) && !ops[i].result)
			ops[i].result = -EINVAL;
		resmap_span_insert(&nodes[i], &root);
		if (!(i & 1023))
			cond_resched();
	}
	kvfree(nodes);
	return 0;
}

/* A batch being run: its operations and the transaction they make. */
struct resmap_run {
	struct resmap_op *ops;
	struct resmap_txn_op *tops;
	int *targets;		/* MOVE: the node */
	u32 n;
	bool atomic;
	struct resmap_txn txn;
};

/* In all-or-nothing mode, one failure cancels every other operation. */
static void resmap_run_cancel(struct resmap_run *r)
{
	u32 i;

	for (i = 0; i < r->n; i++)
		r->ops[i].result = r->ops[i].result ?: -ECANCELED;
}

/* Check each operation against the address space; build its txn op. */
static int resmap_run_prepare(struct resmap_run *r, struct mm_struct *mm)
{
	struct resmap_txn_op *t;
	struct resmap_op *op;
	u32 i;

	for (i = 0; i < r->n; i++) {
		op = &r->ops[i];
		t = &r->tops[i];
		t->start = op->addr;
		t->end = op->addr + op->len;
		if (!op->result)
			op->result = resmap_op_prepare(mm, op, &t->pol,
						       &r->targets[i]);
		t->result = op->result;
		if (t->result)
			continue;
		t->populate = resmap_op_populates(op);
		if (op->op == RESMAP_OP_DECOMMIT)
			t->kind = RESMAP_EDIT_DECOMMIT;
		else if (op->op != RESMAP_OP_POPULATE || t->pol)
			t->kind = RESMAP_EDIT_COMMIT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * One pass over the live operations: 0 populates, 1 moves.  Returns how
 * many failed; -EINTR on a fatal signal.
 */
static int resmap_run_pass(struct resmap_run *r, int pass)
{
	struct resmap_txn_op *t;
	int err, failed = 0;
	u32 i;

	for (i = 0; i < r->n; i++) {
		t = &r->tops[i];
		if (t->result)
			continue;
		err = 0;
		if (pass == 0 && t->populate)
			err = resmap_txn_populate(&r->txn, t);
		if (pass == 1 && r->ops[i].op == RESMAP_OP_MOVE)
			err = resmap_move_range(r->txn.mm, t->start, t->end,
						r->targets[i],
						&r->ops[i].moved);
		if (!err)
			continue;
		t->result = err;
		failed++;
		if (err == -EINTR || r->atomic)
			return err == -EINTR ? err : failed;
	}
	return failed;
}

/* Run the checked operations; mmap write lock held. */
static void resmap_run_ops(struct resmap_run *r, struct mm_struct *mm)
{
	int err, pass;
	u32 i;

	resmap_assert_write_locked(mm);
	err = resmap_run_prepare(r, mm);
	if (err)
		goto fail_all;
	for (i = 0; i < r->n && r->atomic; i++) {
		if (r->tops[i].result)
			goto done;
	}
	err = resmap_txn_begin(&r->txn);
	if (err)
		goto fail_all;
	for (pass = 0; pass < 2; pass++) {
		err = resmap_run_pass(r, pass);
		if (!err)
			continue;
		if (err < 0) {
			resmap_txn_abort(&r->txn);
			goto fail_all;
		}
		if (r->atomic) {
			resmap_txn_abort(&r->txn);
			goto done;
		}
		/* Some failed: keep the others (undoes all if it fails). */
		if (resmap_txn_drop_failed(&r->txn))
			goto done;
	}
	resmap_txn_end(&r->txn);
	goto done;

fail_all:
	/* Not one operation's failure: nothing changed, all have it. */
	for (i = 0; i < r->n; i++)
		r->tops[i].result = r->tops[i].result ?: err;
done:
	for (i = 0; i < r->n; i++)
		r->ops[i].result = r->tops[i].result;
	for (i = 0; i < r->n && r->atomic; i++) {
		if (r->ops[i].result) {
			resmap_run_cancel(r);
			break;
		}
	}
}

/* Write each result back, never past an address that faulted. */
static int resmap_put_results(struct resmap_op __user *uops,
			      const struct resmap_op *ops, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (put_user(ops[i].result, &uops[i].result) ||
		    put_user(ops[i].moved, &uops[i].moved))
			return -EFAULT;
	}
	return 0;
}

/* A MOVE event for each MOVE operation, with its final result. */
static void resmap_trace_moves(const struct resmap_run *r)
{
	const struct resmap_op *op;
	u32 i;

	if (!trace_resmap_move_enabled())
		return;
	for (i = 0; i < r->n; i++) {
		op = &r->ops[i];
		if (op->op == RESMAP_OP_MOVE)
			trace_resmap_move(op->addr, op->len,
					  max(r->targets[i], NUMA_NO_NODE),
					  op->moved, op->result);
	}
}

static int resmap_batch(struct resmap_call *call)
{
	struct resmap_batch *b = call->arg;
	struct resmap_run r = { .txn.mm = call->mm };
	struct resmap_op __user *uops = u64_to_user_ptr(b->ops);
	int err, first = 0;
	u32 i;

	if ((b->flags & ~RESMAP_BATCH_ALL_OR_NOTHING) || b->pad ||
	    !resmap_zeroed(b->reserved) || !b->count ||
	    b->count > RESMAP_BATCH_MAX)
		return -EINVAL;
	r.atomic = b->flags & RESMAP_BATCH_ALL_OR_NOTHING;
	r.n = b->count;
	r.ops = kvmalloc_array(r.n, sizeof(*r.ops),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	r.tops = kvcalloc(r.n, sizeof(*r.tops),
			  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	r.targets = kvcalloc(r.n, sizeof(*r.targets),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	err = -ENOMEM;
	if (!r.ops || !r.tops || !r.targets)
		goto out;
	err = -EFAULT;
	if (copy_from_user(r.ops, uops, array_size(r.n, sizeof(*r.ops))))
		goto out;
	r.txn.ops = r.tops;
	r.txn.nops = r.n;
	for (i = 0; i < r.n; i++) {
		r.ops[i].result = resmap_op_check(&r.ops[i]);
		r.ops[i].moved = 0;
		r.targets[i] = NUMA_NO_NODE;
	}
	err = resmap_check_overlap(r.ops, r.n);
	if (err)
		goto out;
	/* Results must be writable before anything runs (zeroed now). */
	for (i = 0; i < r.n; i++) {
		err = -EFAULT;
		if (put_user(0, &uops[i].result) || put_user(0, &uops[i].moved))
			goto out;
	}

	for (i = 0; i < r.n && !first; i++)
		first = r.ops[i].result;
	if (r.atomic && first) {
		resmap_run_cancel(&r);
	} else {
		err = -EINTR;
		if (mmap_write_lock_killable(call->mm))
			goto out;
		resmap_run_ops(&r, call->mm);
		mmap_write_unlock(call->mm);
	}
	resmap_trace_moves(&r);

	err = resmap_put_results(uops, r.ops, r.n);
	if (err)
		goto out;
	b->done = 0;
	first = 0;
	for (i = 0; i < r.n; i++) {
		b->done += !r.ops[i].result;
		if (!first && r.ops[i].result != -ECANCELED)
			first = r.ops[i].result;
	}
	/* The results are out: the caller gets them with the error. */
	call->out_on_error = true;
	err = first;
out:
	for (i = 0; r.tops && i < r.n; i++)
		resmap_policy_put(r.tops[i].pol);
	kvfree(r.targets);
	kvfree(r.tops);
	kvfree(r.ops);
	return err;
}

int resmap_cmd_batch(struct resmap_call *call)
{
	struct resmap_batch *b = call->arg;
	int err = resmap_batch(call);

	trace_resmap_batch(b->count, call->out_on_error ? b->done : 0, err);
	return err;
}
