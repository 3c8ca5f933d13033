// tests/fault_test.cpp - fault injection (docs/faults.md): the spec and its counters, and what
// each fault point does to the library. Every test that injects asserts that the fault really
// happened (a counter above zero), so that none can pass without its fault.
//
//   fault_spec         the spec syntax, probability / interval / times, bad specs
//   fault_env          CMWQ_FAULT_INJECT, in a child process that starts with it
//   fault_wq_alloc     every allocation of alloc_workqueue() failing in turn: NULL, nothing leaks
//   fault_slab         kmalloc() and friends: NULL, accounting untouched
//   fault_worker_create  a burst of blocking items completes while creation fails half the time;
//                      the mayday timer stops once creation works again
//   fault_timer_stall  delayed work fires late but exactly once; cancel and flush stay exact
//   spurious_wakeups   every wait returns from its sleep at once: results stay exact
//   signals            SIGURG storms on the waiting threads: waits are neither cut short nor lost
//   fault_cxx          the C++ face: cmwq::fault, try_spawn, builder::build
#include <cmwq/cmwq.hpp>

#include <functional>

#include "child_run.hpp"  // before the kernel-style headers: it includes system headers
#include "capi_support.hpp"
#include "core/futex.hpp"
#include "core/timer_wheel.hpp"

#include <linux/device.h>
#include <linux/fault-inject.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/wait.h>

namespace {

using namespace capi;

constexpr int kProbabilityCalls = 20000;   // kmalloc calls to estimate a probability
constexpr int kBurstItems = 20;            // blocking items that need a worker each
constexpr int kSpawns = 1000;              // try_spawn calls under a 30% failure rate
constexpr int kMutexThreads = 4, kMutexRounds = 2000;
constexpr unsigned kStallUs = 50'000;      // one timer-thread stall in the timer tests

// Applies a spec for the scope of a test, then turns every point off again.
struct fault_guard {
  explicit fault_guard(const char* spec) { EXPECT_EQ(cmwq_fault_inject(spec), 0) << spec; }
  ~fault_guard() { cmwq_fault_reset(); }
  fault_guard(const fault_guard&) = delete;
  fault_guard& operator=(const fault_guard&) = delete;
};

// kmalloc(16) succeeded? Frees what it got.
bool kmalloc_works(gfp_t gfp = GFP_KERNEL) {
  void* p = kmalloc(16, gfp);
  const bool got = p != nullptr;
  kfree(p);
  return got;
}

// Which of `n` kmalloc calls failed.
std::vector<int> failing_kmallocs(int n) {
  std::vector<int> failed;
  for (int i = 0; i < n; i++)
    if (!kmalloc_works()) failed.push_back(i);
  return failed;
}

// Runs fn on a thread; done() says whether it has returned. The destructor joins.
class background {
 public:
  explicit background(std::function<void()> fn)
      : t_([this, fn = std::move(fn)] {
          fn();
          done_.store(true);
        }) {}
  ~background() { t_.join(); }
  bool done() const { return done_.load(); }
  bool wait_done(ms limit = kDeadline) const { return wait_until([this] { return done(); }, limit, "background call"); }

