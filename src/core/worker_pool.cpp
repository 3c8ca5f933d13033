// src/core/worker_pool.cpp - pools: the registry, kicking workers, creating and reaping them.
//
// The hard part is the invariant of section 5.6: a pool with pending work always has a running
// worker, an idle worker being woken, or a manager creating one. Queueing kicks the first idle
// worker; a worker that leaves the idle list and finds none left becomes the manager and creates
// a spare before it runs work, so that a worker that blocks can always be replaced at once.
// Creation that fails is retried after a cool-down while the mayday timer calls the rescuers of
// WQ_MEM_RECLAIM queues (worker.cpp, workqueue.cpp). Excess idle workers are reaped by a timer
// after IDLE_WORKER_TIMEOUT, never below two idle ones (section 5.7).
#include "worker_pool.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "event.hpp"
#include "fault.hpp"
#include "pool_workqueue.hpp"
#include "runtime.hpp"
#include "warn.hpp"
#include "workqueue.hpp"

namespace cmwq::core {
namespace {

constexpr int max_pools = 8192;
constexpr int highpri_nice = -20;
constexpr int bh_nice = -10;

struct pool_registry {
  mutex lock;                                              // PL
  std::atomic<worker_pool*> by_id[max_pools] = {};         // X: published with release
  int nr_pools CMWQ_GUARDED_BY(lock) = 0;                  // PL
  std::vector<worker_pool*> unbound CMWQ_GUARDED_BY(lock); // PL
};

pool_registry& registry() {
  static pool_registry* r = new pool_registry;  // never freed: workers outlive static destructors
  return *r;
}

// Index of bound pools in by_id is not fixed; this table maps (cpu, bh, highpri) to the pool.
std::atomic<worker_pool*>& bound_slot(int cpu, bool highpri, bool bh) {
  static auto* t = new std::atomic<worker_pool*>[4 * 4096]();
  return t[4 * cpu + (bh ? 2 : 0) + (highpri ? 1 : 0)];
}

worker_pool* pool_of_timer(::timer_list* t, std::size_t offset) {
  return reinterpret_cast<worker_pool*>(reinterpret_cast<char*>(timer_of(t)) - offset);
}

void idle_timer_fn(::timer_list* t);
void mayday_timer_fn(::timer_list* t);

std::atomic<std::uint64_t> g_workers_created{0};  // X: relaxed counters
std::atomic<std::uint64_t> g_workers_exited{0};

worker_pool* new_pool(pool_registry& r, int cpu, pool_attrs attrs) CMWQ_REQUIRES(r.lock) {
  if (r.nr_pools >= max_pools) return nullptr;
  auto* p = new (std::nothrow) worker_pool(r.nr_pools, cpu, std::move(attrs));
  if (!p) return nullptr;
  r.by_id[r.nr_pools++].store(p, std::memory_order_release);
  // A pool starts with one worker; creating it ignores the fault point so that a pool is never
  // left without anyone to become its manager.
  create_worker(p, /*force=*/true);
  return p;
}

}  // namespace

worker_pool::worker_pool(int pool_id, int bound_cpu, pool_attrs a)
    : id(pool_id), cpu(bound_cpu), attrs(std::move(a)), nice_obtained_hint(attrs.nice) {
  lock_guard g(lock);
  list_init(&worklist);
  list_init(&idle_list);
  list_init(&workers);
  last_progress_ts = coarse_jiffies();
  timer_init(&idle_timer, idle_timer_fn, 0);
  timer_init(&mayday_timer, mayday_timer_fn, 0);
}

worker_pool* pool_by_id(int id) noexcept {
  if (id < 0 || id >= max_pools) return nullptr;
  return registry().by_id[id].load(std::memory_order_acquire);
}

worker_pool* get_bound_pool(int cpu, bool highpri, bool bh) {
  auto& slot = bound_slot(cpu, highpri, bh);
  if (worker_pool* p = slot.load(std::memory_order_acquire)) return p;
  auto& r = registry();
  lock_guard g(r.lock);
  if (worker_pool* p = slot.load(std::memory_order_acquire)) return p;
  pool_attrs attrs;
  // U5: a BH pool's softirq thread asks for a high priority either way; highpri asks for more.
  attrs.nice = highpri ? highpri_nice : (bh ? bh_nice : 0);
  attrs.cpus = {cpu};
  attrs.bh = bh;
  worker_pool* p = new_pool(r, cpu, std::move(attrs));
  slot.store(p, std::memory_order_release);  // pairs with the acquire loads above
  return p;
}

worker_pool* find_bound_pool(int cpu, bool highpri, bool bh) noexcept {
  return bound_slot(cpu, highpri, bh).load(std::memory_order_acquire);
}

worker_pool* get_unbound_pool(const pool_attrs& attrs) {
  auto& r = registry();
  lock_guard g(r.lock);
  for (worker_pool* p : r.unbound)
    if (p->attrs == attrs) return p;
  worker_pool* p = new_pool(r, -1, attrs);
  if (p) r.unbound.push_back(p);
  return p;
}

bool worker_pool::too_many_workers() const {
  const int idle = nr_idle + (manager ? 1 : 0);
  const int busy = nr_workers - idle;
  return idle > 2 && (idle - 2) * max_idle_workers_ratio >= busy;
}

bool worker_pool::kick() {
  const void* wake = nullptr;
  const bool woke = kick_deferred(&wake);
  if (wake) futex_wake(wake, 1);
  return woke;
}

bool worker_pool::kick_deferred(const void** wake) {
  lock.assert_held();
  if (!need_more_worker()) {
    // Work waits behind a running worker: unless the manager already listens to this pool's
    // scheduler events, wake it so that it does, and that worker blocking hands the CPU on at
    // once (sched_events.cpp). Only a field of this pool is read while it listens.
    if (!cm_watched && nr_running > 0 && !list_empty(&worklist)) sched_watch_poke();
    return false;
  }
  if (list_empty(&idle_list)) return false;
  worker* wk = owner_of<worker>(idle_list.next);
  if (wk->wake.give_token()) *wake = wk->wake.word();
  return true;
}

namespace {
std::size_t hash_of(const work* w) {
  auto v = reinterpret_cast<std::uintptr_t>(w);
  v ^= v >> 17;
  v *= 0x9e3779b97f4a7c15ull;
  return static_cast<std::size_t>(v >> 58) % busy_hash_size;
}
}  // namespace

// R5: a worker of this pool executing `w` with the same function (address and func must match,
// so a freed and reused address with a new function is not mistaken for the old item).
worker* worker_pool::find_worker_executing_work(work* w) {
  lock.assert_held();
  for (worker* wk = busy_hash[hash_of(w)]; wk; wk = wk->hash_next)
    if (wk->current_work == w && wk->current_func == w->func) return wk;
  return nullptr;
}

void worker_pool::hash_add(worker* wk) {
  lock.assert_held();
  worker*& head = busy_hash[hash_of(wk->current_work)];
  wk->hash_next = head;
  head = wk;
}

void worker_pool::hash_del(worker* wk) {
  lock.assert_held();
  for (worker** pp = &busy_hash[hash_of(wk->current_work)]; *pp; pp = &(*pp)->hash_next) {
    if (*pp == wk) {
      *pp = wk->hash_next;
      wk->hash_next = nullptr;
      return;
    }
  }
}

// --- worker creation ----------------------------------------------------------------------------

namespace {

void format_worker_name(worker_pool* pool, worker* wk) {
  if (pool->is_bh())  // the kernel's softirq thread; dumps say bh / bh-hi (docs/bh.md)
    std::snprintf(wk->name, sizeof wk->name, "ksoftirqd/%d%s", pool->cpu, pool->attrs.nice == highpri_nice ? "H" : "");
  else if (pool->unbound())
    std::snprintf(wk->name, sizeof wk->name, "kworker/u%d:%d", pool->id, wk->id);
  else
    std::snprintf(wk->name, sizeof wk->name, "kworker/%d:%d%s", pool->cpu, wk->id,
                  pool->attrs.nice < 0 ? "H" : "");
}

void* worker_thread_entry(void* arg);

}  // namespace

bool start_worker_thread(worker* wk, const std::vector<int>& cpus) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 1 << 20);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  // U3: pinning may be refused; the thread then runs unpinned and the pool still works.
  const bool pinned = !cpus.empty() && pthread_attr_setaffinity_np(&attr, sizeof set, &set) == 0;
  pthread_t th;
  g_workers_created.fetch_add(1, std::memory_order_relaxed);  // counted before it can exit
  int err = pthread_create(&th, &attr, worker_thread_entry, wk);
  if (err && pinned) {
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&th, &attr, worker_thread_entry, wk);
  }
  pthread_attr_destroy(&attr);
  if (err) g_workers_created.fetch_sub(1, std::memory_order_relaxed);
  return err == 0;
}

