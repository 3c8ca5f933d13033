#!/usr/bin/env bash
# scripts/test.sh - build cmwq and run its whole test suite (the README's test command).
#
#   scripts/test.sh [extra cmake configure arguments...]
#
# Installs missing build dependencies (scripts/setup-deps.sh), configures build/ (Ninja,
# RelWithDebInfo, warnings are errors, the default compiler: g++ on Debian), builds everything and
# runs ctest with two tests at a time and a per-test time limit. Exits non-zero on any failure.
# Environment: CMWQ_BUILD_DIR (default build), CMWQ_TEST_JOBS (default 2),
# CMWQ_TEST_TIMEOUT (seconds per test without its own TIMEOUT property; default 300).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${CMWQ_BUILD_DIR:-build}
jobs=${CMWQ_TEST_JOBS:-2}
timeout=${CMWQ_TEST_TIMEOUT:-300}

scripts/setup-deps.sh

generator=()
if [ ! -f "$build/CMakeCache.txt" ]; then
	generator=(-G Ninja)
fi
cmake -S . -B "$build" "${generator[@]}" --log-level=WARNING \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMWQ_WERROR=ON "$@"
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout "$timeout"
