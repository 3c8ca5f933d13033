// SPDX-License-Identifier: MIT
/*
 * demo_args.c - what `cmwq_demo` does when run without arguments (scripts/demo.sh): the devres
 * driver under 3 s of interrupts at up to 10 kHz, unbound while they keep arriving, then the
 * report. The module runner (src/kmod/kmod_main.cpp) reads this weak-linked default.
 */
const char *const cmwq_kmod_default_args = "--run-ms 3000 --irq 1:1000000:100 --report";
