#!/bin/bash
# Side-by-side benchmark of two builds on a noisy machine: runs each binary in
# turn, ROUNDS times, and prints the minimum real time per (build, row).
#
#   tools/bench_ab.sh FILTER ROUNDS OLD_BINARY NEW_BINARY...
#   e.g. tools/bench_ab.sh 'BM_rekey/|BM_focus_join/' 3 \
#          /tmp/old/build-bench/benchmarks/bench_conference build-bench/benchmarks/bench_conference
#
# Times are in the unit Google Benchmark prints (ms rows converted to us).
set -euo pipefail
F=$1; R=$2; shift 2
for _ in $(seq "$R"); do
  for b in "$@"; do
    "$b" --benchmark_filter="$F" 2>/dev/null | awk -v B="$b" '/^BM_/ {v=$2; if ($3=="ms") v*=1000; print B, $1, v}'
  done
done | python3 -c '
import sys
mn = {}
for line in sys.stdin:
    b, n, v = line.split()
    mn[(b, n)] = min(mn.get((b, n), float("inf")), float(v))
for (b, n), v in sorted(mn.items()):
    print(b, n, v)
'
