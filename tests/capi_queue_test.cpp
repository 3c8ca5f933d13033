// tests/capi_queue_test.cpp - the C API's queueing, pending and query rules (semantics.md 2.4,
// 2.7, 4.1, 4.2, 4.12, 6.1; section 10 assertions 1-8, 10, 58, 59, 61, 99, 100, 105, 119, 120).
//
// One property per test. "Running" items are held on their probe's gate instead of a fixed sleep,
// so each assertion is an ordering that holds on a loaded machine; every wait has a deadline.

#include "capi_support.hpp"

namespace {

using namespace capi;

constexpr int kSelfRequeues = 5;      // assertion 6
constexpr int kStatsItems = 25;       // assertion 105

// An ordered queue whose single slot is held by a gated blocker: anything queued behind it stays
// pending (not started) until the blocker is opened.
struct blocked_ordered {
  owned_wq wq{alloc_ordered_workqueue("capi-blocked-%d", 0, 1)};
  probe blocker;
  blocked_ordered() {
    blocker.gated = true;
    EXPECT_NE(wq.get(), nullptr);
    EXPECT_TRUE(queue_work(wq, &blocker.work));
    EXPECT_TRUE(blocker.wait_runs(1));
  }
  ~blocked_ordered() { blocker.open(); }
};

// --- smoke walk ----------------------------------------------------------------------------

TEST(capi_queue, smoke_walk_idle_pending_running_idle) {
  owned_wq wq(alloc_workqueue("capi-smoke", WQ_UNBOUND, 0));
  ASSERT_NE(wq.get(), nullptr);
  probe w;
  w.gated = true;
  EXPECT_EQ(work_busy(&w.work), 0u);
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  EXPECT_EQ(work_busy(&w.work), static_cast<unsigned>(WORK_BUSY_RUNNING));
  w.open();
  ASSERT_TRUE(w.wait_ends(1));
  flush_workqueue(wq);
  EXPECT_EQ(work_busy(&w.work), 0u);
  EXPECT_EQ(w.runs.load(), 1);
}

// --- 4.1 ownership ---------------------------------------------------------------------------

// Assertion 1.
TEST(capi_queue, queue_work_on_idle_item_returns_true_and_runs_once) {
  owned_wq wq(alloc_workqueue("capi-q1", WQ_PERCPU, 0));
  ASSERT_NE(wq.get(), nullptr);
  probe w;
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 1);
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 1; }, 30ms));
}

// Assertion 2.
TEST(capi_queue, queue_work_on_pending_item_returns_false_and_runs_once) {
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_FALSE(queue_work(q.wq, &w.work));
  EXPECT_FALSE(queue_work_on(cpu1(), q.wq, &w.work));
  q.blocker.open();
  flush_workqueue(q.wq);
  EXPECT_EQ(w.runs.load(), 1);
}

// Assertion 3 (first half).
TEST(capi_queue, work_pending_is_true_while_queued) {
  blocked_ordered q;
  probe w;
  EXPECT_FALSE(work_pending(&w.work));
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_TRUE(work_pending(&w.work));
  q.blocker.open();
  flush_workqueue(q.wq);
  EXPECT_FALSE(work_pending(&w.work));
}

// Assertion 3 (second half): PENDING is cleared before the function is called (R3).
TEST(capi_queue, work_pending_is_false_inside_own_function) {
  owned_wq wq(alloc_workqueue("capi-q3", WQ_UNBOUND, 0));
  probe w;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_workqueue(wq);
  ASSERT_EQ(w.runs.load(), 1);
  EXPECT_FALSE(w.pending_inside.load());
}

// Assertion 4 (R3): a queue while running produces exactly one more run, after the current one.
TEST(capi_queue, queue_while_running_runs_again_after_current_run) {
  owned_wq wq(alloc_workqueue("capi-q4", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  bool second = false;
  std::thread other([&] { second = queue_work(wq, &w.work); });
  other.join();
  EXPECT_TRUE(second);
  EXPECT_EQ(work_busy(&w.work), static_cast<unsigned>(WORK_BUSY_PENDING | WORK_BUSY_RUNNING));
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 1; }, 30ms)) << "second run started before the first ended";
  w.open();
  ASSERT_TRUE(w.wait_ends(2));
  EXPECT_EQ(w.runs.load(), 2);
  EXPECT_EQ(w.max_running.load(), 1);
  EXPECT_GE(w.last_start_us.load(), w.first_end_us.load());
}

