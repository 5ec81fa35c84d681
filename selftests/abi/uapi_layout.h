/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The published layout of every uapi struct: once released, a size or an
 * offset here never changes (structs only grow at the end).  Included by
 * both the C and the C++ side of the ABI test.
 */
#ifndef RESMAP_UAPI_LAYOUT_H
#define RESMAP_UAPI_LAYOUT_H

/* X(struct, size) */
#define RESMAP_UAPI_STRUCTS(X)			\
	X(resmap_version, 48)			\
	X(resmap_reserve, 64)			\
	X(resmap_range, 48)			\
	X(resmap_resize, 64)			\
	X(resmap_node, 48)			\
	X(resmap_nodes, 48)			\
	X(resmap_op, 64)			\
	X(resmap_batch, 48)			\
	X(resmap_residency, 64)			\
	X(resmap_uring_cmd, 16)

/* F(struct, field, offset, size) */
#define RESMAP_UAPI_FIELDS(F)			\
	F(resmap_version, flags, 0, 4)		\
	F(resmap_version, abi_version, 4, 4)	\
	F(resmap_version, features, 8, 8)	\
	F(resmap_version, reserved, 16, 32)	\
	F(resmap_reserve, addr, 0, 8)		\
	F(resmap_reserve, len, 8, 8)		\
	F(resmap_reserve, align, 16, 8)		\
	F(resmap_reserve, flags, 24, 4)		\
	F(resmap_reserve, pad, 28, 4)		\
	F(resmap_reserve, reserved, 32, 32)	\
	F(resmap_range, addr, 0, 8)		\
	F(resmap_range, len, 8, 8)		\
	F(resmap_range, flags, 16, 4)		\
	F(resmap_range, pad, 20, 4)		\
	F(resmap_range, reserved, 24, 24)	\
	F(resmap_resize, addr, 0, 8)		\
	F(resmap_resize, old_len, 8, 8)		\
	F(resmap_resize, new_len, 16, 8)	\
	F(resmap_resize, flags, 24, 4)		\
	F(resmap_resize, pad, 28, 4)		\
	F(resmap_resize, reserved, 32, 32)	\
	F(resmap_node, node, 0, 4)		\
	F(resmap_node, tier, 4, 4)		\
	F(resmap_node, distance, 8, 4)		\
	F(resmap_node, flags, 12, 4)		\
	F(resmap_node, total_pages, 16, 8)	\
	F(resmap_node, free_pages, 24, 8)	\
	F(resmap_node, rank, 32, 4)		\
	F(resmap_node, nr_tiers, 36, 4)		\
	F(resmap_node, reserved, 40, 8)	\
	F(resmap_nodes, nodes, 0, 8)		\
	F(resmap_nodes, count, 8, 4)		\
	F(resmap_nodes, flags, 12, 4)		\
	F(resmap_nodes, caller_node, 16, 4)	\
	F(resmap_nodes, pad, 20, 4)		\
	F(resmap_nodes, reserved, 24, 24)	\
	F(resmap_op, addr, 0, 8)		\
	F(resmap_op, len, 8, 8)			\
	F(resmap_op, op, 16, 4)			\
	F(resmap_op, flags, 20, 4)		\
	F(resmap_op, place, 24, 4)		\
	F(resmap_op, node, 28, 4)		\
	F(resmap_op, nodes, 32, 8)		\
	F(resmap_op, result, 40, 4)		\
	F(resmap_op, moved, 44, 4)		\
	F(resmap_op, reserved, 48, 16)		\
	F(resmap_batch, ops, 0, 8)		\
	F(resmap_batch, count, 8, 4)		\
	F(resmap_batch, flags, 12, 4)		\
	F(resmap_batch, done, 16, 4)		\
	F(resmap_batch, pad, 20, 4)		\
	F(resmap_batch, reserved, 24, 24)	\
	F(resmap_residency, addr, 0, 8)		\
	F(resmap_residency, len, 8, 8)		\
	F(resmap_residency, counts, 16, 8)	\
	F(resmap_residency, nr_counts, 24, 4)	\
	F(resmap_residency, flags, 28, 4)	\
	F(resmap_residency, resident, 32, 8)	\
	F(resmap_residency, reserved, 40, 24)	\
	F(resmap_uring_cmd, arg, 0, 8)		\
	F(resmap_uring_cmd, reserved, 8, 8)

struct uapi_layout_row {
	const char *name;
	unsigned long expected;
	unsigned long actual;
};

#endif
