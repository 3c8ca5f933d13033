// src/core/topology.hpp - the machine's CPUs as the engine sees them: CPU sets, pods, scopes.
//
//   cmwq::core::nr_cpus                 NR_CPUS: the largest CPU id + 1 cmwq can represent (4096).
//   cmwq::core::cpu_set                 a fixed-size CPU bitmap (cpumask_t): set algebra, iteration,
//                                       kernel-style "%*pb" hex and "%*pbl" list formatting/parsing.
//   cmwq::core::affinity_scope          the unbound affinity scopes (enum wq_affn_scope), with
//                                       affinity_scope_name() / parse_affinity_scope().
//   cmwq::core::default_affinity_scope()     the `default_affinity_scope` parameter (env + API).
//   cmwq::core::set_default_affinity_scope() changes it at run time.
//   cmwq::core::topology                the CPU pods of every scope (wq_pod_types[] in the kernel),
//                                       computed once for the process or from a fake sysfs tree.
//   cmwq::core::current_cpu()           the CPU the caller runs on (smp_processor_id()).
//
// semantics.md U2: the CPUs are the process's allowed CPUs at start-up, with their real ids; every
// other CPU is "offline". §5.9: each online CPU belongs to exactly one pod of each scope. U7: the
// module parameters `default_affinity_scope` and `cache_shard_size` are read from the environment
// variables CMWQ_DEFAULT_AFFINITY_SCOPE and CMWQ_CACHE_SHARD_SIZE.
// Kernel counterparts: init_pod_type(), cpus_share_cache(), the cache_shard split, wq_affn_names[].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace cmwq::core {

// NR_CPUS: CPU ids are 0 .. nr_cpus - 1. CPUs with larger ids are ignored (never online).
inline constexpr int nr_cpus = 4096;

// The kernel's `cache_shard_size` default: target number of *cores* (SMT groups) per shard.
inline constexpr int default_cache_shard_size = 8;

namespace detail {
[[gnu::cold]] void cpu_out_of_range(int cpu) noexcept;  // warns once; details for cpu_set only
}  // namespace detail

// cmwq::core::cpu_set
//
// A value type holding a set of CPU ids in [0, nr_cpus) (512 bytes, no allocation). Not
// synchronized: share it read-only or guard it like any other value. set()/clear() of an id out of
// range warn once and do nothing; test() of one returns false.
class cpu_set {
 public:
  static constexpr int capacity = nr_cpus;

  constexpr cpu_set() noexcept = default;
  cpu_set(std::initializer_list<int> cpus) noexcept {
    for (int c : cpus) set(c);
  }
  // cpu_set::range() - the CPUs first..last inclusive (empty if last < first); clamped to capacity.
  static cpu_set range(int first, int last) noexcept;

  // --- single CPUs --------------------------------------------------------------------------
  bool test(int cpu) const noexcept {
    return in_range(cpu) && ((words_[word(cpu)] >> bit(cpu)) & 1u) != 0;
  }
  void set(int cpu) noexcept {
    if (in_range(cpu)) words_[word(cpu)] |= std::uint64_t{1} << bit(cpu);
    else detail::cpu_out_of_range(cpu);
  }
  void clear(int cpu) noexcept {
    if (in_range(cpu)) words_[word(cpu)] &= ~(std::uint64_t{1} << bit(cpu));
    else detail::cpu_out_of_range(cpu);
  }
  void clear_all() noexcept { words_ = {}; }

  // --- whole-set queries ----------------------------------------------------------------------
  int count() const noexcept;
  bool empty() const noexcept;
  // cpu_set::first() - the lowest CPU in the set, or -1 if empty.
  int first() const noexcept { return next(-1); }
  // cpu_set::next() - the lowest CPU in the set that is greater than `cpu`, or -1 if none.
  // `for (int c = s.first(); c >= 0; c = s.next(c))` visits the CPUs in increasing order.
  int next(int cpu) const noexcept;
  // cpu_set::last() - the highest CPU in the set, or -1 if empty.
  int last() const noexcept;
  bool intersects(const cpu_set& o) const noexcept;
  bool subset_of(const cpu_set& o) const noexcept;

  // --- algebra --------------------------------------------------------------------------------
  cpu_set& operator&=(const cpu_set& o) noexcept;
  cpu_set& operator|=(const cpu_set& o) noexcept;
  cpu_set& and_not(const cpu_set& o) noexcept;  // removes every CPU of `o` (cpumask_andnot)
  friend cpu_set operator&(cpu_set a, const cpu_set& b) noexcept { return a &= b; }
  friend cpu_set operator|(cpu_set a, const cpu_set& b) noexcept { return a |= b; }
  bool operator==(const cpu_set&) const noexcept = default;

  std::size_t hash() const noexcept;