// Assertion 5 (R5): queued to another CPU while running, the item still never overlaps itself.
TEST(capi_queue, queue_on_other_cpu_while_running_does_not_overlap) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-q5", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work_on(cpu0(), wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  ASSERT_TRUE(queue_work_on(cpu1(), wq, &w.work));
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 1; }, 50ms)) << "the CPU-1 instance overlapped the running one";
  w.open();
  ASSERT_TRUE(w.wait_ends(2));
  EXPECT_EQ(w.max_running.load(), 1);
  EXPECT_GE(w.last_start_us.load(), w.first_end_us.load());
}

// Assertion 6 (R6).
TEST(capi_queue, self_requeue_runs_n_plus_one_times_without_overlap) {
  owned_wq wq(alloc_workqueue("capi-q6", WQ_UNBOUND, 0));
  probe w;
  w.requeue_wq = wq;
  w.requeue_left = kSelfRequeues;
  w.sleep_ms = 1;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_ends(kSelfRequeues + 1));
  flush_workqueue(wq);
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), kSelfRequeues + 1);
  EXPECT_EQ(w.requeue_results.load(), kSelfRequeues);
  EXPECT_EQ(w.max_running.load(), 1);
}

// Assertion 7 (R4, R39).
TEST(capi_queue, disabled_item_is_refused_by_every_queue_call) {
  owned_wq wq(alloc_workqueue("capi-q7", WQ_PERCPU, 0));
  probe w;
  EXPECT_FALSE(disable_work(&w.work));
  EXPECT_FALSE(disable_delayed_work(&w.dwork));
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_FALSE(queue_work_on(cpu0(), wq, &w.work));
  EXPECT_FALSE(schedule_work(&w.work));
  EXPECT_FALSE(queue_delayed_work(wq, &w.dwork, 0));
  EXPECT_FALSE(queue_delayed_work(wq, &w.dwork, 1));
  EXPECT_FALSE(mod_delayed_work(wq, &w.dwork, 0));
  EXPECT_FALSE(mod_delayed_work(wq, &w.dwork, 1));
  EXPECT_FALSE(work_pending(&w.work));
  EXPECT_FALSE(delayed_work_pending(&w.dwork));
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 0; }, 30ms));
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 0);
  EXPECT_TRUE(enable_work(&w.work));
  EXPECT_TRUE(enable_delayed_work(&w.dwork));
}

// Assertion 8 (D1: system_wq is system_percpu_wq, "events").
void record_comm(probe* p) { cmwq_current_worker_comm(static_cast<char*>(p->ctx), 64); }

TEST(capi_queue, schedule_work_runs_on_events_worker) {
  char comm[64] = {};
  probe w;
  w.body = record_comm;
  w.ctx = comm;
  ASSERT_TRUE(schedule_work(&w.work));
  ASSERT_TRUE(w.wait_ends(1));
  flush_work(&w.work);
  const std::string s(comm);
  EXPECT_TRUE(s.size() > 7 && s.compare(s.size() - 7, 7, "+events") == 0) << "worker comm: " << s;
  EXPECT_EQ(system_wq, system_percpu_wq);
  EXPECT_EQ(system_unbound_wq, system_dfl_wq);
}

// Assertion 10.
TEST(capi_queue, queue_work_node_on_percpu_queue_warns_and_runs) {
  static bool warned_before = false;  // WARN_ON_ONCE: only the process's first call logs
  owned_wq wq(alloc_workqueue("capi-q10", WQ_PERCPU, 0));
  probe w;
  {
    log_capture log;
    const unsigned long warns = cmwq_warn_count();
    ASSERT_TRUE(queue_work_node(0, wq, &w.work));
    if (!warned_before) {
      EXPECT_GT(cmwq_warn_count(), warns);
    }
    expect_logged_once_per_process(log, "queue_work_node", warned_before);
    flush_workqueue(wq);
  }
  EXPECT_EQ(w.runs.load(), 1);
}

TEST(capi_queue, queue_work_node_on_unbound_queue_runs_without_warning) {
  owned_wq wq(alloc_workqueue("capi-q10u", WQ_UNBOUND, 0));
  probe w;
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  ASSERT_TRUE(queue_work_node(0, wq, &w.work));
  flush_workqueue(wq);
  EXPECT_EQ(w.runs.load(), 1);
  EXPECT_EQ(cmwq_warn_count(), warns);
}

// Memory-ordering promise of queue_work*(): stores before a true return are visible inside.
struct handoff {
  int plain_value;  // deliberately not atomic: the queue call must publish it
  int seen;
};
void read_handoff(probe* p) {
  auto* h = static_cast<handoff*>(p->ctx);
  h->seen = h->plain_value;
}

