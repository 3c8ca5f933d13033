// tests/bh_test.cpp - WQ_BH queues and tasklets through the C door (docs/bh.md).
//
// One rule per test: which flags make a BH queue (semantics.md 3.4, test 91); BH items run in
// softirq context on the queueing CPU's softirq thread, one at a time in queueing order (R45,
// test 92); sleeping there warns (test 93); cancel_work_sync() from BH context busy-waits (test 94);
// BH queues have no limit to set (R13); and the tasklet rules on top of them. BH items cannot
// sleep, so the gates here are spin gates (an atomic flag), never completions.
#include <sched.h>

#include <atomic>
#include <string>
#include <thread>

#include <linux/interrupt.h>

#include "capi_support.hpp"
#include "core/context.hpp"
#include "errors_support.hpp"

namespace {

using namespace capi;

// What one BH item saw of its context.
struct bh_probe {
  struct work_struct work;
  std::atomic<int> runs{0};
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<bool> softirq{false};
  std::atomic<bool> no_current_work{false};
  std::atomic<int> cpu{-1};
  std::atomic<pid_t> tid{0};
  std::atomic<std::int64_t> seq{-1};
  std::atomic<bool> gate_closed{false};  // spin here (BH must not sleep) while true

  bh_probe() { INIT_WORK(&work, fn); }
  ~bh_probe() {
    gate_closed = false;
    cancel_work_sync(&work);
  }
  static void fn(struct work_struct* w) {
    auto* p = container_of(w, bh_probe, work);
    const int now = p->running.fetch_add(1) + 1;
    int m = p->max_running.load();
    while (now > m && !p->max_running.compare_exchange_weak(m, now)) {
    }
    p->softirq = in_softirq() && in_interrupt() && !in_hardirq();
    p->no_current_work = current_work() == nullptr;
    p->cpu = sched_getcpu();
    p->tid = gettid_();
    p->seq = next_seq();
    p->runs.fetch_add(1);
    spin_until([p] { return !p->gate_closed.load(); });
    p->running.fetch_sub(1);
  }
};

TEST(bh_alloc, allowed_flag_sets_make_working_queues) {
  for (unsigned flags : {WQ_BH | WQ_PERCPU, WQ_BH | WQ_HIGHPRI | WQ_PERCPU}) {
    owned_wq wq(alloc_workqueue("bh-ok", flags, 0));
    ASSERT_NE(wq.get(), nullptr) << flags;
    bh_probe p;
    ASSERT_TRUE(queue_work(wq, &p.work));
    flush_work(&p.work);  // may find it done already: BH items start at once
    EXPECT_EQ(p.runs.load(), 1);
    EXPECT_TRUE(p.softirq.load());
  }
}

TEST(bh_alloc, disallowed_flags_and_a_limit_return_null_with_warning) {
  for (unsigned extra : {unsigned{WQ_UNBOUND}, unsigned{WQ_MEM_RECLAIM}, unsigned{WQ_FREEZABLE}, unsigned{WQ_SYSFS},
                         unsigned{WQ_CPU_INTENSIVE}, unsigned{__WQ_ORDERED}})
    errors::expect_one_warning("WQ_BH allows only WQ_HIGHPRI and WQ_PERCPU",
                               [&] { EXPECT_EQ(alloc_workqueue("bh-bad", WQ_BH | WQ_PERCPU | extra, 0), nullptr); });
  errors::expect_one_warning("WQ_BH requires max_active 0, got 1",
                             [&] { EXPECT_EQ(alloc_workqueue("bh-bad", WQ_BH | WQ_PERCPU, 1), nullptr); });
}

// Test 92: 50 items from one CPU run there, in softirq context, in order, one at a time, on the
// CPU's softirq thread, and current_work() is NULL in them.
TEST(bh_exec, items_run_on_the_queueing_cpu_in_order_one_at_a_time) {
  const int cpu = last_cpu();
  constexpr int n = 50;
  std::unique_ptr<bh_probe[]> ps(new bh_probe[n]);
  run_on_cpu(cpu, [&] {
    for (int i = 0; i < n; i++) ASSERT_TRUE(queue_work(system_bh_wq, &ps[i].work));
  });
  for (int i = 0; i < n; i++) flush_work(&ps[i].work);
  for (int i = 0; i < n; i++) {
    EXPECT_EQ(ps[i].runs.load(), 1);
    EXPECT_TRUE(ps[i].softirq.load()) << i;
    EXPECT_TRUE(ps[i].no_current_work.load()) << i;
    EXPECT_EQ(ps[i].cpu.load(), cpu) << i;
    EXPECT_EQ(thread_comm(ps[i].tid.load()), "ksoftirqd/" + std::to_string(cpu)) << i;
    if (i) {
      EXPECT_GT(ps[i].seq.load(), ps[i - 1].seq.load()) << i;
    }
  }
  // The probe's spin gate was open: "one at a time" is the single softirq thread per CPU.
  for (int i = 1; i < n; i++) EXPECT_EQ(ps[i].tid.load(), ps[0].tid.load());
}

TEST(bh_exec, highpri_items_run_on_the_high_priority_softirq_thread) {
  const int cpu = cpu0();
  bh_probe p;
  run_on_cpu(cpu, [&] { ASSERT_TRUE(queue_work(system_bh_highpri_wq, &p.work)); });
  flush_work(&p.work);
  EXPECT_TRUE(p.softirq.load());
  EXPECT_EQ(p.cpu.load(), cpu);
  EXPECT_EQ(thread_comm(p.tid.load()), "ksoftirqd/" + std::to_string(cpu) + "H");
}

// R5 on BH: an item running on one CPU's softirq thread and queued again from another CPU runs
// again after the first run, on the same thread, never concurrently.
TEST(bh_exec, an_item_queued_from_another_cpu_while_running_is_not_reentered) {
  CAPI_REQUIRE_CPUS(2);
  bh_probe p;
  p.gate_closed = true;
  ASSERT_TRUE(queue_work_on(cpu0(), system_bh_wq, &p.work));
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "first run"));
  const pid_t first = p.tid.load();
  ASSERT_TRUE(queue_work_on(cpu1(), system_bh_wq, &p.work));
  EXPECT_TRUE(stays_false([&] { return p.runs.load() > 1; }));
  p.gate_closed = false;
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 2; }, kDeadline, "second run"));
  flush_work(&p.work);
  EXPECT_EQ(p.max_running.load(), 1);
  EXPECT_EQ(p.tid.load(), first);
}

