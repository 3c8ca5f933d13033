// tests/kernel_timer_test.cpp - struct timer_list on cmwq's timing wheel (linux/timer.h,
// src/kcompat/timer.cpp).
//
// Smoke walk, then one property per test: from_timer() finds the container; callbacks run in
// softirq context (sleeping there warns); mod_timer/timer_pending/timer_delete return values;
// timer_delete_sync waits for a running callback; DEFINE_TIMER and hand-assigned ->function work;
// timer_shutdown_sync stops a self-re-arming timer. Timing is never asserted tightly: expiries
// are a few jiffies and every wait has a generous deadline.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/timer.h>

using namespace std::chrono_literals;

namespace {

constexpr auto deadline = 10s;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = deadline) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct gadget {
  int id = 7;
  struct timer_list timer;
  std::atomic<int> fired{0};
  std::atomic<bool> softirq{false}, interrupt{false}, hardirq{true};
  gadget* self_seen = nullptr;
};

void gadget_fn(struct timer_list* t) {
  gadget* g = from_timer(g, t, timer);
  g->self_seen = g;
  g->softirq = in_softirq();
  g->interrupt = in_interrupt();
  g->hardirq = in_hardirq();
  g->fired++;
}

}  // namespace

TEST(kernel_timer, smoke_setup_arm_fire_in_softirq_context) {
  gadget g;
  timer_setup(&g.timer, gadget_fn, 0);
  EXPECT_FALSE(timer_pending(&g.timer));
  EXPECT_EQ(mod_timer(&g.timer, jiffies + 2), 0) << "was idle";
  EXPECT_TRUE(timer_pending(&g.timer) || g.fired.load() == 1);
  ASSERT_TRUE(wait_until([&] { return g.fired.load() == 1; }));
  EXPECT_FALSE(timer_pending(&g.timer));
  EXPECT_EQ(g.self_seen, &g) << "from_timer() found the container";
  EXPECT_TRUE(g.softirq);
  EXPECT_TRUE(g.interrupt);
  EXPECT_FALSE(g.hardirq);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(g.fired.load(), 1) << "fires once";
}

TEST(kernel_timer, timer_container_of_is_from_timer) {
  gadget g;
  struct timer_list* t = &g.timer;
  gadget* back = timer_container_of(back, t, timer);
  EXPECT_EQ(back, &g);
}

TEST(kernel_timer, mod_timer_returns_whether_it_was_pending) {
  gadget g;
  timer_setup(&g.timer, gadget_fn, 0);
  EXPECT_EQ(mod_timer(&g.timer, jiffies + 10000), 0);
  EXPECT_TRUE(timer_pending(&g.timer));
  unsigned long j = jiffies;
  EXPECT_EQ(mod_timer(&g.timer, j + 20000), 1);
  EXPECT_EQ(g.timer.expires, j + 20000);
  EXPECT_EQ(timer_delete(&g.timer), 1);
  EXPECT_FALSE(timer_pending(&g.timer));
  EXPECT_EQ(del_timer(&g.timer), 0);
  EXPECT_EQ(timer_delete_sync(&g.timer), 0);
  EXPECT_EQ(g.fired.load(), 0);
}

TEST(kernel_timer, deleted_timer_never_fires) {
  gadget g;
  timer_setup(&g.timer, gadget_fn, 0);
  mod_timer(&g.timer, jiffies + 200);  // far enough that a descheduled test thread still wins
  EXPECT_EQ(timer_delete(&g.timer), 1);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(g.fired.load(), 0);
}

TEST(kernel_timer, add_timer_arms_and_warns_when_already_pending) {
  gadget g;
  timer_setup(&g.timer, gadget_fn, 0);
  g.timer.expires = jiffies + 10000;
  add_timer(&g.timer);
  EXPECT_TRUE(timer_pending(&g.timer));
  unsigned long w0 = cmwq_warn_count();
  add_timer(&g.timer);
  EXPECT_EQ(cmwq_warn_count(), w0 + 1);
  timer_delete_sync(&g.timer);
}

namespace {

struct slowpoke {
  struct timer_list timer;
  std::atomic<bool> started{false}, finished{false};
};

void slowpoke_fn(struct timer_list* t) {
  slowpoke* s = from_timer(s, t, timer);
  s->started = true;
  // Busy-wait: sleeping in a timer callback is not allowed.
  auto end = std::chrono::steady_clock::now() + 100ms;
  while (std::chrono::steady_clock::now() < end) {
  }
  s->finished = true;
}

}  // namespace

TEST(kernel_timer, delete_sync_waits_for_a_running_callback) {
  slowpoke s;
  timer_setup(&s.timer, slowpoke_fn, 0);
  mod_timer(&s.timer, jiffies + 1);
  ASSERT_TRUE(wait_until([&] { return s.started.load(); }));
  EXPECT_EQ(timer_delete_sync(&s.timer), 0) << "it was running, not armed";
  EXPECT_TRUE(s.finished.load());
}

namespace {

std::atomic<int> g_static_fired{0};
std::atomic<bool> g_static_softirq{false};
void static_fn(struct timer_list*) {
  g_static_softirq = in_softirq();
  g_static_fired++;
}
DEFINE_TIMER(g_static_timer, static_fn);

}  // namespace

