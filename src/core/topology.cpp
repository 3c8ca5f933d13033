// src/core/topology.cpp - CPU sets, affinity scope names and the pods of every scope.
//
// The problem: unbound pools are shared by CPUs of one pod, and the kernel learns the pods from
// arch code (cpu_smt_mask, cpus_share_cache, cpu_to_node). User space has only sysfs, which may be
// absent (containers), partial (no cache/ directory on some VMs) or inconsistent with the CPUs the
// process may use. The approach: read one sysfs list per CPU and scope, intersect it with the
// online CPUs, and group CPUs the way init_pod_type() does - a CPU joins the first pod (by lowest
// CPU) whose first CPU it shares with - which yields a partition whatever the lists say. Anything
// missing falls back to the safest answer (own core, one LLC, one node). cache_shard is derived
// from the cache and smt pods, so siblings can never straddle a shard boundary.
//
// Everything is computed once; the result is immutable, so readers need no lock. The default
// scope is the one mutable global: an atomic written by set_default_affinity_scope().
#include "topology.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "warn.hpp"

namespace cmwq::core {

// ------------------------------------------------------------------------------------------------
// cpu_set
// ------------------------------------------------------------------------------------------------

namespace detail {
void cpu_out_of_range(int cpu) noexcept {
  CMWQ_WARN_ONCE("cpu_set: CPU %d out of range [0, %d), ignored", cpu, nr_cpus);
}
}  // namespace detail

cpu_set cpu_set::range(int first, int last) noexcept {
  cpu_set s;
  for (int c = std::max(first, 0); c <= last && c < capacity; ++c) s.set(c);
  return s;
}

int cpu_set::count() const noexcept {
  int n = 0;
  for (std::uint64_t w : words_) n += std::popcount(w);
  return n;
}

bool cpu_set::empty() const noexcept {
  for (std::uint64_t w : words_)
    if (w) return false;
  return true;
}

int cpu_set::next(int cpu) const noexcept {
  int c = cpu + 1;
  if (c < 0) c = 0;
  if (c >= capacity) return -1;
  int i = word(c);
  std::uint64_t w = words_[i] & (~std::uint64_t{0} << bit(c));
  for (;;) {
    if (w) return i * word_bits + std::countr_zero(w);
    if (++i == static_cast<int>(words_.size())) return -1;
    w = words_[i];
  }
}

int cpu_set::last() const noexcept {
  for (int i = static_cast<int>(words_.size()) - 1; i >= 0; --i)
    if (words_[i]) return i * word_bits + (word_bits - 1 - std::countl_zero(words_[i]));
  return -1;
}

bool cpu_set::intersects(const cpu_set& o) const noexcept {
  for (std::size_t i = 0; i < words_.size(); ++i)
    if (words_[i] & o.words_[i]) return true;
  return false;
}

bool cpu_set::subset_of(const cpu_set& o) const noexcept {
  for (std::size_t i = 0; i < words_.size(); ++i)
    if (words_[i] & ~o.words_[i]) return false;
  return true;
}

cpu_set& cpu_set::operator&=(const cpu_set& o) noexcept {
  for (std::size_t i = 0; i < words_.size(); ++i) words_[i] &= o.words_[i];
  return *this;
}

cpu_set& cpu_set::operator|=(const cpu_set& o) noexcept {
  for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= o.words_[i];
  return *this;
}

cpu_set& cpu_set::and_not(const cpu_set& o) noexcept {
  for (std::size_t i = 0; i < words_.size(); ++i) words_[i] &= ~o.words_[i];
  return *this;
}

std::size_t cpu_set::hash() const noexcept {
  // FNV-1a over the words, each word pre-mixed (splitmix64 finaliser) so that sets differing in
  // one high bit still spread over the low bits of the result.
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint64_t w : words_) {
    w ^= w >> 30; w *= 0xbf58476d1ce4e5b9ull;
    w ^= w >> 27; w *= 0x94d049bb133111ebull;
    w ^= w >> 31;
    h = (h ^ w) * 0x100000001b3ull;
  }
  return static_cast<std::size_t>(h);
}

