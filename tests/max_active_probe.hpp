// tests/max_active_probe.hpp - does a queue run one item at a time? Shared by the tests that set
// max_active to 1 through an attribute file (attrs_test: the C call; control_test: wqctl).
#pragma once

#include <cstddef>

#include "test_support.hpp"

namespace cmwq_test {

// Queues two items on `wq` that each wait on a gate, and checks that exactly one runs until the
// gate opens, then that both complete.
inline void expect_one_item_at_a_time(workqueue_struct* wq) {
  struct probe {
    gate g;
    std::atomic<int> running{0};
    struct item {
      work_struct work;
      probe* owner;
    } items[2];
    static void fn(work_struct* w) {
      auto* it = reinterpret_cast<item*>(reinterpret_cast<char*>(w) - offsetof(item, work));
      it->owner->running.fetch_add(1);
      it->owner->g.wait();
    }
  };
  probe p;
  gate_opener opener{p.g};
  for (auto& it : p.items) {
    it.owner = &p;
    INIT_WORK(&it.work, probe::fn);
    ASSERT_TRUE(queue_work(wq, &it.work));
  }
  CMWQ_ASSERT_WITHIN(p.running.load() == 1, k_deadline);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  cmwq_wq_stats s{};
  ASSERT_EQ(cmwq_workqueue_stats(wq, &s), 0);
  EXPECT_EQ(s.nr_active, 1);
  EXPECT_EQ(s.nr_inactive, 1);
  EXPECT_EQ(p.running.load(), 1) << "a second item ran with max_active 1";
  p.g.open();
  flush_workqueue(wq);
  EXPECT_EQ(p.running.load(), 2);
}

}  // namespace cmwq_test
