// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resmap._resmap: the C half of the Python package (libshim/python).
 *
 * Blocks come from libresmap-shim through its N1527 calls only
 * (batch_alloc5, batch_alloc1) and its resmap_* calls, never through the
 * names malloc, free or aligned_alloc: the library is loaded as a
 * dependency of this extension, in its local scope, so those names in
 * this process still mean the C library's (the shim does not become the
 * process's malloc by importing resmap), while the N1527 names exist
 * only in the shim.  When the shim is preloaded (LD_PRELOAD), the same
 * library serves both.  See Documentation/python.rst.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/resmap.h>

#include "resmap_alloc.h"

/* tracemalloc's domain for resmap's blocks (ASCII "rm"). */
#define RESMAP_TRACE_DOMAIN	0x726d
#define PAGE			4096UL
/* The shim's largest small block: Buffers get a reservation of their own. */
#define SMALL_MAX		(128UL << 10)

/* This thread's placement object (thread_placement()), or NULL. */
static __thread PyObject *thread_place;

/* An OSError, ValueError or MemoryError for @err, as the package promises. */
static PyObject *raise_errno(int err, const char *what)
{
	if (err == ENOMEM)
		return PyErr_NoMemory();
	if (err == EINVAL && what && !strcmp(what, "alignment")) {
		PyErr_SetString(PyExc_ValueError,
				"alignment must be 0 or a power of two");
		return NULL;
	}
	errno = err;
	return PyErr_SetFromErrno(PyExc_OSError);
}

/*
 * A placement object's flags: None gives this thread's placement (or 0);
 * anything else must have an int _flags (resmap.Placement).
 */
static int placement_flags(PyObject *pl, uintmax_t *flags, PyObject **used)
{
	PyObject *f;
	unsigned long long v;

	if (pl == Py_None || !pl)
		pl = thread_place;
	*flags = 0;
	if (used)
		*used = pl ? pl : Py_None;
	if (!pl || pl == Py_None)
		return 0;
	f = PyObject_GetAttrString(pl, "_flags");
	if (!f) {
		PyErr_Clear();
		PyErr_SetString(PyExc_TypeError,
				"placement must be None or a resmap placement "
				"(DRAM, PMEM, Node(n), Interleave())");
		return -1;
	}
	v = PyLong_AsUnsignedLongLong(f);
	Py_DECREF(f);
	if (PyErr_Occurred())
		return -1;
	*flags = v;
	return 0;
}

/*
 * What every allocating call checks of its arguments: two sizes (@what
 * names them in the message) not negative, the alignment 0 or a power of
 * two, and the placement, whose flags go to @flags.  -1 with the Python
 * error set.
 */
static int check_alloc_args(Py_ssize_t a, Py_ssize_t b, const char *what,
			    Py_ssize_t align, PyObject *pl, uintmax_t *flags,
			    PyObject **used)
{
	if (a < 0 || b < 0) {
		PyErr_Format(PyExc_ValueError, "%s must not be negative", what);
		return -1;
	}
	if (align < 0 || (align & (align - 1))) {
		PyErr_SetString(PyExc_ValueError,
				"alignment must be 0 or a power of two");
		return -1;
	}
	return placement_flags(pl, flags, used);
}

/* Pages of [addr, addr + len) per node: {node: pages}, resident only. */
static PyObject *where_range(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr & ~(PAGE - 1);
	uintptr_t e = ((uintptr_t)addr + len + PAGE - 1) & ~(PAGE - 1);
	size_t n = len ? (e - a) / PAGE : 0, i, k;
	PyObject *d = PyDict_New();
	void *pages[256];
	int status[256];
	long count[64] = { 0 };

	if (!d)
		return NULL;
	for (i = 0; i < n; i += k) {
		k = n - i < 256 ? n - i : 256;
		for (size_t j = 0; j < k; j++)
			pages[j] = (void *)(a + (i + j) * PAGE);
		if (syscall(SYS_move_pages, 0, k, pages, NULL, status, 0)) {
			Py_DECREF(d);
			return PyErr_SetFromErrno(PyExc_OSError);
		}
		for (size_t j = 0; j < k; j++)
			if (status[j] >= 0 && status[j] < 64)
				count[status[j]]++;
	}
	for (int node = 0; node < 64; node++) {
		PyObject *key, *val;
		int r;

		if (!count[node])
			continue;
		key = PyLong_FromLong(node);
		val = PyLong_FromLong(count[node]);
		r = key && val ? PyDict_SetItem(d, key, val) : -1;
		Py_XDECREF(key);
		Py_XDECREF(val);
		if (r) {
			Py_DECREF(d);
			return NULL;
		}
	}
	return d;
}

