// src/lockdep/lockdep.cpp - switching the validator on and off, and each thread's held locks.
//
// The problem: the validator must cost nothing measurable when off (every lock operation of the
// library passes here), and must never be fooled by a switch in the middle of a critical
// section. The approach: one global flag, read with a relaxed load and a branch the compiler
// marks unlikely (lockdep.hpp's active()); everything else sits behind it. Each thread keeps its
// held-lock stack in a thread-local array stamped with the generation of the switch: turning
// lockdep on (or resetting it) starts a new generation, and a stack from an older one is
// dropped, so locks taken while lockdep was off are simply unknown (their release is ignored).
//
// Rules applied on acquire, as in the kernel's lockdep:
//  - a trylock is recorded as held but neither checked nor the target of new edges: it cannot
//    wait, so it cannot deadlock;
//  - a class already held by this thread is "possible recursive locking", unless both the held
//    and the new acquisition are reads and the new one is a recursive read;
//  - otherwise an edge is added from the top held lock, and from each lock below it down to and
//    including the first that was not taken with a trylock (the older ones reach the new lock
//    through that one).
#include <cstdlib>
#include <cstring>

#include "core/warn.hpp"
#include "lockdep/internal.hpp"

extern "C" {
int cmwq_lockdep_on_flag = 0;  // X: relaxed loads and stores; see active()
}

namespace cmwq::lockdep {

namespace detail {
namespace {

std::atomic<unsigned> g_generation{1};   // X: relaxed; bumped when on, or on reset
std::atomic<bool> g_limit_reported{false};  // X: relaxed; one "too low" message per run

struct task_locks {
  unsigned generation = 0;
  unsigned depth = 0;
  held_lock held[max_lock_depth];
};
thread_local task_locks t_locks;

task_locks& current_locks() noexcept {
  task_locks& t = t_locks;
  const unsigned gen = g_generation.load(std::memory_order_relaxed);
  if (t.generation != gen) {
    t.generation = gen;
    t.depth = 0;
  }
  return t;
}

// True if the acquisition may go on to add edges; reports recursion on a held class once.
bool check_recursion(const task_locks& t, const held_lock& next) noexcept {
  for (unsigned i = 0; i < t.depth; ++i) {
    const held_lock& prev = t.held[i];
    if (prev.cls != next.cls) continue;
    if (next.m == mode::recursive_read && prev.m != mode::exclusive) continue;  // read-after-read
    graph& g = the_graph();
    core::lock_guard guard(g.lock);
    if (active() && first_report(g, prev.cls, next.cls)) report_recursive(g, prev, next, t.held, t.depth);
    return false;
  }
  return true;
}

void validate(const task_locks& t, const held_lock& next) noexcept {
  if (!check_recursion(t, next)) return;
  for (unsigned i = t.depth; i-- > 0;) {
    add_dependency(t.held[i], next, t.held, t.depth);
    if (!t.held[i].trylock) break;
  }
}

std::uint32_t class_of(const void* key, unsigned subclass, const char* name) noexcept {
  if (const std::uint32_t cls = lookup_class(key, subclass)) return cls;
  graph& g = the_graph();
  core::lock_guard guard(g.lock);
  const std::uint32_t cls = register_class(g, key, subclass, name);
  if (!cls) limit_reached("MAX_LOCKDEP_KEYS");
  return cls;
}

// CMWQ_LOCKDEP=1 in the environment turns the validator on before main().
__attribute__((constructor)) void enable_from_environment() {
  const char* v = std::getenv("CMWQ_LOCKDEP");
  if (v && *v && std::strcmp(v, "0") != 0) enable(true);
}

}  // namespace

void limit_reached(const char* limit) noexcept {
  __atomic_store_n(&cmwq_lockdep_on_flag, 0, __ATOMIC_RELAXED);
  if (g_limit_reported.exchange(true, std::memory_order_relaxed)) return;
  core::count_warning();
  core::log_line("BUG: %s too low!", limit);
  core::log_line("turning off the locking correctness validator.");
}

}  // namespace detail

using namespace detail;

void enable(bool on) noexcept {
  if (on && !active()) {
    // A new generation: stacks recorded before (or while off) are stale.
    g_generation.fetch_add(1, std::memory_order_relaxed);
    g_limit_reported.store(false, std::memory_order_relaxed);
  }
  __atomic_store_n(&cmwq_lockdep_on_flag, on ? 1 : 0, __ATOMIC_RELAXED);
}

void reset() noexcept {
  graph& g = the_graph();
  core::lock_guard guard(g.lock);
  clear_graph(g);
  g_generation.fetch_add(1, std::memory_order_relaxed);
}

void acquire(const void* instance, const void* key, const char* name, unsigned subclass, bool trylock, mode m,
             std::uintptr_t ip) noexcept {
  if (!key || !active()) return;
  task_locks& t = current_locks();
  const std::uint32_t cls = class_of(key, subclass, name);
  if (!cls) return;
  if (t.depth >= max_lock_depth) {
    limit_reached("MAX_LOCK_DEPTH");
    return;
  }
  const held_lock h{instance, cls, m, trylock, ip};
  if (!trylock) validate(t, h);
  t.held[t.depth++] = h;
}

void release(const void* instance) noexcept {
  task_locks& t = current_locks();
  for (unsigned i = t.depth; i-- > 0;) {
    if (t.held[i].instance != instance) continue;
    // Out-of-order release is allowed: close the gap, keep the order of the rest.
    for (unsigned j = i + 1; j < t.depth; ++j) t.held[j - 1] = t.held[j];
    t.depth--;
    return;
  }
  // Not found: taken while lockdep was off, or untracked (null key). Nothing to do.
}

void touch(const void* instance, const void* key, const char* name, mode m, std::uintptr_t ip) noexcept {
  acquire(instance, key, name, 0, false, m, ip);
  release(instance);
}

bool is_held(const void* instance) noexcept {
  const task_locks& t = current_locks();
  for (unsigned i = 0; i < t.depth; ++i)
    if (t.held[i].instance == instance) return true;
  return false;
}

void unregister_key(const void* key) noexcept {
  // A key can only be registered after g_any_class was set, under the graph lock that the
  // registration and this scan both take; the relaxed early-out only skips "never used".
  if (!key || !g_any_class.load(std::memory_order_relaxed)) return;
  graph& g = the_graph();
  core::lock_guard guard(g.lock);
  forget_key(g, key);
}

void assert_held(const void* instance, const char* what, const char* file, int line) noexcept {
  if (active() && !is_held(instance))
    core::warn(file, line, "lockdep_assert_held", "lockdep_assert_held(%s) failed: the caller does not hold it", what);
}

void assert_not_held(const void* instance, const char* what, const char* file, int line) noexcept {
  if (active() && is_held(instance))
    core::warn(file, line, "lockdep_assert_not_held", "lockdep_assert_not_held(%s) failed: the caller holds it",
               what);
}

}  // namespace cmwq::lockdep
