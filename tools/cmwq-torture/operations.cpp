// tools/cmwq-torture/operations.cpp - the torture threads of cmwq-torture: each draws random
// operations of the kernel-style C API (weighted by op_table) on random items and slots, and
// checks what it can right after the call.
//
// Problem: the operations race each other and the work functions by design, yet each check must
// hold whatever the interleaving, and no operation may act on an item or queue that another is
// tearing down. Approach: a slot is held shared for operations on its items and exclusively for
// drain and destroy/alloc; an item's claim is held shared by operations that may queue or
// cancel and taken exclusively (try_lock only, never waited for) by those after which the item
// must be private to check it (cancel_sync, disable*, enable). A thread that cannot get what it
// needs skips the operation and counts the skip. Each check states the races it allows, the same
// ones the kernel has (see flush_work_op).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "torture.hpp"

namespace cmwq_torture {

namespace {

class torturer {
 public:
  torturer(int index, op_clock& clock, op_stats& stats)
      : stats(stats), clock_(clock), rng_(opt.seed * 0x9e3779b97f4a7c15ULL + static_cast<u64>(index) + 1) {}

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

  op_stats& stats;

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

  // Item operations, by family.
  void item_op(slot& s, titem& it, op_id op) {
    switch (op) {
      case op_queue:
      case op_queue_on:
      case op_queue_delayed:
      case op_mod_delayed:
        return queue_op(it, op);
      case op_cancel:
        return cancel_op(s, it, op);
      case op_cancel_sync:
      case op_disable_sync:
        return cancel_sync_op(s, it, op);
      case op_disable:
        return disable_op(s, it, op);
      case op_enable:
        return enable_op(s, it, op);
      case op_flush_work:
        return flush_work_op(s, it, op);
      case op_query:
        return query_op(s, it);
      default:
        break;
    }
  }

  // queue_work, queue_work_on, queue_delayed_work_on, mod_delayed_work_on.
  void queue_op(titem& it, op_id op) {
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
      default:  // op_mod_delayed
        if (!it.delayed) return (void)stats.skips[op]++;
        stats.trues[op] += do_queue(it, 3, pick_cpu(), pick_delay());
        break;
    }
  }

  // cancel_work / cancel_delayed_work: may take a queued instance, never waits.
  void cancel_op(slot& s, titem& it, op_id op) {
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
  }

  // cancel_*_sync and disable_*_sync: the item is private to this thread on return (R27).
  void cancel_sync_op(slot& s, titem& it, op_id op) {
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
  }

  // disable_work / disable_delayed_work: no longer pending on return (R40), refuses queueing (R39).
  void disable_op(slot& s, titem& it, op_id op) {
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
  }

  // enable_work / enable_delayed_work against the tracked disable count (R38).
  void enable_op(slot& s, titem& it, op_id op) {
    if (it.disable_count == 0) return (void)stats.skips[op]++;
    const bool e = it.delayed ? enable_delayed_work(&it.h.dw) : enable_work(&it.h.w);
    it.disable_count--;
    if (e != (it.disable_count == 0))
      violation("R38: enable_work of item %d of %s returned %d with disable count now %d", it.id, s.flavour, e, it.disable_count);
    stats.trues[op] += e;
  }

  // flush_work / flush_delayed_work: what was queued before the call has finished by its return.
  void flush_work_op(slot& s, titem& it, op_id op) {
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
  }

  // work_busy, work_pending, workqueue_congested, and now and then flush_work of a delayed item.
  void query_op(slot& s, titem& it) {
    // Racy snapshots (R42): only that they answer. R18: flush_work on a delayed item's work.
    (void)work_busy(it.ws());
    (void)work_pending(it.ws());
    (void)workqueue_congested(pick_cpu(), s.wq.load());
    if (it.delayed && r(4) == 0) {
      op_scope o(clock_, "flush_work(&dwork->work)");
      (void)flush_work(&it.h.dw.work);
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

}  // namespace

void run_torturer(int index, op_clock& clock, op_stats& stats) { torturer(index, clock, stats).run(); }

}  // namespace cmwq_torture
