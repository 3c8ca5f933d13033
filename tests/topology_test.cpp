// tests/topology_test.cpp - cpu_set formatting, affinity scope names, the default scope, and the
// pods of every scope (semantics.md §5.9, U2, U7) on fake sysfs trees and on this machine.
#include "core/topology.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using cmwq::core::affinity_scope;
using cmwq::core::cpu_set;
using cmwq::core::topology;

constexpr affinity_scope real_scopes[] = {affinity_scope::cpu,         affinity_scope::smt,
                                          affinity_scope::cache,       affinity_scope::cache_shard,
                                          affinity_scope::numa,        affinity_scope::system};

// A throw-away sysfs tree: <root>/cpu/cpuN/... and <root>/node/nodeN/cpulist.
class fake_sysfs {
 public:
  fake_sysfs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cmwq-topo-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string{};
    EXPECT_FALSE(root_.empty());
  }
  ~fake_sysfs() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  fake_sysfs(const fake_sysfs&) = delete;
  fake_sysfs& operator=(const fake_sysfs&) = delete;

  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text << '\n';
  }
  // A CPU with its SMT siblings and LLC (L3), plus private L1d/L1i/L2 like real machines.
  void cpu(int id, const std::string& siblings, const std::string& llc) const {
    const std::string d = "cpu/cpu" + std::to_string(id);
    const std::string self = std::to_string(id);
    write(d + "/topology/thread_siblings_list", siblings);
    const char* types[] = {"Data", "Instruction", "Unified", "Unified"};
    const int levels[] = {1, 1, 2, 3};
    for (int k = 0; k < 4; ++k) {
      const std::string idx = d + "/cache/index" + std::to_string(k);
      write(idx + "/level", std::to_string(levels[k]));
      write(idx + "/type", types[k]);
      write(idx + "/shared_cpu_list", k == 3 ? llc : siblings);
    }
  }
  void node(int id, const std::string& cpus) const {
    write("node/node" + std::to_string(id) + "/cpulist", cpus);
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// Every scope partitions `online`: each online CPU in exactly one non-empty pod, pods numbered by
// lowest CPU, pod_of() agreeing with pod_cpus().
void expect_partition(const topology& t) {
  for (affinity_scope s : real_scopes) {
    SCOPED_TRACE(cmwq::core::affinity_scope_name(s));
    cpu_set seen;
    int prev_first = -1;
    ASSERT_GE(t.nr_pods(s), 1);
    for (int p = 0; p < t.nr_pods(s); ++p) {
      const cpu_set& pod = t.pod_cpus(s, p);
      ASSERT_FALSE(pod.empty());
      EXPECT_FALSE(pod.intersects(seen)) << "pod " << p << " overlaps: " << pod.to_list();
      EXPECT_TRUE(pod.subset_of(t.online));
      EXPECT_GT(pod.first(), prev_first);
      prev_first = pod.first();
      EXPECT_EQ(t.pod_node(s, p), t.cpu_to_node(pod.first()));
      for (int cpu : pod) EXPECT_EQ(t.pod_of(s, cpu), p) << "cpu " << cpu;
      seen |= pod;
    }
    EXPECT_EQ(seen, t.online);
  }
  for (int cpu = 0; cpu < t.nr_cpu_ids; ++cpu)
    if (!t.online.test(cpu)) {
      EXPECT_EQ(t.pod_of(affinity_scope::cpu, cpu), -1);
    }
}

// smt pods nest in cache_shard pods, which nest in cache pods.
void expect_nesting(const topology& t) {
  for (int cpu : t.online) {
    const cpu_set& core = t.pod_cpus(affinity_scope::smt, t.pod_of(affinity_scope::smt, cpu));
    const cpu_set& shard =
        t.pod_cpus(affinity_scope::cache_shard, t.pod_of(affinity_scope::cache_shard, cpu));
    const cpu_set& llc = t.pod_cpus(affinity_scope::cache, t.pod_of(affinity_scope::cache, cpu));
    EXPECT_TRUE(core.subset_of(shard)) << "cpu " << cpu;
    EXPECT_TRUE(shard.subset_of(llc)) << "cpu " << cpu;
  }
}

std::vector<std::string> pod_lists(const topology& t, affinity_scope s) {
  std::vector<std::string> out;
  for (int p = 0; p < t.nr_pods(s); ++p) out.push_back(t.pod_cpus(s, p).to_list());
  return out;
}

using lists = std::vector<std::string>;

// --- cpu_set ------------------------------------------------------------------------------------

TEST(cpu_set, smoke) {
  cpu_set s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.first(), -1);
  EXPECT_EQ(s.last(), -1);
  s.set(3);
  s.set(64);
  s.set(4095);
  EXPECT_EQ(s.count(), 3);
  EXPECT_TRUE(s.test(64));
  EXPECT_FALSE(s.test(65));
  EXPECT_FALSE(s.test(-1));
  EXPECT_FALSE(s.test(4096));
  EXPECT_EQ(s.first(), 3);
  EXPECT_EQ(s.next(3), 64);
  EXPECT_EQ(s.next(64), 4095);
  EXPECT_EQ(s.next(4095), -1);
  EXPECT_EQ(s.last(), 4095);
  std::vector<int> seen(s.begin(), s.end());
  EXPECT_EQ(seen, (std::vector<int>{3, 64, 4095}));
  s.clear(64);
  EXPECT_EQ(s, (cpu_set{3, 4095}));
  EXPECT_NE(s, (cpu_set{3}));

  cpu_set a = cpu_set::range(0, 7), b = cpu_set::range(4, 11);
  EXPECT_EQ((a & b), cpu_set::range(4, 7));
  EXPECT_EQ((a | b), cpu_set::range(0, 11));
  EXPECT_EQ(cpu_set(a).and_not(b), cpu_set::range(0, 3));
  EXPECT_TRUE(a.intersects(b));
  EXPECT_TRUE(cpu_set::range(4, 7).subset_of(a));
  EXPECT_FALSE(b.subset_of(a));
  EXPECT_TRUE(cpu_set::range(5, 4).empty());
}

