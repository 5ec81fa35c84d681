# SPDX-License-Identifier: GPL-2.0
"""resmap with NumPy: views of Buffers, and the NEP 49 allocator
(resmap.numpy), with cases ported from NumPy's own test_mem_policy."""
import asyncio
import contextvars
import errno
import threading

import pytest

np = pytest.importorskip("numpy")
import resmap  # noqa: E402

rnp = pytest.importorskip("resmap.numpy")
from numpy.core.multiarray import get_handler_name  # noqa: E402

MiB = 1 << 20


def test_frombuffer_view_survives_growth():
    b = resmap.Buffer(8 * 1024, reserve=64 * MiB)
    a = np.frombuffer(b, dtype=np.uint8)
    a[:] = 3
    b.resize(64 * MiB)
    assert a.sum() == 3 * 8 * 1024          # the old view still reads
    big = np.frombuffer(b, dtype=np.uint8)
    assert big.ctypes.data == a.ctypes.data == b.address
    assert big[8 * 1024:].max() == 0
    with pytest.raises(BufferError):
        b.resize(4096)


def test_where_and_move_numpy_views():
    b = resmap.Buffer(MiB)
    a = np.frombuffer(b, dtype=np.float64)
    a[:] = 1.0
    assert sum(resmap.where(a).values()) == MiB // 4096
    assert resmap.move(a, resmap.DRAM) >= 0
    plain = np.ones(MiB)
    assert sum(resmap.where(plain).values()) >= 1
    with pytest.raises(OSError) as e:
        resmap.move(plain, resmap.DRAM)
    assert e.value.errno == errno.EINVAL


def test_set_policy():
    # NumPy's test_set_policy: the default, then ours, then the default.
    a = np.arange(10)
    assert get_handler_name(a) == "default_allocator"
    assert get_handler_name() == "default_allocator"
    with rnp.allocator():
        assert get_handler_name() == "resmap"
        b = np.arange(10)
        assert get_handler_name(b) == "resmap"
    assert get_handler_name() == "default_allocator"
    assert get_handler_name(b) == "resmap"


def test_arrays_live_in_resmap_memory():
    with rnp.allocator(placement=resmap.DRAM, alignment=4096):
        a = np.zeros((100, 100))
        c = np.ones(3 * MiB, dtype=np.uint8)
    for x in (a, c):
        assert x.ctypes.data % 4096 == 0
        assert resmap.owns(x)
        assert resmap.block_info(x).placement == resmap.DRAM
    assert a.sum() == 0 and c.sum() == 3 * MiB
    assert set(resmap.where(c)) <= set(resmap.tiers()[0])


def test_resize_keeps_alignment_and_handler():
    with rnp.allocator(alignment=1 << 16):
        a = np.arange(1000, dtype=np.int64)
    for n in (10 ** 4, 10 ** 6, 50, 3 * 10 ** 6):
        a.resize(n, refcheck=False)
        assert a.ctypes.data % (1 << 16) == 0
        assert get_handler_name(a) == "resmap"
        assert resmap.owns(a)
    assert a[:50].tolist() == list(range(50))


def test_thread_isolation():
    # NumPy's test_thread_locality: another thread keeps the default.
    seen = {}

    def other():
        seen["name"] = get_handler_name(np.zeros(10))

    with rnp.allocator():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert get_handler_name(np.zeros(10)) == "resmap"
    assert seen["name"] == "default_allocator"


def test_context_isolation():
    # NumPy's test_context_locality: concurrent tasks, each its own policy.
    async def task(use):
        if use:
            with rnp.allocator():
                await asyncio.sleep(0.01)
                return get_handler_name(np.zeros(10))
        await asyncio.sleep(0.005)
        return get_handler_name(np.zeros(10))

    async def both():
        return await asyncio.gather(task(True), task(False))

    assert asyncio.run(both()) == ["resmap", "default_allocator"]
    ctx = contextvars.copy_context()
    with rnp.allocator():
        assert ctx.run(lambda: get_handler_name(np.zeros(1))) == \
            "default_allocator"


def test_decorator():
    @rnp.allocator(alignment=256)
    def make():
        return np.empty(1000)

    a = make()
    assert get_handler_name(a) == "resmap" and a.ctypes.data % 256 == 0
    assert get_handler_name(np.empty(10)) == "default_allocator"


def test_arrays_outlive_the_block_and_free():
    with rnp.allocator():
        arrs = [np.full(10 ** 5, i) for i in range(20)]
    addrs = [a.ctypes.data for a in arrs]
    assert all(resmap.owns(p) for p in addrs)
    del arrs                               # freed through their handler


def test_errors():
    with pytest.raises(ValueError):
        rnp.allocator(alignment=3)
    with pytest.raises(TypeError):
        rnp.allocator(placement="fast")
    if len(resmap.tiers()) < 2:
        with pytest.raises(OSError) as e:
            rnp.allocator(placement=resmap.PMEM)
        assert e.value.errno == errno.ENODEV


def test_fork_with_resmap_arrays():
    import os
    with rnp.allocator(alignment=4096):
        a = np.arange(10 ** 5)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = a[-1] == 10 ** 5 - 1
        a.resize(10 ** 6, refcheck=False)
        with rnp.allocator():
            b = np.ones(10 ** 5)
        ok = ok and a.ctypes.data % 4096 == 0 and b.sum() == 10 ** 5
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.waitpid(pid, 0)
    assert a.shape == (10 ** 5,)
