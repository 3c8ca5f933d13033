// src/lockdep/graph.cpp - lock classes, the dependency graph and the cycle check.
//
// The problem: a deadlock needs two threads to interleave badly, and that may happen once a year.
// The kernel's lockdep finds it the first time the *orders* are seen, however the threads were
// timed: it records an edge A -> B whenever a thread holds a lock of class A while it acquires
// one of class B, and an edge that closes a cycle is a possible deadlock.
//
// The approach, as in the kernel: classes are keyed by (key, subclass), where the key is the
// address of a static object of the lock's init site (or of an explicit struct lock_class_key).
// A new edge prev -> next is checked with a breadth-first search from next for prev that follows
// only "strong" paths (see internal.hpp: recursive readers do not block each other), and is
// recorded only when no cycle is found. Each thread keeps a small cache of edges it knows exist,
// so a hot lock order costs a cache probe, not the graph lock.
//
// Memory is bounded by fixed tables (lockdep.hpp's limits); classes of dynamic keys (one per
// workqueue) are unregistered when the key dies, their edges freed, their slots reused.
//
// Lock-free class lookup: key_table slots are written under the graph lock (subclass and class
// id first, then the key with a release store); readers load the key with acquire, so a matching
// key shows them the id stored before it. Forgotten keys leave a tombstone that insertion reuses.
#include <cstdio>
#include <cstring>

#include "core/warn.hpp"
#include "lockdep/internal.hpp"

namespace cmwq::lockdep::detail {

std::atomic<unsigned> g_graph_epoch{1};  // X: relaxed; a stale cache only costs a graph-lock visit
std::atomic<bool> g_any_class{false};     // X: relaxed; written and read under the graph lock too

graph& the_graph() noexcept {
  static graph* g = new graph;  // never destroyed: threads may still lock at exit
  return *g;
}

namespace {

constexpr std::uint32_t key_slots = 2 * max_classes;
const void* const tombstone = reinterpret_cast<const void*>(1);

struct key_slot {
  std::atomic<const void*> key{nullptr};  // X: release store after sub/cls; acquire load
  std::atomic<unsigned> sub{0};           // X: relaxed, published by key
  std::atomic<std::uint32_t> cls{0};      // X: relaxed, published by key
};
key_slot g_keys[key_slots];

std::uint32_t key_hash(const void* key, unsigned subclass) noexcept {
  auto v = reinterpret_cast<std::uintptr_t>(key) ^ (static_cast<std::uintptr_t>(subclass) << 56);
  v ^= v >> 17;
  v *= 0x9e3779b97f4a7c15ull;
  return static_cast<std::uint32_t>(v >> 40) % key_slots;
}

std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) noexcept { return (std::uint64_t{a} << 32) | b; }

}  // namespace

bool first_report(graph& g, std::uint32_t prev, std::uint32_t next) noexcept {
  const std::uint64_t k = pair_key(prev, next);
  constexpr std::uint32_t n = 2 * max_reported;
  std::uint32_t i = static_cast<std::uint32_t>((k * 0x9e3779b97f4a7c15ull) >> 40) % n;
  for (std::uint32_t probes = 0; probes < n; ++probes, i = (i + 1) % n) {
    if (g.reported[i] == k) return false;
    if (g.reported[i] == 0) {
      if (g.nr_reported >= max_reported) return true;  // memory full: report, do not remember
      g.reported[i] = k;
      g.nr_reported++;
      return true;
    }
  }
  return true;
}

