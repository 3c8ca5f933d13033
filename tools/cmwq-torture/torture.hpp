// tools/cmwq-torture/torture.hpp - what the parts of cmwq-torture share (docs/torture.md): the
// options, the operation table, the tracked work items and their per-queue slots, the accounting
// and deadline helpers, and the entry points of each part.
//
//   main.cpp        options, the run (threads, periodic quiesces, final checks) and the report
//   slots.cpp       items, the work function and its online checks, accounting, the slot life
//                   cycle (allocate, settle with the exact checks, destroy), pause/quiesce, and
//                   the deadline monitor
//   operations.cpp  the torture threads: random operations and the checks after each
//
// Everything lives in namespace cmwq_torture; each global below is defined once, in the file that
// owns it (named at its group).
#pragma once

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

// Last: the kernel-style headers define function-like macros (work_pending, flush_workqueue).
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/workqueue.h>

namespace cmwq_torture {

using clk = std::chrono::steady_clock;
using u64 = unsigned long long;  // the same type as <linux/types.h>'s u64

// ---- options (main.cpp) ---------------------------------------------------------------------------

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
extern options opt;

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
inline constexpr op_desc op_table[op_count] = {
    {"queue", 20},         {"queue_on", 10},       {"queue_delayed", 12},  {"mod_delayed", 8},
    {"cancel", 8},         {"cancel_sync", 5},     {"flush_work", 5},      {"flush_workqueue", 2},
    {"drain", 1},          {"disable", 3},         {"disable_sync", 2},    {"enable", 6},
    {"set_max_active", 2}, {"freeze", 1},          {"realloc", 1},         {"query", 4},
};
// Pseudo-operation names --exclude also accepts.
inline constexpr const char* k_self_requeue = "self_requeue";  // items re-queueing themselves (R6)
inline constexpr const char* k_sleep = "sleep";                // items sleeping in msleep/usleep_range

inline bool excluded(const char* name) { return opt.exclude.count(name) != 0; }

// ---- violations and output (slots.cpp) ------------------------------------------------------------

extern std::atomic<unsigned long> g_violations;
extern std::mutex g_print_mu;  // serialises every line the tool prints

// Counts a violated invariant and prints it with the seed (the first 50 of them; the exit status
// is then non-zero).
__attribute__((format(printf, 1, 2))) void violation(const char* fmt, ...);
// Prints a line to standard output, whole.
__attribute__((format(printf, 1, 2))) void say(const char* fmt, ...);

// ---- CPUs (slots.cpp; filled in by main) ----------------------------------------------------------

extern std::vector<int> g_cpus;  // online CPUs (U2)
extern int g_nr_cpu_ids;

// ---- items and slots (slots.cpp) ------------------------------------------------------------------

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

extern std::vector<std::unique_ptr<slot>> g_slots;

// Freezing (5.13): one freezer at a time.
extern std::mutex g_freeze_mu;
extern std::atomic<bool> g_frozen_quiet;  // freeze_workqueues_busy() said false, not yet thawed

// Pseudo-operations left out with --exclude (set by main before the run).
extern bool g_self_requeue;
extern bool g_sleep;

// (Re)initialises an item's kernel structure with the work function; disable count 0.
void init_item(titem& it);

// ---- accounting (slots.cpp) -----------------------------------------------------------------------

// A queue call returned true / a cancel-type call took a queued instance.
void note_succ(titem& it);
void note_canc(titem& it);
// Around a cancel-type call (cancel*, disable*, mod_delayed): flushes allow for it meanwhile.
void inflight_begin(titem& it);
void inflight_end(titem& it);
// Ordered slots, slot.seq_mu held: record a queued instance (checked: a sequence number, else 0),
// or forget the latest one (a cancel took it); why names the call for the violation.
void seq_push(titem& it, bool checked);
void seq_pop_back(titem& it, const char* why);

// ---- deadlines (slots.cpp) ------------------------------------------------------------------------

struct op_clock {
  std::atomic<long long> start_ns{0};  // 0: not in an operation
  std::atomic<const char*> what{nullptr};
};
extern std::vector<std::unique_ptr<op_clock>> g_clocks;  // one per torture thread, then the main thread

// Nanoseconds since the start of the program, never 0.
long long now_ns();

// Marks the clock's thread as inside a blocking operation `what` for the scope.
struct op_scope {
  op_clock& c;
  op_scope(op_clock& clock, const char* what) : c(clock) {
    c.what.store(what);
    c.start_ns.store(now_ns());
  }
  ~op_scope() { c.start_ns.store(0); }
};

extern std::atomic<bool> g_monitor_stop;

// The deadline monitor thread: if any clock has been in one operation for more than
// --op-timeout-s, prints it, the seed and the state of every queue, and exits with status 3.
// Returns once g_monitor_stop is set.
void monitor();

// ---- slot life cycle (slots.cpp) ------------------------------------------------------------------

extern std::atomic<u64> g_alloc_failures;  // queue allocations that failed (injected faults)

// A random number in [0, n) from `rng`; 0 when n is 0.
template <class R>
u64 rnd(R& rng, u64 n) {
  return n ? rng() % n : 0;
}

// Gives @s a new queue. An allocation that fails with an injected fault (--faults) is retried
// with another flavour, a bounded number of times; one that fails without is a violation.
void alloc_slot(slot& s, std::mt19937_64& rng);
// Settles a slot: converts armed timers into queued instances, waits until the queue is empty,
// then checks the exact accounting of every item. The slot must be held exclusively (or every
// torture thread parked). destroy: destroy the queue instead of draining it.
void settle_slot(slot& s, const char* why, bool destroy, op_clock& clock);
// Destroys the slot's queue (settling it) and allocates a new one of a random flavour.
void realloc_slot(slot& s, std::mt19937_64& rng, op_clock& clock);

// ---- pause / quiesce (slots.cpp) ------------------------------------------------------------------

extern std::atomic<bool> g_stop;  // the torture threads finish their operation and return

// Called by a torture thread between operations: waits while a quiesce holds the threads.
void park_if_asked();
// Parks every torture thread, settles every slot with the exact checks, and lets them go on.
void quiesce_all(const char* why, op_clock& clock);
// Sets g_stop and releases any parked torture thread, so that all of them return.
void stop_torturers();

// ---- the torture threads (operations.cpp) ---------------------------------------------------------

struct op_stats {
  u64 calls[op_count] = {};  // operations performed
  u64 trues[op_count] = {};  // ... whose call returned true (queue/cancel/flush/...)
  u64 skips[op_count] = {};  // ... skipped: item or slot busy, nothing to do
};

// One torture thread: random operations (weighted by op_table, less the excluded ones) on random
// items and slots until g_stop, drawn from a generator seeded with the seed and `index`; blocking
// calls run under `clock`. Counts into `stats`.
void run_torturer(int index, op_clock& clock, op_stats& stats);

}  // namespace cmwq_torture
