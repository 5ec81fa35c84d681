// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_RESERVE, address space of the caller's own.
 * Documentation/userspace-api/resmap.rst, "RESMAP_IOC_RESERVE".
 */

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/resmap.h>
#include "resmap.h"
#include "resmap_trace.h"

static int resmap_reserve(struct resmap_call *call)
{
	struct resmap_reserve *r = call->arg;
	struct resmap_resv *resv;
	unsigned long align, addr;

	if ((r->flags & ~RESMAP_RESERVE_FORK_MASK) || hweight32(r->flags) > 1 ||
	    r->pad || !resmap_zeroed(r->reserved))
		return -EINVAL;
	align = r->align ? r->align : PAGE_SIZE;
	if (!r->len || !PAGE_ALIGNED(r->len) || !is_power_of_2(align) ||
	    align < PAGE_SIZE || align > RESMAP_MAX_ALIGN ||
	    !IS_ALIGNED(r->addr, align))
		return -EINVAL;
	/* As mmap: more address space than a process can have. */
	if (r->len > TASK_SIZE || r->addr > TASK_SIZE - r->len)
		return -ENOMEM;

	resv = resmap_resv_new(call->file, r->flags);
	if (!resv)
		return -ENOMEM;
	addr = resmap_map(resv, r->addr, r->len, align);
	resmap_resv_put(resv);	/* the VMA holds it now, if mapped */
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	r->addr = addr;
	return 0;
}

int resmap_cmd_reserve(struct resmap_call *call)
{
	struct resmap_reserve *r = call->arg;
	int err = resmap_reserve(call);

	trace_resmap_reserve(r->addr, r->len, r->align, r->flags, err);
	return err;
}

/*
 * The result could not be written back: unmap the reservation again, if
 * it is still there whole (another thread may have unmapped it and
 * mapped something of its own, which must stay).
 */
void resmap_cmd_reserve_abort(struct resmap_call *call)
{
	struct resmap_reserve *r = call->arg;

	resmap_unmap_own(call->mm, r->addr, r->addr + r->len, NULL);
}
