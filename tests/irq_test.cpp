// tests/irq_test.cpp - simulated interrupts (linux/interrupt.h, src/kcompat/irq.cpp).
//
// One smoke walk, then one property per test: hard handlers run in hard-IRQ context on "irq/<n>";
// threaded handlers in process context on "irq/<n>-<name>"; free_irq() and synchronize_irq() wait
// for running handlers; disabled lines latch and replay; sharing rules; misuse warns; and every
// sleeping call made from a hard handler warns (msleep, mutex_lock, flush_work,
// wait_for_completion, kmalloc(GFP_KERNEL)).
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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

std::string thread_name() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

// What a handler saw, written by the handler and read after cmwq_irq_raise() returned (the raise
// orders them: everything the handlers did happens-before it returns).
struct probe {
  std::atomic<int> calls{0};
  std::atomic<int> thread_calls{0};
  bool hardirq = false, interrupt = false, thread_in_interrupt = true;
  std::string name, thread_name;
  irqreturn_t ret = IRQ_HANDLED;
};

irqreturn_t probe_hard(int, void* dev_id) {
  auto* p = static_cast<probe*>(dev_id);
  p->hardirq = in_hardirq();
  p->interrupt = in_interrupt();
  p->name = thread_name();
  p->calls++;
  return p->ret;
}

irqreturn_t probe_thread(int, void* dev_id) {
  auto* p = static_cast<probe*>(dev_id);
  p->thread_in_interrupt = in_interrupt();
  p->thread_name = thread_name();
  p->thread_calls++;
  return IRQ_HANDLED;
}

}  // namespace

TEST(irq, smoke_request_raise_free) {
  probe p;
  ASSERT_EQ(request_irq(10, probe_hard, 0, "smoke", &p), 0);
  EXPECT_EQ(cmwq_irq_actions_installed(), 1u);
  EXPECT_EQ(cmwq_irq_raise(10), 0);
  EXPECT_EQ(p.calls.load(), 1);
  EXPECT_TRUE(p.hardirq);
  EXPECT_TRUE(p.interrupt);
  EXPECT_EQ(p.name, "irq/10");
  EXPECT_FALSE(in_interrupt()) << "the raising thread is not in interrupt context";
  EXPECT_STREQ(static_cast<const char*>(free_irq(10, &p)), "smoke");
  EXPECT_EQ(cmwq_irq_raise(10), -ENOENT);
  EXPECT_EQ(p.calls.load(), 1);
  EXPECT_EQ(cmwq_irq_actions_installed(), 0u);
  cmwq_irq_stats st;
  ASSERT_EQ(cmwq_irq_get_stats(10, &st), 0);
  EXPECT_EQ(st.raised, 2u);
  EXPECT_EQ(st.delivered, 1u);
  EXPECT_EQ(st.handled, 1u);
  EXPECT_EQ(st.lost, 1u);
}

TEST(irq, raise_without_handler_or_bad_line) {
  EXPECT_EQ(cmwq_irq_raise(11), -ENOENT);
  EXPECT_EQ(cmwq_irq_raise(CMWQ_NR_IRQS), -EINVAL);
  probe p;
  EXPECT_EQ(request_irq(CMWQ_NR_IRQS, probe_hard, 0, "bad", &p), -EINVAL);
  EXPECT_EQ(request_irq(11, nullptr, 0, "null", &p), -EINVAL);
}

TEST(irq, threaded_handler_runs_in_process_context_before_raise_returns) {
  probe p;
  p.ret = IRQ_WAKE_THREAD;
  ASSERT_EQ(request_threaded_irq(12, probe_hard, probe_thread, 0, "thr", &p), 0);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(cmwq_irq_raise(12), 0);
  EXPECT_EQ(p.calls.load(), 50);
  EXPECT_EQ(p.thread_calls.load(), 50) << "each wake-up is served before the next interrupt";
  EXPECT_FALSE(p.thread_in_interrupt);
  EXPECT_EQ(p.thread_name, "irq/12-thr");
  free_irq(12, &p);
}

TEST(irq, null_primary_handler_needs_oneshot) {
  probe p;
  EXPECT_EQ(request_threaded_irq(13, nullptr, probe_thread, 0, "noone", &p), -EINVAL);
  ASSERT_EQ(request_threaded_irq(13, nullptr, probe_thread, IRQF_ONESHOT, "one", &p), 0);
  EXPECT_EQ(cmwq_irq_raise(13), 0);
  EXPECT_EQ(p.thread_calls.load(), 1);
  free_irq(13, &p);
}

