#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Growth to 1 GiB in 1 MiB steps (zero bytes appended each step), each
case in a child process: seconds, copies (times the data's address
changed) and the child's peak RSS.

    PYTHONPATH=build/python /usr/bin/python3 libshim/python/bench/growth.py [MiB]

Cases: resmap.Buffer.resize (in place, into a reservation of the final
size: a Buffer never moves, so without one its growth stops with ENOSPC
where the address space after it is taken), NumPy's ndarray.resize with NumPy's default
allocator and under resmap.numpy.allocator, bytearray += and
array.array.frombytes.
"""
import ctypes
import os
import sys
import time

STEP = 1 << 20


def grow_buffer(total, reserve):
    import resmap
    b = resmap.Buffer(STEP, reserve=reserve)
    addr, copies = b.address, 0
    for n in range(2 * STEP, total + 1, STEP):
        b.resize(n)
        copies += b.address != addr
        addr = b.address
    return copies


def grow_numpy(total, use_resmap):
    import contextlib
    import numpy
    ctx = contextlib.nullcontext()
    if use_resmap:
        import resmap.numpy
        ctx = resmap.numpy.allocator(alignment=64)
    with ctx:
        a = numpy.zeros(STEP, dtype=numpy.uint8)
    addr, copies = a.ctypes.data, 0
    for n in range(2 * STEP, total + 1, STEP):
        a.resize(n, refcheck=False)
        copies += a.ctypes.data != addr
        addr = a.ctypes.data
    return copies


def addr_of(ba):
    c = ctypes.c_char.from_buffer(ba)
    a = ctypes.addressof(c)
    del c
    return a


def grow_bytearray(total):
    zeros = bytes(STEP)
    ba = bytearray(zeros)
    addr, copies = addr_of(ba), 0
    for _ in range(2 * STEP, total + 1, STEP):
        ba += zeros
        a = addr_of(ba)
        copies += a != addr
        addr = a
    return copies


def grow_array(total):
    import array
    zeros = bytes(STEP)
    a = array.array("B", zeros)
    addr, copies = a.buffer_info()[0], 0
    for _ in range(2 * STEP, total + 1, STEP):
        a.frombytes(zeros)
        copies += a.buffer_info()[0] != addr
        addr = a.buffer_info()[0]
    return copies


CASES = [
    ("resmap.Buffer, reserve = total", lambda t: grow_buffer(t, t)),
    ("numpy resize, resmap allocator", lambda t: grow_numpy(t, True)),
    ("numpy resize, default allocator", lambda t: grow_numpy(t, False)),
    ("bytearray +=", grow_bytearray),
    ("array.array frombytes", grow_array),
]


def main():
    total = (int(sys.argv[1]) if len(sys.argv) > 1 else 1024) * STEP
    print("# growth to %d MiB in 1 MiB steps" % (total >> 20))
    print("%-34s %9s %7s %12s" % ("case", "seconds", "copies", "peak RSS MiB"))
    for name, fn in CASES:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            t0 = time.perf_counter()
            copies = fn(total)
            os.write(w, b"%f %d" % (time.perf_counter() - t0, copies))
            os._exit(0)
        os.close(w)
        out = os.read(r, 100).split()
        os.close(r)
        _, status, ru = os.wait4(pid, 0)
        if status or len(out) != 2:
            print("%-34s failed" % name)
            continue
        print("%-34s %9.3f %7d %12.0f" % (name, float(out[0]), int(out[1]),
                                          ru.ru_maxrss / 1024))


if __name__ == "__main__":
    main()
