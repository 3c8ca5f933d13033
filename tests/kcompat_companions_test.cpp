// tests/kcompat_companions_test.cpp - the kernel companion headers (linux/kernel.h, printk.h,
// bug.h, jiffies.h, delay.h, slab.h, completion.h, mutex.h, spinlock.h, atomic.h, smp.h,
// cpumask.h, list.h, wait.h, ...) used from C++.
//
// Properties: WARN_ON() evaluates to its condition and counts (D4); might_sleep() warns in
// hard-IRQ, softirq and atomic context (semantics.md 5.15); sleeps last at least as long as asked;
// completions and wait queues wake their waiters and time out with the kernel's return values;
// kmalloc() accounting returns to its start; locks exclude; the CPUs are the allowed ones (U2).
// Every wait has a deadline; no test asserts an upper bound on a sleep.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/context.hpp"

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr int n_threads = 4;
constexpr int n_rounds = 20000;
constexpr unsigned int deadline_ms = 10000;

// Captures log lines (printk, WARN) while alive; standard error again afterwards.
class log_capture {
 public:
  log_capture() { cmwq_set_log_hook(&log_capture::hook, this); }
  ~log_capture() { cmwq_set_log_hook(nullptr, nullptr); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> g(m_);
    return lines_;
  }
  bool contains(const std::string& text) {
    std::lock_guard<std::mutex> g(m_);
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }

 private:
  static void hook(const char* line, void* ctx) {
    auto* self = static_cast<log_capture*>(ctx);
    std::lock_guard<std::mutex> g(self->m_);
    self->lines_.emplace_back(line);
  }
  std::mutex m_;
  std::vector<std::string> lines_;
};

// Marks the calling thread as a hard-IRQ (or softirq) handler for its lifetime.
struct hardirq_scope {
  hardirq_scope() { cmwq::core::hardirq_enter(); }
  ~hardirq_scope() { cmwq::core::hardirq_exit(); }
};
struct softirq_scope {
  softirq_scope() { cmwq::core::softirq_enter(); }
  ~softirq_scope() { cmwq::core::softirq_exit(); }
};

int warn_on_once_site(bool cond) { return WARN_ON_ONCE(cond); }

// ---- WARN and printk ---------------------------------------------------------------------------

TEST(kcompat_bug, warn_on_returns_condition_and_counts) {
  log_capture cap;
  const unsigned long before = cmwq_warn_count();
  EXPECT_EQ(WARN_ON(false), 0);
  EXPECT_EQ(cmwq_warn_count(), before);
  int x = 3;
  EXPECT_EQ(WARN_ON(x == 3), 1);
  EXPECT_EQ(cmwq_warn_count(), before + 1);
  EXPECT_TRUE(cap.contains("WARNING:"));
  EXPECT_TRUE(cap.contains("WARN_ON(x == 3)"));
  EXPECT_TRUE(cap.contains("TestBody"));  // the caller's function name
  int* p = nullptr;
  if (WARN_ON(!p)) EXPECT_EQ(cmwq_warn_count(), before + 2);
  else ADD_FAILURE() << "WARN_ON(!p) evaluated to false";
}