TEST(capi_queue, stores_before_queue_work_are_visible_in_the_function) {
  owned_wq wq(alloc_workqueue("capi-qmo", WQ_UNBOUND, 0));
  handoff h{0, 0};
  probe w;
  w.body = read_handoff;
  w.ctx = &h;
  h.plain_value = 4242;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(h.seen, 4242);
}

// --- 4.12 queries -------------------------------------------------------------------------------

// Assertion 58.
TEST(capi_queue, work_busy_idle_is_zero) {
  probe w;
  EXPECT_EQ(work_busy(&w.work), 0u);
}

TEST(capi_queue, work_busy_pending_is_one) {
  blocked_ordered q;
  probe w;
  ASSERT_TRUE(queue_work(q.wq, &w.work));
  EXPECT_EQ(work_busy(&w.work), static_cast<unsigned>(WORK_BUSY_PENDING));
  q.blocker.open();
}

TEST(capi_queue, work_busy_running_is_two_and_running_requeued_is_three) {
  owned_wq wq(alloc_workqueue("capi-q58", WQ_PERCPU, 0));
  probe w;
  w.gated = true;
  ASSERT_TRUE(queue_work(wq, &w.work));
  ASSERT_TRUE(w.wait_runs(1));
  EXPECT_EQ(work_busy(&w.work), static_cast<unsigned>(WORK_BUSY_RUNNING));
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_EQ(work_busy(&w.work), static_cast<unsigned>(WORK_BUSY_PENDING | WORK_BUSY_RUNNING));
  w.open();
  flush_workqueue(wq);
  EXPECT_EQ(work_busy(&w.work), 0u);
}

// Assertion 59 (BH items are out of scope: cmwq has no BH queues yet).
TEST(capi_queue, current_work_is_the_item_inside_and_null_outside) {
  owned_wq wq(alloc_workqueue("capi-q59", WQ_PERCPU, 0));
  probe w;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_workqueue(wq);
  ASSERT_EQ(w.runs.load(), 1);
  EXPECT_TRUE(w.current_work_ok.load());
  EXPECT_EQ(current_work(), nullptr);
  struct work_struct* from_thread = reinterpret_cast<struct work_struct*>(1);
  std::thread t([&] { from_thread = current_work(); });
  t.join();
  EXPECT_EQ(from_thread, nullptr);
}

// Assertion 61.
struct reclaim_answers {
  std::atomic<int> value{-1};
};
void record_mem_reclaim(probe* p) { static_cast<reclaim_answers*>(p->ctx)->value = current_is_workqueue_mem_reclaim(); }

int mem_reclaim_inside(struct workqueue_struct* wq) {
  reclaim_answers a;
  probe w;
  w.body = record_mem_reclaim;
  w.ctx = &a;
  EXPECT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  return a.value.load();
}

TEST(capi_queue, current_is_workqueue_mem_reclaim_true_in_reclaim_queue_item) {
  owned_wq wq(alloc_workqueue("capi-q61r", WQ_PERCPU | WQ_MEM_RECLAIM, 0));
  EXPECT_EQ(mem_reclaim_inside(wq), 1);
}

TEST(capi_queue, current_is_workqueue_mem_reclaim_false_in_legacy_queue_item) {
  owned_wq wq(create_workqueue("capi-q61l"));
  ASSERT_NE(wq.get(), nullptr);
  EXPECT_EQ(mem_reclaim_inside(wq), 0);
}

TEST(capi_queue, current_is_workqueue_mem_reclaim_false_in_plain_queue_item_and_outside) {
  owned_wq wq(alloc_workqueue("capi-q61p", WQ_UNBOUND, 0));
  EXPECT_EQ(mem_reclaim_inside(wq), 0);
  EXPECT_FALSE(current_is_workqueue_mem_reclaim());
  EXPECT_FALSE(current_is_workqueue_rescuer());
}

// --- 6.1 worker names ----------------------------------------------------------------------------