worker_counts get_worker_counts() noexcept {
  return {g_workers_created.load(std::memory_order_relaxed), g_workers_exited.load(std::memory_order_relaxed)};
}

bool create_worker(worker_pool* pool, bool force) {
  if (!force && should_fail(fault_point::worker_create)) return false;
  auto* wk = new (std::nothrow) worker();
  if (!wk) return false;
  wk->pool = pool;
  wk->nice = pool->attrs.nice;
  {
    lock_guard g(pool->lock);
    int id = 0;
    while (id < max_pool_workers && pool->ids.test(static_cast<std::size_t>(id))) id++;
    if (id == max_pool_workers) {
      delete wk;
      return false;
    }
    pool->ids.set(static_cast<std::size_t>(id));
    wk->id = id;
  }
  format_worker_name(pool, wk);
  list_init(&wk->scheduled);
  list_init(&wk->idle_node.node);
  list_init(&wk->pool_node.node);
  // BH pools too are outside concurrency management (section 5.2): their one thread never counts.
  wk->flags = worker_flag::prep | worker_flag::idle | (pool->unbound() || pool->is_bh() ? worker_flag::unbound : 0);
  // Section 5.9: a non-strict unbound pool's workers may run on any online CPU; its pod only
  // decides which queueing CPUs it serves. Strict pools and bound pools stay on their CPUs.
  const bool confined = !pool->unbound() || pool->attrs.strict;
  if (!start_worker_thread(wk, confined ? pool->attrs.cpus : online_cpus())) {
    lock_guard g(pool->lock);
    pool->ids.reset(static_cast<std::size_t>(wk->id));
    delete wk;
    return false;
  }
  // The thread sets tid, cpu_clock and stat_fd before it reports in: wait for them, so that every
  // reader that finds it on the pool's lists (dumps, the watchdog, the sampler) sees them set.
  wk->started.wait(false, std::memory_order_acquire);
  // Attach and enter idle, then wake it like the kernel's create_worker() does: the new worker
  // looks for work at once.
  lock_guard g(pool->lock);
  list_add_tail(&wk->pool_node.node, &pool->workers);
  pool->nr_workers++;
  pool->nr_idle++;
  wk->last_active = jiffies_now();
  list_add(&wk->idle_node.node, &pool->idle_list);
  wk->wake.unpark();
  return true;
}

