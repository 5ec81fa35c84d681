// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_RESIDENCY, how many pages of a range sit on each
 * node.  Documentation/userspace-api/resmap.rst, "RESMAP_IOC_RESIDENCY".
 *
 * Only committed pages can hold memory, so only the committed intervals
 * of the range are looked at: an empty 64 TiB reservation costs nothing.
 * There the page tables are read with GUP-fast, which never faults: a
 * page that is not present, the zero page, or one being migrated does
 * not count.  A snapshot: the mmap lock is held for reading, and dropped
 * every 16384 pages looked at; a range that stops being all reservation
 * meanwhile gives ENXIO.
 */

#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

#define RESMAP_RESIDENCY_BATCH	64

/* Pages looked at between two drops of the mmap lock. */
#define RESMAP_RESIDENCY_SLICE	16384

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

/*
 * Count the committed pages of [*addr, end), at most a slice of them,
 * advancing *@addr; -ENXIO if it is no longer all reservation.
 */
static int resmap_count_slice(struct mm_struct *mm, unsigned long *addr,
			      unsigned long end, struct resmap_count *rc)
{
	unsigned long budget = RESMAP_RESIDENCY_SLICE, vend, s, e;
	const struct resmap_iv *iv;
	struct vm_area_struct *vma;
	pgoff_t pos, stop;
	int err;

	resmap_assert_locked(mm);
	while (*addr < end && budget) {
		vma = find_vma(mm, *addr);
		if (!vma || vma->vm_start > *addr || !resmap_vma_is_ours(vma))
			return -ENXIO;
		vend = min(end, vma->vm_end);
		pos = resmap_pgoff(vma, *addr);
		stop = resmap_pgoff(vma, vend);
		iv = resmap_set_next(resmap_vma_set(vma), pos);
		if (!iv || iv->start >= stop) {
			*addr = vend;
			budget--;	/* a VMA looked at counts as a page */
			continue;
		}
		pos = max(pos, iv->start);
		s = resmap_addr(vma, pos);
		e = resmap_addr(vma, min3(stop, iv->end, pos + budget));
		err = resmap_count_pages(s, e, rc);
		if (err)
			return err;
		budget -= (e - s) >> PAGE_SHIFT;
		*addr = e;
	}
	return 0;
}

/*
 * Count the committed pages of [start, end), all reservation when it
 * starts.  The mmap lock is dropped between slices, as mincore does, so
 * a long count holds up no other user of it.
 */
static int resmap_count_range(struct mm_struct *mm, unsigned long start,
			      unsigned long end, struct resmap_count *rc)
{
	unsigned long addr = start;
	int err = 0;

	while (addr < end && !err) {
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		err = resmap_count_slice(mm, &addr, end, rc);
		mmap_read_unlock(mm);
		cond_resched();
	}
	return err;
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
	err = resmap_count_range(call->mm, r->addr, r->addr + r->len, &rc);
	if (!err && copy_to_user(u64_to_user_ptr(r->counts), rc.counts,
				 r->nr_counts * sizeof(*rc.counts)))
		err = -EFAULT;
	r->resident = rc.resident;
	kfree(rc.counts);
	return err;
}
