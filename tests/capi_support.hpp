// tests/capi_support.hpp - helpers shared by the tests of the kernel-compatible C API
// (tests/capi_*_test.cpp).
//
// What is here, and why:
//   probe          a work item that records what happened to it: runs, overlap, start/end times,
//                  the CPU and thread it ran on, what current_work()/work_pending() said inside.
//                  It can wait on its own gate (a compat completion) so that a test holds it
//                  "running and sleeping" for as long as it needs, without a fixed sleep: the
//                  assertions become orderings, which a loaded 2-core machine can honour.
//   log_capture    collects the library's log lines (cmwq_set_log_hook) for "log contains X";
//                  prints them when the test failed.
//   wait_until     every wait has a deadline; on expiry it says what it waited for and dumps the
//                  workqueues (show_all_workqueues()).
//   test_watchdog  a deadline for whole tests (engine calls like flush_workqueue() cannot take one):
//                  past kTestDeadline it dumps the workqueues and aborts.
//   tunables_guard restores the cmwq tunables a test changes.
//   cpu helpers    the process's CPUs, pinning ("from CPU c" = the queueing thread pinned to c),
//                  burning thread CPU time ("burn N ms"), thread names from /proc.
//
// Every probe opens its gate and cancels itself (cancel_*_sync) when destroyed, so a failing test
// never leaves an item running on freed memory. Declare the queue BEFORE the probes that use it:
// the probes then die first and the queue's destroy_workqueue() finds nothing blocked.
//
// What both kinds of test need (pinning, burning CPU time, log capture, polling with a deadline,
// thread names, the deadline itself) is defined once, in test_support.hpp, and named here.
#pragma once

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/workqueue.h>

namespace capi {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

// Generous bounds for a loaded 2-core machine (and sanitizer builds).
inline constexpr ms kDeadline = cmwq_test::k_deadline;  // "eventually": anything that must happen
inline constexpr unsigned kGateTimeoutMs = 15000;  // an item never waits on its gate longer
inline constexpr ms kQuiet = 150ms;          // "does not happen": how long we watch for it

// --- clocks and CPU time --------------------------------------------------------------------

inline std::int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

inline std::int64_t thread_cpu_us() { return cmwq_test::thread_cpu_ns() / 1000; }

// "burn N ms": busy-loop for N ms of the calling thread's CPU time, never blocking.
inline void burn_ms(unsigned msecs) { cmwq_test::burn_cpu_ms(msecs); }

using cmwq_test::gettid_;
using cmwq_test::spin_until;  // busy-waits until pred() holds or the limit (default kDeadline)

// --- deadlines ------------------------------------------------------------------------------

// Waits (polling, sleeping 1 ms between checks) until pred() holds. On expiry prints what it
// waited for and dumps the busy workqueues, then returns false.
template <class Pred>
bool wait_until(Pred pred, ms limit, const char* what) {
  if (cmwq_test::wait_until(pred, limit)) return true;
  std::fprintf(stderr, "capi: deadline of %lld ms expired waiting for: %s\n", static_cast<long long>(limit.count()),
               what);
  show_all_workqueues();
  return false;
}

// Returns true if pred() stays false for the whole of `window` (a "never happens" check).
template <class Pred>
bool stays_false(Pred pred, ms window = kQuiet) {
  const std::int64_t until = now_us() + std::chrono::duration_cast<std::chrono::microseconds>(window).count();
  while (now_us() < until) {
    if (pred()) return false;
    std::this_thread::sleep_for(1ms);
  }
  return !pred();
}

// Runs `wait` (a flush) on another thread, checks that it stays blocked until `release()` is
// called and returns after it; returns what `wait` returned (false as well if it never returned).
template <class Wait, class Release>
bool blocks_until_released(Wait wait, Release release) {
  std::atomic<bool> returned{false}, result{false};
  std::thread t([&] {
    result = wait();
    returned = true;
  });
  EXPECT_TRUE(stays_false([&] { return returned.load(); })) << "returned before the release";
  release();
  const bool in_time = wait_until([&] { return returned.load(); }, kDeadline, "the wait returns");
  t.join();  // past the deadline the test watchdog ends the test
  return in_time && result.load();
}

// --- a deadline for every test ----------------------------------------------------------------

// Engine calls such as flush_workqueue() cannot take a deadline. This watchdog gives each test one:
// a test still running after kTestDeadline gets its name printed and the busy workqueues dumped
// (to standard error), then the process aborts, so a hang leaves a clue instead of a CI timeout.
#ifndef CAPI_TEST_DEADLINE_S
#define CAPI_TEST_DEADLINE_S 120
#endif
inline constexpr std::chrono::seconds kTestDeadline{CAPI_TEST_DEADLINE_S};

class test_watchdog : public ::testing::EmptyTestEventListener {
 public:
  test_watchdog() : st_(new state) {  // state is never freed: the detached thread uses it until exit
    state* st = st_;
    std::thread([st] { loop(st); }).detach();
  }
  void OnTestStart(const ::testing::TestInfo& t) override {
    std::lock_guard<std::mutex> g(st_->mu);
    st_->name = std::string(t.test_suite_name()) + "." + t.name();
    st_->running = true;
    st_->gen++;
    st_->cv.notify_all();
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::lock_guard<std::mutex> g(st_->mu);
    st_->running = false;
    st_->gen++;
    st_->cv.notify_all();
  }