namespace {

std::uint32_t group32(const std::array<std::uint64_t, nr_cpus / 64>& words, int g) {
  return static_cast<std::uint32_t>(words[g / 2] >> (32 * (g % 2)));
}

// Strips one trailing newline (as sysfs_streq() does) and surrounding blanks.
std::string_view trim(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a decimal CPU id < nr_cpus; false on anything else.
bool parse_cpu(std::string_view s, int* out) {
  s = trim(s);
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  if (v >= nr_cpus) return false;
  *out = v;
  return true;
}

}  // namespace

std::string cpu_set::to_hex(int nbits) const {
  char buf[16];
  std::string out;
  int top;       // index of the most significant 32-bit group printed
  int width;     // digits of that group (0 = unpadded)
  cpu_set shown = *this;
  if (nbits > 0) {
    nbits = std::min(nbits, capacity);
    shown &= range(0, nbits - 1);
    top = (nbits - 1) / 32;
    width = ((nbits - 1) % 32) / 4 + 1;
  } else {
    int hi = last();
    top = hi < 0 ? 0 : hi / 32;
    width = 0;
  }
  for (int g = top; g >= 0; --g) {
    std::snprintf(buf, sizeof buf, "%s%0*x", g == top ? "" : ",", g == top ? width : 8,
                  static_cast<unsigned>(group32(shown.words_, g)));
    out += buf;
  }
  return out;
}

std::string cpu_set::to_list() const {
  std::string out;
  for (int c = first(); c >= 0;) {
    int end = c;
    while (end + 1 < capacity && test(end + 1)) ++end;
    if (!out.empty()) out += ',';
    out += std::to_string(c);
    if (end > c) out += '-' + std::to_string(end);
    c = next(end);
  }
  return out;
}

bool cpu_set::parse_list(std::string_view text, cpu_set* out) {
  cpu_set s;
  text = trim(text);
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view tok = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && trim(text).empty()) return false;  // "1,"
    std::size_t dash = tok.find('-');
    int lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!parse_cpu(tok, &lo)) return false;
      hi = lo;
    } else if (!parse_cpu(tok.substr(0, dash), &lo) || !parse_cpu(tok.substr(dash + 1), &hi) ||
               hi < lo) {
      return false;
    }
    for (int c = lo; c <= hi; ++c) s.set(c);
  }
  *out = s;
  return true;
}

