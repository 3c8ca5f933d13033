// src/core/warn.hpp - kernel-style WARN and printk for the whole library.
//
//   cmwq::core::log_line()   one printk line to the log sink (stderr unless a hook is set).
//   cmwq::core::warn()       a `WARNING:` line naming the condition and the caller, counted.
//   cmwq::core::warn_count() how many warnings were printed since start.
//   CMWQ_WARN / CMWQ_WARN_ONCE   the macros the engine uses; they capture file, line and function.
//
// Nothing here ever aborts: D4 in semantics.md.
#pragma once

#include <atomic>
#include <cstdarg>
#include <string>

namespace cmwq::core {

using log_hook = void (*)(const char* line, void* ctx);

void log_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog_line(const char* fmt, va_list ap) __attribute__((format(printf, 1, 0)));

// Prints "WARNING: CPU: <cpu> PID: <tid> at <func> (<file>:<line>): <message>" and counts it.
void warn(const char* file, int line, const char* func, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
void vwarn(const char* file, int line, const char* func, const char* fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

unsigned long warn_count() noexcept;
// Counts a warning whose lines the caller prints itself (lockdep's multi-line reports).
void count_warning() noexcept;

// Replaces the log sink (nullptr restores stderr). Every line still counts as before.
void set_log_hook(log_hook hook, void* ctx) noexcept;

// While alive, lines the calling thread logs are appended to `*into` (each with '\n') instead of
// going to the sink, so a dump can be captured without touching the process's log hook (the
// control socket's "dump"). Nests: the innermost scope wins.
class thread_log_capture {
 public:
  explicit thread_log_capture(std::string* into) noexcept;
  ~thread_log_capture();
  thread_log_capture(const thread_log_capture&) = delete;
  thread_log_capture& operator=(const thread_log_capture&) = delete;

 private:
  std::string* prev_;
};

}  // namespace cmwq::core

#define CMWQ_WARN(...) ::cmwq::core::warn(__FILE__, __LINE__, __func__, __VA_ARGS__)
#define CMWQ_WARN_ONCE(...)                                          \
  do {                                                               \
    static std::atomic<bool> cmwq_warned_once_{false};               \
    if (!cmwq_warned_once_.exchange(true, std::memory_order_relaxed)) \
      CMWQ_WARN(__VA_ARGS__);                                        \
  } while (0)
