# SPDX-License-Identifier: LGPL-2.1-or-later
"""Storage classes: a metaclass that says where a class's bulk data lives.

    class Hot(metaclass=resmap.StorageClass, placement=resmap.DRAM):
        def __init__(self, n):
            self.data = self.buffer(n)        # on DRAM

Each (placement, alignment) is its own metaclass, a subclass of
StorageClass, so a class deriving from two storage classes with different
placements is a metaclass conflict (TypeError), as Python decides it.
"""
import threading as _threading
import weakref as _weakref

from . import _resmap

__all__ = ["StorageClass", "storage_of"]

_UNSET = object()
_kinds = {}
_kinds_lock = _threading.Lock()
_owners = {}            # block address -> weak reference to its class


def _key(placement, alignment):
    return (getattr(placement, "_flags", 0) if placement is not None else 0,
            alignment)


def _register(cls, obj, addr):
    _owners[addr] = _weakref.ref(cls)
    _weakref.finalize(obj, _owners.pop, addr, None)


def _buffer(self, size, *, reserve=0):
    """A resmap.Buffer with this class's placement and alignment."""
    kind = type(type(self))
    b = _resmap.Buffer(size, reserve=reserve, alignment=kind.alignment,
                       placement=kind.placement)
    _register(type(self), b, b.address)
    return b


def _array(self, shape, dtype=float):
    """A zeroed NumPy array with this class's placement and alignment."""
    import numpy
    from . import numpy as rnp
    kind = type(type(self))
    with rnp.allocator(placement=kind.placement,
                       alignment=kind.alignment or 64):
        a = numpy.zeros(shape, dtype=dtype)
    _register(type(self), a, a.ctypes.data)
    return a


class StorageClass(type):
    """The metaclass of storage classes: class C(metaclass=StorageClass,
    placement=..., alignment=...).  C.placement and C.alignment say where
    the data its instances make with self.buffer() and self.array() go."""

    placement = None
    alignment = 0

    @classmethod
    def kind(cls, placement=None, alignment=0):
        """The metaclass for (placement, alignment): one per pair."""
        if placement is not None and not hasattr(placement, "_flags"):
            raise TypeError("placement must be None or a resmap placement")
        if alignment < 0 or alignment & (alignment - 1):
            raise ValueError("alignment must be 0 or a power of two")
        key = _key(placement, alignment)
        with _kinds_lock:
            k = _kinds.get(key)
            if k is None:
                name = "StorageClass[%r%s]" % (
                    placement, ", %d" % alignment if alignment else "")
                k = type.__new__(StorageClass, name, (StorageClass,), {
                    "placement": placement, "alignment": alignment,
                    "__module__": __name__})
                _kinds[key] = k
        return k

    def __new__(mcls, name, bases, ns, placement=_UNSET, alignment=_UNSET,
                **kw):
        if mcls is StorageClass:
            mcls = StorageClass.kind(
                None if placement is _UNSET else placement,
                0 if alignment is _UNSET else alignment)
            for b in bases:
                m = type(b)
                if not (issubclass(mcls, m) or issubclass(m, mcls)) or \
                        (isinstance(b, StorageClass) and m is not mcls):
                    raise TypeError(
                        "metaclass conflict: %s and %s" % (mcls.__name__,
                                                           m.__name__))
        else:
            p = mcls.placement if placement is _UNSET else placement
            a = mcls.alignment if alignment is _UNSET else alignment
            if _key(p, a) != _key(mcls.placement, mcls.alignment):
                raise TypeError(
                    "metaclass conflict: %s cannot be %s" % (
                        mcls.__name__, StorageClass.kind(p, a).__name__))
        if not any(isinstance(b, StorageClass) for b in bases):
            ns = dict(ns)
            ns.setdefault("buffer", _buffer)
            ns.setdefault("array", _array)
        return type.__new__(mcls, name, bases, ns, **kw)

    def __init__(cls, name, bases, ns, placement=_UNSET, alignment=_UNSET,
                 **kw):
        type.__init__(cls, name, bases, ns, **kw)


def storage_of(obj):
    """The storage class whose instance made the block obj (a Buffer, a
    NumPy array, or an address) starts, or None."""
    if isinstance(obj, int):
        addr = obj
    elif isinstance(obj, _resmap.Buffer):
        addr = obj.address
    elif hasattr(obj, "ctypes"):
        addr = obj.ctypes.data
    else:
        raise TypeError("storage_of() takes a Buffer, an array or an address")
    ref = _owners.get(addr)
    return ref() if ref is not None else None
