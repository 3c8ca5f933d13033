// tools/cmwq-torture/main.cpp - cmwq-torture: random concurrent workqueue operations with online
// invariant checks, in the manner of the kernel's rcutorture (issue 5, part 1).
//
//   cmwq-torture [--threads N] [--duration-s S] [--seed N] [--quiesce-every-ms MS] [--queues N]
//                [--items N] [--op-timeout-s S] [--exclude OP,OP...] [--faults SPEC]
//                [--allow-warnings] [--verbose]
//
// N torture threads perform random operations of the kernel-style C API (<linux/workqueue.h>) on
// a shared population of work items, for a set time. The population is split into per-queue item
// pools ("slots"): the items of a slot are only ever queued on that slot's queue, so a queue can
// be destroyed and allocated again (with a new random flavour) once its own items are settled,
// and no item is ever freed or re-initialised while it could be queued.
//
// Invariants checked online (semantics.md section 4) - each failure is printed as a VIOLATION
// line with the seed, and makes the exit status non-zero:
//   R2/R26   accounting: every queue call that returned true is matched by exactly one execution
//            or one cancel/disable that returned true. Checked exactly whenever a slot is settled
//            (drain, destroy, periodic quiesce, end): succ - cancels == executions; in between as
//            a lower bound after every flush.
//   R4/R39   a queue call on an item the torture disabled returns false.
//   R5       no item runs concurrently with itself (per-item running flag, checked on entry).
//   R8       ordered queues run one item at a time, in queueing order (sequence numbers given
//            under a per-queue lock that also covers the queue call).
//   R11/R12  max_active is never exceeded: per pwq (worker's CPU) and in total for per-CPU queues,
//            system-wide for unbound ones. A lowered limit does not preempt running items (R14),
//            so the limit checked is the largest one set since the slot was last settled.
//   R15-R19  after flush_work / flush_delayed_work / flush_workqueue returns, everything queued
//            before the call has finished (executions + cancels >= successes recorded before),
//            allowing the two races the kernel has too (see the op_flush_work case).
//   R27      after cancel_*_sync / disable_*_sync returns, work_busy() == 0 (the item is private
//            to the cancelling thread meanwhile, so nobody else can queue it again).
//   R38/R40  disable/enable return values against the tracked disable count.
//   5.13     once freeze_workqueues_busy() said false, no item of a freezable queue starts until
//            thaw_workqueues().
//   D4       no WARNING is printed (the torture uses the API correctly), unless --allow-warnings.
//   R33      no workqueue is leaked at the end (cmwq_live_workqueues() == 0).
//
// Every blocking operation runs under a deadline (--op-timeout-s): if one passes, the tool prints
// the operation, the seed and show_all_workqueues(), and exits with status 3. The seed decides
// every random choice of each thread; thread interleavings are not reproducible, so a failing
// seed reproduces the mix of operations, not the exact schedule.
//
// Faults (--faults SPEC, or CMWQ_FAULT_INJECT; docs/faults.md): the same invariants must hold
// while worker creation, queue allocation and wake-ups misbehave, the timer thread stalls and
// signals interrupt the torture threads' waits. A queue allocation that fails with an injected
// fault is retried; one that fails without is a violation. The injected counts are printed.
//
// Environment: CMWQ_TORTURE_SECONDS overrides --duration-s (the ctest test torture.short uses it
// so that sanitizer passes can run shorter).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

// Last: the kernel-style headers define function-like macros (work_pending, flush_workqueue).
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/workqueue.h>

