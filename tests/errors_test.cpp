// tests/errors_test.cpp - the rows of docs/errors.md (the misuse catalogue) that no other test
// proves, for the kernel-compatible C API and its companions.
//
// One property per test: a misuse or a bad input is detected, the call returns the documented
// value (or refuses), the documented WARNING line (counted by cmwq_warn_count(), D4) or log line
// appears, and the program goes on: no crash, no lost work, no hang. docs.errors_catalogue checks
// that every test docs/errors.md names exists; this file holds the ones no other suite had.
//
// Suites follow the catalogue's sections: errors_alloc, errors_queue, errors_init, errors_item,
// errors_flush, errors_context, errors_locks, errors_slab, errors_timer, errors_devres, errors_irq,
// errors_module, errors_env.
#include "core/context.hpp"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "errors_support.hpp"

#include <linux/device.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>

// Module parameters for errors_module (module_param() registers at start-up, before main()).
int errors_count = 7;
module_param(errors_count, int, 0644);
unsigned int errors_size = 3;
module_param(errors_size, uint, 0644);
bool errors_verbose = false;
module_param(errors_verbose, bool, 0644);
char* errors_name = nullptr;
module_param(errors_name, charp, 0644);

namespace {

using namespace capi;
using namespace errors;

constexpr unsigned kArmedMs = 300;  // far enough ahead that the test acts before the timer fires

// IRQ lines, one per test: a line keeps its descriptor for the life of the process.
constexpr unsigned kLineSync = 101, kLineWake = 102, kLineDevm = 103, kLineNoDev = 104, kLineNoShot = 105,
                   kLineMismatch = 106;

// Marks the calling thread as a hard-IRQ handler for its lifetime (what the simulated interrupt
// thread does around handlers).
struct hardirq_scope {
  hardirq_scope() { cmwq::core::hardirq_enter(); }
  ~hardirq_scope() { cmwq::core::hardirq_exit(); }
  hardirq_scope(const hardirq_scope&) = delete;
  hardirq_scope& operator=(const hardirq_scope&) = delete;
};

// Queues `p` gated and waits until it runs: it then holds its worker (and on an ordered queue the
// whole queue) until p.open().
void hold_running(struct workqueue_struct* wq, probe& p) {
  p.gated = true;
  ASSERT_TRUE(queue_work(wq, &p.work));
  ASSERT_TRUE(p.wait_runs(1));
}

// --- queue allocation and flags ------------------------------------------------------------------

// Semantics.md 3.4 rules 1 and 2: no such WQ_BH queue comes into being, and nothing of one is
// left behind.
void expect_bh_refused(unsigned flags, int max_active, const std::string& text) {
  const std::size_t live = cmwq_live_workqueues();
  expect_one_warning(text, [&] { EXPECT_EQ(alloc_workqueue("e-bh", flags, max_active), nullptr); });
  EXPECT_EQ(cmwq_live_workqueues(), live);
}

TEST(errors_alloc, bh_with_a_disallowed_flag_returns_null_with_warning) {
  expect_bh_refused(WQ_BH | WQ_UNBOUND, 0, "workqueue: e-bh: WQ_BH allows only WQ_HIGHPRI and WQ_PERCPU");
}

TEST(errors_alloc, bh_with_nonzero_max_active_returns_null_with_warning) {
  expect_bh_refused(WQ_BH | WQ_PERCPU, 1, "workqueue: e-bh: WQ_BH requires max_active 0, got 1");
}

// --- queue handles -------------------------------------------------------------------------------

// A limit set on a queue that no longer exists: @set(wq) must warn `text` once.
void expect_limit_on_destroyed_queue_warns(const std::string& text, void (*set)(struct workqueue_struct*)) {
  struct workqueue_struct* wq = alloc_workqueue("e-limit", WQ_UNBOUND, 0);
  ASSERT_NE(wq, nullptr);
  destroy_workqueue(wq);
  expect_one_warning(text, [&] { set(wq); });
}

TEST(errors_queue, set_max_active_on_destroyed_queue_warns) {
  expect_limit_on_destroyed_queue_warns("workqueue_set_max_active: invalid or destroyed workqueue",
                                        [](struct workqueue_struct* wq) { workqueue_set_max_active(wq, 4); });
}

TEST(errors_queue, set_min_active_on_destroyed_queue_warns) {
  expect_limit_on_destroyed_queue_warns("workqueue_set_min_active: invalid or destroyed workqueue",
                                        [](struct workqueue_struct* wq) { workqueue_set_min_active(wq, 4); });
}

// Two destroyers: one drains (held up by a running item), the other must warn and return.
TEST(errors_queue, destroy_of_a_queue_being_destroyed_warns) {
  struct workqueue_struct* wq = alloc_workqueue("e-destroy2", WQ_UNBOUND, 0);
  ASSERT_NE(wq, nullptr);
  probe blocker;
  hold_running(wq, blocker);
  log_capture log;
  const unsigned long before = cmwq_warn_count();
  std::thread first([&] { destroy_workqueue(wq); });
  std::thread second([&] { destroy_workqueue(wq); });
  EXPECT_TRUE(log.wait_for("is already being destroyed"));
  blocker.open();
  first.join();
  second.join();
  EXPECT_EQ(cmwq_warn_count() - before, 1ul);
  EXPECT_EQ(log.count("WARNING:", "destroy_workqueue: e-destroy2 is already being destroyed"), 1);
  EXPECT_EQ(blocker.ends.load(), 1);
}

// --- queueing --------------------------------------------------------------------------------------

TEST(errors_queue, null_item_is_refused_by_every_queueing_call) {
  owned_wq wq(alloc_workqueue("e-qnull", WQ_UNBOUND, 0));
  expect_one_warning("queue_work_on: NULL work", [&] { EXPECT_FALSE(queue_work(wq, nullptr)); });
  expect_one_warning("queue_delayed_work_on: NULL work", [&] { EXPECT_FALSE(queue_delayed_work(wq, nullptr, 1)); });
  expect_one_warning("mod_delayed_work_on: NULL work", [&] { EXPECT_FALSE(mod_delayed_work(wq, nullptr, 1)); });
}

// A zero-filled item has no function: a worker would call address 0.
TEST(errors_queue, uninitialised_item_is_refused_not_run) {
  owned_wq wq(alloc_workqueue("e-qzero", WQ_UNBOUND, 0));
  struct work_struct zero;
  std::memset(&zero, 0, sizeof zero);
  expect_one_warning("queue_work_on: work item", [&] { EXPECT_FALSE(queue_work(wq, &zero)); });
  EXPECT_FALSE(work_pending(&zero));
  flush_workqueue(wq);  // nothing half-queued is left behind
  EXPECT_EQ(stats_of(wq).started, 0ull);
}

TEST(errors_queue, uninitialised_delayed_item_is_refused_not_armed) {
  owned_wq wq(alloc_workqueue("e-qzerod", WQ_UNBOUND, 0));
  struct delayed_work zero;
  std::memset(&zero, 0, sizeof zero);
  expect_one_warning("was never initialised (NULL func)", [&] { EXPECT_FALSE(queue_delayed_work(wq, &zero, 1)); });
  expect_one_warning("was never initialised (NULL func)", [&] { EXPECT_FALSE(mod_delayed_work(wq, &zero, 0)); });
  EXPECT_FALSE(delayed_work_pending(&zero));
}

// INIT_WORK() on the inner item leaves the timer without a function: the wheel would never fire
// it and the item would stay pending for ever.
TEST(errors_queue, delayed_item_without_timer_function_is_refused) {
  owned_wq wq(alloc_workqueue("e-qnotimer", WQ_UNBOUND, 0));
  probe p;
  std::memset(&p.dwork.timer, 0, sizeof p.dwork.timer);
  const std::string text = "has no timer function (INIT_WORK instead of INIT_DELAYED_WORK?)";
  expect_one_warning(text, [&] { EXPECT_FALSE(queue_delayed_work(wq, &p.dwork, 1)); });
  expect_one_warning(text, [&] { EXPECT_FALSE(mod_delayed_work(wq, &p.dwork, 1)); });
  EXPECT_FALSE(delayed_work_pending(&p.dwork));
  EXPECT_EQ(p.runs.load(), 0);
}

// WARN_ONCE in the engine: only the process's first invalid CPU logs.
TEST(errors_queue, invalid_cpu_warns_once_and_runs_on_the_local_cpu) {
  static bool logged_before = false;
  owned_wq wq(alloc_workqueue("e-qcpu", WQ_PERCPU, 0));
  probe p;
  log_capture log;
  EXPECT_TRUE(queue_work_on(-3, wq, &p.work));
  EXPECT_TRUE(p.wait_ends(1));
  expect_logged_once_per_process(log, "workqueue: invalid CPU -3, queueing on the local CPU", logged_before);
}

// --- init ------------------------------------------------------------------------------------------

TEST(errors_init, init_work_on_a_pending_item_warns_and_cancels_it) {
  owned_wq wq(alloc_ordered_workqueue("e-reinit", 0));
  probe blocker, w;
  hold_running(wq, blocker);
  ASSERT_TRUE(queue_work(wq, &w.work));  // waits behind the blocker
  expect_one_warning("INIT_WORK on pending work item", [&] { INIT_WORK(&w.work, probe::work_fn); });
  EXPECT_FALSE(work_pending(&w.work));
  blocker.open();
  flush_workqueue(wq);  // returns: the cancelled instance was taken off the queue's books
  EXPECT_EQ(w.runs.load(), 0);
}

// Two timers armed for the same moment share a wheel slot; re-initialising one of them while it
// is linked there must not cut the other out of the slot.
TEST(errors_init, init_delayed_work_on_an_armed_item_warns_and_disarms_it) {
  owned_wq wq(alloc_workqueue("e-reinitd", WQ_UNBOUND, 0));
  probe neighbour, armed;
  ASSERT_TRUE(queue_delayed_work(wq, &neighbour.dwork, msecs_to_jiffies(kArmedMs)));
  ASSERT_TRUE(queue_delayed_work(wq, &armed.dwork, msecs_to_jiffies(kArmedMs)));
  expect_one_warning("INIT_DELAYED_WORK on pending delayed work",
                     [&] { INIT_DELAYED_WORK(&armed.dwork, probe::dwork_fn); });
  EXPECT_FALSE(delayed_work_pending(&armed.dwork));
  EXPECT_TRUE(neighbour.wait_ends(1)) << "the timer that shared the slot was lost";
  EXPECT_TRUE(stays_false([&] { return armed.runs.load() > 0; }));
}

// The same through DECLARE_DELAYED_WORK(), whose timer carries the C entry point
// delayed_work_timer_fn rather than the one INIT_DELAYED_WORK() installs.
std::atomic<int> declared_runs{0};
void count_declared_run(struct work_struct*) { declared_runs++; }
DECLARE_DELAYED_WORK(declared_dwork, count_declared_run);

TEST(errors_init, init_delayed_work_on_an_armed_declared_item_warns_and_disarms_it) {
  owned_wq wq(alloc_workqueue("e-reinitdd", WQ_UNBOUND, 0));
  probe neighbour;
  ASSERT_TRUE(queue_delayed_work(wq, &neighbour.dwork, msecs_to_jiffies(kArmedMs)));
  ASSERT_TRUE(queue_delayed_work(wq, &declared_dwork, msecs_to_jiffies(kArmedMs)));
  expect_one_warning("INIT_DELAYED_WORK on pending delayed work",
                     [&] { INIT_DELAYED_WORK(&declared_dwork, count_declared_run); });
  EXPECT_FALSE(delayed_work_pending(&declared_dwork));
  EXPECT_TRUE(neighbour.wait_ends(1)) << "the timer that shared the slot was lost";
  EXPECT_TRUE(stays_false([&] { return declared_runs.load() > 0; }));
}

// --- item calls ------------------------------------------------------------------------------------

// Table entries whose name is the call's own text, so that the WARNING expected names the call.
#define ERRORS_REFUSES(call, arg) named_call{#call, [&] { EXPECT_FALSE(call(arg)); }}

TEST(errors_item, null_item_warns_and_returns_false) {
  const named_call calls[] = {
      ERRORS_REFUSES(flush_work, nullptr),          ERRORS_REFUSES(flush_delayed_work, nullptr),
      ERRORS_REFUSES(cancel_work, nullptr),         ERRORS_REFUSES(cancel_work_sync, nullptr),
      ERRORS_REFUSES(cancel_delayed_work, nullptr), ERRORS_REFUSES(cancel_delayed_work_sync, nullptr),
      ERRORS_REFUSES(disable_work, nullptr),        ERRORS_REFUSES(disable_work_sync, nullptr),
      ERRORS_REFUSES(disable_delayed_work, nullptr), ERRORS_REFUSES(disable_delayed_work_sync, nullptr),
      ERRORS_REFUSES(enable_work, nullptr),         ERRORS_REFUSES(enable_delayed_work, nullptr),
      ERRORS_REFUSES(work_busy, nullptr),  // 0: neither pending nor running
  };
  for (const auto& c : calls) expect_one_warning(std::string(c.name) + ": NULL work item", c.call);
}

// R29 for every call that waits: a zero-filled item has no instance to wait for.
TEST(errors_item, waiting_calls_on_an_uninitialised_item_warn_and_return_false) {
  struct delayed_work zero;
  std::memset(&zero, 0, sizeof zero);
  const named_call calls[] = {
      ERRORS_REFUSES(flush_work, &zero.work),        ERRORS_REFUSES(flush_delayed_work, &zero),
      ERRORS_REFUSES(cancel_work_sync, &zero.work),  ERRORS_REFUSES(cancel_delayed_work_sync, &zero),
      ERRORS_REFUSES(disable_work_sync, &zero.work), ERRORS_REFUSES(disable_delayed_work_sync, &zero),
  };
  for (const auto& c : calls) expect_one_warning(std::string(c.name) + ": work item", c.call);
  EXPECT_FALSE(work_pending(&zero.work));
}

// --- flush -----------------------------------------------------------------------------------------

void flush_the_item_behind(probe* p) { p->body_result = flush_work(&static_cast<probe*>(p->ctx)->work) ? 1 : 0; }

// The item behind cannot start before the flusher returns: waiting would be a certain deadlock.
TEST(errors_flush, flush_of_an_item_behind_the_flusher_on_its_ordered_queue_warns) {
  owned_wq wq(alloc_ordered_workqueue("e-ordflush", 0));
  probe flusher, behind;
  flusher.body = flush_the_item_behind;
  flusher.ctx = &behind;
  flusher.body_result = -1;
  hold_running(wq, flusher);
  ASSERT_TRUE(queue_work(wq, &behind.work));
  expect_one_warning("is pending behind the flusher on its ordered queue", [&] {
    flusher.open();
    EXPECT_TRUE(flusher.wait_ends(1)) << "the flusher deadlocked";
  });
  EXPECT_EQ(flusher.body_result.load(), 0);
  EXPECT_TRUE(behind.wait_ends(1));
}

// --- context ---------------------------------------------------------------------------------------

// Each call warns like the kernel's might_sleep() and still does its work.
TEST(errors_context, sleeping_calls_in_hard_irq_warn_and_still_work) {
  DEFINE_MUTEX(m);
  struct completion done;
  init_completion(&done);
  complete_all(&done);
  const named_call calls[] = {
      {"msleep", [] { msleep(1); }},
      {"usleep_range", [] { usleep_range(10, 20); }},
      {"mutex_lock", [&] {
         mutex_lock(&m);
         mutex_unlock(&m);
       }},
      {"wait_for_completion", [&] { wait_for_completion(&done); }},
      {"wait_for_completion_timeout", [&] { EXPECT_NE(wait_for_completion_timeout(&done, 1), 0ul); }},
      {"kmalloc", [] { kfree(kmalloc(8, GFP_KERNEL)); }},
      {"schedule_timeout_uninterruptible", [] { schedule_timeout_uninterruptible(1); }},
      {"cond_resched", [] { cond_resched(); }},
  };
  hardirq_scope irq;
  for (const auto& c : calls)
    expect_one_warning(std::string("BUG: sleeping function called from invalid context at ") + c.name, c.call);
}

// The workqueue's own waits refuse to wait in atomic context instead of sleeping there.
TEST(errors_context, workqueue_waits_in_hard_irq_warn_and_do_not_wait) {
  owned_wq wq(alloc_workqueue("e-irqwait", WQ_UNBOUND, 0));
  probe running;
  hold_running(wq, running);
  {
    hardirq_scope irq;
    const std::string at = "sleeping function called from invalid context at ";
    expect_one_warning(at + "flush_work", [&] { EXPECT_FALSE(flush_work(&running.work)); });
    expect_one_warning(at + "flush_work", [&] { EXPECT_FALSE(cancel_work_sync(&running.work)); });
    expect_one_warning(at + "flush_workqueue", [&] { flush_workqueue(wq); });
    expect_one_warning(at + "drain_workqueue", [&] { drain_workqueue(wq); });
    expect_one_warning(at + "destroy_workqueue", [&] { destroy_workqueue(wq); });
  }
  EXPECT_EQ(running.ends.load(), 0) << "a call waited for the running item";
  running.open();
  EXPECT_TRUE(running.wait_ends(1));
  EXPECT_EQ(stats_of(wq).completed, 1ull) << "the queue was destroyed in hard-IRQ context";
}

TEST(errors_context, preempt_enable_without_disable_warns_and_keeps_the_count_at_zero) {
  std::thread fresh([] {  // a new thread: its preemption count is certainly 0
    expect_one_warning("preempt_enable() without preempt_disable()", [] { preempt_enable(); });
    EXPECT_EQ(preempt_count(), 0);
  });
  fresh.join();
}

void lock_and_return(probe* p) { mutex_lock(static_cast<struct mutex*>(p->ctx)); }

TEST(errors_context, work_function_returning_with_a_lock_held_warns) {
  owned_wq wq(alloc_workqueue("e-leak", WQ_UNBOUND, 0));
  struct mutex leaked;  // stays locked by the worker; nobody waits for it
  mutex_init(&leaked);
  probe w;
  w.body = lock_and_return;
  w.ctx = &leaked;
  log_capture log;
  const unsigned long before = cmwq_warn_count();
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_TRUE(log.wait_for("BUG: workqueue leaked atomic, lock or RCU"));
  flush_workqueue(wq);
  EXPECT_EQ(cmwq_warn_count() - before, 1ul);
  EXPECT_EQ(log.count("WARNING:", "leaked atomic, lock or RCU"), 1);
}

// --- locks -----------------------------------------------------------------------------------------

// A recursive lock deadlocks (or spins) for ever, as in the kernel; the warning comes first. An
// owner thread locks twice and the second lock must warn with `text` before it blocks; then
// `rescue`, another thread's unlock (itself a warned misuse), lets it go on and end.
void expect_recursion_warns_before_blocking(const std::string& text, const std::function<void()>& lock,
                                            const std::function<void()>& unlock,
                                            const std::function<void()>& rescue) {
  log_capture log;
  const unsigned long before = cmwq_warn_count();
  std::thread owner([&] {
    lock();
    lock();
    unlock();
  });
  EXPECT_TRUE(log.wait_for(text));
  rescue();
  owner.join();
  EXPECT_EQ(cmwq_warn_count() - before, 2ul) << "the recursion and the rescuing unlock";
  EXPECT_EQ(log.count("WARNING:", text), 1);
}

TEST(errors_locks, recursive_mutex_lock_warns_before_it_deadlocks) {
  DEFINE_MUTEX(m);
  const auto unlock = [&] { mutex_unlock(&m); };
  expect_recursion_warns_before_blocking("possible recursive locking detected", [&] { mutex_lock(&m); }, unlock,
                                         unlock);
  EXPECT_FALSE(mutex_is_locked(&m));
}

TEST(errors_locks, recursive_spin_lock_warns_before_it_spins) {
  DEFINE_SPINLOCK(s);
  expect_recursion_warns_before_blocking(
      "BUG: spinlock recursion", [&] { spin_lock(&s); }, [&] { spin_unlock(&s); },
      [&] {
        preempt_disable();  // spin_unlock() ends an atomic section of the caller
        spin_unlock(&s);
      });
  EXPECT_FALSE(spin_is_locked(&s));
}

TEST(errors_locks, mutex_unlock_by_another_thread_warns_and_unlocks) {
  DEFINE_MUTEX(m);
  std::thread([&] { mutex_lock(&m); }).join();
  expect_one_warning("is owned by thread", [&] { mutex_unlock(&m); });
  EXPECT_FALSE(mutex_is_locked(&m));
}

TEST(errors_locks, spin_unlock_by_another_thread_warns_and_unlocks) {
  DEFINE_SPINLOCK(s);
  std::thread([&] { spin_lock(&s); }).join();
  const int count = preempt_count();
  preempt_disable();
  expect_one_warning("BUG: spinlock wrong owner", [&] { spin_unlock(&s); });
  EXPECT_FALSE(spin_is_locked(&s));
  EXPECT_EQ(preempt_count(), count);
}

TEST(errors_locks, spin_unlock_of_an_unlocked_lock_warns_and_changes_nothing) {
  DEFINE_SPINLOCK(s);
  const int count = preempt_count();
  expect_one_warning("BUG: spinlock already unlocked", [&] { spin_unlock(&s); });
  EXPECT_EQ(preempt_count(), count);
}

// --- memory ----------------------------------------------------------------------------------------

TEST(errors_slab, oversized_allocation_returns_null_and_warns_unless_nowarn) {
  expect_one_warning("kmalloc: allocation of", [] { EXPECT_EQ(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL), nullptr); });
  expect_no_warning([] { EXPECT_EQ(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN), nullptr); });
}

