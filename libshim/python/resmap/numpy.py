# SPDX-License-Identifier: LGPL-2.1-or-later
"""NumPy arrays in resmap memory (NEP 49).

    with resmap.numpy.allocator(placement=resmap.PMEM, alignment=64):
        a = numpy.zeros(1 << 20)      # on pmem, 64-byte aligned

Arrays created inside the block, in this thread or context only (NumPy
keeps the handler in a context variable), get their data from
libresmap-shim with that placement and alignment, and keep that handler
for life: ndarray.resize reallocates through it, aligned.  Also a
decorator.  numpy.core.multiarray.get_handler_name(a) is "resmap".
"""
import contextlib as _contextlib

from . import _numpy

__all__ = ["allocator", "HANDLER_NAME"]

HANDLER_NAME = "resmap"


class allocator(_contextlib.ContextDecorator):
    """allocator(placement=None, alignment=64): a context manager and
    decorator making NumPy allocate array data in resmap memory."""

    def __init__(self, placement=None, alignment=64):
        from . import _resmap
        if isinstance(alignment, bool) or not isinstance(alignment, int) \
                or alignment < 0 or alignment & (alignment - 1):
            raise ValueError("alignment must be 0 or a power of two")
        flags = 0
        if placement is not None:
            flags = getattr(placement, "_flags", None)
            if flags is None:
                raise TypeError("placement must be None or a resmap placement")
            # A placement on a tier or node without memory: ENODEV now,
            # not at the first array.
            _resmap.Buffer(1, placement=placement)
        self.placement = placement
        self.alignment = alignment
        self._handler = _numpy._handler(flags, alignment, HANDLER_NAME)
        self._old = []

    def __enter__(self):
        self._old.append(_numpy._set_handler(self._handler))
        return self

    def __exit__(self, *exc):
        _numpy._set_handler(self._old.pop())
        return False
