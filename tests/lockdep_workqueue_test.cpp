// tests/lockdep_workqueue_test.cpp - lockdep's view of workqueues: the (work_completion) and
// (wq_completion) pseudo-locks, fs_reclaim and WQ_MEM_WARN_ON_RECLAIM (semantics.md 7).
//
// Each scenario would deadlock only under some timing (or is refused by the engine), and is run
// so that it never hangs: an item that must be running while the test waits for it is released
// by a helper thread as soon as the report has been printed (or after a deadline, when the test
// then fails). Each must produce exactly one report, naming the right locks.
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <chrono>
#include <functional>
#include <thread>

#include "test_support.hpp"

namespace {

using cmwq_test::log_capture;
using namespace std::chrono_literals;

class LockdepWorkqueue : public ::testing::Test {
 protected:
  void SetUp() override {
    cmwq_lockdep_reset();
    cmwq_lockdep_enable(true);
    reports_before_ = cmwq_lockdep_report_count();
  }
  void TearDown() override { cmwq_lockdep_enable(false); }
  unsigned long reports() const { return cmwq_lockdep_report_count() - reports_before_; }

  // Completes @go once @ready holds, or after 10 s (the test then fails on its assertions).
  std::thread release_when(struct completion* go, std::function<bool()> ready) {
    return std::thread([go, ready] {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (!ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
      complete(go);
    });
  }
  std::thread release_on_report(struct completion* go) {
    const unsigned long before = cmwq_lockdep_report_count();
    return release_when(go, [before] { return cmwq_lockdep_report_count() != before; });
  }

 private:
  unsigned long reports_before_ = 0;
};

// An item that takes `lock` on its first run; on later runs it says it started and waits for `go`.
struct locker_item {
  struct work_struct work;
  struct mutex* lock;
  struct completion started, go;
  int runs = 0;
};

void locker_fn(struct work_struct* w) {
  auto* it = container_of(w, locker_item, work);
  if (it->runs++ == 0) {
    mutex_lock(it->lock);
    mutex_unlock(it->lock);
    return;
  }
  complete(&it->started);
  wait_for_completion_timeout(&it->go, msecs_to_jiffies(15000));
}

void init_locker(locker_item* it, struct mutex* lock) {
  INIT_WORK(&it->work, locker_fn);
  it->lock = lock;
  init_completion(&it->started);
  init_completion(&it->go);
}

// Runs the item once (it records (work_completion) -> its lock), then queues it again and waits
// until that run has started (it then waits for `go`). False if it never started.
bool first_run_then_running(struct workqueue_struct* wq, locker_item* it) {
  queue_work(wq, &it->work);
  flush_work(&it->work);
  queue_work(wq, &it->work);
  return wait_for_completion_timeout(&it->started, msecs_to_jiffies(10000)) > 0;
}

// The three tests below share this: a lock "&dev_lock" (the name lockdep reports), a locker item
// on it and an unbound queue named @name, destroyed with the rig.
struct locker_rig {
  struct mutex dev_lock;
  locker_item it;
  struct workqueue_struct* wq;
  explicit locker_rig(const char* name) {
    mutex_init(&dev_lock);
    init_locker(&it, &dev_lock);
    wq = alloc_workqueue("%s", WQ_UNBOUND, 0, name);
  }
  ~locker_rig() {
    if (wq) destroy_workqueue(wq);
  }
  locker_rig(const locker_rig&) = delete;
  locker_rig& operator=(const locker_rig&) = delete;
};

TEST_F(LockdepWorkqueue, MutexHeldAcrossFlushWorkOfAnItemThatTakesIt) {
  locker_rig r("ld_flush");
  ASSERT_NE(r.wq, nullptr);
  log_capture log;
  ASSERT_TRUE(first_run_then_running(r.wq, &r.it));
  EXPECT_EQ(reports(), 0u);
  std::thread releaser = release_on_report(&r.it.go);
  mutex_lock(&r.dev_lock);
  flush_work(&r.it.work);  // &dev_lock -> (work_completion): the cycle
  mutex_unlock(&r.dev_lock);
  releaser.join();
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible circular locking dependency detected"), 1u);
  EXPECT_TRUE(log.contains("(work_completion)(&it->work)")) << log.joined();
  EXPECT_TRUE(log.contains("-> #1 (&dev_lock):"));
  EXPECT_TRUE(log.contains("-> #0 ((work_completion)(&it->work)):"));
}

TEST_F(LockdepWorkqueue, MutexHeldAcrossCancelWorkSyncOfARunningItemThatTakesIt) {
  locker_rig r("ld_cancel");
  ASSERT_NE(r.wq, nullptr);
  log_capture log;
  ASSERT_TRUE(first_run_then_running(r.wq, &r.it));
  std::thread releaser = release_on_report(&r.it.go);
  mutex_lock(&r.dev_lock);
  cancel_work_sync(&r.it.work);  // waits for the running instance
  mutex_unlock(&r.dev_lock);
  releaser.join();
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible circular locking dependency detected"), 1u);
  EXPECT_TRUE(log.contains("-> #0 ((work_completion)(&it->work)):"));
}

TEST_F(LockdepWorkqueue, CancelOfAnIdleItemRecordsNothing) {
  locker_rig r("ld_idle");
  queue_work(r.wq, &r.it.work);
  flush_work(&r.it.work);
  mutex_lock(&r.dev_lock);
  cancel_work_sync(&r.it.work);  // idle: nothing to wait for, nothing recorded
  flush_work(&r.it.work);
  mutex_unlock(&r.dev_lock);
  EXPECT_EQ(reports(), 0u);
}

struct ordered_pair {
  struct work_struct first, second;
  struct workqueue_struct* wq;
  struct completion queued;
};

void second_fn(struct work_struct*) {}

void first_fn(struct work_struct* w) {
  auto* p = container_of(w, ordered_pair, first);
  wait_for_completion_timeout(&p->queued, msecs_to_jiffies(10000));
  flush_work(&p->second);  // pending behind us on our ordered queue
}

TEST_F(LockdepWorkqueue, OrderedQueueItemFlushingAnotherOfItsQueue) {
  ordered_pair p;
  p.wq = alloc_ordered_workqueue("ld_ordered", 0);
  ASSERT_NE(p.wq, nullptr);
  INIT_WORK(&p.first, first_fn);
  INIT_WORK(&p.second, second_fn);
  init_completion(&p.queued);
  log_capture log;
  queue_work(p.wq, &p.first);
  queue_work(p.wq, &p.second);
  complete(&p.queued);
  flush_workqueue(p.wq);
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible recursive locking detected"), 1u);
  EXPECT_EQ(log.count("  lock((wq_completion)ld_ordered);"), 2u);  // the scenario: CPU0 takes it twice
  destroy_workqueue(p.wq);
}

void alloc_reset_fn(struct work_struct*) {
  void* p = kmalloc(64, GFP_KERNEL);  // may enter reclaim, which waits for this queue
  kfree(p);
  p = kmalloc(64, GFP_NOWAIT);  // never reclaims directly: no dependency
  kfree(p);
}

TEST_F(LockdepWorkqueue, SeedScenarioReclaimAnnotatedQueueAllocatingWithGfpKernel) {
  struct workqueue_struct* wq = alloc_ordered_workqueue("xe_reset", WQ_MEM_RECLAIM | WQ_MEM_WARN_ON_RECLAIM);
  ASSERT_NE(wq, nullptr);
  ASSERT_TRUE(workqueue_is_reclaim_annotated(wq));
  struct work_struct reset;
  INIT_WORK(&reset, alloc_reset_fn);
  log_capture log;
  queue_work(wq, &reset);
  flush_work(&reset);
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible circular locking dependency detected"), 1u);
  // Held the item's map, wanted fs_reclaim; fs_reclaim -> (wq_completion) -> (work_completion).
  EXPECT_TRUE(log.contains("-> #2 ((work_completion)(&reset)):")) << log.joined();
  EXPECT_TRUE(log.contains("-> #1 ((wq_completion)xe_reset):"));
  EXPECT_TRUE(log.contains("-> #0 (fs_reclaim):"));
  EXPECT_TRUE(log.contains("  fs_reclaim --> (wq_completion)xe_reset --> (work_completion)(&reset)"));
  // The same allocation again: reported once.
  queue_work(wq, &reset);
  flush_work(&reset);
  EXPECT_EQ(reports(), 1u);
  destroy_workqueue(wq);
}

void noreclaim_alloc_fn(struct work_struct*) {
  const unsigned int flags = memalloc_noreclaim_save();
  void* p = kmalloc(64, GFP_KERNEL);  // inside the scope: no reclaim, no dependency
  kfree(p);
  memalloc_noreclaim_restore(flags);
}

TEST_F(LockdepWorkqueue, NoReportForAtomicAllocationsOrInsideNoreclaimScopesOrUnannotatedQueues) {
  struct workqueue_struct* annotated = alloc_ordered_workqueue("ld_annot", WQ_MEM_RECLAIM | WQ_MEM_WARN_ON_RECLAIM);
  struct workqueue_struct* plain = alloc_ordered_workqueue("ld_plain", WQ_MEM_RECLAIM);
  ASSERT_NE(annotated, nullptr);
  ASSERT_NE(plain, nullptr);
  struct work_struct a, b;
  INIT_WORK(&a, noreclaim_alloc_fn);
  INIT_WORK(&b, alloc_reset_fn);
  queue_work(annotated, &a);
  flush_work(&a);
  queue_work(plain, &b);
  flush_work(&b);
  EXPECT_EQ(reports(), 0u);
  destroy_workqueue(annotated);
  destroy_workqueue(plain);
}

struct reclaim_flush {
  struct work_struct flusher;
  struct work_struct target;
  struct completion started, go;
};

void target_fn(struct work_struct* w) {
  auto* r = container_of(w, reclaim_flush, target);
  complete(&r->started);
  wait_for_completion_timeout(&r->go, msecs_to_jiffies(15000));
}

void flusher_fn(struct work_struct* w) {
  auto* r = container_of(w, reclaim_flush, flusher);
  flush_work(&r->target);
}

TEST_F(LockdepWorkqueue, ReclaimItemFlushingANonReclaimQueueWarnsOnceWithoutALockdepReport) {
  struct workqueue_struct* reclaim = alloc_workqueue("ld_reclaim", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
  struct workqueue_struct* normal = alloc_workqueue("ld_normal", WQ_UNBOUND, 0);
  ASSERT_NE(reclaim, nullptr);
  ASSERT_NE(normal, nullptr);
  reclaim_flush r;
  INIT_WORK(&r.flusher, flusher_fn);
  INIT_WORK(&r.target, target_fn);
  init_completion(&r.started);
  init_completion(&r.go);
  log_capture log;
  queue_work(normal, &r.target);
  ASSERT_GT(wait_for_completion_timeout(&r.started, msecs_to_jiffies(10000)), 0ul);
  std::thread releaser = release_when(&r.go, [&] { return log.contains("is flushing !WQ_MEM_RECLAIM"); });
  queue_work(reclaim, &r.flusher);
  flush_work(&r.flusher);
  releaser.join();
  EXPECT_EQ(log.count("workqueue: WQ_MEM_RECLAIM ld_reclaim:"), 1u) << log.joined();
  EXPECT_EQ(log.count("is flushing !WQ_MEM_RECLAIM ld_normal:"), 1u);
  EXPECT_EQ(reports(), 0u);
  destroy_workqueue(reclaim);
  destroy_workqueue(normal);
}

struct shared_maps {
  struct work_struct item;
  struct workqueue_struct* other;
};

void flush_other_fn(struct work_struct* w) {
  auto* s = container_of(w, shared_maps, item);
  flush_workqueue(s->other);
}

TEST_F(LockdepWorkqueue, QueuesSharingALockdepMapShareItsClass) {
  static struct lock_class_key key;
  static struct lockdep_map map = STATIC_LOCKDEP_MAP_INIT("(wq_completion)ld_shared", &key);
  struct workqueue_struct* q1 = alloc_ordered_workqueue_lockdep_map("ld_q1", 0, &map);
  struct workqueue_struct* q2 = alloc_workqueue_lockdep_map("ld_q%d", WQ_UNBOUND, 0, &map, 2);
  struct workqueue_struct* q3 = alloc_workqueue("ld_q3", WQ_UNBOUND, 0);
  ASSERT_NE(q1, nullptr);
  ASSERT_NE(q2, nullptr);
  ASSERT_NE(q3, nullptr);
  shared_maps s{};
  INIT_WORK(&s.item, flush_other_fn);
  log_capture log;
  s.other = q3;  // its own class: nothing to report
  queue_work(q1, &s.item);
  flush_work(&s.item);
  EXPECT_EQ(reports(), 0u);
  s.other = q2;  // the class q1's item holds
  queue_work(q1, &s.item);
  flush_work(&s.item);
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible recursive locking detected"), 1u);
  EXPECT_EQ(log.count("  lock((wq_completion)ld_shared);"), 2u);
  destroy_workqueue(q1);
  destroy_workqueue(q2);
  destroy_workqueue(q3);
}

void nop_fn(struct work_struct*) {}

TEST_F(LockdepWorkqueue, OnStackItemsWithOneKeyShareAClassNamedAfterTheExpression) {
  static struct lock_class_key key;
  struct work_struct w1, w2;
  INIT_WORK_ONSTACK_KEY(&w1, nop_fn, &key);
  INIT_WORK_ONSTACK_KEY(&w2, nop_fn, &key);
  ASSERT_NE(w1.lockdep_map, nullptr);
  ASSERT_NE(w2.lockdep_map, nullptr);
  EXPECT_EQ(w1.lockdep_map->cmwq_key, &key);
  EXPECT_EQ(w2.lockdep_map->cmwq_key, &key);
  EXPECT_STREQ(w1.lockdep_map->cmwq_name, "(work_completion)(&w1)");
  destroy_work_on_stack(&w1);
  destroy_work_on_stack(&w2);
}

TEST_F(LockdepWorkqueue, DestroyedQueueForgetsItsClass) {
  struct mutex m;
  mutex_init(&m);
  for (int round = 0; round < 2; ++round) {
    struct workqueue_struct* wq = alloc_workqueue("ld_recycled", WQ_UNBOUND, 0);
    ASSERT_NE(wq, nullptr);
    if (round == 0) {
      mutex_lock(&m);
      flush_workqueue(wq);  // &m -> (wq_completion)ld_recycled
      mutex_unlock(&m);
    } else {
      locker_item it;
      init_locker(&it, &m);
      queue_work(wq, &it.work);  // (wq_completion) -> (work_completion) -> &m: no cycle, new class
      flush_work(&it.work);
    }
    destroy_workqueue(wq);
  }
  EXPECT_EQ(reports(), 0u);
}

}  // namespace
