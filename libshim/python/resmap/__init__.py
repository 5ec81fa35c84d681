# SPDX-License-Identifier: LGPL-2.1-or-later
"""resmap: memory placement on DRAM and pmem tiers, buffers that grow in
place, and N1527 batch allocation, on libresmap-shim.

See Documentation/python.rst.
"""
import contextlib as _contextlib
import os as _os

from . import _resmap
from ._resmap import Buffer, backend, batch_alloc, where, move, owns, version
from .storage import StorageClass, storage_of

__all__ = ["backend", "version", "nodes", "tiers", "NodeInfo", "Placement",
           "DRAM", "PMEM", "Node", "Interleave", "Buffer", "batch_alloc",
           "where", "move", "owns", "block_info", "thread_placement",
           "StorageClass", "storage_of", "TRACEMALLOC_DOMAIN"]

TRACEMALLOC_DOMAIN = _resmap.TRACEMALLOC_DOMAIN
_SYS_NODES = "/sys/devices/system/node"


class Placement:
    """Where a block's pages go: DRAM, PMEM, Node(n) or Interleave([ids])."""

    __slots__ = ("_flags", "_name")

    def __init__(self, flags, name):
        self._flags = flags
        self._name = name

    def __repr__(self):
        return "resmap." + self._name

    def __eq__(self, other):
        return isinstance(other, Placement) and other._flags == self._flags

    def __hash__(self):
        return hash(self._flags)


DRAM = Placement(_resmap.M2_DRAM, "DRAM")
PMEM = Placement(_resmap.M2_PMEM, "PMEM")


def Node(n):
    """Strictly node n; OSError(ENODEV) at allocation if it has no memory."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("a node id is an int")
    if not 0 <= n < 64:
        raise ValueError("node ids are 0 to 63")
    return Placement(_resmap.M2_NODE | (n << _resmap.M2_NODE_SHIFT),
                     "Node(%d)" % n)


# Interleave(ids) placements by their flags, for block_info(): the
# shim names each set of nodes by a number in the flags.
_interleave_sets = {}


def Interleave(ids=None):
    """Page by page over every memory node, or over the nodes in ids
    (OSError(ENODEV) if one has no memory)."""
    if ids is None:
        return Placement(_resmap.M2_INTERLEAVE, "Interleave()")
    want = set()
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError("a node id is an int")
        if not 0 <= i < 64:
            raise ValueError("node ids are 0 to 63")
        want.add(i)
    if not want:
        raise ValueError("Interleave([]) names no node")
    flags = _resmap._interleave_flags(sum(1 << i for i in want))
    if flags == _resmap.M2_INTERLEAVE:
        return Placement(flags, "Interleave()")
    p = Placement(flags, "Interleave(%r)" % sorted(want))
    _interleave_sets.setdefault(flags, p)
    return p


# RESMAP_TIER_RANK(n) of <linux/resmap.h>: the tier of rank n.
_TIER_RANK_BASE = 0x100
_SYS_TIERS = "/sys/devices/virtual/memory_tiering"


class NodeInfo:
    """One NUMA node: id, tier (1 DRAM: the top tier, 2 PMEM: the slowest,
    0x100 + n: the tier of rank n in between, 0 none), has_cpu, total and
    free bytes, distance (SLIT) from the calling thread's node."""

    __slots__ = ("id", "tier", "has_cpu", "total", "free", "distance")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def __repr__(self):
        return ("NodeInfo(id=%d, tier=%d, has_cpu=%r, total=%d, free=%d, "
                "distance=%d)" % (self.id, self.tier, self.has_cpu,
                                  self.total, self.free, self.distance))


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _meminfo(n):
    total = free = 0
    for line in _read("%s/node%d/meminfo" % (_SYS_NODES, n)).splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "MemTotal:":
            total = int(parts[3]) * 1024
        elif len(parts) >= 4 and parts[2] == "MemFree:":
            free = int(parts[3]) * 1024
    return total, free


def _my_node():
    try:
        cpu = _os.sched_getaffinity(0)
        cpu = min(cpu)
    except (AttributeError, OSError, ValueError):
        cpu = 0
    for name in sorted(_os.listdir(_SYS_NODES)):
        if name.startswith("node") and _os.path.exists(
                "%s/%s/cpu%d" % (_SYS_NODES, name, cpu)):
            return int(name[4:])
    return 0


def _nodelist(text):
    out = set()
    for part in text.strip().split(","):
        if part:
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    return out


