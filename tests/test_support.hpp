// tests/test_support.hpp - helpers shared by the C++ front-door tests (cxx_*_test.cpp).
//
//   cmwq_test::startup_cpus()       the CPUs this process may use, read at start-up (U2)
//   CMWQ_REQUIRE_CPUS(n)            GTEST_SKIP unless at least n CPUs are available
//   cmwq_test::k_deadline           the one deadline of "eventually" (capi::kDeadline is it too)
//   cmwq_test::cpu_pin              RAII: pin the calling thread to one CPU ("from CPU c")
//   cmwq_test::burn_cpu_ms(ms)      spin for ms of thread CPU time without blocking
//   cmwq_test::log_recorder         records every library log line (cmwq_set_log_hook), echoed
//                                   live or only when the test failed; log_capture: echoed live
//   cmwq_test::wait_until(pred, t)  polls pred until it holds or t passes
//   CMWQ_ASSERT_WITHIN(pred, t)     wait_until, and on failure dump every queue's state
//   cmwq_test::dump_state()         show_all_workqueues() into the log; returns a hint string
//   cmwq_test::gate                 a one-shot latch that items wait on inside a blocking_scope
//   cmwq_test::span / meter         lock-free start/end stamps and a max-concurrency meter
//   cmwq_test::thresh_guard         RAII: set cpu_intensive_thresh_us, restore the default
//   cmwq_test::worker_comm()        "kworker/1:2+name" of the calling worker
//   cmwq_test::thread_state(tid)    scheduler state letter of one of our threads
//   cmwq_test::test_seed()          a seed from CMWQ_TEST_SEED or random_device, printed
//
// tests/capi_support.hpp builds the C API tests' helpers on these (one definition each).
//
// Items recording what they do never take a lock: a contended lock puts the worker to sleep,
// which concurrency management sees and answers by starting another worker, changing the very
// property a test observes. They use atomics only.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <initializer_list>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <cmwq/cmwq.hpp>

// Last: the kernel-style header defines function-like macros (timer_delete, barrier, ...).
#include <linux/workqueue.h>

namespace cmwq_test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Default deadline for anything that "eventually" happens; generous for a loaded 2-core machine
// and the sanitizer builds.
inline constexpr auto k_deadline = std::chrono::seconds(10);

// --- CPUs --------------------------------------------------------------------------------------

inline std::vector<int> read_affinity() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// Read once, by the main thread during static initialisation, before any test pins it.
inline const std::vector<int> g_startup_cpus = read_affinity();
inline const std::vector<int>& startup_cpus() { return g_startup_cpus; }

#define CMWQ_REQUIRE_CPUS(n)                                                                  \
  do {                                                                                        \
    if (::cmwq_test::startup_cpus().size() < static_cast<std::size_t>(n))                     \
      GTEST_SKIP() << "needs " << (n) << " CPUs, have " << ::cmwq_test::startup_cpus().size(); \
  } while (0)

inline int cpu_a() { return startup_cpus().at(0); }
inline int cpu_b() { return startup_cpus().at(1); }

// Pins the calling thread to `cpu` for its lifetime and restores the previous mask after.
// Expects the pin to succeed and the thread to be on `cpu` when the constructor returns.
class cpu_pin {
 public:
  explicit cpu_pin(int cpu) {
    CPU_ZERO(&old_);
    saved_ = sched_getaffinity(0, sizeof old_, &old_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ok_ = sched_setaffinity(0, sizeof one, &one) == 0;
    EXPECT_TRUE(ok_) << "cannot pin to CPU " << cpu << ": " << std::strerror(errno);
    // Linux migrates the caller before sched_setaffinity() returns; yield in case it has not.
    for (int i = 0; ok_ && sched_getcpu() != cpu && i < 1000; i++) sched_yield();
    if (ok_) {
      EXPECT_EQ(sched_getcpu(), cpu);
    }
  }
  ~cpu_pin() {
    if (saved_) sched_setaffinity(0, sizeof old_, &old_);
  }
  cpu_pin(const cpu_pin&) = delete;
  cpu_pin& operator=(const cpu_pin&) = delete;
  bool ok() const { return ok_; }

 private:
  cpu_set_t old_;
  bool saved_ = false;
  bool ok_ = false;
};

// --- time ---------------------------------------------------------------------------------------

inline std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Spins until the calling thread has used `ms` milliseconds of CPU time. Never blocks.
inline void burn_cpu_ms(double ms) {
  const std::int64_t until = thread_cpu_ns() + static_cast<std::int64_t>(ms * 1e6);
  while (thread_cpu_ns() < until) {
  }
}

// Spins (never blocks, so the concurrency manager sees a running worker) until `pred` holds or
// `timeout` of wall time passed. Returns pred().
template <class Pred>
bool spin_until(Pred pred, std::chrono::nanoseconds timeout = k_deadline) {
  const auto end = steady::now() + timeout;
  while (!pred()) {
    if (steady::now() >= end) return pred();
  }
  return true;
}

// Nanoseconds since the first call in this process, never 0 (0 means "not yet" in a span).
inline std::int64_t now_ns() {
  static const steady::time_point epoch = steady::now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - epoch).count() + 1;
}

