/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmap internals, grouped by the file that defines them.  Objects
 * (areas, sets, policies, transactions, moves, nodes) know nothing of
 * ioctls; the commands (resmap_cmd_*.c) are reached only through the
 * table in resmap_main.c.
 */
#ifndef _RESMAP_H
#define _RESMAP_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/resmap.h>

/* ---- resmap_main.c: the device and its command table ---------------- */

/**
 * struct resmap_call - one command being run
 * @file:  the /dev/resmap file it came through
 * @mm:    the caller's mm (never NULL: kernel threads are refused)
 * @arg:   the argument, copied in (zero-extended to the kernel's size)
 * @out_on_error: set by a handler whose results must reach the caller
 *         even though it fails (BATCH: each operation's result)
 */
struct resmap_call {
	struct file *file;
	struct mm_struct *mm;
	void *arg;
	bool out_on_error;
};

long resmap_dispatch(struct file *file, unsigned int cmd,
		     void __user *uarg);

/* The handlers of the table, one file each. */
int resmap_cmd_version(struct resmap_call *call);
int resmap_cmd_reserve(struct resmap_call *call);
void resmap_cmd_reserve_abort(struct resmap_call *call);
int resmap_cmd_commit(struct resmap_call *call);
int resmap_cmd_decommit(struct resmap_call *call);
int resmap_cmd_release(struct resmap_call *call);
int resmap_cmd_resize(struct resmap_call *call);
int resmap_cmd_nodes(struct resmap_call *call);
int resmap_cmd_batch(struct resmap_call *call);
int resmap_cmd_residency(struct resmap_call *call);

/* Whether [addr, addr + len) is a non-empty, page-aligned user range. */
static inline bool resmap_range_ok(u64 addr, u64 len)
{
	return len && PAGE_ALIGNED(addr) && PAGE_ALIGNED(len) &&
	       len <= TASK_SIZE && addr <= TASK_SIZE - len;
}

#define resmap_zeroed(field)	(!memchr_inv(&(field), 0, sizeof(field)))

/* ---- resmap_uring.c ------------------------------------------------- */

struct io_uring_cmd;
struct seq_file;
int resmap_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* ---- resmap_stats.c: counters in /sys/class/misc/resmap/ ------------ */

struct resmap_stats {
	atomic_long_t files;		/* open device files */
	atomic_long_t reservations;	/* live struct resmap_resv */
	atomic_long_t vmas;		/* live reservation VMAs */
	atomic_long_t committed_pages;	/* pages in live committed sets */
};

extern struct resmap_stats resmap_stats;
extern const struct attribute_group resmap_stats_group;

/* ---- resmap_area.c: reservations, their files and VMAs -------------- */

#define RESMAP_RESERVE_FORK_MASK	(RESMAP_RESERVE_FORK_SHARE |	\
					 RESMAP_RESERVE_FORK_DROP |	\
					 RESMAP_RESERVE_FORK_ZERO)

/*
 * One reservation: created by RESERVE and shared by every VMA it is
 * split into, forked into or extended by RESIZE.  It pins the device
 * file, and so the module, while any of its VMAs lives.
 */
struct resmap_resv {
	refcount_t ref;
	u32 flags;		/* RESMAP_RESERVE_FORK_* */
	struct file *file;	/* the device file it was reserved through */
};

int resmap_area_init(void);
void resmap_area_exit(void);
struct resmap_resv *resmap_resv_new(struct file *file, u32 flags);
void resmap_resv_put(struct resmap_resv *resv);
unsigned long resmap_map(struct resmap_resv *resv, unsigned long addr,
			 unsigned long len, unsigned long align);
bool resmap_vma_is_ours(const struct vm_area_struct *vma);
bool resmap_vma_is_shared(const struct vm_area_struct *vma);
void resmap_discard(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long size);
void resmap_discard_unused(struct vm_area_struct *vma, unsigned long addr,
			   unsigned long size);
int resmap_unmap_own(struct mm_struct *mm, unsigned long start,
		     unsigned long end, const struct resmap_resv *only);

/* ---- resmap_set.c: committed sets ----------------------------------- */

/*
 * The committed pages of a reservation mapping, as sorted, disjoint
 * half-open page-offset intervals, each with its placement (touching
 * intervals differ in placement).  Immutable once published: a change
 * builds a new set and swaps vm_private_data.  Every VMA of one mapping
 * in one process holds the same set (resmap_txn.c); a forked child's
 * VMAs share the parent's until either side changes its own.
 */
struct resmap_iv {
	pgoff_t start;
	pgoff_t end;
	struct mempolicy *pol;	/* placement (resmap_policy.c), or NULL */
};

struct resmap_set {
	refcount_t ref;
	struct resmap_resv *resv;
	struct rcu_head rcu;
	unsigned int nr;
	struct resmap_iv iv[];
};

/* Most intervals one set may hold: bounds what a command copies. */
#define RESMAP_SET_MAX		BIT(20)

/* One change to a set: [start, end) committed with @pol, or removed. */
enum resmap_edit_kind {
	RESMAP_EDIT_NONE,	/* the operation changes no set */
	RESMAP_EDIT_COMMIT,
	RESMAP_EDIT_DECOMMIT,
};

struct resmap_edit {
	pgoff_t start;
	pgoff_t end;
	struct mempolicy *pol;
	enum resmap_edit_kind kind;
	size_t op;		/* the transaction's operation it comes from */
};

struct resmap_set *resmap_set_new(struct resmap_resv *resv);
unsigned long resmap_set_pages_in(const struct resmap_set *set, pgoff_t lo,
				  pgoff_t hi);
struct resmap_set *resmap_set_merge(const struct resmap_set *old, pgoff_t lo,
				    pgoff_t hi, const struct resmap_edit *edits,
				    size_t k);