  // --- formatting and parsing ------------------------------------------------------------------
  // cpu_set::to_hex() - the kernel's "%*pb": 32-bit groups in hex, most significant first, joined
  // by commas. With nbits == 0 leading zero groups are dropped and the first group is not padded
  // ("f", "1,00000000", "0" when empty). With nbits > 0 the output is exactly what the kernel
  // prints for an nbits-wide mask (pass nr_cpu_ids to match sysfs: 8 CPUs, {0} -> "01");
  // CPUs >= nbits are not shown.
  std::string to_hex(int nbits = 0) const;
  // cpu_set::to_list() - the kernel's "%*pbl": ranges in increasing order, "0-3,8"; "" when empty.
  std::string to_list() const;
  // cpu_set::parse_list() - parses to_list() output as found in sysfs ("0-3,8", "" = empty; spaces
  // and one trailing newline allowed). Returns false, leaving *out untouched, on malformed input
  // or an id >= capacity.
  static bool parse_list(std::string_view text, cpu_set* out);
  // cpu_set::parse_hex() - parses to_hex() output (cpumask_parse): comma-separated groups of 1-8
  // hex digits, the last group being CPUs 0-31; one trailing newline allowed. Returns false,
  // leaving *out untouched, on malformed input or a set bit >= capacity.
  static bool parse_hex(std::string_view text, cpu_set* out);

  // --- iteration: `for (int cpu : set)` in increasing order -------------------------------------
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using pointer = const int*;
    using reference = int;
    iterator() noexcept = default;
    int operator*() const noexcept { return cpu_; }
    iterator& operator++() noexcept { cpu_ = set_->next(cpu_); return *this; }
    iterator operator++(int) noexcept { iterator t = *this; ++*this; return t; }
    bool operator==(const iterator& o) const noexcept { return cpu_ == o.cpu_; }

   private:
    friend class cpu_set;
    iterator(const cpu_set* s, int cpu) noexcept : set_(s), cpu_(cpu) {}
    const cpu_set* set_ = nullptr;
    int cpu_ = -1;
  };
  iterator begin() const noexcept { return {this, first()}; }
  iterator end() const noexcept { return {this, -1}; }

 private:
  static constexpr int word_bits = 64;
  static constexpr bool in_range(int cpu) noexcept { return cpu >= 0 && cpu < capacity; }
  static constexpr int word(int cpu) noexcept { return cpu / word_bits; }
  static constexpr int bit(int cpu) noexcept { return cpu % word_bits; }

  std::array<std::uint64_t, capacity / word_bits> words_{};
};

// enum wq_affn_scope, in the kernel's order. dfl means "whatever default_affinity_scope() says".
enum class affinity_scope { dfl, cpu, smt, cache, cache_shard, numa, system };
inline constexpr int nr_affinity_scopes = 7;  // WQ_AFFN_NR_TYPES

// affinity_scope_name() - "default", "cpu", "smt", "cache", "cache_shard", "numa", "system"
// (wq_affn_names[]); "invalid" for a value outside the enum. The string is static.
const char* affinity_scope_name(affinity_scope scope) noexcept;

// parse_affinity_scope() - the scope whose name is exactly `text` (case-sensitive; one trailing
// newline allowed, as sysfs_match_string() does). "default" parses to dfl. Returns false and
// leaves *out untouched if no name matches.
bool parse_affinity_scope(std::string_view text, affinity_scope* out) noexcept;

// default_affinity_scope() - the scope used by attrs whose scope is dfl (wq_affn_dfl).
//
// cache_shard unless CMWQ_DEFAULT_AFFINITY_SCOPE, read once on the first call of this function or
// of set_default_affinity_scope(), names another scope; "default" or an unknown name is ignored
// with a WARNING. Never returns dfl. Thread-safe, never blocks after the first call.
affinity_scope default_affinity_scope() noexcept;

// set_default_affinity_scope() - changes the default scope (the module parameter's set hook).
// Returns false and changes nothing for dfl or a value outside the enum (the kernel's -EINVAL);
// silent, so a sysfs-style caller can turn it into an error. Atomic (relaxed): units that read the
// default later see the new one; already computed pods are not recomputed by this call.
bool set_default_affinity_scope(affinity_scope scope) noexcept;

