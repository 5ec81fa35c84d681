// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: counters in /sys/class/misc/resmap/, so that tests and
 * operators can see that everything the module made has been freed.
 */

#include <linux/device.h>
#include <linux/sysfs.h>
#include "resmap.h"

struct resmap_stats resmap_stats;

struct resmap_stat_attr {
	struct device_attribute dattr;
	atomic_long_t *counter;
};

static ssize_t resmap_stat_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct resmap_stat_attr *sa =
		container_of(attr, struct resmap_stat_attr, dattr);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(sa->counter));
}

static struct resmap_stat_attr resmap_stat_attrs[] = {
	{ __ATTR(files, 0444, resmap_stat_show, NULL), &resmap_stats.files },
	{ __ATTR(reservations, 0444, resmap_stat_show, NULL),
	  &resmap_stats.reservations },
	{ __ATTR(vmas, 0444, resmap_stat_show, NULL), &resmap_stats.vmas },
	{ __ATTR(committed_pages, 0444, resmap_stat_show, NULL),
	  &resmap_stats.committed_pages },
};

static struct attribute *resmap_attrs[] = {
	&resmap_stat_attrs[0].dattr.attr,
	&resmap_stat_attrs[1].dattr.attr,
	&resmap_stat_attrs[2].dattr.attr,
	&resmap_stat_attrs[3].dattr.attr,
	NULL,
};

const struct attribute_group resmap_stats_group = {
	.attrs = resmap_attrs,
};