namespace {

using clk = std::chrono::steady_clock;
using u64 = unsigned long long;  // the same type as <linux/types.h>'s u64

// ---- options --------------------------------------------------------------------------------------

struct options {
  int threads = 4;
  double duration_s = 10;
  u64 seed = 0;
  int quiesce_ms = 1000;  // 0: only at the end
  int queues = 6;
  int items = 16;         // per queue; half plain work_struct, half delayed_work
  int op_timeout_s = 60;
  int max_limit = 8;      // largest max_active the torture sets
  unsigned kinds = 7;      // bit 0 per-CPU, bit 1 unbound, bit 2 ordered
  unsigned extra_flags = WQ_HIGHPRI | WQ_MEM_RECLAIM | WQ_FREEZABLE | WQ_CPU_INTENSIVE;
  bool allow_warnings = false;
  bool verbose = false;
  std::string faults;  // fault injection spec (docs/faults.md), applied before anything else
  std::set<std::string> exclude;
};
options opt;

// ---- operations -----------------------------------------------------------------------------------

enum op_id : int {
  op_queue, op_queue_on, op_queue_delayed, op_mod_delayed, op_cancel, op_cancel_sync, op_flush_work,
  op_flush_workqueue, op_drain, op_disable, op_disable_sync, op_enable, op_set_max_active, op_freeze,
  op_realloc, op_query, op_count
};

struct op_desc {
  const char* name;
  int weight;
};
// Weights: mostly queueing, which the other operations need something to act on.
constexpr op_desc op_table[op_count] = {
    {"queue", 20},         {"queue_on", 10},       {"queue_delayed", 12},  {"mod_delayed", 8},
    {"cancel", 8},         {"cancel_sync", 5},     {"flush_work", 5},      {"flush_workqueue", 2},
    {"drain", 1},          {"disable", 3},         {"disable_sync", 2},    {"enable", 6},
    {"set_max_active", 2}, {"freeze", 1},          {"realloc", 1},         {"query", 4},
};
// Pseudo-operation names --exclude also accepts.
constexpr const char* k_self_requeue = "self_requeue";  // items re-queueing themselves (R6)
constexpr const char* k_sleep = "sleep";                // items sleeping in msleep/usleep_range

bool excluded(const char* name) { return opt.exclude.count(name) != 0; }

// ---- violations and output ------------------------------------------------------------------------

std::atomic<unsigned long> g_violations{0};
std::mutex g_print_mu;
constexpr unsigned long k_max_printed = 50;

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

double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

// ---- CPUs -----------------------------------------------------------------------------------------

std::vector<int> g_cpus;  // online CPUs (U2)
int g_nr_cpu_ids = 1;

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

// ---- items and slots ------------------------------------------------------------------------------

struct titem;
struct slot;

// Standard-layout head holding the kernel structures, so that a work function finds its item with
// offsetof, as container_of() does in the kernel.
struct titem_head {
  struct work_struct w;       // plain items
  struct delayed_work dw;     // delayed items
  titem* self;
};

struct titem {
  titem_head h{};
  int id = 0;
  bool delayed = false;
  slot* s = nullptr;

  // Shared: any operation that may queue or cancel. Exclusive (try_lock only, never waited for):
  // cancel_sync, disable*, enable - operations after which the item must be private to check it.
  std::shared_mutex claim;
  int disable_count = 0;  // written under the exclusive claim (or with the slot exclusive)

  std::atomic<int> running{0};
  std::atomic<u64> succ{0}, canc{0}, exec{0};
  std::atomic<int> inflight{0};  // cancel-type calls (cancel*, disable*, mod_delayed) in progress
  std::atomic<u64> cancel_starts{0};  // cancel-type calls begun
  std::atomic<int> flushers{0};       // flush_delayed_work() calls in progress
  std::atomic<u64> flush_starts{0};   // flush_delayed_work() calls begun

  std::deque<u64> seqs;  // ordered slots: sequence numbers of the queued instances (slot.seq_mu)

  work_struct* ws() { return delayed ? &h.dw.work : &h.w; }
};

struct slot {
  int id = 0;
  unsigned generation = 0;
  std::atomic<workqueue_struct*> wq{nullptr};
  unsigned flags = 0;  // WQ_* as allocated (stable while any item can run)
  bool ordered = false;
  bool percpu = false;
  char flavour[96] = {};  // name and flavour as allocated (the initial max_active)

  // Shared for operations on the slot's items; exclusive for drain and destroy/alloc.
  std::shared_mutex life;
  std::atomic<int> excl_wanted{0};

  std::mutex cfg_mu;
  int cur_limit = 1;                 // cfg_mu (or slot exclusive)
  std::atomic<int> check_limit{1};   // largest limit since the slot was last settled

  std::atomic<int> active{0};
  std::unique_ptr<std::atomic<int>[]> cpu_active;

  std::mutex seq_mu;  // ordered slots: queue calls + seqs of all items + last_seq
  u64 next_seq = 0;
  u64 last_seq = 0;

  // Plain items only (flush_workqueue does not wait for armed timers, R18/R19).
  std::atomic<u64> p_succ{0}, p_canc{0}, p_exec{0};
  std::atomic<int> p_inflight{0};

  std::vector<std::unique_ptr<titem>> items;
};

std::vector<std::unique_ptr<slot>> g_slots;

// Freezing (5.13): one freezer at a time.
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

bool g_self_requeue = true;
bool g_sleep = true;

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

void init_item(titem& it) {
  if (it.delayed)
    INIT_DELAYED_WORK(&it.h.dw, delayed_fn);
  else
    INIT_WORK(&it.h.w, plain_fn);
  it.disable_count = 0;
}

// ---- deadlines ------------------------------------------------------------------------------------

struct op_clock {
  std::atomic<long long> start_ns{0};  // 0: not in an operation
  std::atomic<const char*> what{nullptr};
};
std::vector<std::unique_ptr<op_clock>> g_clocks;  // one per torture thread, then the main thread
const clk::time_point g_epoch = clk::now();

long long now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now() - g_epoch).count() + 1; }

struct op_scope {
  op_clock& c;
  op_scope(op_clock& clock, const char* what) : c(clock) {
    c.what.store(what);
    c.start_ns.store(now_ns());
  }
  ~op_scope() { c.start_ns.store(0); }
};

std::atomic<bool> g_monitor_stop{false};

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

constexpr int k_max_alloc_retries = 1000;
std::atomic<u64> g_alloc_failures{0};  // queue allocations that failed (injected faults)

