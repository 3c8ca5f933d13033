// src/kcompat/bug.cpp - the out-of-line halves of WARN_ON(), WARN(), BUG_ON(), and dump_stack().
//
// Warnings go through cmwq::core::warn(), which prints the kernel-style "WARNING: CPU: c PID: p
// at func (file:line): ..." line and counts it (semantics.md D4). BUG_ON() is the one thing that
// aborts the process (D4): it prints "kernel BUG at file:line!", the condition and the stack,
// then calls abort() so that a core dump or debugger shows the spot.
#include <execinfo.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <linux/bug.h>
#include <linux/printk.h>

#include "core/warn.hpp"

using namespace cmwq;

extern "C" {

void cmwq_warn_slowpath(const char* file, int line, const char* func, const char* cond) {
  core::warn(file, line, func, "%s", cond);
}

void cmwq_warn_slowpath_fmt(const char* file, int line, const char* func, const char* cond, const char* fmt,
                            ...) {
  char msg[768] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
  }
  for (std::size_t n = std::strlen(msg); n > 0 && msg[n - 1] == '\n';) msg[--n] = '\0';
  core::warn(file, line, func, "%s [%s]", msg, cond);
}

void dump_stack(void) {
  void* frames[64];
  int n = backtrace(frames, 64);
  char** names = backtrace_symbols(frames, n);
  core::log_line("Call Trace:");
  // Frame 0 is dump_stack() itself.
  for (int i = 1; i < n; ++i) core::log_line(" [<%p>] %s", frames[i], names ? names[i] : "?");
  std::free(names);
}

void cmwq_bug(const char* file, int line, const char* func, const char* cond) {
  core::log_line("kernel BUG at %s:%d!", file, line);
  core::log_line("%s in %s()", cond, func);
  dump_stack();
  std::abort();
}

}  // extern "C"
