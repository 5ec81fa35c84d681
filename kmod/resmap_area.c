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
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include "resmap.h"

/*
 * Source pages for copy-on-write faults, one per CPU: the core locks the
 * page a ->fault returns, so one shared zero page would serialize every
 * CPU's first-touch faults.  Never written, never mapped.
 */
static struct page **resmap_zero;

static void resmap_zero_pages_exit(void);

static int resmap_zero_pages_init(void)
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

static void resmap_zero_pages_exit(void)
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
 * The file behind a reservation's private VMAs, and its inode: new ones
 * per mapping, on a pseudo filesystem of resmap's own (as secretmem
 * does).  The core merges VMAs of one file whose offsets adjoin, and on
 * 6.12 also VMAs with a ->close hook, as long as none is freed: with one
 * file for all, a new reservation could join a neighbouring one's VMA,
 * or be freed without ->close.  An inode of its own also gives each
 * mapping its own i_mmap tree, which is how a command finds the other
 * VMAs of the mapping (resmap_txn.c), and its own i_mmap_rwsem.  Nobody
 * holds a descriptor of the file, and its inode cannot be opened again.
 */
static const struct file_operations resmap_area_fops = {
	.owner	= THIS_MODULE,
	.mmap	= resmap_area_mmap,
	.llseek	= noop_llseek,
};

#define RESMAP_FS_MAGIC		0x72736d70	/* "rsmp" */

static struct vfsmount *resmap_mnt;
/*
 * FORK_SHARE reservations' shmem files live on a tmpfs mount of resmap's
 * own with huge=never, so that no shmem THP setting allocates huge pages
 * for them (shmem_enabled=force, a testing knob, overrides the mount: see
 * resmap_shared_fault() for why even then none maps uncommitted pages).
 */
static struct vfsmount *resmap_shm_mnt;

/* As anon_inode files show: /proc/<pid>/maps names them anon_inode:[resmap]. */
static char *resmap_dname(struct dentry *dentry, char *buf, int len)
{
	static const char name[] = "anon_inode:[resmap]";

	if (len < (int)sizeof(name))
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buf + len - sizeof(name), name, sizeof(name));
}

static const struct dentry_operations resmap_dops = {
	.d_dname	= resmap_dname,
};

static int resmap_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, RESMAP_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &resmap_dops;
	return 0;
}

static struct file_system_type resmap_fs = {
	.name			= "resmap",
	.init_fs_context	= resmap_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int resmap_area_init(void)
{
	/* Parsing writes into the options: not a string literal. */
	char opts[] = "huge=never";
	struct file_system_type *tmpfs;
	int err;

	err = resmap_zero_pages_init();
	if (err)
		return err;
	resmap_mnt = kern_mount(&resmap_fs);
	if (IS_ERR(resmap_mnt)) {
		err = PTR_ERR(resmap_mnt);
		goto err_zero;
	}
	tmpfs = get_fs_type("tmpfs");
	if (!tmpfs) {
		err = -ENODEV;
		goto err_mnt;
	}
	resmap_shm_mnt = vfs_kern_mount(tmpfs, SB_KERNMOUNT, "resmap", opts);
	/* Kernels without THP know no huge= option. */
	if (IS_ERR(resmap_shm_mnt))
		resmap_shm_mnt = vfs_kern_mount(tmpfs, SB_KERNMOUNT, "resmap",
						NULL);
	module_put(tmpfs->owner);
	if (IS_ERR(resmap_shm_mnt)) {
		err = PTR_ERR(resmap_shm_mnt);
		goto err_mnt;
	}
	return 0;

err_mnt:
	kern_unmount(resmap_mnt);
err_zero:
	resmap_zero_pages_exit();
	return err;
}

void resmap_area_exit(void)
{
	kern_unmount(resmap_shm_mnt);
	kern_unmount(resmap_mnt);
	resmap_zero_pages_exit();
}

static struct file *resmap_area_file(struct resmap_resv *resv)
{
	struct inode *inode;
	struct file *file;