TEST(cpu_set, hashing_distinguishes_sets) {
  std::unordered_set<cpu_set> sets;
  for (int c = 0; c < cpu_set::capacity; c += 7) sets.insert(cpu_set{c});
  sets.insert(cpu_set{0});  // duplicate
  EXPECT_EQ(sets.size(), static_cast<std::size_t>((cpu_set::capacity + 6) / 7));
  EXPECT_EQ(std::hash<cpu_set>{}(cpu_set{1, 2}), (cpu_set{2, 1}).hash());
  EXPECT_NE((cpu_set{1}).hash(), (cpu_set{2}).hash());
}

TEST(cpu_set, to_hex_is_kernel_pb) {
  EXPECT_EQ(cpu_set{}.to_hex(), "0");
  EXPECT_EQ(cpu_set::range(0, 3).to_hex(), "f");
  EXPECT_EQ((cpu_set{0, 1, 2, 3, 8}).to_hex(), "10f");
  EXPECT_EQ(cpu_set{32}.to_hex(), "1,00000000");
  EXPECT_EQ((cpu_set{0, 63}).to_hex(), "80000000,00000001");
  EXPECT_EQ(cpu_set{4095}.to_hex().size(), 8u + 127 * 9);  // "80000000" then 127 ",00000000"
  // With a width, as the kernel prints an nr_cpu_ids-wide mask.
  EXPECT_EQ(cpu_set{0}.to_hex(8), "01");
  EXPECT_EQ(cpu_set{0}.to_hex(2), "1");
  EXPECT_EQ(cpu_set{0}.to_hex(32), "00000001");
  EXPECT_EQ(cpu_set{0}.to_hex(36), "0,00000001");
  EXPECT_EQ((cpu_set{0, 40}).to_hex(36), "0,00000001");  // CPUs >= nbits not shown
  EXPECT_EQ(cpu_set::range(0, 71).to_hex(72), "ff,ffffffff,ffffffff");
}

TEST(cpu_set, to_list_is_kernel_pbl) {
  EXPECT_EQ(cpu_set{}.to_list(), "");
  EXPECT_EQ(cpu_set{5}.to_list(), "5");
  EXPECT_EQ((cpu_set{0, 1, 2, 3, 8}).to_list(), "0-3,8");
  EXPECT_EQ((cpu_set{0, 2, 3, 63, 64, 65, 4095}).to_list(), "0,2-3,63-65,4095");
}