bool cpu_set::parse_hex(std::string_view text, cpu_set* out) {
  cpu_set s;
  text = trim(text);
  if (text.empty()) return false;
  int g = 0;  // group index, counted from the least significant (last) group
  while (true) {
    std::size_t comma = text.rfind(',');
    std::string_view tok = comma == std::string_view::npos ? text : text.substr(comma + 1);
    if (tok.empty() || tok.size() > 8) return false;
    std::uint32_t v = 0;
    for (char ch : tok) {
      int d = ch >= '0' && ch <= '9'   ? ch - '0'
              : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                       : -1;
      if (d < 0) return false;
      v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    if (v) {
      if (g >= capacity / 32) return false;
      s.words_[g / 2] |= std::uint64_t{v} << (32 * (g % 2));
    }
    ++g;
    if (comma == std::string_view::npos) break;
    text = text.substr(0, comma);
  }
  *out = s;
  return true;
}

// ------------------------------------------------------------------------------------------------
// affinity scopes and the default scope
// ------------------------------------------------------------------------------------------------

namespace {

constexpr const char* scope_names[nr_affinity_scopes] = {
    "default", "cpu", "smt", "cache", "cache_shard", "numa", "system"};

bool valid_scope(affinity_scope s) {
  int i = static_cast<int>(s);
  return i >= 0 && i < nr_affinity_scopes;
}

// wq_affn_dfl. WO: written by set_default_affinity_scope() and once from the environment, read
// relaxed: it is a lone tunable, nothing else is published with it.
std::atomic<int> g_dfl_scope{static_cast<int>(affinity_scope::cache_shard)};

// Applies CMWQ_DEFAULT_AFFINITY_SCOPE exactly once, before the first read or write of the default
// (the static initialiser runs once and other callers wait for it), so an API call made later
// always wins over the environment.
void apply_env_default_scope() {
  static const bool applied = [] {
    const char* v = std::getenv("CMWQ_DEFAULT_AFFINITY_SCOPE");
    if (!v) return true;
    affinity_scope s;
    if (!parse_affinity_scope(v, &s))
      CMWQ_WARN("CMWQ_DEFAULT_AFFINITY_SCOPE=\"%s\" is not an affinity scope, using %s", v,
                affinity_scope_name(affinity_scope::cache_shard));
    else if (s == affinity_scope::dfl)
      CMWQ_WARN("CMWQ_DEFAULT_AFFINITY_SCOPE=\"%s\" rejected: the default scope must be a real "
                "scope, using %s", v, affinity_scope_name(affinity_scope::cache_shard));
    else
      g_dfl_scope.store(static_cast<int>(s), std::memory_order_relaxed);
    return true;
  }();
  (void)applied;
}

}  // namespace

const char* affinity_scope_name(affinity_scope scope) noexcept {
  return valid_scope(scope) ? scope_names[static_cast<int>(scope)] : "invalid";
}

bool parse_affinity_scope(std::string_view text, affinity_scope* out) noexcept {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  for (int i = 0; i < nr_affinity_scopes; ++i) {
    if (text == scope_names[i]) {
      *out = static_cast<affinity_scope>(i);
      return true;
    }
  }
  return false;
}

affinity_scope default_affinity_scope() noexcept {
  apply_env_default_scope();
  return static_cast<affinity_scope>(g_dfl_scope.load(std::memory_order_relaxed));
}

bool set_default_affinity_scope(affinity_scope scope) noexcept {
  apply_env_default_scope();
  if (!valid_scope(scope) || scope == affinity_scope::dfl) return false;
  g_dfl_scope.store(static_cast<int>(scope), std::memory_order_relaxed);
  return true;
}

// ------------------------------------------------------------------------------------------------
// topology: reading sysfs and building the pods
// ------------------------------------------------------------------------------------------------

namespace {

// Reads a small sysfs file whole; false if it cannot be opened or read.
bool read_text(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  out->clear();
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
}

// Reads a CPU list file and intersects it with `online`; false if missing or malformed.
bool read_list(const std::string& path, const cpu_set& online, cpu_set* out) {
  std::string text;
  cpu_set s;
  if (!read_text(path, &text) || !cpu_set::parse_list(text, &s)) return false;
  *out = s & online;
  return true;
}

// init_pod_type()'s grouping: walking the online CPUs upwards, each joins the first pod whose
// lowest CPU it shares with (either CPU's list names the other), else opens a new pod.
std::vector<cpu_set> group_by(const cpu_set& online, const std::vector<cpu_set>& shares) {
  std::vector<cpu_set> pods;
  std::vector<int> firsts;
  for (int cpu : online) {
    std::size_t i = 0;
    for (; i < pods.size(); ++i)
      if (shares[firsts[i]].test(cpu) || shares[cpu].test(firsts[i])) break;
    if (i == pods.size()) {
      pods.emplace_back();
      firsts.push_back(cpu);
    }
    pods[i].set(cpu);
  }
  return pods;
}

// Splits one LLC pod into shards of whole cores: ceil(n / size) shards, the first n % shards of
// them one core larger, cores taken in order of their lowest CPU.
void split_cache_pod(const cpu_set& llc, const std::vector<cpu_set>& smt_pods,
                     const std::vector<int>& smt_pod_of, int size, std::vector<cpu_set>* shards) {
  std::vector<cpu_set> cores;
  std::map<int, std::size_t> core_of_smt;  // smt pod -> index in cores
  for (int cpu : llc) {
    auto [it, fresh] = core_of_smt.emplace(smt_pod_of[cpu], cores.size());
    if (fresh) cores.push_back(smt_pods[smt_pod_of[cpu]] & llc);
  }
  const std::size_t n = cores.size();
  const std::size_t nr = (n + static_cast<std::size_t>(size) - 1) / static_cast<std::size_t>(size);
  std::size_t core = 0;
  for (std::size_t i = 0; i < nr; ++i) {
    cpu_set shard;
    for (std::size_t k = 0; k < n / nr + (i < n % nr ? 1 : 0); ++k) shard |= cores[core++];
    shards->push_back(shard);
  }
}

// The per-CPU lists from_sysfs() groups into pods, indexed by CPU id: the SMT siblings and the
// CPUs sharing the LLC of each online CPU (every CPU is in its own lists).
struct cpu_lists {
  std::vector<cpu_set> smt, llc;
};

// The LLC of one CPU: the shared_cpu_list of the non-instruction cache index with the highest
// level under `dir` (cpu/cpuN); false if there is none.
bool read_llc(const std::string& dir, const cpu_set& online, cpu_set* llc) {
  int best_level = -1;
  std::string text;
  for (int k = 0;; ++k) {
    const std::string idx = dir + "/cache/index" + std::to_string(k);
    int level = 0;
    if (!read_text(idx + "/level", &text)) break;
    if (!parse_cpu(text, &level) || level <= best_level) continue;
    if (read_text(idx + "/type", &text) && trim(text) == "Instruction") continue;
    cpu_set shared;
    if (!read_list(idx + "/shared_cpu_list", online, &shared)) continue;
    best_level = level;
    *llc = shared;
  }
  return best_level >= 0;
}

// Per-CPU lists of from_sysfs() for `n` CPU ids: SMT siblings from thread_siblings_list (else
// core_cpus_list, else the CPU alone), the LLC from read_llc() (else every online CPU). Sets
// *fallback when some file was missing.
cpu_lists read_cpu_lists(const std::string& root, const cpu_set& online, std::size_t n,
                         bool* fallback) {
  cpu_lists l{std::vector<cpu_set>(n), std::vector<cpu_set>(n)};
  for (int cpu : online) {
    const std::string dir = root + "/cpu/cpu" + std::to_string(cpu);
    if (!read_list(dir + "/topology/thread_siblings_list", online, &l.smt[cpu]) &&
        !read_list(dir + "/topology/core_cpus_list", online, &l.smt[cpu]))
      *fallback = true;
    l.smt[cpu].set(cpu);
    if (!read_llc(dir, online, &l.llc[cpu])) {
      *fallback = true;
      l.llc[cpu] = online;
    }
    l.llc[cpu].set(cpu);
  }
  return l;
}

// NUMA nodes of from_sysfs(): node/nodeN/cpulist, in increasing N. Fills the node of every
// online CPU into *cpu_node (`n` slots, -1 when offline) and returns the CPUs of each node; an
// online CPU in no list joins the lowest node (node 0 if there is none) and sets *fallback.
std::map<int, cpu_set> read_nodes(const std::string& root, const cpu_set& online, std::size_t n,
                                  std::vector<int>* cpu_node, bool* fallback) {
  std::map<int, cpu_set> nodes;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(root + "/node", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int id = 0;
    cpu_set cpus;
    if (name.rfind("node", 0) == 0 && parse_cpu(std::string_view(name).substr(4), &id) &&
        read_list(it->path().string() + "/cpulist", online, &cpus))
      nodes.emplace(id, cpus);
  }
  cpu_node->assign(n, -1);
  std::map<int, cpu_set> node_cpus;
  for (int cpu : online) {
    int node = -1;
    for (const auto& [id, cpus] : nodes) {
      if (cpus.test(cpu)) {
        node = id;
        break;
      }
    }
    if (node < 0) {
      *fallback = true;
      node = nodes.empty() ? 0 : nodes.begin()->first;
    }
    (*cpu_node)[cpu] = node;
    node_cpus[node].set(cpu);
  }
  return node_cpus;
}

cpu_set process_cpus() {
  cpu_set online;
  cpu_set_t* mask = CPU_ALLOC(nr_cpus);
  const std::size_t size = CPU_ALLOC_SIZE(nr_cpus);
  if (mask && ::sched_getaffinity(0, size, mask) == 0) {
    for (int c = 0; c < nr_cpus; ++c)
      if (CPU_ISSET_S(static_cast<std::size_t>(c), size, mask)) online.set(c);
  }
  if (mask) CPU_FREE(mask);
  if (online.empty()) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    CMWQ_WARN("sched_getaffinity() failed, assuming CPUs 0-%ld", std::max(n, 1L) - 1);
    online = cpu_set::range(0, static_cast<int>(std::clamp(n, 1L, long{nr_cpus})) - 1);
  }
  return online;
}

int env_cache_shard_size() {
  const char* v = std::getenv("CMWQ_CACHE_SHARD_SIZE");
  if (!v) return default_cache_shard_size;
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(v, &end, 10);
  if (errno || end == v || !trim(end).empty() || n < 1 || n > nr_cpus) {
    CMWQ_WARN("CMWQ_CACHE_SHARD_SIZE=\"%s\" is not a positive core count, using %d", v,
              default_cache_shard_size);
    return default_cache_shard_size;
  }
  return static_cast<int>(n);
}

}  // namespace

