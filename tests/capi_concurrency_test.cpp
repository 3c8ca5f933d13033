// tests/capi_concurrency_test.cpp - ordering, max_active, concurrency management, rescuers and
// freezing through the C API (semantics.md 4.3, 4.4, 5.2-5.8, 5.10, 5.12, 5.13; section 10
// assertions 60, 62-70, 74-90, 123).
//
// Concurrency is shown with rendezvous: two items that each wait (with a deadline) for the other
// to have started can only both succeed if they ran at the same time. Serialisation is shown with
// the global start/end sequence stamps of the probes. Neither depends on how fast a loaded
// machine is; durations only appear as generous one-sided bounds.
#include "capi_support.hpp"

namespace {

using namespace capi;

constexpr unsigned kSleepMs = 50;           // a "sleeping" item
constexpr unsigned kShortSleepMs = 20;
constexpr unsigned kBurnShortMs = 5;        // below the 10 ms CPU-hog threshold (assertion 74)
constexpr unsigned kBurnLongMs = 100;       // above it (assertion 77)
constexpr unsigned kBurnMediumMs = 50;      // assertion 78
constexpr unsigned long kThreshUs = 10000;  // cpu_intensive_thresh_us default
constexpr int kOrderedItems = 100;          // assertion 63
constexpr int kBurstItems = 20;             // assertion 82
constexpr int kSmallBurst = 8;              // assertion 83
constexpr unsigned kReapScalePermille = 1;  // IDLE_WORKER_TIMEOUT 300 s -> 300 ms
constexpr unsigned kNoReapScalePermille = 100;  // IDLE_WORKER_TIMEOUT 300 s -> 30 s
constexpr int kMaxBlockers = 160;           // assertions 85-87: enough to occupy every worker
constexpr ms kSaturatedAfter = 300ms;       // a blocker pending this long: no idle worker left
constexpr ms kMaydayWindow = 600ms;         // assertion 87
constexpr unsigned kMaydayIntervalMs = 100; // MAYDAY_INTERVAL at scale 1000
constexpr ms kFeedEvery = 20ms;

// --- rendezvous bodies --------------------------------------------------------------------------

struct rendezvous {
  std::atomic<int> arrived{0};
  int expected = 2;
  bool spin = false;  // burn the CPU while waiting (never block) instead of msleep(1)
};

// Arrives, then waits until `expected` probes arrived; body_result = 1 if they all did in time.
void rendezvous_body(probe* p) {
  auto* r = static_cast<rendezvous*>(p->ctx);
  r->arrived++;
  bool met;
  if (r->spin) {
    met = spin_until([&] { return r->arrived.load() >= r->expected; }, 5s);
  } else {
    const std::int64_t until = now_us() + 5'000'000;
    while (r->arrived.load() < r->expected && now_us() < until) msleep(1);
    met = r->arrived.load() >= r->expected;
  }
  p->body_result = met ? 1 : 0;
}

// Waits (msleep(1) steps, blocking) until the probe in ctx has started; body_result = 1 if it did.
void sleep_until_other_started(probe* p) {
  auto* other = static_cast<probe*>(p->ctx);
  const std::int64_t until = now_us() + 5'000'000;
  while (other->runs.load() == 0 && now_us() < until) msleep(1);
  p->body_result = other->runs.load() > 0 ? 1 : 0;
}

// Burns (never blocks) until the probe in ctx has started; body_result = 1 if it did.
void spin_until_other_started(probe* p) {
  auto* other = static_cast<probe*>(p->ctx);
  p->body_result = spin_until([&] { return other->runs.load() > 0; }, 5s) ? 1 : 0;
}

// --- 4.3 ordered queues ------------------------------------------------------------------------

// Assertion 62 (R8).
TEST(capi_concurrency, ordered_queue_starts_b_after_a_ends) {
  owned_wq wq(alloc_ordered_workqueue("capi-c62", 0));
  probe a, b;
  a.sleep_ms = kShortSleepMs;
  ASSERT_TRUE(queue_work(wq, &a.work));
  ASSERT_TRUE(queue_work(wq, &b.work));
  flush_workqueue(wq);
  EXPECT_GT(b.start_seq.load(), a.end_seq.load());
}

// Assertion 63 (R8): strict global queueing order, whichever CPU queued.
TEST(capi_concurrency, ordered_queue_keeps_global_order_across_cpus) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_ordered_workqueue("capi-c63", 0));
  probes items(kOrderedItems);
  std::atomic<int> next{0};
  auto producer = [&](int parity, int cpu) {
    cpu_pin pin(cpu);
    const std::int64_t until = now_us() + 10'000'000;
    for (;;) {
      const int i = next.load(std::memory_order_acquire);
      if (i >= kOrderedItems || now_us() > until) return;
      if (i % 2 != parity) {
        std::this_thread::yield();
        continue;
      }
      EXPECT_TRUE(queue_work(wq, &items[static_cast<std::size_t>(i)].work));
      next.store(i + 1, std::memory_order_release);
    }
  };
  std::thread t0(producer, 0, cpu0()), t1(producer, 1, cpu1());
  t0.join();
  t1.join();
  ASSERT_EQ(next.load(), kOrderedItems);
  flush_workqueue(wq);
  EXPECT_TRUE(ran_serially_in_order(items));
  EXPECT_EQ(peak_concurrency(items), 1);
}

