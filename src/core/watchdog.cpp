// src/core/watchdog.cpp - the workqueue lockup watchdog (semantics.md 6.3, docs/observability.md).
//
// The problem: a pool whose pending items make no forward progress (a worker spinning with
// concurrency management unable to help, or creation failing with no rescuer) is silent; the
// kernel reports it after watchdog_thresh seconds with "BUG: workqueue lockup" and a dump.
//
// The approach, as in the kernel: pools stamp last_progress_ts when an item lands on an empty
// worklist and when a worker starts on its scheduled items; a timer scans every pool each
// watchdog_thresh seconds and reports a pool with pending work whose latest stamp (or touch by
// wq_watchdog_touch()) is older than the threshold. Two departures, both so that the watchdog
// costs nothing when nothing is pending and says each thing once:
//  * The timer is armed only while some worklist is non-empty: the empty -> non-empty transition
//    (watchdog_worklist_starts(), under the pool lock) arms it if it sleeps, and a scan that finds
//    every worklist empty lets it sleep. A queue that stays idle never wakes the timer thread.
//  * One report per stall: a pool is reported once per progress stamp (the kernel repeats the
//    report every period while the stall lasts). Touch stamps are not reset after each scan (the
//    kernel does so to forgive time the timer itself was deferred, as in suspend, which a process
//    does not see), so detection does not depend on the timer firing late.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "observe.hpp"
#include "runtime.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {
namespace {

constexpr unsigned default_thresh_s = 30;

// CMWQ_WATCHDOG_THRESH: seconds; 0 disables; anything else than a number warns and keeps 30.
unsigned thresh_from_env() {
  const char* v = std::getenv("CMWQ_WATCHDOG_THRESH");
  if (!v || !*v) return default_thresh_s;
  char* end = nullptr;
  errno = 0;
  const unsigned long x = std::strtoul(v, &end, 10);
  if (*end || errno || x > UINT_MAX / 1000 || *v == '-') {
    CMWQ_WARN("CMWQ_WATCHDOG_THRESH=%s is not a number of seconds, using %u", v, default_thresh_s);
    return default_thresh_s;
  }
  return static_cast<unsigned>(x);
}

void watchdog_timer_fn(::timer_list*);

struct watchdog_state {
  std::atomic<unsigned> thresh_s{thresh_from_env()};  // X: relaxed, read at each use
  // X: seq_cst. true while the timer is armed or its callback runs. Cleared by the callback before
  // its last scan under the pool locks; watchdog_worklist_starts() reads it under a pool lock, so
  // either that scan sees the new item or the queuer sees false and arms (see the callback).
  std::atomic<bool> armed{false};
  std::atomic<unsigned long> touched{0};                 // X: relaxed, coarse jiffies
  std::unique_ptr<std::atomic<unsigned long>[]> touched_cpu;  // X: relaxed, per CPU id
  std::atomic<std::uint64_t> stalls{0};                  // X: relaxed counter
  timer tick{};                                          // T
  watchdog_state() : touched_cpu(new std::atomic<unsigned long>[static_cast<std::size_t>(nr_cpu_ids())]()) {
    timer_init(&tick, watchdog_timer_fn, 0);
  }
};

watchdog_state& state() {
  static auto* s = new watchdog_state;  // never freed: pools may queue during exit
  return *s;
}

unsigned long thresh_ms(const watchdog_state& s) {
  return static_cast<unsigned long>(s.thresh_s.load(std::memory_order_relaxed)) * 1000ul;
}

void arm(watchdog_state& s) { timer_mod(&s.tick, jiffies_now() + thresh_ms(s)); }

struct stall_report {
  std::vector<std::string> lines;     // "BUG: workqueue lockup ..." per stalled pool
  std::vector<std::string> busy;      // busy workers of stalled per-CPU pools
};

// Looks at one pool (its lock held). Returns whether its worklist is non-empty.
bool check_pool(watchdog_state& s, worker_pool* pool, unsigned long now, unsigned long thresh,
                stall_report& rep) CMWQ_REQUIRES(pool->lock) {
  if (list_empty(&pool->worklist)) return false;
  const unsigned long pool_ts = pool->last_progress_ts;
  const unsigned long touched = pool->unbound()
      ? s.touched.load(std::memory_order_relaxed)
      : s.touched_cpu[static_cast<std::size_t>(pool->cpu)].load(std::memory_order_relaxed);
  const unsigned long ts = static_cast<long>(pool_ts - touched) > 0 ? pool_ts : touched;
  if (static_cast<long>(now - (ts + thresh)) <= 0) return true;  // progress within the threshold
  if (pool->watchdog_reported && pool->watchdog_reported_ts == pool_ts) return true;  // told already
  pool->watchdog_reported = true;
  pool->watchdog_reported_ts = pool_ts;
  char info[160];
  format_pool_info(pool, info, sizeof info);
  rep.lines.push_back("BUG: workqueue lockup - pool" + std::string(info) + " stuck for " +
                      std::to_string((now - pool_ts) / 1000) + "s!");
  if (pool->unbound()) return true;
  for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next) {
    worker* wk = owner_of<worker>(n);
    if (!wk->current_func) continue;
    char comm[96], fn[160];
    format_worker_comm(wk, comm, sizeof comm);
    symbol_name(reinterpret_cast<const void*>(wk->current_func), fn, sizeof fn);
    rep.busy.push_back("pool " + std::to_string(pool->id) + ": " + std::to_string(wk->tid) + " " + comm +
                       " running " + fn + " for " + std::to_string((now - wk->current_start_ms) / 1000) + "s");
  }
  return true;
}