// A pointer into a static buffer: the 16 bytes before it are readable and hold no live header.
TEST(errors_slab, freeing_memory_kmalloc_did_not_return_warns_and_leaves_it) {
  alignas(16) static unsigned char not_kmalloc[64];
  const size_t bytes = cmwq_kmalloc_outstanding_bytes();
  expect_one_warning("kfree: ", [&] { kfree(not_kmalloc + 32); });
  expect_one_warning("was not allocated by kmalloc()", [&] { EXPECT_EQ(ksize(not_kmalloc + 32), 0u); });
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes);
}

// --- timers and scheduling -------------------------------------------------------------------------

void noop_timer(struct timer_list*) {}

TEST(errors_timer, shutdown_sync_of_a_non_irqsafe_timer_in_hard_irq_warns) {
  struct timer_list plain, irqsafe;
  timer_setup(&plain, noop_timer, 0);
  timer_setup(&irqsafe, noop_timer, TIMER_IRQSAFE);
  hardirq_scope irq;
  expect_one_warning("timer_shutdown_sync() of a non-IRQSAFE timer from hard interrupt context",
                     [&] { EXPECT_EQ(timer_shutdown_sync(&plain), 0); });
  expect_no_warning([&] { EXPECT_EQ(timer_shutdown_sync(&irqsafe), 0); });
}

