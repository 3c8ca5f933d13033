// tests/cm_observe_test.cpp - concurrency management of blocking nobody announced (issue 10,
// docs/concurrency.md): items that sleep in a plain nanosleep(2) on one CPU's bound queue are
// seen asleep and the pool runs the next ones meanwhile, under each observation mechanism
// (ctest runs this file with CMWQ_CM_OBSERVE=perf, =proc and =off too); spinning or preempted
// items are never taken for sleeping; a sleep both announced and observed is counted once; a
// worker that clears PF_WQ_WORKER hides its sleeps; perf_event_open failing falls back to /proc
// with one note, and a bad CMWQ_CM_OBSERVE warns and keeps the default.
//
// Items never take a lock while they run (a contended lock is itself a sleep). Every wait has a
// deadline; "at least two at once" needs no timing bound, only that sleeps are noticed at all.
#include <functional>
#include <span>

#include "child_run.hpp"  // before the kernel-style headers: it includes system headers
#include "test_support.hpp"

#include <linux/fault-inject.h>
#include <linux/sched.h>

namespace {

using namespace cmwq_test;
using namespace std::chrono_literals;

constexpr int k_sleepers = 8;
constexpr auto k_sleep = 40ms;     // well above the /proc sampler's 2 ms threshold
constexpr double k_spin_ms = 3;    // below the 10 ms CPU-hog threshold
constexpr int k_spinners = 4;

void plain_sleep(std::chrono::nanoseconds d) {
  timespec ts{static_cast<time_t>(d.count() / 1000000000), static_cast<long>(d.count() % 1000000000)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

bool observing() { return cmwq::cm_observe() != cmwq::cm_observer::off; }

// Queues `items` in order from CPU a (so they share that CPU's pool) and flushes.
void run_on_cpu_a(const cmwq::queue& q, std::span<cmwq::work* const> items) {
  {
    cpu_pin pin(cpu_a());
    ASSERT_TRUE(pin.ok());
    for (cmwq::work* w : items) ASSERT_TRUE(q.enqueue(*w));
  }
  q.flush();
}

void run_on_cpu_a(const cmwq::queue& q, std::vector<std::unique_ptr<cmwq::work>>& items) {
  std::vector<cmwq::work*> ptrs;
  for (auto& w : items) ptrs.push_back(w.get());
  run_on_cpu_a(q, ptrs);
}

// `n` items that each run `body` inside `m` (so m.max() is how many ran at once).
std::vector<std::unique_ptr<cmwq::work>> metered_items(int n, meter& m, std::function<void()> body) {
  std::vector<std::unique_ptr<cmwq::work>> items;
  for (int i = 0; i < n; i++)
    items.push_back(std::make_unique<cmwq::work>([&m, body] {
      meter_scope in(m);
      body();
    }));
  return items;
}

// 8 items sleeping in nanosleep on one CPU: seen asleep, so at least two are inside at once.
void expect_sleepers_overlap() {
  auto q = cmwq::builder::percpu().build("cmo-sleep");
  ASSERT_TRUE(q);
  meter m;
  auto items = metered_items(k_sleepers, m, [] { plain_sleep(k_sleep); });
  run_on_cpu_a(q.ref(), items);
  EXPECT_GE(m.max(), 2) << "observer " << cmwq_cm_observe() << "\n" << dump_state();
}

TEST(cm_observe, c_and_cxx_report_the_same_mechanism) {
  const char* c = cmwq_cm_observe();
  const cmwq::cm_observer x = cmwq::cm_observe();
  EXPECT_STREQ(c, x == cmwq::cm_observer::perf ? "perf" : x == cmwq::cm_observer::proc ? "proc" : "off");
  const char* forced = std::getenv("CMWQ_CM_OBSERVE");
  if (forced && (!std::strcmp(forced, "proc") || !std::strcmp(forced, "off"))) {
    EXPECT_STREQ(c, forced);
  }
}

TEST(cm_observe, items_sleeping_in_nanosleep_overlap_on_one_cpu) {
  CMWQ_REQUIRE_CPUS(1);
  if (!observing()) GTEST_SKIP() << "CMWQ_CM_OBSERVE=off: unannotated sleeps are not observed";
  expect_sleepers_overlap();
}

// With observation off, nothing tells the pool: the same items run one at a time.
TEST(cm_observe, with_observation_off_unannotated_sleepers_run_one_at_a_time) {
  CMWQ_REQUIRE_CPUS(1);
  if (observing()) GTEST_SKIP() << "only under CMWQ_CM_OBSERVE=off";
  thresh_guard thresh(0);
  auto q = cmwq::builder::percpu().build("cmo-off");
  ASSERT_TRUE(q);
  meter m;
  auto items = metered_items(3, m, [] { plain_sleep(5ms); });
  run_on_cpu_a(q.ref(), items);
  EXPECT_EQ(m.max(), 1);
}

TEST(cm_observe, spinning_items_never_overlap_on_one_cpu) {
  CMWQ_REQUIRE_CPUS(1);
  auto q = cmwq::builder::percpu().build("cmo-spin");
  ASSERT_TRUE(q);
  meter m;
  auto items = metered_items(k_spinners, m, [] { burn_cpu_ms(k_spin_ms); });
  run_on_cpu_a(q.ref(), items);
  EXPECT_EQ(m.max(), 1);
}

// A worker preempted by a busy thread on its CPU is runnable, not asleep: the item queued behind
// it waits until it ends (hog detection is off, so nothing else may let B in).
TEST(cm_observe, preempted_worker_is_not_counted_as_sleeping) {
  CMWQ_REQUIRE_CPUS(1);
  thresh_guard thresh(0);
  auto q = cmwq::builder::percpu().build("cmo-preempt");
  ASSERT_TRUE(q);
  std::atomic<bool> stop{false};
  std::thread rival([&] {
    cpu_pin pin(cpu_a());
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  span a, b;
  cmwq::work wa{[&] {
    a.begin();
    burn_cpu_ms(150);  // thread CPU time: shares its CPU with the rival, so it is preempted often
    a.finish();
  }};
  cmwq::work wb{[&] { b.begin(); }};
  {
    cpu_pin pin(cpu_a());
    ASSERT_TRUE(pin.ok());
    ASSERT_TRUE(q->enqueue(wa));
    ASSERT_TRUE(wait_until([&] { return a.started(); }));
    ASSERT_TRUE(q->enqueue(wb));
  }
  q->flush();
  stop.store(true);
  rival.join();
  EXPECT_GE(b.start.load(), a.end.load()) << "B started while A was only preempted";
}

// A sleep announced (blocking_scope) and seen by the scheduler or the sampler takes the worker
// out of nr_running once: the spinners queued behind it still run one at a time. Counted twice,
// nr_running would drop below the truth and they would overlap.
TEST(cm_observe, sleep_seen_by_hook_and_observer_is_counted_once) {
  CMWQ_REQUIRE_CPUS(1);
  auto q = cmwq::builder::percpu().build("cmo-once");
  ASSERT_TRUE(q);
  meter spinners;
  std::vector<std::unique_ptr<cmwq::work>> items;
  items.push_back(std::make_unique<cmwq::work>([&] {
    cmwq::blocking_scope blocking;
    plain_sleep(60ms);
  }));
  for (auto& w : metered_items(2 * k_spinners, spinners, [] { burn_cpu_ms(k_spin_ms); }))
    items.push_back(std::move(w));
  run_on_cpu_a(q.ref(), items);
  EXPECT_EQ(spinners.max(), 1);
}

// Kernel fidelity: with PF_WQ_WORKER cleared, a worker's sleep wakes nobody (B waits); set
// again, the next sleep hands the CPU on (B starts during it).
TEST(cm_observe, clearing_pf_wq_worker_hides_a_sleep) {
  CMWQ_REQUIRE_CPUS(1);
  if (!observing()) GTEST_SKIP() << "CMWQ_CM_OBSERVE=off: unannotated sleeps are not observed";
  thresh_guard thresh(0);
  auto q = cmwq::builder::percpu().build("cmo-pfwq");
  ASSERT_TRUE(q);
  span b;
  std::atomic<bool> flag_was_set{false}, b_during_hidden{false}, b_during_visible{false};
  cmwq::work wa{[&] {
    task_struct* me = get_current();  // C++ has no _Atomic: change the flags with builtins
    flag_was_set.store(__atomic_load_n(&me->flags, __ATOMIC_RELAXED) & PF_WQ_WORKER);
    __atomic_fetch_and(&me->flags, ~PF_WQ_WORKER, __ATOMIC_RELAXED);
    plain_sleep(60ms);
    b_during_hidden.store(b.started());
    __atomic_fetch_or(&me->flags, PF_WQ_WORKER, __ATOMIC_RELAXED);
    const auto until = std::chrono::steady_clock::now() + k_deadline;
    while (!b.started() && std::chrono::steady_clock::now() < until) plain_sleep(5ms);
    b_during_visible.store(b.started());
  }};
  cmwq::work wb{[&] { b.begin(); }};
  cmwq::work* const a_then_b[] = {&wa, &wb};
  run_on_cpu_a(q.ref(), a_then_b);
  EXPECT_TRUE(flag_was_set.load()) << "a worker starts with PF_WQ_WORKER";
  EXPECT_FALSE(b_during_hidden.load()) << "a sleep without PF_WQ_WORKER woke another worker";
  EXPECT_TRUE(b_during_visible.load()) << "a sleep with PF_WQ_WORKER did not hand the CPU on";
}

// The CPU-hog rule (5.8) follows PF_WQ_WORKER too: the kernel's tick hook runs only for tasks
// that have it. A worker that clears it and burns the CPU keeps its CPU's other items waiting.
TEST(cm_observe, clearing_pf_wq_worker_hides_a_cpu_hog) {
  CMWQ_REQUIRE_CPUS(1);
  thresh_guard thresh(2000);  // 2 ms: the burn below is ten times that
  auto q = cmwq::builder::percpu().build("cmo-pfhog");
  ASSERT_TRUE(q);
  span b;
  std::atomic<bool> b_during_hidden{false};
  cmwq::work wa{[&] {
    task_struct* me = get_current();
    __atomic_fetch_and(&me->flags, ~PF_WQ_WORKER, __ATOMIC_RELAXED);
    burn_cpu_ms(20);
    b_during_hidden.store(b.started());
    __atomic_fetch_or(&me->flags, PF_WQ_WORKER, __ATOMIC_RELAXED);
  }};
  cmwq::work wb{[&] { b.begin(); }};
  cmwq::work* const a_then_b[] = {&wa, &wb};
  run_on_cpu_a(q.ref(), a_then_b);
  EXPECT_FALSE(b_during_hidden.load()) << "a CPU hog without PF_WQ_WORKER let another worker start";
  EXPECT_TRUE(b.started());
}

TEST(cm_observe, current_describes_the_calling_thread) {
  task_struct* me = get_current();
  EXPECT_EQ(me->pid, gettid_());
  EXPECT_EQ(me->flags & PF_WQ_WORKER, 0u) << "a test thread is no worker";
  EXPECT_EQ(get_current(), me);
  auto q = cmwq::builder::percpu().build("cmo-comm");
  ASSERT_TRUE(q);
  std::string comm;
  cmwq::work w{[&] { comm = get_current()->comm; }};
  ASSERT_TRUE(q->enqueue(w));
  q->flush();
  EXPECT_EQ(comm.rfind("kworker/", 0), 0u) << comm;
}

// --- settings read once per process: run in a child -----------------------------------------

bool child_with(const char* value_of_env) {
  const char* v = std::getenv("CMWQ_CM_OBSERVE_TEST_CHILD");
  return v && !std::strcmp(v, value_of_env);
}

TEST(cm_observe_child, bad_value) {
  if (!child_with("bad")) GTEST_SKIP() << "run by cm_observe.bad_value_warns_and_keeps_the_default";
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  EXPECT_NE(cmwq::cm_observe(), cmwq::cm_observer::off);
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
  EXPECT_EQ(log.count_lines_with({"CMWQ_CM_OBSERVE=bogus", "perf, proc, off"}), 1u) << log.joined();
  (void)cmwq::cm_observe();
  EXPECT_EQ(cmwq_warn_count(), warns + 1) << "warned twice";
}

TEST(cm_observe_child, perf_refused) {
  if (!child_with("refused")) GTEST_SKIP() << "run by cm_observe.perf_open_refused_falls_back_to_proc";
  log_capture log;
  EXPECT_EQ(cmwq::cm_observe(), cmwq::cm_observer::proc);
  expect_sleepers_overlap();
  EXPECT_GT(cmwq_fault_injected("perf_open"), 0ul);
  EXPECT_EQ(log.count("perf_event_open refused"), 1u) << log.joined();
}

// Runs this binary again with CMWQ_CM_OBSERVE_TEST_CHILD=@mode and @env=@value.
// The child starts from the default mechanism whatever this process was given (read once, at
// start-up: changing the environment now changes nothing here).
int rerun(const char* mode, const char* env, const char* value, const char* filter) {
  const char* forced = std::getenv("CMWQ_CM_OBSERVE");
  const std::string saved = forced ? forced : "";
  unsetenv("CMWQ_CM_OBSERVE");
  setenv("CMWQ_CM_OBSERVE_TEST_CHILD", mode, 1);
  const int rc = child_run::rerun_self(env, value, filter);
  unsetenv("CMWQ_CM_OBSERVE_TEST_CHILD");
  if (forced) setenv("CMWQ_CM_OBSERVE", saved.c_str(), 1);
  return rc;
}

TEST(cm_observe, bad_value_warns_and_keeps_the_default) {
  EXPECT_EQ(rerun("bad", "CMWQ_CM_OBSERVE", "bogus", "cm_observe_child.bad_value"), 0);
}

TEST(cm_observe, perf_open_refused_falls_back_to_proc_with_one_note) {
  CMWQ_REQUIRE_CPUS(1);
  EXPECT_EQ(rerun("refused", "CMWQ_FAULT_INJECT", "perf_open", "cm_observe_child.perf_refused"), 0);
}

}  // namespace
