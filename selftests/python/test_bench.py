# SPDX-License-Identifier: GPL-2.0
"""make bench's Python growth benchmark (libshim/python/bench/growth.py)
at a tiny size, so that it keeps working between benchmark runs: one
line per case in selftests/bench's format, and a Buffer that never
moved."""
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.environ.get("RESMAP_SOURCE", ""),
                      "libshim/python/bench/growth.py")


@pytest.mark.skipif(not os.path.exists(SCRIPT), reason="no source tree")
def test_growth_benchmark_runs():
    out = subprocess.run([sys.executable, SCRIPT, "--mib", "8", "--reps", "1",
                          "--tsv"], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    rows = {}
    for line in out.splitlines():
        bench, case, impl, kv = line.split("\t")
        assert (bench, case) == ("pygrowth", "1M-steps-to-8M")
        rows[impl] = dict(p.split("=") for p in kv.split())
    assert sorted(rows) == sorted(["resmap.Buffer", "numpy-resmap",
                                   "numpy-default", "bytearray",
                                   "array.array"])
    assert rows["resmap.Buffer"]["copies"] == "0"
    for r in rows.values():
        assert float(r["seconds"]) > 0 and float(r["maxrss_mib"]) >= 8