TEST(bh_exec, delayed_items_and_flush_work_on_a_bh_queue) {
  struct state {
    struct delayed_work dw;
    std::atomic<bool> softirq{false};
  } s;
  INIT_DELAYED_WORK(&s.dw, [](struct work_struct* w) {
    container_of(to_delayed_work(w), state, dw)->softirq = in_softirq();
  });
  ASSERT_TRUE(queue_delayed_work(system_bh_wq, &s.dw, msecs_to_jiffies(5)));
  EXPECT_TRUE(flush_delayed_work(&s.dw));
  EXPECT_TRUE(s.softirq.load());
}

// Test 93: a sleeping call inside a BH item warns as in atomic context, and the item still runs.
TEST(bh_misuse, sleeping_in_a_bh_item_warns) {
  struct work_struct w;
  INIT_WORK(&w, [](struct work_struct*) { msleep(1); });
  errors::expect_one_warning("BUG: sleeping function called from invalid context", [&] {
    ASSERT_TRUE(queue_work(system_bh_wq, &w));
    flush_work(&w);
  });
}

TEST(bh_misuse, setting_max_active_of_a_bh_queue_warns_and_changes_nothing) {
  owned_wq wq(alloc_workqueue("bh-limit", WQ_BH | WQ_PERCPU, 0));
  ASSERT_NE(wq.get(), nullptr);
  errors::expect_one_warning("is a BH workqueue, which has no limit; ignored",
                             [&] { workqueue_set_max_active(wq, 4); });
  errors::expect_one_warning("workqueue_set_min_active: bh-limit is not an unbound, unordered workqueue",
                             [&] { workqueue_set_min_active(wq, 4); });
}

// Test 94: W runs on CPU0's softirq thread; an item in BH context of CPU1 cancels it with
// cancel_work_sync(): it busy-waits (no sleep warning) and returns after W finished.
TEST(bh_cancel, cancel_work_sync_from_bh_context_busy_waits_without_warning) {
  CAPI_REQUIRE_CPUS(2);
  static bh_probe target;
  target.gate_closed = true;
  const int runs_before = target.runs.load();  // static: --gtest_repeat runs it again
  ASSERT_TRUE(queue_work_on(cpu0(), system_bh_wq, &target.work));
  ASSERT_TRUE(wait_until([&] { return target.runs.load() == runs_before + 1; }, kDeadline, "target runs"));
  struct canceller {
    struct work_struct work;
    std::atomic<bool> started{false}, done{false}, target_was_running_after{true};
  };
  static canceller c;
  c.started = c.done = false;
  INIT_WORK(&c.work, [](struct work_struct*) {
    c.started = true;
    cancel_work_sync(&target.work);
    c.target_was_running_after = target.running.load() != 0;
    c.done = true;
  });
  const unsigned long warns = cmwq_warn_count();
  ASSERT_TRUE(queue_work_on(cpu1(), system_bh_wq, &c.work));
  ASSERT_TRUE(wait_until([&] { return c.started.load(); }, kDeadline, "canceller starts"));
  EXPECT_TRUE(stays_false([&] { return c.done.load(); }));
  target.gate_closed = false;
  ASSERT_TRUE(wait_until([&] { return c.done.load(); }, kDeadline, "canceller returns"));
  flush_work(&c.work);
  EXPECT_FALSE(c.target_was_running_after.load());
  EXPECT_EQ(cmwq_warn_count(), warns);
}