// As with delayed work: the timer armed behind the re-initialised one in its slot must still fire.
std::atomic<int> timer_fires{0};
void count_timer_fire(struct timer_list*) { timer_fires++; }

TEST(errors_timer, timer_setup_on_an_armed_timer_warns_and_disarms_it) {
  timer_fires = 0;  // a fresh count for every repetition of the test
  struct timer_list neighbour, armed;  // uninitialised: timer_setup() must cope with any bytes
  timer_setup(&neighbour, count_timer_fire, 0);
  timer_setup(&armed, count_timer_fire, 0);
  const unsigned long expires = jiffies + msecs_to_jiffies(kArmedMs);
  mod_timer(&neighbour, expires);
  mod_timer(&armed, expires);  // same slot, linked in front of the neighbour
  expect_one_warning("initialised while armed: it is disarmed first",
                     [&] { timer_setup(&armed, count_timer_fire, 0); });
  EXPECT_FALSE(timer_pending(&armed));
  EXPECT_TRUE(wait_until([] { return timer_fires.load() == 1; }, kDeadline, "the neighbour timer"))
      << "the timer that shared the slot was lost";
  EXPECT_TRUE(stays_false([] { return timer_fires.load() > 1; }));
  EXPECT_FALSE(timer_pending(&neighbour));
  timer_delete_sync(&neighbour);
}