// Assertion 64 (R9).
TEST(capi_concurrency, ordered_queue_ignores_set_max_active_with_warning) {
  owned_wq wq(alloc_ordered_workqueue("capi-c64", 0));
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  workqueue_set_max_active(wq, 4);
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
  EXPECT_TRUE(log.contains("capi-c64"));
  probes items(4);
  for (auto& p : items) {
    p.sleep_ms = 5;
    ASSERT_TRUE(queue_work(wq, &p.work));
  }
  flush_workqueue(wq);
  EXPECT_TRUE(ran_serially_in_order(items));
  EXPECT_EQ(stats_of(wq).max_active, 1);
}

// Assertion 65 (R10, R12): unbound with max_active 1 is limited system-wide.
TEST(capi_concurrency, unbound_max_active_one_runs_one_at_a_time) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("u", WQ_UNBOUND, 1));
  probes items(6);
  for (std::size_t i = 0; i < items.size(); i++) {
    items[i].sleep_ms = kShortSleepMs;
    run_on_cpu(i % 2 ? cpu1() : cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &items[i].work)); });
  }
  flush_workqueue(wq);
  EXPECT_EQ(peak_concurrency(items), 1);
}

// --- 4.4 max_active ------------------------------------------------------------------------------

// Assertion 60.
TEST(capi_concurrency, workqueue_congested_reports_throttled_cpu_only) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-c60", WQ_PERCPU, 1));
  probe a, b;
  a.gated = true;
  run_on_cpu(cpu0(), [&] {
    EXPECT_TRUE(queue_work(wq, &a.work));
    EXPECT_TRUE(queue_work(wq, &b.work));
  });
  ASSERT_TRUE(a.wait_runs(1));
  EXPECT_TRUE(workqueue_congested(cpu0(), wq));
  EXPECT_FALSE(workqueue_congested(cpu1(), wq));
  a.open();
  flush_workqueue(wq);
  EXPECT_FALSE(workqueue_congested(cpu0(), wq));
  EXPECT_EQ(b.runs.load(), 1);
}

// Assertion 66 (R11).
TEST(capi_concurrency, percpu_max_active_two_runs_at_most_two) {
  owned_wq wq(alloc_workqueue("capi-c66", WQ_PERCPU, 2));
  probes items(5);
  rendezvous r;  // the first item also waits (sleeping) for the second: two do run together
  for (auto& p : items) {
    p.sleep_ms = kSleepMs;
    p.body = rendezvous_body;
    p.ctx = &r;
  }
  const std::int64_t t0 = now_us();
  run_on_cpu(cpu0(), [&] {
    for (auto& p : items) EXPECT_TRUE(queue_work(wq, &p.work));
  });
  flush_workqueue(wq);
  const std::int64_t took = now_us() - t0;
  EXPECT_EQ(peak_concurrency(items), 2);
  EXPECT_GE(took, 3 * (static_cast<std::int64_t>(kSleepMs) * 1000 - 1000));  // three waves at least
  EXPECT_LT(took, 5'000'000);
}

// Assertion 67 (R11): the limit is per CPU.
TEST(capi_concurrency, percpu_max_active_one_is_per_cpu) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-c67", WQ_PERCPU, 1));
  rendezvous r;
  probe a, b;
  for (probe* p : {&a, &b}) {
    p->body = rendezvous_body;
    p->ctx = &r;
  }
  run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &a.work)); });
  run_on_cpu(cpu1(), [&] { EXPECT_TRUE(queue_work(wq, &b.work)); });
  flush_workqueue(wq);
  EXPECT_EQ(a.body_result.load(), 1) << "the CPU-0 item never ran together with the CPU-1 item";
  EXPECT_EQ(b.body_result.load(), 1);
}

