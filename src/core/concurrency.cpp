// src/core/concurrency.cpp - the concurrency manager: learning that a bound worker blocks or
// hogs the CPU, and waking another worker in time (design.md, "Concurrency management in user
// space"; semantics.md 5.2, 5.8, 5.15; docs/concurrency.md has the state machine).
//
// Four signals, cheapest first:
//  1. Cooperative: blocking_begin()/blocking_end() wrap every wait the library offers. They are
//     the kernel's wq_worker_sleeping()/wq_worker_running(): the worker leaves nr_running and
//     kicks the pool, so a pending item gets another worker at once.
//  2. Scheduler events (CMWQ_CM_OBSERVE=perf, sched_events.cpp): while a pool has work pending
//     behind a running worker, that worker's context-switch records are on and wake this thread;
//     a blocking switch-out takes it out of nr_running and kicks the pool, its switch-in puts it
//     back.
//  3. Observed (proc, the fallback): bound workers that have run one item for longer than
//     observe_after_us (2 ms) are looked up in /proc/self/task/TID/stat; one the kernel has
//     asleep is treated as sleeping until the sampler sees it running again or the item ends.
//  4. CPU hogs: the tick reads each running worker's thread CPU clock; an item that has used more
//     than cpu_intensive_thresh_us without sleeping becomes CPU-intensive (5.8).
// Every signal sets its own bit in the worker and nr_running is recomputed from all of them
// (worker::counted()), so a sleep seen twice is counted once. A worker without PF_WQ_WORKER
// (kcompat current->flags) is ignored by all of them, as in the kernel.
// The manager ticks (every 4 ms, 1 ms for /proc, sooner for a CPU-hog deadline) while any bound
// worker runs an item and sleeps without a timeout otherwise: an idle process pays nothing.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "context.hpp"
#include "runtime.hpp"
#include "sched_events.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

