// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the memory nodes and their tiers.
 *
 * A node with memory and CPUs is DRAM.  A node with memory and no CPUs is
 * taken to be pmem or CXL memory, which is how dax kmem brings such
 * memory up.  Where that guess is wrong the tiers= module parameter says
 * better, per node ("2:pmem,3:dram"), at load time or later through
 * /sys/module/resmap/parameters/tiers.
 */

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include "resmap.h"

static DEFINE_MUTEX(resmap_tiers_lock);
static u8 resmap_tier_override[MAX_NUMNODES];	/* 0: the guess */

static const char *const resmap_tier_names[] = {
	[RESMAP_TIER_DRAM] = "dram",
	[RESMAP_TIER_PMEM] = "pmem",
};

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
		for (t = RESMAP_TIER_DRAM; t <= RESMAP_TIER_PMEM; t++) {
			if (!strcmp(strim(colon + 1), resmap_tier_names[t]))
				break;
		}
		if (t > RESMAP_TIER_PMEM)
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
					     nid, resmap_tier_names[resmap_tier_override[nid]]);
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
		 "node tiers overriding the guess (CPU-less = pmem), e.g. 2:pmem,3:dram");

u32 resmap_node_tier(int nid)
{
	u32 tier;

	mutex_lock(&resmap_tiers_lock);
	tier = resmap_tier_override[nid];
	mutex_unlock(&resmap_tiers_lock);
	if (tier)
		return tier;
	return node_state(nid, N_CPU) ? RESMAP_TIER_DRAM : RESMAP_TIER_PMEM;
}

/* As the node's meminfo: MemTotal is managed pages, MemFree free pages. */
void resmap_node_info(int nid, int from, struct resmap_node *info)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	int z;

	memset(info, 0, sizeof(*info));
	info->node = nid;
	info->tier = resmap_node_tier(nid);
	info->distance = node_distance(from, nid);
	if (node_state(nid, N_CPU))
		info->flags |= RESMAP_NODE_HAS_CPU;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		info->total_pages += zone_managed_pages(zone);
		info->free_pages += zone_page_state(zone, NR_FREE_PAGES);
	}
}

/* /sys/class/misc/resmap/nodes: "node tier total_pages free_pages". */
static ssize_t nodes_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct resmap_node info;
	int nid, len = 0;

	for_each_node_state(nid, N_MEMORY) {
		resmap_node_info(nid, nid, &info);
		len += sysfs_emit_at(buf, len, "%u %s %llu %llu\n", info.node,
				     resmap_tier_names[info.tier],
				     info.total_pages, info.free_pages);
	}
	return len;
}
static DEVICE_ATTR_RO(nodes);

static struct attribute *resmap_nodes_attrs[] = {
	&dev_attr_nodes.attr,
	NULL,
};

const struct attribute_group resmap_nodes_group = {
	.attrs = resmap_nodes_attrs,
};