 private:
  std::atomic<bool> done_{false};
  std::thread t_;
};

// --- the spec ----------------------------------------------------------------------------------

TEST(fault_spec, named_point_fails_every_call_until_reset) {
  {
    fault_guard f("slab");
    EXPECT_FALSE(kmalloc_works());
    EXPECT_EQ(kzalloc(8, GFP_KERNEL), nullptr);
    EXPECT_EQ(cmwq_fault_injected("slab"), 2ul);
  }
  EXPECT_TRUE(kmalloc_works());
  EXPECT_EQ(cmwq_fault_injected("slab"), 0ul);
}

TEST(fault_spec, times_limits_the_number_of_failures) {
  fault_guard f("slab:times=2");
  EXPECT_EQ(failing_kmallocs(5), (std::vector<int>{0, 1}));
  EXPECT_EQ(cmwq_fault_injected("slab"), 2ul);
}

TEST(fault_spec, interval_makes_only_every_nth_call_eligible) {
  fault_guard f("slab:interval=3");
  EXPECT_EQ(failing_kmallocs(9), (std::vector<int>{2, 5, 8}));
}

TEST(fault_spec, probability_fails_about_that_share_of_calls) {
  fault_guard f("slab:probability=25");
  const auto failed = failing_kmallocs(kProbabilityCalls);
  // Expected 5000, standard deviation about 61: these bounds are 16 deviations wide.
  EXPECT_GT(failed.size(), 4000u);
  EXPECT_LT(failed.size(), 6000u);
  EXPECT_EQ(cmwq_fault_injected("slab"), failed.size());
}

TEST(fault_spec, fractional_probability_is_accepted) {
  fault_guard f("slab:probability=0.5");
  const auto failed = failing_kmallocs(kProbabilityCalls);
  EXPECT_GT(failed.size(), 40u);  // expected 100, deviation 10
  EXPECT_LT(failed.size(), 200u);
}

TEST(fault_spec, several_points_and_every_separator) {
  fault_guard f(" slab:times=1;devres , spawn_alloc:probability=0\t");
  EXPECT_FALSE(kmalloc_works());
  EXPECT_TRUE(kmalloc_works());
  struct device* dev = cmwq_device_new("fault-sep");
  EXPECT_EQ(devm_kzalloc(dev, 8, GFP_KERNEL), nullptr);
  cmwq_device_free(dev);
  EXPECT_EQ(cmwq_fault_injected("devres"), 1ul);
}

TEST(fault_spec, naming_a_point_again_resets_its_settings_and_counter) {
  fault_guard f("slab:times=1");
  EXPECT_FALSE(kmalloc_works());
  EXPECT_TRUE(kmalloc_works());
  ASSERT_EQ(cmwq_fault_inject("slab:times=1"), 0);
  EXPECT_EQ(cmwq_fault_injected("slab"), 0ul);
  EXPECT_FALSE(kmalloc_works());
  EXPECT_EQ(cmwq_fault_injected("slab"), 1ul);
}

TEST(fault_spec, off_turns_every_point_off) {
  fault_guard f("slab,devres");
  ASSERT_EQ(cmwq_fault_inject("off"), 0);
  EXPECT_TRUE(kmalloc_works());
  EXPECT_EQ(cmwq_fault_injected("slab"), 0ul);
}

TEST(fault_spec, nofail_allocations_never_fail) {
  fault_guard f("slab");
  EXPECT_TRUE(kmalloc_works(GFP_KERNEL | __GFP_NOFAIL));
  EXPECT_EQ(cmwq_fault_injected("slab"), 0ul);
}

TEST(fault_spec, bad_specs_are_rejected_with_a_reason_and_change_nothing) {
  const struct {
    const char* spec;
    const char* reason;
  } bad[] = {
      {"nosuch", "unknown fault point 'nosuch'"},
      {"slab,nosuch", "unknown fault point 'nosuch'"},  // all or nothing: slab stays off
      {"slab:probability=101", "slab:probability=101: expected a percentage from 0 to 100"},
      {"slab:probability=abc", "slab:probability=abc: expected a percentage"},
      {"slab:interval=0", "slab:interval=0: expected a whole number >= 1"},
      {"slab:times=-2", "slab:times=-2: expected -1 (no limit)"},
      {"slab:times=1.5", "slab:times=1.5: expected -1 (no limit)"},
      {"slab:verbose=2", "slab:verbose=2: expected 0 or 1"},
      {"slab:delay_us=5", "slab:delay_us: unknown key"},
      {"timer_stall:period_us=5", "timer_stall:period_us: unknown key"},
      {"signal:period_us=1", "signal:period_us=1: expected microseconds from 10"},
      {"slab:verbose", "'verbose' is not key=value"},
      {"off:verbose=1", "off takes no keys"},
      {nullptr, "NULL spec"},
  };
  for (const auto& b : bad) {
    log_capture log;
    const unsigned long warnings = cmwq_warn_count();
    EXPECT_EQ(cmwq_fault_inject(b.spec), -EINVAL) << (b.spec ? b.spec : "NULL");
    EXPECT_TRUE(log.contains(std::string("fault injection: ") + b.reason)) << log.all();
    EXPECT_EQ(cmwq_warn_count(), warnings) << "a bad spec is an error value, not a WARNING";
    EXPECT_TRUE(kmalloc_works()) << "a rejected spec changed something: " << (b.spec ? b.spec : "NULL");
  }
}

TEST(fault_spec, unknown_point_counts_nothing) { EXPECT_EQ(cmwq_fault_injected("nosuch"), 0ul); }

TEST(fault_spec, verbose_logs_each_injected_failure) {
  fault_guard f("slab:times=2:verbose=1");
  log_capture log;
  EXPECT_EQ(failing_kmallocs(3).size(), 2u);
  EXPECT_EQ(log.count("FAULT_INJECTION: forcing a failure at slab"), 2);
}

// --- CMWQ_FAULT_INJECT -------------------------------------------------------------------------

int run_child_with_spec(const std::string& spec, const std::string& filter) {
  return child_run::rerun_self("CMWQ_FAULT_INJECT", spec, filter);
}

// The spec in the environment, or nullptr when this is not the child run.
const char* child_spec() { return std::getenv("CMWQ_FAULT_INJECT"); }

TEST(fault_env, spec_from_the_environment_is_applied_at_start) {
  if (child_spec()) GTEST_SKIP() << "the parent run only";
  EXPECT_EQ(run_child_with_spec("slab:times=1,wq_alloc", "fault_env.child_applies_the_spec"), 0)
      << "the child run failed (output above)";
}

TEST(fault_env, bad_spec_in_the_environment_warns_and_is_ignored) {
  if (child_spec()) GTEST_SKIP() << "the parent run only";
  EXPECT_EQ(run_child_with_spec("slab,bogus-point", "fault_env.child_warns_about_a_bad_spec"), 0)
      << "the child run failed (output above)";
}

void note_ran(struct work_struct*) {}

TEST(fault_env, child_applies_the_spec) {
  const char* spec = child_spec();
  if (!spec) GTEST_SKIP() << "only in the child run with CMWQ_FAULT_INJECT set";
  ASSERT_STREQ(spec, "slab:times=1,wq_alloc");
  EXPECT_FALSE(kmalloc_works());
  EXPECT_TRUE(kmalloc_works());
  EXPECT_EQ(cmwq_fault_injected("slab"), 1ul);
  // wq_alloc fails every queue a caller allocates, but never a system queue (created on first
  // use, here under the fault): those could not be retried.
  EXPECT_EQ(alloc_workqueue("fault-env", WQ_UNBOUND, 0), nullptr);
  struct work_struct w;
  INIT_WORK(&w, note_ran);
  EXPECT_TRUE(queue_work(system_long_wq, &w));
  EXPECT_TRUE(flush_work(&w) || !work_pending(&w));
  EXPECT_GE(cmwq_fault_injected("wq_alloc"), 1ul);
}

TEST(fault_env, child_warns_about_a_bad_spec) {
  const char* spec = child_spec();
  if (!spec) GTEST_SKIP() << "only in the child run with CMWQ_FAULT_INJECT set";
  log_capture log;
  const unsigned long warnings = cmwq_warn_count();
  EXPECT_TRUE(kmalloc_works()) << "a bad spec must change nothing, its valid part included";
  EXPECT_TRUE(log.contains("CMWQ_FAULT_INJECT=\"slab,bogus-point\" ignored: unknown fault point 'bogus-point'"))
      << log.all();
  EXPECT_EQ(cmwq_warn_count(), warnings + 1);
}

// --- wq_alloc ----------------------------------------------------------------------------------

struct flavour {
  const char* name;
  unsigned flags;
  bool ordered;
  int min_sites;  // allocations that can fail at the least (pwqs, rescuer and its thread)
};

struct workqueue_struct* alloc_flavour(const flavour& f) {
  return f.ordered ? alloc_ordered_workqueue("%s", f.flags, f.name) : alloc_workqueue("%s", f.flags, 0, f.name);
}

// Fails the 1st, 2nd, 3rd, ... allocation of alloc_workqueue() until one call gets through:
// every failure returns NULL, leaves the live queue count and the rescuer threads as they were,
// and (ASan's leak check) frees what the call had made so far. A reclaim queue says which part
// of its rescuer failed.
TEST(fault_wq_alloc, each_failure_site_returns_null_and_leaks_nothing) {
  const int ncpus = static_cast<int>(cpus().size());
  const flavour flavours[] = {
      {"fwq-percpu", WQ_PERCPU, false, ncpus},
      {"fwq-unbound", WQ_UNBOUND, false, 1},
      {"fwq-ordered", 0, true, 1},
      {"fwq-percpu-r", WQ_PERCPU | WQ_MEM_RECLAIM, false, ncpus + 2},
      {"fwq-unbound-r", WQ_UNBOUND | WQ_MEM_RECLAIM, false, 3},
  };
  for (const flavour& f : flavours) {
    log_capture log;
    int sites = 0;
    for (int k = 1; k < 64; k++) {
      const std::string spec = "wq_alloc:times=1:interval=" + std::to_string(k);
      fault_guard g(spec.c_str());
      const std::size_t live = cmwq_live_workqueues();
      struct workqueue_struct* wq = alloc_flavour(f);
      if (wq) {
        EXPECT_EQ(cmwq_fault_injected("wq_alloc"), 0ul) << f.name << ": a failure was injected, yet a queue came back";
        destroy_workqueue(wq);
        break;
      }
      sites++;
      EXPECT_EQ(cmwq_fault_injected("wq_alloc"), 1ul) << f.name << " failed without an injected fault";
      EXPECT_EQ(cmwq_live_workqueues(), live) << f.name << ": a failed allocation left a queue behind";
      EXPECT_FALSE(thread_named(std::string("kworker/R-") + f.name)) << f.name << ": a rescuer was left behind";
    }
    EXPECT_GE(sites, f.min_sites) << f.name;
    if (f.flags & WQ_MEM_RECLAIM) {
      EXPECT_TRUE(log.contains(std::string("workqueue: Failed to allocate a rescuer for wq \"") + f.name + "\""));
      EXPECT_TRUE(log.contains(std::string("workqueue: Failed to create a rescuer kthread for wq \"") + f.name + "\""));
    }
  }
}

TEST(fault_wq_alloc, devm_alloc_workqueue_returns_null_and_registers_nothing) {
  struct device* dev = cmwq_device_new("fault-devm");
  const std::size_t outstanding = cmwq_devres_outstanding();
  {
    fault_guard g("wq_alloc");
    EXPECT_EQ(devm_alloc_workqueue(dev, "fault-devm", WQ_UNBOUND, 0), nullptr);
    EXPECT_GE(cmwq_fault_injected("wq_alloc"), 1ul);
  }
  EXPECT_EQ(cmwq_devres_outstanding(), outstanding);
  cmwq_device_free(dev);
}

// --- slab --------------------------------------------------------------------------------------

TEST(fault_slab, kmalloc_family_returns_null_and_accounts_nothing) {
  char* keep = static_cast<char*>(kmalloc(4, GFP_KERNEL));
  ASSERT_NE(keep, nullptr);
  std::memcpy(keep, "abc", 4);
  const std::size_t bytes = cmwq_kmalloc_outstanding_bytes(), allocs = cmwq_kmalloc_outstanding_allocs();
  struct device* dev = cmwq_device_new("fault-slab");
  {
    fault_guard g("slab");
    EXPECT_EQ(kmalloc(32, GFP_KERNEL), nullptr);
    EXPECT_EQ(kzalloc(32, GFP_ATOMIC), nullptr);
    EXPECT_EQ(kcalloc(4, 8, GFP_KERNEL), nullptr);
    EXPECT_EQ(kmalloc_array(4, 8, GFP_KERNEL), nullptr);
    EXPECT_EQ(kmemdup("xyz", 4, GFP_KERNEL), nullptr);
    EXPECT_EQ(kstrdup("xyz", GFP_KERNEL), nullptr);
    EXPECT_EQ(kvmalloc(32, GFP_KERNEL), nullptr);
    EXPECT_EQ(devm_kzalloc(dev, 32, GFP_KERNEL), nullptr);
    EXPECT_EQ(krealloc(keep, 64, GFP_KERNEL), nullptr);  // the old block stays as it was
    EXPECT_EQ(cmwq_fault_injected("slab"), 9ul);
  }
  EXPECT_STREQ(keep, "abc");
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes);
  EXPECT_EQ(cmwq_kmalloc_outstanding_allocs(), allocs);
  kfree(keep);
  cmwq_device_free(dev);
}