def _kernel_ranks(memory):
    """{node: rank} from the kernel's memory tiers (memory_tierN, a lower N
    faster, empty ones left out), or None without them."""
    try:
        names = _os.listdir(_SYS_TIERS)
    except OSError:
        return None
    tiers = sorted((int(d[11:]), _nodelist(_read("%s/%s/nodelist" %
                                                  (_SYS_TIERS, d))) & memory)
                   for d in names
                   if d.startswith("memory_tier") and d[11:].isdigit())
    tiers = [t for t in tiers if t[1]]
    ranks = {n: r for r, (_, ns) in enumerate(tiers) for n in ns}
    return ranks if tiers and set(ranks) == memory else None


def _tier_of_rank(rank, nr):
    if rank == 0:
        return _resmap.TIER_DRAM
    if rank == nr - 1:
        return _resmap.TIER_PMEM
    return _TIER_RANK_BASE + rank


def nodes():
    """The NUMA nodes, as NodeInfo objects.  Tiers are the module's (the
    kernel's memory tiers ranked, with its tiers= override) when
    /dev/resmap answers, else the kernel's memory tiers from sysfs, else a
    memory node with CPUs is DRAM and one without PMEM (dax kmem)."""
    mod = {t[0]: t for t in (_resmap._module_nodes() or [])}
    me = _my_node()
    row = _read("%s/node%d/distance" % (_SYS_NODES, me)).split()
    out = []
    ids = sorted(int(d[4:]) for d in _os.listdir(_SYS_NODES)
                 if d.startswith("node") and d[4:].isdigit())
    ranks = _kernel_ranks(_nodelist(_read(_SYS_NODES + "/has_memory")))
    nr = len(set(ranks.values())) if ranks else 0
    for n in ids:
        has_cpu = bool(_read("%s/node%d/cpulist" % (_SYS_NODES, n)).strip())
        total, free = _meminfo(n)
        tier = 0
        if total and ranks and n in ranks:
            tier = _tier_of_rank(ranks[n], nr)
        elif total:
            tier = _resmap.TIER_DRAM if has_cpu else _resmap.TIER_PMEM
        if n in mod:
            tier = mod[n][1]
            total, free = mod[n][3] * 4096, mod[n][4] * 4096
        dist = int(row[ids.index(n)]) if len(row) == len(ids) else 0
        if n in mod:
            dist = mod[n][2]
        out.append(NodeInfo(id=n, tier=tier, has_cpu=has_cpu, total=total,
                            free=free, distance=dist))
    return out


def tiers():
    """Tiers ranked fastest first, each a list of node ids (empty tiers left
    out): DRAM (the top), the ranks in between, PMEM (the slowest)."""
    def order(t):
        if t == _resmap.TIER_DRAM:
            return 0
        if t == _resmap.TIER_PMEM:
            return 1 << 16
        return t - _TIER_RANK_BASE
    out = {}
    for n in nodes():
        if n.tier and n.total:
            out.setdefault(n.tier, []).append(n.id)
    return [out[t] for t in sorted(out, key=order)]


def _placement_of(flags):
    if flags & _resmap.M2_NODE:
        return Node((flags >> _resmap.M2_NODE_SHIFT) & 0xff)
    if flags & _resmap.M2_DRAM:
        return DRAM
    if flags & _resmap.M2_PMEM:
        return PMEM
    if flags & _resmap.M2_INTERLEAVE:
        if flags == _resmap.M2_INTERLEAVE:
            return Interleave()
        # A set named in C (resmap_interleave_nodes) rather than here.
        return _interleave_sets.get(flags) or Placement(
            flags, "Interleave(set %d)" % (flags >> _resmap.M2_NODE_SHIFT))
    return None


class BlockInfo:
    __slots__ = ("usable", "reserved", "alignment", "placement", "large")

    def __repr__(self):
        return ("BlockInfo(usable=%d, reserved=%d, alignment=%d, "
                "placement=%r, large=%r)" % (self.usable, self.reserved,
                                             self.alignment, self.placement,
                                             self.large))


def block_info(obj):
    """The shim's record of the block that obj (an address, or an object
    exporting a buffer) starts: usable and reserved bytes, the alignment of
    its address, its placement, and whether it has a reservation of its
    own.  OSError(EINVAL) if it is not the start of a resmap block."""
    usable, reserved, align, flags, large = _resmap._block_info(obj)
    bi = BlockInfo()
    bi.usable, bi.reserved, bi.alignment = usable, reserved, align
    bi.placement, bi.large = _placement_of(flags), bool(large)
    return bi


@_contextlib.contextmanager
def thread_placement(p):
    """Within the block, this thread's Buffers, batch_alloc and the
    large allocations its C code makes through the shim without a
    placement get p."""
    old = _resmap._set_thread_placement(p)
    try:
        yield p
    finally:
        _resmap._set_thread_placement(old)
