#!/usr/bin/env bash
# scripts/demo.sh - build cmwq and run its demo (the README's first command).
#
#   scripts/demo.sh [arguments for the demo...]
#
# Installs missing build dependencies, configures build/ exactly as scripts/test.sh does (so the
# two share one build), builds the demo and runs it. The demo is the CMake target `cmwq_demo`
# (examples/); while that target does not exist yet, the script builds everything and runs the
# first C++ example program it finds: build/examples/<name> for an examples/<name>.cpp.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${CMWQ_BUILD_DIR:-build}

scripts/setup-deps.sh

generator=()
if [ ! -f "$build/CMakeCache.txt" ]; then
	generator=(-G Ninja)
fi
cmake -S . -B "$build" "${generator[@]}" --log-level=WARNING \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMWQ_WERROR=ON

# Is there a target named cmwq_demo? (Ninja and Makefile generators both list it under "help".)
if cmake --build "$build" --target help 2>/dev/null | grep -Eq '^(\.\.\. )?cmwq_demo(:| |$)'; then
	cmake --build "$build" --target cmwq_demo
	demo=$build/examples/cmwq_demo
	[ -x "$demo" ] || demo=$(find "$build" -type f -name cmwq_demo -perm -u+x -print -quit)
	if [ -z "$demo" ]; then
		echo "demo.sh: built target cmwq_demo but found no executable named cmwq_demo in $build" >&2
		exit 1
	fi
else
	cmake --build "$build"
	demo=""
	for src in examples/*.cpp; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .cpp)
		if [ -x "$build/examples/$name" ]; then
			demo="$build/examples/$name"
			break
		fi
	done
	if [ -z "$demo" ]; then
		echo "demo.sh: no demo yet: neither a cmwq_demo target nor a built C++ example in $build/examples" >&2
		exit 1
	fi
fi

echo "demo.sh: running $demo $*" >&2
exec "$demo" "$@"