 private:
  struct state {
    std::mutex mu;
    std::condition_variable cv;
    std::string name;
    bool running = false;
    std::uint64_t gen = 0;
  };
  static void loop(state* st) {
    std::unique_lock<std::mutex> g(st->mu);
    for (;;) {
      st->cv.wait(g, [&] { return st->running; });
      const std::uint64_t gen = st->gen;
      if (st->cv.wait_for(g, kTestDeadline, [&] { return st->gen != gen; })) continue;
      std::fprintf(stderr, "capi: test %s still running after %lld s; busy workqueues:\n", st->name.c_str(),
                   static_cast<long long>(kTestDeadline.count()));
      g.unlock();
      cmwq_set_log_hook(nullptr, nullptr);
      show_all_workqueues();
      std::abort();
    }
  }
  state* st_;
};

// Registered once per test binary (each binary has one translation unit including this file);
// the listener is owned by GoogleTest and the watchdog thread outlives everything.
inline const bool capi_watchdog_registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new test_watchdog);
  return true;
}();

// --- log capture ----------------------------------------------------------------------------

// Lines are printed only if the test failed (cmwq_test::log_recorder).
class log_capture : public cmwq_test::log_recorder {
 public:
  log_capture() : log_recorder(echo_mode::on_failure) {}

  // Lines containing every one of the needles.
  int count(const std::string& needle, const std::string& also = "") const {
    return static_cast<int>(count_lines_with({needle, also}));
  }
  int count_warnings() const { return count("WARNING"); }
  bool wait_for(const std::string& needle, ms limit = kDeadline) const {
    return wait_until([&] { return contains(needle); }, limit, needle.c_str());
  }
  std::string all() const { return joined(); }
};

// For the kernel's *_ONCE warnings: the first occurrence in the process must be logged, later ones
// are legitimately silent. `seen` is a per-call-site flag kept by the test across repetitions.
inline void expect_logged_once_per_process(const log_capture& log, const std::string& needle, bool& seen) {
  if (!seen) {
    EXPECT_TRUE(log.contains(needle)) << "first occurrence in this process must log: " << needle;
    seen = true;
  }
}

// --- tunables -------------------------------------------------------------------------------

// Restores the tunables a test may change to the library's defaults.
class tunables_guard {
 public:
  tunables_guard() = default;
  ~tunables_guard() {
    cmwq_fault_fail_worker_creation(false);
    cmwq_set_cpu_intensive_thresh_us(kDefaultThreshUs);
    cmwq_set_timeout_scale_permille(1000);
  }
  tunables_guard(const tunables_guard&) = delete;
  tunables_guard& operator=(const tunables_guard&) = delete;
  static constexpr unsigned long kDefaultThreshUs = 10000;
};

// Thaws the workqueues on scope exit (freezing is process-wide).
struct thaw_guard {
  ~thaw_guard() { thaw_workqueues(); }
};

// --- CPUs -------------------------------------------------------------------------------------

// The CPUs the process may use (semantics.md U2: these are the online CPUs).
inline const std::vector<int>& cpus() {
  static const std::vector<int> v = [] {
    std::vector<int> r = cmwq_test::read_affinity();
    if (r.empty()) r.push_back(0);
    return r;
  }();
  return v;
}
inline int cpu0() { return cpus().front(); }
inline int cpu1() { return cpus().size() > 1 ? cpus()[1] : cpus().front(); }
inline int last_cpu() { return cpus().back(); }

#define CAPI_REQUIRE_CPUS(n)                                                               \
  do {                                                                                     \
    if (static_cast<int>(::capi::cpus().size()) < (n))                                     \
      GTEST_SKIP() << "needs " << (n) << " CPUs, the process has " << ::capi::cpus().size(); \
  } while (0)

// Pins the calling thread to one CPU for the scope ("from CPU c"), then restores its mask.
using cmwq_test::cpu_pin;

