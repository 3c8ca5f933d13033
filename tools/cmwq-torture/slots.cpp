// tools/cmwq-torture/slots.cpp - the tracked side of cmwq-torture: the work function with its
// online checks, the accounting every check compares against, the slots' life cycle, the
// pause/quiesce that settles every slot for the exact checks, and the deadline monitor.
//
// Problem: the invariants (listed in main.cpp) need a shadow of what the engine should do - how
// often each item was queued, cancelled and run, which instances an ordered queue holds, how many
// items run at once - kept without disturbing the engine (no waiting on locks inside a work
// function that the engine would not have waited on) and checked both online (in the work
// function and after each operation) and exactly whenever a slot is settled.
//
// Approach: per-item and per-slot atomic counters, updated next to each engine call; sequence
// numbers for ordered slots under the slot's seq_mu, which also covers the queue call; settling
// (drain, destroy, quiesce, end) compares the counters exactly. A monitor thread watches one
// op_clock per thread and turns a hang into a report (exit status 3) instead of a CI timeout.
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <thread>

#include "torture.hpp"

namespace cmwq_torture {

// ---- violations and output ------------------------------------------------------------------------

std::atomic<unsigned long> g_violations{0};
std::mutex g_print_mu;

namespace {
constexpr unsigned long k_max_printed = 50;
}  // namespace

__attribute__((format(printf, 1, 2))) void violation(const char* fmt, ...) {
  const unsigned long n = ++g_violations;
  if (n > k_max_printed) return;
  std::lock_guard g(g_print_mu);
  std::fprintf(stderr, "cmwq-torture: VIOLATION #%lu (seed %llu): ", n, static_cast<unsigned long long>(opt.seed));
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  if (n == k_max_printed) std::fprintf(stderr, "cmwq-torture: further violations are counted, not printed\n");
}

__attribute__((format(printf, 1, 2))) void say(const char* fmt, ...) {
  std::lock_guard g(g_print_mu);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stdout, fmt, ap);
  va_end(ap);
  std::fflush(stdout);
}

// ---- CPUs -----------------------------------------------------------------------------------------

std::vector<int> g_cpus;
int g_nr_cpu_ids = 1;

namespace {

// The CPU of the pool the calling worker belongs to, from its name "kworker/<cpu>:<id>[H]";
// -1 for unbound workers ("kworker/u...") and rescuers ("kworker/R-..."). A worker's name never
// changes, so each thread parses it once.
int worker_cpu() {
  thread_local int cached = -2;
  if (cached != -2) return cached;
  char buf[64];
  cmwq_current_worker_comm(buf, sizeof buf);
  if (!buf[0]) return -1;
  int cpu = -1;
  if (std::strncmp(buf, "kworker/", 8) == 0 && std::isdigit(static_cast<unsigned char>(buf[8])))
    cpu = std::atoi(buf + 8);
  if (cpu >= g_nr_cpu_ids) cpu = -1;
  cached = cpu;
  return cpu;
}

}  // namespace

// ---- items and slots ------------------------------------------------------------------------------

std::vector<std::unique_ptr<slot>> g_slots;

std::mutex g_freeze_mu;
std::atomic<bool> g_frozen_quiet{false};

// ---- accounting helpers ---------------------------------------------------------------------------

void note_succ(titem& it) {
  it.succ.fetch_add(1);
  if (!it.delayed) it.s->p_succ.fetch_add(1);
}
void note_canc(titem& it) {
  it.canc.fetch_add(1);
  if (!it.delayed) it.s->p_canc.fetch_add(1);
}
void inflight_begin(titem& it) {
  it.cancel_starts.fetch_add(1);
  it.inflight.fetch_add(1);
  if (!it.delayed) it.s->p_inflight.fetch_add(1);
}
void inflight_end(titem& it) {
  if (!it.delayed) it.s->p_inflight.fetch_sub(1);
  it.inflight.fetch_sub(1);
}