	inode = alloc_anon_inode(resmap_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	/* The file's last fput() drops a module reference: take it here. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, resmap_mnt, "resmap", O_RDWR,
				 &resmap_area_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		return file;
	}
	file->private_data = resv;
	return file;
}

/*
 * Where to map @len bytes aligned to @align: a free gap of @len + @align
 * found by the core, aligned inside.  Only a hint: another thread may
 * map there first, and MAP_FIXED_NOREPLACE then fails with EEXIST.
 */
static unsigned long resmap_aligned_gap(unsigned long len, unsigned long align)
{
	unsigned long span = len + align - PAGE_SIZE, gap;

	if (span < len || span > TASK_SIZE)
		return -ENOMEM;
	/* The search walks the VMA tree: under the lock, as mmap's does. */
	if (mmap_read_lock_killable(current->mm))
		return -EINTR;
#ifdef RESMAP_HAVE_MM_GET_UNMAPPED_AREA
	gap = mm_get_unmapped_area(current->mm, NULL, 0, span, 0, MAP_PRIVATE);
#else
	gap = get_unmapped_area(NULL, 0, span, 0, MAP_PRIVATE);
#endif
	mmap_read_unlock(current->mm);
	if (IS_ERR_VALUE(gap))
		return gap;
	return ALIGN(gap, align);
}

/**
 * resmap_map() - map address space into a reservation
 * @resv:  the reservation
 * @addr:  the exact address (never replacing a mapping), or 0: anywhere
 * @len:   bytes, a page multiple
 * @align: alignment when @addr is 0, a power of two >= PAGE_SIZE
 *
 * Nothing is ever unmapped here: an aligned address is found first and
 * mapped exactly, so no other thread's mapping can be hit.
 *
 * Context: takes the caller's mmap lock.
 * Return: the address; -EEXIST, -ENOMEM, -ENFILE, -EACCES, -EPERM, -EINTR.
 */
unsigned long resmap_map(struct resmap_resv *resv, unsigned long addr,
			 unsigned long len, unsigned long align)
{
	bool share = resv->flags & RESMAP_RESERVE_FORK_SHARE;
	fmode_t mode = resv->file->f_mode;
	unsigned long flags = MAP_NORESERVE | MAP_FIXED_NOREPLACE, got = 0;
	struct file *file;
	int tries;

	/* As mmap() of the device would: read to map it, write to share it. */
	if (!(mode & FMODE_READ) || (share && !(mode & FMODE_WRITE)))
		return -EACCES;
	flags |= share ? MAP_SHARED : MAP_PRIVATE;
	file = resmap_area_file(resv);
	if (IS_ERR(file))
		return PTR_ERR(file) == -ENFILE ? -ENFILE : -ENOMEM;
	/* A racing thread can take a found gap; a few tries, then ENOMEM. */
	for (tries = 0; tries < 8; tries++) {
		got = addr ? addr : resmap_aligned_gap(len, align);
		if (!IS_ERR_VALUE(got))
			got = vm_mmap(file, got, len, PROT_READ | PROT_WRITE,
				      flags, 0);
		if (addr || got != (unsigned long)-EEXIST ||
		    fatal_signal_pending(current))
			break;
		got = -ENOMEM;
	}
	fput(file);
	return got;
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

	if (!resmap_set_find(set, vmf->pgoff))
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
 * only (commands write-lock the VMA before swapping its set; RCU is for
 * the set's memory all the same).  A policy lives as long as a committed
 * interval uses it, and an RCU grace period more (resmap_policy.c).
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

/* apply_to_page_range()'s callback: the page table is all we want. */
static int resmap_pte_keep(pte_t *pte, unsigned long addr, void *data)
{
	return 0;
}

/*
 * shmem's fault, behind the committed-set check.  shmem may still return
 * a page of a PMD-sized folio: with shmem_enabled=force, which overrides
 * the huge=never mount, once madvise(MADV_HUGEPAGE) has cleared
 * VM_NOHUGEPAGE.  Mapped by one PMD, that folio would make its
 * uncommitted pages readable.  The core maps a whole PMD only where the
 * fault found no page table (finish_fault()), so give it one here: then
 * it maps the faulting page alone, and every other page of the folio
 * faults through this check again.
 */
static vm_fault_t resmap_shared_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	if (!resmap_set_find(vma->vm_private_data, vmf->pgoff))
		return VM_FAULT_SIGSEGV;
	ret = READ_ONCE(resmap_shmem_ops)->fault(vmf);
	if ((ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) ||
	    !vmf->page || !PageTransCompound(vmf->page) ||
	    !pmd_none(*vmf->pmd))
		return ret;
	if (apply_to_page_range(vma->vm_mm, vmf->address & PAGE_MASK,
				PAGE_SIZE, resmap_pte_keep, NULL)) {
		/* As shmem returned it: a reference, locked or not. */
		if (ret & VM_FAULT_LOCKED)
			unlock_page(vmf->page);
		put_page(vmf->page);
		vmf->page = NULL;
		return VM_FAULT_OOM;
	}
	return ret;
}

/* No ->map_pages: fault-around would map pages without the set check. */
static const struct vm_operations_struct resmap_shared_vm_ops = {
	.open	= resmap_vm_open,
	.close	= resmap_vm_close,
	.fault	= resmap_shared_fault,
};

bool resmap_vma_is_shared(const struct vm_area_struct *vma)
{
	return vma->vm_ops == &resmap_shared_vm_ops;
}

bool resmap_vma_is_ours(const struct vm_area_struct *vma)
{
	return vma->vm_ops == &resmap_vm_ops ||
	       vma->vm_ops == &resmap_shared_vm_ops;
}

/*
 * Back a FORK_SHARE VMA by a shmem file of its own.  Its size is the
 * largest a file can have, so pages mremap grows the VMA over are inside
 * it; the VMA cannot grow that way anyway (VM_DONTEXPAND, below).
 */
static int resmap_shmem_setup(struct vm_area_struct *vma)
{
	struct file *shm;
	int err;

	shm = shmem_file_setup_with_mnt(resmap_shm_mnt, "resmap",
					MAX_LFS_FILESIZE, VM_NORESERVE);
	/* Its mount has no inode limit: ENOSPC is a failed allocation. */
	if (IS_ERR(shm))
		return PTR_ERR(shm) == -ENOSPC ? -ENOMEM : PTR_ERR(shm);
	vma_set_file(vma, shm);
	fput(shm);
	err = shm->f_op->mmap(shm, vma);
	if (err)
		return err;
	WRITE_ONCE(resmap_shmem_ops, vma->vm_ops);
	/*
	 * No huge page may map uncommitted pages: no THP at fault, and no
	 * collapse (MADV_COLLAPSE, khugepaged), which VM_DONTEXPAND rules
	 * out for good, where madvise(MADV_HUGEPAGE) could clear
	 * VM_NOHUGEPAGE.  The price: mremap cannot grow it (EFAULT).
	 */
	resmap_vm_flags_set(vma, VM_NOHUGEPAGE | VM_DONTEXPAND);
	return 0;
}

/**
 * resmap_discard() - free the pages of a decommitted range
 * @vma:  a reservation VMA
 * @addr: page-aligned start inside it
 * @size: bytes, within it
 *
 * A shared reservation's pages leave its shmem file too, and so every
 * process sharing them.
 *
 * Context: mmap lock held for writing.
 */
void resmap_discard(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long size)
{
	loff_t off;

	resmap_assert_write_locked(vma->vm_mm);
	if (vma->vm_ops != &resmap_shared_vm_ops) {
		resmap_zap(vma, addr, size);
		return;
	}
	off = (loff_t)resmap_pgoff(vma, addr) << PAGE_SHIFT;
	unmap_mapping_range(vma->vm_file->f_mapping, off, size, 1);
	shmem_truncate_range(file_inode(vma->vm_file), off, off + size - 1);
}

/**
 * resmap_discard_unused() - undo what populating a range allocated
 * @vma:  a reservation VMA
 * @addr: page-aligned start inside it, of pages no longer committed
 * @size: bytes, within it
 *
 * A private VMA's pages there are its own.  A shared VMA's may be another
 * process's (a FORK_SHARE child that committed and wrote them): only this
 * VMA's page table entries go, and of the shmem pages only those nobody
 * maps, locks or has written (clean ones, which read as zero), as
 * fadvise(POSIX_FADV_DONTNEED) would drop them.
 *
 * Context: mmap lock held for writing.
 */
void resmap_discard_unused(struct vm_area_struct *vma, unsigned long addr,
			   unsigned long size)
{
	pgoff_t first = resmap_pgoff(vma, addr);

	resmap_assert_write_locked(vma->vm_mm);
	resmap_zap(vma, addr, size);
	if (resmap_vma_is_shared(vma))
		invalidate_mapping_pages(vma->vm_file->f_mapping, first,
					 first + (size >> PAGE_SHIFT) - 1);
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

	resmap_assert_write_locked(vma->vm_mm);

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

/**
 * resmap_unmap_own() - unmap a range if it is all reservation
 * @mm:    the caller's mm
 * @start: page-aligned start
 * @end:   end
 * @only:  if not NULL, the reservation it must lie in
 *
 * Checked, then unmapped: vm_munmap() takes the mmap lock itself, so
 * another thread of the caller may replace the range in between, its
 * own race as with munmap(2).
 *
 * Context: takes the mmap lock.
 * Return: 0; -ENXIO (not all reservation), -EINTR, or munmap's error.
 */
int resmap_unmap_own(struct mm_struct *mm, unsigned long start,
		     unsigned long end, const struct resmap_resv *only)
{
	bool ours;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ours = resmap_range_is_ours(mm, start, end, only);
	mmap_read_unlock(mm);
	if (!ours)
		return -ENXIO;
	return vm_munmap(start, end - start);
}