// Section 5.11: from hard-IRQ context the wait is a misuse (WARN_ON_ONCE) but still waits.
TEST(bh_cancel, cancel_work_sync_from_hard_irq_warns_once_and_still_waits) {
  static bool seen = false;
  bh_probe target;
  target.gate_closed = true;
  ASSERT_TRUE(queue_work(system_bh_wq, &target.work));
  ASSERT_TRUE(wait_until([&] { return target.runs.load() == 1; }, kDeadline, "target runs"));
  log_capture log;
  std::atomic<bool> returned{false};
  std::thread irq([&] {
    cmwq::core::hardirq_enter();
    cancel_work_sync(&target.work);
    cmwq::core::hardirq_exit();
    returned = true;
  });
  EXPECT_TRUE(stays_false([&] { return returned.load(); }));
  target.gate_closed = false;
  ASSERT_TRUE(wait_until([&] { return returned.load(); }, kDeadline, "cancel returns"));
  irq.join();
  EXPECT_EQ(target.running.load(), 0);
  expect_logged_once_per_process(log, "waiting for BH work item", seen);
}

// --- tasklets --------------------------------------------------------------------------------------

struct tl_probe {
  struct tasklet_struct t;
  std::atomic<int> runs{0};
  std::atomic<bool> softirq{false};
  std::atomic<int> cpu{-1};
  std::atomic<pid_t> tid{0};
  std::atomic<bool> gate_closed{false};
  std::atomic<int> reschedule_left{0};
  bool hi = false;

  static void callback(struct tasklet_struct* t) {
    tl_probe* p = from_tasklet(p, t, t);
    p->softirq = in_softirq();
    p->cpu = sched_getcpu();
    p->tid = gettid_();
    p->runs.fetch_add(1);
    spin_until([p] { return !p->gate_closed.load(); });
    if (p->reschedule_left.load() > 0) {
      p->reschedule_left.fetch_sub(1);
      tasklet_schedule(t);
    }
  }
  tl_probe() { tasklet_setup(&t, callback); }
  ~tl_probe() {
    gate_closed = false;
    tasklet_kill(&t);
  }
};

TEST(tasklet, runs_once_in_softirq_on_the_scheduling_cpu_however_often_scheduled) {
  const int cpu = last_cpu();
  tl_probe p;
  p.gate_closed = true;
  run_on_cpu(cpu, [&] {
    tasklet_schedule(&p.t);  // runs, and holds at the gate
  });
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "first run"));
  run_on_cpu(cpu, [&] {
    for (int i = 0; i < 5; i++) tasklet_schedule(&p.t);  // scheduled while running: once more
  });
  p.gate_closed = false;
  tasklet_kill(&p.t);
  EXPECT_EQ(p.runs.load(), 2);
  EXPECT_TRUE(p.softirq.load());
  EXPECT_EQ(p.cpu.load(), cpu);
  EXPECT_EQ(thread_comm(p.tid.load()), "ksoftirqd/" + std::to_string(cpu));
}

TEST(tasklet, hi_schedule_runs_on_the_high_priority_softirq_thread) {
  tl_probe p;
  run_on_cpu(cpu0(), [&] { tasklet_hi_schedule(&p.t); });
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "run"));
  tasklet_kill(&p.t);
  EXPECT_EQ(thread_comm(p.tid.load()), "ksoftirqd/" + std::to_string(cpu0()) + "H");
}

TEST(tasklet, a_callback_that_reschedules_itself_runs_again) {
  tl_probe p;
  p.reschedule_left = 3;
  tasklet_schedule(&p.t);
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 4; }, kDeadline, "4 runs"));
  tasklet_kill(&p.t);
  EXPECT_EQ(p.runs.load(), 4);
}

}  // namespace