topology::pod_type topology::make_type(std::vector<cpu_set> pods) const {
  std::sort(pods.begin(), pods.end(),
            [](const cpu_set& a, const cpu_set& b) { return a.first() < b.first(); });
  pod_type t;
  t.cpu_pod.assign(static_cast<std::size_t>(nr_cpu_ids), -1);
  for (const cpu_set& pod : pods) {
    for (int cpu : pod) t.cpu_pod[cpu] = static_cast<int>(t.pod_cpus.size());
    t.pod_node.push_back(cpu_node_[pod.first()]);
    t.pod_cpus.push_back(pod);
  }
  return t;
}

topology topology::from_sysfs(const std::string& root, const cpu_set& online_in,
                              int cache_shard_size) {
  topology t;
  t.online = online_in.empty() ? cpu_set{0} : online_in;
  t.possible = t.online;
  t.nr_cpu_ids = t.online.last() + 1;
  t.cache_shard_size = std::max(cache_shard_size, 1);
  const cpu_set& online = t.online;
  const auto n = static_cast<std::size_t>(t.nr_cpu_ids);

  // Per-CPU lists: SMT siblings and the CPUs sharing the LLC.
  const cpu_lists lists = read_cpu_lists(root, online, n, &t.fallback_);

  // NUMA nodes: node/nodeN/cpulist, in increasing N.
  const std::map<int, cpu_set> node_cpus = read_nodes(root, online, n, &t.cpu_node_, &t.fallback_);
  t.nr_node_ids = node_cpus.empty() ? 1 : node_cpus.rbegin()->first + 1;

  // The pods of every scope.
  std::vector<cpu_set> pods;
  for (int cpu : online) pods.push_back(cpu_set{cpu});
  t.types_[static_cast<int>(affinity_scope::cpu)] = t.make_type(std::move(pods));

  t.types_[static_cast<int>(affinity_scope::smt)] = t.make_type(group_by(online, lists.smt));
  t.types_[static_cast<int>(affinity_scope::cache)] = t.make_type(group_by(online, lists.llc));

  const pod_type& smt_type = t.types_[static_cast<int>(affinity_scope::smt)];
  pods.clear();
  for (const cpu_set& pod : t.types_[static_cast<int>(affinity_scope::cache)].pod_cpus)
    split_cache_pod(pod, smt_type.pod_cpus, smt_type.cpu_pod, t.cache_shard_size, &pods);
  t.types_[static_cast<int>(affinity_scope::cache_shard)] = t.make_type(std::move(pods));

  pods.clear();
  for (const auto& [id, cpus] : node_cpus) pods.push_back(cpus);
  t.types_[static_cast<int>(affinity_scope::numa)] = t.make_type(std::move(pods));

  t.types_[static_cast<int>(affinity_scope::system)] = t.make_type({online});
  return t;
}

