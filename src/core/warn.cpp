// src/core/warn.cpp - the log sink, WARN lines and the warning counter.
//
// Every line goes out whole, newline included, in one write(2) under a mutex, so that lines from
// concurrent threads never interleave; a write cut short by a signal (EINTR, or a partial count
// on a full pipe) is continued, never dropped. The hook (tests capture lines with it) is called
// under the same mutex so it needs no locking itself.
#include "warn.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace cmwq::core {
namespace {

std::atomic<unsigned long> g_warn_count{0};  // X: relaxed counter
std::mutex g_sink_mutex;                     // guards g_hook, g_hook_ctx and ordered output
log_hook g_hook = nullptr;
void* g_hook_ctx = nullptr;

// Writes @line and a newline, retrying after signals and partial writes. Bypasses stdio, whose
// error state would swallow every later line after one interrupted write.
void write_all(int fd, const char* line) {
  char buf[1100];
  const std::size_t n = std::min(std::strlen(line), sizeof buf - 1);
  std::memcpy(buf, line, n);
  buf[n] = '\n';
  const char* p = buf;
  std::size_t left = n + 1;
  while (left) {
    const ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // nowhere to write: nothing else to do with a log line
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

thread_local std::string* t_capture = nullptr;  // W: see thread_log_capture

void emit(const char* line) {
  if (t_capture) {
    t_capture->append(line).push_back('\n');
    return;
  }
  std::lock_guard<std::mutex> guard(g_sink_mutex);
  if (g_hook) {
    g_hook(line, g_hook_ctx);
    return;
  }
  write_all(STDERR_FILENO, line);
}

}  // namespace

void vlog_line(const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  // printk lines may end in '\n' already; the sink adds exactly one.
  for (char* end = buf + __builtin_strlen(buf); end > buf && end[-1] == '\n';) *--end = '\0';
  emit(buf);
}

void log_line(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog_line(fmt, ap);
  va_end(ap);
}

void vwarn(const char* file, int line, const char* func, const char* fmt, va_list ap) {
  char msg[768];
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  for (char* end = msg + __builtin_strlen(msg); end > msg && end[-1] == '\n';) *--end = '\0';
  g_warn_count.fetch_add(1, std::memory_order_relaxed);
  log_line("WARNING: CPU: %d PID: %ld at %s (%s:%d): %s", sched_getcpu(),
           static_cast<long>(syscall(SYS_gettid)), func, file, line, msg);
}

void warn(const char* file, int line, const char* func, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwarn(file, line, func, fmt, ap);
  va_end(ap);
}

unsigned long warn_count() noexcept { return g_warn_count.load(std::memory_order_relaxed); }

void count_warning() noexcept { g_warn_count.fetch_add(1, std::memory_order_relaxed); }

thread_log_capture::thread_log_capture(std::string* into) noexcept : prev_(t_capture) { t_capture = into; }
thread_log_capture::~thread_log_capture() { t_capture = prev_; }

void set_log_hook(log_hook hook, void* ctx) noexcept {
  std::lock_guard<std::mutex> guard(g_sink_mutex);
  g_hook = hook;
  g_hook_ctx = ctx;
}

}  // namespace cmwq::core