void resmap_set_put(struct resmap_set *set);
const struct resmap_iv *resmap_set_find(const struct resmap_set *set,
					pgoff_t pgoff);
const struct resmap_iv *resmap_set_next(const struct resmap_set *set,
					pgoff_t pgoff);
bool resmap_set_covers(const struct resmap_set *set, pgoff_t start,
		       pgoff_t end);

static inline struct mempolicy *resmap_set_policy(const struct resmap_set *set,
						  pgoff_t pgoff)
{
	const struct resmap_iv *iv = resmap_set_find(set, pgoff);

	return iv ? iv->pol : NULL;
}

static inline pgoff_t resmap_pgoff(const struct vm_area_struct *vma,
				   unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* The address of page offset @pgoff in @vma: resmap_pgoff()'s inverse. */
static inline unsigned long resmap_addr(const struct vm_area_struct *vma,
					pgoff_t pgoff)
{
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

static inline struct resmap_set *resmap_vma_set(const struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

static inline struct resmap_resv *resmap_vma_resv(const struct vm_area_struct *vma)
{
	return resmap_vma_set(vma)->resv;
}

/* ---- resmap_policy.c: placements as struct mempolicy ---------------- */

struct mempolicy *resmap_policy_get(unsigned short mode,
				    const nodemask_t *nodes);
struct mempolicy *resmap_policy_dup(struct mempolicy *pol);
void resmap_policy_put(struct mempolicy *pol);
void resmap_policy_exit(void);

/* ---- resmap_txn.c: the transaction engine --------------------------- */

/**
 * struct resmap_txn_op - one operation of a transaction
 * @start, @end: its range, in reservations of the caller
 * @pol:    the placement a COMMIT edit gives (a reference; NULL for none)
 * @kind:   the edit it makes to committed sets
 * @populate: its pages are faulted in once the sets are published (set
 *          only on an operation checked to lie in reservations)
 * @populated: resmap_txn_populate() ran on it: an undo frees its pages
 * @result: 0, or the errno it failed with (then it changes nothing)
 */
struct resmap_txn_op {
	unsigned long start;
	unsigned long end;
	struct mempolicy *pol;
	enum resmap_edit_kind kind;
	bool populate;
	bool populated;
	int result;
};

struct resmap_change;

/**
 * struct resmap_txn - edits of committed sets, made all at once
 * @mm:      the caller's mm, its mmap lock held for writing throughout
 * @ops:     the operations; pairwise disjoint
 * @nops:    how many
 * @changes: every VMA whose set the transaction replaces
 * @edits:   the operations' pieces, by set (owned by the transaction)
 */
struct resmap_txn {
	struct mm_struct *mm;
	struct resmap_txn_op *ops;
	size_t nops;
	struct resmap_change *changes;
	struct resmap_edit *edits;
};

bool resmap_range_is_ours(struct mm_struct *mm, unsigned long start,
			  unsigned long end, const struct resmap_resv *only);
bool resmap_range_is_committed(struct mm_struct *mm, unsigned long start,
			       unsigned long end);
bool resmap_range_has_shared(struct mm_struct *mm, unsigned long start,
			     unsigned long end);
int resmap_txn_begin(struct resmap_txn *t);
int resmap_txn_populate(struct resmap_txn *t, struct resmap_txn_op *op);
int resmap_txn_drop_failed(struct resmap_txn *t);
void resmap_txn_abort(struct resmap_txn *t);
void resmap_txn_end(struct resmap_txn *t);
int resmap_txn_run(struct mm_struct *mm, struct resmap_txn_op *op,
		   const struct resmap_resv *only);

/* ---- resmap_move.c: moving pages between nodes ---------------------- */

int resmap_move_range(struct mm_struct *mm, unsigned long start,
		      unsigned long end, int nid, u32 *moved);

/* ---- resmap_nodes.c: memory nodes and tiers ------------------------- */

extern const struct attribute_group resmap_nodes_group;
int resmap_tiers_init(void);
void resmap_tiers_exit(void);
bool resmap_tier_ok(u32 tier);
int resmap_tier_nodes(u32 tier, nodemask_t *nodes);
void resmap_node_info(int nid, int from, struct resmap_node *info);

/* ---- resmap_fdinfo.c: a process's mappings in its fdinfo ------------ */

int resmap_file_open(struct file *file);
void resmap_file_release(struct file *file);
void resmap_show_fdinfo(struct seq_file *m, struct file *file);

/* ---- compatibility with the supported kernels ----------------------- */

/*
 * mmap_assert_*_locked(); under CONFIG_DEBUG_VM their second half calls
 * dump_mm(), which 6.1 does not export: lockdep's half alone there.
 */
#if defined(CONFIG_DEBUG_VM) && !defined(RESMAP_HAVE_DUMP_MM)
#define resmap_assert_locked(mm)	lockdep_assert_held(&(mm)->mmap_lock)
#define resmap_assert_write_locked(mm)	\
	lockdep_assert_held_write(&(mm)->mmap_lock)
#else
#define resmap_assert_locked(mm)	mmap_assert_locked(mm)
#define resmap_assert_write_locked(mm)	mmap_assert_write_locked(mm)
#endif

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

/*
 * Exclude faults running under the per-VMA lock (6.4 on) before a VMA's
 * set is replaced; with the mmap write lock this excludes every fault.
 */
static inline void resmap_vma_write_lock(struct vm_area_struct *vma)
{
	resmap_assert_write_locked(vma->vm_mm);
#ifdef RESMAP_HAVE_VMA_START_WRITE
	vma_start_write(vma);
#endif
}

#endif /* _RESMAP_H */