namespace {

void set_thread_nice(worker* wk) {
  // U3: ask for the pool's level and fall back to the best one this process may use.
  // A positive level is always allowed; a negative one may be refused, so try weaker ones.
  for (int n = wk->nice; n <= std::max(wk->nice, 0); n++) {
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(wk->tid), n) == 0) {
      wk->nice = n;
      return;
    }
  }
  wk->nice = 0;
}

void* worker_thread_entry(void* arg) {
  auto* wk = static_cast<worker*>(arg);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // R43: kworkers run with all signals blocked
  wk->tid = static_cast<pid_t>(gettid());
  char comm[16];  // the kernel's task comm limit: 15 characters and the terminator
  std::memcpy(comm, wk->name, sizeof comm - 1);
  comm[sizeof comm - 1] = '\0';
  pthread_setname_np(pthread_self(), comm);
  if (pthread_getcpuclockid(pthread_self(), &wk->cpu_clock) != 0) wk->cpu_clock = CLOCK_THREAD_CPUTIME_ID;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", wk->tid);
  wk->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (wk->nice != 0) set_thread_nice(wk);
  wk->started.store(true, std::memory_order_release);
  wk->started.notify_one();  // create_worker() waits for it (the worker is not on any list yet)
  if (wk->rescue_wq)
    rescuer_main(wk);
  else if (wk->pool->is_bh())
    bh_worker_main(wk);
  else
    worker_main(wk);
  if (wk->stat_fd >= 0) close(wk->stat_fd);
  sched_events_detach(wk);  // the manager may have opened scheduler events for it
  event* exited = wk->exit_event;
  delete wk;
  g_workers_exited.fetch_add(1, std::memory_order_relaxed);
  if (exited) exited->signal();  // destroy_workqueue() waits for its rescuer here
  return nullptr;
}

// --- idle reaping and mayday (timer callbacks, on the timer thread) ----------------------------

void idle_timer_fn(::timer_list* t) {
  worker_pool* pool = pool_of_timer(t, offsetof(worker_pool, idle_timer));
  lock_guard g(pool->lock);
  while (pool->too_many_workers()) {
    worker* oldest = owner_of<worker>(pool->idle_list.prev);
    const unsigned long expires = oldest->last_active + idle_worker_timeout();
    if (static_cast<long>(jiffies_now() - expires) < 0) {
      timer_mod(&pool->idle_timer, expires);
      break;
    }
    oldest->flags |= worker_flag::die;
    list_del_init(&oldest->idle_node.node);
    list_del_init(&oldest->pool_node.node);
    pool->nr_idle--;
    pool->nr_workers--;
    pool->ids.reset(static_cast<std::size_t>(oldest->id));
    oldest->wake.unpark();  // it sees DIE and exits; nothing touches it after this
  }
}

void mayday_timer_fn(::timer_list* t) {
  worker_pool* pool = pool_of_timer(t, offsetof(worker_pool, mayday_timer));
  lock_guard g(pool->lock);
  // Section 5.12: while help is needed, every queue with work here and a rescuer gets a call.
  // One call per pwq per firing: a rescuer may take a pwq off its list while we walk the
  // worklist (the kernel holds one global mayday lock across this walk instead).
  if (pool->need_to_create_worker()) {
    std::vector<pool_workqueue*> called;
    for (list_node* n = pool->worklist.next; n != &pool->worklist; n = n->next) {
      work* w = container_of<work>(n, offsetof(work, entry));
      const long d = work_data_ref(w).load(std::memory_order_relaxed);
      if (!(d & work_data::pwq)) continue;
      pool_workqueue* pwq = work_data_pwq(d);
      if (std::find(called.begin(), called.end(), pwq) != called.end()) continue;
      called.push_back(pwq);
      send_mayday(pwq);
    }
  }
  // Re-armed every MAYDAY_INTERVAL for as long as the manager is trying (it deletes the timer
  // when it stops), so maydays never come closer together than that.
  timer_mod(&pool->mayday_timer, jiffies_now() + mayday_interval());
}

}  // namespace

}  // namespace cmwq::core
