// tests/capi_api_extras_test.cpp - the smaller calls of mainline's <linux/workqueue.h>:
// execute_in_process_context() (semantics.md test 121), work_on_cpu_safe()/work_on_cpu_key(),
// from_work() and system_dfl_long_wq.
#include <sched.h>

#include <atomic>

#include "capi_support.hpp"

namespace {

using namespace capi;

struct ctx_probe {
  struct execute_work ew;
  std::atomic<int> calls{0};
  std::atomic<bool> in_kworker{false};
  static void fn(struct work_struct* w) {
    ctx_probe* p = from_work(p, w, ew.work);
    p->in_kworker = current_work() == w && !in_interrupt();
    p->calls++;
  }
};

TEST(capi_extras, execute_in_process_context_calls_at_once_from_a_task) {
  ctx_probe p;
  EXPECT_EQ(execute_in_process_context(ctx_probe::fn, &p.ew), 0);
  EXPECT_EQ(p.calls.load(), 1);  // already called: synchronous
  EXPECT_FALSE(p.in_kworker.load());
}

TEST(capi_extras, execute_in_process_context_defers_from_a_bh_item_to_a_kworker) {
  static ctx_probe p;
  static std::atomic<int> result{-1};
  p.calls = 0;
  struct work_struct bh;
  INIT_WORK(&bh, [](struct work_struct*) { result = execute_in_process_context(ctx_probe::fn, &p.ew); });
  ASSERT_TRUE(queue_work(system_bh_wq, &bh));
  flush_work(&bh);
  EXPECT_EQ(result.load(), 1);
  flush_work(&p.ew.work);
  EXPECT_EQ(p.calls.load(), 1);
  EXPECT_TRUE(p.in_kworker.load());
}

long where_am_i(void* arg) {
  *static_cast<int*>(arg) = sched_getcpu();
  return 42;
}

TEST(capi_extras, work_on_cpu_safe_runs_on_an_online_cpu_and_refuses_an_offline_one) {
  int cpu = -1;
  EXPECT_EQ(work_on_cpu_safe(last_cpu(), where_am_i, &cpu), 42);
  EXPECT_EQ(cpu, last_cpu());
  cpu = -1;
  EXPECT_EQ(work_on_cpu_key(cpu0(), where_am_i, &cpu, nullptr), 42);
  EXPECT_EQ(cpu, cpu0());
  int offline = -1;
  for (int c = 0; c < NR_CPUS && offline < 0; c++)
    if (std::find(cpus().begin(), cpus().end(), c) == cpus().end()) offline = c;
  if (offline < 0) GTEST_SKIP() << "every CPU id is the process's";
  cpu = -1;
  EXPECT_EQ(work_on_cpu_safe(offline, where_am_i, &cpu), -ENODEV);
  EXPECT_EQ(cpu, -1) << "not called";
}

TEST(capi_extras, system_dfl_long_wq_is_the_unbound_long_queue) {
  probe p;
  ASSERT_TRUE(queue_work(system_dfl_long_wq, &p.work));
  ASSERT_TRUE(p.wait_ends(1));
  EXPECT_EQ(stats_of(system_dfl_long_wq).max_active, WQ_MAX_ACTIVE);  // events_dfl_long, unbound
}

}  // namespace
