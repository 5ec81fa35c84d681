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
 *
 * A FORK_SHARE reservation must share its pages with children, which
 * anonymous memory cannot: it is a shared mapping whose vm_file is a
 * private shmem file (as for MAP_SHARED of /dev/zero), with the same
 * committed-set check in front of shmem's fault handler.
 */

#include <linux/anon_inodes.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pfn_t.h>
#include <linux/shmem_fs.h>
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

struct resmap_resv *resmap_resv_new(struct file *file, u32 flags)
{
	struct resmap_resv *resv;

	resv = kmalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return NULL;
	refcount_set(&resv->ref, 1);
	resv->flags = flags;
	resv->file = get_file(file);
	atomic_long_inc(&resmap_stats.reservations);
	return resv;
}

void resmap_resv_put(struct resmap_resv *resv)
{
	if (!refcount_dec_and_test(&resv->ref))
		return;
	fput(resv->file);
	kfree(resv);
	atomic_long_dec(&resmap_stats.reservations);
}

static int resmap_area_mmap(struct file *file, struct vm_area_struct *vma);

/*
 * The file behind a reservation's private VMAs: a new one per mapping.
 * The core merges VMAs of one file whose offsets adjoin, and on 6.12
 * also VMAs with a ->close hook, as long as none is freed: with one file
 * for all, a new reservation could join a neighbouring one's VMA, or be
 * freed without ->close.  VMAs of different mappings never merge now;
 * VMAs of one mapping share their committed set (resmap_commit.c).
 * Nobody holds a descriptor of it, so only resmap_map() maps it.
 */
static const struct file_operations resmap_area_fops = {
	.owner	= THIS_MODULE,
	.mmap	= resmap_area_mmap,
	.llseek	= noop_llseek,
};

/*
 * Map @len bytes of address space into @resv, at @hint exactly (never
 * replacing a mapping) or anywhere if @hint is 0.
 */
unsigned long resmap_map(struct resmap_resv *resv, unsigned long hint,
			 unsigned long len)
{
	bool share = resv->flags & RESMAP_RESERVE_FORK_SHARE;
	fmode_t mode = resv->file->f_mode;
	unsigned long flags = MAP_NORESERVE, addr;
	struct file *file;

	/* As mmap() of the device would: read to map it, write to share it. */
	if (!(mode & FMODE_READ) || (share && !(mode & FMODE_WRITE)))
		return -EACCES;
	flags |= share ? MAP_SHARED : MAP_PRIVATE;
	if (hint)
		flags |= MAP_FIXED_NOREPLACE;
	file = anon_inode_getfile("[resmap]", &resmap_area_fops, resv, O_RDWR);
	if (IS_ERR(file))
		return PTR_ERR(file) == -ENFILE ? -ENFILE : -ENOMEM;
	addr = vm_mmap(file, hint, len, PROT_READ | PROT_WRITE, flags, 0);
	fput(file);
	return addr;
}

/* Split, fork or mremap: the new VMA shares the immutable set. */
static void resmap_vm_open(struct vm_area_struct *vma)
{
	struct resmap_set *set = vma->vm_private_data;

	refcount_inc(&set->ref);
	atomic_long_inc(&resmap_stats.vmas);
}

