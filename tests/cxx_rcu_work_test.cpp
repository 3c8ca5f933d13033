// tests/cxx_rcu_work_test.cpp - rcu_work and RCU readers through the C++ door
// (include/cmwq/rcu_work.hpp, docs/rcu.md U9-7): the same grace periods as the C door's.
//
// A reader thread holds a cmwq::rcu_read_guard open; an item queued meanwhile must not run until
// the reader leaves (checked over a quiet window: it can only miss a bug, never fail a correct
// build), and a C reader holds back a C++ item just the same.
#include <atomic>
#include <thread>

#include <cmwq/cmwq.hpp>
#include <cmwq/rcu_work.hpp>

#include "capi_support.hpp"

#include <linux/rcupdate.h>

namespace {

using namespace capi;

// A reader thread inside an RCU read-side critical section (C++'s guard, or C's rcu_read_lock())
// until it is destroyed.
class reader {
 public:
  explicit reader(bool c_door = false)
      : t_([this, c_door] {
          if (c_door) rcu_read_lock();
          {
            cmwq::rcu_read_guard g;  // nests inside the C one when both are taken
            inside_ = true;
            spin_until([this] { return release_.load(); });
          }
          if (c_door) rcu_read_unlock();
        }) {
    spin_until([this] { return inside_.load(); });
  }
  ~reader() {
    release_ = true;
    t_.join();
  }

 private:
  std::atomic<bool> inside_{false}, release_{false};
  std::thread t_;
};

TEST(cxx_rcu_work, runs_only_after_a_grace_period_and_once) {
  std::atomic<int> runs{0};
  cmwq::rcu_work w{[&] { runs++; }};
  {
    reader r;
    EXPECT_TRUE(w.enqueue(cmwq::system_percpu()));
    EXPECT_FALSE(w.enqueue(cmwq::system_percpu()));  // already pending: still runs once
    EXPECT_TRUE(w.pending());
    EXPECT_TRUE(stays_false([&] { return runs.load() > 0; }));
  }
  EXPECT_TRUE(wait_until([&] { return runs.load() == 1; }, kDeadline, "rcu_work runs"));
  EXPECT_TRUE(stays_false([&] { return runs.load() > 1; }));
}

TEST(cxx_rcu_work, a_c_reader_holds_back_a_cxx_item) {
  std::atomic<int> runs{0};
  cmwq::rcu_work w{[&] { runs++; }};
  {
    reader r(/*c_door=*/true);
    ASSERT_TRUE(w.enqueue(cmwq::system_unbound()));
    EXPECT_TRUE(stays_false([&] { return runs.load() > 0; }));
  }
  EXPECT_TRUE(wait_until([&] { return runs.load() == 1; }, kDeadline, "rcu_work runs"));
}

TEST(cxx_rcu_work, flush_waits_for_the_grace_period_and_the_function) {
  std::atomic<int> runs{0};
  cmwq::rcu_work w{[&] { runs++; }};
  EXPECT_FALSE(w.flush());  // idle
  auto* r = new reader;
  ASSERT_TRUE(w.enqueue(cmwq::system_unbound()));
  EXPECT_TRUE(blocks_until_released([&] { return w.flush(); }, [&] { delete r; }));
  EXPECT_EQ(runs.load(), 1);
}

TEST(cxx_rcu_work, synchronize_rcu_waits_for_a_reader_and_the_destructor_for_the_grace_period) {
  std::atomic<bool> synced{false};
  std::atomic<int> runs{0};
  {
    auto* r = new reader;
    std::thread s([&] {
      cmwq::synchronize_rcu();
      synced = true;
    });
    {
      cmwq::rcu_work w{[&] { runs++; }};
      EXPECT_TRUE(w.enqueue(cmwq::system_unbound()));
      EXPECT_TRUE(stays_false([&] { return synced.load(); }));
      delete r;  // the destructor below may now see the grace period end, then cancel or wait
    }
    s.join();
  }
  EXPECT_TRUE(synced.load());
  EXPECT_LE(runs.load(), 1);
}

}  // namespace
