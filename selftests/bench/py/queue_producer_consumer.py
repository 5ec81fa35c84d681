# SPDX-License-Identifier: GPL-2.0
"""Threaded producer/consumer (issue 15): one thread makes COUNT bytes
objects of 600-3600 bytes and passes them through a bounded queue to a
second thread, which checks and drops them.  Blocks are allocated on one
thread and freed on the other, a few hundred live at a time: the
pattern that makes an allocator thrash if it gives emptied spans back
at once.

Usage: queue_producer_consumer.py [COUNT]
"""
import queue
import sys
import threading


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    q = queue.Queue(maxsize=256)
    total = [0]

    def consume():
        while True:
            item = q.get()
            if item is None:
                return
            total[0] += len(item)

    consumer = threading.Thread(target=consume)
    consumer.start()
    want = 0
    for i in range(count):
        size = 600 + (i * 7919) % 3001
        want += size
        q.put(bytes([i & 0xFF]) * size)
    q.put(None)
    consumer.join()
    if total[0] != want:
        sys.exit("queue_producer_consumer: lost objects")


if __name__ == "__main__":
    main()
