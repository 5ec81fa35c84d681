# SPDX-License-Identifier: GPL-2.0
"""The resmap package on the host (libshim/python): every call, every error."""
import array
import errno
import os
import random
import threading
import tracemalloc

import pytest

import resmap

MiB = 1 << 20


def test_backend_and_version():
    assert resmap.backend() in ("module", "syscall")
    assert resmap.version().count(".") == 2


def test_nodes_and_tiers():
    ns = resmap.nodes()
    assert ns
    for n in ns:
        assert isinstance(n.id, int) and n.tier in (0, 1, 2)
        assert isinstance(n.has_cpu, bool)
        assert n.total >= n.free >= 0
        assert isinstance(n.distance, int)
    ts = resmap.tiers()
    assert ts and all(ts)
    memory = {n.id for n in ns if n.total}
    assert sorted(i for t in ts for i in t) == sorted(memory)
    assert ts[0] == sorted(n.id for n in ns if n.tier == 1 and n.total) or \
        not any(n.tier == 1 for n in ns)


def test_placements():
    assert resmap.DRAM != resmap.PMEM
    assert resmap.Node(0) == resmap.Node(0)
    assert repr(resmap.Node(3)) == "resmap.Node(3)"
    with pytest.raises(ValueError):
        resmap.Node(64)
    with pytest.raises(TypeError):
        resmap.Node("0")
    ids = [n.id for n in resmap.nodes() if n.total]
    assert resmap.Interleave(ids) == resmap.Interleave()
    with pytest.raises(OSError) as e:
        resmap.Interleave([63])
    assert e.value.errno == errno.ENODEV


def test_interleave_over_a_set():
    ids = [n.id for n in resmap.nodes() if n.total]
    for bad, exc in (([], ValueError), ([64], ValueError), (["0"], TypeError),
                     ([True], TypeError)):
        with pytest.raises(exc):
            resmap.Interleave(bad)
    with pytest.raises(OSError) as e:
        resmap.Interleave(ids + [63])
    assert e.value.errno == errno.ENODEV
    assert resmap.Interleave(reversed(ids)) == resmap.Interleave()
    # A proper subset (in the test bed; the host may have one node) is
    # a placement of its own, the same for the same set.
    if len(ids) > 1:
        p = resmap.Interleave(ids[1:])
        assert p != resmap.Interleave()
        assert p == resmap.Interleave(ids[:0:-1])
        assert repr(p) == "resmap.Interleave(%r)" % ids[1:]
        b = resmap.Buffer(MiB, placement=p)
        assert b.placement == p and resmap.block_info(b).placement == p


