// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the commands through io_uring (IORING_OP_URING_CMD).
 *
 * The SQE's cmd_op is the RESMAP_IOC_* number and its cmd area a struct
 * resmap_uring_cmd pointing at the same argument struct ioctl() takes, so
 * a command means the same either way and completes with the same result.
 * Commands take the mmap lock and fault pages in, so they never run
 * inline in the submitter's non-blocking issue: -EAGAIN sends them to an
 * io-wq worker, a thread of the submitting process with its mm.  Where
 * the SQE's cmd area lives differs: 6.1 passes it as ioucmd->cmd, 6.12 as
 * the SQE itself.
 */

#ifdef RESMAP_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/fs.h>
#include <linux/resmap.h>
#include "resmap.h"

static const void *resmap_uring_cmd_area(struct io_uring_cmd *ioucmd)
{
#ifdef RESMAP_HAVE_IO_URING_CMD_H
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

int resmap_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct resmap_uring_cmd *area = resmap_uring_cmd_area(ioucmd);
	u64 arg, reserved;

	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	/* The SQE may still be shared with user space: read it once. */
	arg = READ_ONCE(area->arg);
	reserved = READ_ONCE(area->reserved);
	if (reserved)
		return -EINVAL;
	return resmap_ioctl(ioucmd->file, ioucmd->cmd_op, arg);
}