TEST(errors_timer, negative_schedule_timeout_logs_and_returns_at_once) {
  set_current_state(TASK_INTERRUPTIBLE);
  expect_log_without_warning("schedule_timeout: wrong timeout value", [] { EXPECT_EQ(schedule_timeout(-5), 0); });
  EXPECT_EQ(cmwq_get_current_state(), static_cast<unsigned>(TASK_RUNNING));
}

// --- devices and devres ----------------------------------------------------------------------------

void count_call(void* data) { ++*static_cast<int*>(data); }

TEST(errors_devres, null_device_is_refused_with_warning) {
  int calls = 0;
  expect_one_warning("devres: NULL device", [&] { EXPECT_EQ(devm_add_action(nullptr, count_call, &calls), -ENOMEM); });
  expect_one_warning("devres: NULL device", [] { EXPECT_EQ(devm_kmalloc(nullptr, 8, GFP_KERNEL), nullptr); });
  EXPECT_EQ(calls, 0);
}

TEST(errors_devres, null_action_is_einval_with_warning) {
  struct device* dev = cmwq_device_new("e-nullact");
  int data = 0;
  expect_one_warning("devm_add_action: NULL action", [&] { EXPECT_EQ(devm_add_action(dev, nullptr, &data), -EINVAL); });
  expect_one_warning("devm_add_action: NULL action",
                     [&] { EXPECT_EQ(devm_add_action_or_reset(dev, nullptr, &data), -EINVAL); });
  cmwq_device_free(dev);
}