TEST(cpu_set, parse_round_trips_and_rejects_garbage) {
  const cpu_set samples[] = {cpu_set{}, cpu_set{0}, cpu_set{0, 1, 2, 3, 8}, cpu_set{31, 32, 4095},
                             cpu_set::range(0, 71)};
  for (const cpu_set& s : samples) {
    cpu_set p{1234};
    ASSERT_TRUE(cpu_set::parse_list(s.to_list(), &p)) << s.to_list();
    EXPECT_EQ(p, s);
    cpu_set h{1234};
    ASSERT_TRUE(cpu_set::parse_hex(s.to_hex(), &h)) << s.to_hex();
    EXPECT_EQ(h, s);
    ASSERT_TRUE(cpu_set::parse_hex(s.to_hex(4096) + "\n", &h));
    EXPECT_EQ(h, s);
  }
  cpu_set p;
  EXPECT_TRUE(cpu_set::parse_list("0-3,8\n", &p));
  EXPECT_EQ(p.to_list(), "0-3,8");
  EXPECT_TRUE(cpu_set::parse_hex("FF,0000000f", &p));
  EXPECT_EQ(p.to_list(), "0-3,32-39");

  const cpu_set keep{7};
  for (const char* bad : {"1-", "-1", "3-1", "a", "1,,2", "1,", "4096", "0-4096", "1 2"}) {
    p = keep;
    EXPECT_FALSE(cpu_set::parse_list(bad, &p)) << bad;
    EXPECT_EQ(p, keep);
  }
  for (const char* bad : {"", "g", "123456789", "1,,2", ",1", "1," }) {
    p = keep;
    EXPECT_FALSE(cpu_set::parse_hex(bad, &p)) << bad;
    EXPECT_EQ(p, keep);
  }
  // A bit beyond NR_CPUS: 129 groups.
  std::string too_wide = "1";
  for (int i = 0; i < 128; ++i) too_wide += ",00000000";
  EXPECT_FALSE(cpu_set::parse_hex(too_wide, &p));
}

// --- affinity scope names and the default ---------------------------------------------------

TEST(affinity_scope, names_round_trip) {
  const char* names[] = {"default", "cpu", "smt", "cache", "cache_shard", "numa", "system"};
  for (int i = 0; i < cmwq::core::nr_affinity_scopes; ++i) {
    auto s = static_cast<affinity_scope>(i);
    EXPECT_STREQ(cmwq::core::affinity_scope_name(s), names[i]);
    affinity_scope parsed = affinity_scope::system;
    ASSERT_TRUE(cmwq::core::parse_affinity_scope(names[i], &parsed));
    EXPECT_EQ(parsed, s);
    ASSERT_TRUE(cmwq::core::parse_affinity_scope(std::string(names[i]) + "\n", &parsed));
    EXPECT_EQ(parsed, s);
  }
  affinity_scope out = affinity_scope::numa;
  for (const char* bad : {"", "bogus", "Cache", "cache_", "cach", "cache\n\n", " cache"})
    EXPECT_FALSE(cmwq::core::parse_affinity_scope(bad, &out)) << bad;
  EXPECT_EQ(out, affinity_scope::numa);
  EXPECT_STREQ(cmwq::core::affinity_scope_name(static_cast<affinity_scope>(42)), "invalid");
}

TEST(affinity_scope, set_default_rejects_dfl) {
  const affinity_scope before = cmwq::core::default_affinity_scope();
  EXPECT_NE(before, affinity_scope::dfl);
  EXPECT_FALSE(cmwq::core::set_default_affinity_scope(affinity_scope::dfl));
  EXPECT_FALSE(cmwq::core::set_default_affinity_scope(static_cast<affinity_scope>(9)));
  EXPECT_EQ(cmwq::core::default_affinity_scope(), before);
  EXPECT_TRUE(cmwq::core::set_default_affinity_scope(affinity_scope::numa));
  EXPECT_EQ(cmwq::core::default_affinity_scope(), affinity_scope::numa);
  // dfl in topology queries follows the default.
  const topology& t = topology::get();
  EXPECT_EQ(t.nr_pods(affinity_scope::dfl), t.nr_pods(affinity_scope::numa));
  EXPECT_TRUE(cmwq::core::set_default_affinity_scope(before));
}

// The environment is read once per process, so each case runs in a fresh child process.
class default_scope_env : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

