// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the /dev/resmap misc device and its command table.
 *
 * Commands carry their argument size in the ioctl number, so a command
 * is identified by its type and number alone and its struct may grow.
 * resmap_dispatch() is the one place that copies an argument in (any
 * size from the command's first published one up, as
 * copy_struct_from_user() does for syscalls) and out again; ioctl() and
 * io_uring both come through it, and handlers never call back into it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

/* The one file the tracepoints are defined in. */
#define CREATE_TRACE_POINTS
#include "resmap_trace.h"

/**
 * struct resmap_cmd - one row of the command table
 * @handler: runs the command on the copied-in argument
 * @abort:   undoes a successful command whose result could not be
 *           copied out (RESERVE unmaps what it mapped); or NULL
 * @ksize:   the kernel's size of the argument struct
 * @minsize: its first published size
 * @out:     whether the struct has outputs, to be copied back
 */
struct resmap_cmd {
	int (*handler)(struct resmap_call *call);
	void (*abort)(struct resmap_call *call);
	size_t ksize;
	size_t minsize;
	bool out;
};

#define RESMAP_CMD(ioc, fn, undo, type, ver0, has_out)			\
	[_IOC_NR(ioc)] = {						\
		.handler = fn, .abort = undo,				\
		.ksize = sizeof(type), .minsize = ver0, .out = has_out,	\
	}

static const struct resmap_cmd resmap_cmds[] = {
	RESMAP_CMD(RESMAP_IOC_VERSION, resmap_cmd_version, NULL,
		   struct resmap_version, RESMAP_VERSION_SIZE_VER0, true),
	RESMAP_CMD(RESMAP_IOC_RESERVE, resmap_cmd_reserve,
		   resmap_cmd_reserve_abort,
		   struct resmap_reserve, RESMAP_RESERVE_SIZE_VER0, true),
	RESMAP_CMD(RESMAP_IOC_COMMIT, resmap_cmd_commit, NULL,
		   struct resmap_range, RESMAP_RANGE_SIZE_VER0, false),
	RESMAP_CMD(RESMAP_IOC_DECOMMIT, resmap_cmd_decommit, NULL,
		   struct resmap_range, RESMAP_RANGE_SIZE_VER0, false),
	RESMAP_CMD(RESMAP_IOC_RELEASE, resmap_cmd_release, NULL,
		   struct resmap_range, RESMAP_RANGE_SIZE_VER0, false),
	RESMAP_CMD(RESMAP_IOC_RESIZE, resmap_cmd_resize, NULL,
		   struct resmap_resize, RESMAP_RESIZE_SIZE_VER0, false),
	RESMAP_CMD(RESMAP_IOC_NODES, resmap_cmd_nodes, NULL,
		   struct resmap_nodes, RESMAP_NODES_SIZE_VER0, true),
	RESMAP_CMD(RESMAP_IOC_BATCH, resmap_cmd_batch, NULL,
		   struct resmap_batch, RESMAP_BATCH_SIZE_VER0, true),
	RESMAP_CMD(RESMAP_IOC_RESIDENCY, resmap_cmd_residency, NULL,
		   struct resmap_residency, RESMAP_RESIDENCY_SIZE_VER0, true),
};

/* Every argument fits this buffer; checked against the table at build. */
#define RESMAP_ARG_MAX	64

long resmap_dispatch(struct file *file, unsigned int cmd, void __user *uarg)
{
	const struct resmap_cmd *c;
	size_t usize = _IOC_SIZE(cmd);
	u64 karg[RESMAP_ARG_MAX / sizeof(u64)];
	struct resmap_call call = {
		.file = file, .mm = current->mm, .arg = karg,
	};
	unsigned int nr = _IOC_NR(cmd);
	int err;

	BUILD_BUG_ON(sizeof(struct resmap_reserve) > RESMAP_ARG_MAX ||
		     sizeof(struct resmap_resize) > RESMAP_ARG_MAX ||
		     sizeof(struct resmap_residency) > RESMAP_ARG_MAX);
	if (_IOC_TYPE(cmd) != RESMAP_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr >= ARRAY_SIZE(resmap_cmds) || !resmap_cmds[nr].handler)
		return -ENOTTY;
	c = &resmap_cmds[nr];
	if (WARN_ON_ONCE(c->ksize > sizeof(karg)))
		return -ENOTTY;
	if (usize < c->minsize)
		return -EINVAL;
	err = copy_struct_from_user(karg, c->ksize, uarg, usize);
	if (err)
		return err;
	/* Commands act on the caller's own memory: it must have some. */
	if (!call.mm)
		return -EINVAL;
	/*
	 * Where results go back, find out now that they can, before
	 * anything changes: written back as read, so nothing differs.
	 */
	if (c->out && copy_to_user(uarg, karg, min(usize, c->ksize)))
		return -EFAULT;

	err = c->handler(&call);
	if (!c->out || (err && !call.out_on_error))
		return err;
	/* Only a racing munmap or mprotect of the argument fails here. */
	if (copy_to_user(uarg, karg, min(usize, c->ksize))) {
		if (!err && c->abort)
			c->abort(&call);
		return -EFAULT;
	}
	return err;
}

static long resmap_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return resmap_dispatch(file, cmd, (void __user *)arg);
}

static int resmap_open(struct inode *inode, struct file *file)
{
	int err = resmap_file_open(file);

	if (!err)
		atomic_long_inc(&resmap_stats.files);
	return err;
}

static int resmap_release(struct inode *inode, struct file *file)
{
	resmap_file_release(file);
	atomic_long_dec(&resmap_stats.files);
	return 0;
}

/* Reservations map a file of their own (resmap_map()); never the device. */
static int resmap_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

static const struct file_operations resmap_fops = {
	.owner		= THIS_MODULE,
	.open		= resmap_open,
	.release	= resmap_release,
	.mmap		= resmap_file_mmap,
	.unlocked_ioctl	= resmap_ioctl,
	.uring_cmd	= resmap_uring_cmd,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
	.show_fdinfo	= resmap_show_fdinfo,
};

static const struct attribute_group *resmap_groups[] = {
	&resmap_stats_group,
	&resmap_nodes_group,
	NULL,
};

static struct miscdevice resmap_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "resmap",
	.fops	= &resmap_fops,
	.groups	= resmap_groups,
	.mode	= 0666,
};

static int __init resmap_init(void)
{
	int err;

	err = resmap_tiers_init();
	if (err)
		return err;
	err = resmap_area_init();
	if (err)
		goto err_tiers;
	err = misc_register(&resmap_dev);
	if (err) {
		pr_err("cannot register /dev/resmap: %d\n", err);
		goto err_area;
	}
	return 0;

err_area:
	resmap_area_exit();
err_tiers:
	resmap_tiers_exit();
	return err;
}

static void __exit resmap_exit(void)
{
	misc_deregister(&resmap_dev);
	resmap_area_exit();
	resmap_policy_exit();
	resmap_tiers_exit();
}

module_init(resmap_init);
module_exit(resmap_exit);

MODULE_DESCRIPTION("Address-space reservation and NUMA-placed batch mapping");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.2");
