// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESERVE, COMMIT, DECOMMIT and RELEASE.
 *
 * Every command acts on current->mm only.  COMMIT and DECOMMIT build the
 * new committed sets of every VMA they touch before changing any, and
 * hold the mmap lock for writing throughout, so a failure (no memory for
 * a set, or for a page while populating) leaves every VMA and page as it
 * was.
 */

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

long resmap_ioctl_reserve(struct file *file, void __user *uarg, size_t usize)
{
	struct resmap_reserve r;
	struct resmap_resv *resv;
	unsigned long align, span, base, addr;
	int err;

	err = resmap_copy_arg(&r, sizeof(r), RESMAP_RESERVE_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	if ((r.flags & ~RESMAP_RESERVE_FORK_MASK) || hweight32(r.flags) > 1 ||
	    r.pad || memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	align = r.align ? r.align : PAGE_SIZE;
	if (!r.len || !PAGE_ALIGNED(r.len) || !is_power_of_2(align) ||
	    align < PAGE_SIZE || align > RESMAP_MAX_ALIGN ||
	    !IS_ALIGNED(r.addr, align))
		return -EINVAL;
	/* As mmap: more address space than a process can have. */
	if (r.len > TASK_SIZE || r.addr > TASK_SIZE - r.len)
		return -ENOMEM;

	/* Over-reserve by the alignment, then trim both ends. */
	span = r.addr ? r.len : r.len + align - PAGE_SIZE;
	if (span > TASK_SIZE)
		return -ENOMEM;
	resv = resmap_resv_new(file, r.flags);
	if (!resv)
		return -ENOMEM;
	base = resmap_map(resv, r.addr, span);
	resmap_resv_put(resv);	/* the VMA holds it now, if mapped */
	if (IS_ERR_VALUE(base))
		return (long)base;
	addr = ALIGN(base, align);
	if (addr > base)
		vm_munmap(base, addr - base);
	if (base + span > addr + r.len)
		vm_munmap(addr + r.len, base + span - addr - r.len);

	r.addr = addr;
	err = resmap_put_arg(uarg, usize, &r, sizeof(r));
	if (err)
		vm_munmap(addr, r.len);
	return err;
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

/*
 * Whether [start, end) is covered by reservation VMAs without holes, all
 * of reservation @only if that is not NULL.  mmap lock held.
 */
static bool resmap_range_is_ours(struct mm_struct *mm, unsigned long start,
				 unsigned long end,
				 const struct resmap_resv *only)
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

/*
 * The new committed set of every VMA in [start, end), which must be
 * resmap_range_is_ours().  Nothing changes.
 */
static int resmap_build_changes(struct mm_struct *mm, unsigned long start,
				unsigned long end, bool commit,
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
					 resmap_pgoff(vma, c->end), commit);
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
static void resmap_swap_sets(struct resmap_change *c)
{
	for (; c; c = c->next)
		c->set = xchg(&c->vma->vm_private_data, c->set);
}

/*
 * Zap the pages of [start, end) in @vma that lie outside @keep (the pages
 * a failed COMMIT populated).
 */
static void resmap_zap_outside(struct vm_area_struct *vma,
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
static int resmap_populate(struct mm_struct *mm, unsigned long start,
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

/*
 * COMMIT (optionally populating) or DECOMMIT [start, end), which must lie
 * in reservations (in reservation @only if not NULL; ENXIO otherwise).
 */
int resmap_commit(struct mm_struct *mm, unsigned long start,
		  unsigned long end, bool commit, bool populate,
		  const struct resmap_resv *only)
{
	struct resmap_change *changes, *c;
	int err;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	err = -ENXIO;
	if (!resmap_range_is_ours(mm, start, end, only))
		goto out;
	err = resmap_build_changes(mm, start, end, commit, &changes);
	if (err)
		goto out;
	resmap_swap_sets(changes);

	if (!commit) {
		for (c = changes; c; c = c->next)
			resmap_discard(c->vma, c->start, c->end - c->start);
	} else if (populate) {
		err = resmap_populate(mm, start, end);
		if (err) {
			resmap_swap_sets(changes);
			for (c = changes; c; c = c->next)
				resmap_zap_outside(c->vma, c->vma->vm_private_data,
						   c->start, c->end);
		}
	}
	resmap_free_changes(changes);
out:
	mmap_write_unlock(mm);
	return err;
}

/*
 * Unmap [start, end) if it lies in reservations (of @only if not NULL),
 * ENXIO otherwise.  Checked, then unmapped: munmap takes the lock itself.
 */
int resmap_unmap_own(struct mm_struct *mm, unsigned long start,
		     unsigned long end, const struct resmap_resv *only)
{
	bool ours;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ours = resmap_range_is_ours(mm, start, end, only);
	mmap_read_unlock(mm);
	return ours ? vm_munmap(start, end - start) : -ENXIO;
}

long resmap_ioctl_range(unsigned int nr, void __user *uarg, size_t usize)
{
	struct mm_struct *mm = current->mm;
	struct resmap_range r;
	u32 allowed = 0;
	int err;

	err = resmap_copy_arg(&r, sizeof(r), RESMAP_RANGE_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	if (nr == _IOC_NR(RESMAP_IOC_COMMIT))
		allowed = RESMAP_COMMIT_POPULATE;
	if ((r.flags & ~allowed) || r.pad ||
	    memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	if (!r.len || !PAGE_ALIGNED(r.addr) || !PAGE_ALIGNED(r.len) ||
	    r.len > TASK_SIZE || r.addr > TASK_SIZE - r.len)
		return -EINVAL;
	if (!mm)
		return -EINVAL;

	switch (nr) {
	case _IOC_NR(RESMAP_IOC_COMMIT):
		return resmap_commit(mm, r.addr, r.addr + r.len, true,
				     r.flags & RESMAP_COMMIT_POPULATE, NULL);
	case _IOC_NR(RESMAP_IOC_DECOMMIT):
		return resmap_commit(mm, r.addr, r.addr + r.len, false, false,
				     NULL);
	default:
		return resmap_unmap_own(mm, r.addr, r.addr + r.len, NULL);
	}
}
