// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: changing what is committed, with the mmap lock held for writing.
 *
 * A change builds the new committed set of every VMA it touches before
 * changing any (the only step that can fail for lack of memory), then
 * swaps them in.  The change keeps the previous sets, so it can be undone
 * (a failed populate, or a later failure in an all-or-nothing batch) until
 * it is finished.  Decommitted pages are discarded when the change is
 * applied, or at its finish when the caller may still undo it.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "resmap.h"

void resmap_free_changes(struct resmap_change *c)
{
	struct resmap_change *next;

	for (; c; c = next) {
		next = c->next;
		resmap_set_put(c->set);
		kfree(c);
	}
}

/*
 * Whether [start, end) is covered by reservation VMAs without holes, all
 * of reservation @only if that is not NULL.  mmap lock held.
 */
bool resmap_range_is_ours(struct mm_struct *mm, unsigned long start,
			  unsigned long end, const struct resmap_resv *only)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr || !resmap_vma_is_ours(vma) ||
		    (only && resmap_vma_resv(vma) != only))
			return false;
	}
	return true;
}

/* Whether every page of [start, end), resmap_range_is_ours(), is committed. */
bool resmap_range_is_committed(struct mm_struct *mm, unsigned long start,
			       unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!resmap_set_covers(vma->vm_private_data,
				       resmap_pgoff(vma, addr),
				       resmap_pgoff(vma, min(end, vma->vm_end))))
			return false;
	}
	return true;
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

/* By the set they edit, then by VMA, then by offset. */
void resmap_sort_pieces(struct resmap_piece *p, u32 np)
{
	sort(p, np, sizeof(*p), resmap_piece_cmp, NULL);
}

/* How many of the sorted pieces @p, from the first, edit its set. */
u32 resmap_group_len(const struct resmap_piece *p, u32 np)
{
	u32 k = 1;

	while (k < np && p[k].vma->vm_private_data == p[0].vma->vm_private_data)
		k++;
	return k;
}

/* Whether @vma has one of the sorted pieces @p[0..k). */
static bool resmap_pieces_have(const struct resmap_piece *p, u32 k,
			       const struct vm_area_struct *vma)
{
	u32 lo = 0, hi = k, mid;

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

static int resmap_edit_cmp(const void *a, const void *b)
{
	const struct resmap_edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static struct resmap_change *resmap_change_add(struct resmap_change **changes,
					       struct vm_area_struct *vma,
					       unsigned long start,
					       unsigned long end)
{
	struct resmap_change *c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->vma = vma;
	c->start = start;
	c->end = end;
	c->set = NULL;
	c->next = *changes;
	*changes = c;
	return c;
}

/*
 * The new set for the sorted pieces @p[0..k), which all edit one set, for
 * every VMA of @mm that holds that set; the changes are added to
 * *@changes (freed by the caller on failure), nothing else changes.
 *
 * The pieces a VMA is split into (munmap, mprotect, mlock, mremap) share
 * its set, and on 6.12 (not 6.1) the core may move the boundary between
 * two of them (mprotect of one's end to match the other), passing pages
 * from one to the other.  So they must agree on every page: a change to one
 * is a change to all.  Its other holders are looked for only when the set
 * has more references than VMAs edited here (a split, or a fork: the
 * child keeps the old set).  Pieces never share offsets, except after
 * mremap(MREMAP_DONTUNMAP), which aliases them: then a page's first edit
 * wins.
 */
int resmap_build_group(struct mm_struct *mm, const struct resmap_piece *p,
		       u32 k, struct resmap_edit *edits,
		       struct resmap_change **changes)
{
	struct resmap_set *old = p[0].vma->vm_private_data, *set;
	struct resmap_change *head = *changes, *c = NULL;
	pgoff_t lo = ULONG_MAX, hi = 0;
	struct vm_area_struct *vma;
	unsigned long start, end;
	unsigned int nvmas = 0;
	u32 i, n = 0;

	for (i = 0; i < k; i++) {
		vma = p[i].vma;
		start = resmap_addr(vma, p[i].edit.start);
		end = resmap_addr(vma, p[i].edit.end);
		if (!i || vma != p[i - 1].vma) {
			c = resmap_change_add(changes, vma, start, end);
			if (!c)
				return -ENOMEM;
			nvmas++;
			lo = min(lo, vma->vm_pgoff);
			hi = max(hi, vma->vm_pgoff + vma_pages(vma));
		}
		c->end = end;
		edits[i] = p[i].edit;
	}
	if (refcount_read(&old->ref) > nvmas) {
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (!resmap_vma_is_ours(vma) ||
			    vma->vm_private_data != old ||
			    resmap_pieces_have(p, k, vma))
				continue;
			if (!resmap_change_add(changes, vma, vma->vm_start,
					       vma->vm_start))
				return -ENOMEM;
			lo = min(lo, vma->vm_pgoff);
			hi = max(hi, vma->vm_pgoff + vma_pages(vma));
		}
	}
	sort(edits, k, sizeof(*edits), resmap_edit_cmp, NULL);
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
	for (c = *changes; c != head; c = c->next) {
		if (c != *changes)
			refcount_inc(&set->ref);
		c->set = set;
	}
	return 0;
}

/*
 * The new committed set of every VMA in [start, end), which must be
 * resmap_range_is_ours(), and of the VMAs sharing their sets.  Nothing
 * changes.
 */
static int resmap_build_changes(struct mm_struct *mm, unsigned long start,
				unsigned long end, bool commit,
				struct mempolicy *pol,
				struct resmap_change **out)
{
	/* Most commands cover one VMA or a few: no allocation for those. */
	struct resmap_piece p_few[4], *p = p_few;
	struct resmap_edit edits_few[4], *edits = edits_few;
	struct vm_area_struct *vma;
	unsigned long addr;
	u32 np = 0, g, k;
	int err = -ENOMEM;

	*out = NULL;
	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		np++;
	}
	if (np > ARRAY_SIZE(p_few)) {
		p = kvmalloc_array(np, sizeof(*p), GFP_KERNEL_ACCOUNT);
		edits = kvmalloc_array(np, sizeof(*edits), GFP_KERNEL_ACCOUNT);
		if (!p || !edits)
			goto out;
	}
	np = 0;
	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		p[np].vma = vma;
		p[np].op = 0;
		p[np].edit.start = resmap_pgoff(vma, addr);
		p[np].edit.end = resmap_pgoff(vma, min(end, vma->vm_end));
		p[np].edit.commit = commit;
		p[np].edit.pol = pol;
		np++;
	}
	resmap_sort_pieces(p, np);
	for (g = 0, err = 0; g < np && !err; g += k) {
		k = resmap_group_len(p + g, np - g);
		err = resmap_build_group(mm, p + g, k, edits, out);
	}