TEST(irq, shared_lines_call_every_handler_and_refuse_exclusive_ones) {
  probe a, b, c;
  ASSERT_EQ(request_irq(14, probe_hard, IRQF_SHARED, "a", &a), 0);
  ASSERT_EQ(request_irq(14, probe_hard, IRQF_SHARED, "b", &b), 0);
  EXPECT_EQ(request_irq(14, probe_hard, 0, "c", &c), -EBUSY);
  EXPECT_EQ(request_irq(14, probe_hard, IRQF_SHARED, "nodev", nullptr), -EINVAL);
  EXPECT_EQ(cmwq_irq_raise(14), 0);
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 1);
  EXPECT_STREQ(static_cast<const char*>(free_irq(14, &a)), "a");
  EXPECT_EQ(cmwq_irq_raise(14), 0);
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 2);
  free_irq(14, &b);

  probe x, y;
  ASSERT_EQ(request_irq(15, probe_hard, 0, "x", &x), 0);
  EXPECT_EQ(request_irq(15, probe_hard, IRQF_SHARED, "y", &y), -EBUSY);
  free_irq(15, &x);
}

TEST(irq, freeing_an_unknown_handler_warns) {
  probe p;
  unsigned long w0 = cmwq_warn_count();
  EXPECT_EQ(free_irq(16, &p), nullptr);
  EXPECT_EQ(cmwq_warn_count(), w0 + 1);
  ASSERT_EQ(request_irq(16, probe_hard, 0, "p", &p), 0);
  EXPECT_NE(free_irq(16, &p), nullptr);
  EXPECT_EQ(free_irq(16, &p), nullptr) << "double free";
  EXPECT_EQ(cmwq_warn_count(), w0 + 2);
}

TEST(irq, disabled_line_latches_and_enable_replays_once) {
  probe p;
  ASSERT_EQ(request_irq(17, probe_hard, 0, "dis", &p), 0);
  disable_irq(17);
  EXPECT_EQ(cmwq_irq_raise(17), -EAGAIN);
  EXPECT_EQ(cmwq_irq_raise(17), -EAGAIN);
  disable_irq_nosync(17);  // nesting
  enable_irq(17);
  EXPECT_EQ(p.calls.load(), 0);
  enable_irq(17);
  ASSERT_TRUE(wait_until([&] { return p.calls.load() == 1; })) << "the latched interrupt is replayed";
  synchronize_irq(17);
  EXPECT_EQ(cmwq_irq_raise(17), 0);
  EXPECT_EQ(p.calls.load(), 2);
  unsigned long w0 = cmwq_warn_count();
  enable_irq(17);
  EXPECT_EQ(cmwq_warn_count(), w0 + 1) << "unbalanced enable";
  free_irq(17, &p);
}

TEST(irq, no_autoen_starts_disabled) {
  probe p;
  ASSERT_EQ(request_irq(18, probe_hard, IRQF_NO_AUTOEN, "noauto", &p), 0);
  EXPECT_EQ(cmwq_irq_raise(18), -EAGAIN);
  enable_irq(18);
  ASSERT_TRUE(wait_until([&] { return p.calls.load() == 1; }));
  free_irq(18, &p);
}

namespace {

struct slow {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
};

irqreturn_t slow_hard(int, void* dev_id) {
  auto* s = static_cast<slow*>(dev_id);
  s->started = true;
  // Busy-wait (sleeping is not allowed here) long enough for free_irq() to be called meanwhile.
  auto end = std::chrono::steady_clock::now() + 100ms;
  while (std::chrono::steady_clock::now() < end) {
  }
  s->finished = true;
  return IRQ_WAKE_THREAD;
}

irqreturn_t slow_thread(int, void* dev_id) {
  auto* s = static_cast<slow*>(dev_id);
  msleep(100);
  s->finished = true;
  return IRQ_HANDLED;
}

irqreturn_t quick_wake(int, void* dev_id) {
  static_cast<slow*>(dev_id)->started = true;
  return IRQ_WAKE_THREAD;
}

}  // namespace