template <class R>
u64 rnd(R& rng, u64 n) {
  return n ? rng() % n : 0;
}

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

// Gives @s a new queue. An allocation that fails with an injected fault (--faults) is retried
// with another flavour, a bounded number of times; one that fails without is a violation.
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

// Settles a slot: converts armed timers into queued instances, waits until the queue is empty,
// then checks the exact accounting of every item. The slot must be held exclusively (or every
// torture thread parked). destroy: destroy the queue instead of draining it.
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

// Destroys the slot's queue (settling it) and allocates a new one of a random flavour.
void realloc_slot(slot& s, std::mt19937_64& rng, op_clock& clock) {
  settle_slot(s, "destroy_workqueue", true, clock);
  for (auto& it : s.items) init_item(*it);
  op_scope o(clock, "alloc_workqueue");
  alloc_slot(s, rng);
}

// ---- pause / quiesce ------------------------------------------------------------------------------

std::mutex g_park_mu;
std::condition_variable g_park_cv;
bool g_pause = false;  // g_park_mu
int g_parked = 0;      // g_park_mu
std::atomic<bool> g_pause_hint{false};
std::atomic<bool> g_stop{false};

void park_if_asked() {
  if (!g_pause_hint.load(std::memory_order_relaxed)) return;
  std::unique_lock l(g_park_mu);
  if (!g_pause) return;
  g_parked++;
  g_park_cv.notify_all();
  g_park_cv.wait(l, [] { return !g_pause; });
  g_parked--;
}

// ---- the torture thread ---------------------------------------------------------------------------

struct op_stats {
  u64 calls[op_count] = {};  // operations performed
  u64 trues[op_count] = {};  // ... whose call returned true (queue/cancel/flush/...)
  u64 skips[op_count] = {};  // ... skipped: item or slot busy, nothing to do
};

class torturer {
 public:
  torturer(int index, op_clock& clock) : clock_(clock), rng_(opt.seed * 0x9e3779b97f4a7c15ULL + static_cast<u64>(index) + 1) {}

  void run() {
    int total = 0;
    for (const auto& d : op_table) total += excluded(d.name) ? 0 : d.weight;
    if (!total) return;
    while (!g_stop.load(std::memory_order_relaxed)) {
      park_if_asked();
      int pick = static_cast<int>(rnd(rng_, static_cast<u64>(total)));
      int op = 0;
      for (; op < op_count; op++) {
        if (excluded(op_table[op].name)) continue;
        if (pick < op_table[op].weight) break;
        pick -= op_table[op].weight;
      }
      do_op(static_cast<op_id>(op));
    }
  }

  op_stats stats;

 private:
  op_clock& clock_;
  std::mt19937_64 rng_;

  u64 r(u64 n) { return rnd(rng_, n); }

  int pick_cpu() {
    if (r(4) == 0) return WORK_CPU_UNBOUND;
    return g_cpus[r(g_cpus.size())];
  }
  unsigned long pick_delay() { return r(8) == 0 ? 5 + r(15) : r(4); }  // jiffies (ms): 0 queues at once

  // A slot held shared, or nullptr if the ones tried are wanted exclusively.
  slot* acquire_shared() {
    for (int tries = 0; tries < 4; tries++) {
      slot& s = *g_slots[r(g_slots.size())];
      if (s.excl_wanted.load()) continue;
      s.life.lock_shared();
      return &s;
    }
    return nullptr;
  }

  // Queue calls, with the accounting and the ordered-queue sequence numbers.
  // kind: 0 queue_work, 1 queue_work_on, 2 queue_delayed_work_on, 3 mod_delayed_work_on.
  // Caller holds the item's claim (shared or exclusive), so disable_count is stable.
  bool do_queue(titem& it, int kind, int cpu, unsigned long delay) {
    slot& s = *it.s;
    workqueue_struct* wq = s.wq.load();
    const bool disabled = it.disable_count > 0;
    bool q;
    std::unique_lock<std::mutex> g;
    if (s.ordered) g = std::unique_lock(s.seq_mu);
    if (kind == 3) inflight_begin(it);
    switch (kind) {
      case 0: q = it.delayed ? queue_delayed_work(wq, &it.h.dw, 0) : queue_work(wq, &it.h.w); break;
      case 1: q = it.delayed ? queue_delayed_work_on(cpu, wq, &it.h.dw, 0) : queue_work_on(cpu, wq, &it.h.w); break;
      case 2: q = queue_delayed_work_on(cpu, wq, &it.h.dw, delay); break;
      default: q = mod_delayed_work_on(cpu, wq, &it.h.dw, delay); break;
    }
    // Only a queue at once (delay 0) gets a checked place in an ordered queue; a timer queues
    // the item when it fires, at a moment the torture does not observe.
    const bool at_once = kind < 2 || delay == 0;
    if (kind == 3) {
      if (disabled) {
        if (q) violation("R39: mod_delayed_work of disabled item %d (count %d) of %s returned true", it.id, it.disable_count, s.flavour);
      } else {
        // true: the pending instance was stolen and a new one armed; false: a new one armed.
        if (q) {
          note_canc(it);
          if (s.ordered) seq_pop_back(it, "mod_delayed_work");
        }
        note_succ(it);
        if (s.ordered) seq_push(it, at_once);
      }
      inflight_end(it);
    } else if (q) {
      if (disabled) violation("R4/R39: queue of disabled item %d (count %d) of %s returned true", it.id, it.disable_count, s.flavour);
      note_succ(it);
      if (s.ordered) seq_push(it, at_once);
    }
    return q;
  }

