// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: the /dev/resmap misc device and its ioctl dispatch.
 *
 * Commands carry their argument size in the ioctl number, so a command
 * is identified by its type and number alone and its struct may grow:
 * resmap_copy_arg() accepts any size from the first published one up,
 * the way copy_struct_from_user() does for syscalls.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/resmap.h>
#include "resmap.h"

#define RESMAP_FEATURES	(RESMAP_FEAT_VERSION | RESMAP_FEAT_RESERVE |	\
			 RESMAP_FEAT_RESIZE | RESMAP_FEAT_FORK_MODES |	\
			 RESMAP_FEAT_NODES | RESMAP_FEAT_BATCH |	\
			 RESMAP_FEAT_MOVE | RESMAP_FEAT_URING_CMD)

/*
 * Copy a command's argument in: @usize is the caller's struct size (from
 * the ioctl number), @minsize the command's first published size.
 */
int resmap_copy_arg(void *karg, size_t ksize, size_t minsize,
		    const void __user *uarg, size_t usize)
{
	if (usize < minsize)
		return -EINVAL;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/* Copy a command's result out, never more than the caller's size. */
int resmap_put_arg(void __user *uarg, size_t usize, const void *karg,
		   size_t ksize)
{
	if (copy_to_user(uarg, karg, min(usize, ksize)))
		return -EFAULT;
	return 0;
}

static long resmap_ioctl_version(void __user *uarg, size_t usize)
{
	struct resmap_version v;
	int err;

	err = resmap_copy_arg(&v, sizeof(v), RESMAP_VERSION_SIZE_VER0,
			      uarg, usize);
	if (err)
		return err;
	/* abi_version and features are outputs: their input is ignored. */
	if (v.flags || memchr_inv(v.reserved, 0, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_version = RESMAP_ABI_VERSION;
	v.features = RESMAP_FEATURES;
	return resmap_put_arg(uarg, usize, &v, sizeof(v));
}

long resmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	if (_IOC_TYPE(cmd) != RESMAP_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(RESMAP_IOC_VERSION):
		return resmap_ioctl_version(uarg, usize);
	case _IOC_NR(RESMAP_IOC_RESERVE):
		return resmap_ioctl_reserve(file, uarg, usize);
	case _IOC_NR(RESMAP_IOC_COMMIT):
	case _IOC_NR(RESMAP_IOC_DECOMMIT):
	case _IOC_NR(RESMAP_IOC_RELEASE):
		return resmap_ioctl_range(_IOC_NR(cmd), uarg, usize);
	case _IOC_NR(RESMAP_IOC_RESIZE):
		return resmap_ioctl_resize(uarg, usize);
	case _IOC_NR(RESMAP_IOC_NODES):
		return resmap_ioctl_nodes(uarg, usize);
	case _IOC_NR(RESMAP_IOC_BATCH):
		return resmap_ioctl_batch(uarg, usize);
	case _IOC_NR(RESMAP_IOC_RESIDENCY):
		return resmap_ioctl_residency(uarg, usize);
	default:
		return -ENOTTY;
	}
}

static int resmap_open(struct inode *inode, struct file *file)
{
	atomic_long_inc(&resmap_stats.files);
	return 0;
}

static int resmap_release(struct inode *inode, struct file *file)
{
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

	err = resmap_zero_pages_init();
	if (err)
		return err;
	err = misc_register(&resmap_dev);
	if (err) {
		pr_err("cannot register /dev/resmap: %d\n", err);
		resmap_zero_pages_exit();
	}
	return err;
}

static void __exit resmap_exit(void)
{
	misc_deregister(&resmap_dev);
	resmap_policies_exit();
	resmap_zero_pages_exit();
}

module_init(resmap_init);
module_exit(resmap_exit);

MODULE_DESCRIPTION("Address-space reservation and NUMA-placed batch mapping");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
