// tests/flush_dependency_test.cpp - semantics.md 7.3 (assertions 111-113): waiting on a queue
// without WQ_MEM_RECLAIM from memory reclaim (a PF_MEMALLOC thread) or from an item of a
// WQ_MEM_RECLAIM queue warns, once per process for each of the two; cancelling does not.
//
// Each warning is WARN_ONCE, so a test can see it only the first time in its process (ctest runs
// every test in a process of its own). Within a test the calls that must not warn come first, and
// the one warning must name the queue of the call that should warn, so a wrong warning from an
// earlier call cannot pass for the right one. The waits are made certain without timing: an item
// to flush is held pending behind a blocker that ends only once the flusher has linked its barrier
// to it (which happens together with the check), or frozen until the warning has appeared.
#include "work_data_probe.hpp"  // first: see there

#include <sys/prctl.h>

#include <cstdio>
#include <string>
#include <thread>

#include "capi_support.hpp"

#include <linux/sched/mm.h>
#include <linux/workqueue.h>

namespace {

using namespace capi;

using work_data_probe::barrier_linked;
using work_data_probe::being_cancelled;

// A blocker's body: ends once a flush waits for the item behind it (ctx), reports whether it saw that.
void end_when_flushed_behind(probe* p) {
  p->body_result = spin_until([&] { return barrier_linked(&static_cast<probe*>(p->ctx)->work); }) ? 1 : 0;
}

// A running item's body: ends once cancel_work_sync() waits for it.
void end_when_cancelled(probe* p) { p->body_result = spin_until([&] { return being_cancelled(&p->work); }) ? 1 : 0; }

// An item pending behind a blocker on its own ordered queue, for one flush_work() to wait on.
struct flush_target {
  owned_wq wq;
  probe blocker, item;
  flush_target(const char* name, unsigned flags) : wq(alloc_ordered_workqueue("%s", flags, name)) {
    blocker.body = end_when_flushed_behind;
    blocker.ctx = &item;
    blocker.gated = true;  // until the item is queued: it must be pending behind the blocker
    EXPECT_TRUE(queue_work(wq, &blocker.work));
    EXPECT_TRUE(queue_work(wq, &item.work));
    blocker.open();
  }
  // The flush was really made while the item was pending (the blocker saw its barrier).
  bool waited() const { return blocker.body_result.load() == 1; }
};

std::string func_text(work_func_t fn) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%lx", reinterpret_cast<unsigned long>(fn));
  return b;
}

// What the item of the WQ_MEM_RECLAIM queue does, in order: none but the last flush may warn.
struct reclaim_flusher_script {
  probe* running_to_cancel;  // running on a plain queue: cancel_work_sync() does not check
  flush_target* reclaim;     // pending on a WQ_MEM_RECLAIM queue: no dependency problem
  flush_target* plain;       // pending on a plain queue: the warning
  flush_target* again;       // the same once more: no second warning
};

void run_reclaim_flusher_script(probe* p) {
  auto* s = static_cast<reclaim_flusher_script*>(p->ctx);
  cancel_work_sync(&s->running_to_cancel->work);
  flush_work(&s->reclaim->item.work);
  flush_work(&s->plain->item.work);
  flush_work(&s->again->item.work);
}