  void do_op(op_id op) {
    stats.calls[op]++;
    if (op == op_freeze) return do_freeze();
    slot* sp = acquire_shared();
    if (!sp) {
      stats.skips[op]++;
      return;
    }
    slot& s = *sp;
    if (op == op_drain || op == op_realloc) {
      s.life.unlock_shared();
      return do_exclusive(s, op);
    }
    if (op == op_flush_workqueue || op == op_set_max_active) {
      slot_op(s, op);
      s.life.unlock_shared();
      return;
    }
    // Item operations.
    titem& it = *s.items[r(s.items.size())];
    const bool exclusive = op == op_cancel_sync || op == op_disable || op == op_disable_sync || op == op_enable;
    if (exclusive ? !it.claim.try_lock() : !it.claim.try_lock_shared()) {
      stats.skips[op]++;
      s.life.unlock_shared();
      return;
    }
    item_op(s, it, op);
    if (exclusive)
      it.claim.unlock();
    else
      it.claim.unlock_shared();
    s.life.unlock_shared();
  }

  void item_op(slot& s, titem& it, op_id op) {
    switch (op) {
      case op_queue:
        stats.trues[op] += do_queue(it, 0, 0, 0);
        break;
      case op_queue_on:
        stats.trues[op] += do_queue(it, 1, pick_cpu(), 0);
        break;
      case op_queue_delayed:
        if (it.delayed)
          stats.trues[op] += do_queue(it, 2, pick_cpu(), pick_delay());
        else
          stats.trues[op] += do_queue(it, 0, 0, 0);  // plain item: a queue at once
        break;
      case op_mod_delayed:
        if (!it.delayed) return (void)stats.skips[op]++;
        stats.trues[op] += do_queue(it, 3, pick_cpu(), pick_delay());
        break;
      case op_cancel: {
        std::unique_lock<std::mutex> g;
        if (s.ordered) g = std::unique_lock(s.seq_mu);
        inflight_begin(it);
        const bool c = it.delayed ? cancel_delayed_work(&it.h.dw) : cancel_work(&it.h.w);
        if (c) {
          note_canc(it);
          if (s.ordered) seq_pop_back(it, "cancel_work");
        }
        inflight_end(it);
        stats.trues[op] += c;
        break;
      }
      case op_cancel_sync:
      case op_disable_sync: {
        const bool dis = op == op_disable_sync;
        if (dis && it.disable_count >= 4) return (void)stats.skips[op]++;
        bool c;
        inflight_begin(it);
        {
          op_scope o(clock_, op_table[op].name);
          if (it.delayed)
            c = dis ? disable_delayed_work_sync(&it.h.dw) : cancel_delayed_work_sync(&it.h.dw);
          else
            c = dis ? disable_work_sync(&it.h.w) : cancel_work_sync(&it.h.w);
        }
        if (c) note_canc(it);
        inflight_end(it);
        if (dis) it.disable_count++;
        if (c && s.ordered) {
          std::lock_guard g(s.seq_mu);
          seq_pop_back(it, op_table[op].name);
        }
        stats.trues[op] += c;
        // R27: private to this thread, so neither pending nor running now.
        const unsigned busy = work_busy(it.ws());
        if (busy)
          violation("R27: after %s of item %d%s of %s returned %d, work_busy = %u", op_table[op].name, it.id,
                    it.delayed ? " (delayed)" : "", s.flavour, c, busy);
        if (dis) do_queue(it, it.delayed && r(2) ? 2 : 0, WORK_CPU_UNBOUND, 1);  // R39: must return false
        break;
      }
      case op_disable: {
        if (it.disable_count >= 4) return (void)stats.skips[op]++;
        bool c;
        {
          std::unique_lock<std::mutex> g;
          if (s.ordered) g = std::unique_lock(s.seq_mu);
          inflight_begin(it);
          c = it.delayed ? disable_delayed_work(&it.h.dw) : disable_work(&it.h.w);
          if (c) {
            note_canc(it);
            if (s.ordered) seq_pop_back(it, "disable_work");
          }
          inflight_end(it);
        }
        it.disable_count++;
        stats.trues[op] += c;
        if (work_busy(it.ws()) & WORK_BUSY_PENDING)
          violation("R40: item %d of %s pending after disable_work returned %d", it.id, s.flavour, c);
        if (work_pending(it.ws())) violation("R40: work_pending(item %d) after disable_work", it.id);
        do_queue(it, it.delayed && r(2) ? 2 : 0, WORK_CPU_UNBOUND, 1);  // R39: must return false
        break;
      }
      case op_enable: {
        if (it.disable_count == 0) return (void)stats.skips[op]++;
        const bool e = it.delayed ? enable_delayed_work(&it.h.dw) : enable_work(&it.h.w);
        it.disable_count--;
        if (e != (it.disable_count == 0))
          violation("R38: enable_work of item %d of %s returned %d with disable count now %d", it.id, s.flavour, e, it.disable_count);
        stats.trues[op] += e;
        break;
      }
      case op_flush_work: {
        // R16: every instance queued before the call has run, or was cancelled, by the return.
        // One exception, as in the kernel: flush_work() waits on a barrier linked behind the
        // pending instance; a cancel that steals that instance releases the barrier at once, so
        // an older instance of the item may still be running on return. With a cancel-type call
        // racing the flush, the running instance is therefore allowed.
        //
        // A second exception, also as in the kernel, for flush_delayed_work(): when another
        // flush_delayed_work() of the item has just deleted the timer and is queueing the item,
        // this one finds no timer and an item that is PENDING but on no list yet, and returns
        // at once (flush_work() of an idle item). The other flusher waits for that instance, so
        // one instance is allowed to be missing when flushes of the item overlapped.
        const u64 starts0 = it.cancel_starts.load();
        const int inflight0 = it.inflight.load();
        int flushers0 = 0;
        u64 fstarts0 = 0;
        if (it.delayed) {
          fstarts0 = it.flush_starts.fetch_add(1) + 1;
          flushers0 = it.flushers.fetch_add(1);
        }
        const u64 before = it.succ.load();
        bool f;
        {
          op_scope o(clock_, it.delayed ? "flush_delayed_work" : "flush_work");
          f = it.delayed ? flush_delayed_work(&it.h.dw) : flush_work(&it.h.w);
        }
        const bool flush_raced = it.delayed && (flushers0 != 0 || it.flush_starts.load() != fstarts0);
        if (it.delayed) it.flushers.fetch_sub(1);
        stats.trues[op] += f;
        // Read in-flight cancels before the counts they add to: a cancel that ends after this
        // read is counted here; one that ended before has already added to canc. Likewise
        // "running" before exec (an instance adds to exec before it stops running).
        const int inflight = it.inflight.load();
        const bool raced = inflight0 != 0 || it.cancel_starts.load() != starts0;
        // Running: the engine's view (work_busy) covers the moments before the function sets
        // our flag; our flag the moments after the engine's worker is no longer found.
        const int running = raced ? ((work_busy(it.ws()) & WORK_BUSY_RUNNING) || it.running.load() ? 1 : 0) : 0;
        const u64 canc = it.canc.load(), exec = it.exec.load();
        if (exec + canc + static_cast<u64>(inflight) + static_cast<u64>(running) + (flush_raced ? 1u : 0u) < before) {
          const unsigned busy = work_busy(it.ws());
          violation("R16/R17: %s(item %d of %s) returned %d before the instances queued earlier finished: "
                    "queued %llu before, ran %llu, cancelled %llu, cancels in flight %d, work_busy now %u, "
                    "running now %d%s%s",
                    it.delayed ? "flush_delayed_work" : "flush_work", it.id, s.flavour, f,
                    static_cast<unsigned long long>(before), static_cast<unsigned long long>(exec),
                    static_cast<unsigned long long>(canc), inflight, busy, it.running.load(),
                    raced ? " (a cancel raced the flush)" : "",
                    flush_raced ? " (another flush_delayed_work overlapped)" : "");
        }
        break;
      }
      case op_query: {
        // Racy snapshots (R42): only that they answer. R18: flush_work on a delayed item's work.
        (void)work_busy(it.ws());
        (void)work_pending(it.ws());
        (void)workqueue_congested(pick_cpu(), s.wq.load());
        if (it.delayed && r(4) == 0) {
          op_scope o(clock_, "flush_work(&dwork->work)");
          (void)flush_work(&it.h.dw.work);
        }
        break;
      }
      default:
        break;
    }
  }