TEST(errors_devres, release_of_an_unregistered_action_warns_and_calls_nothing) {
  struct device* dev = cmwq_device_new("e-release");
  int calls = 0;
  expect_one_warning("devm_release_action: no such action on device e-release",
                     [&] { devm_release_action(dev, count_call, &calls); });
  EXPECT_EQ(calls, 0);
  cmwq_device_free(dev);
}

TEST(errors_devres, attach_without_driver_or_device_is_einval) {
  static const struct device_driver drv = {"e-drv", nullptr, nullptr};
  struct device* dev = cmwq_device_new("e-attach");
  expect_no_warning([&] {
    EXPECT_EQ(device_driver_attach(nullptr, dev), -EINVAL);
    EXPECT_EQ(device_driver_attach(&drv, nullptr), -EINVAL);
  });
  EXPECT_EQ(dev->driver, nullptr);
  cmwq_device_free(dev);
}

// --- interrupts ------------------------------------------------------------------------------------

irqreturn_t handled(int, void*) { return IRQ_HANDLED; }
irqreturn_t wake_nobody(int, void*) { return IRQ_WAKE_THREAD; }
irqreturn_t synchronize_own_line(int irq, void*) {
  synchronize_irq(static_cast<unsigned>(irq));
  return IRQ_HANDLED;
}

