/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmap internals shared between the device, the reservation VMAs and
 * the commands.
 */
#ifndef _RESMAP_H
#define _RESMAP_H

#include <linux/fs.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/resmap.h>

/*
 * One reservation: created by RESMAP_IOC_RESERVE and shared by every VMA
 * it is split into, forked into or extended by RESMAP_IOC_RESIZE.  Growth
 * extends only into VMAs of the same reservation, never a neighbour's.
 * It pins the /dev/resmap file (and so the module) while any VMA lives,
 * including FORK_SHARE VMAs, whose vm_file is their shmem file.
 */
#define RESMAP_RESERVE_FORK_MASK	(RESMAP_RESERVE_FORK_SHARE |	\
					 RESMAP_RESERVE_FORK_DROP |	\
					 RESMAP_RESERVE_FORK_ZERO)

struct resmap_resv {
	refcount_t ref;
	u32 flags;		/* RESMAP_RESERVE_FORK_* */
	struct file *file;	/* the device file it was reserved through */
};

/*
 * The committed pages of a reservation mapping, as sorted, disjoint
 * half-open page-offset intervals, each with its placement (adjacent
 * intervals differ in placement).  A set is immutable once
 * published: a change builds a new set and swaps vma->vm_private_data
 * under the mmap write lock, so fork and VMA splits only take a reference
 * (vm_ops->open cannot fail).  The pieces of a split VMA keep one set in
 * common (resmap_build_group()); a forked child's VMAs share the parent's
 * until either side changes it.
 */
struct resmap_iv {
	pgoff_t start;
	pgoff_t end;
	struct mempolicy *pol;	/* placement, from resmap_policy_get(); or NULL */
};

/*
 * Its memory is freed after an RCU grace period: on 6.12 the core may
 * look up a page's policy (->get_policy) under the per-VMA lock alone,
 * which does not exclude commands.
 */
struct resmap_set {
	refcount_t ref;
	struct resmap_resv *resv;
	struct rcu_head rcu;
	unsigned int nr;
	struct resmap_iv iv[];
};

/* One change to a set: [start, end) committed with @pol, or removed. */
struct resmap_edit {
	pgoff_t start;
	pgoff_t end;
	struct mempolicy *pol;
	bool commit;
};

/* One VMA's share of a command's range (of one operation, in a batch). */
struct resmap_piece {
	struct vm_area_struct *vma;
	u32 op;
	struct resmap_edit edit;
};

/* A pending set change for one VMA, built before anything is changed. */
struct resmap_change {
	struct vm_area_struct *vma;
	unsigned long start, end;	/* the command's range within vma */
					/* (empty for a VMA sharing the set) */
	struct resmap_set *set;		/* the new set */
	struct resmap_change *next;
};

/* Counters shown in /sys/class/misc/resmap/. */
struct resmap_stats {
	atomic_long_t files;		/* open device files */
	atomic_long_t reservations;	/* live struct resmap_resv */
	atomic_long_t vmas;		/* live reservation VMAs */
	atomic_long_t committed_pages;	/* pages in live committed sets */
};

extern struct resmap_stats resmap_stats;
extern const struct attribute_group resmap_stats_group;
extern const struct attribute_group resmap_nodes_group;

u32 resmap_node_tier(int nid);
long resmap_ioctl_nodes(void __user *uarg, size_t usize);

int resmap_zero_pages_init(void);
void resmap_zero_pages_exit(void);

struct resmap_resv *resmap_resv_new(struct file *file, u32 flags);
void resmap_resv_put(struct resmap_resv *resv);
unsigned long resmap_map(struct resmap_resv *resv, unsigned long hint,
			 unsigned long len);
bool resmap_vma_is_ours(struct vm_area_struct *vma);
bool resmap_vma_is_shared(struct vm_area_struct *vma);
void resmap_discard(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long size);

struct resmap_set *resmap_set_new(struct resmap_resv *resv);
struct resmap_set *resmap_set_merge(const struct resmap_set *old, pgoff_t lo,
				    pgoff_t hi, const struct resmap_edit *edits,
				    unsigned int k);
