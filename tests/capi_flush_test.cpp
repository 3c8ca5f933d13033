// tests/capi_flush_test.cpp - flush_work, flush_workqueue, drain_workqueue and destroy_workqueue
// through the C API (semantics.md 2.5, 4.5-4.7, 4.9, D2, D3; section 10 assertions 24-39).
#include "capi_support.hpp"

namespace cmwq::core {
void report_late_work() noexcept;  // src/core/late_work.cpp
}

namespace {

using namespace capi;

constexpr int kChainRoots = 3;           // assertion 32
constexpr int kChainDepth = 5;           // generations after the first
constexpr int kDestroyPending = 10;      // assertion 36
constexpr int kFlushers = 40;            // assertion 30
constexpr int kFlushRounds = 3;          // flushes per flusher thread
constexpr int kFlushItems = 3000;        // items the producer queues meanwhile
constexpr unsigned long kFlushItemUs = 20;  // each busy-waits this long (keeps the queue busy)
constexpr int kFlushMaxActive = 4;
constexpr int kDrainProgressTries = 10;  // assertion 35: first progress report
constexpr int kProbePool = 64;           // probes offered while waiting for a refusal
constexpr unsigned kArmedMs = 600;       // assertion 39: longer than a destroy takes

// Queues fresh probes on `wq` from the calling (non-worker) thread until one is refused, because
// the queue started draining or being destroyed. Returns the refused probe's index, or -1.
int queue_until_refused(struct workqueue_struct* wq, probes& ps) {
  const std::int64_t until = now_us() + 10'000'000;
  for (std::size_t i = 0; i < ps.size() && now_us() < until; i++) {
    if (!queue_work(wq, &ps[i].work)) return static_cast<int>(i);
    std::this_thread::sleep_for(2ms);
  }
  std::fprintf(stderr, "capi: the queue never refused an item\n");
  show_all_workqueues();
  return -1;
}

// Opens a probe's gate from another thread a little after signal(), which the test calls right
// before it blocks (so the blocking call has surely started when the gate opens).
class open_after_signal {
 public:
  explicit open_after_signal(probe& p) : t_([this, &p] {
    while (!go_.load()) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(kOpenDelay);
    p.open();
  }) {}
  ~open_after_signal() {
    go_ = true;
    t_.join();
  }
  void signal() { go_ = true; }

 private:
  static constexpr ms kOpenDelay = 30ms;
  std::atomic<bool> go_{false};
  std::thread t_;
};

// --- flush_work (R15, R16) ------------------------------------------------------------------

// Assertion 24.
TEST(capi_flush, flush_work_on_idle_item_returns_false) {
  probe w;
  EXPECT_FALSE(flush_work(&w.work));
}

TEST(capi_flush, flush_work_after_item_finished_returns_false) {
  owned_wq wq(alloc_workqueue("capi-f24", WQ_UNBOUND, 0));
  probe w;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);  // true, or false if it had already finished: either way idle afterwards
  EXPECT_EQ(w.ends.load(), 1);
  EXPECT_FALSE(flush_work(&w.work));
}

// Assertion 25.
TEST(capi_flush, flush_work_on_pending_item_returns_true_after_it_ran) {
  owned_wq wq(alloc_ordered_workqueue("capi-f25", 0));
  probe blocker, w;
  blocker.gated = true;  // keeps w pending until flush_work() has started
  ASSERT_TRUE(queue_work(wq, &blocker.work));
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(work_pending(&w.work));
  bool flushed;
  {
    open_after_signal opener(blocker);
    opener.signal();
    flushed = flush_work(&w.work);
  }
  EXPECT_TRUE(flushed);
  EXPECT_EQ(w.ends.load(), 1);
}

// Assertion 26 (R16): flush waits for the instance running at call time, not for a later one.
void requeue_once_at_end(probe* p) {
  if (p->runs.load() == 1) queue_work(static_cast<struct workqueue_struct*>(p->ctx), &p->work);
}

TEST(capi_flush, flush_work_on_running_item_waits_for_that_run_only) {
  owned_wq wq(alloc_workqueue("capi-f26", WQ_PERCPU, 0));
  probe w;
  w.gated = true;  // first run: held until the flusher is waiting
  w.body = requeue_once_at_end;
  w.ctx = wq.get();
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  {
    open_after_signal opener(w);
    opener.signal();
    EXPECT_TRUE(flush_work(&w.work));
    EXPECT_GE(w.ends.load(), 1) << "flush_work returned before the running instance finished";
  }
  ASSERT_TRUE(w.wait_ends(2));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 2);
}

// --- flush_workqueue (R19-R21) --------------------------------------------------------------------