TEST(irq, free_irq_waits_for_a_running_hard_handler) {
  slow s;
  ASSERT_EQ(request_irq(19, [](int i, void* d) { slow_hard(i, d); return IRQ_HANDLED; }, 0, "slowhard", &s), 0);
  std::thread raiser([] { cmwq_irq_raise(19); });
  ASSERT_TRUE(wait_until([&] { return s.started.load(); }));
  free_irq(19, &s);
  EXPECT_TRUE(s.finished.load()) << "free_irq returned while the handler ran";
  raiser.join();
}

TEST(irq, free_irq_waits_for_a_running_thread_handler) {
  slow s;
  ASSERT_EQ(request_threaded_irq(20, quick_wake, slow_thread, 0, "slowthr", &s), 0);
  std::thread raiser([] { cmwq_irq_raise(20); });
  ASSERT_TRUE(wait_until([&] { return s.started.load(); }));
  free_irq(20, &s);
  EXPECT_TRUE(s.finished.load()) << "free_irq returned while the thread handler ran";
  raiser.join();
}

TEST(irq, synchronize_irq_waits_for_a_running_handler) {
  slow s;
  ASSERT_EQ(request_threaded_irq(21, quick_wake, slow_thread, 0, "sync", &s), 0);
  std::thread raiser([] { cmwq_irq_raise(21); });
  ASSERT_TRUE(wait_until([&] { return s.started.load(); }));
  synchronize_irq(21);
  EXPECT_TRUE(s.finished.load());
  raiser.join();
  free_irq(21, &s);
}

namespace {

std::atomic<int> g_self_raise{0};
irqreturn_t raise_self(int irq, void*) {
  g_self_raise = cmwq_irq_raise(static_cast<unsigned int>(irq));
  return IRQ_HANDLED;
}

std::atomic<bool> g_self_free_refused{false};
int g_self_free_cookie;
irqreturn_t free_self_thread(int irq, void* dev_id) {
  g_self_free_refused = free_irq(static_cast<unsigned int>(irq), dev_id) == nullptr;
  return IRQ_HANDLED;
}

}  // namespace

TEST(irq, raising_or_freeing_from_the_own_handler_warns_instead_of_deadlocking) {
  int cookie;
  ASSERT_EQ(request_irq(22, raise_self, 0, "self", &cookie), 0);
  unsigned long w0 = cmwq_warn_count();
  EXPECT_EQ(cmwq_irq_raise(22), 0);
  EXPECT_EQ(g_self_raise.load(), -EDEADLK);
  EXPECT_EQ(cmwq_warn_count(), w0 + 1);
  free_irq(22, &cookie);

  ASSERT_EQ(request_threaded_irq(23, nullptr, free_self_thread, IRQF_ONESHOT, "selffree", &g_self_free_cookie), 0);
  w0 = cmwq_warn_count();
  EXPECT_EQ(cmwq_irq_raise(23), 0);
  EXPECT_TRUE(g_self_free_refused.load());
  EXPECT_EQ(cmwq_warn_count(), w0 + 1);
  EXPECT_NE(free_irq(23, &g_self_free_cookie), nullptr);
}

TEST(irq, devm_interrupt_is_freed_at_unbind_and_can_be_freed_early) {
  probe p, q;
  struct device* dev = cmwq_device_new("irqdev");
  ASSERT_NE(dev, nullptr);
  ASSERT_EQ(devm_request_irq(dev, 24, probe_hard, 0, nullptr, &p), 0);
  ASSERT_EQ(devm_request_threaded_irq(dev, 25, nullptr, probe_thread, IRQF_ONESHOT, "q", &q), 0);
  EXPECT_EQ(cmwq_irq_raise(24), 0);
  EXPECT_EQ(p.name, "irq/24");
  devm_free_irq(dev, 25, &q);
  EXPECT_EQ(cmwq_irq_raise(25), -ENOENT);
  cmwq_device_unbind(dev);
  EXPECT_EQ(cmwq_irq_raise(24), -ENOENT);
  EXPECT_EQ(cmwq_irq_actions_installed(), 0u);
  EXPECT_EQ(cmwq_devres_outstanding(), 0u);
  cmwq_device_free(dev);
}

