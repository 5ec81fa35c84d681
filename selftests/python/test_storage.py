# SPDX-License-Identifier: GPL-2.0
"""Storage classes: resmap.StorageClass and resmap.storage_of."""
import gc

import pytest

import resmap


class Hot(metaclass=resmap.StorageClass, placement=resmap.DRAM):
    def __init__(self, n):
        self.data = self.buffer(n)


class Spread(metaclass=resmap.StorageClass, placement=resmap.Interleave(),
             alignment=4096):
    pass


def test_placement_follows_the_class():
    h = Hot(1 << 20)
    assert Hot.placement == resmap.DRAM
    assert h.data.placement == resmap.DRAM
    assert resmap.block_info(h.data).placement == resmap.DRAM
    s = Spread().buffer(100)
    assert s.address % 4096 == 0 and s.placement == resmap.Interleave()


def test_same_placement_same_metaclass():
    class Other(metaclass=resmap.StorageClass, placement=resmap.DRAM):
        pass

    assert type(Other) is type(Hot)
    assert issubclass(type(Hot), resmap.StorageClass)

    class Both(Hot, Other):                 # compatible: same storage
        pass

    assert type(Both) is type(Hot)


def test_conflict_is_a_metaclass_conflict():
    with pytest.raises(TypeError, match="metaclass conflict"):
        class Both(Hot, Spread):
            pass
    with pytest.raises(TypeError, match="metaclass conflict"):
        class Moved(Hot, placement=resmap.Interleave()):
            pass


def test_subclasses_inherit():
    class Hotter(Hot):
        pass

    assert type(Hotter) is type(Hot)
    assert Hotter(10).data.placement == resmap.DRAM


def test_storage_of():
    h = Hot(4096)
    assert resmap.storage_of(h.data) is Hot
    assert resmap.storage_of(h.data.address) is Hot
    assert resmap.storage_of(resmap.Buffer(10)) is None
    addr = h.data.address
    del h
    gc.collect()
    assert resmap.storage_of(addr) is None


def test_arrays():
    np = pytest.importorskip("numpy")
    pytest.importorskip("resmap.numpy")
    a = Spread().array((10, 10), dtype=np.int32)
    assert a.shape == (10, 10) and a.sum() == 0
    assert a.ctypes.data % 4096 == 0
    assert resmap.storage_of(a) is Spread
    assert resmap.block_info(a).placement == resmap.Interleave()


def test_bad_keywords():
    with pytest.raises(TypeError):
        class Bad(metaclass=resmap.StorageClass, placement="DRAM"):
            pass
    with pytest.raises(ValueError):
        class Bad2(metaclass=resmap.StorageClass, alignment=3):
            pass
