// tests/capi_misuse_test.cpp - what the C API does when it is used wrongly: invalid flags and
// limits, destroyed or invalid queue handles, items that wait for themselves (semantics.md 3.4,
// R29, R37, D2-D4; section 10 assertions 72, 95, 96, 97). Every case must warn (counted, D4) or
// log, and none may crash, deadlock or touch freed memory.
#include <cerrno>

#include "capi_support.hpp"

namespace {

using namespace capi;

constexpr int kTooManyActive = 5000;  // assertion 72
const char kLongName[] = "capi-0123456789-0123456789-0123456789xyz";  // 40 characters (assertion 97)
constexpr std::size_t kNameMax = WQ_NAME_LEN - 1;

static_assert(sizeof(kLongName) - 1 == 40);

// The worker display name ("kworker/...+<wq name>") of an item run on `wq`.
std::string comm_inside(struct workqueue_struct* wq, int cpu = WORK_CPU_UNBOUND) {
  struct comm_buf {
    char s[96];
  };
  static comm_buf buf;
  std::memset(buf.s, 0, sizeof buf.s);
  probe w;
  w.body = [](probe* p) { cmwq_current_worker_comm(static_cast<comm_buf*>(p->ctx)->s, sizeof buf.s); };
  w.ctx = &buf;
  EXPECT_TRUE(queue_work_on(cpu, wq, &w.work));
  flush_work(&w.work);
  EXPECT_EQ(w.runs.load(), 1);
  return buf.s;
}

// --- 3.4 flags, limits, names ----------------------------------------------------------------------

// Assertion 72.
TEST(capi_misuse, max_active_above_limit_is_clamped_with_log) {
  log_capture log;
  owned_wq wq(alloc_workqueue("x", WQ_PERCPU, kTooManyActive));
  ASSERT_NE(wq.get(), nullptr);
  EXPECT_TRUE(log.contains("max_active 5000 requested for x is out of range, clamping between 1 and 2048"));
  EXPECT_EQ(stats_of(wq).max_active, WQ_MAX_ACTIVE);
}

TEST(capi_misuse, negative_max_active_is_clamped_to_one_with_log) {
  log_capture log;
  owned_wq wq(alloc_workqueue("xneg", WQ_PERCPU, -3));
  ASSERT_NE(wq.get(), nullptr);
  EXPECT_TRUE(log.contains("max_active -3 requested for xneg is out of range, clamping between 1 and 2048"));
  EXPECT_EQ(stats_of(wq).max_active, 1);
}

TEST(capi_misuse, set_max_active_out_of_range_is_clamped_with_log) {
  log_capture log;
  owned_wq wq(alloc_workqueue("xset", WQ_PERCPU, 0));
  workqueue_set_max_active(wq, kTooManyActive);
  EXPECT_TRUE(log.contains("max_active 5000 requested for xset is out of range"));
  EXPECT_EQ(stats_of(wq).max_active, WQ_MAX_ACTIVE);
}

TEST(capi_misuse, max_active_zero_means_default) {
  owned_wq wq(alloc_workqueue("capi-m0", WQ_PERCPU, 0));
  EXPECT_EQ(stats_of(wq).max_active, WQ_DFL_ACTIVE);
}

// Assertion 73. (The resulting min_active is not visible through the C API: cmwq_wq_stats has no
// min_active field, so only "accepted silently" vs "WARN and ignored" is checked.)
TEST(capi_misuse, set_min_active_on_unbound_queue_is_accepted_silently) {
  owned_wq wq(alloc_workqueue("capi-m73u", WQ_UNBOUND, 16));
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  workqueue_set_min_active(wq, 100);
  EXPECT_EQ(cmwq_warn_count(), warns);
  EXPECT_EQ(stats_of(wq).max_active, 16);
}

TEST(capi_misuse, set_min_active_on_percpu_queue_warns_and_changes_nothing) {
  owned_wq wq(alloc_workqueue("capi-m73p", WQ_PERCPU, 16));
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  workqueue_set_min_active(wq, 100);
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
  EXPECT_TRUE(log.contains("capi-m73p"));
  EXPECT_EQ(stats_of(wq).max_active, 16);
}

TEST(capi_misuse, set_min_active_on_ordered_queue_warns) {
  owned_wq wq(alloc_ordered_workqueue("capi-m73o", 0));
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  workqueue_set_min_active(wq, 1);
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
}

// Assertion 95 (WARN_ONCE: only the process's first such queue logs).
TEST(capi_misuse, neither_percpu_nor_unbound_warns_and_is_percpu) {
  static bool logged_before = false;
  log_capture log;
  owned_wq wq(alloc_workqueue("n", 0, 0));
  ASSERT_NE(wq.get(), nullptr);
  expect_logged_once_per_process(log, "is using neither WQ_PERCPU or WQ_UNBOUND. Setting WQ_PERCPU.", logged_before);
  const std::string comm = comm_inside(wq, cpu0());
  EXPECT_TRUE(name_matches("kworker/" + std::to_string(cpu0()) + ":#+n", comm)) << comm;
}

// Assertion 96.
TEST(capi_misuse, both_percpu_and_unbound_warns_and_is_unbound) {
  static bool logged_before = false;
  log_capture log;
  owned_wq wq(alloc_workqueue("b", WQ_PERCPU | WQ_UNBOUND, 0));
  ASSERT_NE(wq.get(), nullptr);
  expect_logged_once_per_process(log, "Dropped WQ_PERCPU, keeping WQ_UNBOUND.", logged_before);
  const std::string comm = comm_inside(wq);
  EXPECT_TRUE(name_matches("kworker/u#:#+b", comm)) << comm;
}

// Assertion 97.
TEST(capi_misuse, long_name_is_truncated_to_31_characters) {
  static bool logged_before = false;
  log_capture log;
  owned_wq wq(alloc_workqueue("%s", WQ_UNBOUND, 0, kLongName));
  ASSERT_NE(wq.get(), nullptr);
  expect_logged_once_per_process(log, "name exceeds WQ_NAME_LEN", logged_before);
  const std::string comm = comm_inside(wq);
  const std::string expected = "+" + std::string(kLongName, kNameMax);
  ASSERT_GE(comm.size(), expected.size());
  EXPECT_EQ(comm.substr(comm.size() - expected.size()), expected) << comm;
}

TEST(capi_misuse, printf_style_name_is_formatted) {
  owned_wq wq(alloc_workqueue("capi-%s-%d", WQ_UNBOUND, 0, "fmt", 42));
  ASSERT_NE(wq.get(), nullptr);
  const std::string comm = comm_inside(wq);
  EXPECT_TRUE(name_matches("kworker/u#:#+capi-fmt-42", comm)) << comm;
}

// --- D3: destroyed and invalid handles -------------------------------------------------------------

TEST(capi_misuse, queue_on_destroyed_queue_warns_and_returns_false) {
  struct workqueue_struct* wq = alloc_workqueue("capi-mdead", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  destroy_workqueue(wq);
  log_capture log;
  probe w;
  unsigned long warns = cmwq_warn_count();
  EXPECT_FALSE(queue_work(wq, &w.work));
  EXPECT_GT(cmwq_warn_count(), warns);
  EXPECT_FALSE(work_pending(&w.work));
  warns = cmwq_warn_count();
  EXPECT_FALSE(queue_delayed_work(wq, &w.dwork, 1));
  EXPECT_GT(cmwq_warn_count(), warns);
  EXPECT_FALSE(delayed_work_pending(&w.dwork));
  warns = cmwq_warn_count();
  EXPECT_FALSE(mod_delayed_work(wq, &w.dwork, 1));
  EXPECT_GT(cmwq_warn_count(), warns);
  EXPECT_FALSE(delayed_work_pending(&w.dwork));
  EXPECT_TRUE(stays_false([&] { return w.runs.load() > 0; }, 30ms));
}

TEST(capi_misuse, flush_drain_and_destroy_of_destroyed_queue_warn) {
  struct workqueue_struct* wq = alloc_workqueue("capi-mdead2", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  destroy_workqueue(wq);
  log_capture log;
  unsigned long warns = cmwq_warn_count();
  flush_workqueue(wq);
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
  drain_workqueue(wq);
  EXPECT_EQ(cmwq_warn_count(), warns + 2);
  destroy_workqueue(wq);
  EXPECT_EQ(cmwq_warn_count(), warns + 3);
}

TEST(capi_misuse, queries_on_destroyed_queue_fail_safely) {
  struct workqueue_struct* wq = alloc_workqueue("capi-mdead3", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  destroy_workqueue(wq);
  log_capture log;
  cmwq_wq_stats s{};
  EXPECT_EQ(cmwq_workqueue_stats(wq, &s), -EINVAL);
  EXPECT_FALSE(workqueue_congested(WORK_CPU_UNBOUND, wq));
  EXPECT_FALSE(workqueue_is_reclaim_annotated(wq));
  show_one_workqueue(wq);  // must not crash
}

// D3: a handle stays invalid after its slot is reused by a new queue.
TEST(capi_misuse, stale_handle_does_not_reach_a_new_queue) {
  struct workqueue_struct* old_wq = alloc_workqueue("capi-mold", WQ_PERCPU, 0);
  ASSERT_NE(old_wq, nullptr);
  destroy_workqueue(old_wq);
  owned_wq fresh(alloc_workqueue("capi-mnew", WQ_PERCPU, 0));
  ASSERT_NE(fresh.get(), nullptr);
  EXPECT_NE(fresh.get(), old_wq);
  log_capture log;
  probe w;
  EXPECT_FALSE(queue_work(old_wq, &w.work));
  flush_workqueue(fresh);
  EXPECT_EQ(w.runs.load(), 0);
  EXPECT_EQ(stats_of(fresh).started, 0ull);
}

TEST(capi_misuse, queue_on_null_queue_warns_and_returns_false) {
  log_capture log;
  probe w;
  const unsigned long warns = cmwq_warn_count();
  EXPECT_FALSE(queue_work(nullptr, &w.work));
  EXPECT_GT(cmwq_warn_count(), warns);
  EXPECT_FALSE(work_pending(&w.work));
}

TEST(capi_misuse, destroying_a_system_queue_warns_and_keeps_it) {
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  destroy_workqueue(system_long_wq);
  EXPECT_GT(cmwq_warn_count(), warns);
  probe w;
  EXPECT_TRUE(queue_work(system_long_wq, &w.work));
  EXPECT_TRUE(w.wait_ends(1));
}

TEST(capi_misuse, live_queue_count_follows_alloc_and_destroy) {
  const std::size_t before = cmwq_live_workqueues();
  struct workqueue_struct* wq = alloc_workqueue("capi-mlive", WQ_UNBOUND, 0);
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(cmwq_live_workqueues(), before + 1);
  destroy_workqueue(wq);
  EXPECT_EQ(cmwq_live_workqueues(), before);
}

// --- items that would wait for themselves -----------------------------------------------------------

struct self_call {
  struct workqueue_struct* wq;
  std::atomic<int> result{-1};
  std::atomic<unsigned long> warns{0};
};

void flush_self(probe* p) {
  auto* c = static_cast<self_call*>(p->ctx);
  const unsigned long w0 = cmwq_warn_count();
  c->result = flush_work(&p->work);
  c->warns = cmwq_warn_count() - w0;
}
void cancel_self_sync(probe* p) {
  auto* c = static_cast<self_call*>(p->ctx);
  const unsigned long w0 = cmwq_warn_count();
  c->result = cancel_work_sync(&p->work);
  c->warns = cmwq_warn_count() - w0;
}
void flush_own_queue(probe* p) {
  auto* c = static_cast<self_call*>(p->ctx);
  const unsigned long w0 = cmwq_warn_count();
  flush_workqueue(c->wq);
  c->result = 0;
  c->warns = cmwq_warn_count() - w0;
}
void destroy_own_queue(probe* p) {
  auto* c = static_cast<self_call*>(p->ctx);
  const unsigned long w0 = cmwq_warn_count();
  destroy_workqueue(c->wq);
  c->result = 0;
  c->warns = cmwq_warn_count() - w0;
}

// Runs an item whose body calls `fn` on itself / its queue; it must return (no deadlock) and warn.
void expect_self_call_warns(probe_body fn, const char* name) {
  owned_wq wq(alloc_workqueue("%s", WQ_UNBOUND, 0, name));
  log_capture log;
  self_call c;
  c.wq = wq;
  probe w;
  w.body = fn;
  w.ctx = &c;
  ASSERT_TRUE(queue_work(wq, &w.work));
  EXPECT_TRUE(w.wait_ends(1)) << "the item deadlocked on itself";
  EXPECT_GE(c.warns.load(), 1ul);
}

TEST(capi_misuse, flush_work_on_itself_warns_instead_of_deadlocking) {
  expect_self_call_warns(flush_self, "capi-mself1");
}

TEST(capi_misuse, cancel_work_sync_on_itself_warns_instead_of_deadlocking) {
  expect_self_call_warns(cancel_self_sync, "capi-mself2");
}

TEST(capi_misuse, flush_of_own_queue_from_item_warns_instead_of_deadlocking) {
  expect_self_call_warns(flush_own_queue, "capi-mself3");
}

TEST(capi_misuse, destroy_of_own_queue_from_item_warns_instead_of_deadlocking) {
  expect_self_call_warns(destroy_own_queue, "capi-mself4");
}

// --- CPUs outside the process (U2, R37) -------------------------------------------------------------

int offline_cpu() { return last_cpu() + 1; }

TEST(capi_misuse, queue_work_on_offline_cpu_still_runs) {
  owned_wq wq(alloc_workqueue("capi-moff", WQ_PERCPU, 0));
  probe w;
  ASSERT_LT(offline_cpu(), WORK_CPU_UNBOUND);
  EXPECT_TRUE(queue_work_on(offline_cpu(), wq, &w.work));
  EXPECT_TRUE(w.wait_ends(1));
}

// R37: "A non-zero delay with an explicit offline cpu WARNs" (WARN_ON_ONCE in the kernel: the
// process's first such call warns), and the item still runs (U2).
TEST(capi_misuse, delayed_work_on_offline_cpu_warns_once_and_still_runs) {
  static bool warned_before = false;
  owned_wq wq(alloc_workqueue("capi-moffd", WQ_PERCPU, 0));
  log_capture log;
  probe d;
  const unsigned long warns = cmwq_warn_count();
  EXPECT_TRUE(queue_delayed_work_on(offline_cpu(), wq, &d.dwork, 1));
  EXPECT_TRUE(d.wait_ends(1));
  if (!warned_before) {
    EXPECT_GT(cmwq_warn_count(), warns);
    warned_before = true;
  }
}

// --- D4: every WARN is counted and printed as a WARNING line ----------------------------------------

TEST(capi_misuse, every_warning_is_counted_and_logged) {
  log_capture log;
  const unsigned long warns = cmwq_warn_count();
  probe w;
  struct work_struct zero;
  std::memset(&zero, 0, sizeof zero);
  cancel_work_sync(&zero);        // R29
  queue_work(nullptr, &w.work);   // D3
  flush_workqueue(nullptr);       // D3
  EXPECT_EQ(cmwq_warn_count() - warns, 3ul);
  EXPECT_EQ(log.count("WARNING:"), 3) << log.all();
}

}  // namespace
