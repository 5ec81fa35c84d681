// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the memory nodes and their tiers.
 *
 * Tiers are the kernel's memory tiers (mm/memory-tiers.c), ranked: the
 * kernel puts each memory node in the tier of its abstract distance, a
 * chunk of which is one tier, and shows tier N as
 * /sys/devices/virtual/memory_tiering/memory_tierN/nodelist, a lower N
 * being faster.  resmap numbers the non-empty tiers 0, 1, ... in that
 * order; rank 0 is RESMAP_TIER_DRAM and the last RESMAP_TIER_PMEM, if
 * there are two or more (a machine of one tier has no pmem, as before).
 *
 * None of the memory-tier API that would tell a node's tier is exported
 * to modules (node_is_toptier(), the memtier list and its lock are
 * private on 6.1 and 6.12; 6.12 exports mt_calc_adistance(), which
 * computes what an algorithm such as HMAT would say of a node, not the
 * tier the kernel actually put it in, and nothing on 6.1).  What is
 * exported is the sysfs view above, and the VFS calls that read it
 * (filp_open(), iterate_dir(), kernel_read()).  So the module reads those
 * nodelists, the same text every user sees, from a work item: a kworker
 * resolves paths from init's root, not from whichever process loaded
 * the module or is the caller, which may be chrooted or in another mount
 * namespace.  It reads them at load and again after memory goes online
 * or offline (the kernel changes tiers then, in its own memory notifier,
 * which has a higher priority and so runs before ours).  Between an
 * online and the work item, a node the table does not know yet puts the
 * whole table on the fallback.
 *
 * The fallback, for a kernel without memory tiering (or without sysfs at
 * /sys): a node with CPUs is DRAM, a memory node without CPUs is pmem or
 * CXL memory, which is how dax kmem brings such memory up.  That guess
 * misclassifies CPU-less DRAM, HBM and GPU memory, which is why the
 * kernel's tiers come first.
 *
 * Where either is wrong, the tiers= module parameter says better, per
 * node ("2:pmem,3:dram"), at load time or later through
 * /sys/module/resmap/parameters/tiers: "dram" puts the node in the top
 * tier, "pmem" in the slowest (a tier of its own below the others if
 * there is only one).
 */

#include <linux/bsearch.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include "resmap.h"

#define RESMAP_MEMTIER_DIR	"/sys/devices/virtual/memory_tiering"
#define RESMAP_MEMTIER_PREFIX	"memory_tier"
#define RESMAP_MEMTIER_NODELIST	RESMAP_MEMTIER_DIR "/" RESMAP_MEMTIER_PREFIX "%d/nodelist"

/* Override values of the tiers= parameter; 0 is none. */
enum { RESMAP_OVERRIDE_DRAM = 1, RESMAP_OVERRIDE_PMEM = 2 };

static const char *const resmap_override_names[] = {
	[RESMAP_OVERRIDE_DRAM] = "dram",
	[RESMAP_OVERRIDE_PMEM] = "pmem",
};

/*
 * All under resmap_tiers_lock.  kernel_tier[] holds the memory_tierN
 * number of each node the last read found (-1: in none); the ranks are
 * derived from it, the overrides and the memory nodes of the moment.
 */
static DEFINE_MUTEX(resmap_tiers_lock);
static u8 resmap_tier_override[MAX_NUMNODES];
static s32 resmap_kernel_tier[MAX_NUMNODES];
static bool resmap_have_kernel_tiers;
static u8 resmap_rank[MAX_NUMNODES];
static u32 resmap_nr_tiers;
static bool resmap_ranked_by_kernel;	/* the last ranking's source */
static s32 resmap_keys[MAX_NUMNODES];	/* scratch of resmap_tiers_rank() */

