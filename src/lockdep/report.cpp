// src/lockdep/report.cpp - lockdep reports in the kernel's format.
//
// The problem: a report is read by people who know the kernel's splats, and grepped by tests and
// CI. The approach: the kernel's layout line by line (banner, "is trying to acquire lock", "but
// task is already holding lock", the existing dependency chain in reverse order with where each
// edge was first seen, the "Possible unsafe locking scenario" table, "*** DEADLOCK ***", the
// held locks and a backtrace), each line through the library's log sink so a hook sees it. Code
// addresses are symbolised with dladdr(): "function+0xoffset" where the symbol is exported (link
// with -rdynamic for the program's own functions), "module+0xoffset" otherwise, which addr2line
// resolves to file:line. Every report counts once in cmwq_warn_count().
#include <dlfcn.h>
#include <execinfo.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/warn.hpp"
#include "lockdep/internal.hpp"

namespace cmwq::lockdep::detail {

namespace {

std::atomic<unsigned long> g_reports{0};  // X: relaxed counter

void symbolise(const void* addr, char* buf, std::size_t size) noexcept {
  Dl_info info{};
  if (dladdr(addr, &info) && info.dli_sname && info.dli_saddr) {
    int status = -1;
    char* pretty = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    std::snprintf(buf, size, "%s+0x%lx", status == 0 && pretty ? pretty : info.dli_sname,
                  static_cast<unsigned long>(static_cast<const char*>(addr) - static_cast<const char*>(info.dli_saddr)));
    std::free(pretty);
  } else if (info.dli_fname && info.dli_fbase) {
    const char* base = std::strrchr(info.dli_fname, '/');
    std::snprintf(buf, size, "%s+0x%lx", base ? base + 1 : info.dli_fname,
                  static_cast<unsigned long>(static_cast<const char*>(addr) - static_cast<const char*>(info.dli_fbase)));
  } else {
    std::snprintf(buf, size, "%p", addr);
  }
}

// Prints a backtrace, leaving out the validator's own leading frames.
void print_trace(void* const* frames, unsigned n) noexcept {
  bool leading = true;
  for (unsigned i = 0; i < n; ++i) {
    char sym[256];
    symbolise(frames[i], sym, sizeof sym);
    if (leading && std::strncmp(sym, "cmwq::lockdep::", 15) == 0) continue;
    leading = false;
    core::log_line("       %s", sym);
  }
}

void print_current_trace() noexcept {
  void* frames[trace_depth];
  print_trace(frames, capture_trace(frames, trace_depth, 4));
}

// "comm/tid", as the kernel prints "%s/%d" of the current task.
void task_name(char* buf, std::size_t size) noexcept {
  char comm[17] = {};
  prctl(PR_GET_NAME, comm);
  std::snprintf(buf, size, "%s/%ld", comm, static_cast<long>(syscall(SYS_gettid)));
}

void print_lock(graph& g, const held_lock& h, const char* prefix) noexcept CMWQ_REQUIRES(g.lock) {
  char at[256];
  symbolise(reinterpret_cast<const void*>(h.ip), at, sizeof at);
  core::log_line("%s%p (%s){%s}, at: %s", prefix, h.instance, g.classes[h.cls].name,
                 h.m == mode::exclusive ? "+.+." : "++++", at);
}

void print_held_locks(graph& g, const held_lock* held, unsigned depth, const char* task) noexcept
    CMWQ_REQUIRES(g.lock) {
  if (depth == 0) {
    core::log_line("no locks held by %s.", task);
    return;
  }
  core::log_line("%u lock%s held by %s:", depth, depth > 1 ? "s" : "", task);
  for (unsigned i = 0; i < depth; ++i) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, " #%u: ", i);
    print_lock(g, held[i], prefix);
  }
}

const char* lock_verb(mode m) noexcept { return m == mode::exclusive ? "lock" : "rlock"; }

// The banner, then the lock being taken and the one held (the head of both reports).
void print_header(graph& g, const char* rule, const char* title, const char* task, const held_lock& prev,
                  const held_lock& next) noexcept CMWQ_REQUIRES(g.lock) {
  core::log_line("%s", "");
  core::log_line("%s", rule);
  core::log_line("WARNING: %s", title);
  core::log_line("%.*s", static_cast<int>(std::strlen(rule)), "-----------------------------------------------------------");
  core::log_line("%s is trying to acquire lock:", task);
  print_lock(g, next, "");
  core::log_line("%s", "");
  core::log_line("but task is already holding lock:");
  print_lock(g, prev, "");
  core::log_line("%s", "");
}