static void resmap_vm_close(struct vm_area_struct *vma)
{
	resmap_set_put(vma->vm_private_data);
	atomic_long_dec(&resmap_stats.vmas);
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

/*
 * The placement of the page at @addr: its committed interval's, or else
 * the VMA's own policy (mbind), or NULL for the task's.  Called for every
 * page the core allocates here, on 6.12 possibly under the per-VMA lock
 * only, hence RCU for the set.  The policies are never freed while the
 * module is loaded (resmap_policy.c).
 */
#ifdef RESMAP_HAVE_GET_POLICY_ILX
static struct mempolicy *resmap_vm_get_policy(struct vm_area_struct *vma,
					      unsigned long addr, pgoff_t *ilx)
#else
static struct mempolicy *resmap_vm_get_policy(struct vm_area_struct *vma,
					      unsigned long addr)
#endif
{
	struct mempolicy *pol;

	rcu_read_lock();
	pol = resmap_set_policy(READ_ONCE(vma->vm_private_data),
				resmap_pgoff(vma, addr));
	rcu_read_unlock();
	return pol ? pol : vma_policy(vma);
}

static const struct vm_operations_struct resmap_vm_ops = {
	.open		= resmap_vm_open,
	.close		= resmap_vm_close,
	.fault		= resmap_vm_fault,
	.get_policy	= resmap_vm_get_policy,
};

/* shmem's operations, as its ->mmap installs them: the same every time. */
static const struct vm_operations_struct *resmap_shmem_ops;

static vm_fault_t resmap_shared_fault(struct vm_fault *vmf)
{
	if (!resmap_set_contains(vmf->vma->vm_private_data, vmf->pgoff))
		return VM_FAULT_SIGSEGV;
	return READ_ONCE(resmap_shmem_ops)->fault(vmf);
}

/* No ->map_pages: fault-around would map pages without the set check. */
static const struct vm_operations_struct resmap_shared_vm_ops = {
	.open	= resmap_vm_open,
	.close	= resmap_vm_close,
	.fault	= resmap_shared_fault,
};

bool resmap_vma_is_shared(struct vm_area_struct *vma)
{
	return vma->vm_ops == &resmap_shared_vm_ops;
}

bool resmap_vma_is_ours(struct vm_area_struct *vma)
{
	return vma->vm_ops == &resmap_vm_ops ||
	       vma->vm_ops == &resmap_shared_vm_ops;
}

/* Back a FORK_SHARE VMA by a shmem file of its own. */
static int resmap_shmem_setup(struct vm_area_struct *vma)
{
	loff_t size = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) +
		      (vma->vm_end - vma->vm_start);
	struct file *shm;
	int err;

	shm = shmem_file_setup("resmap", size, VM_NORESERVE);
	/* Its internal mount has no inode limit: ENOSPC is a failed allocation. */
	if (IS_ERR(shm))
		return PTR_ERR(shm) == -ENOSPC ? -ENOMEM : PTR_ERR(shm);
	vma_set_file(vma, shm);
	fput(shm);
	err = shm->f_op->mmap(shm, vma);
	if (err)
		return err;
	WRITE_ONCE(resmap_shmem_ops, vma->vm_ops);
	return 0;
}

/*
 * Free the pages of [addr, addr + size) in @vma.  A shared reservation's
 * pages leave its shmem file too, and so every process sharing them.
 */
void resmap_discard(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long size)
{
	loff_t off;

	if (vma->vm_ops != &resmap_shared_vm_ops) {
		resmap_zap(vma, addr, size);
		return;
	}
	off = (loff_t)resmap_pgoff(vma, addr) << PAGE_SHIFT;
	unmap_mapping_range(vma->vm_file->f_mapping, off, size, 1);
	shmem_truncate_range(file_inode(vma->vm_file), off, off + size - 1);
}

/*
 * A new VMA of the reservation being mapped (resmap_map()): nothing
 * committed, and the reservation's fork mode.
 */
static int resmap_area_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct resmap_resv *resv = file->private_data;
	bool share = resv->flags & RESMAP_RESERVE_FORK_SHARE;
	struct resmap_set *set;
	int err;

	if (!!(vma->vm_flags & VM_SHARED) != share)
		return -EINVAL;
	set = resmap_set_new(resv);
	if (!set)
		return -ENOMEM;
	if (share) {
		err = resmap_shmem_setup(vma);
		if (err) {
			resmap_set_put(set);
			return err;
		}
	}
	if (resv->flags & RESMAP_RESERVE_FORK_DROP)
		resmap_vm_flags_set(vma, VM_DONTCOPY);
	if (resv->flags & RESMAP_RESERVE_FORK_ZERO)
		resmap_vm_flags_set(vma, VM_WIPEONFORK);
	vma->vm_ops = share ? &resmap_shared_vm_ops : &resmap_vm_ops;
	vma->vm_private_data = set;
	atomic_long_inc(&resmap_stats.vmas);
	return 0;
}
