// tests/min_active_test.cpp - max_active of unbound queues split across NUMA nodes, with
// min_active as each node's floor (semantics.md R12, docs/attrs.md M1-M5), through the C door
// (workqueue_set_min_active) and the C++ door (queue::set_min_active).
//
// One node cannot show a floor (its share is all of max_active), so the cases that need nodes run
// in a child of this binary whose topology is a simulated machine (CMWQ_SYSFS_ROOT): node 0 holds
// the first CPU, node 1 the others. Admission is decided when an item is queued, so the counts
// of active and inactive items right after queueing are exact: no timing is asserted.
#include <filesystem>
#include <fstream>

#include <cmwq/cmwq.hpp>

// System and engine headers before the kernel-style ones (capi_support.hpp): <linux/compiler.h>
// defines __used, a name glibc's <spawn.h> uses.
#include "child_run.hpp"
#include "core/topology.hpp"

#include "capi_support.hpp"

namespace {

using namespace capi;
namespace fs = std::filesystem;

constexpr int kMaxActive = 4;
constexpr int kItems = 6;

const char kFakeRoot[] = "CMWQ_SYSFS_ROOT";

bool in_simulated_child() {
  const char* v = std::getenv(kFakeRoot);
  return v && *v;
}

const cmwq::core::topology& topo() { return cmwq::core::topology::get(); }

// Node 0's share of kMaxActive: the CPUs of node 0 (one) over all (rounded up), within the floor.
int node0_limit(int min_active) {
  const int cpus = topo().online.count();
  const int share = (kMaxActive + cpus - 1) / cpus;
  return std::min(std::max(share, std::min(min_active, kMaxActive)), kMaxActive);
}

// Runs the tests named by @filter in a child whose topology has two NUMA nodes; skips on a machine
// with one CPU (two nodes need two CPUs).
void run_on_two_nodes(const std::string& filter) {
  const cmwq::core::cpu_set& online = topo().online;
  if (online.count() < 2) GTEST_SKIP() << "two simulated nodes need two CPUs";
  const fs::path root = fs::temp_directory_path() / ("cmwq-two-nodes-" + std::to_string(getpid()));
  fs::create_directories(root / "node/node0");
  fs::create_directories(root / "node/node1");
  cmwq::core::cpu_set rest = online;
  rest.clear(online.first());
  std::ofstream(root / "node/node0/cpulist") << online.first() << "\n";
  std::ofstream(root / "node/node1/cpulist") << rest.to_list() << "\n";
  const int rc = child_run::rerun_self(kFakeRoot, root.string(), filter);
  fs::remove_all(root);
  EXPECT_EQ(rc, 0) << "the child run of " << filter << " failed (its output is above)";
}

// The active and inactive items of @wq now.
std::pair<int, int> active_inactive(struct workqueue_struct* wq) {
  struct cmwq_wq_stats s{};
  EXPECT_EQ(cmwq_workqueue_stats(wq, &s), 0);
  return {s.nr_active, s.nr_inactive};
}

// An unbound queue with one pool per node (scope numa).
struct workqueue_struct* numa_queue(const char* name) {
  struct workqueue_struct* wq = alloc_workqueue("%s", WQ_UNBOUND, kMaxActive, name);
  struct workqueue_attrs* attrs = alloc_workqueue_attrs();
  attrs->affn_scope = WQ_AFFN_NUMA;
  EXPECT_EQ(apply_workqueue_attrs(wq, attrs), 0);
  free_workqueue_attrs(attrs);
  return wq;
}

// --- in the child: two nodes -----------------------------------------------------------------

TEST(min_active_nodes, the_floor_decides_how_many_items_of_a_node_run_at_once) {
  if (!in_simulated_child()) GTEST_SKIP() << "runs in the two-node child";
  ASSERT_EQ(topo().nr_node_ids, 2);
  const int cpu0 = topo().online.first();
  owned_wq wq(numa_queue("min-active-c"));
  std::vector<std::unique_ptr<probe>> items;
  workqueue_set_min_active(wq.get(), 0);  // M2: the share alone
  for (int i = 0; i < kItems; ++i) {
    items.push_back(std::make_unique<probe>());
    items.back()->gated = true;
    ASSERT_TRUE(queue_work_on(cpu0, wq.get(), &items.back()->work));
  }
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(node0_limit(0), kItems - node0_limit(0)));