void finish(graph& g, const held_lock* held, unsigned depth, const char* task) noexcept CMWQ_REQUIRES(g.lock) {
  print_held_locks(g, held, depth, task);
  core::log_line("%s", "");
  core::log_line("stack backtrace:");
  print_current_trace();
  count_report();
}

}  // namespace

unsigned capture_trace(void** frames, unsigned max, unsigned skip) noexcept {
  void* all[trace_depth + 8];
  const int n = backtrace(all, static_cast<int>(trace_depth + 8));
  unsigned out = 0;
  for (int i = static_cast<int>(skip); i < n && out < max; ++i) frames[out++] = all[i];
  return out;
}

void count_report() noexcept {
  g_reports.fetch_add(1, std::memory_order_relaxed);
  core::count_warning();
}

void report_circular(graph& g, const held_lock& prev, const held_lock& next, const std::uint32_t* path,
                     unsigned path_len, const held_lock* held, unsigned depth) noexcept {
  char task[48];
  task_name(task, sizeof task);
  print_header(g, "======================================================", "possible circular locking dependency detected",
               task, prev, next);
  core::log_line("which lock already depends on the new lock.");
  core::log_line("%s", "");
  core::log_line("%s", "");
  core::log_line("the existing dependency chain (in reverse order) is:");
  // path[0] leaves `next`, path[len-1] enters `prev`: print from prev back to next, each class
  // with the backtrace of the edge that led to it, then next with the current backtrace.
  for (unsigned i = path_len; i-- > 0;) {
    const edge& e = g.edges[path[i]];
    core::log_line("%s", "");
    core::log_line("-> #%u (%s):", i + 1, g.classes[e.to].name);
    print_trace(e.trace, e.trace_len);
  }
  core::log_line("%s", "");
  core::log_line("-> #0 (%s):", g.classes[next.cls].name);
  print_current_trace();
  core::log_line("%s", "");
  core::log_line("other info that might help us debug this:");
  core::log_line("%s", "");
  const char* source = g.classes[next.cls].name;
  const char* target = g.classes[prev.cls].name;
  const char* parent = g.classes[g.edges[path[path_len - 1]].from].name;
  if (path_len > 1) {
    core::log_line("Chain exists of:");
    core::log_line("  %s --> %s --> %s", source, parent, target);
    core::log_line("%s", "");
  }
  core::log_line(" Possible unsafe locking scenario:");
  core::log_line("%s", "");
  core::log_line("       CPU0                    CPU1");
  core::log_line("       ----                    ----");
  core::log_line("  %s(%s);", lock_verb(prev.m), target);
  core::log_line("                               lock(%s);", parent);
  core::log_line("                               lock(%s);", target);
  core::log_line("  %s(%s);", lock_verb(next.m), source);
  core::log_line("%s", "");
  core::log_line(" *** DEADLOCK ***");
  core::log_line("%s", "");
  finish(g, held, depth, task);
}

void report_recursive(graph& g, const held_lock& prev, const held_lock& next, const held_lock* held,
                      unsigned depth) noexcept {
  char task[48];
  task_name(task, sizeof task);
  print_header(g, "============================================", "possible recursive locking detected", task, prev,
               next);
  core::log_line("other info that might help us debug this:");
  core::log_line(" Possible unsafe locking scenario:");
  core::log_line("%s", "");
  core::log_line("       CPU0");
  core::log_line("       ----");
  core::log_line("  %s(%s);", lock_verb(prev.m), g.classes[prev.cls].name);
  core::log_line("  %s(%s);", lock_verb(next.m), g.classes[next.cls].name);
  core::log_line("%s", "");
  core::log_line(" *** DEADLOCK ***");
  core::log_line("%s", "");
  core::log_line(" May be due to missing lock nesting notation");
  core::log_line("%s", "");
  finish(g, held, depth, task);
}

}  // namespace cmwq::lockdep::detail

namespace cmwq::lockdep {

unsigned long report_count() noexcept { return detail::g_reports.load(std::memory_order_relaxed); }

}  // namespace cmwq::lockdep