TEST(kcompat_bug, warn_on_once_prints_once_but_always_returns_condition) {
  log_capture cap;
  const unsigned long before = cmwq_warn_count();
  static bool first_run = true;  // the site prints once per process, also under --gtest_repeat
  EXPECT_EQ(warn_on_once_site(false), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(warn_on_once_site(true), 1);
  EXPECT_EQ(cmwq_warn_count(), before + (first_run ? 1 : 0));
  first_run = false;
}

TEST(kcompat_bug, warn_with_format_names_message_and_condition) {
  log_capture cap;
  const unsigned long before = cmwq_warn_count();
  int size = 9;
  EXPECT_TRUE(WARN(size > 4, "size %d out of range\n", size));
  EXPECT_FALSE(WARN(size < 4, "never printed %d\n", size));
  EXPECT_EQ(cmwq_warn_count(), before + 1);
  EXPECT_TRUE(cap.contains("size 9 out of range"));
  EXPECT_TRUE(cap.contains("size > 4"));
  static bool first_run = true;  // WARN_ONCE prints once per process, also under --gtest_repeat
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(WARN_ONCE(true, "once %d", i));
  EXPECT_EQ(cmwq_warn_count(), before + (first_run ? 2 : 1));
  first_run = false;
}

TEST(kcompat_printk, levels_are_stripped_and_cont_joins_lines) {
  log_capture cap;
  pr_info("info %d\n", 1);
  pr_warn("warn %s\n", "two");
  pr_err("begin;");
  pr_cont(" middle;");
  pr_cont(" end\n");
  printk(KERN_DEBUG "debug line\n");
  printk("no level\n");
  pr_debug("dropped without DEBUG\n");
  pr_info("unfinished");
  pr_info("next message\n");  // a new message first flushes the unfinished one
  const std::vector<std::string> expected = {"info 1",     "warn two", "begin; middle; end", "debug line",
                                             "no level",   "unfinished", "next message"};
  EXPECT_EQ(cap.lines(), expected);
}

TEST(kcompat_printk, lines_of_concurrent_threads_stay_whole) {
  log_capture cap;
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        pr_info("thread %d", t);
        pr_cont(" line %d\n", i);
      }
    });
  for (auto& th : threads) th.join();
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(n_threads * 50));
  for (const auto& l : lines) EXPECT_EQ(l.rfind("thread ", 0), 0u) << l;
}

// ---- might_sleep and context -------------------------------------------------------------------

TEST(kcompat_context, might_sleep_is_silent_in_task_context) {
  const unsigned long before = cmwq_warn_count();
  might_sleep();
  EXPECT_FALSE(in_interrupt());
  EXPECT_FALSE(in_atomic());
  EXPECT_TRUE(in_task());
  EXPECT_EQ(cmwq_warn_count(), before);
}

TEST(kcompat_context, might_sleep_warns_in_hardirq) {
  log_capture cap;
  const unsigned long before = cmwq_warn_count();
  {
    hardirq_scope irq;
    EXPECT_TRUE(in_hardirq());
    EXPECT_TRUE(in_irq());
    EXPECT_TRUE(in_interrupt());
    EXPECT_TRUE(in_atomic());
    might_sleep();
  }
  EXPECT_EQ(cmwq_warn_count(), before + 1);
  EXPECT_TRUE(cap.contains("sleeping function called from invalid context"));
  EXPECT_FALSE(in_hardirq());
}

TEST(kcompat_context, sleeping_calls_warn_in_softirq_and_still_work) {
  log_capture cap;
  const unsigned long before = cmwq_warn_count();
  {
    softirq_scope bh;
    EXPECT_TRUE(in_softirq());
    EXPECT_TRUE(in_interrupt());
    msleep(1);
    void* p = kmalloc(8, GFP_KERNEL);  // may sleep: warns
    void* q = kmalloc(8, GFP_ATOMIC);  // never sleeps: silent
    EXPECT_NE(p, nullptr);
    EXPECT_NE(q, nullptr);
    kfree(p);
    kfree(q);
  }
  EXPECT_EQ(cmwq_warn_count(), before + 2);
}

TEST(kcompat_context, spinlock_and_get_cpu_make_atomic_context) {
  log_capture cap;
  DEFINE_SPINLOCK(lock);
  const int base = preempt_count();
  spin_lock(&lock);
  EXPECT_EQ(preempt_count(), base + 1);
  EXPECT_TRUE(in_atomic());
  EXPECT_FALSE(preemptible());
  const unsigned long before = cmwq_warn_count();
  might_sleep();
  EXPECT_EQ(cmwq_warn_count(), before + 1);
  spin_unlock(&lock);
  EXPECT_EQ(preempt_count(), base);

  const int cpu = get_cpu();
  EXPECT_TRUE(cpu_online(cpu));
  EXPECT_TRUE(in_atomic());
  put_cpu();
  EXPECT_FALSE(in_atomic());
}

// ---- delays --------------------------------------------------------------------------------------