// Assertion 68 (R12).
TEST(capi_concurrency, unbound_max_active_two_is_system_wide) {
  owned_wq wq(alloc_workqueue("capi-c68", WQ_UNBOUND, 2));
  probes items(6);
  for (std::size_t i = 0; i < items.size(); i++) {
    items[i].sleep_ms = kShortSleepMs;
    run_on_cpu(cpus()[i % cpus().size()], [&] { EXPECT_TRUE(queue_work(wq, &items[i].work)); });
  }
  flush_workqueue(wq);
  EXPECT_LE(peak_concurrency(items), 2);
  for (auto& p : items) EXPECT_EQ(p.ends.load(), 1);
}

// Assertion 69 (R11: FIFO activation).
TEST(capi_concurrency, percpu_max_active_one_keeps_queueing_order) {
  owned_wq wq(alloc_workqueue("capi-c69", WQ_PERCPU, 1));
  probes items(5);
  for (auto& p : items) p.sleep_ms = 2;
  run_on_cpu(cpu0(), [&] {
    for (auto& p : items) EXPECT_TRUE(queue_work(wq, &p.work));
  });
  flush_workqueue(wq);
  EXPECT_TRUE(ran_serially_in_order(items));
}

// Assertion 70 (R14).
TEST(capi_concurrency, raising_max_active_activates_waiting_items) {
  owned_wq wq(alloc_workqueue("capi-c70", WQ_PERCPU, 1));
  probes items(5);
  auto started = [&] {
    int n = 0;
    for (auto& p : items) n += p.runs.load();
    return n;
  };
  for (auto& p : items) p.gated = true;
  run_on_cpu(cpu0(), [&] {
    for (auto& p : items) EXPECT_TRUE(queue_work(wq, &p.work));
  });
  ASSERT_TRUE(wait_until([&] { return started() == 1; }, kDeadline, "the first item"));
  EXPECT_EQ(stats_of(wq).nr_inactive, 4);
  const std::int64_t t0 = now_us();
  workqueue_set_max_active(wq, 3);
  EXPECT_TRUE(wait_until([&] { return started() == 3; }, kDeadline, "three items running"));
  EXPECT_LT(now_us() - t0, 1'000'000);
  EXPECT_TRUE(stays_false([&] { return started() > 3; }, 30ms));
  EXPECT_EQ(stats_of(wq).nr_active, 3);
  for (auto& p : items) p.open();
  flush_workqueue(wq);
  EXPECT_EQ(started(), 5);
}

// --- 5.2-5.8 concurrency management ---------------------------------------------------------------

// Assertion 74: non-blocking items on a per-CPU pool run one after another on one worker. They are
// queued by a launcher item on the same pool, so the worker that counts as running is busy while
// they are queued (no extra worker is woken) and then keeps working through them.
struct launch {
  probes* items;
  struct workqueue_struct* wq;
};
void launch_items(probe* p) {
  auto* l = static_cast<launch*>(p->ctx);
  for (auto& it : *l->items) queue_work(l->wq, &it.work);
}

TEST(capi_concurrency, cpu_bound_items_below_threshold_run_serially_on_one_worker) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(kThreshUs);
  owned_wq wq(alloc_workqueue("capi-c74", WQ_PERCPU, 0));
  probes items(3);
  for (auto& p : items) p.burn_ms = kBurnShortMs;
  launch l{&items, wq.get()};
  probe launcher;
  launcher.body = launch_items;
  launcher.ctx = &l;
  ASSERT_TRUE(queue_work_on(cpu0(), wq, &launcher.work));
  flush_work(&launcher.work);
  flush_workqueue(wq);
  EXPECT_EQ(peak_concurrency(items), 1);
  EXPECT_EQ(items[0].tid.load(), items[1].tid.load());
  EXPECT_EQ(items[1].tid.load(), items[2].tid.load());
  EXPECT_EQ(items[0].tid.load(), launcher.tid.load());
}

