// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_RESIDENCY, how many pages of a range sit on each
 * node.  Read from the page tables with GUP-fast, which never faults: a
 * page that is not present, the zero page, or one being migrated does not
 * count.  A snapshot.
 */

#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

#define RESMAP_RESIDENCY_BATCH	64

static int resmap_count_resident(unsigned long start, unsigned long end,
				 u64 *counts, u32 nr, u64 *resident)
{
	struct page *pages[RESMAP_RESIDENCY_BATCH];
	unsigned long addr = start;
	int got, i, n, nid;

	while (addr < end) {
		n = min_t(unsigned long, RESMAP_RESIDENCY_BATCH,
			  (end - addr) >> PAGE_SHIFT);
		got = get_user_pages_fast_only(addr, n, 0, pages);
		/* Stopped at a page it cannot take: not resident here. */
		if (got <= 0) {
			addr += PAGE_SIZE;
			continue;
		}
		for (i = 0; i < got; i++) {
			if (!is_zero_pfn(page_to_pfn(pages[i]))) {
				nid = page_to_nid(pages[i]);
				if (nid < nr)
					counts[nid]++;
				(*resident)++;
			}
			put_page(pages[i]);
		}
		addr += (unsigned long)got << PAGE_SHIFT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

long resmap_ioctl_residency(void __user *uarg, size_t usize)
{
	struct mm_struct *mm = current->mm;
	struct resmap_residency r;
	u64 *counts;
	bool ours;
	int err;

	err = resmap_copy_arg(&r, sizeof(r), RESMAP_RESIDENCY_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	if (r.flags || memchr_inv(r.reserved, 0, sizeof(r.reserved)) ||
	    !r.nr_counts || r.nr_counts > MAX_NUMNODES)
		return -EINVAL;
	if (!r.len || !PAGE_ALIGNED(r.addr) || !PAGE_ALIGNED(r.len) ||
	    r.len > TASK_SIZE || r.addr > TASK_SIZE - r.len || !mm)
		return -EINVAL;
	counts = kcalloc(r.nr_counts, sizeof(*counts), GFP_KERNEL);
	if (!counts)
		return -ENOMEM;

	if (mmap_read_lock_killable(mm)) {
		err = -EINTR;
		goto out;
	}
	ours = resmap_range_is_ours(mm, r.addr, r.addr + r.len, NULL);
	mmap_read_unlock(mm);
	r.resident = 0;
	err = ours ? resmap_count_resident(r.addr, r.addr + r.len, counts,
					   r.nr_counts, &r.resident) : -ENXIO;
	if (!err && copy_to_user(u64_to_user_ptr(r.counts), counts,
				 r.nr_counts * sizeof(*counts)))
		err = -EFAULT;
	if (!err)
		err = resmap_put_arg(uarg, usize, &r, sizeof(r));
out:
	kfree(counts);
	return err;
}