// Assertion 27 (R19): items queued by flushed items get the next colour and are not waited for.
struct queue_target {
  probe* item;
  struct workqueue_struct* wq;
};
void queue_b_after_10ms(probe* p) {
  msleep(10);
  auto* t = static_cast<queue_target*>(p->ctx);
  queue_work(t->wq, &t->item->work);
}

TEST(capi_flush, flush_workqueue_does_not_wait_for_items_queued_later) {
  owned_wq wq(alloc_workqueue("capi-f27", WQ_PERCPU, 0));
  probe a, b;
  b.gated = true;  // "sleeps 500 ms": held until the test has checked the flush
  queue_target target{&b, wq.get()};
  a.sleep_ms = 50;
  a.body = queue_b_after_10ms;
  a.ctx = &target;
  ASSERT_TRUE(queue_work(wq, &a.work));
  flush_workqueue(wq);
  EXPECT_EQ(a.ends.load(), 1) << "flush returned before A completed";
  EXPECT_EQ(b.ends.load(), 0) << "flush waited for B, queued after it started";
  b.open();
  flush_workqueue(wq);
  EXPECT_EQ(b.ends.load(), 1);
}

// Assertion 28.
TEST(capi_flush, flush_workqueue_waits_for_items_from_every_cpu) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-f28", WQ_PERCPU, 0));
  probes items(8);
  for (std::size_t i = 0; i < items.size(); i++) {
    items[i].sleep_ms = 10;
    run_on_cpu(i % 2 ? cpu1() : cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &items[i].work)); });
  }
  flush_workqueue(wq);
  for (auto& p : items) EXPECT_EQ(p.ends.load(), 1);
  EXPECT_NE(items[0].cpu.load(), items[1].cpu.load()) << "items did not run on both CPUs";
}

// Assertion 29.
TEST(capi_flush, flush_workqueue_on_empty_queue_returns_at_once) {
  owned_wq wq(alloc_workqueue("capi-f29", WQ_UNBOUND, 0));
  const std::int64_t t0 = now_us();
  flush_workqueue(wq);
  EXPECT_LT(now_us() - t0, 1'000'000);
}

// Assertion 30 (R20): many concurrent flushers (colour overflow) all return, each having waited
// for what was queued before it.
void short_busy_wait(probe*) { udelay(kFlushItemUs); }

TEST(capi_flush, concurrent_flushers_all_return_and_each_waits_for_earlier_items) {
  owned_wq wq(alloc_workqueue("capi-f30", WQ_PERCPU, kFlushMaxActive));
  probes items(kFlushItems);
  for (auto& p : items) p.body = short_busy_wait;
  std::atomic<int> queued{0};
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, flushes{0};
  std::thread producer([&] {
    for (int i = 0; i < kFlushItems && !stop.load(); i++) {
      queue_work(wq, &items[static_cast<std::size_t>(i)].work);
      queued.store(i + 1, std::memory_order_release);
      if (i % 16 == 0) std::this_thread::yield();
    }
  });
  std::vector<std::thread> flushers;
  for (int t = 0; t < kFlushers; t++) {
    flushers.emplace_back([&] {
      for (int r = 0; r < kFlushRounds; r++) {
        const int before = queued.load(std::memory_order_acquire);
        flush_workqueue(wq);
        for (int i = 0; i < before; i++)
          if (items[static_cast<std::size_t>(i)].ends.load() < 1) violations++;
        flushes++;
      }
    });
  }
  for (auto& f : flushers) f.join();
  stop = true;
  producer.join();
  flush_workqueue(wq);
  EXPECT_EQ(flushes.load(), kFlushers * kFlushRounds);
  EXPECT_EQ(violations.load(), 0);
  for (int i = 0; i < queued.load(); i++) EXPECT_EQ(items[static_cast<std::size_t>(i)].ends.load(), 1);
}

// Assertion 31.
TEST(capi_flush, flushing_a_system_queue_warns_and_completes) {
  log_capture log;
  probe w;
  w.sleep_ms = 5;
  ASSERT_TRUE(queue_work(system_percpu_wq, &w.work));
  flush_workqueue(system_percpu_wq);
  EXPECT_EQ(w.ends.load(), 1);
  EXPECT_TRUE(log.contains("Flushing system-wide workqueues will be prohibited in near future."));
}

TEST(capi_flush, flush_scheduled_work_waits_for_schedule_work_items) {
  log_capture log;
  probe w;
  w.sleep_ms = 5;
  ASSERT_TRUE(schedule_work(&w.work));
  flush_scheduled_work();
  EXPECT_EQ(w.ends.load(), 1);
}

// --- drain_workqueue (R22-R25) ------------------------------------------------------------------