namespace {

std::uint32_t find_edge(graph& g, std::uint32_t from, std::uint32_t to) noexcept CMWQ_REQUIRES(g.lock) {
  for (std::uint32_t e = g.classes[from].first_edge; e; e = g.edges[e].next)
    if (g.edges[e].to == to) return e;
  return 0;
}

std::uint32_t new_edge(graph& g) noexcept CMWQ_REQUIRES(g.lock) {
  if (g.free_edge) {
    const std::uint32_t e = g.free_edge;
    g.free_edge = g.edges[e].next;
    return e;
  }
  if (g.nr_edges < max_edges) return g.nr_edges++;
  return 0;
}

// Breadth-first search for a strong path next ~> prev. States are (class, reached by an *R
// edge). Fills @path with the edges from next to prev and returns its length, or 0.
struct search_state {
  std::uint32_t stamp[2 * max_classes] = {};
  std::uint32_t via[2 * max_classes] = {};  // edge that reached the state
  std::uint32_t from[2 * max_classes] = {}; // state it was reached from
  std::uint32_t queue[2 * max_classes] = {};
  std::uint32_t generation = 0;
};

unsigned find_strong_path(graph& g, const held_lock& prev, const held_lock& next, std::uint32_t* path,
                          unsigned max_path) noexcept CMWQ_REQUIRES(g.lock) {
  static search_state* s = new search_state;  // guarded by the graph lock, like the graph
  if (++s->generation == 0) {
    std::memset(s->stamp, 0, sizeof s->stamp);
    s->generation = 1;
  }
  const std::uint32_t gen = s->generation;
  const bool prev_shared = prev.m != mode::exclusive;
  std::uint32_t head = 0, tail = 0;
  const std::uint32_t start = next.cls * 2 + (next.m == mode::recursive_read ? 1 : 0);
  s->stamp[start] = gen;
  s->queue[tail++] = start;
  auto visit = [&](std::uint32_t state, std::uint32_t e, std::uint32_t from_state) {
    if (s->stamp[state] == gen) return;
    s->stamp[state] = gen;
    s->via[state] = e;
    s->from[state] = from_state;
    s->queue[tail++] = state;
  };
  while (head < tail) {
    const std::uint32_t state = s->queue[head++];
    const std::uint32_t cls = state / 2;
    const bool reached_by_reader = state & 1;
    // The path closes through the new edge prev -> next: a recursive read of prev followed by
    // prev held as a reader is no deadlock.
    if (cls == prev.cls && state != start && !(reached_by_reader && prev_shared)) {
      unsigned len = 0;
      for (std::uint32_t st = state; st != start; st = s->from[st]) len++;
      if (len > max_path) len = max_path;
      unsigned i = len;
      for (std::uint32_t st = state; st != start && i > 0; st = s->from[st]) path[--i] = s->via[st];
      return len;
    }
    for (std::uint32_t e = g.classes[cls].first_edge; e; e = g.edges[e].next) {
      const std::uint8_t allowed = g.edges[e].deps & (reached_by_reader ? deps_from_exclusive : 0xf);
      if (allowed & ~deps_to_recursive) visit(g.edges[e].to * 2, e, state);
      if (allowed & deps_to_recursive) visit(g.edges[e].to * 2 + 1, e, state);
    }
  }
  return 0;
}

// Per-thread cache of edges known to be in the graph (or known to be reported).
struct edge_cache {
  unsigned epoch = 0;
  std::uint64_t slot[256] = {};
};
thread_local edge_cache t_cache;

std::uint64_t cache_key(std::uint32_t prev, std::uint32_t next, std::uint8_t kind) noexcept {
  return (pair_key(prev, next) << 4) | kind;
}

bool cached(std::uint64_t k) noexcept {
  const unsigned epoch = g_graph_epoch.load(std::memory_order_relaxed);
  if (t_cache.epoch != epoch) {
    std::memset(t_cache.slot, 0, sizeof t_cache.slot);
    t_cache.epoch = epoch;
    return false;
  }
  return t_cache.slot[(k * 0x9e3779b97f4a7c15ull) >> 56] == k;
}

void remember(std::uint64_t k) noexcept { t_cache.slot[(k * 0x9e3779b97f4a7c15ull) >> 56] = k; }

}  // namespace

std::uint32_t lookup_class(const void* key, unsigned subclass) noexcept {
  std::uint32_t i = key_hash(key, subclass);
  for (std::uint32_t probes = 0; probes < key_slots; ++probes, i = (i + 1) % key_slots) {
    const void* k = g_keys[i].key.load(std::memory_order_acquire);  // pairs with register_class()
    if (!k) return 0;
    if (k == key && g_keys[i].sub.load(std::memory_order_relaxed) == subclass)
      return g_keys[i].cls.load(std::memory_order_relaxed);
  }
  return 0;
}

std::uint32_t register_class(graph& g, const void* key, unsigned subclass, const char* name) noexcept {
  if (const std::uint32_t found = lookup_class(key, subclass)) return found;
  std::uint32_t cls = 0;
  if (g.nr_free_classes)
    cls = g.free_classes[--g.nr_free_classes];
  else if (g.nr_classes < max_classes)
    cls = g.nr_classes++;
  if (!cls) return 0;
  g_any_class.store(true, std::memory_order_relaxed);
  std::uint32_t i = key_hash(key, subclass);
  while (true) {
    const void* k = g_keys[i].key.load(std::memory_order_relaxed);
    if (!k || k == tombstone) break;
    i = (i + 1) % key_slots;
  }
  lock_class& c = g.classes[cls];
  c.key = key;
  c.subclass = subclass;
  if (subclass)
    std::snprintf(c.name, sizeof c.name, "%s/%u", name ? name : "lock", subclass);
  else
    std::snprintf(c.name, sizeof c.name, "%s", name ? name : "lock");
  c.first_edge = 0;
  c.live = true;
  g_keys[i].sub.store(subclass, std::memory_order_relaxed);
  g_keys[i].cls.store(cls, std::memory_order_relaxed);
  g_keys[i].key.store(key, std::memory_order_release);  // pairs with lookup_class()
  return cls;
}

