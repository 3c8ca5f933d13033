// bench/compare/tools.cpp - the small tools every part of cmwq_compare uses: the configuration,
// process CPU time, sleeping and spinning, thread and memory counts from procfs, percentiles, and
// the child's JSON output.
//
// Problem: the measurements must not measure their own tools. Approach: the cheapest primitive
// for each (clock_gettime, one stat() for the thread count), nothing that allocates or locks on
// a measured path; what the measured loops call in the hot path (clocks, futex) is inline in
// compare.hpp.
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "compare/compare.hpp"

namespace cmwq_bench {

config cfg;
int g_ncpu = 1;

[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  _exit(2);
}

std::uint64_t process_cpu_ns() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (static_cast<std::uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
          static_cast<std::uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)) * 1000ull;
}

void spin_cpu(std::uint64_t ns) {
  const std::uint64_t start = thread_cpu_ns();
  while (thread_cpu_ns() - start < ns) {
  }
}

void sleep_for_ns(std::uint64_t ns) {
  const std::uint64_t d = now_ns() + ns;
  timespec ts{static_cast<time_t>(d / 1000000000ull), static_cast<long>(d % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void pin_to(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

// procfs gives /proc/self/task a link count of 2 + the number of tasks, so one stat() counts the
// directory's entries without reading it.
int count_threads() {
  struct stat st;
  if (stat("/proc/self/task", &st) != 0) return -1;
  return static_cast<int>(st.st_nlink) - 2;
}

long rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double idx = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(idx));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

// ---- a child's job and output ---------------------------------------------------------------------

FILE* g_out = nullptr;
job g_job;
int g_rep = 0;

void emit(const char* metric, double value, const char* unit) {
  std::fprintf(g_out, "{\"workload\":\"%s\",\"peer\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"rep\":%d}\n",
               g_job.workload.c_str(), g_job.peer.c_str(), metric, value, unit, g_rep);
}

bool is_cmwq(const std::string& peer) { return peer.rfind("cmwq", 0) == 0; }

}  // namespace cmwq_bench
