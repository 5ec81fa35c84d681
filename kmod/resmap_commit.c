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

/*
 * The new committed set of every VMA in [start, end), which must be
 * resmap_range_is_ours().  Nothing changes.
 */
static int resmap_build_changes(struct mm_struct *mm, unsigned long start,
				unsigned long end, bool commit,
				struct mempolicy *pol,
				struct resmap_change **out)
{
	struct resmap_change *head = NULL, **tail = &head, *c;
	struct vm_area_struct *vma;
	unsigned long addr;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		c = kmalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
		if (!c)
			goto fail_nomem;
		c->vma = vma;
		c->start = addr;
		c->end = min(end, vma->vm_end);
		c->next = NULL;
		c->set = resmap_set_edit(vma->vm_private_data, vma->vm_pgoff,
					 vma->vm_pgoff + vma_pages(vma),
					 resmap_pgoff(vma, c->start),
					 resmap_pgoff(vma, c->end), commit, pol);
		*tail = c;
		tail = &c->next;
		if (!c->set)
			goto fail_nomem;
	}
	*out = head;
	return 0;

fail_nomem:
	resmap_free_changes(head);
	return -ENOMEM;
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
			resmap_discard(vma, vma->vm_start +
				       ((pos - vma->vm_pgoff) << PAGE_SHIFT),
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

	for (c = changes; discard && c; c = c->next)
		resmap_discard(c->vma, c->start, c->end - c->start);
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
		for (c = *changes; c; c = c->next)
			resmap_discard(c->vma, c->start, c->end - c->start);
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
