# SPDX-License-Identifier: GPL-2.0
"""Two Python workloads of issue 15, run under each allocator with
LD_PRELOAD (Documentation/results.rst):

  python3 pyload.py grow       a bytearray built to 16 MiB in 64 KiB
                               steps and dropped, 40 times
  python3 pyload.py prodcons   two threads, 200,000 bytes objects of
                               600-3600 B through a queue of 1000

Prints the workload and its seconds; peak RSS from /usr/bin/time -f %M.
"""
import queue
import sys
import threading
import time


def grow():
    step = b'x' * 65536
    for _ in range(40):
        buf = bytearray()
        while len(buf) < 16 << 20:
            buf += step
        del buf


def prodcons():
    q = queue.Queue(maxsize=1000)
    n = 200000

    def produce():
        for i in range(n):
            q.put(b'y' * (600 + (i * 7919) % 3000))
        q.put(None)

    def consume():
        while q.get() is not None:
            pass

    threads = [threading.Thread(target=produce),
               threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == '__main__':
    work = {'grow': grow, 'prodcons': prodcons}[sys.argv[1]]
    t0 = time.perf_counter()
    work()
    print('%s %.3f' % (sys.argv[1], time.perf_counter() - t0))