// Assertion 75: an item that sleeps lets the next one start.
TEST(capi_concurrency, sleeping_item_lets_next_item_start) {
  owned_wq wq(alloc_workqueue("capi-c75", WQ_PERCPU, 0));
  probe a, b;
  a.body = sleep_until_other_started;
  a.ctx = &b;
  run_on_cpu(cpu0(), [&] {
    EXPECT_TRUE(queue_work(wq, &a.work));
    EXPECT_TRUE(queue_work(wq, &b.work));
  });
  flush_workqueue(wq);
  EXPECT_EQ(a.body_result.load(), 1) << "B did not start while A slept";
  EXPECT_LT(b.start_seq.load(), a.end_seq.load());
  EXPECT_EQ(a.cpu.load(), b.cpu.load());
}

// Assertion 76 (5.8 static): WQ_CPU_INTENSIVE items overlap even with hog detection off.
TEST(capi_concurrency, cpu_intensive_queue_items_overlap) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(0);
  owned_wq wq(alloc_workqueue("capi-c76", WQ_PERCPU | WQ_CPU_INTENSIVE, 0));
  rendezvous r;
  r.spin = true;
  probe a, b;
  for (probe* p : {&a, &b}) {
    p->body = rendezvous_body;
    p->ctx = &r;
  }
  run_on_cpu(cpu0(), [&] {
    EXPECT_TRUE(queue_work(wq, &a.work));
    EXPECT_TRUE(queue_work(wq, &b.work));
  });
  flush_workqueue(wq);
  EXPECT_EQ(a.body_result.load(), 1);
  EXPECT_EQ(b.body_result.load(), 1);
}

// Assertion 77 (5.8 automatic).
TEST(capi_concurrency, cpu_hog_is_detected_and_next_item_starts) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(kThreshUs);
  owned_wq wq(alloc_workqueue("capi-c77", WQ_PERCPU, 0));
  probe a, b;
  a.burn_ms = kBurnLongMs;
  const cmwq_wq_stats before = stats_of(wq);
  ASSERT_TRUE(queue_work_on(cpu0(), wq, &a.work));
  ASSERT_TRUE(a.wait_runs(1));
  run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &b.work)); });
  flush_workqueue(wq);
  EXPECT_LT(b.start_seq.load(), a.end_seq.load()) << "B waited for the CPU hog to finish";
  // A was flagged only after using the threshold's worth of CPU time, so B cannot start earlier.
  EXPECT_GE(b.first_start_us.load() - a.first_start_us.load(), static_cast<std::int64_t>(kThreshUs) - 1000);
  EXPECT_GE(stats_of(wq).cpu_intensive, before.cpu_intensive + 1);
}

// Assertion 78.
TEST(capi_concurrency, without_hog_detection_next_item_waits_for_cpu_bound_item) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(0);
  owned_wq wq(alloc_workqueue("capi-c78", WQ_PERCPU, 0));
  probe a, b;
  a.burn_ms = kBurnMediumMs;
  ASSERT_TRUE(queue_work_on(cpu0(), wq, &a.work));
  ASSERT_TRUE(a.wait_runs(1));
  run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &b.work)); });
  flush_workqueue(wq);
  EXPECT_GT(b.start_seq.load(), a.end_seq.load());
  EXPECT_EQ(stats_of(wq).cpu_intensive, 0ull);
}

// Assertion 79 (5.2): a running item going to sleep with work pending wakes a worker. As in the
// C++ twin (cxx_concurrency.blocking_with_work_pending_counts_a_cm_wakeup), a fresh pool's worker
// can still be the manager, off the idle list, when A sleeps; it then runs B itself and nobody is
// woken, as in the kernel. So the meeting is repeated, up to kWakeupRounds, until one is counted.
struct sleep_after_flag {
  std::atomic<bool> go{false};
};
void spin_then_sleep(probe* p) {
  auto* f = static_cast<sleep_after_flag*>(p->ctx);
  spin_until([&] { return f->go.load(); }, 5s);
  msleep(kShortSleepMs);
}
constexpr int kWakeupRounds = 3;