TEST(kcompat_delay, msleep_sleeps_at_least_the_time_asked) {
  const auto t0 = steady::now();
  msleep(20);
  EXPECT_GE(steady::now() - t0, 20ms);
  const auto t1 = steady::now();
  usleep_range(5000, 6000);
  EXPECT_GE(steady::now() - t1, 5ms);
  const auto t2 = steady::now();
  udelay(200);  // busy-waits
  EXPECT_GE(steady::now() - t2, 200us);
  const auto t3 = steady::now();
  set_current_state(TASK_UNINTERRUPTIBLE);
  EXPECT_EQ(schedule_timeout(msecs_to_jiffies(5)), 0);
  EXPECT_GE(steady::now() - t3, 5ms);
  EXPECT_EQ(schedule_timeout_uninterruptible(0), 0);
}

TEST(kcompat_delay, msleep_keeps_errno) {
  errno = EAGAIN;
  msleep(1);
  EXPECT_EQ(errno, EAGAIN);
}

// ---- jiffies -------------------------------------------------------------------------------------

TEST(kcompat_jiffies, conversions_and_wrap_safe_comparisons) {
  EXPECT_EQ(HZ, 1000);
  EXPECT_EQ(msecs_to_jiffies(250), 250ul);
  EXPECT_EQ(jiffies_to_msecs(250), 250u);
  EXPECT_EQ(usecs_to_jiffies(1500), 2ul);
  EXPECT_EQ(nsecs_to_jiffies(1), 1ul);
  EXPECT_EQ(msecs_to_jiffies(static_cast<unsigned int>(-5)), static_cast<unsigned long>(MAX_JIFFY_OFFSET));

  const unsigned long a = ~0ul - 2;  // three jiffies before the wrap
  const unsigned long b = a + 7;     // four after it
  EXPECT_LT(b, a);
  EXPECT_TRUE(time_after(b, a));
  EXPECT_TRUE(time_before(a, b));
  EXPECT_FALSE(time_after(a, b));
  EXPECT_TRUE(time_after_eq(a, a));
  EXPECT_TRUE(time_before_eq(b, b));
  EXPECT_TRUE(time_in_range(a + 5, a, b));

  const unsigned long j0 = jiffies;
  msleep(15);
  EXPECT_TRUE(time_after_eq(jiffies, j0 + 15));
}

// ---- completions ---------------------------------------------------------------------------------

TEST(kcompat_completion, timeout_returns_zero_then_remaining_when_completed) {
  DECLARE_COMPLETION_ONSTACK(done);
  const auto t0 = steady::now();
  EXPECT_EQ(wait_for_completion_timeout(&done, msecs_to_jiffies(30)), 0ul);
  EXPECT_GE(steady::now() - t0, 30ms);

  int payload = 0;
  std::thread t([&] {
    std::this_thread::sleep_for(5ms);
    payload = 77;  // ordered before the waiter's return by complete()
    complete(&done);
  });
  const unsigned long left = wait_for_completion_timeout(&done, msecs_to_jiffies(deadline_ms));
  EXPECT_GT(left, 0ul);
  EXPECT_LE(left, static_cast<unsigned long>(deadline_ms));
  EXPECT_EQ(payload, 77);
  t.join();
  EXPECT_FALSE(completion_done(&done));
}

TEST(kcompat_completion, counts_events_and_complete_all_releases_everyone) {
  struct completion c;
  init_completion(&c);
  complete(&c);
  complete(&c);
  EXPECT_TRUE(try_wait_for_completion(&c));
  EXPECT_TRUE(completion_done(&c));
  EXPECT_EQ(wait_for_completion_interruptible(&c), 0);
  EXPECT_FALSE(try_wait_for_completion(&c));

  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < n_threads; ++i)
    waiters.emplace_back([&] {
      if (wait_for_completion_timeout(&c, msecs_to_jiffies(deadline_ms))) woken.fetch_add(1);
    });
  complete_all(&c);
  for (auto& w : waiters) w.join();
  EXPECT_EQ(woken.load(), n_threads);
  EXPECT_TRUE(try_wait_for_completion(&c));  // stays done
  reinit_completion(&c);
  EXPECT_FALSE(completion_done(&c));
}

TEST(kcompat_completion, every_complete_releases_exactly_one_wait) {
  constexpr int per_thread = 2000;
  struct completion c;
  init_completion(&c);
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < per_thread; ++k)
        if (wait_for_completion_timeout(&c, msecs_to_jiffies(deadline_ms))) consumed.fetch_add(1);
    });
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < per_thread; ++k) complete(&c);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed.load(), n_threads * per_thread);
  EXPECT_FALSE(try_wait_for_completion(&c));
}