// --- worker_create -----------------------------------------------------------------------------

// Items that sleep need a worker each; with every other creation failing, the pool retries after
// CREATE_COOLDOWN (scaled down here) and every item still runs (5.6: no mem_reclaim needed).
TEST(fault_worker_create, blocking_burst_completes_while_creation_fails_half_the_time) {
  tunables_guard tg;
  cmwq_set_timeout_scale_permille(10);  // CREATE_COOLDOWN 10 ms
  owned_wq wq(alloc_workqueue("fault-burst", WQ_PERCPU | WQ_HIGHPRI, 0));
  probes items(kBurstItems);
  fault_guard g("worker_create:probability=50");
  for (auto& p : items) {
    p.gated = true;
    ASSERT_TRUE(queue_work_on(cpu0(), wq, &p.work));
  }
  EXPECT_TRUE(wait_until([&] { return std::all_of(items.begin(), items.end(), [](probe& p) { return p.runs.load() == 1; }); },
                         kDeadline, "every blocked item to get a worker"));
  for (auto& p : items) p.open();
  flush_workqueue(wq);
  for (auto& p : items) EXPECT_EQ(p.ends.load(), 1);
  EXPECT_GT(cmwq_fault_injected("worker_create"), 0ul);
}

// Queues gated items on @wq from CPU @cpu until one does not start: every worker of the pool is
// blocked and, with creation failing, its manager is stuck trying. False if it never happened.
bool saturate_pool(struct workqueue_struct* wq, int cpu, probes& items) {
  for (auto& p : items) {
    p.gated = true;
    if (!queue_work_on(cpu, wq, &p.work)) return false;
    if (!p.wait_runs(1, 200ms)) return true;
  }
  return false;
}

