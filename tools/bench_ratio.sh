#!/bin/bash
# Ratio A/B of two builds on a noisy machine: each round runs each binary once
# (3 repetitions interleaved at random), takes each lib row's median over its
# reference row's median (botan_ref / botan_calls, same size) within that run,
# and prints per build the median of those per-run ratios and every run's ratio.
# A lib row and its reference are always compared within one run.
#
#   tools/bench_ratio.sh FILTER ROUNDS OLD_BINARY NEW_BINARY
#   e.g. tools/bench_ratio.sh 'BM_rekey/|BM_focus_join/' 3 \
#          /tmp/old/build-bench/benchmarks/bench_conference build-bench/benchmarks/bench_conference
set -euo pipefail
F=$1; R=$2; OLD=$3; NEW=$4
for _ in $(seq "$R"); do
  for b in "$OLD" "$NEW"; do
    tag=$([ "$b" = "$OLD" ] && echo OLD || echo NEW)
    "$b" --benchmark_filter="$F" --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true \
         --benchmark_report_aggregates_only=true 2>/dev/null |
      awk -v T="$tag" '/_median/ {v=$2; if ($3=="ms") v*=1000; print T, $1, v}'
  done
done | python3 -c '
import collections, re, statistics, sys
runs = collections.defaultdict(list)  # (build, row) -> its median in each run, in order
for line in sys.stdin:
    t, row, v = line.split()
    runs[(t, row)].append(float(v))
rows = sorted({r for _, r in runs})
def key(row):
    m = re.match(r"(BM_\w+)/(lib|botan_ref|botan_calls)/?(\d*)", row)
    return m.groups() if m else None
for t in ("OLD", "NEW"):
    for row in rows:
        k = key(row)
        if not k or k[1] != "lib":
            continue
        ref = [r for r in rows if key(r) and key(r)[0] == k[0] and key(r)[1] != "lib" and key(r)[2] == k[2]]
        if not ref:
            continue
        ratios = [a / b for a, b in zip(runs[(t, row)], runs[(t, ref[0])])]
        print(t, row, "ratio median %.3f  runs %s" % (statistics.median(ratios), " ".join("%.3f" % x for x in ratios)))
'
