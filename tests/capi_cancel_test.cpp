// tests/capi_cancel_test.cpp - cancel, disable and enable through the C API (semantics.md 2.6,
// 4.8, 4.11; section 10 assertions 40-57).
#include "capi_support.hpp"

namespace {

using namespace capi;

constexpr int kMaxDisableDepth = 65535;  // WORK_OFFQ_DISABLE_BITS = 16 (assertion 57)
constexpr ms kOpenAfter = 30ms;          // how long a helper keeps a running item's gate closed
constexpr unsigned kArmMs = 100;         // an armed timer cancelled at once (longer than a hiccup)

// An ordered queue held by a gated blocker: anything queued behind it stays pending.
struct blocked_ordered {
  owned_wq wq{alloc_ordered_workqueue("capi-cblocked", 0)};
  probe blocker;
  blocked_ordered() {
    blocker.gated = true;
    EXPECT_TRUE(queue_work(wq, &blocker.work));
    EXPECT_TRUE(blocker.wait_runs(1));
  }
  ~blocked_ordered() { blocker.open(); }
};

// Opens a probe's gate from another thread after a while (the main thread is about to block).
class open_later {
 public:
  explicit open_later(probe& p, ms after = kOpenAfter) : t_([&p, after] {
    std::this_thread::sleep_for(after);
    p.open();
  }) {}
  ~open_later() { t_.join(); }