// A manager that gives up on creating a worker stops the mayday timer with the _sync delete, as
// the kernel does: a mayday callback already running (here: stalled on its way in) re-arms the
// timer, and a plain delete would leave it firing every MAYDAY_INTERVAL for good.
TEST(fault_worker_create, mayday_timer_stops_when_creation_recovers) {
  tunables_guard tg;
  cmwq_set_timeout_scale_permille(100);  // MAYDAY_INTERVAL 10 ms
  owned_wq wq(alloc_workqueue("fault-mayday", WQ_PERCPU | WQ_HIGHPRI, 0));
  for (int round = 0; round < 4; round++) {
    probes items(64);
    ASSERT_EQ(cmwq_fault_inject("worker_create,timer_stall:delay_us=150000"), 0);
    ASSERT_TRUE(saturate_pool(wq, cpu0(), items)) << "could not occupy every worker";
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + 70 * round));  // somewhere in the stalls
    ASSERT_EQ(cmwq_fault_inject("worker_create:probability=0"), 0);
    for (auto& p : items) p.open();
    flush_workqueue(wq);
    cmwq_fault_reset();
    std::this_thread::sleep_for(500ms);  // a stalled callback finishes
    const std::uint64_t fired = cmwq::core::timer_get_stats().fired;
    std::this_thread::sleep_for(200ms);
    EXPECT_LT(cmwq::core::timer_get_stats().fired - fired, 5u) << "round " << round << ": a timer still fires";
  }
}