/* Parse "node:tier,..." into @tiers; -EINVAL and @tiers unusable if bad. */
static int resmap_tiers_parse(char *s, u8 *tiers)
{
	unsigned int nid, t;
	char *item, *colon;

	while ((item = strsep(&s, ",")) != NULL) {
		item = strim(item);
		if (!*item)
			continue;
		colon = strchr(item, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		if (kstrtouint(item, 10, &nid) || nid >= MAX_NUMNODES)
			return -EINVAL;
		for (t = RESMAP_OVERRIDE_DRAM; t <= RESMAP_OVERRIDE_PMEM; t++) {
			if (!strcmp(strim(colon + 1), resmap_override_names[t]))
				break;
		}
		if (t > RESMAP_OVERRIDE_PMEM)
			return -EINVAL;
		tiers[nid] = t;
	}
	return 0;
}

/* All or nothing: a bad string leaves the overrides as they were. */
static int resmap_tiers_set(const char *val, const struct kernel_param *kp)
{
	u8 *tiers;
	char *buf;
	int err;

	tiers = kzalloc(MAX_NUMNODES, GFP_KERNEL);
	buf = kstrdup(val, GFP_KERNEL);
	err = tiers && buf ? resmap_tiers_parse(buf, tiers) : -ENOMEM;
	if (!err) {
		mutex_lock(&resmap_tiers_lock);
		memcpy(resmap_tier_override, tiers, MAX_NUMNODES);
		mutex_unlock(&resmap_tiers_lock);
	}
	kfree(buf);
	kfree(tiers);
	return err;
}

static int resmap_tiers_get(char *buf, const struct kernel_param *kp)
{
	int nid, len = 0;

	mutex_lock(&resmap_tiers_lock);
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		if (resmap_tier_override[nid])
			len += sysfs_emit_at(buf, len, "%s%d:%s", len ? "," : "",
					     nid, resmap_override_names[resmap_tier_override[nid]]);
	}
	mutex_unlock(&resmap_tiers_lock);
	return len + sysfs_emit_at(buf, len, "\n");
}

static const struct kernel_param_ops resmap_tiers_ops = {
	.set = resmap_tiers_set,
	.get = resmap_tiers_get,
};

module_param_cb(tiers, &resmap_tiers_ops, NULL, 0644);
MODULE_PARM_DESC(tiers,
		 "node tiers overriding the kernel's memory tiers, e.g. 2:pmem,3:dram");

static int resmap_cmp_s32(const void *a, const void *b)
{
	s32 x = *(const s32 *)a, y = *(const s32 *)b;

	return (x > y) - (x < y);
}

/* The kernel's tier of @nid, or the fallback's: 0 with CPUs, 1 without. */
static s32 resmap_tier_key(int nid, bool kernel)
{
	if (kernel)
		return resmap_kernel_tier[nid];
	return node_state(nid, N_CPU) ? 0 : 1;
}

/*
 * Rank the memory nodes of the moment into resmap_rank[] and
 * resmap_nr_tiers: the distinct tier numbers of the nodes without an
 * override, in order, then the overrides on top (dram) and at the bottom
 * (pmem).  Cheap for the handful of memory nodes a machine has, so done
 * on each use rather than kept in step with hotplug.
 */
static void resmap_tiers_rank(void)
{
	bool kernel = resmap_have_kernel_tiers, any_dram = false, any_pmem = false;
	u32 n = 0, distinct = 0, i, pmem_rank;
	int nid;

	lockdep_assert_held(&resmap_tiers_lock);
	for_each_node_state(nid, N_MEMORY) {
		if (kernel && resmap_kernel_tier[nid] < 0)
			kernel = false;	/* onlined since the last read */
	}
	resmap_ranked_by_kernel = kernel;
	for_each_node_state(nid, N_MEMORY) {
		if (!resmap_tier_override[nid])
			resmap_keys[n++] = resmap_tier_key(nid, kernel);
		any_dram |= resmap_tier_override[nid] == RESMAP_OVERRIDE_DRAM;
		any_pmem |= resmap_tier_override[nid] == RESMAP_OVERRIDE_PMEM;
	}
	sort(resmap_keys, n, sizeof(resmap_keys[0]), resmap_cmp_s32, NULL);
	for (i = 0; i < n; i++) {
		if (!i || resmap_keys[i] != resmap_keys[distinct - 1])
			resmap_keys[distinct++] = resmap_keys[i];
	}
	/* The slowest tier, or a new one below a single tier. */
	pmem_rank = distinct >= 2 ? distinct - 1 : 1;
	resmap_nr_tiers = max(distinct, any_dram ? 1U : 0U);
	if (any_pmem)
		resmap_nr_tiers = max(resmap_nr_tiers, pmem_rank + 1);
	for_each_node_state(nid, N_MEMORY) {
		s32 *key, want;

		switch (resmap_tier_override[nid]) {
		case RESMAP_OVERRIDE_DRAM:
			resmap_rank[nid] = 0;
			continue;
		case RESMAP_OVERRIDE_PMEM:
			resmap_rank[nid] = pmem_rank;
			continue;
		}
		want = resmap_tier_key(nid, kernel);
		key = bsearch(&want, resmap_keys, distinct, sizeof(want),
			      resmap_cmp_s32);
		resmap_rank[nid] = key ? key - resmap_keys : 0;
	}
}

