// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resmap._numpy: a NEP 49 data-memory handler on libresmap-shim, for
 * resmap.numpy.allocator.  Each handler carries its placement and
 * alignment; NumPy keeps a reference to the handler in every array it
 * made, so a later ndarray.resize reallocates through the same handler,
 * with the same alignment (N1527's aligned realloc, batch_alloc5), and
 * frees there.  As in _resmap.c, only names that exist in the shim alone
 * are called.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_22_API_VERSION
#include <numpy/arrayobject.h>

#include <errno.h>
#include <string.h>

#include "resmap_alloc.h"

struct ctx {
	size_t align;
	uintmax_t flags;
};

/* One element of batch_alloc5: allocate, resize, or free (size 0). */
static void *op5(void *ptr, size_t size, const struct ctx *c, uintmax_t more)
{
	struct mallocation5 m = { ptr, size, c ? c->align : 0, 0,
				  (c ? c->flags : 0) | more };
	struct mallocation5 *md = &m;
	size_t count = 1;
	int err = 0;

	batch_alloc5(&err, &md, &count);
	if (err) {
		errno = err;
		return NULL;
	}
	return m.ptr;
}

static void *h_malloc(void *ctx, size_t size)
{
	return op5(NULL, size ? size : 1, ctx, 0);
}

static void *h_calloc(void *ctx, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return op5(NULL, n && size ? n * size : 1, ctx, M2_ZERO_MEMORY);
}

static void *h_realloc(void *ctx, void *ptr, size_t size)
{
	if (!ptr)
		return h_malloc(ctx, size);
	return op5(ptr, size ? size : 1, ctx, 0);
}

static void h_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	if (ptr)
		op5(ptr, 0, NULL, 0);
}

static void handler_destroy(PyObject *cap)
{
	PyDataMem_Handler *h = PyCapsule_GetPointer(cap, "mem_handler");

	if (h) {
		PyMem_RawFree(h->allocator.ctx);
		PyMem_RawFree(h);
	}
}

/* _handler(flags, alignment, name): a new "mem_handler" capsule. */
static PyObject *handler(PyObject *m, PyObject *args)
{
	unsigned long long flags;
	Py_ssize_t align;
	const char *name;
	PyDataMem_Handler *h;
	struct ctx *c;
	PyObject *cap;

	(void)m;
	if (!PyArg_ParseTuple(args, "Kns", &flags, &align, &name))
		return NULL;
	if (align < 0 || (align & (align - 1))) {
		PyErr_SetString(PyExc_ValueError,
				"alignment must be 0 or a power of two");
		return NULL;
	}
	h = PyMem_RawCalloc(1, sizeof(*h));
	c = PyMem_RawCalloc(1, sizeof(*c));
	if (!h || !c) {
		PyMem_RawFree(h);
		PyMem_RawFree(c);
		return PyErr_NoMemory();
	}
	c->align = align;
	c->flags = flags;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->version = 1;
	h->allocator.ctx = c;
	h->allocator.malloc = h_malloc;
	h->allocator.calloc = h_calloc;
	h->allocator.realloc = h_realloc;
	h->allocator.free = h_free;
	cap = PyCapsule_New(h, "mem_handler", handler_destroy);
	if (!cap) {
		PyMem_RawFree(c);
		PyMem_RawFree(h);
	}
	return cap;
}

/* _set_handler(capsule or None): install it; returns the previous one. */
static PyObject *set_handler(PyObject *m, PyObject *cap)
{
	(void)m;
	return PyDataMem_SetHandler(cap == Py_None ? NULL : cap);
}

static PyMethodDef methods[] = {
	{ "_handler", handler, METH_VARARGS, NULL },
	{ "_set_handler", set_handler, METH_O, NULL },
	{ NULL }
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "resmap._numpy",
	.m_doc = "resmap's NEP 49 handler; use resmap.numpy.",
	.m_size = -1,
	.m_methods = methods,
};

PyMODINIT_FUNC PyInit__numpy(void)
{
	import_array();
	return PyModule_Create(&module);
}