void forget_key(graph& g, const void* key) noexcept {
  bool any = false;
  for (std::uint32_t i = 0; i < key_slots; ++i) {
    if (g_keys[i].key.load(std::memory_order_relaxed) != key) continue;
    const std::uint32_t cls = g_keys[i].cls.load(std::memory_order_relaxed);
    g_keys[i].key.store(tombstone, std::memory_order_release);
    // Free the edges leaving the class, then those entering it.
    for (std::uint32_t e = g.classes[cls].first_edge; e;) {
      const std::uint32_t next = g.edges[e].next;
      g.edges[e] = edge{};
      g.edges[e].next = g.free_edge;
      g.free_edge = e;
      e = next;
    }
    for (std::uint32_t c = 1; c < g.nr_classes; ++c) {
      std::uint32_t* link = &g.classes[c].first_edge;
      while (*link) {
        const std::uint32_t e = *link;
        if (g.edges[e].to != cls) {
          link = &g.edges[e].next;
          continue;
        }
        *link = g.edges[e].next;
        g.edges[e] = edge{};
        g.edges[e].next = g.free_edge;
        g.free_edge = e;
      }
    }
    // Forget reports that name the class, so that its slot's next owner is reported afresh.
    for (std::uint64_t& r : g.reported) {
      if (r && (static_cast<std::uint32_t>(r >> 32) == cls || static_cast<std::uint32_t>(r) == cls)) {
        r = 0;
        g.nr_reported--;
      }
    }
    g.classes[cls] = lock_class{};
    g.free_classes[g.nr_free_classes++] = cls;
    any = true;
  }
  if (!any) return;
  // Rebuild the report set: clearing entries above may have cut probe chains.
  std::uint64_t kept[2 * max_reported];
  std::memcpy(kept, g.reported, sizeof kept);
  std::memset(g.reported, 0, sizeof g.reported);
  g.nr_reported = 0;
  for (const std::uint64_t r : kept)
    if (r) (void)first_report(g, static_cast<std::uint32_t>(r >> 32), static_cast<std::uint32_t>(r));
  g_graph_epoch.fetch_add(1, std::memory_order_relaxed);
}

void clear_graph(graph& g) noexcept {
  for (key_slot& s : g_keys) s.key.store(nullptr, std::memory_order_relaxed);
  for (std::uint32_t c = 0; c < g.nr_classes; ++c) g.classes[c] = lock_class{};
  for (std::uint32_t e = 0; e < g.nr_edges; ++e) g.edges[e] = edge{};
  g.nr_classes = 1;
  g.nr_free_classes = 0;
  g.nr_edges = 1;
  g.free_edge = 0;
  std::memset(g.reported, 0, sizeof g.reported);
  g.nr_reported = 0;
  g_graph_epoch.fetch_add(1, std::memory_order_relaxed);
}

void add_dependency(const held_lock& prev, const held_lock& next, const held_lock* held, unsigned depth) noexcept {
  const std::uint8_t kind = dep_kind(prev.m, next.m);
  const std::uint64_t ck = cache_key(prev.cls, next.cls, kind);
  if (cached(ck)) return;
  graph& g = the_graph();
  core::lock_guard guard(g.lock);
  if (!active()) return;
  const std::uint32_t e = find_edge(g, prev.cls, next.cls);
  if (e && (g.edges[e].deps & kind)) {
    remember(ck);
    return;
  }
  std::uint32_t path[64];
  if (const unsigned len = find_strong_path(g, prev, next, path, 64)) {
    if (first_report(g, prev.cls, next.cls)) report_circular(g, prev, next, path, len, held, depth);
    remember(ck);
    return;
  }
  if (e) {
    g.edges[e].deps |= kind;
  } else {
    const std::uint32_t ne = new_edge(g);
    if (!ne) {
      limit_reached("MAX_LOCKDEP_ENTRIES");
      return;
    }
    edge& d = g.edges[ne];
    d.from = prev.cls;
    d.to = next.cls;
    d.deps = kind;
    d.trace_len = static_cast<std::uint8_t>(capture_trace(d.trace, trace_depth, 3));
    d.next = g.classes[prev.cls].first_edge;
    g.classes[prev.cls].first_edge = ne;
  }
  remember(ck);
}

}  // namespace cmwq::lockdep::detail
