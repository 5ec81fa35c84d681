// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the transaction engine behind COMMIT, DECOMMIT, RESIZE and
 * BATCH.  Everything here runs with the caller's mmap lock held for
 * writing, which keeps every fault out of the VMAs it changes.
 *
 * A transaction is a list of disjoint operations, each committing or
 * decommitting a range.  resmap_txn_begin() builds the new committed set
 * of every VMA they touch (the only step that can fail for lack of
 * memory) and then publishes them all.  The caller may then populate; a
 * failed operation is dropped with resmap_txn_drop_failed() (the others
 * are rebuilt from the original sets, once), or everything is undone
 * with resmap_txn_abort().  resmap_txn_end() makes it final: decommitted
 * pages are freed only then, which nothing can observe earlier.
 *
 * Every VMA of one mapping in one process holds the same set: the core
 * may move the boundary between two pieces of a split VMA (mprotect of
 * one's end to match the other, on 6.12), passing pages from one to the
 * other, so they must agree on every page.  A change to one is a change
 * to all; the others are found in the mapping's own i_mmap tree (each
 * mapping has an inode of its own, resmap_area.c), looked at only when
 * the set has more references than the VMAs the transaction covers.
 * Pieces never share offsets, except after mremap(MREMAP_DONTUNMAP),
 * which aliases them: a decommit then frees the pages in every alias.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "resmap.h"

/* Most VMA pieces one transaction may edit: bounds its bookkeeping. */
#define RESMAP_TXN_MAX_PIECES	BIT(22)

/*
 * A VMA whose set the transaction replaces.  Before publishing, @set is
 * the new set; after, the VMA's previous one (swapped again on abort).
 * @edits are the sorted edits of its group, for freeing decommitted
 * pages in every VMA that holds the set.
 */
struct resmap_change {
	struct vm_area_struct *vma;
	struct resmap_set *set;
	const struct resmap_edit *edits;
	size_t nedits;
	struct resmap_change *next;
};

/* One VMA's share of one operation. */
struct resmap_piece {
	struct vm_area_struct *vma;
	struct resmap_edit edit;
};

/**
 * resmap_range_is_ours() - whether reservation VMAs cover a range
 * @mm:    the caller's mm
 * @start: page-aligned start
 * @end:   end, above @start
 * @only:  if not NULL, the reservation they must all belong to
 *
 * Context: mmap lock held.
 * Return: true if [@start, @end) has no hole and no other mapping.
 */
bool resmap_range_is_ours(struct mm_struct *mm, unsigned long start,
			  unsigned long end, const struct resmap_resv *only)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	resmap_assert_locked(mm);
	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr || !resmap_vma_is_ours(vma) ||
		    (only && resmap_vma_resv(vma) != only))
			return false;
		cond_resched();
	}
	return true;
}

/* Whether every page of [start, end), resmap_range_is_ours(), is committed. */
bool resmap_range_is_committed(struct mm_struct *mm, unsigned long start,
			       unsigned long end)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;

	resmap_assert_locked(mm);
	for_each_vma_range(vmi, vma, end) {
		if (!resmap_set_covers(resmap_vma_set(vma),
				       resmap_pgoff(vma, max(start, vma->vm_start)),
				       resmap_pgoff(vma, min(end, vma->vm_end))))
			return false;
		cond_resched();
	}
	return true;
}

/* Whether any VMA of [start, end), resmap_range_is_ours(), is FORK_SHARE. */
bool resmap_range_has_shared(struct mm_struct *mm, unsigned long start,
			     unsigned long end)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;

	resmap_assert_locked(mm);
	for_each_vma_range(vmi, vma, end)
		if (resmap_vma_is_shared(vma))
			return true;
	return false;
}

static void resmap_free_changes(struct resmap_change *c)
{
	struct resmap_change *next;

	for (; c; c = next) {
		next = c->next;
		resmap_set_put(c->set);
		kfree(c);
	}
}

static bool resmap_op_live(const struct resmap_txn_op *op)
{
	return !op->result && op->kind != RESMAP_EDIT_NONE;
}

static int resmap_piece_cmp(const void *a, const void *b)
{
	const struct resmap_piece *x = a, *y = b;
	const void *sx = x->vma->vm_private_data, *sy = y->vma->vm_private_data;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (x->vma != y->vma)
		return x->vma < y->vma ? -1 : 1;
	if (x->edit.start != y->edit.start)
		return x->edit.start < y->edit.start ? -1 : 1;
	return 0;
}