// --- timer_stall -------------------------------------------------------------------------------

std::string stall_spec(unsigned us) { return "timer_stall:delay_us=" + std::to_string(us); }

// Waits until the timer thread has entered one more stall than @before: it is stalled now (or
// has just come out of it), with the timer it woke for not yet run.
bool wait_for_stall(unsigned long before) {
  return wait_until([&] { return cmwq_fault_injected("timer_stall") > before; }, kDeadline, "a timer-thread stall");
}

TEST(fault_timer_stall, delayed_items_fire_late_but_exactly_once) {
  owned_wq wq(alloc_workqueue("fault-stall", WQ_UNBOUND, 0));
  probes items(8);
  fault_guard g(stall_spec(kStallUs).c_str());
  std::vector<std::int64_t> armed_at;
  for (std::size_t i = 0; i < items.size(); i++) {
    armed_at.push_back(now_us());
    ASSERT_TRUE(queue_delayed_work(wq, &items[i].dwork, i + 1));
  }
  for (auto& p : items) EXPECT_TRUE(p.wait_ends(1));
  EXPECT_TRUE(stays_false([&] { return std::any_of(items.begin(), items.end(), [](probe& p) { return p.runs.load() > 1; }); }));
  for (std::size_t i = 0; i < items.size(); i++) {
    EXPECT_EQ(items[i].runs.load(), 1);
    EXPECT_GE(items[i].first_start_us.load() - armed_at[i], static_cast<std::int64_t>(i + 1) * 1000 - 1000)
        << "fired before its delay";
  }
  EXPECT_GT(cmwq_fault_injected("timer_stall"), 0ul);
}

