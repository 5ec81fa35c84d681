// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESERVE, COMMIT, DECOMMIT and RELEASE.
 *
 * Every command acts on current->mm only.  COMMIT and DECOMMIT are
 * resmap_commit() (resmap_commit.c): a failure leaves every VMA and page
 * as it was.
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
				     r.flags & RESMAP_COMMIT_POPULATE, NULL,
				     NULL);
	case _IOC_NR(RESMAP_IOC_DECOMMIT):
		return resmap_commit(mm, r.addr, r.addr + r.len, false, false,
				     NULL, NULL);
	default:
		return resmap_unmap_own(mm, r.addr, r.addr + r.len, NULL);
	}
}
