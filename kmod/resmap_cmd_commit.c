// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_COMMIT and RESMAP_IOC_DECOMMIT, one transaction
 * each (resmap_txn.c): a failure leaves every VMA and page as it was.
 * Documentation/userspace-api/resmap.rst, "RESMAP_IOC_COMMIT".
 */

#include <linux/string.h>
#include <linux/resmap.h>
#include "resmap.h"
#include "resmap_trace.h"

static int resmap_range_arg(const struct resmap_range *r, u32 flags)
{
	if ((r->flags & ~flags) || r->pad || !resmap_zeroed(r->reserved))
		return -EINVAL;
	if (!resmap_range_ok(r->addr, r->len))
		return -EINVAL;
	return 0;
}

int resmap_cmd_commit(struct resmap_call *call)
{
	struct resmap_range *r = call->arg;
	struct resmap_txn_op op = {
		.start = r->addr, .end = r->addr + r->len,
		.kind = RESMAP_EDIT_COMMIT,
		.populate = r->flags & RESMAP_COMMIT_POPULATE,
	};
	int err;

	err = resmap_range_arg(r, RESMAP_COMMIT_POPULATE);
	if (!err)
		err = resmap_txn_run(call->mm, &op, NULL);
	trace_resmap_commit(r->addr, r->len, r->flags, err);
	return err;
}

int resmap_cmd_decommit(struct resmap_call *call)
{
	struct resmap_range *r = call->arg;
	struct resmap_txn_op op = {
		.start = r->addr, .end = r->addr + r->len,
		.kind = RESMAP_EDIT_DECOMMIT,
	};
	int err;

	err = resmap_range_arg(r, 0);
	if (!err)
		err = resmap_txn_run(call->mm, &op, NULL);
	trace_resmap_decommit(r->addr, r->len, r->flags, err);
	return err;
}

/* RESMAP_IOC_RELEASE: munmap of reservation only. */
int resmap_cmd_release(struct resmap_call *call)
{
	struct resmap_range *r = call->arg;
	int err;

	err = resmap_range_arg(r, 0);
	if (err)
		return err;
	return resmap_unmap_own(call->mm, r->addr, r->addr + r->len, NULL);
}