/* The Buffer type. */
typedef struct {
	PyObject_HEAD
	char *ptr;
	size_t len;		/* what Python sees */
	size_t dirty;		/* the longest it has been: bytes past are zero */
	size_t align;		/* asked for (0: the shim's) */
	uintmax_t flags;	/* placement flags */
	PyObject *placement;	/* the placement object, or None */
	Py_ssize_t exports;	/* live buffer views */
	size_t export_len;	/* the longest view exported while any lives */
	PyObject *weakrefs;
} BufferObject;

static PyTypeObject Buffer_Type;

/* One element of batch_alloc5: allocate, resize or (size 0) free. */
static int op5(void **ptr, size_t size, size_t align, size_t reserve,
	       uintmax_t flags, size_t *got_size)
{
	struct mallocation5 m = { *ptr, size, align, reserve, flags };
	struct mallocation5 *md = &m;
	size_t count = 1;
	int err = 0;

	batch_alloc5(&err, &md, &count);
	if (err)
		return err;
	*ptr = m.ptr;
	if (got_size)
		*got_size = m.size;
	return 0;
}

static void trace(BufferObject *b)
{
	PyTraceMalloc_Track(RESMAP_TRACE_DOMAIN, (uintptr_t)b->ptr,
			    b->len ? b->len : 1);
}

static PyObject *Buffer_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "size", "reserve", "alignment", "placement",
				  NULL };
	Py_ssize_t size, reserve = 0, align = 0;
	PyObject *pl = Py_None, *used;
	BufferObject *b;
	uintmax_t flags;
	size_t res;
	void *p = NULL;
	int err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "n|$nnO", kwlist, &size,
					 &reserve, &align, &pl))
		return NULL;
	if (check_alloc_args(size, reserve, "size and reserve", align, pl,
			     &flags, &used))
		return NULL;
	/*
	 * A reservation of its own, always: so that it can grow in place
	 * and move between tiers whatever its size.
	 */
	res = (size_t)reserve > (size_t)size ? (size_t)reserve : 0;
	if ((res ? res : (size_t)size) <= SMALL_MAX)
		res = SMALL_MAX + PAGE;
	b = (BufferObject *)type->tp_alloc(type, 0);
	if (!b)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = op5(&p, size ? size : 1, align, res, flags | M2_ZERO_MEMORY,
		  NULL);
	Py_END_ALLOW_THREADS
	if (err) {
		Py_DECREF(b);
		return raise_errno(err, NULL);
	}
	b->ptr = p;
	b->len = size;
	/* The shim zeroes what was asked for; the rest of its page, here. */
	b->dirty = ((size_t)size + PAGE - 1) & ~(PAGE - 1);
	b->align = align;
	b->flags = flags;
	Py_INCREF(used);
	b->placement = used;
	trace(b);
	return (PyObject *)b;
}

static void Buffer_dealloc(BufferObject *b)
{
	if (b->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)b);
	if (b->ptr) {
		void *p = b->ptr;

		PyTraceMalloc_Untrack(RESMAP_TRACE_DOMAIN, (uintptr_t)p);
		op5(&p, 0, 0, 0, 0, NULL);
	}
	Py_XDECREF(b->placement);
	Py_TYPE(b)->tp_free((PyObject *)b);
}

static int Buffer_getbuffer(BufferObject *b, Py_buffer *view, int flags)
{
	if (PyBuffer_FillInfo(view, (PyObject *)b, b->ptr, b->len, 0, flags))
		return -1;
	if (!b->exports++ || b->len > b->export_len)
		b->export_len = b->len;
	return 0;
}

static void Buffer_releasebuffer(BufferObject *b, Py_buffer *view)
{
	(void)view;
	if (!--b->exports)
		b->export_len = 0;
}

static PyBufferProcs Buffer_as_buffer = {
	.bf_getbuffer = (getbufferproc)Buffer_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Buffer_releasebuffer,
};

static Py_ssize_t Buffer_length(BufferObject *b)
{
	return b->len;
}

