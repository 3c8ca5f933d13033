// Delayed work at scale (issue "The engine", done-when: 1,000,000 delayed works armed and
// cancelled without trouble). Arms a million delayed items with delays spread over the hour that
// starts an hour from now, cancels them all, and checks that every cancel found its item pending
// and nothing ran.
#include <linux/workqueue.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include "core/timer_wheel.hpp"

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int n_items = 100'000;  // sanitizers multiply the cost of every access
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int n_items = 100'000;
#else
constexpr int n_items = 1'000'000;
#endif
#else
constexpr int n_items = 1'000'000;
#endif

std::atomic<int> g_runs{0};
void count_run(struct work_struct*) { g_runs.fetch_add(1, std::memory_order_relaxed); }

double ns_per(std::chrono::steady_clock::duration d, int n) {
  return std::chrono::duration<double, std::nano>(d).count() / n;
}

TEST(delayed_scale, million_armed_then_cancelled) {
  auto items = std::make_unique<struct delayed_work[]>(n_items);
  struct workqueue_struct* wq = alloc_workqueue("scale", WQ_UNBOUND, 0);
  ASSERT_NE(wq, nullptr);
  const auto armed_before = cmwq::core::timer_get_stats().armed;

  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n_items; i++) {
    INIT_DELAYED_WORK(&items[i], count_run);
    // Delays from one to two hours, so none fires during the test, however slowly a loaded
    // machine under a sanitizer arms them (TSan took 2.5 s for 100,000 here: 1 s was not enough).
    ASSERT_TRUE(queue_delayed_work(wq, &items[i], 3'600'000 + (static_cast<unsigned long>(i) * 7919) % 3'600'000));
  }
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(cmwq::core::timer_get_stats().armed - armed_before, static_cast<std::uint64_t>(n_items));
  int cancelled = 0;
  for (int i = 0; i < n_items; i++) cancelled += cancel_delayed_work(&items[i]) ? 1 : 0;
  const auto t2 = std::chrono::steady_clock::now();

  EXPECT_EQ(cancelled, n_items);
  EXPECT_EQ(cmwq::core::timer_get_stats().armed, armed_before);
  for (int i = 0; i < n_items; i += 997) EXPECT_FALSE(delayed_work_pending(&items[i]));
  destroy_workqueue(wq);
  EXPECT_EQ(g_runs.load(), 0);
  std::printf("delayed_scale: %d items, %zu bytes each: init+arm %.0f ns/item, cancel %.0f ns/item\n", n_items,
              sizeof(struct delayed_work), ns_per(t1 - t0, n_items), ns_per(t2 - t1, n_items));
}

TEST(delayed_scale, struct_stays_small) {
  // Issue 4's target: at most 100 bytes per pending delayed work, all of it the caller's struct.
  EXPECT_LE(sizeof(struct delayed_work), 100u);
}

}  // namespace