TEST(capi_concurrency, sleeping_with_pending_work_counts_cm_wakeup) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(0);  // the wake-up must come from the sleep, not a hog report
  owned_wq wq(alloc_workqueue("capi-c79", WQ_PERCPU, 0));
  const cmwq_wq_stats before = stats_of(wq);
  for (int round = 0; round < kWakeupRounds && stats_of(wq).cm_wakeup == before.cm_wakeup; round++) {
    sleep_after_flag f;
    probe a, b;
    a.body = spin_then_sleep;
    a.ctx = &f;
    ASSERT_TRUE(queue_work_on(cpu0(), wq, &a.work));
    ASSERT_TRUE(a.wait_runs(1));
    run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &b.work)); });
    f.go = true;
    flush_workqueue(wq);
    ASSERT_LT(b.start_seq.load(), a.end_seq.load());
  }
  EXPECT_GE(stats_of(wq).cm_wakeup, before.cm_wakeup + 1);
}

// Assertion 80 (5.10): highpri pools are independent of a busy normal pool.
TEST(capi_concurrency, highpri_item_starts_while_normal_pool_is_busy) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(0);
  owned_wq normal(alloc_workqueue("capi-c80", WQ_PERCPU, 0));
  owned_wq high(alloc_workqueue("capi-c80h", WQ_PERCPU | WQ_HIGHPRI, 0));
  probe a, h;
  a.body = spin_until_other_started;
  a.ctx = &h;
  ASSERT_TRUE(queue_work_on(cpu0(), normal, &a.work));
  ASSERT_TRUE(a.wait_runs(1));
  run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(high, &h.work)); });
  flush_workqueue(high);
  flush_workqueue(normal);
  EXPECT_EQ(a.body_result.load(), 1) << "the highpri item did not start while the normal item ran";
  EXPECT_EQ(h.cpu.load(), cpu0());
}

// Assertion 81 (5.2): unbound pools are not concurrency managed.
TEST(capi_concurrency, unbound_cpu_bound_items_run_concurrently) {
  tunables_guard tg;
  cmwq_set_cpu_intensive_thresh_us(0);
  owned_wq wq(alloc_workqueue("capi-c81", WQ_UNBOUND, 0));
  rendezvous r;
  r.spin = true;
  probe a, b;
  for (probe* p : {&a, &b}) {
    p->body = rendezvous_body;
    p->ctx = &r;
  }
  run_on_cpu(cpu0(), [&] {
    EXPECT_TRUE(queue_work(wq, &a.work));
    EXPECT_TRUE(queue_work(wq, &b.work));
  });
  flush_workqueue(wq);
  EXPECT_EQ(a.body_result.load(), 1);
  EXPECT_EQ(b.body_result.load(), 1);
}

// --- 5.6, 5.7 worker creation and reaping --------------------------------------------------------

// Assertion 82. Uses the highpri pool of the last CPU, which no other test here touches, so no idle
// timer armed with the unscaled 300 s timeout can be pending on it.
TEST(capi_concurrency, burst_creates_workers_and_idle_ones_are_reaped_down_to_two) {
  tunables_guard tg;
  cmwq_set_timeout_scale_permille(kReapScalePermille);
  const int cpu = last_cpu();
  const std::string prefix = "kworker/" + std::to_string(cpu) + ":";
  owned_wq wq(alloc_workqueue("capi-c82", WQ_PERCPU | WQ_HIGHPRI, 0));
  probes items(kBurstItems);
  for (auto& p : items) {
    p.gated = true;
    ASSERT_TRUE(queue_work_on(cpu, wq, &p.work));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        int n = 0;
        for (auto& p : items) n += p.runs.load();
        return n == kBurstItems;
      },
      kDeadline, "every burst item running at once"));
  EXPECT_GE(count_workers(prefix, "H"), kBurstItems);
  for (auto& p : items) p.open();
  flush_workqueue(wq);
  EXPECT_TRUE(wait_until([&] { return count_workers(prefix, "H") == 2; }, kDeadline, "reaping down to 2 workers"))
      << "workers left: " << count_workers(prefix, "H");
  // Reaping stops there (too_many_workers() is false with 2 idle workers).
  EXPECT_TRUE(stays_false([&] { return count_workers(prefix, "H") != 2; }, 700ms));
}

// Assertion 83.
TEST(capi_concurrency, freshly_idle_workers_are_not_reaped_before_the_timeout) {
  CAPI_REQUIRE_CPUS(2);
  tunables_guard tg;
  cmwq_set_timeout_scale_permille(kNoReapScalePermille);
  const int cpu = cpu1();
  const std::string prefix = "kworker/" + std::to_string(cpu) + ":";
  owned_wq wq(alloc_workqueue("capi-c83", WQ_PERCPU, 0));
  probes items(kSmallBurst);
  for (auto& p : items) {
    p.gated = true;
    ASSERT_TRUE(queue_work_on(cpu, wq, &p.work));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        int n = 0;
        for (auto& p : items) n += p.runs.load();
        return n == kSmallBurst;
      },
      kDeadline, "every burst item running at once"));
  for (auto& p : items) p.open();
  flush_workqueue(wq);
  const int idle_now = count_workers(prefix, "");
  EXPECT_GE(idle_now, kSmallBurst);
  EXPECT_TRUE(stays_false([&] { return count_workers(prefix, "") < idle_now; }, 500ms)) << "a worker was reaped early";
}

