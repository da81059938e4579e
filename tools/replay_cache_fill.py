#!/usr/bin/env python3
"""How often memory_replay_cache answers `full` for a new key at a given load.

Simulates the in-memory replay cache's two layouts with random hashes:
  window  the sliding window of 16 slots from the key's hash (until session 18),
  bucket  buckets of B slots picked by the hash (B = 16, or 32 as shipped).
Fills a table of 4096 slots to the load, then counts the keys that find no
free slot. Run: python3 tools/replay_cache_fill.py (seeded, reproducible).
"""
import random


def refused(design, cap, load, b=16, trials=20, probes=2000):
    hit = total = 0
    for t in range(trials):
        rnd = random.Random(t)
        if design == "window":
            occ = [False] * cap
            n = 0
            while n < int(cap * load):
                h = rnd.randrange(cap)
                for i in range(16):
                    if not occ[(h + i) % cap]:
                        occ[(h + i) % cap] = True
                        n += 1
                        break
            for _ in range(probes):
                h = rnd.randrange(cap)
                total += 1
                hit += all(occ[(h + i) % cap] for i in range(16))
        else:
            count = [0] * (cap // b)
            n = 0
            while n < int(cap * load):
                k = rnd.randrange(len(count))
                if count[k] < b:
                    count[k] += 1
                    n += 1
            for _ in range(probes):
                total += 1
                hit += count[rnd.randrange(len(count))] >= b
    return hit / total


if __name__ == "__main__":
    for load in (0.25, 0.5, 0.6, 0.75):
        print(f"load {load:.2f}: window16 {refused('window', 4096, load):.5f}  "
              f"bucket16 {refused('bucket', 4096, load, 16):.5f}  bucket32 {refused('bucket', 4096, load, 32):.5f}")