TEST(kernel_timer, define_timer_is_ready_to_arm) {
  EXPECT_FALSE(timer_pending(&g_static_timer));
  mod_timer(&g_static_timer, jiffies + 1);
  ASSERT_TRUE(wait_until([] { return g_static_fired.load() == 1; }));
  EXPECT_TRUE(g_static_softirq.load());
  mod_timer(&g_static_timer, jiffies + 1);  // a second arm of a converted static timer
  ASSERT_TRUE(wait_until([] { return g_static_fired.load() == 2; }));
}

TEST(kernel_timer, hand_assigned_function_is_honoured) {
  gadget g;
  timer_setup(&g.timer, static_fn, 0);
  g.timer.function = gadget_fn;  // old-style code changes the callback by hand
  mod_timer(&g.timer, jiffies + 1);
  ASSERT_TRUE(wait_until([&] { return g.fired.load() == 1; }));
  EXPECT_TRUE(g.softirq);
}

namespace {

struct sleeper {
  struct timer_list timer;
  struct mutex lock;
  int what = 0;
  std::atomic<bool> done{false};
};

void sleeper_fn(struct timer_list* t) {
  sleeper* s = from_timer(s, t, timer);
  switch (s->what) {
    case 0:
      msleep(1);
      break;
    case 1:
      mutex_lock(&s->lock);
      mutex_unlock(&s->lock);
      break;
    case 2:
      kfree(kmalloc(16, GFP_KERNEL));
      break;
    case 3:
      kfree(kmalloc(16, GFP_ATOMIC));
      break;
  }
  s->done = true;
}

unsigned long warnings_for(int what) {
  sleeper s;
  s.what = what;
  mutex_init(&s.lock);
  timer_setup(&s.timer, sleeper_fn, 0);
  unsigned long w0 = cmwq_warn_count();
  mod_timer(&s.timer, jiffies + 1);
  EXPECT_TRUE(wait_until([&] { return s.done.load(); }));
  timer_delete_sync(&s.timer);
  return cmwq_warn_count() - w0;
}

}  // namespace

TEST(kernel_timer, sleeping_in_a_callback_warns) {
  EXPECT_GE(warnings_for(0), 1u) << "msleep";
  EXPECT_GE(warnings_for(1), 1u) << "mutex_lock";
  EXPECT_GE(warnings_for(2), 1u) << "kmalloc(GFP_KERNEL)";
  EXPECT_EQ(warnings_for(3), 0u) << "kmalloc(GFP_ATOMIC) is fine";
}

namespace {

struct rearm {
  struct timer_list timer;
  std::atomic<int> fired{0};
};

void rearm_fn(struct timer_list* t) {
  rearm* r = from_timer(r, t, timer);
  r->fired++;
  mod_timer(&r->timer, jiffies + 1);
}

}  // namespace

TEST(kernel_timer, shutdown_sync_stops_a_self_rearming_timer) {
  auto* r = new rearm;
  timer_setup(&r->timer, rearm_fn, 0);
  mod_timer(&r->timer, jiffies + 1);
  ASSERT_TRUE(wait_until([&] { return r->fired.load() >= 5; }));
  timer_shutdown_sync(&r->timer);
  EXPECT_FALSE(timer_pending(&r->timer));
  int fired = r->fired.load();
  EXPECT_EQ(mod_timer(&r->timer, jiffies + 1), 0) << "arming a shut-down timer is a no-op";
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(r->fired.load(), fired);
  delete r;  // nothing may touch it any more (ASan checks)
}

TEST(kernel_timer, mod_timer_pending_and_timer_reduce) {
  gadget g;
  timer_setup(&g.timer, gadget_fn, 0);
  EXPECT_EQ(mod_timer_pending(&g.timer, jiffies + 10000), 0);
  EXPECT_FALSE(timer_pending(&g.timer)) << "mod_timer_pending does not arm an idle timer";
  EXPECT_EQ(timer_reduce(&g.timer, jiffies + 20000), 0);
  EXPECT_TRUE(timer_pending(&g.timer));
  unsigned long far = g.timer.expires;
  EXPECT_EQ(timer_reduce(&g.timer, far + 5000), 1);
  EXPECT_EQ(g.timer.expires, far) << "timer_reduce never postpones";
  EXPECT_EQ(timer_reduce(&g.timer, far - 5000), 1);
  EXPECT_EQ(g.timer.expires, far - 5000);
  EXPECT_EQ(mod_timer_pending(&g.timer, jiffies + 1), 1);
  ASSERT_TRUE(wait_until([&] { return g.fired.load() == 1; }));
  EXPECT_EQ(try_to_del_timer_sync(&g.timer), 0);
}

TEST(kernel_timer, delete_sync_from_hard_irq_warns_unless_irqsafe) {
  static gadget g, safe;
  timer_setup(&g.timer, gadget_fn, 0);
  timer_setup(&safe.timer, gadget_fn, TIMER_IRQSAFE);
  auto handler = [](int, void*) {
    timer_delete_sync(&safe.timer);
    timer_delete_sync(&g.timer);
    return IRQ_HANDLED;
  };
  ASSERT_EQ(request_irq(50, handler, 0, "tdel", &g), 0);
  unsigned long w0 = cmwq_warn_count();
  EXPECT_EQ(cmwq_irq_raise(50), 0);
  EXPECT_EQ(cmwq_warn_count(), w0 + 1);
  free_irq(50, &g);
}
