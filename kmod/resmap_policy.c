// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: placements as the core's struct mempolicy.
 *
 * The core asks a VMA's ->get_policy for the policy of every page it
 * allocates there.  No mempolicy constructor is exported, so resmap
 * builds its own, without MPOL_F_SHARED: the core then takes no
 * reference around an allocation.  Two core paths do take one
 * (get_mempolicy(MPOL_F_ADDR|MPOL_F_NODE) keeps the policy across
 * dropping the mmap lock), and a reference they drop last would free the
 * policy into the core's own slab cache.  So resmap keeps the first
 * reference of pol->refcnt for itself and frees a policy only once that
 * is the only one left.
 *
 * Each distinct placement (mode and node mask) is one object, found in a
 * hash table and counted by the committed intervals that use it
 * (resmap_set.c).  When the last interval goes, it waits on a list until
 * the core's references are gone and an RCU grace period has passed, and
 * is then freed.  So what policies cost is bounded by the intervals of
 * the live sets, which each caller's memory cgroup pays for, and no
 * caller can use up a table that others need.
 */

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "resmap.h"

struct resmap_policy {
	struct mempolicy pol;	/* first: container_of() of the core's */
	struct hlist_node hash;
	struct list_head dead;
	refcount_t users;	/* committed intervals using it */
};

static DEFINE_HASHTABLE(resmap_policies, 8);
static LIST_HEAD(resmap_policies_dead);
static DEFINE_MUTEX(resmap_policies_lock);

static void resmap_policy_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(resmap_policy_reaper, resmap_policy_reap);

static u32 resmap_policy_hash(unsigned short mode, const nodemask_t *nodes)
{
	return jhash(nodes, sizeof(*nodes), mode);
}

static struct resmap_policy *resmap_policy_of(struct mempolicy *pol)
{
	return container_of(pol, struct resmap_policy, pol);
}

/**
 * resmap_policy_get() - the policy for @mode over @nodes, referenced
 * @mode:  MPOL_BIND, MPOL_PREFERRED or MPOL_INTERLEAVE
 * @nodes: its nodes
 *
 * Context: may sleep.
 * Return: the policy, to be resmap_policy_put(); ERR_PTR(-ENOMEM).
 */
struct mempolicy *resmap_policy_get(unsigned short mode,
				    const nodemask_t *nodes)
{
	u32 key = resmap_policy_hash(mode, nodes);
	struct resmap_policy *p;

	mutex_lock(&resmap_policies_lock);
	hash_for_each_possible(resmap_policies, p, hash, key) {
		if (p->pol.mode == mode && nodes_equal(p->pol.nodes, *nodes) &&
		    refcount_inc_not_zero(&p->users))
			goto out;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		mutex_unlock(&resmap_policies_lock);
		return ERR_PTR(-ENOMEM);
	}
	atomic_set(&p->pol.refcnt, 1);
	p->pol.mode = mode;
	p->pol.nodes = *nodes;
	p->pol.home_node = NUMA_NO_NODE;
	p->pol.w.user_nodemask = *nodes;
	refcount_set(&p->users, 1);
	INIT_LIST_HEAD(&p->dead);
	hash_add(resmap_policies, &p->hash, key);
out:
	mutex_unlock(&resmap_policies_lock);
	return &p->pol;
}

/**
 * resmap_policy_dup() - one more user of @pol
 * @pol: a policy from resmap_policy_get(), or NULL
 *
 * Context: any; the caller holds a reference already.
 * Return: @pol.
 */
struct mempolicy *resmap_policy_dup(struct mempolicy *pol)
{
	if (pol)
		refcount_inc(&resmap_policy_of(pol)->users);
	return pol;
}

/**
 * resmap_policy_put() - drop a reference from resmap_policy_get()/_dup()
 * @pol: the policy, or NULL
 *
 * Context: may sleep.
 */
void resmap_policy_put(struct mempolicy *pol)
{
	struct resmap_policy *p;

	if (!pol)
		return;
	p = resmap_policy_of(pol);
	if (!refcount_dec_and_mutex_lock(&p->users, &resmap_policies_lock))
		return;
	hash_del(&p->hash);
	list_add_tail(&p->dead, &resmap_policies_dead);
	mutex_unlock(&resmap_policies_lock);
	schedule_delayed_work(&resmap_policy_reaper, 1);
}

/*
 * Free the dead policies the core no longer holds.  No new core
 * reference can appear (no set uses them); ->get_policy may still be
 * looking at one under RCU, hence a grace period after they were taken
 * off the list.  Those the core still holds go back on it.
 */
static void resmap_policy_reap(struct work_struct *work)
{
	struct resmap_policy *p, *next;
	LIST_HEAD(dead);

	mutex_lock(&resmap_policies_lock);
	list_splice_init(&resmap_policies_dead, &dead);
	mutex_unlock(&resmap_policies_lock);
	synchronize_rcu();
	list_for_each_entry_safe(p, next, &dead, dead) {
		if (atomic_read(&p->pol.refcnt) != 1)
			continue;
		list_del(&p->dead);
		kfree(p);
	}
	if (list_empty(&dead))
		return;
	mutex_lock(&resmap_policies_lock);
	list_splice(&dead, &resmap_policies_dead);
	mutex_unlock(&resmap_policies_lock);
	schedule_delayed_work(&resmap_policy_reaper, HZ / 10);
}

/* Module exit: no set is left; wait out the core's last references. */
void resmap_policy_exit(void)
{
	for (;;) {
		flush_delayed_work(&resmap_policy_reaper);
		mutex_lock(&resmap_policies_lock);
		if (list_empty(&resmap_policies_dead)) {
			mutex_unlock(&resmap_policies_lock);
			break;
		}
		mutex_unlock(&resmap_policies_lock);
		schedule_delayed_work(&resmap_policy_reaper, HZ / 10);
	}
	WARN_ON_ONCE(!hash_empty(resmap_policies));
}