/* 0, or an errno with nothing changed. */
static int do_resize(BufferObject *b, size_t n)
{
	void *p = b->ptr;
	size_t zero_to;
	int err;

	if (n == b->len)
		return 0;
	Py_BEGIN_ALLOW_THREADS
	err = op5(&p, n ? n : 1, b->align, 0,
		  M2_ZERO_MEMORY | M2_PREVENT_MOVE, NULL);
	Py_END_ALLOW_THREADS
	if (err)
		return err;
	if (p != b->ptr) {	/* cannot happen: M2_PREVENT_MOVE */
		Py_FatalError("resmap: a block moved under M2_PREVENT_MOVE");
	}
	/*
	 * Bytes written in a past, longer life that a shrink left committed
	 * are zeroed as new ones are.  Past the longest length the Buffer
	 * has had, nothing was written (a new block is zeroed, and so is a
	 * block that growth commits or the shim takes from its cache).
	 */
	zero_to = n < b->dirty ? n : b->dirty;
	if (zero_to > b->len)
		memset(b->ptr + b->len, 0, zero_to - b->len);
	b->len = n;
	if (n > b->dirty)
		b->dirty = n;
	PyTraceMalloc_Untrack(RESMAP_TRACE_DOMAIN, (uintptr_t)b->ptr);
	trace(b);
	return 0;
}

static int resize_arg(BufferObject *b, PyObject *arg, size_t *n)
{
	Py_ssize_t v = PyLong_AsSsize_t(arg);

	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v < 0) {
		PyErr_SetString(PyExc_ValueError, "size must not be negative");
		return -1;
	}
	if (b->exports && (size_t)v < b->export_len) {
		PyErr_SetString(PyExc_BufferError,
				"cannot shrink a Buffer below the length of "
				"an exported view");
		return -1;
	}
	*n = v;
	return 0;
}

static PyObject *Buffer_resize(BufferObject *b, PyObject *arg)
{
	size_t n;
	int err;

	if (resize_arg(b, arg, &n))
		return NULL;
	err = do_resize(b, n);
	if (err)
		return raise_errno(err, NULL);
	Py_RETURN_NONE;
}

static PyObject *Buffer_try_resize(BufferObject *b, PyObject *arg)
{
	size_t n;
	int err;

	if (resize_arg(b, arg, &n))
		return NULL;
	err = do_resize(b, n);
	if (err == ENOSPC || err == ENOMEM)
		Py_RETURN_FALSE;
	if (err)
		return raise_errno(err, NULL);
	Py_RETURN_TRUE;
}

static PyObject *Buffer_where(BufferObject *b, PyObject *unused)
{
	(void)unused;
	return where_range(b->ptr, b->len);
}