// cmwq::core::topology
//
// The CPU pods of every affinity scope, as init_pod_type() builds wq_pod_types[]. Immutable once
// built: get() hands out one process-wide instance that any thread may read without locking.
//
// Pods of one scope partition `online`; pods are numbered 0..nr_pods-1 in order of their lowest
// CPU. Sources (under the sysfs root, normally /sys/devices/system), always intersected with
// `online`:
//   cpu          one pod per CPU.
//   smt          cpu/cpuN/topology/thread_siblings_list (else core_cpus_list; else {N}).
//   cache        the shared_cpu_list of the non-instruction cpu/cpuN/cache/indexK with the highest
//                `level`, i.e. the LLC (else: all online CPUs).
//   cache_shard  each cache pod split into ceil(cores / cache_shard_size) shards of consecutive
//                cores (an SMT pod is one core, never split; cores ordered by lowest CPU); shard
//                sizes differ by at most one core, larger first: 36 cores -> 8+7+7+7+7.
//   numa         node/nodeN/cpulist (else one node 0; an online CPU in no list joins the lowest
//                node).
//   system       one pod with every online CPU.
// Two CPUs share a pod when either one's sysfs list names the other; a CPU joins the first pod
// (by lowest CPU) it shares with, so inconsistent sysfs data still gives a partition. Missing or
// unreadable files are never an error.
class topology {
 public:
  // topology::get() - the process's topology: online = sched_getaffinity() at the first call (or
  // 0..nprocs-1 if that fails), sysfs root /sys/devices/system (or CMWQ_SYSFS_ROOT if set and
  // not empty: a simulated machine for tests), cache_shard_size from
  // CMWQ_CACHE_SHARD_SIZE (a positive integer; anything else warns and uses 8). Computed once,
  // thread-safe, never destroyed; the first call reads sysfs (may block briefly), later calls
  // never block.
  static const topology& get();

  // topology::from_sysfs() - builds the topology of `online` from the sysfs tree under `root`
  // (the directory holding cpu/ and node/; a missing root gives the fallback described above).
  // An empty `online` is taken as {0}; cache_shard_size < 1 is taken as 1. For tests and tools.
  static topology from_sysfs(const std::string& root, const cpu_set& online,
                             int cache_shard_size = default_cache_shard_size);

  // CPUs the process may use (U2); every other CPU is offline.
  cpu_set online;
  // cpu_possible_mask: the same as `online`, since cmwq does not emulate hotplug of CPUs the
  // process was never allowed to use (U6).
  cpu_set possible;
  // Highest online CPU id + 1: arrays indexed by CPU have this many slots.
  int nr_cpu_ids = 1;
  // Highest NUMA node id of an online CPU + 1 (the kernel's nr_node_ids): arrays indexed by node
  // have this many slots.
  int nr_node_ids = 1;
  // Cores per cache shard used to build the cache_shard scope.
  int cache_shard_size = default_cache_shard_size;

  // topology::nr_pods() - the number of pods of `scope` (>= 1). dfl means default_affinity_scope()
  // at the time of the call, here and below.
  int nr_pods(affinity_scope scope) const noexcept;
  // topology::pod_cpus() - the online CPUs of pod `pod` of `scope` (never empty). An out-of-range
  // pod warns and returns an empty set.
  const cpu_set& pod_cpus(affinity_scope scope, int pod) const noexcept;
  // topology::pod_node() - the NUMA node of the pod's lowest CPU (wq_pod_type.pod_node); -1 for
  // an out-of-range pod.
  int pod_node(affinity_scope scope, int pod) const noexcept;
  // topology::pod_of() - the pod of `scope` holding `cpu` (wq_pod_type.cpu_pod); -1 if `cpu` is
  // offline or out of range.
  int pod_of(affinity_scope scope, int cpu) const noexcept;
  // topology::cpu_to_node() - the NUMA node of an online CPU; -1 if offline or out of range.
  int cpu_to_node(int cpu) const noexcept;
  // topology::used_fallback() - true if some sysfs data was missing and a fallback filled in
  // (each CPU its own core, all CPUs one LLC, or one node). Informational only.
  bool used_fallback() const noexcept { return fallback_; }

 private:
  struct pod_type {
    std::vector<cpu_set> pod_cpus;  // per pod
    std::vector<int> pod_node;      // per pod
    std::vector<int> cpu_pod;       // per CPU id < nr_cpu_ids; -1 when offline
  };
  const pod_type& type(affinity_scope scope) const noexcept;
  pod_type make_type(std::vector<cpu_set> pods) const;

  std::array<pod_type, nr_affinity_scopes> types_;  // index: the scope's value; [dfl] unused
  std::vector<int> cpu_node_;                         // per CPU id < nr_cpu_ids; -1 when offline
  bool fallback_ = false;
};

// current_cpu() - the CPU the calling thread runs on now (sched_getcpu()); the first online CPU
// if that fails or names an offline CPU. A racy snapshot: the thread may migrate right after.
int current_cpu() noexcept;
// local_cpu() - the same for a CPU number the caller read from sched_getcpu() already (the item
// path reads it once per queueing and uses it twice).
inline int local_cpu(int seen) noexcept {
  const topology& t = topology::get();
  return t.online.test(seen) ? seen : t.online.first();
}

}  // namespace cmwq::core

template <>
struct std::hash<cmwq::core::cpu_set> {
  std::size_t operator()(const cmwq::core::cpu_set& s) const noexcept { return s.hash(); }
};
