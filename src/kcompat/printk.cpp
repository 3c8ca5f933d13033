// src/kcompat/printk.cpp - printk() and the log hook for kernel-style code.
//
// The problem: printk() messages carry a level prefix (KERN_SOH + digit) and may be built from
// several calls (pr_cont()), while cmwq's log sink (cmwq::core::log_line) takes whole lines. The
// approach: strip the prefixes, and keep a small per-thread buffer for a line that has not ended
// yet. A finished line goes to the sink at once; an unfinished one waits for the next printk()
// of the same thread (a KERN_CONT message extends it, any other flushes it first) or for the
// thread's exit. Lines longer than the buffer are cut, like the kernel's.
#include <cstdio>
#include <cstring>

#include <linux/printk.h>

#include "core/warn.hpp"

namespace cmwq::kcompat {
namespace {

constexpr std::size_t line_max = 1024;

// The calling thread's unfinished line. Flushed by its destructor when the thread exits.
struct pending_line {
  char text[line_max];
  std::size_t len = 0;

  void flush() noexcept {
    if (len == 0) return;
    text[len] = '\0';
    core::log_line("%s", text);
    len = 0;
  }
  void append(const char* s, std::size_t n) noexcept {
    if (n > line_max - 1 - len) n = line_max - 1 - len;
    std::memcpy(text + len, s, n);
    len += n;
  }
  ~pending_line() { flush(); }
};

thread_local pending_line t_line;  // W: this thread only

// Skips KERN_SOH + level pairs. Returns the level character of the last one ('\0' if none).
const char* strip_levels(const char* fmt, char* level) noexcept {
  *level = '\0';
  while (fmt[0] == KERN_SOH_ASCII && fmt[1] != '\0') {
    const char c = fmt[1];
    if (!((c >= '0' && c <= '7') || c == 'c' || c == 'd')) break;
    *level = c;
    fmt += 2;
  }
  return fmt;
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

int vprintk(const char* fmt, va_list args) {
  if (!fmt) return 0;
  char level;
  const char* body = kcompat::strip_levels(fmt, &level);
  char msg[kcompat::line_max];
  int n = std::vsnprintf(msg, sizeof msg, body, args);
  if (n < 0) return n;
  std::size_t len = std::strlen(msg);

  kcompat::pending_line& line = kcompat::t_line;
  if (level != 'c') line.flush();  // a new message: finish whatever this thread left open
  const char* p = msg;
  const char* end = msg + len;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!nl) {
      line.append(p, static_cast<std::size_t>(end - p));
      break;
    }
    line.append(p, static_cast<std::size_t>(nl - p));
    // An empty line is printed too (printk("\n") ends an open line or prints a blank one).
    if (line.len == 0) core::log_line("%s", "");
    line.flush();
    p = nl + 1;
  }
  return n;
}

int printk(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintk(fmt, ap);
  va_end(ap);
  return n;
}

}  // extern "C"
