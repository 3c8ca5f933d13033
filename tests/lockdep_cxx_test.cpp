// tests/lockdep_cxx_test.cpp - lockdep through the C++ door: cmwq::mutex, cmwq::shared_mutex,
// cmwq::annotated_lock over a user's std::mutex, and C++ work items' (work_completion) class.
#include <cmwq/cmwq.hpp>

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "test_support.hpp"

#if defined(__SANITIZE_THREAD__)
#define CMWQ_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CMWQ_TEST_TSAN 1
#endif
#endif

#ifdef CMWQ_TEST_TSAN
// These tests take real std::mutexes in inverted orders on purpose, one thread after the other,
// to show that cmwq's lockdep reports what never deadlocked. ThreadSanitizer's own deadlock
// detector sees the same inversion and would end the test; cmwq's report is what is under test.
extern "C" const char* __tsan_default_options() { return "detect_deadlocks=0"; }
#endif

namespace {

using cmwq_test::log_capture;

class LockdepCxx : public ::testing::Test {
 protected:
  void SetUp() override {
    cmwq::lockdep::reset();
    cmwq::lockdep::enable(true);
    before_ = cmwq::lockdep::report_count();
  }
  void TearDown() override { cmwq::lockdep::enable(false); }
  unsigned long reports() const { return cmwq::lockdep::report_count() - before_; }

 private:
  unsigned long before_ = 0;
};

TEST_F(LockdepCxx, MutexInversionAcrossTwoThreadsIsReportedOnce) {
  cmwq::mutex rx("rx_lock");
  cmwq::mutex tx("tx_lock");
  log_capture log;
  std::thread([&] {
    std::lock_guard a(rx);
    std::lock_guard b(tx);
  }).join();
  EXPECT_EQ(reports(), 0u);
  std::thread([&] {
    std::lock_guard b(tx);
    std::lock_guard a(rx);
  }).join();
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible circular locking dependency detected"), 1u);
  EXPECT_TRUE(log.contains("(rx_lock/")) << log.joined();  // class of a construction site: name/line
  EXPECT_TRUE(log.contains("(tx_lock/"));
}

TEST_F(LockdepCxx, MutexesMadeByOneLineShareAClassUnlessKeyed) {
  log_capture log;
  auto make = [](const char* name) { return std::make_unique<cmwq::mutex>(name); };  // one site
  auto a = make("node_lock"), b = make("node_lock");
  {
    std::lock_guard ga(*a);
    std::lock_guard gb(*b);
  }
  EXPECT_EQ(reports(), 1u);
  EXPECT_EQ(log.count("WARNING: possible recursive locking detected"), 1u);
  static cmwq::lockdep::lock_class_key child_key;
  cmwq::mutex parent("parent"), child("child", child_key);
  {
    std::lock_guard gp(parent);
    std::lock_guard gc(child);
  }
  EXPECT_EQ(reports(), 1u);
}

TEST_F(LockdepCxx, AnnotatedStdMutexHeldAcrossFlushOfAWorkThatTakesIt) {
  std::mutex raw;
  cmwq::annotated_lock<std::mutex> state_lock(raw, "state_lock");
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  cmwq::owned_queue q = cmwq::builder::unbound().build("ld_cxx");
  cmwq::work item([&] {
    if (runs.fetch_add(1) == 0) {
      std::lock_guard g(state_lock);
      return;
    }
    cmwq::blocking_scope b;
    for (int i = 0; i < 10000 && !release.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  log_capture log;
  q->enqueue(item);
  item.flush();
  q->enqueue(item);
  ASSERT_TRUE(cmwq_test::wait_until([&] { return runs.load() == 2; }, std::chrono::seconds(10)));
  std::thread releaser([&] {
    for (int i = 0; i < 10000 && reports() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    release = true;
  });
  {
    std::lock_guard g(state_lock);
    item.flush();  // state_lock -> (work_completion): the item takes state_lock
  }
  releaser.join();
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_TRUE(log.contains("-> #0 ((work_completion)cmwq::work):")) << log.joined();
  EXPECT_TRUE(log.contains("(state_lock/"));
}

TEST_F(LockdepCxx, SharedReadersAreNotRecursive) {
  cmwq::shared_mutex rw("cfg_rwsem");
  cmwq::mutex m("cfg_mutex");
  log_capture log;
  {
    std::shared_lock r(rw);
    std::lock_guard g(m);
  }
  {
    std::lock_guard g(m);
    std::shared_lock r(rw);  // a reader queued behind a waiting writer: a possible deadlock
  }
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_TRUE(log.contains("  rlock(cfg_rwsem/")) << log.joined();
}

TEST_F(LockdepCxx, AssertionsWarnOnlyWhenWrongAndOnlyWhenOn) {
  cmwq::mutex m("asserted");
  const unsigned long warns = cmwq_warn_count();
  m.assert_not_held();
  {
    std::lock_guard g(m);
    m.assert_held();
  }
  EXPECT_EQ(cmwq_warn_count(), warns);
  m.assert_held();
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
  cmwq::lockdep::enable(false);
  EXPECT_FALSE(cmwq::lockdep::enabled());
  m.assert_held();
  EXPECT_EQ(cmwq_warn_count(), warns + 1);
}

}  // namespace