 private:
  std::thread t_;
};

// --- smoke walk -------------------------------------------------------------------------------

TEST(capi_cancel, smoke_walk_queue_cancel_disable_enable_queue) {
  owned_wq wq(alloc_workqueue("capi-csmoke", WQ_PERCPU, 0));
  probe w;
  EXPECT_FALSE(cancel_work(&w.work));
  EXPECT_FALSE(disable_work(&w.work));
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_TRUE(enable_work(&w.work));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_FALSE(cancel_work_sync(&w.work));
  EXPECT_EQ(w.runs.load(), 1);
}

// --- cancel (R26-R29) ----------------------------------------------------------------------------

// Assertion 40.
TEST(capi_cancel, cancel_work_sync_on_pending_item_returns_true_and_it_never_runs) {
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_TRUE(cancel_work_sync(&w.work));
  EXPECT_FALSE(work_pending(&w.work));
  q.blocker.open();
  flush_workqueue(q.wq);
  EXPECT_EQ(w.runs.load(), 0);
}

// Assertion 41.
TEST(capi_cancel, cancel_work_sync_on_idle_item_returns_false) {
  probe w;
  EXPECT_FALSE(cancel_work_sync(&w.work));
}

// Assertion 42.
TEST(capi_cancel, cancel_work_sync_on_running_item_returns_false_after_it_finished) {
  owned_wq wq(alloc_workqueue("capi-c42", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  open_later opener(w);
  EXPECT_FALSE(cancel_work_sync(&w.work));
  EXPECT_EQ(w.ends.load(), 1) << "cancel_work_sync returned while the function still ran";
}

// Assertion 43 (R27): a self-requeueing item is stopped for good.
TEST(capi_cancel, cancel_work_sync_stops_a_self_requeueing_item) {
  owned_wq wq(alloc_workqueue("capi-c43", WQ_PERCPU, 0));
  probe w;
  w.sleep_ms = 1;
  w.requeue_wq = wq;
  w.requeue_self_always = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(3));
  cancel_work_sync(&w.work);
  EXPECT_FALSE(work_pending(&w.work));
  EXPECT_EQ(work_busy(&w.work), 0u);
  const int runs = w.runs.load();
  EXPECT_EQ(w.ends.load(), runs);
  EXPECT_TRUE(stays_false([&] { return w.runs.load() != runs; }, 50ms)) << "it ran again after cancel";
}

// Assertion 44 (R27): while cancel_work_sync waits, queue attempts fail and are lost.
TEST(capi_cancel, queue_during_cancel_work_sync_returns_false_and_is_lost) {
  owned_wq wq(alloc_workqueue("capi-c44", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  std::thread canceller([&] { cancel_work_sync(&w.work); });
  // While the item runs (gated) and is not pending, a refused queue can only mean "disabled by
  // the cancel". A queue that succeeds (the cancel had not started) is stolen by the cancel.
  bool refused_while_idle = false;
  const std::int64_t until = now_us() + 10'000'000;
  while (!refused_while_idle && now_us() < until) {
    if (!work_pending(&w.work)) {
      std::thread other([&] { refused_while_idle = !queue_work(wq, &w.work); });
      other.join();
    }
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(refused_while_idle) << "a queue during cancel_work_sync() was never refused";
  w.open();
  canceller.join();
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 1) << "a request queued during the cancel ran";
  EXPECT_FALSE(work_pending(&w.work));
}

// Assertion 45: the cancel's own disable is undone.
TEST(capi_cancel, queue_after_cancel_work_sync_returns_true_and_runs) {
  owned_wq wq(alloc_workqueue("capi-c45", WQ_PERCPU, 0));
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_TRUE(cancel_work_sync(&w.work));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 46.
TEST(capi_cancel, cancel_work_on_pending_item_returns_true) {
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_TRUE(cancel_work(&w.work));
  EXPECT_FALSE(work_pending(&w.work));
  q.blocker.open();
  flush_workqueue(q.wq);
  EXPECT_EQ(w.runs.load(), 0);
}

TEST(capi_cancel, cancel_work_on_running_item_returns_false_without_waiting) {
  owned_wq wq(alloc_workqueue("capi-c46", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  EXPECT_FALSE(cancel_work(&w.work));  // returns with the gate still closed: it did not wait
  EXPECT_EQ(w.ends.load(), 0);
  w.open();
  ASSERT_TRUE(w.wait_ends(1));
}

// Assertion 47 (R28).
TEST(capi_cancel, cancel_work_sync_keeps_a_callers_disable) {
  owned_wq wq(alloc_workqueue("capi-c47", WQ_PERCPU, 0));
  probe w;
  EXPECT_FALSE(disable_work(&w.work));
  EXPECT_FALSE(cancel_work_sync(&w.work));
  EXPECT_FALSE(queue_work(wq, &w.work)) << "cancel_work_sync undid someone else's disable";
  EXPECT_TRUE(enable_work(&w.work));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 48.
TEST(capi_cancel, cancel_delayed_work_sync_on_armed_item_leaves_it_idle) {
  owned_wq wq(alloc_workqueue("capi-c48", WQ_PERCPU, 0));
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmMs)));
  EXPECT_TRUE(cancel_delayed_work_sync(&d.dwork));
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  EXPECT_EQ(work_busy(&d.dwork.work), 0u);
  EXPECT_TRUE(stays_false([&] { return d.runs.load() > 0; }, ms(2 * kArmMs)));
}

TEST(capi_cancel, cancel_delayed_work_sync_on_running_item_waits) {
  owned_wq wq(alloc_workqueue("capi-c48r", WQ_PERCPU, 0));
  probe d;
  d.gated = true;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 1));
  ASSERT_TRUE(d.wait_runs(1));
  open_later opener(d);
  EXPECT_FALSE(cancel_delayed_work_sync(&d.dwork));
  EXPECT_EQ(d.ends.load(), 1);
}

// --- disable / enable (R38-R40) -------------------------------------------------------------------

// Assertion 49.
TEST(capi_cancel, disable_idle_item_refuses_queue_until_enabled) {
  owned_wq wq(alloc_workqueue("capi-c49", WQ_PERCPU, 0));
  probe w;
  EXPECT_FALSE(disable_work(&w.work));
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_TRUE(enable_work(&w.work));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 50.
TEST(capi_cancel, disable_nests) {
  owned_wq wq(alloc_workqueue("capi-c50", WQ_PERCPU, 0));
  probe w;
  disable_work(&w.work);
  disable_work(&w.work);
  EXPECT_FALSE(enable_work(&w.work));
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_TRUE(enable_work(&w.work));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 51 (R40).
TEST(capi_cancel, disable_pending_item_returns_true_and_it_never_runs) {
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_TRUE(disable_work(&w.work));
  EXPECT_FALSE(work_pending(&w.work));
  q.blocker.open();
  flush_workqueue(q.wq);
  EXPECT_EQ(w.runs.load(), 0);
  EXPECT_TRUE(enable_work(&w.work));
}

// Assertion 52.
TEST(capi_cancel, disable_work_sync_on_running_item_waits_and_stays_disabled) {
  owned_wq wq(alloc_workqueue("capi-c52", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  {
    open_later opener(w);
    EXPECT_FALSE(disable_work_sync(&w.work));
    EXPECT_EQ(w.ends.load(), 1) << "disable_work_sync returned while the function still ran";
  }
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_TRUE(enable_work(&w.work));
}

// Assertion 53.
TEST(capi_cancel, enable_and_queue_work_on_once_disabled_item_queues_it) {
  owned_wq wq(alloc_workqueue("capi-c53", WQ_PERCPU, 0));
  probe w;
  disable_work(&w.work);
  EXPECT_TRUE(enable_and_queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

TEST(capi_cancel, enable_and_queue_work_on_twice_disabled_item_does_nothing) {
  owned_wq wq(alloc_workqueue("capi-c53b", WQ_PERCPU, 0));
  probe w;
  disable_work(&w.work);
  disable_work(&w.work);
  EXPECT_FALSE(enable_and_queue_work(wq, &w.work));
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 0);
  EXPECT_TRUE(enable_work(&w.work));
}

// Assertion 54 (2.2): INIT_WORK resets the disable count.
TEST(capi_cancel, init_work_resets_the_disable_count) {
  owned_wq wq(alloc_workqueue("capi-c54", WQ_PERCPU, 0));
  probe w;
  disable_work(&w.work);
  disable_work(&w.work);
  INIT_WORK(&w.work, &probe::work_fn);
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 55.
TEST(capi_cancel, disable_armed_delayed_item_stops_it_and_mod_cannot_requeue) {
  owned_wq wq(alloc_workqueue("capi-c55", WQ_PERCPU, 0));
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmMs)));
  EXPECT_TRUE(disable_delayed_work(&d.dwork));
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  EXPECT_FALSE(mod_delayed_work(wq, &d.dwork, 0));
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  EXPECT_TRUE(stays_false([&] { return d.runs.load() > 0; }, ms(2 * kArmMs)));
  EXPECT_TRUE(enable_delayed_work(&d.dwork));
}

TEST(capi_cancel, disable_delayed_work_sync_waits_for_running_instance) {
  owned_wq wq(alloc_workqueue("capi-c55s", WQ_PERCPU, 0));
  probe d;
  d.gated = true;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 0));
  ASSERT_TRUE(d.wait_runs(1));
  {
    open_later opener(d);
    EXPECT_FALSE(disable_delayed_work_sync(&d.dwork));
    EXPECT_EQ(d.ends.load(), 1);
  }
  EXPECT_FALSE(queue_delayed_work(wq, &d.dwork, 0));
  EXPECT_TRUE(enable_delayed_work(&d.dwork));
  EXPECT_TRUE(queue_delayed_work(wq, &d.dwork, 0));
  flush_delayed_work(&d.dwork);
  EXPECT_EQ(d.runs.load(), 2);
}

// Assertion 56 (R38): WARN_ONCE, so only the process's first underflow logs.
TEST(capi_cancel, enable_of_never_disabled_item_warns_underflow_and_returns_true) {
  static bool logged_before = false;
  log_capture log;
  probe w;
  EXPECT_TRUE(enable_work(&w.work));
  expect_logged_once_per_process(log, "workqueue: work disable count underflowed", logged_before);
  // The count stays at zero: the item can be queued.
  owned_wq wq(alloc_workqueue("capi-c56", WQ_PERCPU, 0));
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 57 (R38): the count saturates at 65535 with a WARN_ONCE.
TEST(capi_cancel, disable_beyond_max_depth_warns_overflow) {
  static bool logged_before = false;
  log_capture log;
  probe w;
  for (int i = 0; i < kMaxDisableDepth; i++) disable_work(&w.work);
  EXPECT_FALSE(log.contains("overflowed")) << "warned before the maximum depth";
  disable_work(&w.work);
  expect_logged_once_per_process(log, "workqueue: work disable count overflowed", logged_before);
  // Saturated: 65535 enables bring it back to zero.
  for (int i = 0; i < kMaxDisableDepth - 1; i++) ASSERT_FALSE(enable_work(&w.work)) << "at enable " << i;
  EXPECT_TRUE(enable_work(&w.work));
}

// R29: cancelling a zero-filled item (never initialised) warns and returns false.
TEST(capi_cancel, cancel_work_sync_on_zero_filled_item_warns_and_returns_false) {
  struct work_struct zero;
  std::memset(&zero, 0, sizeof zero);
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  EXPECT_FALSE(cancel_work_sync(&zero));
  EXPECT_GT(cmwq_warn_count(), warns);
}

}  // namespace