[[noreturn]] void exit_with_default_scope(const char* env) {
  if (env) ::setenv("CMWQ_DEFAULT_AFFINITY_SCOPE", env, 1);
  else ::unsetenv("CMWQ_DEFAULT_AFFINITY_SCOPE");
  std::exit(static_cast<int>(cmwq::core::default_affinity_scope()));
}

TEST_F(default_scope_env, unset_is_cache_shard) {
  EXPECT_EXIT(exit_with_default_scope(nullptr),
              ::testing::ExitedWithCode(static_cast<int>(affinity_scope::cache_shard)), "");
}

TEST_F(default_scope_env, names_another_scope) {
  EXPECT_EXIT(exit_with_default_scope("numa"),
              ::testing::ExitedWithCode(static_cast<int>(affinity_scope::numa)), "");
  EXPECT_EXIT(exit_with_default_scope("cache\n"),
              ::testing::ExitedWithCode(static_cast<int>(affinity_scope::cache)), "");
}

TEST_F(default_scope_env, default_and_garbage_warn_and_keep_cache_shard) {
  EXPECT_EXIT(exit_with_default_scope("default"),
              ::testing::ExitedWithCode(static_cast<int>(affinity_scope::cache_shard)),
              "WARNING:.*CMWQ_DEFAULT_AFFINITY_SCOPE");
  EXPECT_EXIT(exit_with_default_scope("bogus"),
              ::testing::ExitedWithCode(static_cast<int>(affinity_scope::cache_shard)),
              "WARNING:.*CMWQ_DEFAULT_AFFINITY_SCOPE");
}

TEST_F(default_scope_env, cache_shard_size_from_env) {
  auto run = [](const char* v) {
    ::setenv("CMWQ_CACHE_SHARD_SIZE", v, 1);
    std::exit(topology::get().cache_shard_size);
  };
  EXPECT_EXIT(run("1"), ::testing::ExitedWithCode(1), "");
  EXPECT_EXIT(run("16\n"), ::testing::ExitedWithCode(16), "");
  EXPECT_EXIT(run("0"), ::testing::ExitedWithCode(8), "WARNING:.*CMWQ_CACHE_SHARD_SIZE");
  EXPECT_EXIT(run("8x"), ::testing::ExitedWithCode(8), "WARNING:.*CMWQ_CACHE_SHARD_SIZE");
}

// --- fake sysfs trees ---------------------------------------------------------------------------

