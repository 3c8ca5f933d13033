// tests/observe_test.cpp - statistics, dumps and the lockup watchdog (docs/observability.md).
//
// The work functions whose names the dumps must print have C linkage and external visibility;
// this executable is linked with ENABLE_EXPORTS (-rdynamic) so that dladdr() can name them.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <string>
#include <vector>

#include "child_run.hpp"
#include "core/observe.hpp"
#include "test_support.hpp"

using namespace cmwq_test;

namespace {

std::atomic<gate*> g_blocked_gate{nullptr};  // the test's gate (gates are one-shot)
std::atomic<pid_t> g_blocked_tid{0};

}  // namespace

extern "C" void observe_test_blocked_fn(struct work_struct*) {
  g_blocked_tid.store(gettid_(), std::memory_order_release);
  set_worker_desc("blocked-%d", 7);
  g_blocked_gate.load()->wait();
}
extern "C" void observe_test_waiting_fn(struct work_struct*) {}

namespace {

// --- statistics (6.4) ------------------------------------------------------------------------------

TEST(observe_stats, add_up_over_a_known_workload) {
  // 4 items block on a gate (max_active 4), 6 more wait inactive; then all 10 run.
  cmwq::owned_queue q = cmwq::builder::unbound().max_active(4).build("obs_stats");
  ASSERT_TRUE(q);
  gate g;
  gate_opener opener{g};
  std::atomic<int> ran{0};
  std::vector<std::unique_ptr<cmwq::work>> items;
  for (int i = 0; i < 10; i++) {
    items.push_back(std::make_unique<cmwq::work>([&] {
      g.wait();
      ran.fetch_add(1);
    }));
    ASSERT_TRUE(q->enqueue(*items.back()));
  }
  cmwq::queue_stats s{};
  CMWQ_ASSERT_WITHIN((q->stats(&s), s.in_flight == 4), k_deadline);
  EXPECT_EQ(s.started, 4u);
  EXPECT_EQ(s.completed, 0u);
  EXPECT_EQ(s.nr_active, 4);
  EXPECT_EQ(s.nr_inactive, 6);
  EXPECT_EQ(s.max_active, 4);
  EXPECT_TRUE(s.flags & WQ_UNBOUND);

  // The pools agree: at least four workers are running items of this queue.
  int running = 0;
  for (const cmwq::pool_stats& p : cmwq::pools()) {
    EXPECT_GE(p.workers, p.idle + p.running) << "pool " << p.id;
    if (p.cpu < 0) {
      EXPECT_EQ(p.nr_running, 0) << "unbound pools are not concurrency-managed";
    }
    running += p.running;
  }
  EXPECT_GE(running, 4);

  g.open();
  q->flush();
  ASSERT_EQ(ran.load(), 10);
  ASSERT_TRUE(q->stats(&s));
  EXPECT_EQ(s.started, 10u);
  EXPECT_EQ(s.completed, 10u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.nr_active + s.nr_inactive, 0);
  EXPECT_EQ(s.mayday + s.rescued, 0u) << "no rescuer on this queue";
}

TEST(observe_stats, cpu_time_hogs_and_cm_wakeups_are_counted) {
  CMWQ_REQUIRE_CPUS(1);
  thresh_guard thresh(5000);  // 5 ms makes an item a CPU hog
  cmwq::owned_queue q = cmwq::builder::percpu().build("obs_percpu");
  ASSERT_TRUE(q);
  // A hog on one CPU, then an item that blocks with another waiting behind it: the blocking
  // one hands the CPU on (a concurrency-management wake-up).
  cmwq::work hog([] { burn_cpu_ms(30); });
  gate g;
  gate_opener opener{g};
  std::atomic<bool> follower_queued{false};
  cmwq::work blocker([&] {
    spin_until([&] { return follower_queued.load(); }, k_deadline);  // block only with one waiting
    g.wait();
  });
  std::atomic<bool> follower_ran{false};
  cmwq::work follower([&] { follower_ran = true; });
  ASSERT_TRUE(q->enqueue_on(cpu_a(), hog));
  q->flush();
  ASSERT_TRUE(q->enqueue_on(cpu_a(), blocker));
  ASSERT_TRUE(q->enqueue_on(cpu_a(), follower));
  follower_queued = true;
  CMWQ_ASSERT_WITHIN(follower_ran.load(), k_deadline);
  g.open();
  q->flush();
  cmwq::queue_stats s{};
  ASSERT_TRUE(q->stats(&s));
  EXPECT_EQ(s.started, 3u);
  EXPECT_EQ(s.completed, 3u);
  EXPECT_GE(s.cpu_time_us, 5000u) << "the hog's 30 ms are sampled";
  EXPECT_GE(s.cpu_intensive, 1u);
  EXPECT_GE(s.cm_wakeup, 1u);
}

TEST(observe_stats, c_calls_list_queues_and_pools) {
  struct workqueue_struct* wq = alloc_workqueue("obs_c_%d", WQ_UNBOUND, 2, 5);
  ASSERT_NE(wq, nullptr);
  flush_workqueue(system_wq);  // system queues are created on first use
  std::vector<struct workqueue_struct*> all(cmwq_list_workqueues(nullptr, 0) + 8);
  all.resize(std::min(all.size(), cmwq_list_workqueues(all.data(), all.size())));
  bool found = false;
  for (struct workqueue_struct* h : all) {
    struct cmwq_wq_stats_ext s{};
    if (cmwq_workqueue_stats_ext(h, &s) != 0) continue;  // destroyed since the list was taken
    if (std::string(s.name) == "obs_c_5") {
      found = h == wq;
      EXPECT_EQ(s.base.max_active, 2);
      EXPECT_EQ(s.flags & WQ_UNBOUND, static_cast<unsigned>(WQ_UNBOUND));
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(std::find(all.begin(), all.end(), system_wq) != all.end());
  struct cmwq_pool_stats p{};
  ASSERT_EQ(cmwq_pool_stats(0, &p), 0);
  EXPECT_EQ(p.id, 0);
  int n = 0;
  while (cmwq_pool_stats(n, &p) == 0) n++;
  EXPECT_EQ(static_cast<std::size_t>(n), cmwq::pools().size());
  EXPECT_EQ(cmwq_pool_stats(n, &p), -ENOENT);
  EXPECT_EQ(cmwq_pool_stats(0, nullptr), -EINVAL);
  destroy_workqueue(wq);
  struct cmwq_wq_stats_ext s{};
  EXPECT_EQ(cmwq_workqueue_stats_ext(wq, &s), -EINVAL);
  std::vector<std::string> lines;
  cmwq_show_one_workqueue_to(wq, [](const char* l, void* c) { static_cast<std::vector<std::string>*>(c)->push_back(l); },
                             &lines);
  EXPECT_TRUE(lines.empty());
}

// --- dumps (6.2) ----------------------------------------------------------------------------------

struct line_sink {
  std::vector<std::string> lines;
  static void add(const char* line, void* ctx) { static_cast<line_sink*>(ctx)->lines.emplace_back(line); }
  bool has(std::initializer_list<std::string> subs) const {
    for (const auto& l : lines) {
      bool all = true;
      for (const auto& s : subs) all = all && l.find(s) != std::string::npos;
      if (all) return true;
    }
    return false;
  }
  std::string text() const {
    std::string t;
    for (const auto& l : lines) t += l + "\n";
    return t;
  }
};

TEST(observe_dump, a_blocked_queue_names_the_blocked_function) {
  struct workqueue_struct* wq = alloc_workqueue("obs_blocked", WQ_UNBOUND, 1);
  ASSERT_NE(wq, nullptr);
  gate blocked_gate;
  gate_opener opener{blocked_gate};
  g_blocked_gate = &blocked_gate;
  g_blocked_tid = 0;
  struct work_struct blocked, waiting;
  INIT_WORK(&blocked, observe_test_blocked_fn);
  INIT_WORK(&waiting, observe_test_waiting_fn);
  ASSERT_TRUE(queue_work(wq, &blocked));
  ASSERT_TRUE(queue_work(wq, &waiting));
  CMWQ_ASSERT_WITHIN(g_blocked_tid.load() != 0, k_deadline);
  const pid_t tid = g_blocked_tid.load();

  line_sink one;
  cmwq_show_one_workqueue_to(wq, line_sink::add, &one);
  EXPECT_TRUE(one.has({"workqueue obs_blocked: flags=0x"})) << one.text();
  // An unbound pool is always DISASSOCIATED (0x4); MANAGER_ACTIVE (0x2) is set too while its manager
  // happens to be creating the spare worker that the running item's start asked for.
  EXPECT_TRUE(one.has({"  pwq ", " cpus=", " flags=0x4 nice=0 active=1 refcnt="}) ||
              one.has({"  pwq ", " cpus=", " flags=0x6 nice=0 active=1 refcnt="}))
      << one.text();
  EXPECT_TRUE(one.has({"    in-flight: " + std::to_string(tid) + ":observe_test_blocked_fn for "})) << one.text();
  EXPECT_TRUE(one.has({"    inactive: observe_test_waiting_fn"})) << one.text();

  line_sink all;
  cmwq_show_all_workqueues_to(line_sink::add, &all);
  ASSERT_FALSE(all.lines.empty());
  EXPECT_EQ(all.lines[0], "Showing busy workqueues and worker pools:");
  EXPECT_TRUE(all.has({"pool ", " hung=", "s workers="})) << all.text();
  EXPECT_TRUE(all.has({"    busy:", std::to_string(tid) + " kworker/u", "+blocked-7:observe_test_blocked_fn"}))
      << all.text();

  char comm[96];
  ASSERT_EQ(cmwq_worker_comm(comm, sizeof comm, tid), 0);
  EXPECT_TRUE(std::string(comm).starts_with("kworker/u")) << comm;
  EXPECT_TRUE(std::string(comm).ends_with("+blocked-7")) << comm;
  EXPECT_EQ(cmwq::worker_comm(tid), comm);
  EXPECT_EQ(cmwq_worker_comm(comm, sizeof comm, gettid_()), -ENOENT) << "the test thread is no worker";
  EXPECT_STREQ(comm, "");
  wq_worker_comm(comm, sizeof comm, nullptr);  // the calling thread
  EXPECT_STREQ(comm, "");

  {
    log_capture cap;
    print_worker_info("", nullptr);  // the test thread: not a worker, prints nothing
    EXPECT_EQ(cap.count_lines_with({"Workqueue:"}), 0u);
    cmwq::core::print_worker_info("", tid);
    EXPECT_TRUE(cap.contains("Workqueue: obs_blocked observe_test_blocked_fn (blocked-7)")) << cap.joined();
  }

  blocked_gate.open();
  flush_workqueue(wq);
  line_sink idle;
  cmwq_show_one_workqueue_to(wq, line_sink::add, &idle);
  EXPECT_TRUE(idle.lines.empty()) << "idle queues are not shown:\n" << idle.text();
  destroy_workqueue(wq);
}

TEST(observe_dump, freezable_dump_shows_only_freezable_queues) {
  cmwq::owned_queue frz = cmwq::builder::unbound().freezable().max_active(1).build("obs_frz");
  cmwq::owned_queue plain = cmwq::builder::unbound().max_active(1).build("obs_plain");
  gate g;
  gate_opener opener{g};
  std::atomic<int> started{0};
  cmwq::work a([&] { started++; g.wait(); });
  cmwq::work b([&] { started++; g.wait(); });
  ASSERT_TRUE(frz->enqueue(a));
  ASSERT_TRUE(plain->enqueue(b));
  CMWQ_ASSERT_WITHIN(started.load() == 2, k_deadline);
  log_capture cap;
  show_freezable_workqueues();
  EXPECT_TRUE(cap.contains("Showing freezable workqueues that are still busy:"));
  EXPECT_TRUE(cap.contains("workqueue obs_frz: flags=0x"));
  EXPECT_FALSE(cap.contains("workqueue obs_plain:"));
  const std::string text = cmwq::dump();
  EXPECT_NE(text.find("workqueue obs_frz:"), std::string::npos);
  EXPECT_NE(text.find("workqueue obs_plain:"), std::string::npos);
  EXPECT_NE(cmwq::dump(*plain).find("workqueue obs_plain:"), std::string::npos);
  g.open();  // before the items' destructors wait for them
}

// --- the lockup watchdog (6.3) ----------------------------------------------------------------------

struct watchdog_guard {
  unsigned saved = cmwq_watchdog_thresh();
  explicit watchdog_guard(unsigned s) { cmwq_set_watchdog_thresh(s); }
  ~watchdog_guard() { cmwq_set_watchdog_thresh(saved); }
};

}  // namespace

std::atomic<bool> g_spin_stop{false};
std::atomic<bool> g_spinning{false};

extern "C" void observe_test_spinning_fn(struct work_struct*) {
  g_spinning = true;
  // Never sleeps: with CPU-hog detection off, concurrency management cannot help the pool.
  spin_until([] { return g_spin_stop.load(); }, std::chrono::seconds(20));
}

namespace {

TEST(observe_watchdog, fires_once_for_a_stalled_pool) {
  CMWQ_REQUIRE_CPUS(1);
  thresh_guard no_hogs(0);
  watchdog_guard wd(1);
  struct workqueue_struct* wq = alloc_workqueue("obs_stall", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  g_spin_stop = false;
  g_spinning = false;
  struct work_struct spin, behind;
  INIT_WORK(&spin, observe_test_spinning_fn);
  INIT_WORK(&behind, observe_test_waiting_fn);
  log_capture cap;
  const unsigned long long stalls0 = cmwq_watchdog_stalls();
  ASSERT_TRUE(queue_work_on(cpu_a(), wq, &spin));
  CMWQ_ASSERT_WITHIN(g_spinning.load(), k_deadline);
  ASSERT_TRUE(queue_work_on(cpu_a(), wq, &behind));
  const bool fired = wait_until([&] { return cmwq_watchdog_stalls() > stalls0; }, std::chrono::seconds(15));
  // Keep the stall going for two more periods: the same stall is not reported again.
  if (fired) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const unsigned long long stalls = cmwq_watchdog_stalls() - stalls0;
  g_spin_stop = true;
  flush_workqueue(wq);
  destroy_workqueue(wq);
  ASSERT_TRUE(fired) << "no lockup reported:\n" << cap.joined();
  EXPECT_EQ(stalls, 1u) << cap.joined();
  EXPECT_EQ(cap.count_lines_with({"BUG: workqueue lockup - pool cpus=" + std::to_string(cpu_a()), " flags=0x",
                                  " nice=0 stuck for ", "s!"}),
            1u)
      << cap.joined();
  EXPECT_TRUE(cap.contains("Showing busy workqueues and worker pools:"));
  EXPECT_TRUE(cap.count_lines_with({"in-flight: ", ":observe_test_spinning_fn for "}) >= 1) << cap.joined();
  EXPECT_TRUE(cap.count_lines_with({"pending: observe_test_waiting_fn"}) >= 1) << cap.joined();
  EXPECT_TRUE(cap.contains("Showing backtraces of busy workers in stalled worker pools:"));
  EXPECT_TRUE(cap.count_lines_with({"running observe_test_spinning_fn for "}) >= 1) << cap.joined();
}

TEST(observe_watchdog, never_fires_for_a_busy_healthy_pool) {
  CMWQ_REQUIRE_CPUS(1);
  watchdog_guard wd(2);
  cmwq::owned_queue q = cmwq::builder::percpu().build("obs_busy");
  ASSERT_TRUE(q);
  const std::uint64_t stalls0 = cmwq::watchdog::stalls();
  // Four items that requeue themselves for 4.5 s: the worklist is never empty for long, and a
  // worker takes an item every few milliseconds.
  std::atomic<bool> stop{false};
  std::atomic<long> runs{0};
  std::vector<std::unique_ptr<cmwq::work>> items;
  items.reserve(4);
  for (std::size_t i = 0; i < 4; i++) {
    items.push_back(std::make_unique<cmwq::work>([&, i] {
      burn_cpu_ms(1);
      runs++;
      if (!stop.load()) q->enqueue_on(cpu_a(), *items[i]);
    }));
  }
  for (auto& w : items) ASSERT_TRUE(q->enqueue_on(cpu_a(), *w));
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  stop = true;
  for (auto& w : items) w->cancel_sync();
  EXPECT_GT(runs.load(), 100);
  EXPECT_EQ(cmwq::watchdog::stalls(), stalls0);
}

TEST(observe_watchdog, sleeps_while_every_pool_is_idle) {
  watchdog_guard wd(1);
  cmwq::owned_queue q = cmwq::builder::unbound().build("obs_idle");
  std::atomic<int> ran{0};
  cmwq::work w([&] { ran++; });
  // Other tests' queues may still drain: wait for the timer to find every worklist empty.
  CMWQ_ASSERT_WITHIN(!cmwq::core::watchdog_timer_armed(), k_deadline);
  ASSERT_TRUE(q->enqueue(w));
  // The item landed on an empty worklist: that arms the timer (at once, under the pool lock).
  EXPECT_TRUE(cmwq::core::watchdog_timer_armed() || ran.load() == 1);
  q->flush();
  CMWQ_EXPECT_WITHIN(!cmwq::core::watchdog_timer_armed(), k_deadline);
}

TEST(observe_watchdog, zero_disables_and_set_thresh_reads_back) {
  watchdog_guard wd(0);
  EXPECT_EQ(cmwq::watchdog::thresh(), std::chrono::seconds(0));
  cmwq::watchdog::set_thresh(std::chrono::seconds(7));
  EXPECT_EQ(cmwq_watchdog_thresh(), 7u);
  cmwq_set_watchdog_thresh(0);
  CMWQ_EXPECT_WITHIN(!cmwq::core::watchdog_timer_armed(), std::chrono::seconds(15));
}

TEST(observe_watchdog, touch_with_a_bad_cpu_warns_once) {
  wq_watchdog_touch(cpu_a());  // fine
  const unsigned long w0 = cmwq_warn_count();
  log_capture cap;
  wq_watchdog_touch(-1);
  wq_watchdog_touch(INT_MAX);
  cmwq::watchdog::touch(-5);
  EXPECT_LE(cmwq_warn_count() - w0, 1u);
  // WARN_ONCE: the first bad call of the process prints (later runs under --gtest_repeat do not).
  if (cmwq_warn_count() - w0 == 1) {
    EXPECT_TRUE(cap.contains("wq_watchdog_touch should be called with valid CPU (got -1)")) << cap.joined();
  }
}

TEST(observe_watchdog, out_of_range_thresh_warns_and_keeps_the_old_one) {
  watchdog_guard wd(5);
  const unsigned long w0 = cmwq_warn_count();
  log_capture cap;
  cmwq_set_watchdog_thresh(UINT_MAX);
  EXPECT_EQ(cmwq_watchdog_thresh(), 5u);
  EXPECT_EQ(cmwq_warn_count() - w0, 1u);
  EXPECT_TRUE(cap.contains("workqueue: watchdog_thresh 4294967295 s is out of range, keeping 5")) << cap.joined();
}

// CMWQ_WATCHDOG_THRESH is read once: the child runs check what it gave.
TEST(observe_watchdog, env_thresh_is_read_at_start) {
  const char* v = std::getenv("CMWQ_WATCHDOG_THRESH");
  if (!v) {
    const std::string self = "observe_watchdog.env_thresh_is_read_at_start";
    EXPECT_EQ(child_run::rerun_self("CMWQ_WATCHDOG_THRESH", "3", self), 0);
    EXPECT_EQ(child_run::rerun_self("CMWQ_WATCHDOG_THRESH", "0", self), 0);
    EXPECT_EQ(child_run::rerun_self("CMWQ_WATCHDOG_THRESH", "ten", self), 0);
    EXPECT_EQ(child_run::rerun_self("CMWQ_WATCHDOG_THRESH", "-1", self), 0);
    return;
  }
  const unsigned long w0 = cmwq_warn_count();
  log_capture cap;
  const unsigned t = cmwq_watchdog_thresh();  // first use: reads the variable
  if (std::string(v) == "3") EXPECT_EQ(t, 3u);
  else if (std::string(v) == "0") EXPECT_EQ(t, 0u);
  else {
    EXPECT_EQ(t, 30u);
    EXPECT_EQ(cmwq_warn_count() - w0, 1u);
    EXPECT_TRUE(cap.contains("CMWQ_WATCHDOG_THRESH=" + std::string(v) + " is not a number of seconds, using 30"))
        << cap.joined();
  }
}

}  // namespace
