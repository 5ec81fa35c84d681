// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: counters in /sys/class/misc/resmap/, so that tests and
 * operators can see that everything the module made has been freed.
 */

#include <linux/device.h>
#include <linux/sysfs.h>
#include "resmap.h"

struct resmap_stats resmap_stats;

#define RESMAP_STAT_ATTR(name)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n",					\
			  atomic_long_read(&resmap_stats.name));	\
}									\
static DEVICE_ATTR_RO(name)

RESMAP_STAT_ATTR(files);
RESMAP_STAT_ATTR(reservations);
RESMAP_STAT_ATTR(vmas);
RESMAP_STAT_ATTR(committed_pages);

static struct attribute *resmap_attrs[] = {
	&dev_attr_files.attr,
	&dev_attr_reservations.attr,
	&dev_attr_vmas.attr,
	&dev_attr_committed_pages.attr,
	NULL,
};

static const struct attribute_group resmap_group = {
	.attrs = resmap_attrs,
};

const struct attribute_group *resmap_groups[] = {
	&resmap_group,
	NULL,
};
