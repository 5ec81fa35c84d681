# SPDX-License-Identifier: GPL-2.0
"""The resmap package in the test bed (run.sh there, RESMAP_TESTBED=1):
the module backend, two DRAM nodes with CPUs and a CPU-less pmem node.
Every placement is checked page by page with move_pages(2), asked
directly of the kernel, not through the package; nodes() and tiers()
against sysfs."""
import ctypes
import errno
import glob
import os

import numpy
import pytest

import resmap
import resmap.numpy

PAGE = 4096
MiB = 1 << 20
SIZE = 8 * MiB
SYS_NODE = "/sys/devices/system/node"
SYS_move_pages = 279        # x86_64, the only architecture of the bed
_libc = ctypes.CDLL(None, use_errno=True)


def page_nodes(address, length):
    """The node of each page of [address, address + length), by
    move_pages(2) with no target: a status per page."""
    n = length // PAGE
    pages = (ctypes.c_void_p * n)(*(address + i * PAGE for i in range(n)))
    status = (ctypes.c_int * n)()
    if _libc.syscall(ctypes.c_long(SYS_move_pages), 0, ctypes.c_ulong(n),
                     pages, None, status, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return list(status)


def touch(obj):
    """Write one byte in every page, so that every page is resident."""
    a = numpy.frombuffer(obj, dtype=numpy.uint8)
    a[::PAGE] = 1


def address_of(obj):
    return numpy.frombuffer(obj, dtype=numpy.uint8).ctypes.data


def sysfs(path):
    with open(path) as f:
        return f.read().strip()


def node_list(text):
    """A sysfs node list such as "0-1,3" as a sorted list of ids."""
    ids = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        ids.extend(range(int(lo), int(hi or lo) + 1))
    return sorted(ids)


def memory_nodes():
    return node_list(sysfs(SYS_NODE + "/has_memory"))


def cpu_nodes():
    return node_list(sysfs(SYS_NODE + "/has_cpu"))


def dram_ids():
    return [n for n in memory_nodes() if n in cpu_nodes()]


def pmem_ids():
    return [n for n in memory_nodes() if n not in cpu_nodes()]


def test_the_bed_is_what_these_tests_expect():
    assert resmap.backend() == "module"
    assert os.path.exists("/dev/resmap")
    assert dram_ids() == [0, 1]
    assert pmem_ids() == [2]


def meminfo_total(node):
    for line in sysfs("%s/node%d/meminfo" % (SYS_NODE, node)).splitlines():
        if line.split()[2] == "MemTotal:":
            return int(line.split()[3]) * 1024
    return 0


@pytest.mark.parametrize("home", [0, 1])
def test_nodes_against_sysfs(home):
    # Distances are from the calling thread's node: pin it there.
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, node_list(sysfs("%s/node%d/cpulist"
                                            % (SYS_NODE, home))))
    try:
        ns = {n.id: n for n in resmap.nodes()}
    finally:
        os.sched_setaffinity(0, cpus)
    ids = sorted(int(p[len(SYS_NODE) + 5:])
                 for p in glob.glob(SYS_NODE + "/node[0-9]*"))
    assert sorted(ns) == ids
    row = [int(d) for d in sysfs("%s/node%d/distance"
                                 % (SYS_NODE, home)).split()]
    for i in ids:
        n = ns[i]
        assert n.id == i
        assert n.has_cpu == (i in cpu_nodes()), i
        assert n.distance == row[ids.index(i)], i
        # The module counts the node's managed pages, sysfs its present
        # ones less reservations: the same within a few percent.
        total = meminfo_total(i)
        assert abs(n.total - total) <= total // 20 + 16 * MiB, (n, total)
        assert 0 <= n.free <= n.total
        assert (n.tier != 0) == (i in memory_nodes()), i