// Assertions 111 and 112.
TEST(flush_dependency, reclaim_item_flushing_a_non_reclaim_item_warns_once_and_cancel_does_not) {
  static bool warned_before = false;  // WARN_ONCE: only the first run in a process can see it
  owned_wq reclaim_wq(alloc_workqueue("fd-reclaim", WQ_MEM_RECLAIM | WQ_UNBOUND, 0));
  owned_wq cancel_wq(alloc_workqueue("fd-cancel", WQ_UNBOUND, 0));
  probe cancelled;
  cancelled.body = end_when_cancelled;
  ASSERT_TRUE(queue_work(cancel_wq, &cancelled.work));
  ASSERT_TRUE(cancelled.wait_runs(1));
  flush_target reclaim("fd-rtarget", WQ_MEM_RECLAIM), plain("fd-target", 0), again("fd-again", 0);
  reclaim_flusher_script script{&cancelled, &reclaim, &plain, &again};
  probe flusher;
  flusher.body = run_reclaim_flusher_script;
  flusher.ctx = &script;

  log_capture log;
  const unsigned long before = cmwq_warn_count();
  ASSERT_TRUE(queue_work(reclaim_wq, &flusher.work));
  ASSERT_TRUE(flusher.wait_ends(1));
  EXPECT_EQ(cancelled.body_result.load(), 1) << "cancel_work_sync() did not wait for the running item";
  EXPECT_TRUE(reclaim.waited() && plain.waited() && again.waited()) << "a flush found nothing to wait for";

  const std::string expected = "workqueue: WQ_MEM_RECLAIM fd-reclaim:" + func_text(probe::work_fn) +
                               " is flushing !WQ_MEM_RECLAIM fd-target:" + func_text(probe::work_fn);
  EXPECT_EQ(cmwq_warn_count() - before, warned_before ? 0ul : 1ul);
  EXPECT_EQ(log.count("WARNING:", expected), warned_before ? 0 : 1) << expected;
  warned_before = true;
}

// Thaws the freezable queues when it goes, whatever the test did.
struct thaw_at_exit {
  ~thaw_at_exit() { thaw_workqueues(); }
};

// Assertion 113, and the two calls before it that must not warn: an empty queue (nothing to wait
// for) and a WQ_MEM_RECLAIM one.
TEST(flush_dependency, memalloc_thread_flushing_a_non_reclaim_queue_warns_once) {
  static bool warned_before = false;
  char comm[16] = {};
  prctl(PR_GET_NAME, comm);
  const std::string target = "is flushing !WQ_MEM_RECLAIM fd-frozen:0x0";  // no function: a whole queue
  const std::string expected =
      "workqueue: PF_MEMALLOC task " + std::to_string(gettid_()) + "(" + comm + ") " + target;
  owned_wq empty(alloc_workqueue("fd-empty", WQ_UNBOUND, 0));
  flush_target reclaim("fd-mreclaim", WQ_MEM_RECLAIM);
  owned_wq frozen(alloc_workqueue("fd-frozen", WQ_UNBOUND | WQ_FREEZABLE, 0));
  probe held;
  thaw_at_exit thaw;
  freeze_workqueues_begin();
  ASSERT_TRUE(queue_work(frozen, &held.work));  // pending until thawed

  log_capture log;
  const unsigned long before = cmwq_warn_count();
  // Thaws once the warning is there (or, where it cannot come again, after a while).
  std::thread thawer([&] {
    if (warned_before)
      std::this_thread::sleep_for(kQuiet);
    else
      (void)log.wait_for(target);
    thaw_workqueues();
  });
  const unsigned int flags = memalloc_noreclaim_save();
  flush_workqueue(empty);
  flush_work(&reclaim.item.work);
  flush_workqueue(frozen);
  memalloc_noreclaim_restore(flags);
  thawer.join();

  EXPECT_EQ(flags, 0u) << "the thread was not in a reclaim scope before";
  EXPECT_TRUE(reclaim.waited());
  EXPECT_EQ(held.ends.load(), 1) << "flush_workqueue() returned before the frozen item ran";
  EXPECT_EQ(cmwq_warn_count() - before, warned_before ? 0ul : 1ul);
  EXPECT_EQ(log.count("WARNING:", expected), warned_before ? 0 : 1) << expected;
  warned_before = true;
}

// The scope nests: save() in a scope returns PF_MEMALLOC, and restoring it keeps the outer scope.
TEST(flush_dependency, memalloc_scopes_nest) {
  const unsigned int outer = memalloc_noreclaim_save();
  const unsigned int inner = memalloc_noreclaim_save();
  EXPECT_EQ(outer, 0u);
  EXPECT_EQ(inner, static_cast<unsigned int>(PF_MEMALLOC));
  memalloc_noreclaim_restore(inner);
  EXPECT_EQ(memalloc_noreclaim_save(), static_cast<unsigned int>(PF_MEMALLOC)) << "the outer scope ended early";
  memalloc_noreclaim_restore(outer);
  EXPECT_EQ(memalloc_noreclaim_save(), 0u);
  memalloc_noreclaim_restore(0);
}

}  // namespace