// Scans every pool. Returns whether any worklist was non-empty.
bool scan(watchdog_state& s, unsigned long thresh, stall_report& rep) CMWQ_NO_TSA {
  const unsigned long now = coarse_jiffies();
  bool pending = false;
  for (int id = 0; worker_pool* pool = pool_by_id(id); id++) {
    lock_guard g(pool->lock);
    pending |= check_pool(s, pool, now, thresh, rep);
  }
  return pending;
}

void report(watchdog_state& s, const stall_report& rep) {
  for (const std::string& l : rep.lines) log_line("%s", l.c_str());
  s.stalls.fetch_add(rep.lines.size(), std::memory_order_relaxed);
  show_all_workqueues();
  if (rep.busy.empty()) return;
  // The kernel prints each busy worker's stack here; a process cannot read another thread's
  // stack safely, so cmwq names the worker and what it runs (gdb/eu-stack give the rest).
  log_line("Showing backtraces of busy workers in stalled worker pools:");
  for (const std::string& l : rep.busy) log_line("%s", l.c_str());
}

void watchdog_timer_fn(::timer_list*) {
  watchdog_state& s = state();
  const unsigned long thresh = thresh_ms(s);
  stall_report rep;
  bool pending = thresh && scan(s, thresh, rep);
  if (!rep.lines.empty()) report(s, rep);
  if (!pending) {
    // Going to sleep: clear `armed` first, then look again under the pool locks; a queuer that
    // filled a worklist meanwhile either shows up here or saw `armed` false and armed the timer.
    s.armed.store(false, std::memory_order_seq_cst);
    stall_report none;
    if (!thresh || !scan(s, thresh, none)) return;
    if (s.armed.exchange(true, std::memory_order_seq_cst)) return;  // a queuer re-armed it
  }
  arm(s);
}

}  // namespace

void watchdog_worklist_starts(worker_pool* pool) noexcept CMWQ_NO_TSA {
  pool->last_progress_ts = coarse_jiffies();
  watchdog_state& s = state();
  if (s.armed.load(std::memory_order_seq_cst) || !s.thresh_s.load(std::memory_order_relaxed)) return;
  if (!s.armed.exchange(true, std::memory_order_seq_cst)) arm(s);
}

unsigned watchdog_thresh() noexcept { return state().thresh_s.load(std::memory_order_relaxed); }

void watchdog_set_thresh(unsigned seconds) noexcept {
  watchdog_state& s = state();
  if (seconds > UINT_MAX / 1000) {
    CMWQ_WARN("workqueue: watchdog_thresh %u s is out of range, keeping %u", seconds, watchdog_thresh());
    return;
  }
  s.thresh_s.store(seconds, std::memory_order_relaxed);
  if (!seconds) return;  // the next tick sees 0 and lets the timer sleep
  // Re-arm with the new period; a tick that finds nothing pending lets it sleep again.
  s.armed.store(true, std::memory_order_seq_cst);
  arm(s);
}

void watchdog_touch(int cpu) noexcept {
  watchdog_state& s = state();
  const unsigned long now = coarse_jiffies();
  if (cpu >= 0 && cpu < nr_cpu_ids())
    s.touched_cpu[static_cast<std::size_t>(cpu)].store(now, std::memory_order_relaxed);
  else
    CMWQ_WARN_ONCE("wq_watchdog_touch should be called with valid CPU (got %d)", cpu);
  // Spare the shared stamp's cache line: refresh it at most every thresh/4.
  if (static_cast<long>(now - (s.touched.load(std::memory_order_relaxed) + thresh_ms(s) / 4)) > 0)
    s.touched.store(now, std::memory_order_relaxed);
}

std::uint64_t watchdog_stall_count() noexcept { return state().stalls.load(std::memory_order_relaxed); }

bool watchdog_timer_armed() noexcept { return state().armed.load(std::memory_order_seq_cst); }

}  // namespace cmwq::core