// From the line's thread handler (process context), so that only the deadlock check speaks.
TEST(errors_irq, synchronize_irq_from_its_own_handler_warns_instead_of_deadlocking) {
  int cookie = 0;
  ASSERT_EQ(request_threaded_irq(kLineSync, nullptr, synchronize_own_line, IRQF_ONESHOT, "e-sync", &cookie), 0);
  expect_one_warning("synchronize_irq(" + std::to_string(kLineSync) + ") called from a handler of the same interrupt",
                     [] { EXPECT_EQ(cmwq_irq_raise(kLineSync), 0); });
  EXPECT_NE(free_irq(kLineSync, &cookie), nullptr);
}

TEST(errors_irq, wake_thread_without_thread_function_warns_once_per_handler) {
  int cookie = 0;
  ASSERT_EQ(request_irq(kLineWake, wake_nobody, 0, "e-wake", &cookie), 0);
  expect_one_warning("device e-wake returned IRQ_WAKE_THREAD but no thread function available.", [] {
    EXPECT_EQ(cmwq_irq_raise(kLineWake), 0);
    EXPECT_EQ(cmwq_irq_raise(kLineWake), 0);
  });
  EXPECT_NE(free_irq(kLineWake, &cookie), nullptr);
}

TEST(errors_irq, devm_free_irq_of_an_unmanaged_interrupt_warns_and_keeps_it) {
  struct device* dev = cmwq_device_new("e-devmirq");
  int cookie = 0;
  ASSERT_EQ(request_irq(kLineDevm, handled, 0, "e-devmirq", &cookie), 0);
  expect_one_warning("is not device-managed on e-devmirq", [&] { devm_free_irq(dev, kLineDevm, &cookie); });
  EXPECT_EQ(cmwq_irq_raise(kLineDevm), 0) << "the handler is still installed";
  EXPECT_NE(free_irq(kLineDevm, &cookie), nullptr);
  cmwq_device_free(dev);
}