std::atomic<unsigned long> g_old_data{0};
void old_style(unsigned long data) { g_old_data = data; }
std::atomic<int> g_declared_runs{0};
void declared_cb(struct tasklet_struct*) { g_declared_runs++; }
DECLARE_TASKLET(g_declared, declared_cb);
DECLARE_TASKLET_DISABLED(g_declared_disabled, declared_cb);

namespace {

TEST(tasklet, init_passes_data_and_declare_tasklet_works_statically) {
  struct tasklet_struct t;
  tasklet_init(&t, old_style, 0xfeedUL);
  tasklet_schedule(&t);
  tasklet_kill(&t);
  EXPECT_EQ(g_old_data.load(), 0xfeedUL);

  const int before = g_declared_runs.load();
  tasklet_schedule(&g_declared);
  tasklet_kill(&g_declared);
  EXPECT_EQ(g_declared_runs.load(), before + 1);

  tasklet_schedule(&g_declared_disabled);  // disabled from the start: waits for the enable
  EXPECT_TRUE(stays_false([&] { return g_declared_runs.load() > before + 1; }));
  tasklet_enable(&g_declared_disabled);
  ASSERT_TRUE(wait_until([&] { return g_declared_runs.load() == before + 2; }, kDeadline, "enabled run"));
  tasklet_kill(&g_declared_disabled);
  tasklet_disable(&g_declared_disabled);  // back to the initial state for --gtest_repeat
}

TEST(tasklet, a_disabled_tasklet_keeps_its_schedule_and_runs_when_enabled) {
  tl_probe p;
  tasklet_disable(&p.t);
  tasklet_disable(&p.t);  // nests
  tasklet_schedule(&p.t);
  EXPECT_TRUE(stays_false([&] { return p.runs.load() > 0; }));
  tasklet_enable(&p.t);
  EXPECT_TRUE(stays_false([&] { return p.runs.load() > 0; }));
  tasklet_enable(&p.t);
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "run after enable"));
}

TEST(tasklet, disable_waits_for_a_running_callback) {
  tl_probe p;
  p.gate_closed = true;
  tasklet_schedule(&p.t);
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "run"));
  std::atomic<bool> returned{false};
  std::thread d([&] {
    tasklet_disable(&p.t);
    returned = true;
  });
  EXPECT_TRUE(stays_false([&] { return returned.load(); }));
  p.gate_closed = false;
  ASSERT_TRUE(wait_until([&] { return returned.load(); }, kDeadline, "disable returns"));
  d.join();
  tasklet_enable(&p.t);
}

TEST(tasklet, kill_waits_for_the_scheduled_run) {
  tl_probe p;
  p.gate_closed = true;
  tasklet_schedule(&p.t);
  std::atomic<bool> killed{false};
  std::thread k([&] {
    tasklet_kill(&p.t);
    killed = true;
  });
  EXPECT_TRUE(stays_false([&] { return killed.load(); }));
  p.gate_closed = false;
  ASSERT_TRUE(wait_until([&] { return killed.load(); }, kDeadline, "kill returns"));
  k.join();
  EXPECT_EQ(p.runs.load(), 1);
}

TEST(tasklet_misuse, killing_a_scheduled_disabled_tasklet_warns_and_drops_the_run) {
  tl_probe p;
  tasklet_disable(&p.t);
  tasklet_schedule(&p.t);
  errors::expect_one_warning("is scheduled but disabled, so it would never run", [&] { tasklet_kill(&p.t); });
  tasklet_enable(&p.t);
  EXPECT_TRUE(stays_false([&] { return p.runs.load() > 0; }));
}

TEST(tasklet_misuse, enable_without_disable_warns) {
  tl_probe p;
  errors::expect_one_warning("tasklet_enable: tasklet", [&] { tasklet_enable(&p.t); });
  tasklet_schedule(&p.t);
  ASSERT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "still enabled"));
}

TEST(tasklet_misuse, kill_from_interrupt_context_warns) {
  static tl_probe p;
  static std::atomic<bool> done{false};
  struct work_struct w;
  INIT_WORK(&w, [](struct work_struct*) {
    tasklet_kill(&p.t);
    done = true;
  });
  errors::expect_one_warning("tasklet_kill: attempt to kill tasklet", [&] {
    ASSERT_TRUE(queue_work(system_bh_wq, &w));
    flush_work(&w);
  });
  EXPECT_TRUE(done.load());
}

TEST(tasklet_misuse, sleeping_in_a_tasklet_warns) {
  struct tasklet_struct t;
  tasklet_setup(&t, [](struct tasklet_struct*) { msleep(1); });
  errors::expect_one_warning("BUG: sleeping function called from invalid context", [&] {
    tasklet_schedule(&t);
    tasklet_kill(&t);
  });
}

}  // namespace