  void slot_op(slot& s, op_id op) {
    workqueue_struct* wq = s.wq.load();
    if (op == op_flush_workqueue) {
      const u64 before = s.p_succ.load();
      {
        op_scope o(clock_, "flush_workqueue");
        flush_workqueue(wq);
      }
      // A cancel in flight may have taken an instance counted in `before` and not yet counted
      // itself: read the in-flight count first; a cancel finishing after that read has already
      // added to p_canc when we read it.
      const int inflight = s.p_inflight.load();
      const u64 canc = s.p_canc.load(), exec = s.p_exec.load();
      if (exec + canc + static_cast<u64>(inflight) < before)
        violation("R19: flush_workqueue(%s) returned before the plain items queued earlier finished: "
                  "queued %llu before, ran %llu, cancelled %llu, cancels in flight %d",
                  s.flavour, static_cast<unsigned long long>(before), static_cast<unsigned long long>(exec),
                  static_cast<unsigned long long>(canc), inflight);
      stats.trues[op]++;
      return;
    }
    // op_set_max_active (R9: not on ordered queues, which would warn).
    if (s.ordered) return (void)stats.skips[op]++;
    const int v = 1 + static_cast<int>(r(static_cast<u64>(opt.max_limit)));
    std::lock_guard g(s.cfg_mu);
    // Raised: check against the new limit from before the call on. Lowered: running items are
    // not preempted (R14), so the larger limit stays until the slot is next settled.
    if (v > s.check_limit.load()) s.check_limit.store(v);
    {
      op_scope o(clock_, "workqueue_set_max_active");
      workqueue_set_max_active(wq, v);
    }
    s.cur_limit = v;
    stats.trues[op]++;
  }