/* The ABI's name of a rank: DRAM, PMEM, or RESMAP_TIER_RANK(rank). */
static u32 resmap_rank_tier(u32 rank, u32 nr)
{
	if (!rank)
		return RESMAP_TIER_DRAM;
	if (rank == nr - 1)
		return RESMAP_TIER_PMEM;
	return RESMAP_TIER_RANK(rank);
}

/**
 * resmap_tier_ok() - whether @tier names a tier in the ABI's encoding
 * @tier: RESMAP_TIER_DRAM, _PMEM or RESMAP_TIER_RANK(n)
 *
 * Context: any.
 * Return: true if it does (the tier may still have no memory).
 */
bool resmap_tier_ok(u32 tier)
{
	return tier == RESMAP_TIER_DRAM || tier == RESMAP_TIER_PMEM ||
	       RESMAP_TIER_IS_RANK(tier);
}

/**
 * resmap_tier_nodes() - the memory nodes of a tier
 * @tier:  as resmap_tier_ok() takes it
 * @nodes: out: its nodes
 *
 * Context: may sleep.
 * Return: 0, or -ENODEV for a tier without memory (empty @nodes).
 */
int resmap_tier_nodes(u32 tier, nodemask_t *nodes)
{
	u32 rank;
	int nid;

	nodes_clear(*nodes);
	mutex_lock(&resmap_tiers_lock);
	resmap_tiers_rank();
	if (tier == RESMAP_TIER_DRAM)
		rank = 0;
	else if (tier == RESMAP_TIER_PMEM)	/* none under a single tier */
		rank = resmap_nr_tiers >= 2 ? resmap_nr_tiers - 1 : U32_MAX;
	else
		rank = tier - RESMAP_TIER_RANK_BASE;
	for_each_node_state(nid, N_MEMORY) {
		if (resmap_nr_tiers && resmap_rank[nid] == rank)
			node_set(nid, *nodes);
	}
	mutex_unlock(&resmap_tiers_lock);
	return nodes_empty(*nodes) ? -ENODEV : 0;
}

/**
 * resmap_node_info() - one memory node as RESMAP_IOC_NODES reports it
 * @nid:  the node
 * @from: the node distances are measured from
 * @info: out: the node; @rank and @nr_tiers filled too
 *
 * Context: may sleep.  MemTotal is managed pages, MemFree free pages, as
 * the node's meminfo shows them.
 */
void resmap_node_info(int nid, int from, struct resmap_node *info)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	int z;

	memset(info, 0, sizeof(*info));
	info->node = nid;
	mutex_lock(&resmap_tiers_lock);
	resmap_tiers_rank();
	info->rank = resmap_rank[nid];
	info->nr_tiers = resmap_nr_tiers;
	mutex_unlock(&resmap_tiers_lock);
	info->tier = resmap_rank_tier(info->rank, info->nr_tiers);
	info->distance = node_distance(from, nid);
	if (node_state(nid, N_CPU))
		info->flags |= RESMAP_NODE_HAS_CPU;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		info->total_pages += zone_managed_pages(zone);
		info->free_pages += zone_page_state(zone, NR_FREE_PAGES);
	}
}

/* Most memory tiers read; more fail the read (the fallback applies). */
#define RESMAP_MEMTIER_MAX	64

/* The memory_tierN entries of memory_tiering, listed before reading any. */
struct resmap_memtier_dir {
	struct dir_context ctx;
	int ids[RESMAP_MEMTIER_MAX];
	unsigned int nr;
	int err;
};