// ---- locks ---------------------------------------------------------------------------------------

DEFINE_MUTEX(g_counter_mutex);
DEFINE_SPINLOCK(g_counter_lock);

TEST(kcompat_locks, mutex_and_spinlock_exclude) {
  long mutex_counter = 0;
  long spin_counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < n_rounds; ++i) {
        mutex_lock(&g_counter_mutex);
        ++mutex_counter;
        mutex_unlock(&g_counter_mutex);
        spin_lock_bh(&g_counter_lock);
        ++spin_counter;
        spin_unlock_bh(&g_counter_lock);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mutex_counter, static_cast<long>(n_threads) * n_rounds);
  EXPECT_EQ(spin_counter, static_cast<long>(n_threads) * n_rounds);
}

TEST(kcompat_locks, held_lock_count_and_trylock) {
  struct mutex m;
  mutex_init(&m);
  spinlock_t s;
  spin_lock_init(&s);
  const int base = cmwq_held_lock_count();
  mutex_lock(&m);
  EXPECT_EQ(cmwq_held_lock_count(), base + 1);
  EXPECT_TRUE(mutex_is_locked(&m));
  bool other_got_it = true;
  std::thread([&] { other_got_it = mutex_trylock(&m) != 0; }).join();
  EXPECT_FALSE(other_got_it);
  unsigned long flags;
  spin_lock_irqsave(&s, flags);
  EXPECT_EQ(cmwq_held_lock_count(), base + 2);
  spin_unlock_irqrestore(&s, flags);
  mutex_unlock(&m);
  EXPECT_EQ(cmwq_held_lock_count(), base);
  EXPECT_EQ(mutex_trylock(&m), 1);
  mutex_unlock(&m);
  mutex_destroy(&m);
}

TEST(kcompat_locks, contended_mutex_waiter_gets_it_after_unlock) {
  DEFINE_MUTEX(m);
  std::atomic<bool> acquired{false};
  mutex_lock(&m);
  std::thread t([&] {
    mutex_lock(&m);
    acquired = true;
    mutex_unlock(&m);
  });
  std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(acquired.load());
  mutex_unlock(&m);
  t.join();
  EXPECT_TRUE(acquired.load());
}

TEST(kcompat_locks, misuse_warns) {
  log_capture cap;
  DEFINE_MUTEX(m);
  const unsigned long before = cmwq_warn_count();
  mutex_unlock(&m);  // not locked
  mutex_lock(&m);
  mutex_destroy(&m);  // still locked
  mutex_unlock(&m);
  EXPECT_EQ(cmwq_warn_count(), before + 2);
  spinlock_t s;
  spin_lock_init(&s);
  assert_spin_locked(&s);
  EXPECT_EQ(cmwq_warn_count(), before + 3);
}

// ---- kmalloc -------------------------------------------------------------------------------------

TEST(kcompat_slab, accounting_returns_to_start) {
  const size_t bytes = cmwq_kmalloc_outstanding_bytes();
  const size_t allocs = cmwq_kmalloc_outstanding_allocs();
  auto* a = static_cast<char*>(kmalloc(100, GFP_KERNEL));
  auto* b = static_cast<unsigned char*>(kzalloc(64, GFP_KERNEL));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 16, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 16, 0u);
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes + 164);
  EXPECT_EQ(cmwq_kmalloc_outstanding_allocs(), allocs + 2);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(b[i], 0);
  std::memset(a, 'a', 100);
  a = static_cast<char*>(krealloc(a, 40, GFP_KERNEL));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a[39], 'a');
  EXPECT_EQ(ksize(a), 40u);
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes + 104);
  char* s = kstrdup("cmwq", GFP_KERNEL);
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "cmwq");
  void* dup = kmemdup(s, 5, GFP_ATOMIC);
  ASSERT_NE(dup, nullptr);
  kfree(a);
  kfree(b);
  kfree(s);
  kfree_sensitive(dup);
  kfree(nullptr);
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes);
  EXPECT_EQ(cmwq_kmalloc_outstanding_allocs(), allocs);
}

