// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the commands through io_uring (IORING_OP_URING_CMD).
 *
 * The SQE's cmd_op is the RESMAP_IOC_* number and its cmd area a struct
 * resmap_uring_cmd pointing at the same argument struct ioctl() takes,
 * so a command means the same either way and completes with the same
 * result.  Commands take the mmap lock and fault pages in, so they never
 * run inline in the submitter's non-blocking issue: -EAGAIN sends them
 * to an io-wq worker, a thread of the submitting process with its mm.
 *
 * The cmd area must be the one the application submitted.  6.1 copies
 * the SQE before any deferred issue (punted or linked) and passes the
 * copy as ioucmd->cmd.  6.12 passes ioucmd->sqe, which points into the
 * SQ ring until the core copies it: at prep for an IOSQE_ASYNC request,
 * but for a linked one only when it is first issued, after the head
 * completes, by which time the application may have filled that ring
 * slot with another SQE.  Nothing tells the two apart at issue time, so
 * there a command is run only from a copy the core made at prep (kernels
 * that always copy, as later ones do, need nothing more): on 6.12 one
 * submitted without IOSQE_ASYNC completes with -EOPNOTSUPP, untouched.
 */

#ifdef RESMAP_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#include <linux/io_uring_types.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/fs.h>
#include <linux/resmap.h>
#include "resmap.h"

static const struct resmap_uring_cmd *
resmap_uring_cmd_area(struct io_uring_cmd *ioucmd)
{
#ifdef RESMAP_HAVE_IO_URING_CMD_H
	struct io_kiocb *req = cmd_to_io_kiocb(ioucmd);

	/* Not the core's own copy: possibly a recycled ring slot. */
	if ((const void *)ioucmd->sqe != req->async_data)
		return NULL;
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

int resmap_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct resmap_uring_cmd *area = resmap_uring_cmd_area(ioucmd);
	u64 arg, reserved;

	if (!area)
		return -EOPNOTSUPP;
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	arg = READ_ONCE(area->arg);
	reserved = READ_ONCE(area->reserved);
	if (reserved)
		return -EINVAL;
	return resmap_dispatch(ioucmd->file, ioucmd->cmd_op,
			       u64_to_user_ptr(arg));
}