  void do_exclusive(slot& s, op_id op) {
    s.excl_wanted.fetch_add(1);
    {
      op_scope o(clock_, "waiting for a slot exclusively");
      s.life.lock();
    }
    if (op == op_drain)
      settle_slot(s, "drain_workqueue", false, clock_);
    else
      realloc_slot(s, rng_, clock_);
    stats.trues[op]++;
    s.life.unlock();
    s.excl_wanted.fetch_sub(1);
  }

  void do_freeze() {
    std::unique_lock l(g_freeze_mu, std::try_to_lock);
    if (!l.owns_lock()) return (void)stats.skips[op_freeze]++;
    op_scope o(clock_, "freeze/thaw");
    freeze_workqueues_begin();
    // Wait (bounded) until the freezable queues are quiet; from then on none may start an item.
    const auto until = clk::now() + std::chrono::milliseconds(20);
    bool quiet = false;
    while (clk::now() < until) {
      if (!freeze_workqueues_busy()) {
        quiet = true;
        break;
      }
      usleep_range(100, 200);
    }
    if (quiet) {
      g_frozen_quiet.store(true);
      stats.trues[op_freeze]++;
    }
    usleep_range(static_cast<unsigned long>(r(2000)) + 1, 2000);
    g_frozen_quiet.store(false);
    thaw_workqueues();
  }
};

// ---- main -----------------------------------------------------------------------------------------

void usage(FILE* f) {
  std::fprintf(f,
               "usage: cmwq-torture [options]\n"
               "  --threads N            torture threads (default 4)\n"
               "  --duration-s S         run time in seconds (default 10; env CMWQ_TORTURE_SECONDS overrides)\n"
               "  --seed N               random seed (default: random, printed)\n"
               "  --quiesce-every-ms MS  stop all threads, settle every queue and check the exact\n"
               "                         accounting every MS ms (default 1000; 0: only at the end)\n"
               "  --queues N             queues (slots), each with its own items (default 6)\n"
               "  --items N              items per queue, half of them delayed_work (default 16)\n"
               "  --max-active N         largest max_active set (default 8)\n"
               "  --op-timeout-s S       deadline of one blocking operation (default 60)\n"
               "  --exclude A,B,...      leave out operations: ");
  for (const auto& d : op_table) std::fprintf(f, "%s ", d.name);
  std::fprintf(f,
               "%s %s\n"
               "  --kinds A,B,...        queue kinds to allocate: percpu,unbound,ordered (default all)\n"
               "  --flags A,B,...        extra flags drawn at random: highpri,mem_reclaim,freezable,\n"
               "                         cpu_intensive (default all; 'none' for none)\n"
               "  --faults SPEC          inject faults meanwhile (docs/faults.md), e.g.\n"
               "                         worker_create:probability=20,spurious_wakeup:probability=20,signal\n"
               "  --allow-warnings       do not count library WARNINGs as violations\n"
               "  --verbose              print every queue allocation\n",
               k_self_requeue, k_sleep);
}

bool g_duration_from_env = false;