def mempolicy(address):
    """(mode, node mask) of the page at address, by get_mempolicy(2)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    mode = ctypes.c_int(-1)
    mask = (ctypes.c_ulong * 16)()
    SYS_get_mempolicy, MPOL_F_ADDR = 239, 2      # x86_64
    if libc.syscall(ctypes.c_long(SYS_get_mempolicy), ctypes.byref(mode),
                    mask, ctypes.c_ulong(1024), ctypes.c_void_p(address),
                    ctypes.c_ulong(MPOL_F_ADDR)):
        raise OSError(ctypes.get_errno(), "get_mempolicy")
    return mode.value, mask[0]


@pytest.mark.skipif(resmap.backend() != "syscall",
                    reason="the module places pages without a VMA policy")
def test_interleave_is_an_mbind_policy():
    MPOL_INTERLEAVE = 3
    ids = [n.id for n in resmap.nodes() if n.total]
    for p, want in [(resmap.Interleave(), ids)] + \
            [(resmap.Interleave([i]), [i]) for i in ids[1:]]:
        b = resmap.Buffer(MiB, placement=p)
        assert mempolicy(b.address) == (MPOL_INTERLEAVE,
                                        sum(1 << i for i in want))


def test_buffer_basics():
    b = resmap.Buffer(10000)
    assert len(b) == 10000
    assert isinstance(b.address, int) and b.address % 4096 == 0
    assert b.reserved >= 10000
    assert b.placement is None
    m = memoryview(b)
    assert m.format == "B" and m.c_contiguous and not m.readonly
    assert m.nbytes == 10000
    assert bytes(m) == bytes(10000)          # zero-filled
    m[:5] = b"hello"
    assert bytes(memoryview(b)[:5]) == b"hello"
    assert resmap.owns(b) and resmap.owns(b.address)
    assert not resmap.owns(b.address + 1)
    assert not resmap.owns(bytearray(10))
    m.release()


def test_buffer_zero_size():
    b = resmap.Buffer(0)
    assert len(b) == 0 and bytes(b) == b""
    b.resize(100)
    assert bytes(b) == bytes(100)


def test_alignment_and_errors():
    for a in (64, 4096, 1 << 16, 2 * MiB):
        b = resmap.Buffer(1000, alignment=a)
        assert b.address % a == 0 and b.alignment == a
    for bad in (3, 48, -8):
        with pytest.raises(ValueError):
            resmap.Buffer(10, alignment=bad)
    with pytest.raises(ValueError):
        resmap.Buffer(-1)
    with pytest.raises(TypeError):
        resmap.Buffer(10, placement="DRAM")
    with pytest.raises(MemoryError):
        resmap.Buffer(1 << 62)


def test_enodev():
    dram = [n.id for n in resmap.nodes() if n.total]
    empty = [i for i in range(64) if i not in dram]
    with pytest.raises(OSError) as e:
        resmap.Buffer(4096, placement=resmap.Node(empty[-1]))
    assert e.value.errno == errno.ENODEV
    if len(resmap.tiers()) < 2:
        for p in (resmap.PMEM,):
            with pytest.raises(OSError) as e:
                resmap.Buffer(4096, placement=p)
            assert e.value.errno == errno.ENODEV
            with pytest.raises(OSError) as e:
                resmap.batch_alloc(4, 4096, placement=p)
            assert e.value.errno == errno.ENODEV


def test_placed_buffer():
    b = resmap.Buffer(MiB, placement=resmap.DRAM)
    assert b.placement == resmap.DRAM
    assert resmap.block_info(b).placement == resmap.DRAM
    memoryview(b)[:] = b"\1" * MiB
    w = b.where()
    dram = resmap.tiers()[0]
    assert sum(w.values()) == MiB // 4096
    assert set(w) <= set(dram)


def test_resize_in_place_with_views():
    b = resmap.Buffer(4096, reserve=64 * MiB)
    addr = b.address
    m = memoryview(b)
    m[0] = 7
    for n in (8192, MiB, 64 * MiB):
        b.resize(n)
        assert b.address == addr and len(b) == n
        assert m[0] == 7                       # the old view still works
    big = memoryview(b)
    assert big[64 * MiB - 1] == 0
    big[64 * MiB - 1] = 9
    with pytest.raises(BufferError):
        b.resize(4095)                          # below the first view
    m.release()
    with pytest.raises(BufferError):
        b.resize(MiB)                           # below the big one
    big.release()
    b.resize(100)
    assert len(b) == 100 and b.address == addr


def test_resize_zeroes_regrowth():
    b = resmap.Buffer(MiB)
    memoryview(b)[:] = b"\xff" * MiB
    b.resize(10)
    b.resize(MiB)
    assert bytes(memoryview(b)[:10]) == b"\xff" * 10
    assert bytes(memoryview(b)[10:]) == bytes(MiB - 10)


def test_resize_enospc_changes_nothing():
    a = resmap.Buffer(MiB, reserve=MiB)
    # Take the address space right after a's reservation.
    import mmap
    end = a.address + a.reserved
    blocker = None
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                              ctypes.c_int, ctypes.c_int, ctypes.c_long]
        MAP_FIXED_NOREPLACE = 0x100000
        r = libc.mmap(end, 4096, 0, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                      MAP_FIXED_NOREPLACE, -1, 0)
        if r == end:
            blocker = r
        elif ctypes.get_errno() != errno.EEXIST:
            if r not in (None, ctypes.c_void_p(-1).value):
                libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
                libc.munmap(r, 4096)
            pytest.skip("no MAP_FIXED_NOREPLACE")
        # else: already taken, which serves as well
        memoryview(a)[:3] = b"abc"
        with pytest.raises(OSError) as e:
            a.resize(a.reserved + 4096)
        assert e.value.errno == errno.ENOSPC
        assert len(a) == MiB and bytes(memoryview(a)[:3]) == b"abc"
        assert a.try_resize(a.reserved + 4096) is False
        assert a.try_resize(2 * 4096) is True and len(a) == 8192
    finally:
        if blocker:
            libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
            libc.munmap(blocker, 4096)


def test_alignment_kept_across_1000_random_resizes():
    rng = random.Random(16)
    b = resmap.Buffer(100, alignment=1 << 16, reserve=32 * MiB)
    addr = b.address
    for _ in range(1000):
        n = rng.randrange(1, 32 * MiB)
        assert b.try_resize(n)
        assert b.address == addr and b.address % (1 << 16) == 0
        assert len(b) == n


def test_move_and_where():
    b = resmap.Buffer(MiB)
    memoryview(b)[:] = b"\2" * MiB
    node = resmap.tiers()[0][0]
    moved = b.move(resmap.Node(node))
    assert moved >= 0
    assert b.placement == resmap.Node(node)
    assert b.where() == {node: MiB // 4096}
    assert resmap.move(b, resmap.DRAM) >= 0
    assert b.placement == resmap.DRAM
    with pytest.raises(ValueError):
        b.move(resmap.Interleave())
    with pytest.raises(ValueError):
        b.move(None)


def test_where_any_buffer():
    data = bytes(range(256)) * 64
    assert sum(resmap.where(data).values()) >= 1
    assert sum(resmap.where(bytearray(8192)).values()) >= 1
    assert isinstance(resmap.where(array.array("d", [1.0] * 1000)), dict)
    with pytest.raises(TypeError):
        resmap.where(12)


def test_move_foreign_is_einval():
    for obj in (bytearray(1 << 20), array.array("b", bytes(1 << 20))):
        with pytest.raises(OSError) as e:
            resmap.move(obj, resmap.DRAM)
        assert e.value.errno == errno.EINVAL


def test_batch_alloc():
    bufs = resmap.batch_alloc(1000, 100, alignment=64)
    assert len(bufs) == 1000
    assert len({b.address for b in bufs}) == 1000
    for b in bufs:
        assert len(b) == 100 and b.address % 64 == 0
        assert bytes(b) == bytes(100)
        assert resmap.owns(b)
    big = resmap.batch_alloc(4, MiB, placement=resmap.DRAM)
    assert all(b.placement == resmap.DRAM for b in big)
    assert resmap.batch_alloc(0, 10) == []
    with pytest.raises(ValueError):
        resmap.batch_alloc(2, 10, alignment=6)
    with pytest.raises(ValueError):
        resmap.batch_alloc(-1, 10)


def test_thread_placement():
    assert resmap.Buffer(10).placement is None
    with resmap.thread_placement(resmap.DRAM):
        b = resmap.Buffer(10)
        assert b.placement == resmap.DRAM
        assert resmap.block_info(b).placement == resmap.DRAM
        seen = []
        t = threading.Thread(target=lambda: seen.append(
            resmap.Buffer(10).placement))
        t.start()
        t.join()
        assert seen == [None]                  # other threads: unaffected
    assert resmap.Buffer(10).placement is None
    with pytest.raises(OSError) as e:
        with resmap.thread_placement(resmap.Node(63)):
            pass
    assert e.value.errno == errno.ENODEV
    assert resmap.Buffer(10).placement is None


def test_block_info():
    b = resmap.Buffer(3 * 4096, alignment=8192)
    bi = resmap.block_info(b)
    assert bi.usable >= 3 * 4096 and bi.reserved >= bi.usable
    assert bi.alignment >= 8192 and bi.large
    with pytest.raises(OSError) as e:
        resmap.block_info(bytearray(100))
    assert e.value.errno == errno.EINVAL


def test_tracemalloc_sees_buffers():
    tracemalloc.start()
    try:
        b = resmap.Buffer(5 * MiB)
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.DomainFilter(True, resmap.TRACEMALLOC_DOMAIN)])
        assert sum(s.size for s in snap.statistics("filename")) >= 5 * MiB
        b.resize(7 * MiB)
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.DomainFilter(True, resmap.TRACEMALLOC_DOMAIN)])
        assert sum(s.size for s in snap.statistics("filename")) >= 7 * MiB
        del b
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.DomainFilter(True, resmap.TRACEMALLOC_DOMAIN)])
        assert sum(s.size for s in snap.statistics("filename")) < 5 * MiB
    finally:
        tracemalloc.stop()


def test_fork():
    b = resmap.Buffer(MiB, reserve=8 * MiB)
    memoryview(b)[:4] = b"pare"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = bytes(memoryview(b)[:4]) == b"pare"
        b.resize(4 * MiB)
        memoryview(b)[-1] = 1
        c = resmap.Buffer(MiB)
        ok = ok and resmap.owns(c) and len(b) == 4 * MiB
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.waitpid(pid, 0)
    assert len(b) == MiB and bytes(memoryview(b)[:4]) == b"pare"


def test_import_keeps_the_process_malloc():
    # Importing resmap loads the shim but must not make it the malloc:
    # a bytearray's memory is not a resmap block.
    import ctypes
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    p = libc.malloc(1 << 20)
    try:
        assert not resmap.owns(p) or "resmap" in os.environ.get("LD_PRELOAD", "")
    finally:
        libc.free.argtypes = [ctypes.c_void_p]
        libc.free(p)


def test_small_batch_blocks():
    # Unplaced batch blocks up to 128 KiB are the shim's small blocks: they
    # grow only within their size class, and share pages, so no move().
    bufs = resmap.batch_alloc(3, 100)
    b = bufs[0]
    bi = resmap.block_info(b)
    assert not bi.large and b.reserved == bi.usable >= 100
    assert b.try_resize(bi.usable) is True and len(b) == bi.usable
    with pytest.raises(OSError) as e:
        b.resize(1 << 20)
    assert e.value.errno == errno.ENOSPC
    assert len(b) == bi.usable
    with pytest.raises(OSError) as e:
        b.move(resmap.DRAM)
    assert e.value.errno == errno.EINVAL


def test_buffer_weakref_and_repr():
    import weakref
    b = resmap.Buffer(10)
    r = weakref.ref(b)
    assert r() is b and "10 bytes" in repr(b)
    del b
    assert r() is None


def test_growth_after_cache_reuse_is_zero():
    # A freed large block is cached by the shim and may come back: what a
    # new Buffer shows, and what growth adds, is zero all the same.
    for size in (300000, 1000001, 5000003):
        a = resmap.Buffer(2 * size)
        memoryview(a)[:] = b"\xff" * (2 * size)
        del a
        b = resmap.Buffer(size)
        assert bytes(memoryview(b)).count(0xff) == 0
        b.resize(size + 4000)
        assert bytes(memoryview(b)).count(0xff) == 0


PRELOADED = r"""
import ctypes, resmap
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
p = libc.malloc(1 << 20)
assert resmap.owns(p)                    # one allocator: the preloaded one
with resmap.thread_placement(resmap.DRAM):
    q = libc.malloc(1 << 20)            # any C code's large malloc
assert resmap.block_info(q).placement == resmap.DRAM
b = resmap.Buffer(10)
b.resize(1 << 20)
print("ok")
"""


def test_with_the_shim_preloaded():
    import subprocess
    import sys
    shim = [line.split()[-1] for line in open("/proc/self/maps")
            if "libresmap-shim.so" in line][0]
    env = dict(os.environ, LD_PRELOAD=shim)
    out = subprocess.run([sys.executable, "-c", PRELOADED], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