// Assertion 32.
struct chain {
  probes gen{static_cast<std::size_t>(kChainRoots * (kChainDepth + 1))};
  struct workqueue_struct* wq = nullptr;
};
void queue_next_generation(probe* p) {
  auto* c = static_cast<chain*>(p->ctx);
  const std::size_t idx = static_cast<std::size_t>(p - c->gen.begin());
  if (idx % (kChainDepth + 1) != kChainDepth) queue_work(c->wq, &c->gen[idx + 1].work);
}

TEST(capi_flush, drain_waits_for_every_chained_generation) {
  owned_wq wq(alloc_workqueue("capi-f32", WQ_PERCPU, 0));
  chain c;
  c.wq = wq;
  for (auto& p : c.gen) {
    p.sleep_ms = 2;
    p.body = queue_next_generation;
    p.ctx = &c;
  }
  for (int r = 0; r < kChainRoots; r++)
    ASSERT_TRUE(queue_work(wq, &c.gen[static_cast<std::size_t>(r * (kChainDepth + 1))].work));
  drain_workqueue(wq);
  for (auto& p : c.gen) EXPECT_EQ(p.ends.load(), 1);
  const cmwq_wq_stats s = stats_of(wq);
  EXPECT_EQ(s.nr_active, 0);
  EXPECT_EQ(s.nr_inactive, 0);
}

// Assertion 33 (R23, D2): outside queueing during a drain is refused and dropped.
TEST(capi_flush, queue_from_outside_during_drain_is_refused_and_dropped) {
  owned_wq wq(alloc_ordered_workqueue("capi-f33", 0));
  probe blocker;
  probes offered(kProbePool);
  blocker.gated = true;
  ASSERT_TRUE(queue_work(wq, &blocker.work));
  ASSERT_TRUE(blocker.wait_runs(1));
  std::thread drainer([&] { drain_workqueue(wq); });
  const int refused = queue_until_refused(wq, offered);
  blocker.open();
  drainer.join();
  ASSERT_GE(refused, 0);
  probe& w = offered[static_cast<std::size_t>(refused)];
  EXPECT_FALSE(work_pending(&w.work));
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 0);
  for (int i = 0; i < refused; i++) EXPECT_EQ(offered[static_cast<std::size_t>(i)].ends.load(), 1);
}

// D2: "warns once per queue with the kernel's cannot queue text" - every queue's first refusal
// is logged with its name, also when another queue was refused before.
TEST(capi_flush, cannot_queue_warning_is_logged_for_each_queue) {
  log_capture log;
  for (const char* name : {"capi-f33-a", "capi-f33-b"}) {
    owned_wq wq(alloc_ordered_workqueue("%s", 0, name));
    probe blocker;
    probes offered(kProbePool);
    blocker.gated = true;
    ASSERT_TRUE(queue_work(wq, &blocker.work));
    ASSERT_TRUE(blocker.wait_runs(1));
    std::thread drainer([&] { drain_workqueue(wq); });
    const int refused = queue_until_refused(wq, offered);
    blocker.open();
    drainer.join();
    ASSERT_GE(refused, 0);
    EXPECT_EQ(log.count("cannot queue", name), 1) << "no (or repeated) cannot-queue line naming " << name;
  }
}

// Assertion 34 (R25).
TEST(capi_flush, queueing_works_again_after_drain) {
  owned_wq wq(alloc_workqueue("capi-f34", WQ_PERCPU, 0));
  probe a, b;
  a.sleep_ms = 5;
  ASSERT_TRUE(queue_work(wq, &a.work));
  drain_workqueue(wq);
  EXPECT_EQ(a.ends.load(), 1);
  EXPECT_TRUE(queue_work(wq, &b.work));
  flush_workqueue(wq);
  EXPECT_EQ(b.ends.load(), 1);
}

// Assertion 35 (R24).
TEST(capi_flush, drain_reports_progress_and_returns_only_when_requeueing_stops) {
  owned_wq wq(alloc_workqueue("capi-f35", WQ_PERCPU, 0));
  log_capture log;
  probe w;
  w.sleep_ms = 1;
  w.requeue_wq = wq;
  w.requeue_self_always = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    drain_workqueue(wq);
    drained = true;
  });
  const std::string report = "isn't complete after " + std::to_string(kDrainProgressTries) + " tries";
  const bool reported = log.wait_for(report);
  EXPECT_TRUE(reported);
  EXPECT_TRUE(log.contains("capi-f35"));
  EXPECT_FALSE(drained.load()) << "drain returned while the item still re-queued itself";
  w.requeue_enabled = false;
  drainer.join();
  EXPECT_TRUE(drained.load());
  EXPECT_FALSE(work_pending(&w.work));
}

// --- destroy_workqueue (R30-R34, D3) ---------------------------------------------------------------