TEST(kcompat_slab, overflow_and_zero_size) {
  EXPECT_EQ(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL), nullptr);
  EXPECT_EQ(kmalloc_array(SIZE_MAX, 2, GFP_KERNEL), nullptr);
  void* z = kmalloc(0, GFP_KERNEL);
  EXPECT_EQ(z, ZERO_SIZE_PTR);
  EXPECT_TRUE(ZERO_OR_NULL_PTR(z));
  EXPECT_EQ(ksize(z), 0u);
  kfree(z);
}

TEST(kcompat_slab, concurrent_allocations_balance) {
  const size_t bytes = cmwq_kmalloc_outstanding_bytes();
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 1000; ++i) kfree(kmalloc(static_cast<size_t>(1 + (i + t) % 200), GFP_KERNEL));
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(cmwq_kmalloc_outstanding_bytes(), bytes);
}

// ---- atomics, bits, lists, errors, minmax ----------------------------------------------------------

TEST(kcompat_atomic, operations) {
  atomic_t v = ATOMIC_INIT(1);
  EXPECT_EQ(atomic_add_return(2, &v), 3);
  EXPECT_EQ(atomic_fetch_sub(1, &v), 3);
  EXPECT_EQ(atomic_fetch_or(8, &v), 2);
  EXPECT_EQ(atomic_read(&v), 10);
  EXPECT_EQ(atomic_cmpxchg(&v, 10, 0), 10);
  EXPECT_TRUE(atomic_inc_and_test(&v) == false);
  EXPECT_TRUE(atomic_dec_and_test(&v));
  atomic_long_t l = ATOMIC_LONG_INIT(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < n_rounds; ++i) atomic_long_inc(&l);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(atomic_long_read(&l), static_cast<long>(n_threads) * n_rounds);
  atomic64_t q = ATOMIC64_INIT(5);
  EXPECT_EQ(atomic64_xchg(&q, 6), 5);
  EXPECT_EQ(atomic64_fetch_add_unless(&q, 1, 6), 6);
  EXPECT_EQ(atomic64_read(&q), 6);
}

struct entry {
  int v;
  list_head link;
  hlist_node hnode;
};

TEST(kcompat_list, list_and_hlist) {
  LIST_HEAD(head);
  entry e[4] = {};
  for (int i = 0; i < 4; ++i) {
    e[i].v = i;
    list_add(&e[i].link, &head);  // stack order
  }
  std::vector<int> seen;
  entry* pos;
  list_for_each_entry(pos, &head, link) seen.push_back(pos->v);
  EXPECT_EQ(seen, (std::vector<int>{3, 2, 1, 0}));
  list_del_init(&e[2].link);
  EXPECT_TRUE(list_empty(&e[2].link));
  EXPECT_EQ(list_count_nodes(&head), 3u);
  LIST_HEAD(cut);
  list_cut_position(&cut, &head, &e[1].link);  // 3, 1 move
  EXPECT_EQ(list_count_nodes(&cut), 2u);
  EXPECT_TRUE(list_is_singular(&head));
  EXPECT_EQ(list_first_entry_or_null(&head, entry, link), &e[0]);
  list_del(&e[0].link);
  EXPECT_EQ(list_first_entry_or_null(&head, entry, link), nullptr);

  HLIST_HEAD(bucket);
  for (auto& x : e) {
    INIT_HLIST_NODE(&x.hnode);
    hlist_add_head(&x.hnode, &bucket);
  }
  hlist_del_init(&e[1].hnode);
  EXPECT_TRUE(hlist_unhashed(&e[1].hnode));
  int sum = 0;
  entry* h;
  hlist_for_each_entry(h, &bucket, hnode) sum += h->v;
  EXPECT_EQ(sum, 0 + 2 + 3);
}

