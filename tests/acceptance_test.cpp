// The done-when checks of issue "The engine", through the kernel-style C API:
//  - 8 items that each msleep(50), queued on one CPU of system_wq, finish in far less than 8x50 ms;
//  - 8 items that spin below the CPU-intensive threshold on one CPU of a bound queue never run
//    more than one at a time, and do run concurrently with WQ_CPU_INTENSIVE.
#include <linux/delay.h>
#include <linux/workqueue.h>
#include <sched.h>
#include <time.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

constexpr int n_items = 8;
constexpr int sleep_ms = 50;
constexpr int spin_ms = 5;  // half the default 10 ms CPU-intensive threshold

std::atomic<int> g_running{0}, g_max_running{0}, g_done{0};

void note_start() {
  const int now = g_running.fetch_add(1) + 1;
  int seen = g_max_running.load();
  while (now > seen && !g_max_running.compare_exchange_weak(seen, now)) {
  }
}
void note_end() {
  g_running.fetch_sub(1);
  g_done.fetch_add(1);
}

void sleeper(struct work_struct*) {
  note_start();
  msleep(sleep_ms);
  note_end();
}

void spinner(struct work_struct*) {
  note_start();
  timespec a{}, b{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  do clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < spin_ms);
  note_end();
}

void reset() {
  g_running = 0;
  g_max_running = 0;
  g_done = 0;
}

int cpu0() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) return c;
  return 0;
}

// Queues every item on `cpu` of `wq` and waits for all of them; returns the elapsed time.
std::chrono::milliseconds run_on_cpu(struct workqueue_struct* wq, work_func_t fn, int cpu) {
  struct work_struct items[n_items];
  for (auto& w : items) INIT_WORK(&w, fn);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& w : items) EXPECT_TRUE(queue_work_on(cpu, wq, &w));
  for (auto& w : items) flush_work(&w);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

TEST(acceptance, sleeping_items_on_one_cpu_of_system_wq_overlap) {
  reset();
  const auto took = run_on_cpu(system_wq, sleeper, cpu0());
  EXPECT_EQ(g_done.load(), n_items);
  EXPECT_GE(g_max_running.load(), 2);
  // Serialised they need 400 ms; concurrency management lets them sleep together.
  EXPECT_LT(took.count(), n_items * sleep_ms * 3 / 4) << "took " << took.count() << " ms";
}

TEST(acceptance, spinning_items_on_one_cpu_of_a_bound_queue_never_overlap) {
  reset();
  struct workqueue_struct* wq = alloc_workqueue("acc-spin", WQ_PERCPU, 0);
  ASSERT_NE(wq, nullptr);
  run_on_cpu(wq, spinner, cpu0());
  EXPECT_EQ(g_done.load(), n_items);
  EXPECT_EQ(g_max_running.load(), 1);
  destroy_workqueue(wq);
}

TEST(acceptance, spinning_items_on_a_cpu_intensive_queue_overlap) {
  reset();
  struct workqueue_struct* wq = alloc_workqueue("acc-int", WQ_PERCPU | WQ_CPU_INTENSIVE, 0);
  ASSERT_NE(wq, nullptr);
  run_on_cpu(wq, spinner, cpu0());
  EXPECT_EQ(g_done.load(), n_items);
  EXPECT_GE(g_max_running.load(), 2);
  destroy_workqueue(wq);
}

}  // namespace
