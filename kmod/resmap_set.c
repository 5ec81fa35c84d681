// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: committed sets, the sorted page-offset intervals of one VMA
 * that may hold pages, each with the placement its pages are allocated
 * by.  Sets are immutable once published; an edit makes a new one, so
 * the fault path reads them under the mmap read lock with no lock of its
 * own, and ->get_policy under RCU.  Each interval holds a reference on
 * its policy.  A set holds at most RESMAP_SET_MAX intervals, which bounds
 * the copy every change makes.
 */

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "resmap.h"

static struct resmap_set *resmap_set_alloc(struct resmap_resv *resv,
					   unsigned int cap)
{
	struct resmap_set *set;

	set = kvmalloc(struct_size(set, iv, cap),
		       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
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

/**
 * resmap_set_pages_in() - committed pages of @set in offsets [@lo, @hi)
 * @set: a VMA's set (shared by the VMAs a split made, so clipped to one)
 * @lo:  first page offset
 * @hi:  past the last
 *
 * Context: the set is held (the mmap lock of a VMA using it).
 * Return: the number of pages.
 */
unsigned long resmap_set_pages_in(const struct resmap_set *set, pgoff_t lo,
				  pgoff_t hi)
{
	const struct resmap_iv *iv = resmap_set_next(set, lo);
	const struct resmap_iv *end = set->iv + set->nr;
	unsigned long pages = 0;

	/* From the first interval reaching past @lo: O(log n + in range). */
	for (; iv && iv < end && iv->start < hi; iv++)
		pages += min(iv->end, hi) - max(iv->start, lo);
	return pages;
}

/* Only the memory waits for RCU readers (->get_policy); the rest is now. */
void resmap_set_put(struct resmap_set *set)
{
	unsigned int i;

	if (!set || !refcount_dec_and_test(&set->ref))
		return;
	atomic_long_sub(resmap_set_pages(set), &resmap_stats.committed_pages);
	for (i = 0; i < set->nr; i++)
		resmap_policy_put(set->iv[i].pol);
	resmap_resv_put(set->resv);
	kvfree_rcu(set, rcu);
}

/*
 * Append [s, e) placed by @pol to @set, which has room for @cap
 * intervals; callers append in order of start, without overlap.
 * Touching intervals of the same placement merge.  False when full.
 */
static bool resmap_set_append(struct resmap_set *set, size_t cap, pgoff_t s,
			      pgoff_t e, struct mempolicy *pol)
{
	struct resmap_iv *last = set->nr ? &set->iv[set->nr - 1] : NULL;

	if (s >= e)
		return true;
	if (last && last->end == s && last->pol == pol) {
		last->end = e;
		return true;
	}
	if (set->nr >= cap)
		return false;
	set->iv[set->nr].start = s;
	set->iv[set->nr].end = e;
	set->iv[set->nr].pol = resmap_policy_dup(pol);
	set->nr++;
	return true;
}

/*
 * A new set: @old with each of the @k edits applied (committed with its
 * placement, or removed), keeping only what lies in the mapping's offsets
 * [@lo, @hi).  The edits are sorted by start and disjoint.  One pass over
 * both, so a batch of edits to one set costs one copy of it.  NULL if out
 * of memory or past RESMAP_SET_MAX intervals; @old is untouched.
 */
struct resmap_set *resmap_set_merge(const struct resmap_set *old, pgoff_t lo,
				    pgoff_t hi, const struct resmap_edit *edits,
				    size_t k)
{
	const struct resmap_edit end_mark = { .start = hi, .end = hi };
	const struct resmap_edit *ed;
	pgoff_t done = lo, s, e;
	struct resmap_set *set;
	unsigned int i = 0;
	size_t cap, j;

	/* Each edit adds itself and may split one interval in two. */
	if (k > SIZE_MAX / 2 || check_add_overflow((size_t)old->nr, 2 * k, &cap))
		cap = SIZE_MAX;
	cap = min_t(size_t, cap, RESMAP_SET_MAX);
	set = resmap_set_alloc(old->resv, cap);
	if (!set)
		return NULL;
	for (j = 0; j <= k; j++) {
		ed = j < k ? &edits[j] : &end_mark;
		/* What the old set has between the previous edit and this. */
		for (; i < old->nr && old->iv[i].start < ed->start; i++) {
			s = max3(old->iv[i].start, done, lo);
			e = min3(old->iv[i].end, ed->start, hi);
			if (!resmap_set_append(set, cap, s, e, old->iv[i].pol))
				goto too_big;
			if (old->iv[i].end > ed->start)
				break;
		}
		if (ed->kind == RESMAP_EDIT_COMMIT &&
		    !resmap_set_append(set, cap, max(ed->start, lo),
				       min(ed->end, hi), ed->pol))
			goto too_big;
		done = max(done, ed->end);
		while (i < old->nr && old->iv[i].end <= done)
			i++;
		if (!(j & 1023))
			cond_resched();
	}
	atomic_long_add(resmap_set_pages(set), &resmap_stats.committed_pages);
	return set;

too_big:
	/* resmap_set_put() takes back what it counts. */
	atomic_long_add(resmap_set_pages(set), &resmap_stats.committed_pages);
	resmap_set_put(set);
	return NULL;
}

/* The interval holding @pgoff, or NULL if it is not committed. */
const struct resmap_iv *resmap_set_find(const struct resmap_set *set,
					pgoff_t pgoff)
{
	unsigned int lo = 0, hi = set->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (pgoff < set->iv[mid].start)
			hi = mid;
		else if (pgoff >= set->iv[mid].end)
			lo = mid + 1;
		else
			return &set->iv[mid];
	}
	return NULL;
}

/* The first interval ending after @pgoff, or NULL. */
const struct resmap_iv *resmap_set_next(const struct resmap_set *set,
					pgoff_t pgoff)
{
	unsigned int lo = 0, hi = set->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (set->iv[mid].end <= pgoff)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->nr ? &set->iv[lo] : NULL;
}

/* Whether all of [start, end) is committed. */
bool resmap_set_covers(const struct resmap_set *set, pgoff_t start,
		       pgoff_t end)
{
	const struct resmap_iv *iv;

	while (start < end) {
		iv = resmap_set_find(set, start);
		if (!iv)
			return false;
		start = iv->end;
	}
	return true;
}