// Assertion 99: the thread's comm (15 characters) as /proc shows it.
std::string comm_of_worker(struct workqueue_struct* wq, int cpu) {
  probe w;
  EXPECT_TRUE(queue_work_on(cpu, wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
  // The worker outlives the item (it goes idle): its comm is still readable.
  return thread_comm(w.tid.load());
}

TEST(capi_queue, percpu_worker_is_named_kworker_cpu_id) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-q99", WQ_PERCPU, 0));
  const std::string name = comm_of_worker(wq, cpu1());
  EXPECT_TRUE(name_matches("kworker/" + std::to_string(cpu1()) + ":#", name)) << name;
}

TEST(capi_queue, highpri_worker_is_named_kworker_cpu_id_h) {
  CAPI_REQUIRE_CPUS(2);
  owned_wq wq(alloc_workqueue("capi-q99h", WQ_PERCPU | WQ_HIGHPRI, 0));
  const std::string name = comm_of_worker(wq, cpu1());
  EXPECT_TRUE(name_matches("kworker/" + std::to_string(cpu1()) + ":#H", name)) << name;
}

TEST(capi_queue, unbound_worker_is_named_kworker_u_pool_id) {
  owned_wq wq(alloc_workqueue("capi-q99u", WQ_UNBOUND, 0));
  const std::string name = comm_of_worker(wq, WORK_CPU_UNBOUND);
  EXPECT_TRUE(name_matches("kworker/u#:#", name)) << name;
}

// Assertion 100 (the "+desc" half; see the report for the "-desc" half).
void describe_foo7(probe* p) {
  set_worker_desc("foo%d", 7);
  cmwq_current_worker_comm(static_cast<char*>(p->ctx), 64);
}

TEST(capi_queue, set_worker_desc_shows_plus_desc_while_running) {
  owned_wq wq(alloc_workqueue("capi-q100", WQ_PERCPU, 0));
  char comm[64] = {};
  probe w;
  w.body = describe_foo7;
  w.ctx = comm;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  const std::string s(comm);
  EXPECT_TRUE(name_matches("kworker/#:#+foo7", s)) << s;
}

TEST(capi_queue, worker_comm_defaults_to_plus_queue_name) {
  owned_wq wq(alloc_workqueue("capi-q100d", WQ_UNBOUND, 0));
  char comm[64] = {};
  probe w;
  w.body = record_comm;
  w.ctx = comm;
  ASSERT_TRUE(queue_work(wq, &w.work));
  flush_work(&w.work);
  const std::string s(comm);
  EXPECT_TRUE(name_matches("kworker/u#:#+capi-q100d", s)) << s;
}

TEST(capi_queue, set_worker_desc_outside_a_worker_is_a_no_op) {
  set_worker_desc("nothing%d", 1);
  char buf[64] = "x";
  cmwq_current_worker_comm(buf, sizeof buf);
  EXPECT_STREQ(buf, "");
}

// --- 6.4 statistics -------------------------------------------------------------------------------

// Assertion 105.
TEST(capi_queue, stats_count_started_and_completed_items) {
  owned_wq wq(alloc_workqueue("capi-q105", WQ_PERCPU, 0));
  probes items(kStatsItems);
  for (auto& p : items) ASSERT_TRUE(queue_work(wq, &p.work));
  flush_workqueue(wq);
  const cmwq_wq_stats s = stats_of(wq);
  EXPECT_EQ(s.started, static_cast<unsigned long long>(kStatsItems));
  EXPECT_EQ(s.completed, static_cast<unsigned long long>(kStatsItems));
  EXPECT_EQ(s.nr_active, 0);
  EXPECT_EQ(s.nr_inactive, 0);
  EXPECT_EQ(s.max_active, WQ_DFL_ACTIVE);
}

// --- 2.4 helpers ----------------------------------------------------------------------------------

std::atomic<int> g_each_cpu_runs[CPU_SETSIZE];
std::atomic<int> g_each_cpu_total{0};
void each_cpu_fn(struct work_struct*) {
  const int c = sched_getcpu();
  if (c >= 0 && c < CPU_SETSIZE) g_each_cpu_runs[c]++;
  g_each_cpu_total++;
}

// Assertion 119.
TEST(capi_queue, schedule_on_each_cpu_runs_once_on_every_cpu) {
  for (auto& r : g_each_cpu_runs) r = 0;
  g_each_cpu_total = 0;
  EXPECT_EQ(schedule_on_each_cpu(each_cpu_fn), 0);
  EXPECT_EQ(g_each_cpu_total.load(), static_cast<int>(cpus().size()));
  for (int c : cpus()) EXPECT_EQ(g_each_cpu_runs[c].load(), 1) << "CPU " << c;
}

// Assertion 120.
long report_cpu(void* arg) {
  *static_cast<int*>(arg) = sched_getcpu();
  return 7707;
}

TEST(capi_queue, work_on_cpu_returns_fn_value_and_runs_on_that_cpu) {
  CAPI_REQUIRE_CPUS(2);
  int seen = -1;
  EXPECT_EQ(work_on_cpu(cpu1(), report_cpu, &seen), 7707);
  EXPECT_EQ(seen, cpu1());
}

}  // namespace