// --- 5.12 rescuers ---------------------------------------------------------------------------------

// Assertion 84.
TEST(capi_concurrency, reclaim_queue_has_rescuer_thread_until_destroyed) {
  struct workqueue_struct* wq = alloc_workqueue("rq", WQ_PERCPU | WQ_MEM_RECLAIM, 0);
  ASSERT_NE(wq, nullptr);
  EXPECT_TRUE(wait_until([] { return thread_named("kworker/R-rq"); }, kDeadline, "thread kworker/R-rq"));
  destroy_workqueue(wq);
  EXPECT_TRUE(wait_until([] { return !thread_named("kworker/R-rq"); }, kDeadline, "kworker/R-rq to exit"));
}

// Occupies every worker of CPU `cpu`'s normal pool with blocked items while worker creation fails,
// so that the pool has no idle worker and its last worker is stuck as manager (5.6).
class saturated_pool {
 public:
  explicit saturated_pool(int cpu) : cpu_(cpu), wq_(alloc_workqueue("capi-blockers", WQ_PERCPU, 0)), b_(kMaxBlockers) {
    cmwq_fault_fail_worker_creation(true);
    for (auto& p : b_) p.gated = true;
    for (std::size_t i = 0; i < b_.size(); i++) {
      EXPECT_TRUE(queue_work_on(cpu_, wq_, &b_[i].work));
      // Either it starts (a worker was free: go on) or it stays pending (none left: saturated).
      const std::int64_t until = now_us() + std::chrono::duration_cast<std::chrono::microseconds>(kSaturatedAfter).count();
      while (b_[i].runs.load() == 0 && now_us() < until) std::this_thread::sleep_for(1ms);
      if (b_[i].runs.load() == 0) {
        // Confirm: still pending after a second window (a slow start is not saturation).
        std::this_thread::sleep_for(kSaturatedAfter);
        if (b_[i].runs.load() != 0) continue;
        last_ = i;
        saturated_ = true;
        return;
      }
    }
  }
  ~saturated_pool() {
    cmwq_fault_fail_worker_creation(false);
    for (auto& p : b_) p.open();
    flush_workqueue(wq_);
  }
  bool saturated() const { return saturated_; }
  // The blocker that never got a worker is still waiting (the pool really had none idle).
  bool still_saturated() { return b_[last_].runs.load() == 0; }

 private:
  int cpu_;
  owned_wq wq_;
  probes b_;
  std::size_t last_ = 0;
  bool saturated_ = false;
};

struct rescuer_answer {
  std::atomic<int> value{-1};
};
void record_rescuer(probe* p) { static_cast<rescuer_answer*>(p->ctx)->value = current_is_workqueue_rescuer(); }

// Assertion 85.
TEST(capi_concurrency, reclaim_item_runs_via_rescuer_when_no_worker_can_be_created) {
  tunables_guard tg;
  owned_wq rq(alloc_workqueue("capi-c85", WQ_PERCPU | WQ_MEM_RECLAIM, 0));
  rescuer_answer answer;
  probe r;
  r.body = record_rescuer;
  r.ctx = &answer;
  {
    saturated_pool pool(cpu0());
    ASSERT_TRUE(pool.saturated()) << "could not occupy every worker of CPU " << cpu0();
    const std::int64_t t0 = now_us();
    ASSERT_TRUE(queue_work_on(cpu0(), rq, &r.work));
    EXPECT_TRUE(r.wait_ends(1)) << "the reclaim item did not run while creation failed";
    EXPECT_TRUE(pool.still_saturated());
    EXPECT_LT(r.first_start_us.load() - t0, 2'000'000);  // MAYDAY_INITIAL_TIMEOUT is 10 ms
    EXPECT_EQ(answer.value.load(), 1) << "current_is_workqueue_rescuer() was false inside";
  }
  const cmwq_wq_stats s = stats_of(rq);
  EXPECT_GE(s.mayday, 1ull);
  EXPECT_GE(s.rescued, 1ull);
}

