// tests/cxx_api_extras_test.cpp - the C API's capabilities through the C++ door: delayed items on
// a chosen CPU, running() of a delayed item, min_active, freezing, worker descriptions, and the
// BH and dfl_long system queues, and BH queues of one's own (builder::bh(), docs/bh.md).
#include <sched.h>

#include <atomic>
#include <string>

#include <cmwq/cmwq.hpp>

#include "core/context.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace cmwq_test;

TEST(cxx_extras, enqueue_delayed_on_runs_on_the_chosen_cpu) {
  const int cpu = startup_cpus().back();
  std::atomic<int> ran_on{-1};
  cmwq::delayed_work d{[&] { ran_on = sched_getcpu(); }};
  ASSERT_TRUE(cmwq::system_percpu().enqueue_delayed_on(cpu, d, 5ms));
  CMWQ_ASSERT_WITHIN(ran_on.load() >= 0, k_deadline);
  EXPECT_EQ(ran_on.load(), cpu);
  ASSERT_TRUE(cmwq::system_percpu().modify_delayed_on(cpu, d, 1ms) == false);
  d.flush();
}

TEST(cxx_extras, a_delayed_item_reports_running) {
  std::atomic<bool> inside{false}, release{false};
  cmwq::delayed_work d{[&] {
    inside = true;
    while (!release.load()) std::this_thread::sleep_for(1ms);
  }};
  EXPECT_FALSE(d.running());
  ASSERT_TRUE(cmwq::system_unbound().enqueue_delayed(d, 1ms));
  CMWQ_ASSERT_WITHIN(inside.load(), k_deadline);
  EXPECT_TRUE(d.running());
  release = true;
  d.flush();
  EXPECT_FALSE(d.running());
}

TEST(cxx_extras, set_min_active_is_for_unbound_queues) {
  auto u = cmwq::builder::unbound().build("cxx-min");
  ASSERT_TRUE(u);
  const unsigned long warns = cmwq::warn_count();
  u->set_min_active(4);
  EXPECT_EQ(cmwq::warn_count(), warns);
  cmwq::system_percpu().set_min_active(4);  // per-CPU: a warning, nothing changes
  EXPECT_EQ(cmwq::warn_count(), warns + 1);
}

TEST(cxx_extras, the_reclaim_annotation_is_set_by_the_builder_as_by_the_c_flag) {
  auto annotated = cmwq::builder::ordered().mem_reclaim().mem_warn_on_reclaim().build("cxx-reclaim");
  auto plain = cmwq::builder::ordered().mem_reclaim().build("cxx-no-reclaim");
  ASSERT_TRUE(annotated && plain);
  EXPECT_TRUE(annotated->reclaim_annotated());
  EXPECT_FALSE(plain->reclaim_annotated());
  EXPECT_NE(annotated->handle(), 0u);
  const cmwq::queue gone = annotated.ref();
  annotated.reset();
  EXPECT_FALSE(gone.reclaim_annotated());  // destroyed: false, as the C query says
}

TEST(cxx_extras, freeze_holds_back_a_freezable_queue_until_thaw) {
  auto q = cmwq::builder::unbound().freezable().build("cxx-freeze");
  ASSERT_TRUE(q);
  std::atomic<int> runs{0};
  cmwq::work w{[&] { runs++; }};
  cmwq::freeze_begin();
  ASSERT_TRUE(q->enqueue(w));
  std::this_thread::sleep_for(50ms);
  const int while_frozen = runs.load();
  EXPECT_FALSE(cmwq::freeze_busy());
  cmwq::thaw();
  CMWQ_ASSERT_WITHIN(runs.load() == 1, k_deadline);
  EXPECT_EQ(while_frozen, 0);
}

TEST(cxx_extras, a_worker_described_from_its_item_shows_the_description) {
  std::string inside;
  cmwq::work w{[&] {
    cmwq::set_worker_desc("cxx-desc");
    inside = cmwq::current_worker_comm();
  }};
  ASSERT_TRUE(cmwq::system_unbound().enqueue(w));
  w.flush();
  EXPECT_NE(inside.find("+cxx-desc"), std::string::npos) << inside;
  EXPECT_EQ(cmwq::current_worker_comm(), "");
}

TEST(cxx_extras, bh_system_queues_run_items_in_softirq_context) {
  for (cmwq::queue q : {cmwq::system_bh(), cmwq::system_bh_highpri()}) {
    std::atomic<bool> softirq{false}, ran{false};
    cmwq::work w{[&] {
      softirq = cmwq::core::in_softirq();
      ran = true;
    }};
    ASSERT_TRUE(q.enqueue(w));
    CMWQ_ASSERT_WITHIN(ran.load(), k_deadline);
    w.flush();
    EXPECT_TRUE(softirq.load()) << q.name();
  }
  EXPECT_EQ(cmwq::system_dfl_long().name(), "events_dfl_long");
}

TEST(cxx_extras, a_bh_queue_from_the_builder_runs_items_in_softirq_context) {
  for (auto b : {cmwq::builder::bh(), cmwq::builder::bh().highpri()}) {
    auto q = b.build("cxx-bh");
    ASSERT_TRUE(q);
    std::atomic<bool> softirq{false}, ran{false};
    cmwq::work w{[&] {
      softirq = cmwq::core::in_softirq();
      ran = true;
    }};
    ASSERT_TRUE(q->enqueue(w));
    CMWQ_ASSERT_WITHIN(ran.load(), k_deadline);
    w.flush();
    EXPECT_TRUE(softirq.load());
  }
}

TEST(cxx_extras, a_bh_queue_with_another_flag_or_a_limit_is_refused_with_invalid_argument) {
  for (auto b : {cmwq::builder::bh().freezable(), cmwq::builder::bh().max_active(4)}) {
    const unsigned long warns = cmwq::warn_count();
    std::error_code ec;
    auto q = b.build("cxx-bh-bad", ec);
    EXPECT_FALSE(q);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    EXPECT_EQ(cmwq::warn_count(), warns + 1);  // the engine's WARNING, as alloc_workqueue() gives
  }
}

}  // namespace