out:
	if (err) {
		resmap_free_changes(*out);
		*out = NULL;
	}
	if (p != p_few) {
		kvfree(edits);
		kvfree(p);
	}
	return err;
}

/* Publish each change's set; the change keeps the VMA's previous set. */
void resmap_swap_sets(struct resmap_change *c)
{
	for (; c; c = c->next)
		c->set = xchg(&c->vma->vm_private_data, c->set);
}

/*
 * Discard the pages of [start, end) in @vma that lie outside @keep (the
 * pages an undone COMMIT populated).
 */
static void resmap_discard_outside(struct vm_area_struct *vma,
				   const struct resmap_set *keep,
				   unsigned long start, unsigned long end)
{
	pgoff_t pos = resmap_pgoff(vma, start), stop = resmap_pgoff(vma, end);
	unsigned int i;

	for (i = 0; i <= keep->nr && pos < stop; i++) {
		pgoff_t gap_end = i < keep->nr ? keep->iv[i].start : stop;

		gap_end = min(gap_end, stop);
		if (gap_end > pos)
			resmap_discard(vma, resmap_addr(vma, pos),
				       (gap_end - pos) << PAGE_SHIFT);
		if (i < keep->nr)
			pos = max(pos, keep->iv[i].end);
	}
}

/* Fault every page of [start, end) in for writing; mmap lock held. */
int resmap_populate(struct mm_struct *mm, unsigned long start,
		    unsigned long end)
{
	int err;

	for (; start < end; start += PAGE_SIZE) {
		err = fixup_user_fault(mm, start, FAULT_FLAG_WRITE, NULL);
		if (err)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* Undo a change: the previous sets back, pages it populated freed. */
void resmap_undo(struct resmap_change *changes, bool commit)
{
	struct resmap_change *c;

	resmap_swap_sets(changes);
	if (commit) {
		for (c = changes; c; c = c->next)
			resmap_discard_outside(c->vma, c->vma->vm_private_data,
					       c->start, c->end);
	}
	resmap_free_changes(changes);
}

/* Finish a change: discard what a deferred DECOMMIT left, free the log. */
void resmap_finish(struct resmap_change *changes, bool discard)
{
	struct resmap_change *c;

	for (c = changes; discard && c; c = c->next) {
		if (c->end > c->start)
			resmap_discard(c->vma, c->start, c->end - c->start);
	}
	resmap_free_changes(changes);
}

/*
 * COMMIT (placed by @pol, NULL for none; populated if @populate) or
 * DECOMMIT [start, end), which must lie in reservations (in reservation
 * @only if not NULL; ENXIO otherwise).  The mmap lock is held for
 * writing.  On success the change is returned in *@changes for the caller
 * to resmap_finish() or resmap_undo(); a DECOMMIT's pages are discarded
 * now unless @defer.  On failure nothing changed.
 */
int resmap_apply(struct mm_struct *mm, unsigned long start,
		 unsigned long end, bool commit, bool populate, bool defer,
		 const struct resmap_resv *only, struct mempolicy *pol,
		 struct resmap_change **changes)
{
	struct resmap_change *c;
	int err;

	if (!resmap_range_is_ours(mm, start, end, only))
		return -ENXIO;
	err = resmap_build_changes(mm, start, end, commit, pol, changes);
	if (err)
		return err;
	resmap_swap_sets(*changes);
	if (!commit && !defer) {
		for (c = *changes; c; c = c->next) {
			if (c->end > c->start)
				resmap_discard(c->vma, c->start,
					       c->end - c->start);
		}
	} else if (commit && populate) {
		err = resmap_populate(mm, start, end);
		if (err) {
			resmap_undo(*changes, true);
			*changes = NULL;
		}
	}
	return err;
}

/* resmap_apply() and resmap_finish() under the mmap write lock. */
int resmap_commit(struct mm_struct *mm, unsigned long start,
		  unsigned long end, bool commit, bool populate,
		  const struct resmap_resv *only, struct mempolicy *pol)
{
	struct resmap_change *changes;
	int err;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	err = resmap_apply(mm, start, end, commit, populate, false, only, pol,
			   &changes);
	if (!err)
		resmap_finish(changes, false);
	mmap_write_unlock(mm);
	return err;
}