/* Move @ptr's block: the pages moved, or -1 with an exception set. */
static long move_block(void *ptr, PyObject *pl)
{
	uintmax_t flags;
	long moved;

	if (pl == Py_None) {
		PyErr_SetString(PyExc_ValueError,
				"move() needs a placement (DRAM, PMEM or Node(n))");
		return -1;
	}
	if (placement_flags(pl, &flags, NULL))
		return -1;
	if (flags & RESMAP_M2_INTERLEAVE) {
		PyErr_SetString(PyExc_ValueError,
				"move() takes a tier or a node, not Interleave");
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	moved = resmap_move(ptr, flags);
	Py_END_ALLOW_THREADS
	if (moved < 0) {
		raise_errno(errno, NULL);
		return -1;
	}
	return moved;
}

static PyObject *Buffer_move(BufferObject *b, PyObject *pl)
{
	uintmax_t flags;
	long moved;

	moved = move_block(b->ptr, pl);
	if (moved < 0)
		return NULL;
	if (!placement_flags(pl, &flags, NULL)) {
		b->flags = flags;
		Py_INCREF(pl);
		Py_SETREF(b->placement, pl);
	}
	return PyLong_FromLong(moved);
}

static PyObject *Buffer_address(BufferObject *b, void *c)
{
	(void)c;
	return PyLong_FromVoidPtr(b->ptr);
}

static PyObject *Buffer_reserved(BufferObject *b, void *c)
{
	struct resmap_block_info bi;

	(void)c;
	if (resmap_block_info(b->ptr, &bi))
		return raise_errno(errno, NULL);
	return PyLong_FromSize_t(bi.reserved);
}

static PyObject *Buffer_alignment(BufferObject *b, void *c)
{
	(void)c;
	return PyLong_FromSize_t(b->align ? b->align : PAGE);
}

static PyObject *Buffer_placement(BufferObject *b, void *c)
{
	(void)c;
	Py_INCREF(b->placement);
	return b->placement;
}

static PyObject *Buffer_repr(BufferObject *b)
{
	return PyUnicode_FromFormat("<resmap.Buffer %zu bytes at %p, placement %R>",
				    b->len, b->ptr, b->placement);
}

static PyMethodDef Buffer_methods[] = {
	{ "resize", (PyCFunction)Buffer_resize, METH_O,
	  "resize(n): grow or shrink at the same address; OSError(ENOSPC) if it cannot" },
	{ "try_resize", (PyCFunction)Buffer_try_resize, METH_O,
	  "try_resize(n): True if resized at the same address, else False" },
	{ "where", (PyCFunction)Buffer_where, METH_NOARGS,
	  "where(): {node: resident pages}" },
	{ "move", (PyCFunction)Buffer_move, METH_O,
	  "move(placement): move the pages at the same address; pages moved" },
	{ NULL }
};

static PyGetSetDef Buffer_getset[] = {
	{ "address", (getter)Buffer_address, NULL, "the data's address", NULL },
	{ "reserved", (getter)Buffer_reserved, NULL,
	  "bytes of address space held from the address", NULL },
	{ "alignment", (getter)Buffer_alignment, NULL, "the alignment kept", NULL },
	{ "placement", (getter)Buffer_placement, NULL, "the placement", NULL },
	{ NULL }
};

static PySequenceMethods Buffer_as_sequence = {
	.sq_length = (lenfunc)Buffer_length,
};

static PyTypeObject Buffer_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "resmap.Buffer",
	.tp_basicsize = sizeof(BufferObject),
	.tp_dealloc = (destructor)Buffer_dealloc,
	.tp_repr = (reprfunc)Buffer_repr,
	.tp_as_sequence = &Buffer_as_sequence,
	.tp_as_buffer = &Buffer_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "Buffer(size, *, reserve=0, alignment=0, placement=None)\n\n"
		  "Zero-filled bytes at a fixed address, in resmap memory, that "
		  "grow in place.",
	.tp_weaklistoffset = offsetof(BufferObject, weakrefs),
	.tp_methods = Buffer_methods,
	.tp_getset = Buffer_getset,
	.tp_new = Buffer_new,
};

/* batch_alloc(count, size, *, alignment=0, placement=None) */
static PyObject *batch_alloc(PyObject *m, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "count", "size", "alignment", "placement",
				  NULL };
	Py_ssize_t count, size, align = 0;
	PyObject *pl = Py_None, *used, *list = NULL;
	size_t n, got, sz;
	uintmax_t flags;
	void **ptrs;
	int *errs;

	(void)m;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "nn|$nO", kwlist, &count,
					 &size, &align, &pl))
		return NULL;
	if (check_alloc_args(count, size, "count and size", align, pl, &flags,
			     &used))
		return NULL;
	n = count;
	ptrs = PyMem_RawCalloc(n ? n : 1, sizeof(void *));
	errs = PyMem_RawCalloc(n ? n : 1, sizeof(int));
	if (!ptrs || !errs) {
		PyMem_RawFree(ptrs);
		PyMem_RawFree(errs);
		return PyErr_NoMemory();
	}
	got = n;
	sz = size ? size : 1;
	Py_BEGIN_ALLOW_THREADS
	batch_alloc1(errs, ptrs, &got, &sz, align, 0,
		     flags | M2_ZERO_MEMORY | M2_BATCH_IS_ALL_ALLOC);
	Py_END_ALLOW_THREADS
	if (got == n)
		list = PyList_New(n);
	for (size_t i = 0; list && i < n; i++) {
		BufferObject *b = PyObject_New(BufferObject, &Buffer_Type);

		if (!b) {
			Py_CLEAR(list);
			break;
		}
		b->ptr = ptrs[i];
		ptrs[i] = NULL;
		b->len = b->dirty = size;
		b->align = align;
		b->flags = flags;
		b->exports = 0;
		b->export_len = 0;
		b->weakrefs = NULL;
		Py_INCREF(used);
		b->placement = used;
		trace(b);
		PyList_SET_ITEM(list, i, (PyObject *)b);
	}
	if (!list) {
		/* Nothing half-made: every block this call got is freed. */
		int err = 0;

		for (size_t i = 0; i < n; i++)
			if (errs[i] && !err)
				err = errs[i];
		got = n;
		sz = 0;
		batch_alloc1(NULL, ptrs, &got, &sz, 0, 0, 0);
		if (!PyErr_Occurred())
			raise_errno(err ? err : ENOMEM, NULL);
	}
	PyMem_RawFree(ptrs);
	PyMem_RawFree(errs);
	return list;
}