// slot.seq_mu held.
void seq_push(titem& it, bool checked) { it.seqs.push_back(checked ? ++it.s->next_seq : 0); }
void seq_pop_back(titem& it, const char* why) {
  if (it.seqs.empty()) {
    violation("ordered %s: %s of item %d returned true but no queued instance was recorded", it.s->flavour, why, it.id);
    return;
  }
  it.seqs.pop_back();
}

// ---- the work function ----------------------------------------------------------------------------

bool g_self_requeue = true;
bool g_sleep = true;

namespace {

u64 splitmix(u64& x) {
  u64 z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Randomness of work functions: per worker thread, derived from the seed.
u64 fn_rand() {
  thread_local u64 state = opt.seed ^ (std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x2545f4914f6cdd1dULL);
  return splitmix(state);
}

void item_body(titem& it) {
  slot& s = *it.s;

  if (it.running.exchange(1) != 0)
    violation("R5: item %d of %s runs concurrently with itself", it.id, s.flavour);

  if ((s.flags & WQ_FREEZABLE) && g_frozen_quiet.load())
    violation("5.13: item %d of freezable %s started after freeze_workqueues_busy() returned false", it.id, s.flavour);

  // max_active (R11, R12, R8). Count ourselves first, then read the limit: a raise stores the new
  // limit before it lets more items start, so every item counted before us that started under
  // the raised limit is ordered before this load (seq_cst), which then sees that limit. (Read
  // the other way round, an item descheduled between the two reads saw the old limit and the
  // new crowd: a false violation.)
  const int total = s.active.fetch_add(1) + 1;
  const int cpu = s.percpu ? worker_cpu() : -1;
  const int on_cpu = cpu >= 0 ? s.cpu_active[cpu].fetch_add(1) + 1 : 0;
  const int limit = s.check_limit.load();
  const int total_limit = s.percpu ? limit * static_cast<int>(g_cpus.size()) : limit;
  if (total > total_limit)
    violation("max_active: %d items of %s running at once, limit %d (max_active %d)", total, s.flavour, total_limit, limit);
  if (on_cpu > limit)
    violation("R11: %d items of %s running at once on CPU %d's pwq, max_active %d", on_cpu, s.flavour, cpu, limit);

  // ordering (R8)
  if (s.ordered) {
    std::lock_guard g(s.seq_mu);
    if (it.seqs.empty()) {
      violation("ordered %s: item %d runs but no queued instance was recorded", s.flavour, it.id);
    } else {
      const u64 seq = it.seqs.front();
      it.seqs.pop_front();
      if (seq != 0) {
        if (seq <= s.last_seq)
          violation("R8: ordered %s ran item %d (queued #%llu) after #%llu", s.flavour, it.id,
                    static_cast<unsigned long long>(seq), static_cast<unsigned long long>(s.last_seq));
        s.last_seq = seq;
      }
    }
  }

  const u64 r = fn_rand();
  switch (r % 64) {
    case 0:
      if (g_sleep) msleep(1);
      break;
    case 1: case 2: case 3: case 4: case 5: case 6: case 7:
      if (g_sleep) usleep_range(20, 100);
      break;
    default:
      udelay((r >> 8) % 20);
      break;
  }

  // R6: re-queue itself now and then; a chain ends with probability 15/16 at each step.
  if (g_self_requeue && ((r >> 16) % 16) == 0) {
    workqueue_struct* wq = s.wq.load();
    bool q;
    if (s.ordered) {
      std::lock_guard g(s.seq_mu);
      q = it.delayed ? queue_delayed_work(wq, &it.h.dw, 0) : queue_work(wq, &it.h.w);
      if (q) seq_push(it, true);
    } else {
      q = it.delayed ? queue_delayed_work(wq, &it.h.dw, 0) : queue_work(wq, &it.h.w);
    }
    if (q) note_succ(it);
  }

  if (cpu >= 0) s.cpu_active[cpu].fetch_sub(1);
  s.active.fetch_sub(1);
  it.exec.fetch_add(1);
  if (!it.delayed) s.p_exec.fetch_add(1);
  it.running.store(0);
}

void plain_fn(struct work_struct* w) { item_body(*reinterpret_cast<titem_head*>(w)->self); }
void delayed_fn(struct work_struct* w) {
  auto* head = reinterpret_cast<titem_head*>(reinterpret_cast<char*>(to_delayed_work(w)) - offsetof(titem_head, dw));
  item_body(*head->self);
}

}  // namespace

void init_item(titem& it) {
  if (it.delayed)
    INIT_DELAYED_WORK(&it.h.dw, delayed_fn);
  else
    INIT_WORK(&it.h.w, plain_fn);
  it.disable_count = 0;
}

// ---- deadlines ------------------------------------------------------------------------------------

std::vector<std::unique_ptr<op_clock>> g_clocks;

namespace {
const clk::time_point g_epoch = clk::now();
}  // namespace

long long now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now() - g_epoch).count() + 1; }