// Whether the timer thread is stalled after its wake-up or just before D's callback, a cancel
// either takes D before it runs (true, and it never runs) or finds it run (false, ran once).
TEST(fault_timer_stall, cancel_sync_of_a_stalled_timer_is_exact) {
  owned_wq wq(alloc_workqueue("fault-stall-c", WQ_UNBOUND, 0));
  fault_guard g(stall_spec(8 * kStallUs).c_str());
  int taken = 0;
  for (int round = 0; round < 5; round++) {
    probe d;
    const unsigned long stalls = cmwq_fault_injected("timer_stall");
    ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 1));
    ASSERT_TRUE(wait_for_stall(stalls));
    const bool cancelled = cancel_delayed_work_sync(&d.dwork);
    EXPECT_FALSE(delayed_work_pending(&d.dwork));
    if (cancelled) {
      taken++;
      EXPECT_TRUE(stays_false([&] { return d.runs.load() > 0; })) << "cancelled, yet it ran";
    } else {
      EXPECT_EQ(d.ends.load(), 1) << "not cancelled, yet it has not run";
    }
  }
  EXPECT_GT(taken, 0) << "no cancel came while the timer thread stalled";
  EXPECT_GT(cmwq_fault_injected("timer_stall"), 0ul);
}

// R16/R17: on return the instance has run. (The return value is racy here, as in the kernel:
// when the thread stalls just before D's callback, the timer is no longer armed, and D may have
// run and finished before flush_work() looks.)
TEST(fault_timer_stall, flush_delayed_work_returns_after_the_item_ran) {
  owned_wq wq(alloc_workqueue("fault-stall-f", WQ_UNBOUND, 0));
  fault_guard g(stall_spec(4 * kStallUs).c_str());
  for (int round = 0; round < 3; round++) {
    probe d;
    const unsigned long stalls = cmwq_fault_injected("timer_stall");
    ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 1 + round * 10));
    ASSERT_TRUE(wait_for_stall(stalls));
    flush_delayed_work(&d.dwork);
    EXPECT_EQ(d.ends.load(), 1);
  }
  EXPECT_GT(cmwq_fault_injected("timer_stall"), 0ul);
}

// --- waits under spurious wake-ups and under signals ---------------------------------------------
//
// The same checks run in both fixtures: a wait returns exactly when its condition holds (never
// before, and always after), whatever made its sleep end.

void wait_for_running_then_check_wait_holds(probe& p, std::function<void()> wait_call) {
  ASSERT_TRUE(p.wait_runs(1));
  background waiter(std::move(wait_call));
  EXPECT_TRUE(stays_false([&] { return waiter.done(); })) << "returned while the item still ran";
  p.open();
  EXPECT_TRUE(waiter.wait_done());
  EXPECT_EQ(p.ends.load(), 1);
}

