// tests/attrs_test.cpp - live attributes of unbound queues (apply_workqueue_attrs, cmwq::
// apply_attrs) and the WQ_SYSFS attribute table through the C calls, <linux/fs.h> and the C++
// door: semantics.md 6.6 assertions 106-109, 98, and docs/attrs.md.
#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "max_active_probe.hpp"
#include "test_support.hpp"

#include <linux/fault-inject.h>
#include <linux/fs.h>

namespace {

using namespace cmwq_test;

std::string sysfs_read(const char* wq, const char* attr) {
  char buf[256];
  const int n = cmwq_wq_sysfs_read(wq, attr, buf, sizeof buf);
  return n < 0 ? "error " + std::to_string(n) : std::string(buf);
}

struct wq_guard {
  workqueue_struct* wq;
  ~wq_guard() {
    if (wq) destroy_workqueue(wq);
  }
};

// --- apply_workqueue_attrs ---------------------------------------------------------------------

TEST(ApplyAttrs, PerCpuAndOrderedQueuesAreRefusedWithAWarning) {
  wq_guard percpu{alloc_workqueue("attrs_percpu", WQ_PERCPU, 0)};
  wq_guard ordered{alloc_ordered_workqueue("attrs_ordered", 0)};
  workqueue_attrs* a = alloc_workqueue_attrs();
  ASSERT_NE(a, nullptr);
  log_capture log;
  const unsigned long before = cmwq_warn_count();
  EXPECT_EQ(apply_workqueue_attrs(percpu.wq, a), -EINVAL);
  EXPECT_EQ(apply_workqueue_attrs(ordered.wq, a), -EINVAL);
  EXPECT_EQ(cmwq_warn_count(), before + 2);
  EXPECT_TRUE(log.contains("only unbound workqueues"));
  free_workqueue_attrs(a);
}

TEST(ApplyAttrs, BadNiceIsRefusedAndNothingChanges) {
  wq_guard q{alloc_workqueue("attrs_badnice", WQ_UNBOUND | WQ_SYSFS, 0)};
  workqueue_attrs* a = alloc_workqueue_attrs();
  a->nice = 20;
  EXPECT_EQ(apply_workqueue_attrs(q.wq, a), -EINVAL);
  EXPECT_EQ(sysfs_read("attrs_badnice", "nice"), "0\n");
  free_workqueue_attrs(a);
}

std::atomic<int> g_seen_nice{-100};
std::atomic<int> g_seen_cpu{-1};
void record_nice_and_cpu(work_struct*) {
  errno = 0;
  g_seen_nice.store(getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))));
  g_seen_cpu.store(sched_getcpu());
}

// Runs one item on @wq and returns once it ran: g_seen_nice and g_seen_cpu then say where.
void run_one_recording_item(workqueue_struct* wq) {
  work_struct w;
  INIT_WORK(&w, record_nice_and_cpu);
  g_seen_nice.store(-100);
  g_seen_cpu.store(-1);
  ASSERT_TRUE(queue_work(wq, &w));
  flush_workqueue(wq);  // flush_work() may find it done already and return false
}

TEST(ApplyAttrs, LaterItemsRunAtTheNewNiceOnTheNewCpus) {
  wq_guard q{alloc_workqueue("attrs_move", WQ_UNBOUND, 0)};
  workqueue_attrs* a = alloc_workqueue_attrs();
  a->nice = 7;
  const int target = startup_cpus().back();
  cpumask_clear(a->cpumask);
  cpumask_set_cpu(static_cast<unsigned>(target), a->cpumask);
  a->affn_scope = WQ_AFFN_SYSTEM;
  a->affn_strict = true;
  ASSERT_EQ(apply_workqueue_attrs(q.wq, a), 0);
  free_workqueue_attrs(a);
  run_one_recording_item(q.wq);
  EXPECT_EQ(g_seen_nice.load(), 7);
  EXPECT_EQ(g_seen_cpu.load(), target);
}

