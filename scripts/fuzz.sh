#!/usr/bin/env bash
# scripts/fuzz.sh - build the libFuzzer target fuzz/workqueue_fuzz with clang (library and
# target with AddressSanitizer + UBSan) and run it for a bounded time.
#
#   scripts/fuzz.sh [extra libFuzzer arguments...]
#
# Environment: FUZZ_SECONDS (default 60: -max_total_time), CMWQ_FUZZ_BUILD_DIR (default
# build-fuzz), FUZZ_JOBS (parallel fuzzing processes, default 1). New inputs go to
# <build dir>/corpus (seeded from fuzz/corpus/, which stays untouched); a crash is written as
# <build dir>/crash-<sha1>; replay one with: <build dir>/fuzz/workqueue_fuzz <file>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${CMWQ_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}

scripts/setup-deps.sh  # clang and its sanitizer runtimes (libFuzzer is part of them)

generator=()
if [ ! -f "$build/CMakeCache.txt" ]; then
	generator=(-G Ninja)
fi
cmake -S . -B "$build" "${generator[@]}" --log-level=WARNING \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMWQ_SANITIZE=address -DCMWQ_BUILD_FUZZ=ON \
	-DCMWQ_BUILD_TESTS=OFF -DCMWQ_BUILD_EXAMPLES=OFF -DCMWQ_BUILD_BENCH=OFF
cmake --build "$build" --target workqueue_fuzz

mkdir -p "$build/corpus"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# -timeout: one input may not run longer than 20 s (a hang is a finding); -rss_limit_mb: the
# engine's threads count against it.
parallel=()
if [ "$jobs" -gt 1 ]; then
	parallel=(-jobs="$jobs" -workers="$jobs")
fi
"$build/fuzz/workqueue_fuzz" "$build/corpus" fuzz/corpus \
	-max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=512 \
	-artifact_prefix="$build/" -print_final_stats=1 "${parallel[@]}" "$@"
