# SPDX-License-Identifier: GPL-2.0
"""Large buffers grown and dropped (issue 15): a bytearray built to SIZE
MiB by appending 64 KiB at a time, then dropped, ROUNDS times.  Each
append may make the allocator grow the block (realloc); each drop frees
it, and the next round shows whether the allocator reuses those pages or
faults them in again.

Usage: bytearray_grow_drop.py [ROUNDS [SIZE_MIB]]
"""
import sys

STEP = 64 << 10


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    size = (int(sys.argv[2]) if len(sys.argv) > 2 else 16) << 20
    chunk = b"\x5a" * STEP
    for _ in range(rounds):
        buf = bytearray()
        while len(buf) < size:
            buf += chunk
        if len(buf) != size or buf[-1] != 0x5A:
            sys.exit("bytearray_grow_drop: wrong contents")
        del buf


if __name__ == "__main__":
    main()
