// tests/capi_delayed_test.cpp - delayed work through the C API (semantics.md 2.4, 2.5, 2.6,
// 4.5 R17/R18, 4.10; section 10 assertions 11-23).
//
// Timing rules ([T]) get one-sided bounds: "not before the delay" is exact (the timer never
// fires early: HZ = 1000, one jiffy = 1 ms, so a delay of N jiffies ends at least N-1 ms after the
// call), "by the delay + tolerance" is generous because the machine is loaded.
#include "capi_support.hpp"

namespace {

using namespace capi;

constexpr unsigned kShortMs = 20;                // a short delay
constexpr unsigned kDelayMs = 50;                // assertion 12
constexpr unsigned kArmedMs = 300;               // an "armed for long" timer we still wait out
constexpr unsigned kVeryLongMs = 10000;          // a timer we never wait for
constexpr std::int64_t kLateUs = 2'000'000;      // how late a timer may fire on a loaded machine
constexpr std::int64_t kJiffyUs = 1000;          // rounding of the jiffy clock
constexpr int kFlushRepeats = 5000;              // assertion 21's race

std::int64_t delay_us(unsigned msecs) { return static_cast<std::int64_t>(msecs) * 1000; }

// An ordered queue held by a gated blocker: an item queued now stays inactive, which shows it was
// queued synchronously (not left on a timer).
struct blocked_ordered {
  owned_wq wq{alloc_ordered_workqueue("capi-dblocked", 0)};
  probe blocker;
  blocked_ordered() {
    blocker.gated = true;
    EXPECT_TRUE(queue_work(wq, &blocker.work));
    EXPECT_TRUE(blocker.wait_runs(1));
  }
  ~blocked_ordered() { blocker.open(); }
};

// --- smoke walk -------------------------------------------------------------------------------

TEST(capi_delayed, smoke_walk_armed_fired_ran_idle) {
  owned_wq wq(alloc_workqueue("capi-dsmoke", WQ_UNBOUND, 0));
  probe d;
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kShortMs)));
  EXPECT_TRUE(delayed_work_pending(&d.dwork));
  ASSERT_TRUE(d.wait_ends(1));
  flush_delayed_work(&d.dwork);
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  EXPECT_EQ(d.runs.load(), 1);
}

// Assertion 11 (R36): delay 0 queues synchronously, never through a timer tick.
TEST(capi_delayed, zero_delay_queues_immediately) {
  blocked_ordered q;
  probe d;
  ASSERT_TRUE(queue_delayed_work(q.wq, &d.dwork, 0));
  const cmwq_wq_stats s = stats_of(q.wq);
  EXPECT_EQ(s.nr_inactive, 1) << "the item is not on the queue right after queue_delayed_work(.., 0)";
  q.blocker.open();
  ASSERT_TRUE(d.wait_ends(1));
}

TEST(capi_delayed, zero_delay_runs_without_waiting_for_a_tick) {
  owned_wq wq(alloc_workqueue("capi-d11", WQ_UNBOUND, 0));
  probe d;
  const std::int64_t t0 = now_us();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 0));
  ASSERT_TRUE(d.wait_runs(1));
  EXPECT_LT(d.first_start_us.load() - t0, kLateUs);
}

// Assertion 12.
TEST(capi_delayed, delay_is_honoured_not_early) {
  owned_wq wq(alloc_workqueue("capi-d12", WQ_UNBOUND, 0));
  probe d;
  const std::int64_t t0 = now_us();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kDelayMs)));
  ASSERT_TRUE(d.wait_runs(1));
  const std::int64_t waited = d.first_start_us.load() - t0;
  EXPECT_GE(waited, delay_us(kDelayMs) - kJiffyUs);
  EXPECT_LT(waited, delay_us(kDelayMs) + kLateUs);
}

// Assertion 13 (R2 for delayed work): the existing deadline is not changed.
TEST(capi_delayed, queue_on_armed_item_returns_false_and_keeps_deadline) {
  owned_wq wq(alloc_workqueue("capi-d13", WQ_UNBOUND, 0));
  probe d;
  const std::int64_t t0 = now_us();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmedMs)));
  EXPECT_FALSE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kShortMs / 2)));
  EXPECT_FALSE(queue_work(wq, &d.dwork.work));
  ASSERT_TRUE(d.wait_runs(1));
  EXPECT_GE(d.first_start_us.load() - t0, delay_us(kArmedMs) - kJiffyUs);
  flush_delayed_work(&d.dwork);
  EXPECT_EQ(d.runs.load(), 1);
}