bool parse(int argc, char** argv) {
  bool seeded = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cmwq-torture: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") opt.threads = std::atoi(value("--threads"));
    else if (a == "--duration-s") opt.duration_s = std::atof(value("--duration-s"));
    else if (a == "--seed") { opt.seed = std::strtoull(value("--seed"), nullptr, 0); seeded = true; }
    else if (a == "--quiesce-every-ms") opt.quiesce_ms = std::atoi(value("--quiesce-every-ms"));
    else if (a == "--queues") opt.queues = std::atoi(value("--queues"));
    else if (a == "--items") opt.items = std::atoi(value("--items"));
    else if (a == "--max-active") opt.max_limit = std::atoi(value("--max-active"));
    else if (a == "--op-timeout-s") opt.op_timeout_s = std::atoi(value("--op-timeout-s"));
    else if (a == "--kinds" || a == "--flags") {
      const bool kinds = a == "--kinds";
      std::string list = value(a.c_str());
      unsigned mask = 0;
      std::size_t pos = 0;
      while (pos < list.size()) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const std::string name = list.substr(pos, comma - pos);
        if (kinds && name == "percpu") mask |= 1;
        else if (kinds && name == "unbound") mask |= 2;
        else if (kinds && name == "ordered") mask |= 4;
        else if (!kinds && name == "highpri") mask |= WQ_HIGHPRI;
        else if (!kinds && name == "mem_reclaim") mask |= WQ_MEM_RECLAIM;
        else if (!kinds && name == "freezable") mask |= WQ_FREEZABLE;
        else if (!kinds && name == "cpu_intensive") mask |= WQ_CPU_INTENSIVE;
        else if (!kinds && name == "none") {
        } else {
          std::fprintf(stderr, "cmwq-torture: unknown %s entry '%s'\n", a.c_str(), name.c_str());
          return false;
        }
        pos = comma + 1;
      }
      (kinds ? opt.kinds : opt.extra_flags) = mask;
      if (kinds && !mask) return false;
    } else if (a == "--faults") opt.faults = value("--faults");
    else if (a == "--allow-warnings") opt.allow_warnings = true;
    else if (a == "--verbose") opt.verbose = true;
    else if (a == "--exclude") {
      std::string list = value("--exclude");
      std::size_t pos = 0;
      while (pos <= list.size()) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const std::string name = list.substr(pos, comma - pos);
        bool known = name == k_self_requeue || name == k_sleep;
        for (const auto& d : op_table) known |= name == d.name;
        if (!known) {
          std::fprintf(stderr, "cmwq-torture: unknown operation '%s'\n", name.c_str());
          return false;
        }
        opt.exclude.insert(name);
        pos = comma + 1;
      }
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "cmwq-torture: unknown argument '%s'\n", a.c_str());
      return false;
    }
  }
  if (const char* env = std::getenv("CMWQ_TORTURE_SECONDS"); env && *env) {
    opt.duration_s = std::atof(env);
    g_duration_from_env = true;
  }
  if (!seeded) opt.seed = (static_cast<u64>(std::random_device{}()) << 32) ^ std::random_device{}();
  if (opt.threads < 1 || opt.queues < 1 || opt.items < 1 || opt.max_limit < 1 || opt.op_timeout_s < 1 ||
      opt.duration_s < 0 || opt.quiesce_ms < 0) {
    std::fprintf(stderr, "cmwq-torture: invalid option value\n");
    return false;
  }
  return true;
}

// Parks every torture thread, settles every slot with the exact checks, and lets them go on.
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

// Log lines the library prints for an injected failure (a rescuer that could not be made), counted
// instead of printed: a fault run makes thousands. Everything else goes to standard error.
std::atomic<u64> g_fault_log_lines{0};
void log_sink(const char* line, void*) {
  if (std::strstr(line, "workqueue: Failed to allocate a rescuer") ||
      std::strstr(line, "workqueue: Failed to create a rescuer kthread")) {
    g_fault_log_lines.fetch_add(1);
    return;
  }
  std::lock_guard g(g_print_mu);
  std::fprintf(stderr, "%s\n", line);
}

// The faults injected during the run (--faults or CMWQ_FAULT_INJECT), if any.
void print_faults() {
  static const char* const points[] = {"worker_create", "wq_alloc", "timer_stall", "spurious_wakeup", "signal"};
  std::string line;
  for (const char* p : points)
    if (const unsigned long n = cmwq_fault_injected(p)) line += " " + std::string(p) + "=" + std::to_string(n);
  if (line.empty()) return;
  say("cmwq-torture: faults injected:%s; queue allocations failed: %llu (log lines about them: %llu)\n",
      line.c_str(), static_cast<unsigned long long>(g_alloc_failures.load()),
      static_cast<unsigned long long>(g_fault_log_lines.load()));
}

}  // namespace