/* Read memory_tier@id/nodelist into @tier[]; @buf has PAGE_SIZE bytes. */
static int resmap_memtier_read(int id, s32 *tier, char *buf)
{
	char path[sizeof(RESMAP_MEMTIER_NODELIST) + 12];
	struct file *f;
	nodemask_t nodes;
	loff_t pos = 0;
	ssize_t len;
	int nid;

	snprintf(path, sizeof(path), RESMAP_MEMTIER_NODELIST, id);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, PAGE_SIZE - 1, &pos);
	filp_close(f, NULL);
	if (len < 0)
		return len;
	buf[len] = '\0';
	if (nodelist_parse(strim(buf), nodes))
		return -EINVAL;
	for_each_node_mask(nid, nodes)
		tier[nid] = id;
	return 0;
}

/*
 * Only note the ids: opening a file below the directory from here would
 * take its inode lock again inside iterate_dir()'s.
 */
static bool resmap_memtier_entry(struct dir_context *ctx, const char *name,
				 int namlen, loff_t offset, u64 ino,
				 unsigned int type)
{
	struct resmap_memtier_dir *d = container_of(ctx, struct resmap_memtier_dir, ctx);
	size_t plen = strlen(RESMAP_MEMTIER_PREFIX);
	char id[12];
	int n;

	if (namlen <= (int)plen || namlen - plen >= sizeof(id) ||
	    strncmp(name, RESMAP_MEMTIER_PREFIX, plen))
		return true;	/* ".", "..", uevent, power... */
	memcpy(id, name + plen, namlen - plen);
	id[namlen - plen] = '\0';
	if (kstrtoint(id, 10, &n) || n < 0)
		d->err = -EINVAL;
	else if (d->nr == RESMAP_MEMTIER_MAX)
		d->err = -E2BIG;
	else
		d->ids[d->nr++] = n;
	return !d->err;
}

/*
 * Read every memory_tierN/nodelist into the table.  Run by the work
 * item only (see the top of the file for why).  Nothing of a failed
 * read is kept: a partial table would rank some nodes wrongly.
 */
static void resmap_tiers_refresh(struct work_struct *work)
{
	struct resmap_memtier_dir d = {
		.ctx.actor = resmap_memtier_entry,
	};
	struct file *dir;
	s32 *tier;
	char *buf;
	int nid, err;
	unsigned int i;

	tier = kmalloc_array(MAX_NUMNODES, sizeof(*tier), GFP_KERNEL);
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	err = -ENOMEM;
	if (!tier || !buf)
		goto out;
	for (nid = 0; nid < MAX_NUMNODES; nid++)
		tier[nid] = -1;
	dir = filp_open(RESMAP_MEMTIER_DIR, O_RDONLY | O_DIRECTORY, 0);
	err = PTR_ERR_OR_ZERO(dir);
	if (err)
		goto out;
	err = iterate_dir(dir, &d.ctx);
	filp_close(dir, NULL);
	if (!err)
		err = d.err;
	for (i = 0; !err && i < d.nr; i++)
		err = resmap_memtier_read(d.ids[i], tier, buf);
out:
	/*
	 * A failed read changes nothing: before the first good one that is
	 * the fallback; after it, the last table (a node it does not know
	 * still puts the whole table on the fallback).
	 */
	if (err) {
		pr_info_once("tiers: cannot read %s (%d): the last table, or CPU-less nodes as pmem, until it can be read\n",
			     RESMAP_MEMTIER_DIR, err);
		goto out_free;
	}
	mutex_lock(&resmap_tiers_lock);
	memcpy(resmap_kernel_tier, tier, sizeof(resmap_kernel_tier));
	resmap_have_kernel_tiers = true;
	mutex_unlock(&resmap_tiers_lock);
out_free:
	kfree(buf);
	kfree(tier);
}

static DECLARE_DELAYED_WORK(resmap_tiers_work, resmap_tiers_refresh);

/*
 * A node gained its first memory or lost its last: the kernel has moved
 * it between tiers (memtier_hotplug_callback() acts on exactly these
 * events, before us).  Other blocks' events change no tier, and are not
 * followed: both kernels' nodelist_show() takes memory_tier_lock, which
 * the offline of a node's last block holds while it unregisters that
 * tier's device and waits for its readers, so every read is a chance of
 * that deadlock (the kernel's, for any reader of the file); the delay
 * reads once for a burst of events, after the offline is done.
 */