// Assertion 14: mod_delayed_work on an idle item returns false (inverted) and queues it.
TEST(capi_delayed, mod_on_idle_item_returns_false_and_arms) {
  owned_wq wq(alloc_workqueue("capi-d14", WQ_UNBOUND, 0));
  probe d;
  const std::int64_t t0 = now_us();
  EXPECT_FALSE(mod_delayed_work(wq, &d.dwork, msecs_to_jiffies(kShortMs)));
  EXPECT_TRUE(delayed_work_pending(&d.dwork));
  ASSERT_TRUE(d.wait_runs(1));
  const std::int64_t waited = d.first_start_us.load() - t0;
  EXPECT_GE(waited, delay_us(kShortMs) - kJiffyUs);
  EXPECT_LT(waited, delay_us(kShortMs) + kLateUs);
}

// Assertion 15 (R35): re-armed with the new delay; runs once, not again at the old deadline.
TEST(capi_delayed, mod_on_armed_item_returns_true_and_rearms_once) {
  owned_wq wq(alloc_workqueue("capi-d15", WQ_UNBOUND, 0));
  probe d;
  const std::int64_t t0 = now_us();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmedMs)));
  EXPECT_TRUE(mod_delayed_work(wq, &d.dwork, msecs_to_jiffies(kShortMs)));
  ASSERT_TRUE(d.wait_runs(1));
  EXPECT_GE(d.first_start_us.load() - t0, delay_us(kShortMs) - kJiffyUs);
  // Watch past the old deadline: no second run.
  const std::int64_t old_deadline = t0 + delay_us(kArmedMs);
  std::this_thread::sleep_for(std::chrono::microseconds(old_deadline - now_us() + delay_us(kDelayMs)));
  EXPECT_EQ(d.runs.load(), 1);
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
}

// Assertion 16: mod with delay 0 queues synchronously.
TEST(capi_delayed, mod_with_zero_delay_queues_armed_item_now) {
  blocked_ordered q;
  probe d;
  ASSERT_TRUE(queue_delayed_work(q.wq, &d.dwork, msecs_to_jiffies(kVeryLongMs)));
  EXPECT_TRUE(mod_delayed_work(q.wq, &d.dwork, 0));
  EXPECT_EQ(stats_of(q.wq).nr_inactive, 1) << "not queued synchronously";
  q.blocker.open();
  ASSERT_TRUE(d.wait_ends(1, 5s));
}

// Assertion 17.
TEST(capi_delayed, armed_item_is_pending_and_busy_pending) {
  owned_wq wq(alloc_workqueue("capi-d17", WQ_UNBOUND, 0));
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kVeryLongMs)));
  EXPECT_TRUE(delayed_work_pending(&d.dwork));
  EXPECT_TRUE(work_pending(&d.dwork.work));
  EXPECT_EQ(work_busy(&d.dwork.work), static_cast<unsigned>(WORK_BUSY_PENDING));
  EXPECT_TRUE(cancel_delayed_work_sync(&d.dwork));
}

// Assertion 18.
TEST(capi_delayed, cancel_armed_item_returns_true_and_it_never_runs) {
  owned_wq wq(alloc_workqueue("capi-d18", WQ_UNBOUND, 0));
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kArmedMs)));
  EXPECT_TRUE(cancel_delayed_work(&d.dwork));
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
  EXPECT_TRUE(stays_false([&] { return d.runs.load() > 0; }, ms(kArmedMs + kDelayMs)));
}

// Assertion 19.
TEST(capi_delayed, cancel_idle_item_returns_false) {
  probe d;
  EXPECT_FALSE(cancel_delayed_work(&d.dwork));
  EXPECT_FALSE(cancel_delayed_work_sync(&d.dwork));
}

// Assertion 20 (R26): cancel_delayed_work never waits for a running instance.
TEST(capi_delayed, cancel_running_item_returns_false_without_waiting) {
  owned_wq wq(alloc_workqueue("capi-d20", WQ_UNBOUND, 0));
  probe d;
  d.gated = true;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 0));
  ASSERT_TRUE(d.wait_runs(1));
  EXPECT_FALSE(cancel_delayed_work(&d.dwork));  // returns although the gate is still closed
  EXPECT_EQ(d.ends.load(), 0);
  d.open();
  ASSERT_TRUE(d.wait_ends(1));
}