static int get_view(PyObject *obj, Py_buffer *v)
{
	return PyObject_GetBuffer(obj, v, PyBUF_SIMPLE);
}

static PyObject *where(PyObject *m, PyObject *obj)
{
	Py_buffer v;
	PyObject *r;

	(void)m;
	if (get_view(obj, &v))
		return NULL;
	r = where_range(v.buf, v.len);
	PyBuffer_Release(&v);
	return r;
}

static PyObject *move(PyObject *m, PyObject *args)
{
	struct resmap_block_info bi;
	PyObject *obj, *pl;
	Py_buffer v;
	long moved;

	(void)m;
	if (!PyArg_ParseTuple(args, "OO:move", &obj, &pl))
		return NULL;
	if (PyObject_TypeCheck(obj, &Buffer_Type))
		return Buffer_move((BufferObject *)obj, pl);
	if (get_view(obj, &v))
		return NULL;
	if (!resmap_owns(v.buf) || resmap_block_info(v.buf, &bi) || !bi.large) {
		PyBuffer_Release(&v);
		errno = EINVAL;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	moved = move_block(v.buf, pl);
	PyBuffer_Release(&v);
	return moved < 0 ? NULL : PyLong_FromLong(moved);
}

/* owns(obj or address): whether it is the start of a resmap block. */
static PyObject *owns(PyObject *m, PyObject *obj)
{
	Py_buffer v;
	void *p;
	int r;

	(void)m;
	if (PyLong_Check(obj)) {
		p = PyLong_AsVoidPtr(obj);
		if (!p && PyErr_Occurred())
			return NULL;
		return PyBool_FromLong(resmap_owns(p));
	}
	if (get_view(obj, &v))
		return NULL;
	r = resmap_owns(v.buf);
	PyBuffer_Release(&v);
	return PyBool_FromLong(r);
}

/* _block_info(address or obj): (usable, reserved, alignment, placement flags, large) */
static PyObject *block_info(PyObject *m, PyObject *addr)
{
	struct resmap_block_info bi;
	Py_buffer v;
	void *p;
	int r;

	(void)m;
	if (PyLong_Check(addr)) {
		p = PyLong_AsVoidPtr(addr);
		if (!p && PyErr_Occurred())
			return NULL;
		r = resmap_block_info(p, &bi);
	} else {
		if (get_view(addr, &v))
			return NULL;
		r = resmap_block_info(v.buf, &bi);
		PyBuffer_Release(&v);
	}
	if (r)
		return raise_errno(errno, NULL);
	return Py_BuildValue("nnnKi", (Py_ssize_t)bi.usable,
			     (Py_ssize_t)bi.reserved, (Py_ssize_t)bi.alignment,
			     (unsigned long long)bi.placement, bi.large);
}

/* _set_thread_placement(p): this thread's placement; returns the old one. */
static PyObject *set_thread_placement(PyObject *m, PyObject *pl)
{
	uintmax_t flags = 0;
	PyObject *old;

	(void)m;
	if (pl != Py_None) {
		PyObject *saved = thread_place;

		thread_place = NULL;
		if (placement_flags(pl, &flags, NULL)) {
			thread_place = saved;
			return NULL;
		}
		thread_place = saved;
	}
	if (resmap_thread_placement(flags, NULL))
		return raise_errno(errno, NULL);
	old = thread_place ? thread_place : Py_None;
	if (pl != Py_None)
		Py_INCREF(pl);
	thread_place = pl != Py_None ? pl : NULL;
	if (old == Py_None)
		Py_INCREF(old);
	return old;	/* the reference the thread held */
}

static PyObject *backend(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyUnicode_FromString(resmap_backend());
}

static PyObject *version(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyUnicode_FromString(resmap_version());
}

/*
 * The module's view of the memory nodes (RESMAP_IOC_NODES): a list of
 * (node, tier, distance, total_pages, free_pages), or None without it.
 */
static PyObject *module_nodes(PyObject *m, PyObject *unused)
{
	struct resmap_node nodes[64];
	struct resmap_nodes a;
	PyObject *list;
	int fd;

	(void)m;
	(void)unused;
	fd = open(RESMAP_DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		Py_RETURN_NONE;
	memset(&a, 0, sizeof(a));
	a.nodes = (uintptr_t)nodes;
	a.count = 64;
	if (ioctl(fd, RESMAP_IOC_NODES, &a)) {
		close(fd);
		Py_RETURN_NONE;
	}
	close(fd);
	list = PyList_New(0);
	for (unsigned int i = 0; list && i < a.count && i < 64; i++) {
		PyObject *t = Py_BuildValue("IIIKK", nodes[i].node, nodes[i].tier,
					    nodes[i].distance,
					    (unsigned long long)nodes[i].total_pages,
					    (unsigned long long)nodes[i].free_pages);

		if (!t || PyList_Append(list, t))
			Py_CLEAR(list);
		Py_XDECREF(t);
	}
	return list;
}

/* _interleave_flags(mask): resmap_interleave_nodes(mask), or OSError. */
static PyObject *interleave_flags(PyObject *m, PyObject *arg)
{
	unsigned long long mask;
	uintmax_t flags;

	(void)m;
	mask = PyLong_AsUnsignedLongLong(arg);
	if (PyErr_Occurred())
		return NULL;
	flags = resmap_interleave_nodes(mask);
	if (!flags)
		return raise_errno(errno, NULL);
	return PyLong_FromUnsignedLongLong(flags);
}

static PyMethodDef methods[] = {
	{ "backend", backend, METH_NOARGS,
	  "backend(): \"module\" or \"syscall\"" },
	{ "version", version, METH_NOARGS, "version(): libresmap-shim's release" },
	{ "batch_alloc", (PyCFunction)(void (*)(void))batch_alloc,
	  METH_VARARGS | METH_KEYWORDS,
	  "batch_alloc(count, size, *, alignment=0, placement=None): "
	  "count Buffers from one batch_alloc1 call" },
	{ "where", where, METH_O,
	  "where(obj): {node: resident pages} of a contiguous buffer" },
	{ "move", move, METH_VARARGS,
	  "move(obj, placement): move a resmap block's pages at the same address" },
	{ "owns", owns, METH_O,
	  "owns(obj or address): whether it starts a resmap block" },
	{ "_block_info", block_info, METH_O, NULL },
	{ "_set_thread_placement", set_thread_placement, METH_O, NULL },
	{ "_module_nodes", module_nodes, METH_NOARGS, NULL },
	{ "_interleave_flags", interleave_flags, METH_O, NULL },
	{ NULL }
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "resmap._resmap",
	.m_doc = "resmap's C extension (libresmap-shim); use the resmap package.",
	.m_size = -1,
	.m_methods = methods,
};

PyMODINIT_FUNC PyInit__resmap(void)
{
	PyObject *m;

	if (PyType_Ready(&Buffer_Type))
		return NULL;
	m = PyModule_Create(&module);
	if (!m)
		return NULL;
	Py_INCREF(&Buffer_Type);
	if (PyModule_AddObject(m, "Buffer", (PyObject *)&Buffer_Type) ||
	    PyModule_AddIntConstant(m, "M2_DRAM", RESMAP_M2_DRAM) ||
	    PyModule_AddIntConstant(m, "M2_PMEM", RESMAP_M2_PMEM) ||
	    PyModule_AddIntConstant(m, "M2_NODE", RESMAP_M2_NODE) ||
	    PyModule_AddIntConstant(m, "M2_NODE_SHIFT", RESMAP_M2_NODE_SHIFT) ||
	    PyModule_AddIntConstant(m, "M2_INTERLEAVE", RESMAP_M2_INTERLEAVE) ||
	    PyModule_AddIntConstant(m, "TIER_DRAM", RESMAP_TIER_DRAM) ||
	    PyModule_AddIntConstant(m, "TIER_PMEM", RESMAP_TIER_PMEM) ||
	    PyModule_AddIntConstant(m, "TRACEMALLOC_DOMAIN", RESMAP_TRACE_DOMAIN)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
