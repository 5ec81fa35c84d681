/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * resmap: address-space reservation, in-place growth and NUMA-placed
 * batch mapping through /dev/resmap.
 *
 * Every command's argument is a fixed-layout struct of __u64/__u32 fields
 * with explicit padding.  The struct size is part of the ioctl number;
 * the kernel accepts any size from the command's first published size
 * upwards (in the style of copy_struct_from_user): a shorter, older
 * struct is read as if the missing tail were zero, and a longer, newer
 * one is accepted only if every byte the kernel does not know is zero
 * (E2BIG otherwise).  Unknown flags and non-zero reserved fields give
 * EINVAL.  See Documentation/userspace-api/resmap.rst.
 */
#ifndef _UAPI_LINUX_RESMAP_H
#define _UAPI_LINUX_RESMAP_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define RESMAP_DEVICE		"/dev/resmap"
#define RESMAP_IOC_MAGIC	0xB8

/* Bumped only for incompatible changes; additions are feature bits. */
#define RESMAP_ABI_VERSION	1

/* Feature bits reported by RESMAP_IOC_VERSION. */
#define RESMAP_FEAT_VERSION	_BITULL(0)	/* RESMAP_IOC_VERSION */
#define RESMAP_FEAT_RESERVE	_BITULL(1)	/* RESERVE, COMMIT, DECOMMIT, RELEASE */
#define RESMAP_FEAT_RESIZE	_BITULL(2)	/* RESMAP_IOC_RESIZE */
#define RESMAP_FEAT_FORK_MODES	_BITULL(3)	/* RESMAP_RESERVE_FORK_* */
#define RESMAP_FEAT_NODES	_BITULL(4)	/* RESMAP_IOC_NODES */
#define RESMAP_FEAT_BATCH	_BITULL(5)	/* RESMAP_IOC_BATCH, placement */
#define RESMAP_FEAT_MOVE	_BITULL(6)	/* RESMAP_OP_MOVE, RESIDENCY */
#define RESMAP_FEAT_URING_CMD	_BITULL(7)	/* commands through io_uring */
#define RESMAP_FEAT_TIER_RANKS	_BITULL(8)	/* RESMAP_TIER_RANK(), NODES' ranks */

/**
 * struct resmap_version - argument of RESMAP_IOC_VERSION
 * @flags:       in: must be 0
 * @abi_version: out: RESMAP_ABI_VERSION of the running module
 * @features:    out: RESMAP_FEAT_* bits this module supports
 * @reserved:    in: must be 0; out: 0
 */
struct resmap_version {
	__u32 flags;
	__u32 abi_version;
	__u64 features;
	__u64 reserved[4];
};

#define RESMAP_VERSION_SIZE_VER0	48	/* first published size */

/* Largest alignment RESMAP_IOC_RESERVE accepts. */
#define RESMAP_MAX_ALIGN	_BITULL(40)

/*
 * RESMAP_IOC_RESERVE flags: what a child process gets at fork.  At most
 * one may be given; without any, the child gets a copy (COPY: it sees the
 * contents at fork and writes never cross in either direction).
 */
#define RESMAP_RESERVE_FORK_SHARE _BITUL(0)	/* the same pages, shared */
#define RESMAP_RESERVE_FORK_DROP  _BITUL(1)	/* nothing: not mapped */
#define RESMAP_RESERVE_FORK_ZERO  _BITUL(2)	/* the reservation, zeroed */

/**
 * struct resmap_reserve - argument of RESMAP_IOC_RESERVE
 * @addr:     in: 0 for anywhere, or the exact address wanted (aligned to
 *            @align); an existing mapping there is never replaced (EEXIST).
 *            out: the reservation's address
 * @len:      in: length in bytes, a non-zero multiple of the page size
 * @align:    in: 0 (page), or a power of two from the page size up to
 *            RESMAP_MAX_ALIGN
 * @flags:    in: at most one RESMAP_RESERVE_FORK_* flag
 * @pad:      in: must be 0
 * @reserved: in: must be 0
 */
