/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmap internals shared between the device, the reservation VMAs and
 * the commands.
 */
#ifndef _RESMAP_H
#define _RESMAP_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>

/*
 * The committed pages of one reservation VMA, as sorted, disjoint,
 * non-adjacent half-open page-offset intervals.  A set is immutable once
 * published: a change builds a new set and swaps vma->vm_private_data
 * under the mmap write lock, so fork and VMA splits only take a reference
 * (vm_ops->open cannot fail).
 */
struct resmap_iv {
	pgoff_t start;
	pgoff_t end;
};

struct resmap_set {
	refcount_t ref;
	unsigned int nr;
	struct resmap_iv iv[];
};

/* A pending set change for one VMA, built before anything is changed. */
struct resmap_change {
	struct vm_area_struct *vma;
	unsigned long start, end;	/* the command's range within vma */
	struct resmap_set *set;		/* the new set */
	struct resmap_change *next;
};

/*
 * An open /dev/resmap.  Reservations are made by RESMAP_IOC_RESERVE
 * mapping the device from inside the ioctl; @reserving marks that call so
 * that mmap() of the device by anyone else is refused.
 */
struct resmap_file {
	struct mutex lock;	/* serializes RESERVE on this file */
	struct task_struct *reserving;
};

extern const struct vm_operations_struct resmap_vm_ops;

int resmap_zero_pages_init(void);
void resmap_zero_pages_exit(void);

int resmap_mmap(struct file *file, struct vm_area_struct *vma);
bool resmap_vma_is_ours(struct vm_area_struct *vma);
struct resmap_set *resmap_set_edit(const struct resmap_set *old, pgoff_t lo,
				   pgoff_t hi, pgoff_t start, pgoff_t end,
				   bool commit);
void resmap_set_put(struct resmap_set *set);
bool resmap_set_contains(const struct resmap_set *set, pgoff_t pgoff);

long resmap_ioctl_reserve(struct file *file, void __user *uarg, size_t usize);
long resmap_ioctl_range(unsigned int nr, void __user *uarg, size_t usize);

int resmap_copy_arg(void *karg, size_t ksize, size_t minsize,
		    const void __user *uarg, size_t usize);
int resmap_put_arg(void __user *uarg, size_t usize, const void *karg,
		   size_t ksize);

/* Unmap and free the pages of [addr, addr + size) inside @vma. */
static inline void resmap_zap(struct vm_area_struct *vma, unsigned long addr,
			      unsigned long size)
{
#ifdef RESMAP_HAVE_ZAP_PAGE_RANGE_SINGLE
	zap_page_range_single(vma, addr, size, NULL);
#else
	zap_page_range(vma, addr, size);
#endif
}

#endif /* _RESMAP_H */
