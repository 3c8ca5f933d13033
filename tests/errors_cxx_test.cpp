// tests/errors_cxx_test.cpp - the rows of docs/errors.md (the misuse catalogue) for the C++ API
// that no other test proves: empty queue handles, a bad affinity scope, an owned_queue reset from
// its own item, items that wait for or destroy themselves.
//
// One property per test, as in errors_test.cpp: the misuse is detected, the call returns or
// refuses as documented, the WARNING is printed and counted (D4), and nothing hangs or is lost.
#include "work_data_probe.hpp"  // first: see there

#include <cmwq/cmwq.hpp>

#include <atomic>
#include <memory>
#include <system_error>

#include "errors_support.hpp"

#include <linux/sched/mm.h>

namespace {

using namespace std::chrono_literals;
using namespace errors;

cmwq::owned_queue unbound(const char* name) {
  auto q = cmwq::builder::unbound().build(name);
  EXPECT_TRUE(q) << name;
  return q;
}

bool eventually(const std::atomic<bool>& flag) {
  return capi::wait_until([&] { return flag.load(); }, capi::kDeadline, "the item");
}

TEST(errors_cxx, empty_queue_handle_refuses_with_a_warning) {
  const cmwq::queue none;
  cmwq::work w{[] {}};
  const std::string text = "on a destroyed or invalid workqueue";
  expect_one_warning(text, [&] { EXPECT_FALSE(none.enqueue(w)); });
  expect_one_warning(text, [&] {
    EXPECT_EQ(none.try_spawn([] {}), std::make_error_code(std::errc::invalid_argument));
  });
  EXPECT_FALSE(w.pending());
}

TEST(errors_cxx, invalid_affinity_scope_warns_and_uses_the_default) {
  cmwq::owned_queue q;
  expect_one_warning("workqueue: e-scope: invalid affinity scope 42, using the default", [&] {
    q = cmwq::builder::unbound().affinity_scope(static_cast<cmwq::affinity>(42)).build("e-scope");
  });
  ASSERT_TRUE(q);
  std::atomic<bool> ran{false};
  ASSERT_FALSE(q->try_spawn([&] { ran = true; }));
  EXPECT_TRUE(eventually(ran));
}

// The refused reset() keeps the queue owned: the destructor destroys it later, nothing leaks.
TEST(errors_cxx, reset_from_its_own_item_warns_and_keeps_the_queue_owned) {
  const std::size_t live = cmwq_live_workqueues();
  {
    auto q = unbound("e-selfreset");
    std::atomic<bool> done{false};
    expect_one_warning("destroy_workqueue: e-selfreset destroyed from its own work item, which would deadlock", [&] {
      ASSERT_FALSE(q->try_spawn([&] {
        q.reset();
        done = true;
      }));
      EXPECT_TRUE(eventually(done));
    });
    EXPECT_TRUE(q) << "reset() let go of a queue it did not destroy";
    EXPECT_TRUE(q->valid());
  }
  EXPECT_EQ(cmwq_live_workqueues(), live) << "the queue leaked";
}

// An item that flushes or cancel_sync()s itself would wait for its own end.
struct self_waiter {
  std::atomic<int> flushed{-1}, cancelled{-1};
  cmwq::work w{[this] {
    flushed = w.flush();
    cancelled = w.cancel_sync();
  }};
};

TEST(errors_cxx, item_waiting_for_itself_warns_instead_of_deadlocking) {
  auto q = unbound("e-selfwait");
  self_waiter s;
  capi::log_capture log;
  const unsigned long before = cmwq::warn_count();
  ASSERT_TRUE(q->enqueue(s.w));
  EXPECT_TRUE(capi::wait_until([&] { return s.cancelled.load() != -1; }, capi::kDeadline, "the item"));
  EXPECT_EQ(s.flushed.load(), 0);
  EXPECT_EQ(s.cancelled.load(), 0);
  EXPECT_EQ(cmwq::warn_count() - before, 2ul);
  EXPECT_EQ(log.count("WARNING:", "flushes itself, which would deadlock"), 1);
  EXPECT_EQ(log.count("WARNING:", "waits for itself, which would deadlock"), 1);
}

TEST(errors_cxx, delayed_work_destroyed_in_its_own_closure_warns) {
  auto q = unbound("e-dtorself");
  struct holder {
    std::unique_ptr<cmwq::delayed_work> d;
  };
  auto* h = new holder;
  std::atomic<bool> done{false};
  h->d = std::make_unique<cmwq::delayed_work>([h, &done] {
    std::atomic<bool>& flag = done;
    delete h;  // destroys the item and this closure: touch nothing captured afterwards
    flag.store(true);
  });
  expect_one_warning("cmwq::work destroyed from inside its own closure", [&] {
    ASSERT_TRUE(q->enqueue_delayed(*h->d, 0ms));
    EXPECT_TRUE(eventually(done));
    q->flush();
  });
}

// semantics.md 7.3 through the C++ door: a thread in a reclaim_scope flushing an item of a queue
// without mem_reclaim() warns, once per process (see tests/flush_dependency_test.cpp for the C
// calls). The item is pending behind a blocker that ends only once the flush's barrier is linked
// to it, so the flush certainly had something to wait for.
TEST(errors_cxx, reclaim_scope_flushing_a_plain_queue_warns_once) {
  static bool warned_before = false;  // WARN_ONCE: only the first run in a process can see it
  auto q = cmwq::builder::ordered().build("e-reclaimscope");
  ASSERT_TRUE(q);
  cmwq::work target{[] {}};
  std::atomic<bool> saw_barrier{false};
  cmwq::work blocker{[&] {
    saw_barrier = capi::spin_until([&] { return work_data_probe::barrier_linked(target.raw()); });
  }};
  ASSERT_TRUE(q->enqueue(blocker));
  ASSERT_TRUE(q->enqueue(target));
  capi::log_capture log;
  const unsigned long before = cmwq::warn_count();
  {
    cmwq::reclaim_scope outer;
    {
      cmwq::reclaim_scope inner;
    }
    EXPECT_TRUE(target.flush());  // still inside `outer`: nesting must not have ended it
  }
  EXPECT_TRUE(saw_barrier.load());
  EXPECT_EQ(cmwq::warn_count() - before, warned_before ? 0ul : 1ul);
  EXPECT_EQ(log.count("WARNING:", "is flushing !WQ_MEM_RECLAIM e-reclaimscope:0x"), warned_before ? 0 : 1);
  warned_before = true;
  EXPECT_EQ(memalloc_noreclaim_save(), 0u) << "the scope outlived its object";
  memalloc_noreclaim_restore(0);
}

}  // namespace
