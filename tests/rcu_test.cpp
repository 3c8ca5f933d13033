// tests/rcu_test.cpp - <linux/rcupdate.h> on liburcu and rcu_work through the C door (docs/rcu.md).
//
// Grace periods are real: a reader thread holds a read-side critical section open, and the test
// shows that synchronize_rcu(), call_rcu() callbacks and queue_rcu_work() items wait for it, and
// happen once it closes. Then the misuses: waiting inside a reader, unbalanced unlock, sleeping
// inside a reader, queue_rcu_work() on a disabled item or twice.
#include <atomic>
#include <thread>

#include <linux/delay.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "capi_support.hpp"
#include "errors_support.hpp"

static_assert(sizeof(struct rcu_head) == 2 * sizeof(void*), "the kernel's callback_head");

namespace {

using namespace capi;

// A reader thread inside rcu_read_lock() until release().
class reader {
 public:
  reader()
      : t_([this] {
          rcu_read_lock();
          inside_ = true;
          spin_until([this] { return release_.load(); });
          rcu_read_unlock();
        }) {
    spin_until([this] { return inside_.load(); });
  }
  ~reader() {
    release();
    t_.join();
  }
  void release() { release_ = true; }

 private:
  std::atomic<bool> inside_{false}, release_{false};
  std::thread t_;
};

TEST(rcu, synchronize_rcu_waits_for_a_reader_that_began_before_it) {
  reader r;
  std::atomic<bool> done{false};
  std::thread w([&] {
    synchronize_rcu();
    done = true;
  });
  EXPECT_TRUE(stays_false([&] { return done.load(); }));
  r.release();
  EXPECT_TRUE(wait_until([&] { return done.load(); }, kDeadline, "synchronize_rcu returns"));
  w.join();
}

struct cb_state {
  struct rcu_head head;
  std::atomic<int> calls{0};
};

TEST(rcu, call_rcu_runs_after_the_grace_period_and_rcu_barrier_waits_for_it) {
  static cb_state s;
  const int before = s.calls.load();
  {
    reader r;
    call_rcu(&s.head, [](struct rcu_head* h) { container_of(h, cb_state, head)->calls++; });
    EXPECT_TRUE(stays_false([&] { return s.calls.load() > before; }));
  }
  rcu_barrier();
  EXPECT_EQ(s.calls.load(), before + 1);
}

struct node {
  int value;
};
node* g_ptr __rcu = nullptr;

TEST(rcu, assign_and_dereference_publish_a_pointer) {
  static node a{1}, b{2};
  RCU_INIT_POINTER(g_ptr, &a);
  rcu_read_lock();
  EXPECT_TRUE(rcu_read_lock_held());
  EXPECT_EQ(rcu_dereference(g_ptr)->value, 1);
  rcu_read_unlock();
  EXPECT_FALSE(rcu_read_lock_held());
  std::thread w([] {
    rcu_assign_pointer(g_ptr, &b);
    synchronize_rcu();  // no reader can still see &a
  });
  w.join();
  rcu_read_lock();
  EXPECT_EQ(rcu_dereference(g_ptr)->value, 2);
  rcu_read_unlock();
  EXPECT_EQ(rcu_access_pointer(g_ptr), &b);
}

TEST(rcu, readers_in_kworkers_and_bh_items_register_themselves) {
  struct state {
    struct work_struct work;
    std::atomic<int> ok{0};
  };
  static state s;
  s.ok = 0;  // static: --gtest_repeat runs it again
  INIT_WORK(&s.work, [](struct work_struct*) {
    rcu_read_lock();
    s.ok += rcu_read_lock_held();
    rcu_read_unlock();
  });
  for (struct workqueue_struct* wq : {system_wq, system_unbound_wq, system_bh_wq}) {
    ASSERT_TRUE(queue_work(wq, &s.work));
    flush_work(&s.work);
  }
  EXPECT_EQ(s.ok.load(), 3);
  synchronize_rcu();  // with those threads registered
}

// --- rcu_work ------------------------------------------------------------------------------------

struct rw_probe {
  struct rcu_work rw;
  std::atomic<int> runs{0};
  rw_probe() { INIT_RCU_WORK(&rw, fn); }
  ~rw_probe() { flush_rcu_work(&rw); }
  static void fn(struct work_struct* w) { container_of(to_rcu_work(w), rw_probe, rw)->runs++; }
};

// Test 122: queued only after the grace period; a second call before it runs returns false.
TEST(rcu_work, runs_only_after_a_grace_period_and_once) {
  rw_probe p;
  {
    reader r;
    EXPECT_TRUE(queue_rcu_work(system_wq, &p.rw));
    EXPECT_FALSE(queue_rcu_work(system_wq, &p.rw));
    EXPECT_TRUE(work_pending(&p.rw.work));
    EXPECT_TRUE(stays_false([&] { return p.runs.load() > 0; }));
  }
  EXPECT_TRUE(wait_until([&] { return p.runs.load() == 1; }, kDeadline, "rcu_work runs"));
  EXPECT_TRUE(stays_false([&] { return p.runs.load() > 1; }));
}

// Test 124: flush_rcu_work() returns true only after the function completed; false when idle.
TEST(rcu_work, flush_rcu_work_waits_for_grace_period_and_function) {
  rw_probe p;
  EXPECT_FALSE(flush_rcu_work(&p.rw));
  reader* r = new reader;
  ASSERT_TRUE(queue_rcu_work(system_unbound_wq, &p.rw));
  EXPECT_TRUE(blocks_until_released([&] { return flush_rcu_work(&p.rw); }, [&] { delete r; }));
  EXPECT_EQ(p.runs.load(), 1);
}

TEST(rcu_work, a_bh_queue_takes_rcu_work_too) {
  rw_probe p;
  ASSERT_TRUE(queue_rcu_work(system_bh_wq, &p.rw));
  EXPECT_TRUE(flush_rcu_work(&p.rw));
  EXPECT_EQ(p.runs.load(), 1);
}

// --- misuse ---------------------------------------------------------------------------------------

TEST(rcu_misuse, waiting_for_a_grace_period_inside_a_reader_warns_and_returns) {
  rcu_read_lock();
  errors::expect_one_warning("synchronize_rcu: called inside an RCU read-side critical section",
                             [] { synchronize_rcu(); });
  errors::expect_one_warning("rcu_barrier: called inside an RCU read-side critical section", [] { rcu_barrier(); });
  rcu_read_unlock();
}

TEST(rcu_misuse, unlock_without_lock_warns) {
  errors::expect_one_warning("rcu_read_unlock: not inside an RCU read-side critical section",
                             [] { rcu_read_unlock(); });
  EXPECT_FALSE(rcu_read_lock_held());
}

TEST(rcu_misuse, sleeping_inside_a_reader_warns) {
  rcu_read_lock();
  errors::expect_one_warning("BUG: sleeping function called from invalid context at msleep", [] { msleep(1); });
  rcu_read_unlock();
}

TEST(rcu_misuse, queue_rcu_work_on_a_disabled_item_warns_and_fails) {
  rw_probe p;
  disable_work(&p.rw.work);
  errors::expect_one_warning("queue_rcu_work: work item", [&] { EXPECT_FALSE(queue_rcu_work(system_wq, &p.rw)); });
  enable_work(&p.rw.work);
  EXPECT_EQ(p.runs.load(), 0);
}

TEST(rcu_misuse, queue_rcu_work_twice_returns_false_and_runs_once) {
  rw_probe p;
  errors::expect_no_warning([&] {
    EXPECT_TRUE(queue_rcu_work(system_wq, &p.rw));
    EXPECT_FALSE(queue_rcu_work(system_wq, &p.rw));
    EXPECT_TRUE(flush_rcu_work(&p.rw));
  });
  EXPECT_EQ(p.runs.load(), 1);
}

// On a BH queue, so that the second item runs on the same (only) thread and closes the section
// the first one leaked: a thread left inside a reader would make every later grace period wait.
TEST(rcu_misuse, a_work_function_returning_inside_a_reader_is_reported) {
  struct work_struct leak, close;
  INIT_WORK(&leak, [](struct work_struct*) { rcu_read_lock(); });
  INIT_WORK(&close, [](struct work_struct*) { rcu_read_unlock(); });
  capi::log_capture log;
  ASSERT_TRUE(queue_work_on(cpu0(), system_bh_wq, &leak));
  ASSERT_TRUE(queue_work_on(cpu0(), system_bh_wq, &close));
  flush_work(&leak);
  flush_work(&close);
  EXPECT_TRUE(log.wait_for("BUG: workqueue leaked atomic, lock or RCU"));
  synchronize_rcu();  // the section is closed: this returns
}

}  // namespace
