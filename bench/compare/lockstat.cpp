// bench/compare/lockstat.cpp - the pthread mutex interposer behind lockstat.hpp.
//
// Problem: the scaling workload must say which lock the producers wait for and for how long,
// without a profiler (none with lock events runs on these VMs) and without instrumenting the
// library. Approach: this executable defines pthread_mutex_lock/unlock (every caller in the
// process binds to them) and forwards to libc's. Counting is per thread, in a table that only its
// thread writes (no shared counter adds the contention it measures); lockstat_top() sums the
// tables by mutex address. The clock is read only on the contended path and on every 16th
// acquisition (hold sampling).
#include "compare/lockstat.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>

#include "compare/compare.hpp"

namespace cmwq_bench {
namespace {

using lock_fn = int (*)(pthread_mutex_t*);

lock_fn real_lock = nullptr;
lock_fn real_trylock = nullptr;
lock_fn real_unlock = nullptr;

void resolve() {
  real_lock = reinterpret_cast<lock_fn>(dlsym(RTLD_NEXT, "pthread_mutex_lock"));
  real_trylock = reinterpret_cast<lock_fn>(dlsym(RTLD_NEXT, "pthread_mutex_trylock"));
  real_unlock = reinterpret_cast<lock_fn>(dlsym(RTLD_NEXT, "pthread_mutex_unlock"));
  if (!real_lock || !real_trylock || !real_unlock) std::abort();
}
__attribute__((constructor)) void resolve_early() { resolve(); }

std::atomic<bool> g_on{false};

// One thread's counts. Written only by its thread (relaxed loads and stores, no read-modify-
// write); read by lockstat_top() from another thread, racily but without tearing.
constexpr std::size_t table_size = 256;  // mutexes per thread; a full table drops the rest
struct entry {
  std::atomic<const void*> mutex{nullptr};
  std::atomic<const void*> caller{nullptr};
  std::atomic<std::uint64_t> acquisitions{0}, contended{0}, wait_ns{0}, hold_samples{0}, hold_ns{0};
  std::uint64_t held_since = 0;  // owner only: the sampled acquisition being timed, or 0
};
struct table {
  entry e[table_size];
  unsigned sample = 0;  // owner only
  std::atomic<bool> cleared{false};
  table* next = nullptr;  // registry list, guarded by g_registry_lock
};

pthread_mutex_t g_registry_lock = PTHREAD_MUTEX_INITIALIZER;  // taken with real_lock only
table* g_tables = nullptr;                                    // every thread's table, newest first
thread_local table* tl_table = nullptr;

table* my_table() {
  if (tl_table) return tl_table;
  auto* t = new table;
  real_lock(&g_registry_lock);
  t->next = g_tables;
  g_tables = t;
  real_unlock(&g_registry_lock);
  tl_table = t;
  return t;
}

void bump(std::atomic<std::uint64_t>& c, std::uint64_t by) { c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed); }

// The entry of mutex m in t (claimed if new), or null when the table is full.
entry* find(table* t, const void* m, const void* caller) {
  if (t->cleared.load(std::memory_order_acquire)) {
    for (auto& e : t->e) e.mutex.store(nullptr, std::memory_order_relaxed);
    t->cleared.store(false, std::memory_order_relaxed);
  }
  std::size_t h = (reinterpret_cast<std::uintptr_t>(m) >> 4) % table_size;
  for (std::size_t i = 0; i < table_size; i++, h = (h + 1) % table_size) {
    entry& e = t->e[h];
    const void* k = e.mutex.load(std::memory_order_relaxed);
    if (k == m) return &e;
    if (k) continue;
    if (!caller) return nullptr;  // unlock of a mutex this thread never counted
    for (auto* c : {&e.acquisitions, &e.contended, &e.wait_ns, &e.hold_samples, &e.hold_ns}) c->store(0, std::memory_order_relaxed);
    e.held_since = 0;
    e.caller.store(caller, std::memory_order_relaxed);
    e.mutex.store(m, std::memory_order_release);
    return &e;
  }
  return nullptr;
}

int counted_lock(pthread_mutex_t* m, const void* caller) {
  table* t = my_table();
  entry* e = find(t, m, caller);
  int rc = real_trylock(m);
  std::uint64_t acquired = 0;
  if (rc == EBUSY) {
    const std::uint64_t t0 = now_ns();
    rc = real_lock(m);
    acquired = now_ns();
    if (e) {
      bump(e->contended, 1);
      bump(e->wait_ns, acquired - t0);
    }
  }
  if (rc != 0 || !e) return rc;
  bump(e->acquisitions, 1);
  if ((++t->sample & 15) == 0) e->held_since = acquired ? acquired : now_ns();
  return 0;
}

void counted_unlock(pthread_mutex_t* m) {
  entry* e = tl_table ? find(tl_table, m, nullptr) : nullptr;
  if (!e || !e->held_since) return;
  bump(e->hold_ns, now_ns() - e->held_since);
  bump(e->hold_samples, 1);
  e->held_since = 0;
}

std::string symbol_name(const void* ip) {
  Dl_info info{};
  if (!ip || !dladdr(ip, &info) || !info.dli_sname) return "?";
  int status = 0;
  char* d = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : info.dli_sname;
  std::free(d);
  const auto paren = s.find('(');  // the name without its parameter list
  return paren == std::string::npos ? s : s.substr(0, paren);
}

}  // namespace

void lockstat_enable(bool on) { g_on.store(on, std::memory_order_release); }

void lockstat_reset() {
  real_lock(&g_registry_lock);
  for (table* t = g_tables; t; t = t->next) t->cleared.store(true, std::memory_order_release);
  real_unlock(&g_registry_lock);
}

std::vector<lock_stats> lockstat_top(std::size_t n) {
  std::map<const void*, lock_stats> by_mutex;
  real_lock(&g_registry_lock);
  for (table* t = g_tables; t; t = t->next) {
    if (t->cleared.load(std::memory_order_acquire)) continue;
    for (auto& e : t->e) {
      const void* m = e.mutex.load(std::memory_order_acquire);
      if (!m) continue;
      lock_stats& s = by_mutex[m];
      if (s.name.empty()) s.name = symbol_name(e.caller.load(std::memory_order_relaxed));
      s.acquisitions += e.acquisitions.load(std::memory_order_relaxed);
      s.contended += e.contended.load(std::memory_order_relaxed);
      s.wait_ns += e.wait_ns.load(std::memory_order_relaxed);
      s.hold_samples += e.hold_samples.load(std::memory_order_relaxed);
      s.hold_ns += e.hold_ns.load(std::memory_order_relaxed);
    }
  }
  real_unlock(&g_registry_lock);
  std::vector<lock_stats> v;
  for (auto& [m, s] : by_mutex) v.push_back(s);
  std::sort(v.begin(), v.end(), [](const lock_stats& a, const lock_stats& b) {
    return a.wait_ns != b.wait_ns ? a.wait_ns > b.wait_ns : a.acquisitions > b.acquisitions;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

}  // namespace cmwq_bench

// The interposed entry points. Off: one load and a tail call into libc.
extern "C" int pthread_mutex_lock(pthread_mutex_t* m) {
  using namespace cmwq_bench;
  if (!real_lock) resolve();
  if (!g_on.load(std::memory_order_relaxed)) return real_lock(m);
  return counted_lock(m, __builtin_return_address(0));
}

extern "C" int pthread_mutex_unlock(pthread_mutex_t* m) {
  using namespace cmwq_bench;
  if (!real_unlock) resolve();
  if (g_on.load(std::memory_order_relaxed)) counted_unlock(m);
  return real_unlock(m);
}
