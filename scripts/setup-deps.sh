#!/usr/bin/env bash
# scripts/setup-deps.sh - make sure the tools and Debian packages that cmwq's build, tests and CI
# need are present; install the missing ones with apt-get.
#
#   cmake >= 3.25, ninja-build, g++, clang, libclang-rt-<clang major>-dev (clang's sanitizer
#   runtimes), libgtest-dev, libbenchmark-dev, pkg-config, systemtap-sdt-dev (<sys/sdt.h>),
#   liburcu-dev
#
# Idempotent and quiet when everything is there. Otherwise it runs
# `apt-get install -y --no-install-recommends` (as root, or through sudo), with `apt-get update`
# first only when apt does not know a package yet. If it cannot install, it says what is missing
# and exits non-zero. Works non-interactively (CI=true, no stdin): sudo never prompts then.
set -euo pipefail

readonly min_cmake=3.25
arch=$(uname -m)
readonly arch

say() { printf 'setup-deps: %s\n' "$*" >&2; }
have() { local p; p=$(command -v "$1" 2>/dev/null) && [ -x "$p" ] && [ -f "$p" ]; }

any_exists() { # any_exists PATH...: one of them exists (unmatched globs stay literal)
	local f
	for f in "$@"; do [ -e "$f" ] && return 0; done
	return 1
}

version_ge() { # version_ge A B: A >= B
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

clang_major() {
	clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -n1
}

# check: fill missing[] (Debian packages) and problems[] (what is wrong, in words).
check() {
	missing=()
	problems=()
	if ! have cmake; then
		missing+=(cmake); problems+=("cmake (>= $min_cmake) not found")
	else
		local v
		v=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
		if ! version_ge "${v:-0}" "$min_cmake"; then
			missing+=(cmake); problems+=("cmake $v is older than $min_cmake")
		fi
	fi
	have ninja || { missing+=(ninja-build); problems+=("ninja not found"); }
	have g++ || { missing+=(g++); problems+=("g++ not found"); }
	have pkg-config || { missing+=(pkg-config); problems+=("pkg-config not found"); }
	have tmux || { missing+=(tmux); problems+=("tmux not found (the wqctl monitor test needs a terminal)"); }
	if ! have clang || ! have clang++; then
		missing+=(clang); problems+=("clang/clang++ not found")
	else
		# The sanitizer runtimes of the clang actually installed.
		local rt major
		major=$(clang_major)
		rt=$(clang --print-runtime-dir 2>/dev/null || true)
		if [ ! -e "$rt/libclang_rt.tsan-$arch.a" ] && [ ! -e "$rt/libclang_rt.tsan.a" ]; then
			missing+=("libclang-rt-${major:-14}-dev")
			problems+=("clang's sanitizer runtimes (libclang_rt.tsan/asan) not found in ${rt:-?}")
		fi
	fi
	if [ ! -e /usr/include/gtest/gtest.h ] || ! any_exists /usr/lib/*/cmake/GTest/GTestConfig.cmake \
		/usr/lib/cmake/GTest/GTestConfig.cmake; then
		missing+=(libgtest-dev); problems+=("GoogleTest (gtest.h, GTestConfig.cmake) not found")
	fi
	if ! any_exists /usr/include/*/urcu/urcu-memb.h /usr/include/urcu/urcu-memb.h; then
		missing+=(liburcu-dev); problems+=("userspace RCU (urcu/urcu-memb.h) not found")
	fi
	if [ ! -e /usr/include/benchmark/benchmark.h ]; then
		missing+=(libbenchmark-dev); problems+=("Google Benchmark (benchmark/benchmark.h) not found")
	fi
	if ! any_exists /usr/include/sys/sdt.h /usr/include/*/sys/sdt.h; then
		missing+=(systemtap-sdt-dev); problems+=("<sys/sdt.h> (USDT probes) not found")
	fi
}

# How we become root for apt-get: "" (we are root), "sudo" (may prompt on a terminal), "sudo -n".
# can_install fails when there is no apt-get or no way to become root without a password prompt
# that nobody could answer.
can_install() {
	have apt-get || { why="apt-get not found (not Debian?)"; return 1; }
	if [ "$(id -u)" -eq 0 ]; then
		root=()
	elif ! have sudo; then
		why="not root, and sudo is not installed"; return 1
	elif sudo -n true 2>/dev/null; then
		root=(sudo -n)
	elif [ -t 0 ] && [ -z "${CI:-}" ]; then
		root=(sudo)
	else
		why="not root, and sudo needs a password (no terminal to ask on)"; return 1
	fi
}

apt_log=$(mktemp "${TMPDIR:-/tmp}/cmwq-setup-deps.XXXXXX")
trap 'rm -f "$apt_log"' EXIT

apt_get() {
	"${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y "$@" >>"$apt_log" 2>&1
}

install_missing() {
	# apt-get update only when apt does not know one of the packages (a fresh image has no lists).
	local p updated=0
	for p in "${missing[@]}"; do
		if ! apt-cache show "$p" >/dev/null 2>&1; then
			apt_get update || return 1
			updated=1
			break
		fi
	done
	if ! apt_get install --no-install-recommends "${missing[@]}"; then
		# Stale package lists (404s) are the usual cause; refresh once and retry.
		[ "$updated" -eq 0 ] || return 1
		apt_get update && apt_get install --no-install-recommends "${missing[@]}" || return 1
	fi
}

check
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

why=""
root=()
if can_install; then
	# Two rounds: the clang runtime package is named after the clang that round 1 installs.
	for round in 1 2; do
		mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
		say "installing ${missing[*]}"
		if ! install_missing; then
			say "apt-get failed; its last lines:"
			tail -n 20 "$apt_log" >&2 || true
			break
		fi
		check
		[ "${#missing[@]}" -eq 0 ] && exit 0
		[ "$round" -eq 1 ] || break
	done
else
	say "cannot install anything: $why"
fi

say "missing requirements:"
printf '  - %s\n' "${problems[@]}" >&2
say "install them with: apt-get install --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
exit 1
