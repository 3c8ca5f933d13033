// src/lockdep/internal.hpp - what the validator's files share: classes, edges, held locks.
//
//   lock_class   one (key, subclass): its name and the list of edges leaving it.
//   edge         "a thread held `from` while it acquired `to`": dependency kinds seen, and the
//                backtrace of the first time it was seen (printed in reports).
//   held_lock    one entry of a thread's held-lock stack.
//   graph        the classes, edges and report memory, all under graph.lock.
//
// Dependency kinds follow the kernel: the first letter says how the held lock was taken
// (E exclusive, S any reader), the second how the new one is taken (R recursive reader, N
// anything else). A path through a lock reached by an *R edge and left by an S* edge is not a
// deadlock (two readers of a recursive read lock never block each other).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/guards.hpp"
#include "core/lock.hpp"
#include "lockdep/lockdep.hpp"

namespace cmwq::lockdep::detail {

inline constexpr std::uint8_t dep_en = 1, dep_er = 2, dep_sn = 4, dep_sr = 8;
inline constexpr std::uint8_t deps_from_exclusive = dep_en | dep_er;
inline constexpr std::uint8_t deps_to_recursive = dep_er | dep_sr;
inline constexpr unsigned trace_depth = 8;

inline std::uint8_t dep_kind(mode held, mode next) noexcept {
  const bool shared = held != mode::exclusive;
  const bool recursive = next == mode::recursive_read;
  return shared ? (recursive ? dep_sr : dep_sn) : (recursive ? dep_er : dep_en);
}

struct lock_class {
  const void* key = nullptr;
  unsigned subclass = 0;
  char name[64] = {};
  std::uint32_t first_edge = 0;  // 0: none
  bool live = false;
};

struct edge {
  std::uint32_t from = 0, to = 0;
  std::uint32_t next = 0;  // next edge leaving `from` (or next free edge)
  std::uint8_t deps = 0;
  std::uint8_t trace_len = 0;
  void* trace[trace_depth] = {};
};

struct held_lock {
  const void* instance;
  std::uint32_t cls;
  mode m;
  bool trylock;
  std::uintptr_t ip;
};

struct graph {
  core::mutex lock;  // the graph lock; nothing is taken inside it but the log sink
  lock_class classes[max_classes] CMWQ_GUARDED_BY(lock);  // [0] unused: class ids start at 1
  std::uint32_t nr_classes CMWQ_GUARDED_BY(lock) = 1;     // high-water mark
  std::uint32_t free_classes[max_classes] CMWQ_GUARDED_BY(lock) = {};  // ids of unregistered classes
  std::uint32_t nr_free_classes CMWQ_GUARDED_BY(lock) = 0;
  edge edges[max_edges] CMWQ_GUARDED_BY(lock);            // [0] unused
  std::uint32_t nr_edges CMWQ_GUARDED_BY(lock) = 1;       // high-water mark
  std::uint32_t free_edge CMWQ_GUARDED_BY(lock) = 0;      // list through edge::next
  std::uint64_t reported[2 * max_reported] CMWQ_GUARDED_BY(lock) = {};  // open addressing; 0 empty
  std::uint32_t nr_reported CMWQ_GUARDED_BY(lock) = 0;
};

graph& the_graph() noexcept;

// The class of (key, subclass), or 0. Lock-free: reads the key table with acquire loads.
std::uint32_t lookup_class(const void* key, unsigned subclass) noexcept;
// Registers the class (or finds it). 0 when MAX_LOCKDEP_KEYS is reached (lockdep is then off).
std::uint32_t register_class(graph& g, const void* key, unsigned subclass, const char* name) noexcept
    CMWQ_REQUIRES(g.lock);
// Remembers that prev -> next (prev == next: recursion) was reported; false if it already was.
bool first_report(graph& g, std::uint32_t prev, std::uint32_t next) noexcept CMWQ_REQUIRES(g.lock);
void forget_key(graph& g, const void* key) noexcept CMWQ_REQUIRES(g.lock);
void clear_graph(graph& g) noexcept CMWQ_REQUIRES(g.lock);

// Bumped whenever classes or edges disappear: threads drop their caches of known edges.
extern std::atomic<unsigned> g_graph_epoch;
// Set by the first class registration: until then there is nothing to forget (destroying a
// queue with lockdep never used costs one load).
extern std::atomic<bool> g_any_class;

// Checks and records prev -> next; reports a cycle (once) instead of recording it.
void add_dependency(const held_lock& prev, const held_lock& next, const held_lock* held, unsigned depth) noexcept;

// Turns lockdep off with the kernel's "BUG: <limit> too low!" message (once).
void limit_reached(const char* limit) noexcept;

// report.cpp. Callers hold the graph lock (class names are read from it).
void report_circular(graph& g, const held_lock& prev, const held_lock& next, const std::uint32_t* path,
                     unsigned path_len, const held_lock* held, unsigned depth) noexcept CMWQ_REQUIRES(g.lock);
void report_recursive(graph& g, const held_lock& prev, const held_lock& next, const held_lock* held,
                      unsigned depth) noexcept CMWQ_REQUIRES(g.lock);
unsigned capture_trace(void** frames, unsigned max, unsigned skip) noexcept;
void count_report() noexcept;

}  // namespace cmwq::lockdep::detail