static int resmap_tiers_memory_event(struct notifier_block *nb,
				     unsigned long action, void *arg)
{
	const struct memory_notify *mn = arg;

	if ((action == MEM_ONLINE || action == MEM_OFFLINE) &&
	    mn->status_change_nid >= 0)
		mod_delayed_work(system_wq, &resmap_tiers_work, HZ / 2);
	return NOTIFY_OK;
}

static struct notifier_block resmap_tiers_nb = {
	.notifier_call = resmap_tiers_memory_event,
	/* After the kernel's own tier update (MEMTIER_HOTPLUG_PRIO, 100). */
	.priority = 0,
};

/**
 * resmap_tiers_init() - read the kernel's tiers and follow memory hotplug
 *
 * Context: module init; may sleep.
 * Return: 0 or -errno (nothing left registered).  Without memory tiering
 * the fallback applies: that is not an error.
 */
int resmap_tiers_init(void)
{
	int err;

	err = register_memory_notifier(&resmap_tiers_nb);
	if (err)
		return err;
	mod_delayed_work(system_wq, &resmap_tiers_work, 0);
	flush_delayed_work(&resmap_tiers_work);
	return 0;
}

/**
 * resmap_tiers_exit() - undo resmap_tiers_init()
 *
 * Context: module exit or init's failure path; may sleep.
 */
void resmap_tiers_exit(void)
{
	unregister_memory_notifier(&resmap_tiers_nb);
	cancel_delayed_work_sync(&resmap_tiers_work);
}

/**
 * resmap_tiers_reread() - read the kernel's tiers again, now
 *
 * Context: may sleep.  For root's write to the tiers attribute, after
 * which the table matches what sysfs says this moment.
 */
static void resmap_tiers_reread(void)
{
	mod_delayed_work(system_wq, &resmap_tiers_work, 0);
	flush_delayed_work(&resmap_tiers_work);
}

/*
 * /sys/class/misc/resmap/nodes: "node tier total_pages free_pages rank",
 * tier as dram, pmem or rankN.
 */
static ssize_t nodes_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct resmap_node info;
	int nid, len = 0;
	char name[16];

	for_each_node_state(nid, N_MEMORY) {
		resmap_node_info(nid, nid, &info);
		if (info.tier == RESMAP_TIER_DRAM)
			strscpy(name, "dram", sizeof(name));
		else if (info.tier == RESMAP_TIER_PMEM)
			strscpy(name, "pmem", sizeof(name));
		else
			snprintf(name, sizeof(name), "rank%u", info.rank);
		len += sysfs_emit_at(buf, len, "%u %s %llu %llu %u\n", info.node,
				     name, info.total_pages, info.free_pages,
				     info.rank);
	}
	return len;
}
static DEVICE_ATTR_RO(nodes);

/*
 * /sys/class/misc/resmap/tiers: one line "rank nodelist" per tier,
 * fastest first, then "source kernel" or "source cpus".  Writing
 * anything reads the kernel's tiers again (root), for a change that no
 * memory hotplug event announced.
 */
static ssize_t tiers_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	nodemask_t nodes;
	int len = 0, nid;
	u32 r;

	mutex_lock(&resmap_tiers_lock);
	resmap_tiers_rank();
	for (r = 0; r < resmap_nr_tiers; r++) {
		nodes_clear(nodes);
		for_each_node_state(nid, N_MEMORY) {
			if (resmap_rank[nid] == r)
				node_set(nid, nodes);
		}
		len += sysfs_emit_at(buf, len, "%u %*pbl\n", r,
				     nodemask_pr_args(&nodes));
	}
	len += sysfs_emit_at(buf, len, "source %s\n",
			     resmap_ranked_by_kernel ? "kernel" : "cpus");
	mutex_unlock(&resmap_tiers_lock);
	return len;
}

static ssize_t tiers_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	resmap_tiers_reread();
	return count;
}
static DEVICE_ATTR_RW(tiers);

static struct attribute *resmap_nodes_attrs[] = {
	&dev_attr_nodes.attr,
	&dev_attr_tiers.attr,
	NULL,
};

const struct attribute_group resmap_nodes_group = {
	.attrs = resmap_nodes_attrs,
};
