// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: RESMAP_IOC_NODES, the memory nodes with their tiers.
 * Documentation/userspace-api/resmap.rst, "RESMAP_IOC_NODES".
 */

#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

int resmap_cmd_nodes(struct resmap_call *call)
{
	struct resmap_nodes *a = call->arg;
	struct resmap_node *info;
	u32 n = 0, fill;
	int nid, err = 0;

	if ((a->flags & ~RESMAP_NODES_RANKS) || a->pad ||
	    !resmap_zeroed(a->reserved))
		return -EINVAL;
	if (a->count && !a->nodes)
		return -EINVAL;
	a->caller_node = numa_node_id();
	/* Filled here first, then copied out at once. */
	fill = min_t(u32, a->count, num_node_state(N_MEMORY));
	info = kcalloc(fill, sizeof(*info), GFP_KERNEL);
	if (fill && !info)
		return -ENOMEM;
	for_each_node_state(nid, N_MEMORY) {
		if (n < fill) {
			resmap_node_info(nid, a->caller_node, &info[n]);
			/* Zero for callers that predate them, as before. */
			if (!(a->flags & RESMAP_NODES_RANKS)) {
				info[n].rank = 0;
				info[n].nr_tiers = 0;
			}
		}
		n++;
	}
	/* A node may have come or gone since counting: only what was filled. */
	fill = min(fill, n);
	if (fill && copy_to_user(u64_to_user_ptr(a->nodes), info,
				 fill * sizeof(*info)))
		err = -EFAULT;
	kfree(info);
	a->count = n;
	return err;
}