// Assertion 21 (R17).
TEST(capi_delayed, flush_armed_item_runs_it_now_and_returns_true) {
  owned_wq wq(alloc_workqueue("capi-d21", WQ_PERCPU, 0));
  probe d;
  const std::int64_t t0 = now_us();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kVeryLongMs)));
  flush_delayed_work(&d.dwork);  // the return value: next test
  EXPECT_EQ(d.ends.load(), 1);  // finished when flush returned
  EXPECT_LT(now_us() - t0, delay_us(kVeryLongMs) / 2);
  EXPECT_FALSE(delayed_work_pending(&d.dwork));
}

// Assertion 21, return value: the item was pending (armed) at the call, so flush_delayed_work()
// must say it waited. Repeated, because the bug this guards against was a race: the item ran and
// completed between the re-queue and flush_work()'s look at it, which then found it idle.
TEST(capi_delayed, flush_armed_item_returns_true_every_time) {
  owned_wq wq(alloc_workqueue("capi-d21r", WQ_PERCPU, 0));
  probe d;
  int false_returns = 0;
  cpu_pin pin(cpu0());  // the flusher shares the CPU with the worker it wakes...
  std::atomic<bool> stop{false};
  std::thread hog([&] {  // ...and with a CPU hog, so that it is often preempted in the window
    cpu_pin hog_pin(cpu0());
    while (!stop.load()) {
    }
  });
  for (int i = 0; i < kFlushRepeats; i++) {
    ASSERT_TRUE(queue_delayed_work_on(cpu0(), wq, &d.dwork, msecs_to_jiffies(kVeryLongMs)));
    if (!flush_delayed_work(&d.dwork)) false_returns++;
    EXPECT_EQ(d.ends.load(), i + 1);
  }
  stop = true;
  hog.join();
  EXPECT_EQ(false_returns, 0) << "of " << kFlushRepeats;
}

// Assertion 22.
TEST(capi_delayed, flush_idle_item_returns_false) {
  probe d;
  EXPECT_FALSE(flush_delayed_work(&d.dwork));
}

// R18: flush_work on the inner work of an armed item does not wait for the timer.
TEST(capi_delayed, flush_work_on_armed_item_does_not_wait_for_timer) {
  owned_wq wq(alloc_workqueue("capi-dr18", WQ_UNBOUND, 0));
  probe d;
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, msecs_to_jiffies(kVeryLongMs)));
  EXPECT_FALSE(flush_work(&d.dwork.work));
  EXPECT_EQ(d.runs.load(), 0);
  EXPECT_TRUE(delayed_work_pending(&d.dwork));
  EXPECT_TRUE(cancel_delayed_work_sync(&d.dwork));
}

// Assertion 23 (R37): the item runs on the CPU it was armed for.
TEST(capi_delayed, queue_delayed_work_on_cpu_runs_there) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-d23", WQ_PERCPU, 0));
  for (int cpu : {cpu1(), cpu0()}) {
    probe d;
    ASSERT_TRUE(queue_delayed_work_on(cpu, wq, &d.dwork, msecs_to_jiffies(kShortMs)));
    ASSERT_TRUE(d.wait_ends(1));
    EXPECT_EQ(d.cpu.load(), cpu);
  }
}

TEST(capi_delayed, schedule_delayed_work_on_cpu_runs_there) {
  CAPI_REQUIRE_CPUS(2);
  probe d;
  ASSERT_TRUE(schedule_delayed_work_on(cpu1(), &d.dwork, msecs_to_jiffies(kShortMs)));
  ASSERT_TRUE(d.wait_ends(1));
  EXPECT_EQ(d.cpu.load(), cpu1());
}

// Delayed items that re-arm themselves through mod_delayed_work from their own function.
void rearm_self(probe* p) {
  if (p->runs.load() < 3) mod_delayed_work(static_cast<struct workqueue_struct*>(p->ctx), &p->dwork, 1);
}

TEST(capi_delayed, item_rearming_itself_runs_each_time_without_overlap) {
  owned_wq wq(alloc_workqueue("capi-drearm", WQ_PERCPU, 0));
  probe d;
  d.body = rearm_self;
  d.ctx = wq.get();
  ASSERT_TRUE(queue_delayed_work(wq, &d.dwork, 1));
  ASSERT_TRUE(d.wait_ends(3));
  EXPECT_TRUE(stays_false([&] { return d.runs.load() > 3; }, 30ms));
  EXPECT_EQ(d.max_running.load(), 1);
}

}  // namespace
