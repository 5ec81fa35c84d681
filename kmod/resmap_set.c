// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: committed sets, the sorted page-offset intervals of one VMA
 * that may hold pages.  Sets are immutable once published; an edit makes
 * a new one, so the fault path reads them under the mmap read lock with
 * no lock of its own.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include "resmap.h"

static struct resmap_set *resmap_set_alloc(struct resmap_resv *resv,
					   unsigned int cap)
{
	struct resmap_set *set;

	set = kvmalloc(struct_size(set, iv, cap), GFP_KERNEL_ACCOUNT);
	if (!set)
		return NULL;
	refcount_set(&set->ref, 1);
	refcount_inc(&resv->ref);
	set->resv = resv;
	set->nr = 0;
	return set;
}

/* An empty set: a new reservation VMA has nothing committed. */
struct resmap_set *resmap_set_new(struct resmap_resv *resv)
{
	return resmap_set_alloc(resv, 0);
}

static long resmap_set_pages(const struct resmap_set *set)
{
	long pages = 0;
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		pages += set->iv[i].end - set->iv[i].start;
	return pages;
}

void resmap_set_put(struct resmap_set *set)
{
	if (!set || !refcount_dec_and_test(&set->ref))
		return;
	atomic_long_sub(resmap_set_pages(set), &resmap_stats.committed_pages);
	resmap_resv_put(set->resv);
	kvfree(set);
}

/* Append [s, e) to @set; callers append in order of start. */
static void resmap_set_append(struct resmap_set *set, pgoff_t s, pgoff_t e)
{
	struct resmap_iv *last = set->nr ? &set->iv[set->nr - 1] : NULL;

	if (s >= e)
		return;
	if (last && last->end >= s) {
		last->end = max(last->end, e);
		return;
	}
	set->iv[set->nr].start = s;
	set->iv[set->nr].end = e;
	set->nr++;
}

/*
 * A new set: @old with [@start, @end) added (@commit) or removed, keeping
 * only what lies in the VMA's own offsets [@lo, @hi).  NULL if out of
 * memory; @old is untouched either way.
 */
struct resmap_set *resmap_set_edit(const struct resmap_set *old, pgoff_t lo,
				   pgoff_t hi, pgoff_t start, pgoff_t end,
				   bool commit)
{
	struct resmap_set *set;
	bool placed = false;
	unsigned int i;

	/* Removing from one interval splits it in two at most. */
	set = resmap_set_alloc(old->resv, old->nr + 1);
	if (!set)
		return NULL;
	start = max(start, lo);
	end = min(end, hi);
	for (i = 0; i < old->nr; i++) {
		pgoff_t s = max(old->iv[i].start, lo);
		pgoff_t e = min(old->iv[i].end, hi);

		if (s >= e)
			continue;
		if (!commit) {
			resmap_set_append(set, s, min(e, start));
			resmap_set_append(set, max(s, end), e);
			continue;
		}
		if (!placed && start <= s) {
			resmap_set_append(set, start, end);
			placed = true;
		}
		resmap_set_append(set, s, e);
	}
	if (commit && !placed)
		resmap_set_append(set, start, end);
	atomic_long_add(resmap_set_pages(set), &resmap_stats.committed_pages);
	return set;
}

bool resmap_set_contains(const struct resmap_set *set, pgoff_t pgoff)
{
	unsigned int lo = 0, hi = set->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (pgoff < set->iv[mid].start)
			hi = mid;
		else if (pgoff >= set->iv[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}