// Assertion 86.
TEST(capi_concurrency, plain_item_waits_until_worker_creation_works_again) {
  tunables_guard tg;
  owned_wq wq(alloc_workqueue("capi-c86", WQ_PERCPU, 0));
  probe w;
  {
    saturated_pool pool(cpu0());
    ASSERT_TRUE(pool.saturated()) << "could not occupy every worker of CPU " << cpu0();
    ASSERT_TRUE(queue_work_on(cpu0(), wq, &w.work));
    EXPECT_TRUE(stays_false([&] { return w.runs.load() > 0; }, 300ms)) << "ran although no worker could be made";
    cmwq_fault_fail_worker_creation(false);
    EXPECT_TRUE(w.wait_ends(1)) << "did not run after creation was allowed again";
  }
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 87 (maydays; the CREATE_COOLDOWN spacing of creation attempts is not observable
// through the C API). A feeder keeps queueing quick items on a reclaim queue while CPU 0's pool
// cannot get a worker; returns the number of maydays counted and the window's length in ms.
struct mayday_run {
  unsigned long long maydays = 0;
  std::int64_t window_ms = 0;
  bool all_rescued = false;
};

mayday_run feed_reclaim_queue_while_saturated(const char* name) {
  mayday_run out;
  owned_wq rq(alloc_workqueue("%s", WQ_PERCPU | WQ_MEM_RECLAIM, 0, name));
  probes fed(static_cast<std::size_t>(kMaydayWindow / kFeedEvery) + 1);
  saturated_pool pool(cpu0());
  EXPECT_TRUE(pool.saturated()) << "could not occupy every worker of CPU " << cpu0();
  if (!pool.saturated()) return out;
  const unsigned long long before = stats_of(rq).mayday;
  const std::int64_t t0 = now_us();
  for (auto& p : fed) {
    EXPECT_TRUE(queue_work_on(cpu0(), rq, &p.work));
    std::this_thread::sleep_for(kFeedEvery);
  }
  out.window_ms = (now_us() - t0) / 1000;
  out.maydays = stats_of(rq).mayday - before;
  out.all_rescued = true;
  for (auto& p : fed) out.all_rescued = p.wait_ends(1) && out.all_rescued;
  EXPECT_TRUE(pool.still_saturated());
  return out;
}

TEST(capi_concurrency, maydays_repeat_while_help_is_needed) {
  tunables_guard tg;
  const mayday_run r = feed_reclaim_queue_while_saturated("capi-c87");
  EXPECT_GE(r.maydays, 3ull) << "over " << r.window_ms << " ms";
  EXPECT_TRUE(r.all_rescued);
}

// One mayday-timer expiry sends at most one mayday per pwq (the kernel holds wq_mayday_lock
// across the whole worklist scan), so maydays come no closer than MAYDAY_INTERVAL.
TEST(capi_concurrency, maydays_come_no_closer_than_the_mayday_interval) {
  tunables_guard tg;
  const mayday_run r = feed_reclaim_queue_while_saturated("capi-c87i");
  EXPECT_LE(r.maydays, static_cast<unsigned long long>(r.window_ms / kMaydayIntervalMs + 2))
      << "over " << r.window_ms << " ms";
}

// --- 5.13 freezing ---------------------------------------------------------------------------------

// Assertion 88.
TEST(capi_concurrency, frozen_queue_holds_new_items_until_thaw) {
  owned_wq wq(alloc_workqueue("capi-c88", WQ_FREEZABLE | WQ_PERCPU, 0));
  probe w;
  thaw_guard thaw;
  freeze_workqueues_begin();
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 0; })) << "ran while frozen";
  EXPECT_TRUE(wait_until([] { return !freeze_workqueues_busy(); }, kDeadline, "freeze_workqueues_busy() false"));
  thaw_workqueues();
  EXPECT_TRUE(w.wait_ends(1)) << "did not run after thaw";
}