// Assertion 36 (R31).
TEST(capi_flush, destroy_runs_every_pending_item_first) {
  struct workqueue_struct* wq = alloc_ordered_workqueue("capi-f36", 0);
  ASSERT_NE(wq, nullptr);
  probes items(kDestroyPending);
  for (auto& p : items) {
    p.sleep_ms = 3;
    ASSERT_TRUE(queue_work(wq, &p.work));
  }
  destroy_workqueue(wq);
  for (auto& p : items) EXPECT_EQ(p.ends.load(), 1);
}

// Assertion 37 (R34, D2).
TEST(capi_flush, queue_from_outside_during_destroy_is_refused_and_dropped) {
  struct workqueue_struct* wq = alloc_ordered_workqueue("capi-f37", 0);
  ASSERT_NE(wq, nullptr);
  probe blocker;
  probes offered(kProbePool);
  blocker.gated = true;
  ASSERT_TRUE(queue_work(wq, &blocker.work));
  ASSERT_TRUE(blocker.wait_runs(1));
  std::thread destroyer([&] { destroy_workqueue(wq); });
  const int refused = queue_until_refused(wq, offered);
  blocker.open();
  destroyer.join();
  ASSERT_GE(refused, 0);
  probe& w = offered[static_cast<std::size_t>(refused)];
  EXPECT_FALSE(work_pending(&w.work));
  EXPECT_EQ(w.runs.load(), 0);
  for (int i = 0; i < refused; i++) EXPECT_EQ(offered[static_cast<std::size_t>(i)].ends.load(), 1);
}

// Assertion 38.
TEST(capi_flush, destroy_after_cancelling_armed_item_is_silent) {
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  struct workqueue_struct* wq = alloc_workqueue("capi-f38", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmedMs)));
  EXPECT_TRUE(cancel_delayed_work_sync(&d.dwork));
  destroy_workqueue(wq);
  EXPECT_EQ(cmwq_warn_count(), warns);
  EXPECT_EQ(log.count_warnings(), 0) << log.all();
  EXPECT_EQ(d.runs.load(), 0);
}

// Assertion 39 (R32, D3): destroy does not wait for an armed timer; the late timer warns and
// the item is dropped.
TEST(capi_flush, destroy_does_not_wait_for_armed_item_whose_late_timer_warns) {
  log_capture log;
  struct workqueue_struct* wq = alloc_workqueue("capi-f39", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  probe d;
  const unsigned long warns = cmwq_warn_count();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmedMs)));
  destroy_workqueue(wq);
  EXPECT_TRUE(delayed_work_pending(&d.dwork)) << "destroy waited for (or dropped) the armed timer";
  EXPECT_TRUE(wait_until([&] { return !delayed_work_pending(&d.dwork); }, kDeadline, "the late timer"));
  EXPECT_TRUE(wait_until([&] { return cmwq_warn_count() > warns; }, kDeadline, "the late-timer WARN"));
  EXPECT_TRUE(log.contains("cannot queue")) << log.all();
  EXPECT_TRUE(stays_false([&] { return d.runs.load() > 0; }, 30ms));
}

// Issue 11 item 6: a thousand armed items outliving their queue give one WARNING line, a thousand
// counted warnings, and one line saying how many were not printed when the count is reported.
TEST(capi_flush, late_timers_of_a_destroyed_queue_warn_once_and_count_the_rest) {
  constexpr int n = 1000;
  log_capture log;
  struct workqueue_struct* wq = alloc_workqueue("capi-storm", WQ_UNBOUND, 0);
  ASSERT_NE(wq, nullptr);
  std::unique_ptr<struct delayed_work[]> items(new struct delayed_work[n]);
  for (int i = 0; i < n; i++) {
    INIT_DELAYED_WORK(&items[i], [](struct work_struct*) {});
    ASSERT_TRUE(queue_delayed_work(wq, &items[i], msecs_to_jiffies(kArmedMs)));
  }
  const unsigned long warns = cmwq_warn_count();
  destroy_workqueue(wq);
  EXPECT_TRUE(wait_until(
      [&] {
        for (int i = 0; i < n; i++)
          if (delayed_work_pending(&items[i])) return false;
        return true;
      },
      kDeadline, "every late timer"));
  EXPECT_EQ(cmwq_warn_count() - warns, static_cast<unsigned long>(n));
  EXPECT_EQ(log.count("WARNING:", "cannot queue"), 1) << log.all();
  EXPECT_EQ(log.count("WARNING:", "destroyed workqueue capi-storm"), 1);
  cmwq::core::report_late_work();
  EXPECT_EQ(log.count("999 more work item(s) could not be queued on destroyed workqueue capi-storm"), 1)
      << log.all();
  cmwq::core::report_late_work();  // reported once
  EXPECT_EQ(log.count("more work item(s) could not be queued"), 1);
}

}  // namespace