static int resmap_edit_cmp(const void *a, const void *b)
{
	const struct resmap_edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Whether @vma has one of the pieces @p[0..k), sorted by VMA. */
static bool resmap_pieces_have(const struct resmap_piece *p, size_t k,
			       const struct vm_area_struct *vma)
{
	size_t lo = 0, hi = k, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].vma == vma)
			return true;
		if (p[mid].vma < vma)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static struct resmap_change *resmap_change_add(struct resmap_txn *t,
					       struct vm_area_struct *vma)
{
	struct resmap_change *c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->vma = vma;
	c->set = NULL;
	c->edits = NULL;
	c->nedits = 0;
	c->next = t->changes;
	t->changes = c;
	return c;
}

/*
 * Each other VMA of the caller holding @old, the set of the pieces
 * @p[0..k): found in the i_mmap tree of its mapping's inode, with the
 * mapping's VMAs in other processes (a fork family's).  With @c NULL,
 * counted into *@n; else one change of the list @c each, widening
 * [*lo, *hi).  The caller's VMAs cannot change meanwhile (its mmap lock
 * is held for writing), so two walks find the same ones.
 */
static int resmap_walk_siblings(struct resmap_txn *t,
				const struct resmap_piece *p, size_t k,
				struct resmap_change *c, size_t *n,
				pgoff_t *lo, pgoff_t *hi)
{
	struct address_space *mapping = p[0].vma->vm_file->f_mapping;
	const struct resmap_set *old = resmap_vma_set(p[0].vma);
	struct vm_area_struct *vma;
	struct rb_node *node;
	int err = 0;

	i_mmap_lock_read(mapping);
	for (node = rb_first(&mapping->i_mmap.rb_root); node;
	     node = rb_next(node)) {
		cond_resched();
		if (!c && fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (vma->vm_mm != t->mm || vma->vm_private_data != old ||
		    resmap_pieces_have(p, k, vma))
			continue;
		if (!c) {
			(*n)++;
			continue;
		}
		c->vma = vma;
		c = c->next;
		*lo = min(*lo, vma->vm_pgoff);
		*hi = max(*hi, vma->vm_pgoff + vma_pages(vma));
	}
	i_mmap_unlock_read(mapping);
	return err;
}

/*
 * Add a change for every other VMA of the caller holding the set of the
 * pieces @p[0..k).  The changes are allocated between two walks of the
 * mapping's VMAs, never under its i_mmap_rwsem, which reclaim takes.
 */
static int resmap_add_siblings(struct resmap_txn *t,
			       const struct resmap_piece *p, size_t k,
			       pgoff_t *lo, pgoff_t *hi)
{
	size_t n = 0, i;
	int err;

	err = resmap_walk_siblings(t, p, k, NULL, &n, lo, hi);
	if (err || !n)
		return err;
	for (i = 0; i < n; i++) {
		if (!resmap_change_add(t, NULL))
			return -ENOMEM;
	}
	/* Fills the n changes just added at the head; it cannot fail. */
	resmap_walk_siblings(t, p, k, t->changes, &n, lo, hi);
	return 0;
}

/*
 * Whether edits of different operations share an offset, which only
 * VMAs aliased by mremap(MREMAP_DONTUNMAP) can do: the operations are
 * disjoint in address space.  Then in each cluster of overlapping edits
 * every operation but the first listed fails with EINVAL, and the build
 * is done again without them; no two survivors can overlap.
 */
static bool resmap_edits_alias(struct resmap_txn *t,
			       const struct resmap_edit *edits, size_t k)
{
	size_t i, c, first;
	pgoff_t reach;
	bool alias = false;

	for (c = 0; c < k; c = i) {
		first = edits[c].op;
		reach = edits[c].end;
		for (i = c + 1; i < k && edits[i].start < reach; i++) {
			first = min(first, edits[i].op);
			reach = max(reach, edits[i].end);
		}
		for (; c < i; c++) {
			if (edits[c].op == first)
				continue;
			t->ops[edits[c].op].result = -EINVAL;
			alias = true;
		}
	}
	return alias;
}

/*
 * The new set for the pieces @p[0..k), sorted, which all edit one set,
 * for every VMA of the caller holding that set.  @edits has room for k.
 */
static int resmap_build_group(struct resmap_txn *t,
			      const struct resmap_piece *p, size_t k,
			      struct resmap_edit *edits)
{
	struct resmap_set *old = resmap_vma_set(p[0].vma), *set;
	struct resmap_change *head = t->changes, *c;
	pgoff_t lo = ULONG_MAX, hi = 0;
	size_t i, n = 0, nvmas = 0;
	int err;

	for (i = 0; i < k; i++) {
		if (!(i & 1023) && i) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
		if (!i || p[i].vma != p[i - 1].vma) {
			if (!resmap_change_add(t, p[i].vma))
				return -ENOMEM;
			nvmas++;
			lo = min(lo, p[i].vma->vm_pgoff);
			hi = max(hi, p[i].vma->vm_pgoff + vma_pages(p[i].vma));
		}
		edits[i] = p[i].edit;
	}
	if (refcount_read(&old->ref) > nvmas) {
		err = resmap_add_siblings(t, p, k, &lo, &hi);
		if (err)
			return err;
	}
	sort(edits, k, sizeof(*edits), resmap_edit_cmp, NULL);
	if (resmap_edits_alias(t, edits, k))
		return -EAGAIN;
	/* Pieces of one operation may alias each other: the first wins. */
	for (i = 0; i < k; i++) {
		struct resmap_edit e = edits[i];

		if (n && e.start < edits[n - 1].end)
			e.start = edits[n - 1].end;
		if (e.start < e.end)
			edits[n++] = e;
	}
	set = resmap_set_merge(old, lo, hi, edits, n);
	if (!set)
		return -ENOMEM;
	for (c = t->changes; c != head; c = c->next) {
		if (c != t->changes)
			refcount_inc(&set->ref);
		c->set = set;
		c->edits = edits;
		c->nedits = n;
	}
	return 0;
}

/* Visit each piece of each live operation: count them, or fill @p. */
static int resmap_txn_pieces(struct resmap_txn *t, struct resmap_piece *p,
			     size_t *np)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	size_t i, n = 0;

	for (i = 0; i < t->nops; i++) {
		const struct resmap_txn_op *op = &t->ops[i];

		if (!resmap_op_live(op))
			continue;
		for (addr = op->start; addr < op->end; addr = vma->vm_end) {
			vma = find_vma(t->mm, addr);
			if (p) {
				p[n].vma = vma;
				p[n].edit.start = resmap_pgoff(vma, addr);
				p[n].edit.end = resmap_pgoff(vma, min(op->end,
								      vma->vm_end));
				p[n].edit.kind = op->kind;
				p[n].edit.pol = op->pol;
				p[n].edit.op = i;
			}
			if (++n > RESMAP_TXN_MAX_PIECES)
				return -ENOMEM;
			if (!(n & 1023)) {
				if (fatal_signal_pending(current))
					return -EINTR;
				cond_resched();
			}
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	*np = n;
	return 0;
}

/*
 * Build every new set of the live operations; nothing is published.
 * -EAGAIN: operations aliasing others were failed; build again.
 */
static int resmap_txn_build(struct resmap_txn *t)
{
	struct resmap_piece few[4], *p = few;
	size_t np, g, k;
	int err;

	t->changes = NULL;
	t->edits = NULL;
	err = resmap_txn_pieces(t, NULL, &np);
	if (err || !np)
		return err;
	if (np > ARRAY_SIZE(few)) {
		p = kvmalloc_array(np, sizeof(*p),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!p)
			return -ENOMEM;
	}
	t->edits = kvmalloc_array(np, sizeof(*t->edits),
				  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	err = -ENOMEM;
	if (!t->edits)
		goto out;
	/* The same walk again (nothing changed: the lock is held), or -EINTR. */
	err = resmap_txn_pieces(t, p, &np);
	if (err)
		goto out;
	sort(p, np, sizeof(*p), resmap_piece_cmp, NULL);
	for (g = 0, err = 0; g < np && (!err || err == -EAGAIN); g += k) {
		for (k = 1; g + k < np &&
		     p[g + k].vma->vm_private_data == p[g].vma->vm_private_data;)
			k++;
		/* -EAGAIN (aliases) goes on, to find them in every group. */
		err = resmap_build_group(t, p + g, k, t->edits + g) ?: err;
		if (fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
out:
	if (err) {
		resmap_free_changes(t->changes);
		t->changes = NULL;
		kvfree(t->edits);
		t->edits = NULL;
	}
	if (p != few)
		kvfree(p);
	return err;
}

/* Swap each change's set with its VMA's, faults kept out. */
static void resmap_txn_swap(struct resmap_txn *t)
{
	struct resmap_change *c;

	for (c = t->changes; c; c = c->next) {
		resmap_vma_write_lock(c->vma);
		c->set = xchg(&c->vma->vm_private_data, c->set);
	}
}

/**
 * resmap_txn_begin() - build and publish the new committed sets
 * @t: the transaction: its operations checked (ranges ours, disjoint)
 *
 * Context: mmap lock held for writing.
 * Return: 0; -ENOMEM or -EINTR with nothing changed.
 */
int resmap_txn_begin(struct resmap_txn *t)
{
	int err;

	resmap_assert_write_locked(t->mm);
	err = resmap_txn_build(t);
	/* Aliasing operations were failed: once more without them. */
	if (err == -EAGAIN)
		err = resmap_txn_build(t);
	if (WARN_ON_ONCE(err == -EAGAIN))
		err = -EINVAL;
	if (!err)
		resmap_txn_swap(t);
	return err;
}

/**
 * resmap_txn_populate() - fault an operation's pages in
 * @t:  a begun transaction
 * @op: one of its operations; its range committed now
 *
 * A private VMA's pages are written to (anonymous pages are allocated on
 * a write).  A FORK_SHARE VMA's are read: that allocates the shmem page
 * without dirtying it, so an undo can tell it from one that a process
 * sharing it has written (resmap_discard_unused()).
 *
 * Context: mmap lock held for writing.
 * Return: 0; -EFAULT (not writable), -ENOMEM, -EINTR.
 */
int resmap_txn_populate(struct resmap_txn *t, struct resmap_txn_op *op)
{
	struct vm_area_struct *vma;
	unsigned long addr, a, end;
	unsigned int flags;
	int err;

	resmap_assert_write_locked(t->mm);
	for (addr = op->start; addr < op->end; addr = vma->vm_end) {
		vma = find_vma(t->mm, addr);
		if (!(vma->vm_flags & VM_WRITE))
			return -EFAULT;
	}
	/* From here it may have allocated pages an undo must free. */
	op->populated = true;
	for (addr = op->start; addr < op->end; addr = vma->vm_end) {
		vma = find_vma(t->mm, addr);
		flags = resmap_vma_is_shared(vma) ? 0 : FAULT_FLAG_WRITE;
		end = min(op->end, vma->vm_end);
		for (a = addr; a < end; a += PAGE_SIZE) {
			err = fixup_user_fault(t->mm, a, flags, NULL);
			if (err)
				return err;
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Free what populating @op allocated outside the committed sets now in
 * place (the ones it found, after an undo).
 */
static void resmap_txn_unpopulate(struct resmap_txn *t,
				  const struct resmap_txn_op *op)
{
	struct vm_area_struct *vma;
	unsigned long addr, end;
	const struct resmap_iv *iv;
	pgoff_t pos, stop, gap_end;

	for (addr = op->start; addr < op->end; addr = vma->vm_end) {
		vma = find_vma(t->mm, addr);
		end = min(op->end, vma->vm_end);
		pos = resmap_pgoff(vma, addr);
		stop = resmap_pgoff(vma, end);
		while (pos < stop) {
			iv = resmap_set_next(resmap_vma_set(vma), pos);
			gap_end = iv ? clamp(iv->start, pos, stop) : stop;
			if (gap_end > pos)
				resmap_discard_unused(vma, resmap_addr(vma, pos),
						      (gap_end - pos) << PAGE_SHIFT);
			pos = iv ? max(gap_end, iv->end) : stop;
			cond_resched();
		}
	}
}

static void resmap_txn_free(struct resmap_txn *t)
{
	resmap_free_changes(t->changes);
	t->changes = NULL;
	kvfree(t->edits);
	t->edits = NULL;
}

/**
 * resmap_txn_abort() - undo a begun transaction
 * @t: the transaction
 *
 * Every set back as it was, and every page its operations populated
 * outside them freed.  Pages a MOVE moved stay where they are.
 *
 * Context: mmap lock held for writing.
 */
void resmap_txn_abort(struct resmap_txn *t)
{
	size_t i;

	resmap_assert_write_locked(t->mm);
	resmap_txn_swap(t);
	for (i = 0; i < t->nops; i++) {
		if (t->ops[i].populated)
			resmap_txn_unpopulate(t, &t->ops[i]);
	}
	resmap_txn_free(t);
}

/**
 * resmap_txn_drop_failed() - keep only the operations that succeeded
 * @t: a begun transaction, some of whose live operations now have a
 *     result (they failed after the sets were published)
 *
 * The sets are built again from the original ones with the others, and
 * what the failed operations populated outside them is freed.  If that
 * build fails, everything is undone and every operation gets its error.
 *
 * Context: mmap lock held for writing.
 * Return: 0, or -ENOMEM/-EINTR after undoing everything.
 */
int resmap_txn_drop_failed(struct resmap_txn *t)
{
	struct resmap_change *published;
	struct resmap_edit *edits;
	size_t i;
	int err;

	resmap_assert_write_locked(t->mm);
	/* The original sets back in place, pages kept, to build from. */
	resmap_txn_swap(t);
	published = t->changes;
	edits = t->edits;
	err = resmap_txn_build(t);
	resmap_free_changes(published);
	kvfree(edits);
	if (err) {
		for (i = 0; i < t->nops; i++) {
			if (t->ops[i].populated)
				resmap_txn_unpopulate(t, &t->ops[i]);
			if (!t->ops[i].result)
				t->ops[i].result = err;
		}
		return err;
	}
	resmap_txn_swap(t);
	for (i = 0; i < t->nops; i++) {
		if (t->ops[i].result && t->ops[i].populated)
			resmap_txn_unpopulate(t, &t->ops[i]);
	}
	return 0;
}

/* Free the pages of @c's decommitting edits inside @c's VMA. */
static void resmap_change_discard(const struct resmap_change *c)
{
	struct vm_area_struct *vma = c->vma;
	pgoff_t lo = vma->vm_pgoff, hi = lo + vma_pages(vma), s, e;
	size_t i = 0, n = c->nedits;

	/* The first edit ending past the VMA's start. */
	while (n) {
		size_t half = n / 2;

		if (c->edits[i + half].end <= lo) {
			i += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	for (; i < c->nedits && c->edits[i].start < hi; i++) {
		if (c->edits[i].kind != RESMAP_EDIT_DECOMMIT)
			continue;
		s = max(c->edits[i].start, lo);
		e = min(c->edits[i].end, hi);
		if (s < e)
			resmap_discard(vma, resmap_addr(vma, s),
				       (e - s) << PAGE_SHIFT);
		cond_resched();
	}
}

/**
 * resmap_txn_end() - make a begun transaction final
 * @t: the transaction
 *
 * Decommitted pages are freed, in every VMA holding a changed set
 * (aliases included), and the previous sets are released.
 *
 * Context: mmap lock held for writing.
 */
void resmap_txn_end(struct resmap_txn *t)
{
	struct resmap_change *c;

	resmap_assert_write_locked(t->mm);
	for (c = t->changes; c; c = c->next)
		resmap_change_discard(c);
	resmap_txn_free(t);
}

/**
 * resmap_txn_run() - one operation as a whole transaction
 * @mm:   the caller's mm
 * @op:   the operation (COMMIT, with @op->populate, or DECOMMIT)
 * @only: if not NULL, the reservation its range must lie in
 *
 * Context: takes the mmap lock for writing.
 * Return: 0, or -errno with nothing changed (-ENXIO: not all reserved).
 */
int resmap_txn_run(struct mm_struct *mm, struct resmap_txn_op *op,
		   const struct resmap_resv *only)
{
	struct resmap_txn t = { .mm = mm, .ops = op, .nops = 1 };
	int err;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	err = -ENXIO;
	if (!resmap_range_is_ours(mm, op->start, op->end, only))
		goto out;
	err = resmap_txn_begin(&t);
	if (err)
		goto out;
	if (op->populate) {
		err = resmap_txn_populate(&t, op);
		if (err) {
			resmap_txn_abort(&t);
			goto out;
		}
	}
	resmap_txn_end(&t);
out:
	mmap_write_unlock(mm);
	return err;
}
