// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_RESIZE, growing or shrinking a committed extent in
 * place.  Documentation/userspace-api/resmap.rst, "RESMAP_IOC_RESIZE".
 *
 * Growth commits the pages after the extent inside its own reservation
 * and, where the extent reaches the reservation's end, first extends the
 * reservation with a new mapping right after it, mapped with
 * MAP_FIXED_NOREPLACE so that nothing is ever replaced.  The extent never
 * moves: if the space is taken, ENOSPC and nothing changed.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/resmap.h>
#include "resmap.h"
#include "resmap_trace.h"

/*
 * Where the reservation holding @start stops being mapped contiguously
 * from @start, looking no further than @limit; 0 (with *@resv unset) if
 * @start is not in a reservation.
 */
static unsigned long resmap_resv_reach(struct mm_struct *mm,
				       unsigned long start, unsigned long limit,
				       struct resmap_resv **resv)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long addr;

	resmap_assert_locked(mm);
	if (!vma || vma->vm_start > start || !resmap_vma_is_ours(vma))
		return 0;
	*resv = resmap_vma_resv(vma);
	/* From the VMA holding @start, which need not begin there. */
	for (addr = vma->vm_end; addr < limit; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start != addr || !resmap_vma_is_ours(vma) ||
		    resmap_vma_resv(vma) != *resv)
			break;
		cond_resched();
	}
	return addr;
}

/*
 * Check the extent [start, old_end) lies in one reservation and, when
 * growing to @new_end, that the reservation either covers the growth or
 * is followed by free address space up to @new_end.  Returns with a
 * reference on the reservation in *@resv, where it ends in *@reach, and
 * the placement of the extent's last page (referenced) in *@pol.
 */
static int resmap_resize_check(struct mm_struct *mm, unsigned long start,
			       unsigned long old_end, unsigned long new_end,
			       struct resmap_resv **resv, unsigned long *reach,
			       struct mempolicy **pol)
{
	struct vm_area_struct *next, *last;
	int err = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	*reach = resmap_resv_reach(mm, start, max(old_end, new_end), resv);
	if (*reach < old_end) {
		err = -ENXIO;
	} else if (*reach < new_end) {
		next = find_vma(mm, *reach);
		if (next && next->vm_start < new_end)
			err = -ENOSPC;
	}
	if (!err) {
		refcount_inc(&(*resv)->ref);
		/* Growth is placed as the extent's last page is. */
		last = find_vma(mm, old_end - 1);
		*pol = resmap_policy_dup(resmap_set_policy(resmap_vma_set(last),
							   resmap_pgoff(last, old_end - 1)));
	}
	mmap_read_unlock(mm);
	return err;
}

static int resmap_resize(struct resmap_call *call)
{
	struct resmap_resize *r = call->arg;
	unsigned long start = r->addr, old_end, new_end, reach, ext = 0;
	struct resmap_txn_op op = {
		.populate = r->flags & RESMAP_RESIZE_POPULATE,
	};
	struct resmap_resv *resv;
	int err;

	if ((r->flags & ~RESMAP_RESIZE_POPULATE) || r->pad ||
	    !resmap_zeroed(r->reserved))
		return -EINVAL;
	if (!resmap_range_ok(r->addr, r->old_len) || !r->new_len ||
	    !PAGE_ALIGNED(r->new_len))
		return -EINVAL;
	/* Growth past the end of the address space cannot be in place. */
	if (!resmap_range_ok(r->addr, r->new_len))
		return -ENOSPC;
	old_end = start + r->old_len;
	new_end = start + r->new_len;

	err = resmap_resize_check(call->mm, start, old_end, new_end, &resv,
				  &reach, &op.pol);
	if (err)
		return err;
	if (new_end == old_end)
		goto out;
	if (new_end < old_end) {
		op.start = new_end;
		op.end = old_end;
		op.kind = RESMAP_EDIT_DECOMMIT;
		op.populate = false;
		err = resmap_txn_run(call->mm, &op, resv);
		goto out;
	}
	if (reach < new_end) {
		ext = resmap_map(resv, reach, new_end - reach, PAGE_SIZE);
		if (IS_ERR_VALUE(ext)) {
			/* Taken since we looked: as if it had been then. */
			err = ext == -EEXIST ? -ENOSPC : (int)ext;
			goto out;
		}
	}
	op.start = old_end;
	op.end = new_end;
	op.kind = RESMAP_EDIT_COMMIT;
	err = resmap_txn_run(call->mm, &op, resv);
	if (err && ext)
		resmap_unmap_own(call->mm, ext, new_end, resv);
out:
	resmap_policy_put(op.pol);
	resmap_resv_put(resv);
	return err;
}

int resmap_cmd_resize(struct resmap_call *call)
{
	struct resmap_resize *r = call->arg;
	int err = resmap_resize(call);

	trace_resmap_resize(r->addr, r->old_len, r->new_len, err);
	return err;
}