TEST(errors_irq, devm_request_without_device_is_einval) {
  int cookie = 0;
  const std::size_t installed = cmwq_irq_actions_installed();
  EXPECT_EQ(devm_request_irq(nullptr, kLineNoDev, handled, 0, "e-nodev", &cookie), -EINVAL);
  EXPECT_EQ(cmwq_irq_actions_installed(), installed);
}

TEST(errors_irq, stats_of_a_bad_line_or_into_null_are_einval) {
  struct cmwq_irq_stats st {};
  EXPECT_EQ(cmwq_irq_get_stats(CMWQ_NR_IRQS, &st), -EINVAL);
  EXPECT_EQ(cmwq_irq_get_stats(kLineNoDev, nullptr), -EINVAL);
}

TEST(errors_irq, null_primary_handler_without_oneshot_is_einval_with_log) {
  int cookie = 0;
  expect_log_without_warning("genirq: Threaded irq requested with handler=NULL and !ONESHOT for e-noshot", [&] {
    EXPECT_EQ(request_threaded_irq(kLineNoShot, nullptr, handled, 0, "e-noshot", &cookie), -EINVAL);
  });
}

TEST(errors_irq, flags_mismatch_is_ebusy_with_log) {
  int first = 0, second = 0;
  ASSERT_EQ(request_irq(kLineMismatch, handled, 0, "e-first", &first), 0);
  expect_log_without_warning("genirq: Flags mismatch irq " + std::to_string(kLineMismatch), [&] {
    EXPECT_EQ(request_irq(kLineMismatch, handled, IRQF_SHARED, "e-second", &second), -EBUSY);
  });
  EXPECT_NE(free_irq(kLineMismatch, &first), nullptr);
}