struct resmap_set *resmap_set_edit(const struct resmap_set *old, pgoff_t lo,
				   pgoff_t hi, pgoff_t start, pgoff_t end,
				   bool commit, struct mempolicy *pol);
void resmap_set_put(struct resmap_set *set);
const struct resmap_iv *resmap_set_find(const struct resmap_set *set,
					pgoff_t pgoff);
bool resmap_set_covers(const struct resmap_set *set, pgoff_t start,
		       pgoff_t end);

static inline bool resmap_set_contains(const struct resmap_set *set,
				       pgoff_t pgoff)
{
	return resmap_set_find(set, pgoff);
}

static inline struct mempolicy *resmap_set_policy(const struct resmap_set *set,
						  pgoff_t pgoff)
{
	const struct resmap_iv *iv = resmap_set_find(set, pgoff);

	return iv ? iv->pol : NULL;
}

struct mempolicy *resmap_policy_get(unsigned short mode,
				    const nodemask_t *nodes);
void resmap_policies_exit(void);

static inline pgoff_t resmap_pgoff(struct vm_area_struct *vma,
				   unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* The address of page offset @pgoff in @vma: resmap_pgoff()'s inverse. */
static inline unsigned long resmap_addr(struct vm_area_struct *vma,
					pgoff_t pgoff)
{
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

static inline struct resmap_resv *resmap_vma_resv(struct vm_area_struct *vma)
{
	return ((struct resmap_set *)vma->vm_private_data)->resv;
}

void resmap_free_changes(struct resmap_change *c);
bool resmap_range_is_ours(struct mm_struct *mm, unsigned long start,
			  unsigned long end, const struct resmap_resv *only);
bool resmap_range_is_committed(struct mm_struct *mm, unsigned long start,
			       unsigned long end);
int resmap_apply(struct mm_struct *mm, unsigned long start,
		 unsigned long end, bool commit, bool populate, bool defer,
		 const struct resmap_resv *only, struct mempolicy *pol,
		 struct resmap_change **changes);
void resmap_sort_pieces(struct resmap_piece *p, u32 np);
u32 resmap_group_len(const struct resmap_piece *p, u32 np);
int resmap_build_group(struct mm_struct *mm, const struct resmap_piece *p,
		       u32 k, struct resmap_edit *edits,
		       struct resmap_change **changes);
void resmap_swap_sets(struct resmap_change *c);
int resmap_populate(struct mm_struct *mm, unsigned long start,
		    unsigned long end);
void resmap_undo(struct resmap_change *changes, bool commit);
void resmap_finish(struct resmap_change *changes, bool discard);
int resmap_commit(struct mm_struct *mm, unsigned long start,
		  unsigned long end, bool commit, bool populate,
		  const struct resmap_resv *only, struct mempolicy *pol);
int resmap_unmap_own(struct mm_struct *mm, unsigned long start,
		     unsigned long end, const struct resmap_resv *only);

struct io_uring_cmd;
long resmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int resmap_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
long resmap_ioctl_reserve(struct file *file, void __user *uarg, size_t usize);
long resmap_ioctl_range(unsigned int nr, void __user *uarg, size_t usize);
long resmap_ioctl_resize(void __user *uarg, size_t usize);
long resmap_ioctl_batch(void __user *uarg, size_t usize);
long resmap_ioctl_residency(void __user *uarg, size_t usize);
int resmap_move(struct mm_struct *mm, unsigned long start, unsigned long end,
		int nid, u32 *moved);

int resmap_copy_arg(void *karg, size_t ksize, size_t minsize,
		    const void __user *uarg, size_t usize);
int resmap_put_arg(void __user *uarg, size_t usize, const void *karg,
		   size_t ksize);

/* Unmap the pages of [addr, addr + size) inside @vma from its page table. */
static inline void resmap_zap(struct vm_area_struct *vma, unsigned long addr,
			      unsigned long size)
{
#ifdef RESMAP_HAVE_ZAP_PAGE_RANGE_SINGLE
	zap_page_range_single(vma, addr, size, NULL);
#else
	zap_page_range(vma, addr, size);
#endif
}

/* VMA flag updates: helpers since 6.3, plain stores before. */
static inline void resmap_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#ifdef RESMAP_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* _RESMAP_H */