TEST(topology, one_socket_two_cores_no_smt) {
  fake_sysfs fs;
  fs.cpu(0, "0", "0-1");
  fs.cpu(1, "1", "0-1");
  fs.node(0, "0-1");
  topology t = topology::from_sysfs(fs.root(), cpu_set{0, 1});
  expect_partition(t);
  expect_nesting(t);
  EXPECT_FALSE(t.used_fallback());
  EXPECT_EQ(t.nr_cpu_ids, 2);
  EXPECT_EQ(t.possible, t.online);
  EXPECT_EQ(pod_lists(t, affinity_scope::cpu), (lists{"0", "1"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::smt), (lists{"0", "1"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::cache), (lists{"0-1"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::cache_shard), (lists{"0-1"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::numa), (lists{"0-1"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::system), (lists{"0-1"}));
}

TEST(topology, one_socket_four_cores_two_threads) {
  fake_sysfs fs;  // Intel-style numbering: CPU c and c+4 are siblings.
  for (int c = 0; c < 8; ++c)
    fs.cpu(c, std::to_string(c % 4) + "," + std::to_string(c % 4 + 4), "0-7");
  fs.node(0, "0-7");
  topology t = topology::from_sysfs(fs.root(), cpu_set::range(0, 7));
  expect_partition(t);
  expect_nesting(t);
  EXPECT_EQ(pod_lists(t, affinity_scope::smt), (lists{"0,4", "1,5", "2,6", "3,7"}));
  EXPECT_EQ(t.pod_of(affinity_scope::smt, 5), 1);
  EXPECT_EQ(pod_lists(t, affinity_scope::cache), (lists{"0-7"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::cache_shard), (lists{"0-7"}));  // 4 cores <= 8

  // Smaller shards still keep siblings together: 4 cores by 2 -> 2+2, by 3 -> 2+2 as well.
  for (int size : {2, 3}) {
    topology s = topology::from_sysfs(fs.root(), cpu_set::range(0, 7), size);
    expect_nesting(s);
    EXPECT_EQ(pod_lists(s, affinity_scope::cache_shard), (lists{"0-1,4-5", "2-3,6-7"})) << size;
  }
  topology one = topology::from_sysfs(fs.root(), cpu_set::range(0, 7), 1);
  EXPECT_EQ(pod_lists(one, affinity_scope::cache_shard), pod_lists(one, affinity_scope::smt));
}

TEST(topology, two_sockets_18_cores_2_threads_2_nodes) {
  fake_sysfs fs;  // socket s: cores 18s..18s+17 = CPUs 18s..18s+17 and their siblings +36.
  for (int c = 0; c < 72; ++c) {
    const int core = c % 36;
    const std::string llc = core < 18 ? "0-17,36-53" : "18-35,54-71";
    fs.cpu(c, std::to_string(core) + "," + std::to_string(core + 36), llc);
  }
  fs.node(0, "0-17,36-53");
  fs.node(1, "18-35,54-71");
  topology t = topology::from_sysfs(fs.root(), cpu_set::range(0, 71));
  expect_partition(t);
  expect_nesting(t);
  EXPECT_FALSE(t.used_fallback());
  EXPECT_EQ(t.nr_cpu_ids, 72);
  EXPECT_EQ(t.nr_pods(affinity_scope::cpu), 72);
  EXPECT_EQ(t.nr_pods(affinity_scope::smt), 36);
  EXPECT_EQ(pod_lists(t, affinity_scope::cache), (lists{"0-17,36-53", "18-35,54-71"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::numa), (lists{"0-17,36-53", "18-35,54-71"}));
  EXPECT_EQ(t.pod_node(affinity_scope::numa, 1), 1);
  EXPECT_EQ(t.cpu_to_node(54), 1);
  // 18 cores per LLC -> ceil(18/8) = 3 shards of 6 cores (12 CPUs) each.
  EXPECT_EQ(pod_lists(t, affinity_scope::cache_shard),
            (lists{"0-5,36-41", "6-11,42-47", "12-17,48-53", "18-23,54-59", "24-29,60-65",
                   "30-35,66-71"}));
  EXPECT_EQ(t.pod_of(affinity_scope::cache_shard, 40), 0);
  EXPECT_EQ(t.pod_node(affinity_scope::cache_shard, 4), 1);

  // Only part of the machine allowed (U2): the pods shrink to the online CPUs.
  topology part = topology::from_sysfs(fs.root(), cpu_set{0, 1, 2, 36, 20});
  expect_partition(part);
  expect_nesting(part);
  EXPECT_EQ(part.nr_cpu_ids, 37);
  EXPECT_EQ(pod_lists(part, affinity_scope::smt), (lists{"0,36", "1", "2", "20"}));
  EXPECT_EQ(pod_lists(part, affinity_scope::numa), (lists{"0-2,36", "20"}));
  EXPECT_EQ(pod_lists(part, affinity_scope::cache_shard), (lists{"0-2,36", "20"}));
  EXPECT_EQ(part.pod_of(affinity_scope::cache, 3), -1);
  EXPECT_EQ(part.cpu_to_node(3), -1);
}

TEST(topology, llc_of_36_cores_shards_8_7_7_7_7) {
  fake_sysfs fs;
  for (int c = 0; c < 36; ++c) fs.cpu(c, std::to_string(c), "0-35");
  fs.node(0, "0-35");
  topology t = topology::from_sysfs(fs.root(), cpu_set::range(0, 35));
  expect_partition(t);
  expect_nesting(t);
  EXPECT_EQ(pod_lists(t, affinity_scope::cache_shard),
            (lists{"0-7", "8-14", "15-21", "22-28", "29-35"}));

  // The same 36 cores with two threads each: shards count cores, not CPUs.
  fake_sysfs smt;
  for (int c = 0; c < 72; ++c)
    smt.cpu(c, std::to_string(c % 36) + "," + std::to_string(c % 36 + 36), "0-71");
  topology u = topology::from_sysfs(smt.root(), cpu_set::range(0, 71));
  expect_partition(u);
  expect_nesting(u);
  std::vector<int> sizes;
  for (int p = 0; p < u.nr_pods(affinity_scope::cache_shard); ++p)
    sizes.push_back(u.pod_cpus(affinity_scope::cache_shard, p).count());
  EXPECT_EQ(sizes, (std::vector<int>{16, 14, 14, 14, 14}));
  EXPECT_TRUE(u.used_fallback());  // no node/ directory: one node 0
  EXPECT_EQ(pod_lists(u, affinity_scope::numa), (lists{"0-71"}));
  EXPECT_EQ(u.pod_node(affinity_scope::numa, 0), 0);
}

TEST(topology, missing_sysfs_falls_back) {
  const cpu_set online{0, 1, 2, 5};
  topology t = topology::from_sysfs("/nonexistent/cmwq/sysfs", online);
  expect_partition(t);
  expect_nesting(t);
  EXPECT_TRUE(t.used_fallback());
  EXPECT_EQ(t.nr_cpu_ids, 6);
  EXPECT_EQ(pod_lists(t, affinity_scope::smt), (lists{"0", "1", "2", "5"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::cache), (lists{"0-2,5"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::cache_shard), (lists{"0-2,5"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::numa), (lists{"0-2,5"}));
  EXPECT_EQ(t.cpu_to_node(5), 0);
  EXPECT_EQ(t.pod_of(affinity_scope::system, 3), -1);
  EXPECT_EQ(t.pod_of(affinity_scope::system, 4096), -1);
  EXPECT_EQ(t.pod_node(affinity_scope::system, 1), -1);

  topology none = topology::from_sysfs("/nonexistent", cpu_set{});  // empty online -> {0}
  EXPECT_EQ(none.online, cpu_set{0});
  expect_partition(none);
}

TEST(topology, garbage_and_inconsistent_sysfs_still_partition) {
  fake_sysfs fs;
  fs.cpu(0, "0-1", "0-3");
  fs.cpu(1, "garbage", "0-1");  // unreadable siblings; LLC disagrees with CPU 0's
  fs.cpu(2, "2,3,900", "2-3");  // names a CPU that is not online
  fs.write("cpu/cpu3/topology/thread_siblings_list", "3");  // no cache/ at all
  fs.node(0, "0-1");
  fs.node(1, "zzz");
  fs.write("node/not_a_node/cpulist", "2-3");
  topology t = topology::from_sysfs(fs.root(), cpu_set::range(0, 3));
  expect_partition(t);
  EXPECT_TRUE(t.used_fallback());
  EXPECT_EQ(pod_lists(t, affinity_scope::smt), (lists{"0-1", "2-3"}));
  EXPECT_EQ(pod_lists(t, affinity_scope::numa), (lists{"0-3"}));
}

// --- this machine -----------------------------------------------------------------------------

TEST(topology, real_machine) {
  const topology& t = topology::get();
  EXPECT_EQ(&t, &topology::get());

  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(::sched_getaffinity(0, sizeof mask, &mask), 0);
  cpu_set allowed;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &mask)) allowed.set(c);
  EXPECT_EQ(t.online, allowed);
  EXPECT_EQ(t.possible, t.online);
  EXPECT_EQ(t.nr_cpu_ids, t.online.last() + 1);
  expect_partition(t);
  expect_nesting(t);
  EXPECT_EQ(t.nr_pods(affinity_scope::cpu), t.online.count());
  EXPECT_EQ(t.nr_pods(affinity_scope::system), 1);

  for (affinity_scope s : real_scopes) {
    std::string line = std::string(cmwq::core::affinity_scope_name(s)) + ":";
    for (int p = 0; p < t.nr_pods(s); ++p) line += " [" + t.pod_cpus(s, p).to_hex(t.nr_cpu_ids) + "]";
    std::printf("%s\n", line.c_str());
  }
  std::printf("online=%s fallback=%d\n", t.online.to_list().c_str(), t.used_fallback());
  EXPECT_TRUE(t.online.test(cmwq::core::current_cpu()));
}

TEST(topology, get_is_thread_safe) {
  constexpr int n_threads = 8;
  std::vector<const topology*> seen(n_threads);
  std::vector<std::thread> threads;
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back([&seen, i] { seen[i] = &topology::get(); });
  for (auto& th : threads) th.join();
  for (const topology* p : seen) EXPECT_EQ(p, &topology::get());
}

}  // namespace