TEST(kcompat_misc, errors_minmax_bits_strings) {
  void* err = ERR_PTR(-EPROBE_DEFER);
  EXPECT_TRUE(IS_ERR(err));
  EXPECT_EQ(PTR_ERR(err), -EPROBE_DEFER);
  EXPECT_EQ(PTR_ERR_OR_ZERO(err), -EPROBE_DEFER);
  int obj = 0;
  EXPECT_FALSE(IS_ERR_OR_NULL(&obj));
  EXPECT_EQ(PTR_ERR_OR_ZERO(&obj), 0);

  EXPECT_EQ(min(3, 7), 3);
  EXPECT_EQ(max(3ul, 7ul), 7ul);
  EXPECT_EQ(clamp(42, 0, 10), 10);
  EXPECT_EQ(min_t(long, -1, 2u), -1);
  EXPECT_EQ(std::min(1, 2), 1);  // std::min and std::max are still usable
  EXPECT_EQ(std::max(1, 2), 2);

  EXPECT_EQ(BIT(3), 8ul);
  EXPECT_EQ(GENMASK(3, 0), 0xful);
  EXPECT_EQ(fls(0x80u), 8);
  EXPECT_EQ(__ffs(0x40ul), 6ul);
  EXPECT_EQ(ARRAY_SIZE(BIT_ULL(1) ? "abc" : "xyz"), 4u);

  char buf[4];
  EXPECT_EQ(strscpy(buf, "abc", sizeof buf), 3);
  EXPECT_EQ(strscpy(buf, "abcd", sizeof buf), -E2BIG);
  EXPECT_STREQ(buf, "abc");
}

// ---- wait queues ---------------------------------------------------------------------------------

TEST(kcompat_wait, wait_event_wakes_and_times_out) {
  DECLARE_WAIT_QUEUE_HEAD(wq);
  std::atomic<int> ready{0};
  const auto t0 = steady::now();
  EXPECT_EQ(wait_event_timeout(wq, ready.load() != 0, msecs_to_jiffies(20)), 0);
  EXPECT_GE(steady::now() - t0, 20ms);
  EXPECT_EQ(wait_event_timeout(wq, true, 0), 1);  // true at once, even with no time

  std::thread t([&] {
    std::this_thread::sleep_for(5ms);
    ready = 1;
    wake_up(&wq);
  });
  EXPECT_GT(wait_event_timeout(wq, ready.load() != 0, msecs_to_jiffies(deadline_ms)), 0);
  t.join();
  EXPECT_FALSE(waitqueue_active(&wq));
}

TEST(kcompat_wait, many_waiters_all_see_the_condition) {
  DECLARE_WAIT_QUEUE_HEAD(wq);
  std::atomic<int> stage{0};
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back([&] {
      if (wait_event_timeout(wq, stage.load() == 1, msecs_to_jiffies(deadline_ms)) > 0) passed.fetch_add(1);
    });
  std::this_thread::sleep_for(5ms);
  stage = 1;
  wake_up_all(&wq);
  for (auto& th : threads) th.join();
  EXPECT_EQ(passed.load(), n_threads);
}

// ---- CPUs ----------------------------------------------------------------------------------------

TEST(kcompat_cpumask, online_cpus_are_the_allowed_cpus) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  EXPECT_EQ(num_online_cpus(), static_cast<unsigned int>(CPU_COUNT(&allowed)));
  unsigned int seen = 0;
  int cpu;
  for_each_online_cpu(cpu) {
    EXPECT_TRUE(CPU_ISSET(cpu, &allowed)) << cpu;
    EXPECT_LT(static_cast<unsigned int>(cpu), static_cast<unsigned int>(nr_cpu_ids));
    ++seen;
  }
  EXPECT_EQ(seen, num_online_cpus());
  unsigned int possible = 0;
  for_each_possible_cpu(cpu) ++possible;
  EXPECT_EQ(possible, num_possible_cpus());
  EXPECT_TRUE(cpu_online(smp_processor_id()));
  EXPECT_FALSE(cpu_online(-1));
  EXPECT_FALSE(cpu_online(NR_CPUS));

  cpumask_var_t m;
  ASSERT_TRUE(zalloc_cpumask_var(&m, GFP_KERNEL));
  cpumask_set_cpu(cpumask_first(cpu_online_mask), m);
  EXPECT_EQ(cpumask_weight(m), 1u);
  EXPECT_TRUE(cpumask_subset(m, cpu_online_mask));
  EXPECT_TRUE(cpumask_and(m, m, cpu_online_mask));
  free_cpumask_var(m);
}

}  // namespace