int main(int argc, char** argv) {
  if (!parse(argc, argv)) {
    usage(stderr);
    return 2;
  }
  {
    int cpu;
    for_each_online_cpu(cpu) g_cpus.push_back(cpu);
    g_nr_cpu_ids = static_cast<int>(nr_cpu_ids);
  }
  if (g_cpus.empty()) g_cpus.push_back(0);
  g_self_requeue = !excluded(k_self_requeue);
  g_sleep = !excluded(k_sleep);

  std::string excl;
  for (const auto& e : opt.exclude) excl += (excl.empty() ? "" : ",") + e;
  say("cmwq-torture: seed %llu (rerun with --seed %llu)\n", static_cast<unsigned long long>(opt.seed),
      static_cast<unsigned long long>(opt.seed));
  say("cmwq-torture: %d threads, %.1f s%s, %d queues x %d items, quiesce every %d ms, %zu online CPUs%s%s\n",
      opt.threads, opt.duration_s, g_duration_from_env ? " (CMWQ_TORTURE_SECONDS)" : "", opt.queues, opt.items,
      opt.quiesce_ms, g_cpus.size(),
      excl.empty() ? "" : ", excluded: ", excl.c_str());

  cmwq_set_log_hook(log_sink, nullptr);
  if (!opt.faults.empty() && cmwq_fault_inject(opt.faults.c_str()) != 0) {
    std::fprintf(stderr, "cmwq-torture: --faults: bad spec (see above)\n");
    return 2;
  }
  const unsigned long warn0 = cmwq_warn_count();
  const std::size_t live0 = cmwq_live_workqueues();

  for (int i = 0; i <= opt.threads; i++) g_clocks.push_back(std::make_unique<op_clock>());
  op_clock& main_clock = *g_clocks.back();

  std::mt19937_64 main_rng(opt.seed ^ 0x5deece66dULL);
  for (int q = 0; q < opt.queues; q++) {
    auto s = std::make_unique<slot>();
    s->id = q;
    s->cpu_active = std::make_unique<std::atomic<int>[]>(static_cast<std::size_t>(g_nr_cpu_ids));
    for (int i = 0; i < opt.items; i++) {
      auto it = std::make_unique<titem>();
      it->id = q * 1000 + i;
      it->delayed = i % 2 == 1;
      it->s = s.get();
      it->h.self = it.get();
      init_item(*it);
      s->items.push_back(std::move(it));
    }
    alloc_slot(*s, main_rng);
    g_slots.push_back(std::move(s));
  }

  std::thread mon(monitor);
  std::vector<std::unique_ptr<torturer>> torturers;
  std::vector<std::thread> threads;
  for (int t = 0; t < opt.threads; t++) torturers.push_back(std::make_unique<torturer>(t, *g_clocks[static_cast<std::size_t>(t)]));
  const auto start = clk::now();
  for (int t = 0; t < opt.threads; t++) threads.emplace_back([&torturers, t] { torturers[static_cast<std::size_t>(t)]->run(); });

  unsigned quiesces = 0;
  auto next_quiesce = start + std::chrono::milliseconds(opt.quiesce_ms);
  auto next_report = start + std::chrono::seconds(5);
  const auto end = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(opt.duration_s));
  while (clk::now() < end) {
    auto wake = std::min(end, next_report);
    if (opt.quiesce_ms) wake = std::min(wake, next_quiesce);
    std::this_thread::sleep_until(wake);
    const auto now = clk::now();
    if (opt.quiesce_ms && now >= next_quiesce && now < end) {
      quiesce_all("periodic quiesce", main_clock);
      quiesces++;
      next_quiesce = clk::now() + std::chrono::milliseconds(opt.quiesce_ms);
    }
    if (now >= next_report) {
      u64 execs = 0;
      for (auto& s : g_slots)
        for (auto& it : s->items) execs += it->exec.load();
      say("cmwq-torture: %5.1f s: %llu executions, %u quiesces, %lu violations\n", seconds_since(start),
          static_cast<unsigned long long>(execs), quiesces, g_violations.load());
      next_report += std::chrono::seconds(5);
    }
  }

  g_stop.store(true);
  {
    std::lock_guard l(g_park_mu);
    g_pause = false;
  }
  g_park_cv.notify_all();
  {
    op_scope o(main_clock, "joining the torture threads");
    for (auto& t : threads) t.join();
  }
  const double ran = seconds_since(start);

  // Final checks: settle every queue, then destroy them all.
  for (auto& s : g_slots) settle_slot(*s, "final drain", false, main_clock);
  quiesces++;
  for (auto& s : g_slots) settle_slot(*s, "final destroy_workqueue", true, main_clock);
  if (cmwq_live_workqueues() != live0)
    violation("R33: %zu workqueues still alive after destroying them all (expected %zu)", cmwq_live_workqueues(), live0);
  g_monitor_stop.store(true);
  mon.join();

  op_stats total;
  for (auto& t : torturers)
    for (int o = 0; o < op_count; o++) {
      total.calls[o] += t->stats.calls[o];
      total.trues[o] += t->stats.trues[o];
      total.skips[o] += t->stats.skips[o];
    }
  u64 execs = 0, succ = 0, canc = 0;
  for (auto& s : g_slots)
    for (auto& it : s->items) {
      execs += it->exec.load();
      succ += it->succ.load();
      canc += it->canc.load();
    }
  say("cmwq-torture: operations (calls / returned true or done / skipped):\n");
  for (int o = 0; o < op_count; o++)
    if (!excluded(op_table[o].name))
      say("  %-16s %10llu %10llu %10llu\n", op_table[o].name, static_cast<unsigned long long>(total.calls[o]),
          static_cast<unsigned long long>(total.trues[o]), static_cast<unsigned long long>(total.skips[o]));
  say("cmwq-torture: %.1f s, %llu successful queueings, %llu cancels, %llu executions, %u quiesces\n", ran,
      static_cast<unsigned long long>(succ), static_cast<unsigned long long>(canc),
      static_cast<unsigned long long>(execs), quiesces);

  print_faults();
  const unsigned long warns = cmwq_warn_count() - warn0;
  if (warns && !opt.allow_warnings) violation("D4: the library printed %lu WARNING(s) (see above)", warns);
  const unsigned long v = g_violations.load();
  say("cmwq-torture: %s: %lu violations, %lu warnings (seed %llu)\n", v ? "FAILED" : "PASSED", v, warns,
      static_cast<unsigned long long>(opt.seed));
  return v ? 1 : 0;
}