namespace {

CMWQ_TLS thread_local int t_block_depth = 0;

struct sampler_state {
  std::mutex lock;
  std::condition_variable cv;
  bool started = false;                  // guarded by lock
  bool wake_requested = false;           // guarded by lock: set by sampler_note_busy()
  std::atomic<bool> parked{true};        // X: see sampler_main() and sampler_note_busy()
};

sampler_state& sampler() {
  static auto* s = new sampler_state;  // never freed
  return *s;
}

void sampler_main();

// Returns the thread's scheduler state letter from /proc, or 0.
char thread_state(const worker* w) {
  if (w->stat_fd < 0) return 0;
  char buf[512];
  const ssize_t n = pread(w->stat_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = __builtin_strrchr(buf, ')');
  return (p && p[1] == ' ') ? p[2] : 0;
}

// /proc says the worker sleeps (S or D), and not on its pool lock, which is no block of its item
// (docs/concurrency.md, "What counts as blocking").
bool proc_says_blocked(const worker* wk) {
  const char st = thread_state(wk);
  return (st == 'S' || st == 'D') && !wk->in_lock_wait.load(std::memory_order_acquire);
}

void mark_sched_blocked(worker_pool* pool, worker* wk) CMWQ_REQUIRES(pool->lock) {
  pool->update_worker(wk, [&] { wk->sched_sleeping = true; });
  if (!wk->sleeping && pool->kick()) wk->current_pwq->stat_inc(pwq_stat_cm_wakeup);
}

// Turns the worker's event on while `want` (it executes an item with work pending behind it),
// opening it the first time, and off otherwise - but never while it is counted asleep, whose
// switch-in must still be seen. A worker that blocked before its event was on shows no record:
// /proc tells, once.
void arm_sched_events(worker_pool* pool, worker* wk, bool want) CMWQ_REQUIRES(pool->lock) {
  if (want == wk->sched_enabled || (wk->sched_enabled && wk->sched_sleeping)) return;
  if (want && wk->ring.fd < 0) {
    if (!sched_events_open(wk)) return;
  } else if (!sched_events_enable(wk, want)) {
    return;
  }
  wk->sched_enabled = want;
  if (!want || wk->sched_sleeping || !wk->cm_visible()) return;
  if (proc_says_blocked(wk)) mark_sched_blocked(pool, wk);
}

// The worker's scheduler events since the last look (perf): a blocking switch-out takes it out
// of nr_running and hands the CPU on (wq_worker_sleeping() + kick_pool()); the switch-in puts it
// back (wq_worker_running()). A worker inside a cooperative section was counted out and its pool
// kicked already: the event changes nothing it can see, and nr_running is derived from the
// worker's state, so the two never count it twice. Returns whether it was newly found blocked.
bool observe_sched_events(worker_pool* pool, worker* wk, bool want) CMWQ_REQUIRES(pool->lock) {
  const bool was_sleeping = wk->sched_sleeping;
  arm_sched_events(pool, wk, want);
  if (!wk->sched_enabled && !wk->sched_sleeping) return false;
  switch (sched_events_state(wk)) {
    case sched_state::blocked:  // not a block of its item while it sleeps on its pool lock (lock.hpp)
      if (wk->sched_sleeping || !wk->cm_visible() || wk->in_lock_wait.load(std::memory_order_acquire)) break;
      mark_sched_blocked(pool, wk);
      break;
    case sched_state::running:
      if (!wk->sched_sleeping) break;
      pool->update_worker(wk, [&] { wk->sched_sleeping = false; });
      wk->cpu_baseline_stale = true;  // hog detection restarts after a sleep
      break;
    case sched_state::unknown:
      break;
  }
  return wk->sched_sleeping && !was_sleeping;
}

// The /proc sampler: a worker busy with one item for observe_after_us whose thread the kernel
// has asleep is treated as sleeping until the sampler sees it runnable again.
void observe_proc_state(worker_pool* pool, worker* wk, std::uint64_t now_ms) CMWQ_REQUIRES(pool->lock) {
  const unsigned observe_ms = tunables().observe_after_us.load(std::memory_order_relaxed) / 1000;
  if (wk->sleeping || now_ms - wk->first_seen_ms < observe_ms) return;
  const bool blocked = proc_says_blocked(wk);
  if (blocked && !wk->observed_sleeping && wk->cm_visible()) {
    pool->update_worker(wk, [&] { wk->observed_sleeping = true; });
    if (pool->kick()) wk->current_pwq->stat_inc(pwq_stat_cm_wakeup);
  } else if (!blocked && wk->observed_sleeping) {
    pool->update_worker(wk, [&] { wk->observed_sleeping = false; });
    wk->cpu_baseline_stale = true;
  }
}

constexpr std::uint64_t no_deadline_us = ~0ull;

// CPU-time statistics and the CPU-hog rule (5.8), once per tick. Returns the CPU time, in us,
// the item may still use before it turns CPU-intensive (no_deadline_us: the rule does not apply):
// CPU time grows no faster than wall time, so the manager need not look again before that.
std::uint64_t account_cpu(worker_pool* pool, worker* wk, std::uint64_t now_ms) CMWQ_REQUIRES(pool->lock) {
  const std::uint64_t cpu_ns = worker_cpu_time_ns(wk);
  if (wk->cpu_baseline_stale) {
    wk->current_at_ns = cpu_ns;
    wk->cpu_baseline_stale = false;
  }
  // PWQ_STAT_CPU_TIME, tick-sampled like the kernel's: CPU used since this item's last sample.
  // A new item is stamped here, at first sight, so the start path reads no fine clock.
  if (wk->sampled_seq != wk->item_seq) {
    wk->sampled_seq = wk->item_seq;
    wk->sampled_cpu_ns = wk->current_at_ns;
    wk->first_seen_ms = now_ms;
  }
  if (cpu_ns > wk->sampled_cpu_ns) {
    wk->current_pwq->stat_inc(pwq_stat_cpu_time, (cpu_ns - wk->sampled_cpu_ns) / 1000);
    wk->sampled_cpu_ns = cpu_ns;
  }
  const unsigned long thresh_us = tunables().cpu_intensive_thresh_us.load(std::memory_order_relaxed);
  // As in the kernel, whose scheduler tick calls wq_worker_tick() only for PF_WQ_WORKER tasks: a
  // worker that cleared the flag is invisible to the CPU-hog rule too.
  if (!thresh_us || !wk->counted() || !wk->cm_visible()) return no_deadline_us;
  const std::uint64_t used_ns = cpu_ns - wk->current_at_ns;
  if (used_ns < thresh_us * 1000ull) return thresh_us - used_ns / 1000;
  pool->update_worker(wk, [&] { wk->flags |= worker_flag::cpu_intensive; });
  wk->current_pwq->stat_inc(pwq_stat_cpu_intensive);
  if (pool->kick()) wk->current_pwq->stat_inc(pwq_stat_cm_wakeup);
  return no_deadline_us;
}

// How often the manager looks while bound workers execute items. Scheduler events need no tick
// (a record wakes the manager), so without a reason to look sooner it ticks every
// coarse_tick_us for the CPU-time statistics and to take the CPU baseline of new items: the
// kernel's wq_worker_tick() runs at HZ, 250 on Debian. The fine tick is kept where a sample
// matters within a millisecond: the /proc sampler, and a watched pool whose pending work is gone
// (so that its events go off). The CPU-hog rule wakes the manager when the earliest item can
// reach its threshold, so it is met within a baseline's lateness (one coarse tick at most).
constexpr std::uint64_t fine_tick_us = 1000, coarse_tick_us = 4000;

struct pass_result {
  bool busy = false;   // some bound worker executes an item
  bool armed = false;  // ... and work waits behind it in its pool: listen to scheduler events
  bool blocked = false;  // a scheduler event took a worker out of nr_running in this pass
  cpu_set_t watched;     // the CPUs of the pools armed
  std::uint64_t next_tick_us = coarse_tick_us;  // the next tick pass is due after this long
  std::uint64_t youngest_ms = ~0ull;  // the age of the youngest item of a watched worker
};

// One pass over the bound pools. Scheduler events are read at every pass; CPU time and /proc
// state only on a tick (`tick`).
pass_result sample_all(bool tick) CMWQ_NO_TSA {
  pass_result r;
  CPU_ZERO(&r.watched);
  const std::uint64_t now = jiffies_now();
  const cm_observer mode = cm_observer_active();
  const bool proc = mode == cm_observer::proc, perf = mode == cm_observer::perf;
  for (int cpu : online_cpus()) {
    for (int hp = 0; hp < 2; hp++) {
      worker_pool* pool = find_bound_pool(cpu, hp);
      if (!pool) continue;
      lock_guard g(pool->lock);
      // Watched from the first pass that sees work pending behind a busy worker until a tick
      // sees none: kick() pokes this thread only for a pool it does not watch, so the pokes of
      // a queue that drains and refills come at most once a tick.
      if (!list_empty(&pool->worklist) && pool->nr_busy_items)
        pool->cm_watched = true;
      else if (tick)
        pool->cm_watched = false;
      else if (pool->cm_watched)
        r.next_tick_us = std::min(r.next_tick_us, fine_tick_us);  // nothing pending: events off soon
      for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next) {
        worker* wk = owner_of<worker>(n);
        if (wk->ring.base || perf) r.blocked |= observe_sched_events(pool, wk, pool->cm_watched && wk->current_work);
        if (!wk->current_work) continue;
        if (wk->sched_enabled)  // an item not sampled yet is new: age 0
          r.youngest_ms = std::min(r.youngest_ms, wk->sampled_seq == wk->item_seq ? now - wk->first_seen_ms : 0);
        // Sampled each tick under proc; and an item (or a wake-up) whose CPU baseline is not taken
        // yet gets the fine tick: its hog deadline counts from that baseline.
        if ((proc && !wk->ring.base) || wk->cpu_baseline_stale || wk->sampled_seq != wk->item_seq)
          r.next_tick_us = std::min(r.next_tick_us, fine_tick_us);
        if (!tick) continue;
        r.next_tick_us = std::min(r.next_tick_us, account_cpu(pool, wk, now));
        if (proc && !wk->ring.base) observe_proc_state(pool, wk, now);
      }
      r.busy |= pool->nr_busy_items > 0;
      r.armed |= pool->cm_watched;
      if (pool->cm_watched) CPU_SET(cpu, &r.watched);
    }
  }
  return r;
}

std::uint64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000ull + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

// The longest blind pause of the loop's back-off when the youngest item of any watched worker (on
// any CPU: the pause is blind to all of them) has run for `age_ms`: 500 us while it is young,
// then half its age, up to one coarse tick. An item that ran long without blocking is CPU-bound
// (with the default threshold the CPU-hog rule takes it out of nr_running at 10 ms anyway); the
// pause costs a block at age A at most A/2 of delay, and the loop, which preempts that item at
// every pause, ends up at one wake-up per tick.
unsigned quiet_cap_us(std::uint64_t age_ms) {
  constexpr unsigned young_cap_us = 500;
  const std::uint64_t half_us = age_ms == ~0ull ? young_cap_us : age_ms * 500;
  return static_cast<unsigned>(std::clamp<std::uint64_t>(half_us, young_cap_us, coarse_tick_us));
}

void sampler_main() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  pthread_setname_np(pthread_self(), "cmwq-cm");
  auto& s = sampler();
  constexpr std::uint64_t linger_us = 50000;  // stay ticking briefly after the last busy pass
  constexpr unsigned min_quiet_us = 50, loop_gap_us = 100;
  unsigned quiet_us = 0;
  bool armed = false;
  std::uint64_t last_tick = mono_us(), next_tick = last_tick + fine_tick_us, last_busy = last_tick;
  s.parked.store(false, std::memory_order_relaxed);
  for (;;) {
    if (mono_us() - last_busy >= linger_us) {
      // Park: announce it first, then look once more. A worker that starts an item increments
      // its pool's nr_busy_items and reads `parked` under the same pool lock that sample_all()
      // takes, so either that last look sees its item, or the worker sees `parked` (the store
      // above is ordered before our unlock of that pool lock) and asks for a wake-up.
      s.parked.store(true, std::memory_order_relaxed);
      if (!sample_all(false).busy) {
        std::unique_lock<std::mutex> g(s.lock);
        s.cv.wait(g, [&] { return s.wake_requested; });
        s.wake_requested = false;
      }
      s.parked.store(false, std::memory_order_relaxed);
      last_busy = mono_us();
      next_tick = last_busy;  // a new item: take its baseline now
    }
    // Armed, any worker's switch record wakes us (perf); otherwise only the tick or a poke.
    // Sharing a CPU with a watched worker feeds a loop: that worker's switch-in wakes the
    // manager, whose wake-up preempts the worker, whose preempt and switch-in records wake it
    // again (measured: 25% of a core with one worker armed, 0.9% with the manager on the other
    // CPU). So only there, and only while useless wake-ups follow each other within
    // loop_gap_us, records that block nobody back the listening off, doubling a quiet gap up to
    // quiet_cap_us(). Otherwise the manager listens without a gap: that gap, blind to a block, was
    // the p99 tail (1.65-5 ms; 70 us without it). Pinning the manager away from watched CPUs
    // instead cut W1's throughput by 2-3x (an affinity change per arming).
    const std::uint64_t before_pause = mono_us();  // no pause past the next tick (a hog deadline)
    const std::uint64_t to_tick = next_tick > before_pause ? next_tick - before_pause : 0;
    const std::uint64_t pause_us = std::min<std::uint64_t>(quiet_us, to_tick);
    if (pause_us >= 1000) {
      // Whole milliseconds, rounded up so that the pass after it is the tick it was cut for; a
      // poke (a pool to watch) ends it early.
      sched_watch_wait(false, static_cast<int>((pause_us + 999) / 1000));
    } else if (pause_us) {
      timespec ts{0, static_cast<long>(pause_us) * 1000};
      nanosleep(&ts, nullptr);
    }
    const std::uint64_t listening_since = mono_us();
    const std::uint64_t wait_us = next_tick > listening_since ? next_tick - listening_since : 0;
    const bool woken = sched_watch_wait(armed, static_cast<int>((wait_us + 999) / 1000));
    const std::uint64_t now = mono_us();
    const bool tick = now + 100 >= next_tick;  // epoll_wait()'s timer may return a bit early
    if (tick) last_tick = now;
    const pass_result r = sample_all(tick);
    if (tick)
      next_tick = now + std::max<std::uint64_t>(r.next_tick_us, 100);
    else
      next_tick = std::min(next_tick, last_tick + r.next_tick_us);
    armed = r.armed;
    const int on_cpu = sched_getcpu();
    // The loop's signature is a useless wake-up right after listening again; a lone preemption
    // record long after it is not the loop and leaves no gap.
    const bool looping = now - listening_since < loop_gap_us;
    if (r.blocked || !armed || on_cpu < 0 || !CPU_ISSET(on_cpu, &r.watched) || (woken && !looping) ||
        cm_observer_active() != cm_observer::perf)  // no records to back off from
      quiet_us = 0;
    else if (woken)
      quiet_us = quiet_us ? std::min(2 * quiet_us, quiet_cap_us(r.youngest_ms)) : min_quiet_us;
    if (r.busy) last_busy = now;
  }
}

}  // namespace

