// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESIZE, growing or shrinking a committed extent in place.
 *
 * Growth commits the pages after the extent inside its own reservation
 * and, where the extent reaches the reservation's end, first extends the
 * reservation with a new VMA right after it, mapped with
 * MAP_FIXED_NOREPLACE so that nothing is ever replaced.  The extent never
 * moves: if the space is taken, ENOSPC and nothing changed.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/resmap.h>
#include "resmap.h"

/*
 * Where the reservation holding @start stops being mapped contiguously
 * from @start, looking no further than @limit; 0 (with *@resv unset) if
 * @start is not in a reservation.  mmap lock held.
 */
static unsigned long resmap_resv_reach(struct mm_struct *mm,
				       unsigned long start, unsigned long limit,
				       struct resmap_resv **resv)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long addr = start;

	if (!vma || vma->vm_start > start || !resmap_vma_is_ours(vma))
		return 0;
	*resv = resmap_vma_resv(vma);
	while (vma && vma->vm_start == addr && addr < limit &&
	       resmap_vma_is_ours(vma) && resmap_vma_resv(vma) == *resv) {
		addr = vma->vm_end;
		vma = find_vma(mm, addr);
	}
	return addr;
}

/*
 * Check the extent [start, old_end) lies in one reservation and, when
 * growing to @new_end, that the reservation either covers the growth or
 * is followed by free address space up to @new_end.  Returns with a
 * reference on the reservation in *@resv, where it ends in *@reach, and
 * the placement of the extent's last page in *@pol.
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
		*pol = resmap_set_policy(last->vm_private_data,
					 resmap_pgoff(last, old_end - 1));
	}
	mmap_read_unlock(mm);
	return err;
}

static int resmap_resize(struct mm_struct *mm, unsigned long start,
			 unsigned long old_end, unsigned long new_end,
			 bool populate)
{
	struct resmap_resv *resv;
	unsigned long reach, ext = 0;
	struct mempolicy *pol;
	int err;

	err = resmap_resize_check(mm, start, old_end, new_end, &resv, &reach,
				  &pol);
	if (err)
		return err;
	if (new_end <= old_end) {
		if (new_end < old_end)
			err = resmap_commit(mm, new_end, old_end, false, false,
					    resv, NULL);
		goto out;
	}
	if (reach < new_end) {
		ext = resmap_map(resv, reach, new_end - reach);
		if (IS_ERR_VALUE(ext)) {
			/* Taken since we looked: as if it had been then. */
			err = ext == -EEXIST ? -ENOSPC : (int)ext;
			goto out;
		}
	}
	err = resmap_commit(mm, old_end, new_end, true, populate, resv, pol);
	if (err && ext)
		resmap_unmap_own(mm, ext, new_end, resv);
out:
	resmap_resv_put(resv);
	return err;
}

long resmap_ioctl_resize(void __user *uarg, size_t usize)
{
	struct mm_struct *mm = current->mm;
	struct resmap_resize r;
	int err;

	err = resmap_copy_arg(&r, sizeof(r), RESMAP_RESIZE_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	if ((r.flags & ~RESMAP_RESIZE_POPULATE) || r.pad ||
	    memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	if (!r.old_len || !r.new_len || !PAGE_ALIGNED(r.addr) ||
	    !PAGE_ALIGNED(r.old_len) || !PAGE_ALIGNED(r.new_len) ||
	    r.old_len > TASK_SIZE || r.addr > TASK_SIZE - r.old_len)
		return -EINVAL;
	if (!mm)
		return -EINVAL;
	/* Growth past the end of the address space cannot be in place. */
	if (r.new_len > TASK_SIZE || r.addr > TASK_SIZE - r.new_len)
		return -ENOSPC;

	return resmap_resize(mm, r.addr, r.addr + r.old_len,
			     r.addr + r.new_len,
			     r.flags & RESMAP_RESIZE_POPULATE);
}
