// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: reservation VMAs.
 *
 * A reservation is a private mapping of /dev/resmap whose vm_private_data
 * is the set of committed page offsets.  Its memory is ordinary anonymous
 * memory owned by the core mm: a read fault on a committed page maps the
 * zero page, a write fault lets the core copy-on-write a zeroed source
 * page into a fresh anonymous page.  So RSS, memcg charging, mlock,
 * migration, GUP users (O_DIRECT, process_vm_readv) and fork (COW) behave
 * as for malloc'd memory; resmap only decides which pages may exist.  A
 * fault outside the committed set raises SIGSEGV.
 */

#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include "resmap.h"

/*
 * Source pages for copy-on-write faults, one per CPU: the core locks the
 * page a ->fault returns, so one shared zero page would serialize every
 * CPU's first-touch faults.  Never written, never mapped.
 */
static struct page **resmap_zero;

int resmap_zero_pages_init(void)
{
	unsigned int cpu;

	resmap_zero = kcalloc(nr_cpu_ids, sizeof(*resmap_zero), GFP_KERNEL);
	if (!resmap_zero)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		resmap_zero[cpu] = alloc_pages_node(cpu_to_node(cpu),
						    GFP_KERNEL | __GFP_ZERO, 0);
		if (!resmap_zero[cpu]) {
			resmap_zero_pages_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void resmap_zero_pages_exit(void)
{
	unsigned int cpu;

	if (!resmap_zero)
		return;
	for_each_possible_cpu(cpu) {
		if (resmap_zero[cpu])
			__free_page(resmap_zero[cpu]);
	}
	kfree(resmap_zero);
	resmap_zero = NULL;
}

static struct resmap_set *resmap_set_alloc(unsigned int cap)
{
	struct resmap_set *set;

	set = kvmalloc(struct_size(set, iv, cap), GFP_KERNEL_ACCOUNT);
	if (!set)
		return NULL;
	refcount_set(&set->ref, 1);
	set->nr = 0;
	return set;
}

void resmap_set_put(struct resmap_set *set)
{
	if (set && refcount_dec_and_test(&set->ref))
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
	set = resmap_set_alloc(old->nr + 1);
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

/* Split, fork or mremap: the new VMA shares the immutable set. */
static void resmap_vm_open(struct vm_area_struct *vma)
{
	struct resmap_set *set = vma->vm_private_data;

	refcount_inc(&set->ref);
}

static void resmap_vm_close(struct vm_area_struct *vma)
{
	resmap_set_put(vma->vm_private_data);
}

/*
 * Called with the mmap lock held for reading (the core retries faults
 * taken under the per-VMA lock for VMAs without ->map_pages), so the set
 * cannot change under us: commands change it with the lock held for
 * writing.
 */
static vm_fault_t resmap_vm_fault(struct vm_fault *vmf)
{
	const struct resmap_set *set = vmf->vma->vm_private_data;
	struct page *zero;

	if (!resmap_set_contains(set, vmf->pgoff))
		return VM_FAULT_SIGSEGV;
	if (!vmf->cow_page) {
		/* Read: the zero page, as for anonymous memory. */
		return vmf_insert_mixed(vmf->vma, vmf->address,
					pfn_to_pfn_t(my_zero_pfn(vmf->address)));
	}
	/* Write: the core copies this into vmf->cow_page and maps that. */
	zero = resmap_zero[raw_smp_processor_id()];
	get_page(zero);
	vmf->page = zero;
	return 0;
}

const struct vm_operations_struct resmap_vm_ops = {
	.open	= resmap_vm_open,
	.close	= resmap_vm_close,
	.fault	= resmap_vm_fault,
};

bool resmap_vma_is_ours(struct vm_area_struct *vma)
{
	return vma->vm_ops == &resmap_vm_ops;
}

/* Every reservation starts with nothing committed. */
int resmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct resmap_set *set;

	if (vma->vm_flags & VM_SHARED)
		return -EINVAL;
	set = resmap_set_alloc(0);
	if (!set)
		return -ENOMEM;
	vma->vm_ops = &resmap_vm_ops;
	vma->vm_private_data = set;
	return 0;
}
