// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: placements as the core's struct mempolicy.
 *
 * The core asks a VMA's ->get_policy for the policy of every page it
 * allocates there.  No mempolicy constructor is exported, so resmap
 * builds its own, without MPOL_F_SHARED: the core then takes no reference
 * and never frees one into its own slab.  In exchange they must outlive
 * any use, including get_mempolicy(MPOL_F_ADDR) running concurrently with
 * munmap: so each distinct placement is made once and kept until the
 * module is unloaded.  There are few distinct placements (a mode and a
 * node mask); RESMAP_MAX_POLICIES bounds them.
 */

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include "resmap.h"

#define RESMAP_MAX_POLICIES	1024

struct resmap_policy {
	struct list_head list;
	struct mempolicy pol;
};

static LIST_HEAD(resmap_policies);
static DEFINE_MUTEX(resmap_policies_lock);
static unsigned int resmap_nr_policies;

/* The policy for @mode over @nodes; ERR_PTR(-ENOSPC/-ENOMEM). */
struct mempolicy *resmap_policy_get(unsigned short mode,
				    const nodemask_t *nodes)
{
	struct resmap_policy *p;

	mutex_lock(&resmap_policies_lock);
	list_for_each_entry(p, &resmap_policies, list) {
		if (p->pol.mode == mode && nodes_equal(p->pol.nodes, *nodes))
			goto out;
	}
	p = ERR_PTR(-ENOSPC);
	if (resmap_nr_policies >= RESMAP_MAX_POLICIES)
		goto out;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		p = ERR_PTR(-ENOMEM);
		goto out;
	}
	atomic_set(&p->pol.refcnt, 1);
	p->pol.mode = mode;
	p->pol.nodes = *nodes;
	p->pol.home_node = NUMA_NO_NODE;
	p->pol.w.user_nodemask = *nodes;
	list_add_tail(&p->list, &resmap_policies);
	resmap_nr_policies++;
out:
	mutex_unlock(&resmap_policies_lock);
	return IS_ERR(p) ? ERR_CAST(p) : &p->pol;
}

/* Module exit: no reservation, and so no fault, is left. */
void resmap_policies_exit(void)
{
	struct resmap_policy *p, *next;

	list_for_each_entry_safe(p, next, &resmap_policies, list)
		kfree(p);
	INIT_LIST_HEAD(&resmap_policies);
	resmap_nr_policies = 0;
}