TEST(irq, devm_request_fails_cleanly_when_devres_registration_fails) {
  probe p;
  struct device* dev = cmwq_device_new("irqfault");
  cmwq_fault_fail_devres(true);
  EXPECT_EQ(devm_request_irq(dev, 26, probe_hard, 0, "f", &p), -ENOMEM);
  cmwq_fault_fail_devres(false);
  EXPECT_EQ(cmwq_irq_actions_installed(), 0u) << "the interrupt was freed again";
  EXPECT_EQ(cmwq_irq_raise(26), -ENOENT);
  cmwq_device_free(dev);
}

// ---- sleeping in hard-interrupt context ---------------------------------------------------------

namespace {

enum class op { msleep, mutex_lock, flush_work, wait_for_completion, kmalloc_kernel, kmalloc_atomic, queue_work };

struct sleeper {
  op what;
  struct mutex lock;
  struct completion done;
  struct work_struct idle_work;
  bool in_irq = false;
};

void nop_work(struct work_struct*) {}

irqreturn_t sleeping_handler(int, void* dev_id) {
  auto* s = static_cast<sleeper*>(dev_id);
  s->in_irq = in_hardirq();
  switch (s->what) {
    case op::msleep:
      msleep(1);
      break;
    case op::mutex_lock:
      mutex_lock(&s->lock);
      mutex_unlock(&s->lock);
      break;
    case op::flush_work:
      flush_work(&s->idle_work);
      break;
    case op::wait_for_completion:
      wait_for_completion(&s->done);  // already completed: returns at once, but may sleep
      break;
    case op::kmalloc_kernel:
      kfree(kmalloc(32, GFP_KERNEL));
      break;
    case op::kmalloc_atomic:
      kfree(kmalloc(32, GFP_ATOMIC));
      break;
    case op::queue_work:
      queue_work(system_wq, &s->idle_work);
      break;
  }
  return IRQ_HANDLED;
}

// Warnings printed by one interrupt whose hard handler performs `what`.
unsigned long warnings_for(op what) {
  sleeper s;
  s.what = what;
  mutex_init(&s.lock);
  init_completion(&s.done);
  complete(&s.done);
  INIT_WORK(&s.idle_work, nop_work);
  EXPECT_EQ(request_irq(30, sleeping_handler, 0, "sleeper", &s), 0);
  unsigned long w0 = cmwq_warn_count();
  EXPECT_EQ(cmwq_irq_raise(30), 0);
  unsigned long delta = cmwq_warn_count() - w0;
  EXPECT_TRUE(s.in_irq);
  free_irq(30, &s);
  flush_work(&s.idle_work);
  return delta;
}

}  // namespace

TEST(irq_sleeping, msleep_in_hard_irq_warns) { EXPECT_GE(warnings_for(op::msleep), 1u); }
TEST(irq_sleeping, mutex_lock_in_hard_irq_warns) { EXPECT_GE(warnings_for(op::mutex_lock), 1u); }
TEST(irq_sleeping, flush_work_in_hard_irq_warns) { EXPECT_GE(warnings_for(op::flush_work), 1u); }
TEST(irq_sleeping, wait_for_completion_in_hard_irq_warns) { EXPECT_GE(warnings_for(op::wait_for_completion), 1u); }
TEST(irq_sleeping, kmalloc_gfp_kernel_in_hard_irq_warns) { EXPECT_GE(warnings_for(op::kmalloc_kernel), 1u); }
TEST(irq_sleeping, non_sleeping_calls_in_hard_irq_do_not_warn) {
  EXPECT_EQ(warnings_for(op::kmalloc_atomic), 0u);
  EXPECT_EQ(warnings_for(op::queue_work), 0u);
}

TEST(irq_sleeping, might_sleep_in_hard_irq_warns) {
  struct device* dev = cmwq_device_new("ms");
  auto handler = [](int, void* d) {
    // Devres registration allocates with GFP_KERNEL: it may sleep.
    (void)devm_kmalloc(static_cast<struct device*>(d), 8, GFP_KERNEL);
    return IRQ_HANDLED;
  };
  ASSERT_EQ(request_irq(31, handler, 0, "ms", dev), 0);
  unsigned long w0 = cmwq_warn_count();
  EXPECT_EQ(cmwq_irq_raise(31), 0);
  EXPECT_GE(cmwq_warn_count(), w0 + 1);
  free_irq(31, dev);
  cmwq_device_free(dev);
}