void check_flush_work_waits(struct workqueue_struct* wq) {
  probe p;
  p.gated = true;
  ASSERT_TRUE(queue_work(wq, &p.work));
  wait_for_running_then_check_wait_holds(p, [&] { EXPECT_TRUE(flush_work(&p.work)); });
}

void check_cancel_sync_waits(struct workqueue_struct* wq) {
  probe p;
  p.gated = true;
  ASSERT_TRUE(queue_work(wq, &p.work));
  wait_for_running_then_check_wait_holds(p, [&] { EXPECT_FALSE(cancel_work_sync(&p.work)); });
}

void check_completion_waits() {
  struct completion c;
  init_completion(&c);
  background waiter([&] { wait_for_completion(&c); });
  EXPECT_TRUE(stays_false([&] { return waiter.done(); })) << "returned before complete()";
  complete(&c);
  EXPECT_TRUE(waiter.wait_done());
}

void check_timeouts_run_their_full_time() {
  struct completion c;
  init_completion(&c);
  std::int64_t t0 = now_us();
  EXPECT_EQ(wait_for_completion_timeout(&c, msecs_to_jiffies(50)), 0ul);
  EXPECT_GE(now_us() - t0, 49'000);
  DECLARE_WAIT_QUEUE_HEAD(wqh);
  t0 = now_us();
  EXPECT_EQ(wait_event_timeout(wqh, false, msecs_to_jiffies(50)), 0);
  EXPECT_GE(now_us() - t0, 49'000);
  t0 = now_us();
  msleep(50);
  EXPECT_GE(now_us() - t0, 50'000);
}

// `contended`: true once a thread waits on the mutex under the fault. The threads start behind
// the held mutex until then: left to themselves on a loaded machine, they could run one after the
// other, never wait on the futex, and the fault would never reach the mutex.
void check_mutex_excludes(const std::function<bool()>& contended) {
  DEFINE_MUTEX(m);
  long counter = 0;
  std::vector<std::thread> threads;
  mutex_lock(&m);
  for (int t = 0; t < kMutexThreads; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < kMutexRounds; i++) {
        mutex_lock(&m);
        const long v = counter;
        if (i % 64 == 0) std::this_thread::yield();  // hold it a while: contention, sleepers
        counter = v + 1;
        mutex_unlock(&m);
      }
    });
  EXPECT_TRUE(wait_until(contended, kDeadline, "a thread waiting on the mutex under the fault"));
  mutex_unlock(&m);
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, static_cast<long>(kMutexThreads) * kMutexRounds);
}

void check_workers_and_rescuer(int items) {
  struct workqueue_struct* wq = alloc_workqueue("fault-wait-r", WQ_PERCPU | WQ_MEM_RECLAIM, 0);
  ASSERT_NE(wq, nullptr);
  probes ps(static_cast<std::size_t>(items));
  for (auto& p : ps) {
    p.sleep_ms = 1;
    ASSERT_TRUE(queue_work(wq, &p.work));
  }
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 2));
  EXPECT_TRUE(d.wait_ends(1));
  destroy_workqueue(wq);  // drains, then waits for the rescuer to exit
  for (auto& p : ps) EXPECT_EQ(p.ends.load(), 1);
}

class spurious_wakeups : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(cmwq_fault_inject("spurious_wakeup"), 0); }
  void TearDown() override {
    EXPECT_GT(cmwq_fault_injected("spurious_wakeup"), 0ul);
    cmwq_fault_reset();
  }
  owned_wq wq_{alloc_workqueue("fault-spurious", WQ_UNBOUND, 0)};
};

TEST_F(spurious_wakeups, flush_work_waits_for_the_running_instance) { check_flush_work_waits(wq_); }
TEST_F(spurious_wakeups, cancel_work_sync_waits_for_the_running_instance) { check_cancel_sync_waits(wq_); }
TEST_F(spurious_wakeups, completion_wait_returns_only_when_completed) { check_completion_waits(); }
TEST_F(spurious_wakeups, timeouts_run_their_full_time) { check_timeouts_run_their_full_time(); }
TEST_F(spurious_wakeups, mutex_excludes) {
  check_mutex_excludes([] { return cmwq_fault_injected("spurious_wakeup") > 0; });
}
TEST_F(spurious_wakeups, workers_timers_and_rescuer_exit_stay_exact) { check_workers_and_rescuer(50); }