std::atomic<bool> g_monitor_stop{false};

namespace {

// The torture's own view of every queue next to the engine's statistics, for deadline reports.
void dump_slot_stats() {
  for (auto& s : g_slots) {
    cmwq_wq_stats st{};
    workqueue_struct* wq = s->wq.load();
    const int rc = wq ? cmwq_workqueue_stats(wq, &st) : -1;
    std::fprintf(stderr,
                 "cmwq-torture: %s: running now %d, check limit %d; engine: rc %d max_active %d nr_active %d "
                 "nr_inactive %d started %llu completed %llu\n",
                 s->flavour, s->active.load(), s->check_limit.load(), rc, st.max_active, st.nr_active, st.nr_inactive,
                 st.started, st.completed);
    for (auto& it : s->items)
      std::fprintf(stderr, "  item %d%s: queued %llu cancelled %llu ran %llu running %d busy %u\n", it->id,
                   it->delayed ? " (delayed)" : "", static_cast<unsigned long long>(it->succ.load()),
                   static_cast<unsigned long long>(it->canc.load()), static_cast<unsigned long long>(it->exec.load()),
                   it->running.load(), work_busy(it->ws()));
  }
}

}  // namespace

void monitor() {
  const long long limit = static_cast<long long>(opt.op_timeout_s) * 1000000000LL;
  while (!g_monitor_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (std::size_t i = 0; i < g_clocks.size(); i++) {
      const long long start = g_clocks[i]->start_ns.load();
      if (!start || now_ns() - start < limit) continue;
      {
        std::lock_guard g(g_print_mu);
        std::fprintf(stderr,
                     "cmwq-torture: DEADLINE: %s %zu has been in '%s' for more than %d s (seed %llu); "
                     "state of every workqueue follows\n",
                     i + 1 == g_clocks.size() ? "main thread" : "thread", i, g_clocks[i]->what.load(),
                     opt.op_timeout_s, static_cast<unsigned long long>(opt.seed));
      }
      show_all_workqueues();
      dump_slot_stats();
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
}

// ---- slot life cycle ------------------------------------------------------------------------------

std::atomic<u64> g_alloc_failures{0};

namespace {

constexpr int k_max_alloc_retries = 1000;

// Allocates a queue of a random flavour for @s and records the flavour; NULL if that failed.
workqueue_struct* alloc_flavour(slot& s, std::mt19937_64& rng) {
  int kind;  // 0 per-CPU, 1 unbound, 2 ordered
  do kind = static_cast<int>(rnd(rng, 3));
  while (!(opt.kinds & (1u << kind)));
  unsigned extra = 0;
  for (unsigned f : {WQ_HIGHPRI, WQ_MEM_RECLAIM, WQ_FREEZABLE, WQ_CPU_INTENSIVE})
    if (rnd(rng, 4) == 0 && (opt.extra_flags & f) && !(kind == 2 && f == WQ_CPU_INTENSIVE)) extra |= f;
  s.generation++;
  workqueue_struct* wq;
  int limit;
  int requested = 0;
  if (kind == 2) {
    wq = alloc_ordered_workqueue("tort%d.%u", extra, s.id, s.generation);
    limit = 1;
  } else {
    requested = static_cast<int>(rnd(rng, static_cast<u64>(opt.max_limit) + 1));  // 0: WQ_DFL_ACTIVE
    wq = alloc_workqueue("tort%d.%u", (kind == 0 ? WQ_PERCPU : WQ_UNBOUND) | extra, requested, s.id, s.generation);
    limit = requested ? requested : WQ_DFL_ACTIVE;
  }
  s.flags = (kind == 0 ? WQ_PERCPU : WQ_UNBOUND) | extra;
  s.ordered = kind == 2;
  s.percpu = kind == 0;
  std::snprintf(s.flavour, sizeof s.flavour, "tort%d.%u[%s%s%s%s%s max_active=%d]", s.id, s.generation,
                kind == 0 ? "percpu" : kind == 1 ? "unbound" : "ordered", (extra & WQ_HIGHPRI) ? ",highpri" : "",
                (extra & WQ_MEM_RECLAIM) ? ",mem_reclaim" : "", (extra & WQ_FREEZABLE) ? ",freezable" : "",
                (extra & WQ_CPU_INTENSIVE) ? ",cpu_intensive" : "", limit);
  s.cur_limit = limit;
  return wq;
}

}  // namespace

void alloc_slot(slot& s, std::mt19937_64& rng) {
  workqueue_struct* wq = nullptr;
  for (int attempt = 0; !wq; attempt++) {
    const unsigned long injected = cmwq_fault_injected("wq_alloc");
    wq = alloc_flavour(s, rng);
    if (wq) break;
    g_alloc_failures.fetch_add(1);
    if (cmwq_fault_injected("wq_alloc") > injected && attempt < k_max_alloc_retries) continue;
    violation("alloc_workqueue(%s) returned NULL%s", s.flavour,
              attempt < k_max_alloc_retries ? " without an injected fault" : ", again and again");
    std::fflush(stderr);
    std::_Exit(1);
  }
  s.check_limit.store(s.cur_limit);
  s.next_seq = s.last_seq = 0;
  s.wq.store(wq);
  if (opt.verbose) say("cmwq-torture: allocated %s\n", s.flavour);
}

void settle_slot(slot& s, const char* why, bool destroy, op_clock& clock) {
  workqueue_struct* wq = s.wq.load();
  {
    op_scope o(clock, "settle: flush_delayed_work");
    for (auto& it : s.items)
      if (it->delayed) flush_delayed_work(&it->h.dw);
  }
  {
    op_scope o(clock, destroy ? "settle: destroy_workqueue" : "settle: drain_workqueue");
    if (destroy) {
      destroy_workqueue(wq);
      s.wq.store(nullptr);
    } else {
      drain_workqueue(wq);
    }
  }
  for (auto& p : s.items) {
    titem& it = *p;
    const u64 succ = it.succ.load(), canc = it.canc.load(), exec = it.exec.load();
    if (succ - canc != exec)
      violation("R2/R26 after %s of %s: item %d%s queued %llu times (true), cancelled %llu, ran %llu",
                why, s.flavour, it.id, it.delayed ? " (delayed)" : "", static_cast<unsigned long long>(succ),
                static_cast<unsigned long long>(canc), static_cast<unsigned long long>(exec));
    if (it.running.load()) violation("after %s of %s: item %d still running", why, s.flavour, it.id);
    if (it.inflight.load()) violation("after %s of %s: item %d has cancels in flight", why, s.flavour, it.id);
    if (!destroy) {
      const unsigned busy = work_busy(it.ws());
      if (busy) violation("R22 after %s of %s: work_busy(item %d) = %u", why, s.flavour, it.id, busy);
    }
    if (!it.seqs.empty()) {
      violation("after %s of %s: item %d has %zu recorded instances that never ran", why, s.flavour, it.id, it.seqs.size());
      it.seqs.clear();
    }
    // R4/R39: a disabled item stays disabled and refuses to be queued.
    if (!destroy && it.disable_count > 0) {
      const bool q = it.delayed ? queue_delayed_work(wq, &it.h.dw, 0) : queue_work(wq, &it.h.w);
      if (q) {
        violation("R39 after %s of %s: queue of item %d (disable count %d) returned true", why, s.flavour, it.id, it.disable_count);
        note_succ(it);
        if (it.delayed ? cancel_delayed_work_sync(&it.h.dw) : cancel_work_sync(&it.h.w)) note_canc(it);
      }
    }
  }
  if (!destroy) {
    cmwq_wq_stats st{};
    if (cmwq_workqueue_stats(wq, &st) != 0)
      violation("after %s of %s: cmwq_workqueue_stats failed", why, s.flavour);
    else if (st.nr_active != 0 || st.nr_inactive != 0)
      violation("R22 after %s of %s: the engine counts %d active and %d inactive items", why, s.flavour, st.nr_active,
                st.nr_inactive);
  }
  const u64 ps = s.p_succ.load(), pc = s.p_canc.load(), pe = s.p_exec.load();
  if (ps - pc != pe)
    violation("after %s of %s: plain items queued %llu, cancelled %llu, ran %llu", why, s.flavour,
              static_cast<unsigned long long>(ps), static_cast<unsigned long long>(pc), static_cast<unsigned long long>(pe));
  if (s.active.load() != 0) violation("after %s of %s: active counter %d", why, s.flavour, s.active.load());
  std::lock_guard g(s.cfg_mu);
  s.check_limit.store(s.cur_limit);  // nothing runs: the current limit rules from here on
}

void realloc_slot(slot& s, std::mt19937_64& rng, op_clock& clock) {
  settle_slot(s, "destroy_workqueue", true, clock);
  for (auto& it : s.items) init_item(*it);
  op_scope o(clock, "alloc_workqueue");
  alloc_slot(s, rng);
}

// ---- pause / quiesce ------------------------------------------------------------------------------

std::atomic<bool> g_stop{false};

namespace {
std::mutex g_park_mu;
std::condition_variable g_park_cv;
bool g_pause = false;  // g_park_mu
int g_parked = 0;      // g_park_mu
std::atomic<bool> g_pause_hint{false};
}  // namespace

void park_if_asked() {
  if (!g_pause_hint.load(std::memory_order_relaxed)) return;
  std::unique_lock l(g_park_mu);
  if (!g_pause) return;
  g_parked++;
  g_park_cv.notify_all();
  g_park_cv.wait(l, [] { return !g_pause; });
  g_parked--;
}

void quiesce_all(const char* why, op_clock& clock) {
  {
    op_scope o(clock, "quiesce: waiting for the torture threads to park");
    std::unique_lock l(g_park_mu);
    g_pause = true;
    g_pause_hint.store(true);
    g_park_cv.wait(l, [] { return g_parked == opt.threads; });
  }
  for (auto& s : g_slots) {
    std::unique_lock l(s->life);  // uncontended: every torture thread is parked
    settle_slot(*s, why, false, clock);
  }
  {
    std::lock_guard l(g_park_mu);
    g_pause = false;
    g_pause_hint.store(false);
  }
  g_park_cv.notify_all();
}

void stop_torturers() {
  g_stop.store(true);
  {
    std::lock_guard l(g_park_mu);
    g_pause = false;
  }
  g_park_cv.notify_all();
}

}  // namespace cmwq_torture