// --- module parameters -----------------------------------------------------------------------------

TEST(errors_module, unknown_parameter_is_enoent) {
  EXPECT_EQ(cmwq_module_param_set("errors_no_such_parameter", "1"), -ENOENT);
}

TEST(errors_module, values_that_do_not_parse_or_fit_are_einval_and_change_nothing) {
  const struct {
    const char* name;
    const char* value;
  } bad[] = {{"errors_count", "12x"},     {"errors_count", "99999999999"}, {"errors_count", nullptr},
             {"errors_size", "-1"},       {"errors_verbose", "maybe"},     {"errors_name", nullptr}};
  for (const auto& b : bad)
    EXPECT_EQ(cmwq_module_param_set(b.name, b.value), -EINVAL) << b.name << "=" << (b.value ? b.value : "(none)");
  EXPECT_EQ(errors_count, 7);
  EXPECT_EQ(errors_size, 3u);
  EXPECT_FALSE(errors_verbose);
  EXPECT_EQ(errors_name, nullptr);
}

int first_init() { return 0; }
int second_init() { return 0; }

TEST(errors_module, second_module_init_warns_and_the_last_one_wins) {
  cmwq_module_set_init(first_init, "first.c");  // may warn itself when the test repeats
  expect_one_warning("module_init() called twice (second.c); the last one wins",
                     [] { cmwq_module_set_init(second_init, "second.c"); });
  EXPECT_EQ(cmwq_module_get()->init, second_init);
}

// --- environment variables ---------------------------------------------------------------------------

// The environment is read once per process, so each case runs in a fresh child process.
class errors_env : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// Sets one variable, then makes the engine read its tunables (a power-efficient queue asks).
[[noreturn]] void start_with(const char* var, const char* value) {
  ::setenv(var, value, 1);
  struct workqueue_struct* wq = alloc_workqueue("e-env", WQ_UNBOUND | WQ_POWER_EFFICIENT, 0);
  if (wq) destroy_workqueue(wq);
  std::exit(wq ? 0 : 1);
}

TEST_F(errors_env, non_numeric_tunable_warns_and_keeps_the_default) {
  EXPECT_EXIT(start_with("CMWQ_CPU_INTENSIVE_THRESH_US", "fast"), ::testing::ExitedWithCode(0),
              "WARNING:.*CMWQ_CPU_INTENSIVE_THRESH_US=fast is not a number, using 10000");
  EXPECT_EXIT(start_with("CMWQ_POWER_EFFICIENT", "yes"), ::testing::ExitedWithCode(0),
              "WARNING:.*CMWQ_POWER_EFFICIENT=yes is not a number, using 0");
  EXPECT_EXIT(start_with("CMWQ_TIMEOUT_SCALE_PERMILLE", "half"), ::testing::ExitedWithCode(0),
              "WARNING:.*CMWQ_TIMEOUT_SCALE_PERMILLE=half is not a number, using 1000");
}

[[noreturn]] void read_jiffies_with(const char* value) {
  ::setenv("CMWQ_INITIAL_JIFFIES", value, 1);
  const unsigned long j = jiffies;
  std::exit(j != 0 ? 0 : 1);
}

TEST_F(errors_env, non_numeric_initial_jiffies_warns_and_is_ignored) {
  EXPECT_EXIT(read_jiffies_with("soon"), ::testing::ExitedWithCode(0),
              "WARNING:.*CMWQ_INITIAL_JIFFIES=\"soon\" is not a number; ignored");
}

}  // namespace
