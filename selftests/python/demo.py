# SPDX-License-Identifier: GPL-2.0
"""The Python part of "make demo" (run.sh --demo, in the test bed): a
Buffer growing under a live memoryview, a NumPy array on PMEM moved to
DRAM at the same address, and a storage-class conflict.  Each claim is
checked as it is shown (an AssertionError fails the demo)."""
import numpy

import resmap
import resmap.numpy

MiB = 1 << 20


def nodes_of(where):
    return ", ".join("node %d: %d pages" % kv for kv in sorted(where.items()))


def growing_buffer():
    print("\n5. Python: a resmap.Buffer grows under a live memoryview")
    b = resmap.Buffer(4096, reserve=64 * MiB)
    view = memoryview(b)
    view[:5] = b"hello"
    addr = b.address
    b.resize(64 * MiB)
    assert b.address == addr and bytes(view[:5]) == b"hello"
    print("   4 KiB -> 64 MiB with a memoryview held: still at %#x, view "
          "reads %r" % (addr, bytes(view[:5])))
    ba = bytearray(4096)
    held = memoryview(ba)
    try:
        ba.extend(bytes(4096))
    except BufferError as e:
        print("   (bytearray, the same with a view held: BufferError: %s)" % e)
    held.release()
    view.release()


def numpy_pmem_to_dram():
    print("\n6. Python: a NumPy array on PMEM moved to DRAM at the same address")
    with resmap.numpy.allocator(placement=resmap.PMEM, alignment=64):
        a = numpy.arange(2 * MiB, dtype=numpy.int64)      # 16 MiB
    addr = a.ctypes.data
    print("   16 MiB array at %#x, handler %r: %s" % (
        addr, numpy.core.multiarray.get_handler_name(a),
        nodes_of(resmap.where(a))))
    moved = resmap.move(a, resmap.DRAM)
    assert a.ctypes.data == addr and a[-1] == 2 * MiB - 1
    print("   resmap.move(a, resmap.DRAM): %d pages moved, still at %#x: %s"
          % (moved, a.ctypes.data, nodes_of(resmap.where(a))))


def storage_class_conflict():
    print("\n7. Python: storage classes")

    class Hot(metaclass=resmap.StorageClass, placement=resmap.DRAM):
        pass

    class Cold(metaclass=resmap.StorageClass, placement=resmap.PMEM):
        pass

    data = Cold().buffer(MiB)
    memoryview(data)[:] = bytes(MiB)
    print("   Cold().buffer(1 MiB): %s; storage_of: %s" % (
        nodes_of(data.where()), resmap.storage_of(data).__name__))
    try:
        class Both(Hot, Cold):
            pass
    except TypeError as e:
        print("   class Both(Hot, Cold): TypeError: %s" % e)
    else:
        raise AssertionError("no metaclass conflict")


def main():
    print("\nresmap %s for Python, backend %s, tiers %s" % (
        resmap.version(), resmap.backend(), resmap.tiers()))
    growing_buffer()
    numpy_pmem_to_dram()
    storage_class_conflict()


if __name__ == "__main__":
    main()