TEST(ApplyAttrs, FlushWaitsForItemsQueuedBeforeTheChange) {
  wq_guard q{alloc_workqueue("attrs_flush", WQ_UNBOUND, 0)};
  struct blocked {
    work_struct work;
    gate g;
    std::atomic<int> done{0};
    static void fn(work_struct* w) {
      auto* b = reinterpret_cast<blocked*>(reinterpret_cast<char*>(w) - offsetof(blocked, work));
      b->g.wait();
      b->done.fetch_add(1);
    }
  } before;
  gate_opener opener{before.g};
  INIT_WORK(&before.work, blocked::fn);
  ASSERT_TRUE(queue_work(q.wq, &before.work));
  workqueue_attrs* a = alloc_workqueue_attrs();
  a->nice = 3;
  ASSERT_EQ(apply_workqueue_attrs(q.wq, a), 0);
  free_workqueue_attrs(a);
  std::atomic<bool> flushed{false};
  std::thread flusher([&] {
    flush_workqueue(q.wq);
    flushed.store(true);
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(flushed.load()) << "flush returned while an item queued before it still waits";
  before.g.open();
  flusher.join();
  EXPECT_EQ(before.done.load(), 1);
}

TEST(ApplyAttrs, FlippingBetweenTwoSettingsReusesPwqs) {
  wq_guard q{alloc_workqueue("attrs_flip", WQ_UNBOUND, 0)};
  workqueue_attrs* a = alloc_workqueue_attrs();
  for (int i = 0; i < 200; i++) {  // far more than the pwq budget if each change made new ones
    a->nice = i % 2;
    ASSERT_EQ(apply_workqueue_attrs(q.wq, a), 0) << "change " << i;
  }
  free_workqueue_attrs(a);
}

TEST(ApplyAttrs, AllocationFailureChangesNothing) {
  wq_guard q{alloc_workqueue("attrs_enomem", WQ_UNBOUND | WQ_SYSFS, 0)};
  ASSERT_EQ(cmwq_fault_inject("wq_alloc:times=1"), 0);
  EXPECT_EQ(cmwq_wq_sysfs_write("attrs_enomem", "nice", "3"), -ENOMEM);
  cmwq_fault_reset();
  EXPECT_EQ(sysfs_read("attrs_enomem", "nice"), "0\n");
  EXPECT_EQ(cmwq_wq_sysfs_write("attrs_enomem", "nice", "3"), 0) << "works again once memory does";
  run_one_recording_item(q.wq);
  EXPECT_EQ(g_seen_nice.load(), 3);
}

// --- the attribute table (assertions 106-109) --------------------------------------------------

TEST(SysfsAttrs, UnboundQueueHasAllAttributesAndPerCpuOnlyTwo) {
  wq_guard u{alloc_workqueue("sysfs_unbound", WQ_UNBOUND | WQ_SYSFS, 0)};
  wq_guard p{alloc_workqueue("sysfs_percpu", WQ_PERCPU | WQ_SYSFS, 0)};
  EXPECT_EQ(cmwq::sysfs::attributes("sysfs_unbound"),
            (std::vector<std::string>{"per_cpu", "max_active", "nice", "cpumask", "affinity_scope", "affinity_strict"}));
  EXPECT_EQ(cmwq::sysfs::attributes("sysfs_percpu"), (std::vector<std::string>{"per_cpu", "max_active"}));
  EXPECT_EQ(sysfs_read("sysfs_unbound", "per_cpu"), "0\n");
  EXPECT_EQ(sysfs_read("sysfs_percpu", "per_cpu"), "1\n");
  EXPECT_EQ(sysfs_read("sysfs_percpu", "nice"), "error " + std::to_string(-ENOENT));
}

TEST(SysfsAttrs, QueuesWithoutWqSysfsAreNotListed) {
  wq_guard hidden{alloc_workqueue("sysfs_hidden", WQ_UNBOUND, 0)};
  wq_guard shown{alloc_workqueue("sysfs_shown", WQ_UNBOUND | WQ_SYSFS, 0)};
  const auto names = cmwq::sysfs::queues();
  EXPECT_NE(std::find(names.begin(), names.end(), "sysfs_shown"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "sysfs_hidden"), names.end());
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_hidden", "max_active", "4"), -ENOENT);
}

TEST(SysfsAttrs, SecondWqSysfsQueueWithTheSameNameIsRefused) {
  wq_guard first{alloc_workqueue("sysfs_dup", WQ_UNBOUND | WQ_SYSFS, 0)};
  ASSERT_NE(first.wq, nullptr);
  log_capture log;
  wq_guard second{alloc_workqueue("sysfs_dup", WQ_PERCPU | WQ_SYSFS, 0)};
  EXPECT_EQ(second.wq, nullptr);
  EXPECT_TRUE(log.contains("cannot create duplicate filename '/devices/virtual/workqueue/sysfs_dup'"));
  wq_guard plain{alloc_workqueue("sysfs_dup", WQ_UNBOUND, 0)};
  EXPECT_NE(plain.wq, nullptr) << "a queue without WQ_SYSFS has no directory to clash";
}

// Each bad value is refused with -EINVAL and changes nothing; then `good` reads back as `after`.
void expect_validated(const char* wq, const char* attr, std::initializer_list<const char*> bad, const char* before,
                      const char* good, const char* after) {
  for (const char* v : bad) EXPECT_EQ(cmwq_wq_sysfs_write(wq, attr, v), -EINVAL) << attr << " = " << v;
  EXPECT_EQ(sysfs_read(wq, attr), before);
  EXPECT_EQ(cmwq_wq_sysfs_write(wq, attr, good), 0);
  EXPECT_EQ(sysfs_read(wq, attr), after);
}

TEST(SysfsAttrs, MaxActiveValidatesAndReadsBack) {
  wq_guard q{alloc_workqueue("sysfs_ma", WQ_UNBOUND | WQ_SYSFS, 0)};
  expect_validated("sysfs_ma", "max_active", {"0", "abc"}, "1024\n", "4\n", "4\n");
}

TEST(SysfsAttrs, OrderedQueueMaxActiveIsReadOnly) {
  wq_guard q{alloc_ordered_workqueue("sysfs_ord", WQ_SYSFS)};
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_ord", "max_active", "4"), -EACCES);
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_ord", "nice", "4"), -EINVAL);
  EXPECT_EQ(sysfs_read("sysfs_ord", "max_active"), "1\n");
}

TEST(SysfsAttrs, NiceRange) {
  wq_guard q{alloc_workqueue("sysfs_nice", WQ_UNBOUND | WQ_SYSFS, 0)};
  expect_validated("sysfs_nice", "nice", {"20", "-21"}, "0\n", "-5", "-5\n");
}

TEST(SysfsAttrs, AffinityScopeAndStrict) {
  wq_guard q{alloc_workqueue("sysfs_scope", WQ_UNBOUND | WQ_SYSFS, 0)};
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_scope"), "default (cache_shard)\n");
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_scope", "affinity_scope", "numa\n"), 0);
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_scope"), "numa\n");
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_scope", "affinity_scope", "bogus"), -EINVAL);
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_scope"), "numa\n");
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_strict"), "0\n");
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_scope", "affinity_strict", "7"), 0);
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_strict"), "1\n");
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_scope", "affinity_strict", "yes"), -EINVAL);
  EXPECT_EQ(sysfs_read("sysfs_scope", "affinity_strict"), "1\n");
}

TEST(SysfsAttrs, CpumaskReadsAsHexBitmapAndRejectsGarbage) {
  wq_guard q{alloc_workqueue("sysfs_mask", WQ_UNBOUND | WQ_SYSFS, 0)};
  const std::string all = sysfs_read("sysfs_mask", "cpumask");
  EXPECT_EQ(all, sysfs_read(nullptr, "cpumask"));
  EXPECT_EQ(cmwq_wq_sysfs_write("sysfs_mask", "cpumask", "xyz"), -EINVAL);
  EXPECT_EQ(sysfs_read("sysfs_mask", "cpumask"), all);
  const int cpu = startup_cpus().front();
  char mask[16];
  std::snprintf(mask, sizeof mask, "%x", 1u << (cpu % 32));
  if (cpu < 32) {
    ASSERT_EQ(cmwq_wq_sysfs_write("sysfs_mask", "cpumask", mask), 0);
    const std::string back = sysfs_read("sysfs_mask", "cpumask");
    EXPECT_EQ(std::stoul(back, nullptr, 16), 1ul << cpu) << back;
  }
}

TEST(SysfsAttrs, GlobalCpumaskRefusesAnEmptyMask) {
  const std::string before = sysfs_read(nullptr, "cpumask");
  EXPECT_EQ(cmwq_wq_sysfs_write(nullptr, "cpumask", "0"), -EINVAL);
  EXPECT_EQ(sysfs_read(nullptr, "cpumask"), before);
  EXPECT_EQ(cmwq_wq_sysfs_write(nullptr, "cpumask", before.c_str()), 0);
  EXPECT_EQ(cmwq_wq_sysfs_write(nullptr, "cpumask_isolated", "1"), -EACCES);
}

TEST(SysfsAttrs, MaxActiveWrittenThroughSysfsLimitsConcurrency) {
  wq_guard q{alloc_workqueue("sysfs_limit", WQ_UNBOUND | WQ_SYSFS, 0)};
  ASSERT_EQ(cmwq_wq_sysfs_write("sysfs_limit", "max_active", "1"), 0);
  expect_one_item_at_a_time(q.wq);
}

// --- <linux/fs.h> ------------------------------------------------------------------------------

TEST(SysfsFs, FilpOpenReadsAndWritesAttributes) {
  wq_guard q{alloc_workqueue("fs_q", WQ_UNBOUND | WQ_SYSFS, 0)};
  file* f = filp_open("/sys/bus/workqueue/devices/fs_q/max_active", O_RDWR, 0);
  ASSERT_FALSE(IS_ERR(f)) << PTR_ERR(f);
  loff_t pos = 0;
  EXPECT_EQ(kernel_write(f, "16\n", 3, &pos), 3);
  char buf[32] = {};
  pos = 0;
  ASSERT_EQ(kernel_read(f, buf, sizeof buf - 1, &pos), 3);
  EXPECT_STREQ(buf, "16\n");
  EXPECT_EQ(kernel_write(f, "-1", 2, &pos), -EINVAL);
  EXPECT_EQ(sysfs_read("fs_q", "max_active"), "16\n");
  EXPECT_EQ(filp_close(f, nullptr), 0);

  file* v = filp_open("/sys/devices/virtual/workqueue/fs_q/nice", O_WRONLY, 0);
  ASSERT_FALSE(IS_ERR(v));
  EXPECT_EQ(kernel_write(v, "-3", 2, nullptr), 2);
  filp_close(v, nullptr);
  EXPECT_EQ(sysfs_read("fs_q", "nice"), "-3\n");
}

TEST(SysfsFs, MissingAndReadOnlyAttributes) {
  wq_guard q{alloc_workqueue("fs_ro", WQ_UNBOUND | WQ_SYSFS, 0)};
  EXPECT_EQ(PTR_ERR(filp_open("/sys/bus/workqueue/devices/fs_ro/per_cpu", O_WRONLY, 0)), -EACCES);
  EXPECT_EQ(PTR_ERR(filp_open("/sys/bus/workqueue/devices/fs_ro/bogus", O_RDONLY, 0)), -ENOENT);
  EXPECT_EQ(PTR_ERR(filp_open("/sys/bus/workqueue/devices/no_such_wq/nice", O_RDONLY, 0)), -ENOENT);
  file* f = filp_open("/sys/bus/workqueue/devices/fs_ro/per_cpu", O_RDONLY, 0);
  ASSERT_FALSE(IS_ERR(f));
  EXPECT_EQ(kernel_write(f, "1", 1, nullptr), -EBADF);
  filp_close(f, nullptr);
}

TEST(SysfsFs, OtherPathsAreRealFiles) {
  char path[] = "/tmp/cmwq_fs_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  file* f = filp_open(path, O_RDWR | O_TRUNC, 0600);
  ASSERT_FALSE(IS_ERR(f));
  loff_t pos = 0;
  EXPECT_EQ(kernel_write(f, "hello", 5, &pos), 5);
  EXPECT_EQ(pos, 5);
  char buf[8] = {};
  pos = 0;
  EXPECT_EQ(kernel_read(f, buf, 5, &pos), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(filp_close(f, nullptr), 0);
  unlink(path);
  EXPECT_EQ(PTR_ERR(filp_open(path, O_RDONLY, 0)), -ENOENT);
}

// --- the C++ door --------------------------------------------------------------------------------

TEST(CxxAttrs, ApplyAndReadBack) {
  cmwq::owned_queue q = cmwq::builder::unbound().sysfs().build("cxx_attrs");
  ASSERT_TRUE(q);
  cmwq::queue_attrs a;
  a.nice = 4;
  a.scope = cmwq::affinity::system;
  ASSERT_FALSE(cmwq::apply_attrs(*q, a));
  auto got = cmwq::get_attrs(*q);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->nice, 4);
  EXPECT_EQ(got->scope, cmwq::affinity::system);
  std::string text;
  ASSERT_FALSE(cmwq::sysfs::read("cxx_attrs", "affinity_scope", text));
  EXPECT_EQ(text, "system\n");
  EXPECT_EQ(cmwq::sysfs::write("cxx_attrs", "nice", "99"), std::errc::invalid_argument);
  EXPECT_EQ(cmwq::sysfs::write("cxx_attrs", "per_cpu", "1"), std::errc::permission_denied);
  a.nice = 30;
  EXPECT_EQ(cmwq::apply_attrs(*q, a), std::errc::invalid_argument);

  cmwq::owned_queue p = cmwq::builder::percpu().build("cxx_percpu");
  EXPECT_EQ(cmwq::apply_attrs(*p, cmwq::queue_attrs{}), std::errc::invalid_argument);
  EXPECT_FALSE(cmwq::get_attrs(*p));
}

}  // namespace
