// Process exit never hangs and never crashes, whatever is still queued (issue "The engine").
// Each case runs in a child process (a gtest death test) that leaves work behind and exits.
#include <cmwq/cmwq.hpp>
#include <linux/workqueue.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace {

using namespace std::chrono_literals;

void sleepy(struct work_struct*) { std::this_thread::sleep_for(200ms); }

[[noreturn]] void exit_with_work_everywhere() {
  static struct work_struct items[64];
  static struct delayed_work timers[64];
  struct workqueue_struct* own = alloc_workqueue("left-behind", WQ_UNBOUND | WQ_MEM_RECLAIM, 4);
  for (int i = 0; i < 64; i++) {
    INIT_WORK(&items[i], sleepy);
    INIT_DELAYED_WORK(&timers[i], sleepy);
    queue_work(i % 2 ? system_wq : own, &items[i]);
    queue_delayed_work(system_unbound_wq, &timers[i], 1 + i);
  }
  std::this_thread::sleep_for(20ms);  // let workers pick items up: some run, some pend
  std::exit(0);
}

[[noreturn]] void exit_from_a_work_item() {
  auto wq = cmwq::builder::percpu().build("exiter");
  cmwq::work w([] { std::exit(0); });
  wq->enqueue(w);
  for (;;) std::this_thread::sleep_for(1s);
}

TEST(process_exit, with_running_pending_and_armed_work) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(exit_with_work_everywhere(), ::testing::ExitedWithCode(0), "");
}

TEST(process_exit, called_from_inside_a_work_item) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(exit_from_a_work_item(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
