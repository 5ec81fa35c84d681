// SPDX-License-Identifier: GPL-2.0
/*
 * resmap: /proc/PID/fdinfo/FD of /dev/resmap, a process's reservation
 * mappings with their committed bytes.
 *
 * What another process has committed is not visible otherwise: the
 * module's counter is global, /proc/PID/maps and smaps show the mapping's
 * size and its resident pages but not the committed set, and no command
 * acts on another process's mm.  fdinfo is the kernel's own per-file
 * report, readable under the rules /proc/PID/fdinfo has (ptrace read
 * access to the process), and show_fdinfo() only reads.  So each open
 * of the device remembers the opener's mm (mmgrab(), which keeps the
 * struct, not the address space), and its fdinfo lists that mm's
 * reservation VMAs as /proc/PID/maps walks them: a reference on the
 * address space taken only if it is still alive, the mmap lock for
 * reading, under which the committed sets cannot change.
 *
 * A descriptor inherited through fork or passed to another process still
 * shows its opener's mappings, so the opener is printed first
 * (resmap_owner, in the pid namespace of the /proc being read; -1 once it
 * has exited) and resmapctl uses only a descriptor the process opened
 * itself.  An exec'd or exited opener's address space is gone: the
 * descriptor lists nothing.
 *
 * /proc checks the reader against the process holding the descriptor,
 * once, at the fdinfo file's open; the opener may be another, more
 * privileged process (a descriptor inherited across a privilege drop,
 * or the fd number taken by a setuid program after the reader opened
 * the fdinfo file).  So the mappings, which give the opener's address
 * space layout, are listed only to a reader who could trace the opener
 * by ptrace's own rules, as far as modules can ask them
 * (ptrace_may_access() is not exported): the opener's credentials were
 * the reader's user's, unchanged by a setuid, and its mm is dumpable;
 * or the reader has CAP_SYS_PTRACE over it.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "resmap.h"

struct resmap_opener {
	struct mm_struct *mm;	/* mmgrab()bed, or NULL for a kernel thread */
	struct pid *tgid;
};

/**
 * resmap_file_open() - remember the opener of /dev/resmap
 * @file: the new file
 *
 * Context: ->open; may sleep.
 * Return: 0 or -ENOMEM (nothing kept).
 */
int resmap_file_open(struct file *file)
{
	struct resmap_opener *o = kmalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);

	if (!o)
		return -ENOMEM;
	o->mm = current->mm;
	if (o->mm)
		mmgrab(o->mm);
	o->tgid = get_pid(task_tgid(current));
	file->private_data = o;
	return 0;
}

/**
 * resmap_file_release() - undo resmap_file_open()
 * @file: the file
 *
 * Context: ->release; may sleep.
 */
void resmap_file_release(struct file *file)
{
	struct resmap_opener *o = file->private_data;

	if (o->mm)
		mmdrop(o->mm);
	put_pid(o->tgid);
	kfree(o);
}

/* Whether the reader may see @file's opener's layout (see above). */
static bool resmap_may_read_layout(const struct file *file,
				   struct mm_struct *mm)
{
	const struct cred *c = file->f_cred;

	if (ns_capable_noaudit(mm->user_ns, CAP_SYS_PTRACE))
		return true;
	return uid_eq(current_fsuid(), c->uid) && uid_eq(c->uid, c->euid) &&
	       uid_eq(c->uid, c->suid) && gid_eq(c->gid, c->egid) &&
	       get_dumpable(mm) == SUID_DUMP_USER;
}

/**
 * resmap_show_fdinfo() - the opener and its reservation mappings
 * @m:    fdinfo's seq_file
 * @file: a /dev/resmap file
 *
 * "resmap_owner:\tTGID", then one "resmap_mapping:\tSTART-END COMMITTED"
 * (hex addresses as /proc/PID/maps has them, committed bytes in decimal)
 * per reservation VMA of the opener, in address order.
 *
 * Context: may sleep; takes the opener's mmap lock for reading.
 */
void resmap_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct resmap_opener *o = file->private_data;
	struct vm_area_struct *vma;
	struct mm_struct *mm = o->mm;
	struct vma_iterator vmi;

	seq_printf(m, "resmap_owner:\t%d\n",
		   pid_has_task(o->tgid, PIDTYPE_TGID) ?
		   (int)pid_nr_ns(o->tgid, ns) : -1);
	if (!mm || !mmget_not_zero(mm))
		return;
	if (!resmap_may_read_layout(file, mm) ||
	    mmap_read_lock_killable(mm)) {
		mmput(mm);
		return;
	}
	vma_iter_init(&vmi, mm, 0);
	/*
	 * Each VMA costs a search of its set; a full buffer stops the walk
	 * (seq_file calls again with a larger one), and so does a kill.
	 */
	for_each_vma(vmi, vma) {
		unsigned long pages;

		if (seq_has_overflowed(m) || fatal_signal_pending(current))
			break;
		if (!resmap_vma_is_ours(vma))
			continue;
		pages = resmap_set_pages_in(resmap_vma_set(vma), vma->vm_pgoff,
					    vma->vm_pgoff + vma_pages(vma));
		seq_printf(m, "resmap_mapping:\t%08lx-%08lx %lu\n",
			   vma->vm_start, vma->vm_end, pages << PAGE_SHIFT);
		cond_resched();
	}
	mmap_read_unlock(mm);
	mmput(mm);
}