// Called (pool lock held) when a bound worker starts an item. Costs one relaxed load while the
// sampler is ticking; the pool lock orders it against sampler_main()'s parking (see there).
// Returns true when the sampler thread was never started: the caller starts it with
// sampler_start() once it has dropped the pool lock (a new sampler starts by ticking, so it sees
// the item counted in nr_busy_items whenever it starts).
bool sampler_note_busy() noexcept {
  auto& s = sampler();
  if (!s.parked.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> g(s.lock);
  if (!s.started) return true;
  s.wake_requested = true;
  s.cv.notify_one();
  return false;
}

// Starts the sampler thread unless another worker did; called holding no pool lock.
void sampler_start() noexcept {
  auto& s = sampler();
  std::lock_guard<std::mutex> g(s.lock);
  if (s.started) return;
  s.started = true;
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // The first worker to run an item starts this thread and would hand it its own CPU pin. On the
  // CPU of a watched worker every wake-up of the manager preempts that worker, whose records wake
  // the manager again (sampler_main()); free to move, the scheduler puts it on a CPU with room.
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : online_cpus()) CPU_SET(c, &set);
  const bool pinned = pthread_attr_setaffinity_np(&attr, sizeof set, &set) == 0;
  void* (*entry)(void*) = [](void*) -> void* { sampler_main(); return nullptr; };
  int err = pthread_create(&th, &attr, entry, nullptr);
  if (err && pinned) {  // a mask the process may not use (U3): it keeps the creator's, and works
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&th, &attr, entry, nullptr);
  }
  if (err != 0) {
    s.started = false;
    CMWQ_WARN("workqueue: cannot start the concurrency sampler thread");
  }
  pthread_attr_destroy(&attr);
}

// --- cooperative hooks -------------------------------------------------------------------------

void blocking_begin() noexcept CMWQ_NO_TSA {
  if (t_block_depth++ != 0) return;
  worker* wk = current_worker();
  if (!wk || !wk->current_work || wk->rescue_wq || !wk->cm_visible()) return;
  worker_pool* pool = wk->pool;
  if (pool->unbound()) return;
  lock_guard g(pool->lock);
  // wq_worker_sleeping(): leave nr_running and let another worker take over.
  pool->update_worker(wk, [&] { wk->sleeping = true; });
  if (pool->kick() && wk->current_pwq) wk->current_pwq->stat_inc(pwq_stat_cm_wakeup);
}

void blocking_end() noexcept CMWQ_NO_TSA {
  if (--t_block_depth != 0) return;
  worker* wk = current_worker();
  if (!wk || !wk->sleeping) return;
  worker_pool* pool = wk->pool;
  lock_guard g(pool->lock);
  // wq_worker_running(): count again. CPU time for hog detection restarts now; reading the
  // thread CPU clock is a system call, so the sampler takes the new baseline at its next tick.
  pool->update_worker(wk, [&] { wk->sleeping = false; });
  wk->cpu_baseline_stale = true;
}

}  // namespace cmwq::core
