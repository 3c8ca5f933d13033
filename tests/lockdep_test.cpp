// tests/lockdep_test.cpp - the lock dependency validator (src/lockdep) through the C door:
// cycles, recursion, read/write and trylock rules, limits, assertions and the report format.
//
// Every scenario is deadlock-free as run (the orders happen one after the other); lockdep must
// still report the order that could deadlock, exactly once.
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace {

using cmwq_test::log_capture;

class Lockdep : public ::testing::Test {
 protected:
  void SetUp() override {
    cmwq_lockdep_reset();
    cmwq_lockdep_enable(true);
    reports_before_ = cmwq_lockdep_report_count();
    warns_before_ = cmwq_warn_count();
  }
  void TearDown() override { cmwq_lockdep_enable(false); }
  unsigned long reports() const { return cmwq_lockdep_report_count() - reports_before_; }
  unsigned long warns() const { return cmwq_warn_count() - warns_before_; }

 private:
  unsigned long reports_before_ = 0;
  unsigned long warns_before_ = 0;
};

struct mutex* new_mutex_site_a(struct mutex* m) {
  mutex_init(m);
  return m;
}
struct mutex* new_mutex_site_b(struct mutex* m) {
  mutex_init(m);
  return m;
}
struct mutex* new_mutex_site_c(struct mutex* m) {
  mutex_init(m);
  return m;
}

void run_in_thread(void (*fn)(struct mutex*, struct mutex*), struct mutex* a, struct mutex* b) {
  std::thread t(fn, a, b);
  t.join();
}

void lock_in_order(struct mutex* first, struct mutex* second) {
  mutex_lock(first);
  mutex_lock(second);
  mutex_unlock(second);
  mutex_unlock(first);
}

TEST_F(Lockdep, ThreeLockCycleOverThreeThreadsIsReportedOnce) {
  struct mutex lock_a, lock_b, lock_c;
  mutex_init(&lock_a);
  mutex_init(&lock_b);
  mutex_init(&lock_c);
  log_capture log;
  run_in_thread(lock_in_order, &lock_a, &lock_b);
  run_in_thread(lock_in_order, &lock_b, &lock_c);
  EXPECT_EQ(reports(), 0u);
  run_in_thread(lock_in_order, &lock_c, &lock_a);  // closes a -> b -> c -> a
  EXPECT_EQ(reports(), 1u) << log.joined();
  EXPECT_EQ(log.count("WARNING: possible circular locking dependency detected"), 1u);
  EXPECT_TRUE(log.contains("the existing dependency chain (in reverse order) is:"));
  // Held c, wanted a; the chain a -> b -> c printed from c back to a.
  const auto lines = log.lines();
  auto index_of = [&](const std::string& l) {
    return std::find(lines.begin(), lines.end(), l) - lines.begin();
  };
  const auto c2 = index_of("-> #2 (&lock_c):"), b1 = index_of("-> #1 (&lock_b):"), a0 = index_of("-> #0 (&lock_a):");
  EXPECT_LT(c2, b1) << log.joined();
  EXPECT_LT(b1, a0);
  EXPECT_LT(a0, static_cast<long>(lines.size()));
  EXPECT_TRUE(log.contains("  &lock_a --> &lock_b --> &lock_c"));
  EXPECT_TRUE(log.contains("*** DEADLOCK ***"));
  EXPECT_EQ(warns(), 1u);
  // The same order again: no second report.
  run_in_thread(lock_in_order, &lock_c, &lock_a);
  EXPECT_EQ(reports(), 1u);
}

TEST_F(Lockdep, TwoLockInversionNamesBothLocksInTheScenario) {
  static struct lock_class_key key_x, key_y;
  struct mutex x, y;
  mutex_init(&x);
  mutex_init(&y);
  lockdep_set_class_and_name(&x, &key_x, "lock_x");
  lockdep_set_class_and_name(&y, &key_y, "lock_y");
  log_capture log;
  lock_in_order(&x, &y);
  lock_in_order(&y, &x);
  ASSERT_EQ(reports(), 1u);
  EXPECT_TRUE(log.contains("is trying to acquire lock:"));
  EXPECT_TRUE(log.contains("but task is already holding lock:"));
  // CPU0 takes lock_y then lock_x; CPU1 lock_x then lock_y (counts include the CPU1 lines).
  EXPECT_EQ(log.count("                               lock(lock_x);"), 1u) << log.joined();
  EXPECT_EQ(log.count("                               lock(lock_y);"), 1u);
  EXPECT_EQ(log.count("  lock(lock_y);"), 2u);
  EXPECT_EQ(log.count("  lock(lock_x);"), 2u);
  EXPECT_FALSE(log.contains("Chain exists of:"));
}

TEST_F(Lockdep, RecursionOnAHeldClassIsReportedOnce) {
  struct mutex m1, m2;
  new_mutex_site_a(&m1);
  new_mutex_site_a(&m2);  // same init site: same class
  log_capture log;
  lock_in_order(&m1, &m2);
  EXPECT_EQ(reports(), 1u);
  EXPECT_EQ(log.count("WARNING: possible recursive locking detected"), 1u);
  EXPECT_TRUE(log.contains("May be due to missing lock nesting notation"));
  lock_in_order(&m1, &m2);
  EXPECT_EQ(reports(), 1u);
  // mutex_lock_nested() with a subclass is the annotation that says it is fine.
  mutex_lock(&m1);
  mutex_lock_nested(&m2, 1);
  mutex_unlock(&m2);
  mutex_unlock(&m1);
  EXPECT_EQ(reports(), 1u);
}

struct rw_maps {
  struct lock_class_key ka, kb;
  struct lockdep_map a, b;
  rw_maps() {
    lockdep_init_map(&a, "rw_a", &ka, 0);
    lockdep_init_map(&b, "plain_b", &kb, 0);
  }
};

TEST_F(Lockdep, RecursiveReadersDoNotDeadlockEachOther) {
  static rw_maps m;
  lock_map_acquire_read(&m.a);  // read_lock(a); lock(b)
  lock_map_acquire(&m.b);
  lock_map_release(&m.b);
  lock_map_release(&m.a);
  lock_map_acquire(&m.b);  // lock(b); read_lock(a): a reader never waits for a reader
  lock_map_acquire_read(&m.a);
  lock_map_release(&m.a);
  lock_map_release(&m.b);
  EXPECT_EQ(reports(), 0u);
  // Read after read of one class is allowed for recursive readers.
  lock_map_acquire_read(&m.a);
  lock_map_acquire_read(&m.a);
  lock_map_release(&m.a);
  lock_map_release(&m.a);
  EXPECT_EQ(reports(), 0u);
}

TEST_F(Lockdep, AWriterAgainstARecursiveReaderIsACycle) {
  static rw_maps m;
  log_capture log;
  lock_map_acquire(&m.a);  // write_lock(a); lock(b)
  lock_map_acquire(&m.b);
  lock_map_release(&m.b);
  lock_map_release(&m.a);
  lock_map_acquire(&m.b);  // lock(b); read_lock(a): waits for the writer
  lock_map_acquire_read(&m.a);
  lock_map_release(&m.a);
  lock_map_release(&m.b);
  EXPECT_EQ(reports(), 1u);
  EXPECT_TRUE(log.contains("  rlock(rw_a);")) << log.joined();
}

TEST_F(Lockdep, ATrylockNeitherWaitsNorDeadlocks) {
  struct mutex a, b;
  new_mutex_site_a(&a);
  new_mutex_site_b(&b);
  mutex_lock(&a);
  ASSERT_EQ(mutex_trylock(&b), 1);  // records no a -> b
  mutex_unlock(&b);
  mutex_unlock(&a);
  lock_in_order(&b, &a);
  EXPECT_EQ(reports(), 0u);
  // A trylock also does not hide the lock below it: a -> c is recorded through it.
  struct mutex c;
  new_mutex_site_c(&c);
  mutex_lock(&a);
  ASSERT_EQ(mutex_trylock(&b), 1);
  mutex_lock(&c);
  mutex_unlock(&c);
  mutex_unlock(&b);
  mutex_unlock(&a);
  lock_in_order(&c, &a);
  EXPECT_EQ(reports(), 1u);
}

TEST_F(Lockdep, SpinlocksAreValidatedToo) {
  spinlock_t s;
  spin_lock_init(&s);
  struct mutex m;
  new_mutex_site_a(&m);
  log_capture log;
  mutex_lock(&m);
  spin_lock(&s);
  spin_unlock(&s);
  mutex_unlock(&m);
  unsigned long flags;
  spin_lock_irqsave(&s, flags);
  ASSERT_EQ(mutex_trylock(&m), 1);  // a trylock under a spinlock: fine
  mutex_unlock(&m);
  spin_unlock_irqrestore(&s, flags);
  EXPECT_EQ(reports(), 0u);
  spin_lock(&s);
  might_lock(&m);  // records s -> m without taking m: closes the cycle
  spin_unlock(&s);
  EXPECT_EQ(reports(), 1u);
  EXPECT_TRUE(log.contains("(&s)"));
}

TEST_F(Lockdep, AssertHeldAndNotHeldWarnWhenWrong) {
  struct mutex m;
  new_mutex_site_a(&m);
  mutex_lock(&m);
  lockdep_assert_held(&m);
  EXPECT_TRUE(lockdep_is_held(&m));
  EXPECT_EQ(warns(), 0u);
  lockdep_assert_not_held(&m);
  EXPECT_EQ(warns(), 1u);
  mutex_unlock(&m);
  lockdep_assert_not_held(&m);
  EXPECT_EQ(warns(), 1u);
  log_capture log;
  lockdep_assert_held(&m);
  EXPECT_EQ(warns(), 2u);
  EXPECT_TRUE(log.contains("lockdep_assert_held(&m) failed"));
  EXPECT_FALSE(lockdep_is_held(&m));
}

TEST_F(Lockdep, OffMeansNoReportsAndNoAssertions) {
  cmwq_lockdep_enable(false);
  EXPECT_FALSE(cmwq_lockdep_enabled());
  struct mutex a, b;
  new_mutex_site_a(&a);
  new_mutex_site_b(&b);
  lock_in_order(&a, &b);
  lock_in_order(&b, &a);
  lockdep_assert_held(&a);
  EXPECT_EQ(reports(), 0u);
  EXPECT_EQ(warns(), 0u);
  // Locks taken while off are unknown once lockdep is on: their release is ignored.
  mutex_lock(&a);
  cmwq_lockdep_enable(true);
  mutex_unlock(&a);
  lock_in_order(&a, &b);
  EXPECT_EQ(reports(), 0u);
}

TEST_F(Lockdep, UnregisteredKeyForgetsItsDependencies) {
  static struct lock_class_key outer_key;
  auto* dyn = new lock_class_key;
  lockdep_register_key(dyn);
  struct lockdep_map outer, inner;
  lockdep_init_map(&outer, "outer", &outer_key, 0);
  lockdep_init_map(&inner, "dynamic", dyn, 0);
  lock_map_acquire(&outer);
  lock_map_acquire(&inner);
  lock_map_release(&inner);
  lock_map_release(&outer);
  lockdep_unregister_key(dyn);
  // The same address as a new key: the old outer -> dynamic edge is gone.
  lock_map_acquire(&inner);
  lock_map_acquire(&outer);
  lock_map_release(&outer);
  lock_map_release(&inner);
  EXPECT_EQ(reports(), 0u);
  lockdep_unregister_key(dyn);
  delete dyn;
}

TEST_F(Lockdep, FullEdgeTableSaysSoOnceAndTurnsLockdepOff) {
  // 5 outer classes x 7000 inner classes > MAX_LOCKDEP_ENTRIES (32768) edges.
  static char keys[5 + 7000];
  std::vector<lockdep_map> maps(5 + 7000);
  for (std::size_t i = 0; i < maps.size(); ++i) lockdep_init_map(&maps[i], "many", reinterpret_cast<lock_class_key*>(&keys[i]), 0);
  log_capture log;
  for (int o = 0; o < 5 && cmwq_lockdep_enabled(); ++o) {
    lock_map_acquire(&maps[o]);
    for (std::size_t i = 5; i < maps.size(); ++i) {
      lock_map_acquire(&maps[i]);
      lock_map_release(&maps[i]);
    }
    lock_map_release(&maps[o]);
  }
  EXPECT_FALSE(cmwq_lockdep_enabled());
  EXPECT_EQ(log.count("BUG: MAX_LOCKDEP_ENTRIES too low!"), 1u);
  EXPECT_EQ(log.count("turning off the locking correctness validator."), 1u);
  EXPECT_EQ(warns(), 1u);
  cmwq_lockdep_reset();
}

TEST_F(Lockdep, TooDeepANestingSaysSoOnce) {
  static char keys[60];
  lockdep_map maps[60];
  for (int i = 0; i < 60; ++i) lockdep_init_map(&maps[i], "deep", reinterpret_cast<lock_class_key*>(&keys[i]), 0);
  log_capture log;
  for (auto& m : maps) lock_map_acquire(&m);
  for (int i = 59; i >= 0; --i) lock_map_release(&maps[i]);
  EXPECT_EQ(log.count("BUG: MAX_LOCK_DEPTH too low!"), 1u);
  EXPECT_FALSE(cmwq_lockdep_enabled());
}

// CMWQ_LOCKDEP=1 turns lockdep on before main(): this binary runs itself with the variable set
// (and with 0), and the child checks what it finds at start-up.
TEST(LockdepEnvironment, VariableTurnsItOnBeforeMain) {
  if (const char* expect = std::getenv("CMWQ_LOCKDEP_EXPECT")) {
    const bool on = cmwq_lockdep_enabled();
    std::exit(on == (expect[0] == '1') ? 0 : 3);
  }
  const std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  const std::string filter = " --gtest_filter=LockdepEnvironment.VariableTurnsItOnBeforeMain >/dev/null 2>&1";
  EXPECT_EQ(std::system(("CMWQ_LOCKDEP=1 CMWQ_LOCKDEP_EXPECT=1 " + self + filter).c_str()), 0);
  EXPECT_EQ(std::system(("CMWQ_LOCKDEP=0 CMWQ_LOCKDEP_EXPECT=0 " + self + filter).c_str()), 0);
  EXPECT_EQ(std::system(("CMWQ_LOCKDEP_EXPECT=0 " + self + filter).c_str()), 0);
}

}  // namespace
