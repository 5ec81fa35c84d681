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

#define RESMAP_IOC_VERSION	_IOWR(RESMAP_IOC_MAGIC, 0x00, struct resmap_version)

#endif /* _UAPI_LINUX_RESMAP_H */