namespace {

// CMWQ_SYSFS_ROOT names another tree than /sys/devices/system (a simulated machine: tests that
// need several NUMA nodes on a one-node host); unset or empty means the real one.
std::string sysfs_root() {
  const char* v = std::getenv("CMWQ_SYSFS_ROOT");
  return v && *v ? std::string(v) : std::string("/sys/devices/system");
}

}  // namespace

const topology& topology::get() {
  // Leaked on purpose: workers and atexit handlers may still ask during process exit.
  static const topology* const instance =
      new topology(from_sysfs(sysfs_root(), process_cpus(), env_cache_shard_size()));
  return *instance;
}

const topology::pod_type& topology::type(affinity_scope scope) const noexcept {
  if (scope == affinity_scope::dfl) scope = default_affinity_scope();
  if (!valid_scope(scope)) {
    CMWQ_WARN("invalid affinity scope %d, using system", static_cast<int>(scope));
    scope = affinity_scope::system;
  }
  return types_[static_cast<int>(scope)];
}

int topology::nr_pods(affinity_scope scope) const noexcept {
  return static_cast<int>(type(scope).pod_cpus.size());
}

const cpu_set& topology::pod_cpus(affinity_scope scope, int pod) const noexcept {
  static const cpu_set none;
  const pod_type& t = type(scope);
  if (pod < 0 || pod >= static_cast<int>(t.pod_cpus.size())) {
    CMWQ_WARN("%s pod %d does not exist (%zu pods)", affinity_scope_name(scope), pod,
              t.pod_cpus.size());
    return none;
  }
  return t.pod_cpus[pod];
}

int topology::pod_node(affinity_scope scope, int pod) const noexcept {
  const pod_type& t = type(scope);
  return pod < 0 || pod >= static_cast<int>(t.pod_node.size()) ? -1 : t.pod_node[pod];
}

int topology::pod_of(affinity_scope scope, int cpu) const noexcept {
  const pod_type& t = type(scope);
  return cpu < 0 || cpu >= nr_cpu_ids ? -1 : t.cpu_pod[cpu];
}

int topology::cpu_to_node(int cpu) const noexcept {
  return cpu < 0 || cpu >= nr_cpu_ids ? -1 : cpu_node_[cpu];
}

int current_cpu() noexcept { return local_cpu(::sched_getcpu()); }

}  // namespace cmwq::core