def test_tiers_fastest_first():
    ts = resmap.tiers()
    assert ts[0] == dram_ids()             # DRAM is the top tier
    assert ts[-1] == pmem_ids()            # PMEM the slowest
    assert sorted(i for t in ts for i in t) == memory_nodes()
    # The kernel's own memory tiers, fastest (lowest id) first.
    kernel = sorted(glob.glob("/sys/devices/virtual/memory_tiering/memory_tier*"),
                    key=lambda p: int(p.rsplit("memory_tier", 1)[1]))
    if kernel:
        assert ts == [node_list(sysfs(p + "/nodelist")) for p in kernel]


@pytest.mark.parametrize("placement, want", [
    (resmap.PMEM, pmem_ids),
    (resmap.DRAM, dram_ids),
    (resmap.Node(0), lambda: [0]),
    (resmap.Node(1), lambda: [1]),
    (resmap.Node(2), lambda: [2]),
])
def test_buffer_placement_page_by_page(placement, want):
    b = resmap.Buffer(SIZE, placement=placement)
    touch(b)
    where = page_nodes(b.address, SIZE)
    assert set(where) <= set(want()), where
    assert b.where() == {n: where.count(n) for n in set(where)}
    # Growth in place keeps the placement for the new pages.
    b.resize(2 * SIZE)
    touch(b)
    assert set(page_nodes(b.address, 2 * SIZE)) <= set(want())


def test_interleave_all_spreads_over_every_node():
    b = resmap.Buffer(SIZE, placement=resmap.Interleave())
    touch(b)
    where = page_nodes(b.address, SIZE)
    assert set(where) == set(memory_nodes())


@pytest.mark.parametrize("ids", [[0, 2], [1, 2], [0, 1], [2]])
def test_interleave_over_a_set_page_by_page(ids):
    p = resmap.Interleave(ids)
    b = resmap.Buffer(SIZE, placement=p)
    touch(b)
    where = page_nodes(b.address, SIZE)
    assert set(where) == set(ids), {n: where.count(n) for n in set(where)}
    assert resmap.block_info(b).placement == p
    with resmap.numpy.allocator(placement=p):
        a = numpy.ones(SIZE // 8)
    start = address_of(a) & ~(PAGE - 1)
    assert set(page_nodes(start, SIZE // 2)) == set(ids)


def test_numpy_array_on_pmem_page_by_page():
    with resmap.numpy.allocator(placement=resmap.PMEM, alignment=64):
        a = numpy.ones(SIZE // 8)
    assert address_of(a) % 64 == 0
    start = address_of(a) & ~(PAGE - 1)
    where = page_nodes(start, (address_of(a) + a.nbytes - start) // PAGE * PAGE)
    assert set(where) == set(pmem_ids())


@pytest.mark.parametrize("src, dst, want", [
    (resmap.PMEM, resmap.DRAM, dram_ids),
    (resmap.DRAM, resmap.PMEM, pmem_ids),
    (resmap.Node(0), resmap.Node(1), lambda: [1]),
])
def test_move_at_the_same_address(src, dst, want):
    b = resmap.Buffer(SIZE, placement=src)
    m = memoryview(b)
    m[:] = bytes(range(256)) * (SIZE // 256)
    addr = b.address
    before = page_nodes(addr, SIZE)
    assert not set(before) & set(want())
    assert b.move(dst) == SIZE // PAGE
    assert b.address == addr and address_of(m) == addr
    assert set(page_nodes(addr, SIZE)) <= set(want())
    assert m[:256].tobytes() == bytes(range(256))
    assert m[-256:].tobytes() == bytes(range(256))
    assert b.placement == dst


def test_numpy_array_moved_pmem_to_dram():
    with resmap.numpy.allocator(placement=resmap.PMEM):
        a = numpy.arange(SIZE // 8, dtype=numpy.int64)
    addr = address_of(a)
    assert set(page_nodes(addr, SIZE)) == set(pmem_ids())
    assert resmap.move(a, resmap.DRAM) >= SIZE // PAGE
    assert address_of(a) == addr
    assert set(page_nodes(addr, SIZE)) <= set(dram_ids())
    assert a[-1] == SIZE // 8 - 1


def test_placement_on_a_node_without_memory():
    with pytest.raises(OSError) as e:
        resmap.Buffer(PAGE, placement=resmap.Node(3))
    assert e.value.errno == errno.ENODEV
