// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_RESIDENCY, how many pages of a range sit on each
 * node.  Documentation/userspace-api/resmap.rst, "RESMAP_IOC_RESIDENCY".
 *
 * Only committed pages can hold memory, so only the committed intervals
 * of the range are looked at: an empty 64 TiB reservation costs nothing.
 * There the page tables are read with GUP-fast, which never faults: a
 * page that is not present, the zero page, or one being migrated does
 * not count.  A snapshot, taken with the mmap lock held for reading.
 */

#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

#define RESMAP_RESIDENCY_BATCH	64

struct resmap_count {
	u64 *counts;
	u32 nr;
	u64 resident;
};

/* Count the resident pages of [addr, end), stopping on a fatal signal. */
static int resmap_count_pages(unsigned long addr, unsigned long end,
			      struct resmap_count *rc)
{
	struct page *pages[RESMAP_RESIDENCY_BATCH];
	int got, i, nid;

	while (addr < end) {
		got = get_user_pages_fast_only(addr,
					       min_t(unsigned long,
						     RESMAP_RESIDENCY_BATCH,
						     (end - addr) >> PAGE_SHIFT),
					       0, pages);
		/* Stopped at a page it cannot take: not resident here. */
		if (got <= 0)
			got = 0;
		for (i = 0; i < got; i++) {
			if (!is_zero_pfn(page_to_pfn(pages[i]))) {
				nid = page_to_nid(pages[i]);
				if (nid < rc->nr)
					rc->counts[nid]++;
				rc->resident++;
			}
			put_page(pages[i]);
		}
		addr += (unsigned long)max(got, 1) << PAGE_SHIFT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* Count the committed pages of [start, end), all reservation. */
static int resmap_count_range(struct mm_struct *mm, unsigned long start,
			      unsigned long end, struct resmap_count *rc)
{
	const struct resmap_iv *iv;
	struct vm_area_struct *vma;
	unsigned long addr, vend;
	pgoff_t pos, stop;
	int err;

	resmap_assert_locked(mm);
	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		vend = min(end, vma->vm_end);
		pos = resmap_pgoff(vma, addr);
		stop = resmap_pgoff(vma, vend);
		while (pos < stop &&
		       (iv = resmap_set_next(resmap_vma_set(vma), pos)) &&
		       iv->start < stop) {
			pos = max(pos, iv->start);
			err = resmap_count_pages(resmap_addr(vma, pos),
						 resmap_addr(vma, min(stop, iv->end)),
						 rc);
			if (err)
				return err;
			pos = iv->end;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

int resmap_cmd_residency(struct resmap_call *call)
{
	struct resmap_residency *r = call->arg;
	struct resmap_count rc = { .nr = r->nr_counts };
	int err;

	if (r->flags || !resmap_zeroed(r->reserved) || !r->nr_counts ||
	    r->nr_counts > MAX_NUMNODES)
		return -EINVAL;
	if (!resmap_range_ok(r->addr, r->len))
		return -EINVAL;
	rc.counts = kcalloc(r->nr_counts, sizeof(*rc.counts), GFP_KERNEL);
	if (!rc.counts)
		return -ENOMEM;
	if (mmap_read_lock_killable(call->mm)) {
		err = -EINTR;
		goto out;
	}
	err = -ENXIO;
	if (resmap_range_is_ours(call->mm, r->addr, r->addr + r->len, NULL))
		err = resmap_count_range(call->mm, r->addr, r->addr + r->len,
					 &rc);
	mmap_read_unlock(call->mm);
	if (!err && copy_to_user(u64_to_user_ptr(r->counts), rc.counts,
				 r->nr_counts * sizeof(*rc.counts)))
		err = -EFAULT;
	r->resident = rc.resident;
out:
	kfree(rc.counts);
	return err;
}
