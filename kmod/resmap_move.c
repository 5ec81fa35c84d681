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
 *
 * The collector would also move pages that other processes map (a forked
 * child's copy-on-write pages, KSM pages merged with another user's),
 * unmapping them from every process.  As move_pages(2) does, only a
 * caller with CAP_SYS_NICE may move those; for others they stay put and
 * do not count as moved.  Which pages they are is read before the
 * collector unmaps them: with the caller's mmap lock held for writing no
 * new process can map a page only it maps (fork needs that lock), and a
 * page KSM merges meanwhile is a KSM page by the time it is collected.
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/sched/signal.h>
#include "resmap.h"

#define RESMAP_MOVE_CHUNK	32	/* pages per migrate_vma round (stack) */

static int resmap_page_mapcount(struct page *page)
{
#ifdef RESMAP_HAVE_INLINE_FOLIO_MAPCOUNT
	return folio_mapcount(page_folio(page));
#else
	return page_mapcount(page);
#endif
}

/*
 * Mark in @own which pages of [start, end) (at most a chunk) only this
 * process maps; the others are not to be moved.
 */
static void resmap_move_own(unsigned long start, unsigned long end,
			    unsigned long *own)
{
	struct page *pages[RESMAP_MOVE_CHUNK];
	unsigned long addr = start, i;
	int got, j;

	BUILD_BUG_ON(RESMAP_MOVE_CHUNK > BITS_PER_LONG);
	*own = 0;
	while (addr < end) {
		i = (addr - start) >> PAGE_SHIFT;
		got = get_user_pages_fast_only(addr, (end - addr) >> PAGE_SHIFT,
					       0, pages);
		if (got <= 0) {
			addr += PAGE_SIZE;
			continue;
		}
		for (j = 0; j < got; j++) {
			if (!PageKsm(pages[j]) &&
			    resmap_page_mapcount(pages[j]) == 1)
				*own |= BIT(i + j);
			put_page(pages[j]);
		}
		addr += (unsigned long)got << PAGE_SHIFT;
	}
}

/* Move the pages of [start, end), inside @vma, to @nid; add to *@moved. */
static int resmap_move_vma(struct vm_area_struct *vma, unsigned long start,
			   unsigned long end, int nid, u32 *moved)
{
	unsigned long src[RESMAP_MOVE_CHUNK], dst[RESMAP_MOVE_CHUNK];
	bool all = capable(CAP_SYS_NICE);
	unsigned long own = ~0UL;
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
		if (!all)
			resmap_move_own(args.start, args.end, &own);
		err = migrate_vma_setup(&args);
		if (err)
			return err;
		for (i = 0; i < args.npages; i++) {
			spage = migrate_pfn_to_page(src[i]);
			dst[i] = 0;
			if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE) ||
			    page_to_nid(spage) == nid || !(own & BIT(i)) ||
			    (!all && PageKsm(spage)))
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

/**
 * resmap_move_range() - move a range's pages to a node, in place
 * @mm:    the caller's mm
 * @start: start of a range resmap_range_is_ours(), not FORK_SHARE
 * @end:   its end; at most U32_MAX pages
 * @nid:   the node
 * @moved: pages moved are added here, also on failure
 *
 * Context: mmap lock held for writing.
 * Return: 0; -ENOMEM (no page left on @nid), -EINTR.
 */
int resmap_move_range(struct mm_struct *mm, unsigned long start,
		      unsigned long end, int nid, u32 *moved)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	int err = 0;

	resmap_assert_write_locked(mm);
	for (addr = start; addr < end && !err; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		err = resmap_move_vma(vma, addr, min(end, vma->vm_end), nid,
				      moved);
	}
	return err;
}
