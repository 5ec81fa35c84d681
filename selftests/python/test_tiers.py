# SPDX-License-Identifier: GPL-2.0
"""resmap.tiers() and nodes() against the kernel's memory tiers in sysfs
(/sys/devices/virtual/memory_tiering/memory_tierN/nodelist, a lower N
faster), on the host and in the test bed, with or without the module."""
import os

import pytest

import resmap

TIERS = "/sys/devices/virtual/memory_tiering"


def _nodelist(text):
    out = []
    for part in text.strip().split(","):
        if part:
            a, _, b = part.partition("-")
            out.extend(range(int(a), int(b or a) + 1))
    return out


def _kernel_tiers():
    """The kernel's non-empty memory tiers of memory nodes, fastest first."""
    memory = {n.id for n in resmap.nodes() if n.total}
    ids = sorted(int(d[len("memory_tier"):]) for d in os.listdir(TIERS)
                 if d.startswith("memory_tier"))
    out = []
    for i in ids:
        with open("%s/memory_tier%d/nodelist" % (TIERS, i)) as f:
            ns = sorted(set(_nodelist(f.read())) & memory)
        if ns:
            out.append(ns)
    return out


@pytest.mark.skipif(not os.path.isdir(TIERS),
                    reason="kernel without memory tiering")
def test_tiers_are_the_kernels_memory_tiers():
    if os.path.exists("/sys/module/resmap/parameters/tiers"):
        with open("/sys/module/resmap/parameters/tiers") as f:
            if f.read().strip():
                pytest.skip("the module's tiers= override is set")
    want = _kernel_tiers()
    assert [sorted(t) for t in resmap.tiers()] == want
    nr = len(want)
    for n in resmap.nodes():
        if not n.total:
            continue
        rank = next(r for r, t in enumerate(want) if n.id in t)
        if rank == 0:
            assert n.tier == resmap._resmap.TIER_DRAM
        elif rank == nr - 1:
            assert n.tier == resmap._resmap.TIER_PMEM
        else:
            assert n.tier == 0x100 + rank