  workqueue_set_min_active(wq.get(), 3);  // M3: raising the floor activates waiting items now
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(node0_limit(3), kItems - node0_limit(3)));

  workqueue_set_min_active(wq.get(), 100);  // M1: clamped to max_active
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(kMaxActive, kItems - kMaxActive));

  for (auto& p : items) p->open();
  flush_workqueue(wq.get());
  for (auto& p : items) EXPECT_EQ(p->runs.load(), 1);
}

TEST(min_active_nodes, each_node_may_run_its_floor_so_the_sum_exceeds_max_active) {
  if (!in_simulated_child()) GTEST_SKIP() << "runs in the two-node child";
  const int cpu0 = topo().online.first();
  const int cpu1 = topo().online.next(cpu0);
  owned_wq wq(numa_queue("min-active-sum"));  // default floor: min(max_active, 8) = 4 (M1)
  std::vector<std::unique_ptr<probe>> items;
  for (int cpu : {cpu0, cpu1})
    for (int i = 0; i < kMaxActive; ++i) {
      items.push_back(std::make_unique<probe>());
      items.back()->gated = true;
      ASSERT_TRUE(queue_work_on(cpu, wq.get(), &items.back()->work));
    }
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(2 * kMaxActive, 0));  // M4
  for (auto& p : items) p->open();
  flush_workqueue(wq.get());
}

TEST(min_active_nodes, lowering_max_active_lowers_the_floor_and_never_preempts) {
  if (!in_simulated_child()) GTEST_SKIP() << "runs in the two-node child";
  const int cpu0 = topo().online.first();
  owned_wq wq(numa_queue("min-active-lower"));
  std::vector<std::unique_ptr<probe>> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(std::make_unique<probe>());
    items.back()->gated = true;
    ASSERT_TRUE(queue_work_on(cpu0, wq.get(), &items.back()->work));
  }
  ASSERT_EQ(active_inactive(wq.get()), std::make_pair(kMaxActive, kItems - kMaxActive));
  workqueue_set_max_active(wq.get(), 1);  // floor becomes 1: node 0's limit 1
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(kMaxActive, kItems - kMaxActive));  // R14
  // The running ones finish; then one at a time: the first waiting one starts only after all four.
  for (int i = 0; i < kMaxActive; ++i) items[static_cast<std::size_t>(i)]->open();
  ASSERT_TRUE(items[kMaxActive]->wait_runs(1));
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(1, kItems - kMaxActive - 1));
  for (auto& p : items) p->open();
  flush_workqueue(wq.get());
}

TEST(min_active_nodes, cxx_set_min_active_sets_the_floor) {
  if (!in_simulated_child()) GTEST_SKIP() << "runs in the two-node child";
  const int cpu0 = topo().online.first();
  auto q = cmwq::builder::unbound().max_active(kMaxActive).affinity_scope(cmwq::affinity::numa).build("min-active-cxx");
  ASSERT_TRUE(q);
  q->set_min_active(0);
  std::atomic<bool> release{false};
  std::vector<std::unique_ptr<cmwq::work>> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(std::make_unique<cmwq::work>([&] {
      while (!release.load()) std::this_thread::sleep_for(1ms);
    }));
    ASSERT_TRUE(q->enqueue_on(cpu0, *items.back()));
  }
  cmwq::queue_stats s{};
  ASSERT_TRUE(q->stats(&s));
  EXPECT_EQ(s.nr_active, node0_limit(0));
  EXPECT_EQ(s.nr_inactive, kItems - node0_limit(0));
  q->set_min_active(kMaxActive);
  ASSERT_TRUE(q->stats(&s));
  EXPECT_EQ(s.nr_active, kMaxActive);
  release = true;
  q->flush();
}

// --- in this process ---------------------------------------------------------------------------

TEST(min_active, two_simulated_nodes) { run_on_two_nodes("min_active_nodes.*"); }

// M2 on the machine as it is: with one node its share is all of max_active, and min_active,
// however low, changes nothing.
TEST(min_active, one_node_runs_max_active_whatever_the_floor) {
  if (topo().nr_node_ids != 1) GTEST_SKIP() << "this machine has several NUMA nodes";
  owned_wq wq(alloc_workqueue("min-active-one", WQ_UNBOUND, kMaxActive));
  workqueue_set_min_active(wq.get(), 0);
  std::vector<std::unique_ptr<probe>> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(std::make_unique<probe>());
    items.back()->gated = true;
    ASSERT_TRUE(queue_work_on(topo().online.first(), wq.get(), &items.back()->work));
  }
  EXPECT_EQ(active_inactive(wq.get()), std::make_pair(kMaxActive, kItems - kMaxActive));
  for (auto& p : items) p->open();
  flush_workqueue(wq.get());
}

}  // namespace
