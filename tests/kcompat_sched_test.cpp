// The sleep protocol tells the pool it blocks (semantics.md 5.15): a per-CPU item sleeping in
// schedule_timeout(), or in prepare_to_wait() + schedule_timeout(), lets the next item of its CPU
// start. The sampler that would notice a sleeping worker by itself (observed blocking) and the
// CPU-hog detection are switched off, so only the cooperative hooks can start the second item:
// without them it would wait for the first to end.
#include <gtest/gtest.h>

#include <atomic>

// Before the kernel headers: <linux/cpumask.h> makes cpu_online() a macro.
#include "core/runtime.hpp"

#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "capi_support.hpp"

namespace {

using namespace capi;

// Switches the observed-blocking sampler off for one test.
class no_observed_blocking {
 public:
  no_observed_blocking() : old_(cmwq::core::tunables().observe_after_us.exchange(600'000'000)) {}
  ~no_observed_blocking() { cmwq::core::tunables().observe_after_us.store(old_); }

 private:
  unsigned old_;
};

struct sleep_ctx {
  wait_queue_head_t wq;
  std::atomic<int> flag{0};
  long remaining = -1;
};

// Sleeps in the open-coded wait loop until flag is set (deadline: kGateTimeoutMs).
void wait_loop_body(probe* p) {
  auto* c = static_cast<sleep_ctx*>(p->ctx);
  DEFINE_WAIT(wait);
  long left = static_cast<long>(msecs_to_jiffies(kGateTimeoutMs));
  for (;;) {
    prepare_to_wait(&c->wq, &wait, TASK_INTERRUPTIBLE);
    if (c->flag.load() || left == 0) break;
    left = schedule_timeout(left);
  }
  finish_wait(&c->wq, &wait);
  c->remaining = left;
}

// Sets the flag and wakes the queue: the sleeper's partner.
void wake_body(probe* p) {
  auto* c = static_cast<sleep_ctx*>(p->ctx);
  c->flag.store(1);
  wake_up(&c->wq);
}

// Sleeps a jiffy at a time in a plain sleeping state until flag is set (or kGateTimeoutMs).
void timeout_body(probe* p) {
  auto* c = static_cast<sleep_ctx*>(p->ctx);
  const unsigned long deadline = jiffies + msecs_to_jiffies(kGateTimeoutMs);
  while (!c->flag.load() && time_before(jiffies, deadline)) {
    set_current_state(TASK_UNINTERRUPTIBLE);
    EXPECT_EQ(schedule_timeout(1), 0);
    EXPECT_EQ(cmwq_get_current_state(), static_cast<unsigned>(TASK_RUNNING));
  }
  c->remaining = c->flag.load();
}

// Runs @sleeper_body on cpu0 of a fresh per-CPU queue, then queues wake_body on the same CPU once
// @sleeping says the sleeper is about to sleep, and waits for both. Returns the sleeper's result
// (sleep_ctx::remaining); the waker must have started before the sleeper ended.
long sleeper_then_waker(const char* name, probe_body sleeper_body, bool (*sleeping)(sleep_ctx&)) {
  tunables_guard tg;
  no_observed_blocking nob;
  cmwq_set_cpu_intensive_thresh_us(0);
  owned_wq wq(alloc_workqueue("%s", WQ_PERCPU, 0, name));
  sleep_ctx c;
  init_waitqueue_head(&c.wq);
  probe a, b;
  a.body = sleeper_body;
  a.ctx = &c;
  b.body = wake_body;
  b.ctx = &c;
  EXPECT_TRUE(queue_work_on(cpu0(), wq, &a.work));
  EXPECT_TRUE(a.wait_runs(1));
  EXPECT_TRUE(wait_until([&] { return sleeping(c); }, kDeadline, "the sleeper going to sleep"));
  run_on_cpu(cpu0(), [&] { EXPECT_TRUE(queue_work(wq, &b.work)); });
  flush_workqueue(wq);
  EXPECT_LT(b.start_seq.load(), a.end_seq.load()) << "the waker started only after the sleeper ended";
  return c.remaining;
}

TEST(kcompat_sched, prepare_to_wait_and_schedule_let_the_next_item_of_the_cpu_run) {
  const long remaining = sleeper_then_waker("ksched-wait", wait_loop_body,
                                            [](sleep_ctx& c) { return waitqueue_active(&c.wq); });
  EXPECT_GT(remaining, 0) << "the sleeper was not woken by the queue before its deadline";
}

TEST(kcompat_sched, schedule_timeout_lets_the_next_item_of_the_cpu_run) {
  const long flag_seen = sleeper_then_waker("ksched-timeout", timeout_body, [](sleep_ctx&) { return true; });
  EXPECT_EQ(flag_seen, 1) << "the sleeper hit its deadline: nothing ran while it slept";
}

}  // namespace