class signals : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cmwq_fault_inject("signal:period_us=200"), 0);
    interrupted_ = cmwq::core::futex_interrupted_waits();
    ASSERT_TRUE(wait_until([] { return cmwq_fault_injected("signal") > 0; }, kDeadline, "the first signal"));
  }
  void TearDown() override { cmwq_fault_reset(); }
  // Waits of this process that a signal has interrupted since SetUp.
  std::uint64_t interrupted() const { return cmwq::core::futex_interrupted_waits() - interrupted_; }
  owned_wq wq_{alloc_workqueue("fault-signals", WQ_UNBOUND, 0)};
  std::uint64_t interrupted_ = 0;
};

TEST_F(signals, flush_work_waits_for_the_running_instance) {
  check_flush_work_waits(wq_);
  EXPECT_GT(interrupted(), 0u) << "no wait was interrupted: the test proved nothing";
}
TEST_F(signals, cancel_work_sync_waits_for_the_running_instance) {
  check_cancel_sync_waits(wq_);
  EXPECT_GT(interrupted(), 0u);
}
TEST_F(signals, completion_wait_returns_only_when_completed) {
  check_completion_waits();
  EXPECT_GT(interrupted(), 0u);
}
TEST_F(signals, timeouts_run_their_full_time) {
  check_timeouts_run_their_full_time();
  EXPECT_GT(interrupted(), 0u);
}
TEST_F(signals, mutex_excludes) {
  const std::uint64_t before = interrupted();
  check_mutex_excludes([&] { return interrupted() > before; });
}
TEST_F(signals, workers_timers_and_rescuer_exit_stay_exact) { check_workers_and_rescuer(50); }

// --- the C++ face ------------------------------------------------------------------------------

TEST(fault_cxx, inject_rejects_a_bad_spec_with_invalid_argument) {
  log_capture log;
  EXPECT_EQ(cmwq::fault::inject("spawn_alloc:times=x"), std::make_error_code(std::errc::invalid_argument));
  EXPECT_TRUE(log.contains("fault injection: spawn_alloc:times=x: expected"));
  EXPECT_FALSE(cmwq::fault::inject("spawn_alloc:times=0"));
  EXPECT_EQ(cmwq::fault::injected("spawn_alloc"), 0u);
  EXPECT_EQ(cmwq::fault::injected("nosuch"), 0u);
  cmwq::fault::reset();
}

TEST(fault_cxx, try_spawn_fails_exactly_as_often_as_injected) {
  auto q = cmwq::builder::unbound().build("fault-spawn");
  ASSERT_TRUE(q);
  ASSERT_FALSE(cmwq::fault::inject("spawn_alloc:probability=30"));
  std::atomic<int> runs{0};
  int errors = 0;
  for (int i = 0; i < kSpawns; i++) {
    const std::error_code ec = q->try_spawn([&runs] { runs.fetch_add(1); });
    if (ec) {
      EXPECT_EQ(ec, std::make_error_code(std::errc::not_enough_memory));
      errors++;
    }
  }
  q->flush();
  EXPECT_EQ(static_cast<std::uint64_t>(errors), cmwq::fault::injected("spawn_alloc"));
  EXPECT_GT(errors, 0);
  EXPECT_EQ(runs.load(), kSpawns - errors);
  cmwq::fault::reset();
}

TEST(fault_cxx, build_reports_not_enough_memory) {
  ASSERT_FALSE(cmwq::fault::inject("wq_alloc"));
  std::error_code ec;
  auto q = cmwq::builder::percpu().mem_reclaim().build("fault-build", ec);
  cmwq::fault::reset();
  EXPECT_FALSE(q);
  EXPECT_EQ(ec, std::make_error_code(std::errc::not_enough_memory));
  auto again = cmwq::builder::percpu().mem_reclaim().build("fault-build", ec);
  EXPECT_TRUE(again);
  EXPECT_FALSE(ec);
}

}  // namespace