// Assertion 89.
TEST(capi_concurrency, freeze_is_busy_while_a_freezable_item_runs) {
  owned_wq wq(alloc_workqueue("capi-c89", WQ_FREEZABLE | WQ_PERCPU, 0));
  probe g;
  g.gated = true;
  ASSERT_TRUE(queue_work(wq, &g.work));
  ASSERT_TRUE(g.wait_runs(1));
  thaw_guard thaw;
  freeze_workqueues_begin();
  EXPECT_TRUE(freeze_workqueues_busy());
  EXPECT_TRUE(stays_false([] { return !freeze_workqueues_busy(); }, 50ms));
  g.open();
  ASSERT_TRUE(g.wait_ends(1));
  EXPECT_TRUE(wait_until([] { return !freeze_workqueues_busy(); }, kDeadline, "freeze_workqueues_busy() false"));
}

// 5.13: flushing a pending item of a frozen queue blocks until thaw; cancelling it does not.
TEST(capi_concurrency, flush_of_frozen_item_waits_for_thaw) {
  owned_wq wq(alloc_workqueue("capi-c88f", WQ_FREEZABLE | WQ_PERCPU, 0));
  probe w;
  thaw_guard thaw;
  freeze_workqueues_begin();
  ASSERT_TRUE(queue_work(wq, &w.work));
  std::atomic<bool> flushed{false};
  std::thread flusher([&] {
    flush_work(&w.work);
    flushed = true;
  });
  EXPECT_TRUE(stays_false([&] { return flushed.load(); })) << "flush_work returned while frozen";
  thaw_workqueues();
  flusher.join();
  EXPECT_EQ(w.ends.load(), 1);
}

TEST(capi_concurrency, cancel_of_frozen_item_does_not_wait_for_thaw) {
  owned_wq wq(alloc_workqueue("capi-c88c", WQ_FREEZABLE | WQ_PERCPU, 0));
  probe w;
  thaw_guard thaw;
  freeze_workqueues_begin();
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_TRUE(cancel_work_sync(&w.work));
  thaw_workqueues();
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 0);
}

// Assertion 90.
TEST(capi_concurrency, freezing_does_not_delay_non_freezable_queues) {
  owned_wq wq(alloc_workqueue("capi-c90", WQ_PERCPU, 0));
  probe w;
  thaw_guard thaw;
  freeze_workqueues_begin();
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_TRUE(w.wait_ends(1));
  EXPECT_FALSE(freeze_workqueues_busy());
}

// --- legacy -------------------------------------------------------------------------------------

// Assertion 123.
TEST(capi_concurrency, singlethread_queue_is_ordered_with_rescuer) {
  owned_wq wq(create_singlethread_workqueue("st"));
  ASSERT_NE(wq.get(), nullptr);
  EXPECT_TRUE(wait_until([] { return thread_named("kworker/R-st"); }, kDeadline, "thread kworker/R-st"));
  probes items(10);
  for (auto& p : items) {
    p.sleep_ms = 2;
    run_on_cpu(cpus()[static_cast<std::size_t>(&p - items.begin()) % cpus().size()],
               [&] { EXPECT_TRUE(queue_work(wq, &p.work)); });
  }
  flush_workqueue(wq);
  EXPECT_TRUE(ran_serially_in_order(items));
}

}  // namespace

// R12/R13 on an unbound queue: a completing item hands its slot on under its own pool's lock. A
// cancelled inactive item may leave its flusher's barrier at the head of the inactive list; the
// barrier passes through without the slot and the next item still gets it. Whether the flusher's
// barrier is linked before the cancel or flush_work() finds the item idle, the outcome is the same.
TEST(capi_concurrency, unbound_slot_hand_off_passes_a_stranded_barrier_to_the_next_item) {
  owned_wq wq(alloc_workqueue("capi-uslot", WQ_UNBOUND, 1));
  probe a, b, c;
  a.gated = true;
  EXPECT_TRUE(queue_work(wq, &a.work));
  ASSERT_TRUE(a.wait_runs(1));
  EXPECT_TRUE(queue_work(wq, &b.work));  // inactive: a holds the one slot
  EXPECT_TRUE(queue_work(wq, &c.work));
  std::thread flusher([&] { flush_work(&b.work); });
  cancel_work(&b.work);
  a.open();
  flusher.join();
  flush_workqueue(wq);
  EXPECT_EQ(a.runs.load(), 1);
  EXPECT_EQ(b.runs.load(), 0);
  EXPECT_EQ(c.runs.load(), 1);
  // The slot is free again: a new item runs.
  probe d;
  EXPECT_TRUE(queue_work(wq, &d.work));
  flush_workqueue(wq);
  EXPECT_EQ(d.runs.load(), 1);
}