// Polls `pred` every millisecond (sleeping) until it holds or `timeout` passes.
template <class Pred>
bool wait_until(Pred pred, std::chrono::nanoseconds timeout = k_deadline) {
  const auto end = steady::now() + timeout;
  while (!pred()) {
    if (steady::now() >= end) return pred();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// show_all_workqueues() to the log sink (standard error, or the active log_capture, which
// echoes it). Returns a hint for the failure message.
inline std::string dump_state() {
  std::fprintf(stderr, "---- cmwq state at deadline ----\n");
  show_all_workqueues();
  std::fprintf(stderr, "---- end of cmwq state ----\n");
  return "deadline passed; queue state dumped to stderr above";
}

#define CMWQ_ASSERT_WITHIN(pred, timeout)                                                        \
  ASSERT_TRUE(::cmwq_test::wait_until([&] { return static_cast<bool>(pred); }, (timeout)))      \
      << "waiting for: " #pred "; " << ::cmwq_test::dump_state()

#define CMWQ_EXPECT_WITHIN(pred, timeout)                                                        \
  EXPECT_TRUE(::cmwq_test::wait_until([&] { return static_cast<bool>(pred); }, (timeout)))      \
      << "waiting for: " #pred "; " << ::cmwq_test::dump_state()

// --- log capture ----------------------------------------------------------------------------

// Records every line the library logs while alive. Only one may be alive at a time (the hook is
// process-wide). echo_mode::live echoes each line to standard error as it comes;
// echo_mode::on_failure prints them all at destruction if the test has failed. Either way a
// failing test shows them.
class log_recorder {
 public:
  enum class echo_mode { live, on_failure };

  explicit log_recorder(echo_mode echo) : echo_(echo) { cmwq_set_log_hook(&hook, this); }
  ~log_recorder() {
    cmwq_set_log_hook(nullptr, nullptr);
    if (echo_ == echo_mode::on_failure && ::testing::Test::HasFailure()) {
      std::lock_guard<std::mutex> g(lock_);
      std::fprintf(stderr, "capi: %zu captured log line(s):\n", lines_.size());
      for (const auto& l : lines_) std::fprintf(stderr, "  | %s\n", l.c_str());
    }
  }
  log_recorder(const log_recorder&) = delete;
  log_recorder& operator=(const log_recorder&) = delete;

  bool contains(const std::string& sub) const { return count_lines_with({sub}) > 0; }
  // Lines that contain every one of `subs`.
  std::size_t count_lines_with(std::initializer_list<std::string> subs) const {
    std::lock_guard<std::mutex> g(lock_);
    std::size_t n = 0;
    for (const auto& l : lines_) {
      bool all = true;
      for (const auto& s : subs) all = all && l.find(s) != std::string::npos;
      n += all;
    }
    return n;
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> g(lock_);
    return lines_;
  }
  std::string joined() const {
    std::string s;
    for (const auto& l : lines()) s += l + "\n";
    return s;
  }
  void clear() {
    std::lock_guard<std::mutex> g(lock_);
    lines_.clear();
  }

 private:
  static void hook(const char* line, void* ctx) {
    auto* self = static_cast<log_recorder*>(ctx);
    if (self->echo_ == echo_mode::live) std::fprintf(stderr, "[cmwq log] %s\n", line);
    std::lock_guard<std::mutex> g(self->lock_);
    self->lines_.emplace_back(line);
  }
  const echo_mode echo_;
  mutable std::mutex lock_;
  std::vector<std::string> lines_;
};

// The C++ tests' capture: lines echoed live.
class log_capture : public log_recorder {
 public:
  log_capture() : log_recorder(echo_mode::live) {}
  std::size_t count(const std::string& sub) const { return count_lines_with({sub}); }
};

// --- synchronisation for items ---------------------------------------------------------------

// A one-shot latch. Items wait on it inside a cmwq::blocking_scope, so a per-CPU pool knows they
// block (like a kernel item sleeping in wait_for_completion()).
class gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> g(lock_);
      open_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  // Waits until opened or `timeout` passes. Returns whether it is open.
  bool wait(std::chrono::nanoseconds timeout = k_deadline) {
    cmwq::blocking_scope blocking;
    std::unique_lock<std::mutex> g(lock_);
    return cv_.wait_for(g, timeout, [&] { return is_open(); });
  }

 private:
  std::mutex lock_;
  std::condition_variable cv_;
  std::atomic<bool> open_{false};
};

// Opens a gate when destroyed: a test that fails an ASSERT early never leaves an item blocked
// until its deadline.
struct gate_opener {
  gate& g;
  ~gate_opener() { g.open(); }
};

// Start and end stamps of one run (now_ns(); 0 = not yet).
struct span {
  std::atomic<std::int64_t> start{0};
  std::atomic<std::int64_t> end{0};
  void begin() { start.store(now_ns(), std::memory_order_release); }
  void finish() { end.store(now_ns(), std::memory_order_release); }
  bool started() const { return start.load(std::memory_order_acquire) != 0; }
  bool finished() const { return end.load(std::memory_order_acquire) != 0; }
};

// Counts how many callers are inside at once and remembers the maximum.
class meter {
 public:
  void enter() {
    const int n = now_.fetch_add(1, std::memory_order_acq_rel) + 1;
    int m = max_.load(std::memory_order_relaxed);
    while (n > m && !max_.compare_exchange_weak(m, n, std::memory_order_acq_rel)) {
    }
  }
  void leave() { now_.fetch_sub(1, std::memory_order_acq_rel); }
  int now() const { return now_.load(std::memory_order_acquire); }
  int max() const { return max_.load(std::memory_order_acquire); }

 private:
  std::atomic<int> now_{0};
  std::atomic<int> max_{0};
};

struct meter_scope {
  explicit meter_scope(meter& m) : m_(m) { m_.enter(); }
  ~meter_scope() { m_.leave(); }
  meter& m_;
};

// --- tunables ---------------------------------------------------------------------------------

inline unsigned long env_or(const char* name, unsigned long dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  const unsigned long x = std::strtoul(v, &end, 0);
  return *end ? dflt : x;
}

// The engine's start-up value of cpu_intensive_thresh_us (there is no getter).
inline unsigned long default_thresh_us() { return env_or("CMWQ_CPU_INTENSIVE_THRESH_US", 10000); }

class thresh_guard {
 public:
  explicit thresh_guard(unsigned long us) { cmwq_set_cpu_intensive_thresh_us(us); }
  ~thresh_guard() { cmwq_set_cpu_intensive_thresh_us(default_thresh_us()); }
  thresh_guard(const thresh_guard&) = delete;
  thresh_guard& operator=(const thresh_guard&) = delete;
};

// --- threads ----------------------------------------------------------------------------------

inline pid_t gettid_() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// "kworker/1:2+events" for the calling worker, "" elsewhere.
inline std::string worker_comm() {
  char buf[96] = {};
  cmwq_current_worker_comm(buf, sizeof buf);
  return buf;
}

// The scheduler state letter ('R', 'S', 'D', ...) of thread `tid` of this process, or 0.
inline char thread_state(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string s;
  std::getline(f, s);
  const auto p = s.rfind(')');
  return (p != std::string::npos && p + 2 < s.size()) ? s[p + 2] : 0;
}

// Waits until thread `tid` has been seen asleep on three polls in a row (it reached a wait).
inline bool wait_thread_blocked(pid_t tid, std::chrono::nanoseconds timeout = k_deadline) {
  int streak = 0;
  return wait_until(
      [&] {
        const char st = thread_state(tid);
        streak = (st == 'S' || st == 'D') ? streak + 1 : 0;
        return streak >= 3;
      },
      timeout);
}

// Runs a bool() callable on its own thread: the test can watch it block, and see when it
// returned and what it returned. The destructor joins.
class async_call {
 public:
  template <class F>
  explicit async_call(F f)
      : th_([this, f = std::move(f)]() mutable {
          tid_.store(gettid_(), std::memory_order_release);
          result_ = f();
          done_at_.store(now_ns(), std::memory_order_release);
        }) {}
  ~async_call() { join(); }
  async_call(const async_call&) = delete;
  async_call& operator=(const async_call&) = delete;

  pid_t tid() const {
    wait_until([&] { return tid_.load(std::memory_order_acquire) != 0; });
    return tid_.load(std::memory_order_acquire);
  }
  // Waits until the call is asleep (it reached its wait).
  bool blocked(std::chrono::nanoseconds timeout = k_deadline) const { return wait_thread_blocked(tid(), timeout); }
  bool done() const { return done_at_.load(std::memory_order_acquire) != 0; }
  std::int64_t done_at() const { return done_at_.load(std::memory_order_acquire); }
  void join() {
    if (th_.joinable()) th_.join();
  }
  bool result() {
    join();
    return result_;
  }

 private:
  std::atomic<pid_t> tid_{0};
  std::atomic<std::int64_t> done_at_{0};
  bool result_ = false;
  std::thread th_;  // last: starts after the fields above exist
};

// The name (comm) of thread `tid` of this process, "" if it has gone.
inline std::string thread_comm(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

// The names (comm, 15 characters at most) of all threads of this process.
inline std::vector<std::string> thread_names() {
  std::vector<std::string> out;
  DIR* d = opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string name = thread_comm(static_cast<pid_t>(std::atoi(e->d_name)));
    if (!name.empty()) out.push_back(name);
  }
  closedir(d);
  return out;
}

inline bool thread_named(const std::string& name) {
  for (const auto& n : thread_names())
    if (n == name) return true;
  return false;
}

// --- seeds ------------------------------------------------------------------------------------

inline unsigned test_seed() {
  const unsigned seed = static_cast<unsigned>(env_or("CMWQ_TEST_SEED", std::random_device{}()));
  std::printf("[   SEED   ] CMWQ_TEST_SEED=%u\n", seed);
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

}  // namespace cmwq_test