struct resmap_reserve {
	__u64 addr;
	__u64 len;
	__u64 align;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

#define RESMAP_RESERVE_SIZE_VER0	64

/* RESMAP_IOC_COMMIT flags */
#define RESMAP_COMMIT_POPULATE	_BITUL(0)	/* fault every page in now */

/**
 * struct resmap_range - argument of COMMIT, DECOMMIT and RELEASE
 * @addr:     in: page-aligned start, inside reservations
 * @len:      in: non-zero page multiple
 * @flags:    in: RESMAP_COMMIT_* for COMMIT, 0 otherwise
 * @pad:      in: must be 0
 * @reserved: in: must be 0
 */
struct resmap_range {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 pad;
	__u64 reserved[3];
};

#define RESMAP_RANGE_SIZE_VER0		48

/* RESMAP_IOC_RESIZE flags */
#define RESMAP_RESIZE_POPULATE	_BITUL(0)	/* fault the new pages in now */

/**
 * struct resmap_resize - argument of RESMAP_IOC_RESIZE
 * @addr:     in: page-aligned start of the extent, inside a reservation
 * @old_len:  in: the extent's length now, a non-zero page multiple
 * @new_len:  in: the length wanted, a non-zero page multiple.  Growing
 *            commits [addr + old_len, addr + new_len), extending the
 *            reservation in place past its end if the address space there
 *            is free (ENOSPC otherwise, nothing changed); shrinking
 *            decommits [addr + new_len, addr + old_len).  @addr never
 *            changes.
 * @flags:    in: RESMAP_RESIZE_*
 * @pad:      in: must be 0
 * @reserved: in: must be 0
 */
struct resmap_resize {
	__u64 addr;
	__u64 old_len;
	__u64 new_len;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

#define RESMAP_RESIZE_SIZE_VER0		64

/*
 * Memory tiers, ranked fastest first as the kernel's memory tiers
 * (/sys/devices/virtual/memory_tiering) rank them.  Wherever a tier is
 * taken (RESMAP_PLACE_TIER, MOVE) it may be named as DRAM, the top tier
 * (rank 0), as PMEM, the slowest tier, or by its rank.
 */
#define RESMAP_TIER_DRAM	1	/* the top tier: rank 0 */
#define RESMAP_TIER_PMEM	2	/* the slowest: rank nr_tiers - 1 (if > 0) */
#define RESMAP_TIER_RANK_BASE	0x100
#define RESMAP_TIER_RANK_MAX	255
#define RESMAP_TIER_RANK(n)	(RESMAP_TIER_RANK_BASE + (n))	/* rank n */
#define RESMAP_TIER_IS_RANK(t)	(((t) & ~0xffU) == RESMAP_TIER_RANK_BASE)

/* struct resmap_node flags */
#define RESMAP_NODE_HAS_CPU	_BITUL(0)	/* the node has CPUs */

/**
 * struct resmap_node - one memory node, as RESMAP_IOC_NODES reports it
 * @node:        NUMA node id
 * @tier:        RESMAP_TIER_DRAM for the top tier, RESMAP_TIER_PMEM for the
 *               slowest (if there are two tiers or more), else
 *               RESMAP_TIER_RANK(@rank)
 * @distance:    node distance (SLIT) from the caller's node
 * @flags:       RESMAP_NODE_*
 * @total_pages: pages the page allocator manages on the node
 * @free_pages:  of which free (the node's MemFree)
 * @rank:        the node's tier rank, 0 the fastest; with
 *               RESMAP_NODES_RANKS only, else 0
 * @nr_tiers:    how many tiers the memory nodes form; with
 *               RESMAP_NODES_RANKS only, else 0
 * @reserved:    0
 */
struct resmap_node {
	__u32 node;
	__u32 tier;
	__u32 distance;
	__u32 flags;
	__u64 total_pages;
	__u64 free_pages;
	__u32 rank;
	__u32 nr_tiers;
	__u64 reserved[1];
};

/* struct resmap_nodes flags */
#define RESMAP_NODES_RANKS	_BITUL(0)	/* fill @rank and @nr_tiers */

/**
 * struct resmap_nodes - argument of RESMAP_IOC_NODES
 * @nodes:       in: user pointer to an array of struct resmap_node, or 0
 * @count:       in: entries the array holds; out: memory nodes there are
 *               (min(in, out) entries were filled, in node order)
 * @flags:       in: RESMAP_NODES_* (EINVAL from a module without
 *               RESMAP_FEAT_TIER_RANKS)
 * @caller_node: out: the node of the CPU the call ran on
 * @pad:         in: must be 0
 * @reserved:    in: must be 0
 */
struct resmap_nodes {
	__u64 nodes;
	__u32 count;
	__u32 flags;
	__u32 caller_node;
	__u32 pad;
	__u64 reserved[3];
};

#define RESMAP_NODES_SIZE_VER0		48

/* Operations of RESMAP_IOC_BATCH */
#define RESMAP_OP_COMMIT	1	/* commit, placed as @place says */
#define RESMAP_OP_DECOMMIT	2	/* free the pages, fault again */
#define RESMAP_OP_POPULATE	3	/* fault in a committed range now */
#define RESMAP_OP_MOVE		4	/* move a committed range's pages */

/* struct resmap_op flags */
#define RESMAP_OP_F_POPULATE	_BITUL(0)	/* COMMIT: fault in now */

/* Placement of struct resmap_op: which nodes pages come from. */
#define RESMAP_PLACE_DEFAULT	0	/* the process's policy (or mbind) */
#define RESMAP_PLACE_STRICT	1	/* @node only; ENOMEM when full */
#define RESMAP_PLACE_PREFERRED	2	/* @node, then the nearest with room */
#define RESMAP_PLACE_INTERLEAVE	3	/* page by page over @nodes */
#define RESMAP_PLACE_TIER	4	/* tier @node: nearest of its nodes */

/**
 * struct resmap_op - one operation of RESMAP_IOC_BATCH
 * @addr:   in: page-aligned start, inside reservations
 * @len:    in: non-zero page multiple
 * @op:     in: RESMAP_OP_*
 * @flags:  in: RESMAP_OP_F_*
 * @place:  in: RESMAP_PLACE_* (COMMIT, POPULATE; MOVE: STRICT, PREFERRED
 *          or TIER; 0 for DECOMMIT)
 * @node:   in: the node (STRICT, PREFERRED) or the tier (TIER):
 *          RESMAP_TIER_DRAM, _PMEM or RESMAP_TIER_RANK(n)
 * @nodes:  in: node mask, bit n = node n (INTERLEAVE); 0 otherwise
 * @result: out: 0, or the negative errno this operation failed with
 * @moved:  out: pages MOVE moved to another node; 0 for other operations
 * @reserved: in: must be 0
 */
struct resmap_op {
	__u64 addr;
	__u64 len;
	__u32 op;
	__u32 flags;
	__u32 place;
	__u32 node;
	__u64 nodes;
	__s32 result;
	__u32 moved;
	__u64 reserved[2];
};

/* RESMAP_IOC_BATCH flags */
#define RESMAP_BATCH_ALL_OR_NOTHING _BITUL(0)	/* any failure undoes all */

/* Most operations one RESMAP_IOC_BATCH takes. */
#define RESMAP_BATCH_MAX	65536

/**
 * struct resmap_batch - argument of RESMAP_IOC_BATCH
 * @ops:      in: user pointer to an array of struct resmap_op
 * @count:    in: its length, 1 to RESMAP_BATCH_MAX
 * @flags:    in: RESMAP_BATCH_*
 * @done:     out: how many operations succeeded (0 or @count with
 *            ALL_OR_NOTHING)
 * @pad:      in: must be 0
 * @reserved: in: must be 0
 */
struct resmap_batch {
	__u64 ops;
	__u32 count;
	__u32 flags;
	__u32 done;
	__u32 pad;
	__u64 reserved[3];
};

#define RESMAP_BATCH_SIZE_VER0		48

/**
 * struct resmap_residency - argument of RESMAP_IOC_RESIDENCY
 * @addr:     in: page-aligned start, inside reservations
 * @len:      in: non-zero page multiple
 * @counts:   in: user pointer to __u64[@nr_counts]; out: [n] = pages of
 *            the range resident on node n
 * @nr_counts: in: entries of @counts, 1 to 1024
 * @flags:    in: must be 0
 * @resident: out: pages of the range resident on any node
 * @reserved: in: must be 0
 */
struct resmap_residency {
	__u64 addr;
	__u64 len;
	__u64 counts;
	__u32 nr_counts;
	__u32 flags;
	__u64 resident;
	__u64 reserved[3];
};

#define RESMAP_RESIDENCY_SIZE_VER0	64

/**
 * struct resmap_uring_cmd - the cmd area of an IORING_OP_URING_CMD SQE
 * @arg:      user pointer to the command's argument struct, as ioctl()
 *            takes it; the SQE's cmd_op is the RESMAP_IOC_* number
 * @reserved: must be 0
 *
 * The CQE's res is what ioctl() returns: 0 or -errno.  16 bytes: fits
 * an ordinary (not SQE128) submission queue entry.
 */
struct resmap_uring_cmd {
	__u64 arg;
	__u64 reserved;
};

#define RESMAP_IOC_VERSION	_IOWR(RESMAP_IOC_MAGIC, 0x00, struct resmap_version)
#define RESMAP_IOC_RESERVE	_IOWR(RESMAP_IOC_MAGIC, 0x01, struct resmap_reserve)
#define RESMAP_IOC_COMMIT	_IOWR(RESMAP_IOC_MAGIC, 0x02, struct resmap_range)
#define RESMAP_IOC_DECOMMIT	_IOWR(RESMAP_IOC_MAGIC, 0x03, struct resmap_range)
#define RESMAP_IOC_RELEASE	_IOWR(RESMAP_IOC_MAGIC, 0x04, struct resmap_range)
#define RESMAP_IOC_RESIZE	_IOWR(RESMAP_IOC_MAGIC, 0x05, struct resmap_resize)
#define RESMAP_IOC_NODES	_IOWR(RESMAP_IOC_MAGIC, 0x06, struct resmap_nodes)
#define RESMAP_IOC_BATCH	_IOWR(RESMAP_IOC_MAGIC, 0x07, struct resmap_batch)
#define RESMAP_IOC_RESIDENCY	_IOWR(RESMAP_IOC_MAGIC, 0x08, struct resmap_residency)

#endif /* _UAPI_LINUX_RESMAP_H */