// Runs fn on a fresh thread pinned to `cpu` and joins it.
inline void run_on_cpu(int cpu, const std::function<void()>& fn) {
  std::thread t([&] {
    cpu_pin pin(cpu);
    fn();
  });
  t.join();
}

// --- thread names -----------------------------------------------------------------------------

using cmwq_test::thread_comm;
using cmwq_test::thread_named;
using cmwq_test::thread_names;  // comm, 15 characters at most, of all threads of the process

// Threads whose comm is exactly `prefix` followed by a decimal id and then `suffix`, e.g. the
// workers of CPU 1's normal pool: count_workers("kworker/1:", "").
inline int count_workers(const std::string& prefix, const std::string& suffix) {
  int n = 0;
  for (const auto& s : thread_names()) {
    if (s.size() <= prefix.size() + suffix.size() || s.compare(0, prefix.size(), prefix) != 0) continue;
    if (s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string mid = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
    if (mid.find_first_not_of("0123456789") == std::string::npos) n++;
  }
  return n;
}

// Matches `s` against `pattern`, where '#' stands for one or more decimal digits and every other
// character for itself (worker names: "kworker/#:#H"). No <regex>: GCC 12's ASan build warns in it.
inline bool name_matches(const std::string& pattern, const std::string& s) {
  std::size_t i = 0;
  for (char c : pattern) {
    if (c == '#') {
      const std::size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') i++;
      if (i == start) return false;
    } else {
      if (i >= s.size() || s[i] != c) return false;
      i++;
    }
  }
  return i == s.size();
}

// --- the probe work item ----------------------------------------------------------------------

// A global sequence for "happened before" checks between items (start/end stamps).
inline std::atomic<std::int64_t>& seq_counter() {
  static std::atomic<std::int64_t> s{0};
  return s;
}
inline std::int64_t next_seq() { return seq_counter().fetch_add(1, std::memory_order_relaxed) + 1; }

struct probe;
using probe_body = void (*)(probe*);

// Standard-layout on purpose: the work function finds the probe with container_of(), exactly as
// kernel code does.
struct probe {
  struct work_struct work;     // plain work item
  struct delayed_work dwork;   // delayed variant (same function, same records)

  // Configuration, set before queueing (the queue call publishes it to the function).
  unsigned sleep_ms = 0;               // msleep() this long inside
  unsigned burn_ms = 0;                // then burn this much thread CPU time
  bool gated = false;                  // wait on `gate` at start (until open())
  bool requeue_self_always = false;    // re-queue itself on requeue_wq every run
  struct workqueue_struct* requeue_wq = nullptr;
  std::atomic<int> requeue_left{0};    // re-queue itself this many more times
  std::atomic<bool> requeue_enabled{true};  // requeue_self_always stops when false
  probe_body body = nullptr;           // extra code, run after the gate
  void* ctx = nullptr;

  // Records.
  std::atomic<int> runs{0};             // executions started
  std::atomic<int> ends{0};             // executions finished
  std::atomic<int> running{0};          // executions in progress now
  std::atomic<int> max_running{0};      // most executions in progress at once (R5: 1)
  std::atomic<std::int64_t> first_start_us{-1}, last_start_us{-1}, first_end_us{-1}, last_end_us{-1};
  std::atomic<std::int64_t> start_seq{-1}, end_seq{-1};  // next_seq() at last start / end
  std::atomic<int> cpu{-1};             // sched_getcpu() at the last start
  std::atomic<int> tid{0};              // thread id of the last run
  std::atomic<int> gate_timeouts{0};    // gate waits that hit kGateTimeoutMs
  std::atomic<bool> pending_inside{true};      // work_pending() of itself, inside (last run)
  std::atomic<bool> current_work_ok{false};    // current_work() == this item, inside (last run)
  std::atomic<int> requeue_results{0};  // how many of its self-requeues returned true
  std::atomic<int> body_result{0};      // free for the body to report an outcome

  struct completion gate;      // opened with open(); complete_all: stays open
  struct completion started;   // complete() at every start

  probe() {
    INIT_WORK(&work, &probe::work_fn);
    INIT_DELAYED_WORK(&dwork, &probe::dwork_fn);
    init_completion(&gate);
    init_completion(&started);
  }
  ~probe() {
    open();
    requeue_enabled.store(false);
    requeue_left.store(0);
    cancel_work_sync(&work);
    cancel_delayed_work_sync(&dwork);
  }
  probe(const probe&) = delete;
  probe& operator=(const probe&) = delete;

  void open() { complete_all(&gate); }
  // Waits (with a deadline) until the item has started `n` runs in total.
  bool wait_runs(int n, ms limit = kDeadline) const {
    return wait_until([&] { return runs.load() >= n; }, limit, "probe runs");
  }
  bool wait_ends(int n, ms limit = kDeadline) const {
    return wait_until([&] { return ends.load() >= n; }, limit, "probe ends");
  }

  static void work_fn(struct work_struct* w) { container_of(w, probe, work)->run(w); }
  static void dwork_fn(struct work_struct* w) {
    container_of(to_delayed_work(w), probe, dwork)->run(w);
  }

 private:
  void run(struct work_struct* w) {
    const int now_running = running.fetch_add(1) + 1;
    int m = max_running.load();
    while (now_running > m && !max_running.compare_exchange_weak(m, now_running)) {
    }
    const std::int64_t t0 = now_us();
    std::int64_t unset = -1;
    first_start_us.compare_exchange_strong(unset, t0);
    last_start_us.store(t0);
    start_seq.store(next_seq());
    cpu.store(sched_getcpu());
    tid.store(gettid_());
    pending_inside.store(work_pending(w));
    current_work_ok.store(current_work() == w);
    runs.fetch_add(1);
    complete(&started);

    if (gated && wait_for_completion_timeout(&gate, msecs_to_jiffies(kGateTimeoutMs)) == 0) gate_timeouts++;
    if (sleep_ms) msleep(sleep_ms);
    if (burn_ms) capi::burn_ms(burn_ms);
    if (body) body(this);
    if (requeue_wq) {
      bool again = requeue_self_always && requeue_enabled.load();
      if (!again) {
        int left = requeue_left.load();
        while (left > 0 && !requeue_left.compare_exchange_weak(left, left - 1)) {
        }
        again = left > 0;
      }
      if (again && queue_work(requeue_wq, w)) requeue_results++;
    }

    const std::int64_t t1 = now_us();
    unset = -1;
    first_end_us.compare_exchange_strong(unset, t1);
    last_end_us.store(t1);
    end_seq.store(next_seq());
    running.fetch_sub(1);
    ends.fetch_add(1);  // last touch: after this the test may free the probe (via flush/cancel)
  }
};

static_assert(std::is_standard_layout_v<probe>, "probe is found with container_of()");

// A fixed set of probes (they cannot move: the engine links them into lists).
class probes {
 public:
  explicit probes(std::size_t n) : n_(n), p_(new probe[n]) {}
  probe& operator[](std::size_t i) { return p_[i]; }
  std::size_t size() const { return n_; }
  probe* begin() { return p_.get(); }
  probe* end() { return p_.get() + n_; }

 private:
  std::size_t n_;
  std::unique_ptr<probe[]> p_;
};

// Owns a queue for the scope of a test: destroy_workqueue() at exit unless released.
class owned_wq {
 public:
  explicit owned_wq(struct workqueue_struct* wq) : wq_(wq) {}
  ~owned_wq() {
    if (wq_) destroy_workqueue(wq_);
  }
  owned_wq(const owned_wq&) = delete;
  owned_wq& operator=(const owned_wq&) = delete;
  struct workqueue_struct* get() const { return wq_; }
  operator struct workqueue_struct *() const { return wq_; }
  struct workqueue_struct* release() {
    auto* w = wq_;
    wq_ = nullptr;
    return w;
  }

 private:
  struct workqueue_struct* wq_;
};

// Most probes executing at the same time, from the global start/end sequence stamps of probes
// that ran (at most) once each.
inline int peak_concurrency(probes& ps) {
  std::vector<std::pair<std::int64_t, int>> ev;
  for (auto& p : ps) {
    if (p.start_seq.load() >= 0) ev.emplace_back(p.start_seq.load(), +1);
    if (p.end_seq.load() >= 0) ev.emplace_back(p.end_seq.load(), -1);
  }
  std::sort(ev.begin(), ev.end());
  int cur = 0, peak = 0;
  for (const auto& e : ev) peak = std::max(peak, cur += e.second);
  return peak;
}

// True if probe i started after probe i-1 ended, for every i: strictly one at a time, in order.
inline bool ran_serially_in_order(probes& ps) {
  for (std::size_t i = 1; i < ps.size(); i++)
    if (ps[i].start_seq.load() < ps[i - 1].end_seq.load()) return false;
  return true;
}

inline cmwq_wq_stats stats_of(struct workqueue_struct* wq) {
  cmwq_wq_stats s{};
  EXPECT_EQ(cmwq_workqueue_stats(wq, &s), 0);
  return s;
}

}  // namespace capi
