#!/usr/bin/env bash
# scripts/scaling.sh - W1, W2 and W3 on 1, 2, 4, 8, 16 CPUs (taskset), each CPU count under a hard
# time limit, and the scaling efficiency of each peer: for the day a machine with more CPUs is lent.
#
#   scripts/scaling.sh [--cpus 1,2,4,8,16] [--limit SECONDS] [--reps N] [--peers LIST] [--full]
#
#   --cpus    CPU counts to run (default 1,2,4,8,16); counts above this machine's CPUs are skipped
#   --limit   seconds one CPU count may take, all repetitions together (default 150); a count that
#             runs over is killed and reported as such, with what it had measured
#   --reps    repetitions per CPU count (default 3; the medians are reported)
#   --peers   peers to run (default cmwq.percpu,cmwq.unbound,mutex_pool,tbb)
#   --full    full-size workloads (default: cmwq_compare --quick sizes, for a short run)
#
# Each count n runs `taskset -c 0-(n-1) build-bench/bench/cmwq_compare --only W1,W2,W3` (cmwq and
# the bench size their pools from the affinity mask). Results: build-bench/scaling/cpus-<n>/. The
# table printed at the end has, per peer and n: W1 and W2 Mtasks/s, W3 p50 µs, and the W2 scaling
# efficiency T(n) / (n * T(1)) (1.00 = linear; the issue's target is >= 0.80 for cmwq.percpu up to
# 16 CPUs). Builds build-bench/ as scripts/bench.sh does (Release, -DCMWQ_BUILD_BENCH=ON).
set -euo pipefail
cd "$(dirname "$0")/.."

cpus="1,2,4,8,16" limit=150 reps=3 peers="cmwq.percpu,cmwq.unbound,mutex_pool,tbb" quick=(--quick)
while [ $# -gt 0 ]; do
  case "$1" in
    --cpus) cpus="$2"; shift ;;
    --limit) limit="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --peers) peers="$2"; shift ;;
    --full) quick=() ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "scaling.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ ! -x build-bench/bench/cmwq_compare ]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMWQ_BUILD_BENCH=ON \
    -DCMWQ_BUILD_TESTS=OFF -DCMWQ_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-bench --target cmwq_compare
fi

have=$(nproc --all)
out=build-bench/scaling
mkdir -p "$out"
ran=()
for n in ${cpus//,/ }; do
  if [ "$n" -gt "$have" ]; then
    echo "scaling.sh: $n CPUs skipped (this machine has $have)" >&2
    continue
  fi
  dir="$out/cpus-$n"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "scaling.sh: $n CPU(s), at most ${limit}s" >&2
  status=0
  timeout --kill-after=5 "$limit" taskset -c "0-$((n - 1))" build-bench/bench/cmwq_compare --out "$dir" \
    --only W1,W2,W3 --peers "$peers" --reps "$reps" "${quick[@]}" >"$dir/log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || echo "scaling.sh: $n CPU(s) ended with status $status (124: over the ${limit}s limit)" >&2
  ran+=("$n")
done
[ ${#ran[@]} -gt 0 ] || { echo "scaling.sh: no CPU count to run" >&2; exit 1; }

# Medians per (cpus, workload, peer, metric) from the results.jsonl files, then the table.
for n in "${ran[@]}"; do
  f="$out/cpus-$n/results.jsonl"
  [ -f "$f" ] || continue
  sed -n 's/.*"workload":"\([^"]*\)","peer":"\([^"]*\)","metric":"\([^"]*\)","value":\([^,]*\),.*/\1 \2 \3 \4/p' "$f" |
    awk -v n="$n" '{print n, $0}'
done | awk -v peers="$peers" '
  { k = $1 " " $2 " " $3 " " $4; v[k] = v[k] " " $5 }
  function med(k,   a, c, i, j, t) {
    if (!(k in v)) return "";
    c = split(v[k], a, " ");
    for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2;
  }
  { seen[$1] = 1 }
  END {
    nc = 0; for (n in seen) cpus[++nc] = n + 0;
    for (i = 1; i <= nc; i++) for (j = i + 1; j <= nc; j++) if (cpus[j] < cpus[i]) { t = cpus[i]; cpus[i] = cpus[j]; cpus[j] = t }
    printf "%-14s %5s %12s %12s %10s %14s\n", "peer", "cpus", "W1 Mtasks/s", "W2 Mtasks/s", "W3 p50 us", "W2 efficiency";
    np = split(peers, p, ",");
    for (i = 1; i <= np; i++) {
      base = med(cpus[1] " W2 " p[i] " tasks_per_s");
      for (c = 1; c <= nc; c++) {
        n = cpus[c];
        w1 = med(n " W1 " p[i] " tasks_per_s"); w2 = med(n " W2 " p[i] " tasks_per_s"); w3 = med(n " W3 " p[i] " p50_ns");
        eff = (base != "" && w2 != "" && base > 0) ? sprintf("%.2f", w2 / (base * n / cpus[1])) : "n/a";
        printf "%-14s %5d %12s %12s %10s %14s\n", p[i], n, w1 == "" ? "n/a" : sprintf("%.2f", w1 / 1e6),
               w2 == "" ? "n/a" : sprintf("%.2f", w2 / 1e6), w3 == "" ? "n/a" : sprintf("%.1f", w3 / 1e3), eff;
      }
    }
    printf "(W2 efficiency = W2(n) / (n / %d * W2(%d)); 1.00 is linear)\n", cpus[1], cpus[1];
  }'
