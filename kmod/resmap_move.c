// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: moving committed pages to another node in place.
 *
 * The exported device-migration interface does it for system memory too:
 * migrate_vma_setup() with MIGRATE_VMA_SELECT_SYSTEM collects the
 * anonymous pages of a range, locks them and replaces their page table
 * entries with migration entries; resmap allocates each destination page
 * on the target node and copies; migrate_vma_pages() and _finalize()
 * install the new pages at the same addresses.  Anyone touching a page
 * meanwhile waits on its migration entry, so no reader sees a torn or
 * stale page.  Zero-page and never-touched entries are not memory and
 * are left alone; pinned pages (O_DIRECT in flight) stay where they are.
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include "resmap.h"

#define RESMAP_MOVE_CHUNK	32	/* pages per migrate_vma round (stack) */

/* Move the pages of [start, end), inside @vma, to @nid; add to *@moved. */
static int resmap_move_vma(struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, int nid, u32 *moved)
{
	unsigned long src[RESMAP_MOVE_CHUNK], dst[RESMAP_MOVE_CHUNK];
	struct migrate_vma args = {
		.vma = vma,
		.src = src,
		.dst = dst,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct page *spage, *dpage;
	unsigned long addr, i;
	int err = 0;

	for (addr = start; addr < end && !err; addr = args.end) {
		args.start = addr;
		args.end = min(end, addr + RESMAP_MOVE_CHUNK * PAGE_SIZE);
		err = migrate_vma_setup(&args);
		if (err)
			return err;
		for (i = 0; i < args.npages; i++) {
			spage = migrate_pfn_to_page(src[i]);
			dst[i] = 0;
			if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE) ||
			    page_to_nid(spage) == nid)
				continue;
			dpage = alloc_pages_node(nid, GFP_HIGHUSER_MOVABLE |
						 __GFP_THISNODE | __GFP_NORETRY |
						 __GFP_NOWARN, 0);
			if (!dpage) {
				err = -ENOMEM;
				continue;
			}
			lock_page(dpage);
			copy_highpage(dpage, spage);
			dst[i] = migrate_pfn(page_to_pfn(dpage));
		}
		migrate_vma_pages(&args);
		for (i = 0; i < args.npages; i++) {
			if (dst[i] && (src[i] & MIGRATE_PFN_MIGRATE))
				(*moved)++;
		}
		migrate_vma_finalize(&args);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
	return err;
}

/*
 * Move the pages of [start, end), resmap_range_is_ours() and not shared,
 * to node @nid; mmap lock held.  Adds the pages that moved to *@moved,
 * also on failure (-ENOMEM: no page left on @nid; -EINTR).
 */
int resmap_move(struct mm_struct *mm, unsigned long start, unsigned long end,
		int nid, u32 *moved)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	int err = 0;

	for (addr = start; addr < end && !err; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		err = resmap_move_vma(vma, addr, min(end, vma->vm_end), nid,
				      moved);
	}
	return err;
}
