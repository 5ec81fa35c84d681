#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Growth to 1 GiB in 1 MiB steps (zero bytes appended each step), each
case REPS times, each run in a child process: seconds, copies (times the
data's address changed, each a copy of everything so far unless the
allocator moved it with mremap) and the child's peak RSS.

    PYTHONPATH=build/python /usr/bin/python3 libshim/python/bench/growth.py \\
        [--mib 1024] [--reps 5] [--tsv]

Without --tsv: a table of medians.  With --tsv: one line per run in the
format of selftests/bench (bench, case, implementation, key=value...),
which make bench appends to its host results and report.sh summarizes.

Cases: resmap.Buffer.resize (in place, into a reservation of the final
size: a Buffer never moves, so without one its growth stops with ENOSPC
where the address space after it is taken); NumPy's ndarray.resize with
NumPy's default allocator and under resmap.numpy.allocator; bytearray +=;
array.array.frombytes.
"""
import argparse
import ctypes
import os
import statistics
import time

STEP = 1 << 20


def grow_buffer(total):
    import resmap
    zeros = bytes(STEP)
    b = resmap.Buffer(STEP, reserve=total)
    addr, copies = b.address, 0
    for n in range(2 * STEP, total + 1, STEP):
        b.resize(n)
        # Write the new MiB as the others do (resize alone touches no
        # page of it).
        with memoryview(b) as m:
            m[n - STEP:] = zeros
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
    del c           # the export ends here, so that ba may resize
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


# (implementation, what it is, function of the final size)
CASES = [
    ("resmap.Buffer", "resmap.Buffer.resize, reserve = final size",
     grow_buffer),
    ("numpy-resmap", "ndarray.resize, resmap.numpy.allocator",
     lambda t: grow_numpy(t, True)),
    ("numpy-default", "ndarray.resize, NumPy's default allocator",
     lambda t: grow_numpy(t, False)),
    ("bytearray", "bytearray +=", grow_bytearray),
    ("array.array", "array.array.frombytes", grow_array),
]


def run_once(fn, total):
    """fn(total) in a child: (seconds, copies, peak RSS MiB) or None."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            t0 = time.perf_counter()
            copies = fn(total)
            os.write(w, b"%f %d" % (time.perf_counter() - t0, copies))
        finally:
            os._exit(0)
    os.close(w)
    out = os.read(r, 100).split()
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    if status or len(out) != 2:
        return None
    return float(out[0]), int(out[1]), ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tsv", action="store_true")
    args = ap.parse_args()
    total = args.mib * STEP
    case = "1M-steps-to-%dM" % args.mib
    if not args.tsv:
        print("# growth to %d MiB in 1 MiB steps, median of %d runs"
              % (args.mib, args.reps))
        print("%-44s %9s %7s %12s" % ("case", "seconds", "copies",
                                       "peak RSS MiB"))
    status = 0
    for name, what, fn in CASES:
        runs = []
        for _ in range(args.reps):
            r = run_once(fn, total)
            if r is None:
                status = 1
                print("# %s: a run failed" % name)
                continue
            runs.append(r)
            if args.tsv:
                print("pygrowth\t%s\t%s\tseconds=%.4f copies=%d "
                      "maxrss_mib=%.0f" % ((case, name) + r), flush=True)
        if runs and not args.tsv:
            print("%-44s %9.3f %7d %12.0f" % (
                what, statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                statistics.median(r[2] for r in runs)))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
