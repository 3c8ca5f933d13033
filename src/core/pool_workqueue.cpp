// src/core/pool_workqueue.cpp - max_active admission, activation of inactive items, and the
// in-flight accounting that flush_workqueue() waits on.
//
// Per-CPU queues limit each pwq on its own (R11). Unbound queues split max_active across NUMA
// nodes (R12, docs/attrs.md M1-M5): each node has a counter and a limit of its share of
// max_active, never below min_active; a pwq that finds no free slot on its node registers on
// that node's pending list, and a completing item hands its slot to the next pending pwq of its
// node in round-robin order. That hand-off may need another pool's lock, so it is done by
// activate_pending_unbound() after the caller has dropped its own pool lock: pool locks never
// nest. When the next pending pwq is of the completing item's own pool (one pod: always), the slot
// is handed over at once under the lock already held (unbound_slot_done()).
#include "pool_workqueue.hpp"

#include <algorithm>

#include "barrier.hpp"
#include "runtime.hpp"
#include "timer_wheel.hpp"
#include "topology.hpp"
#include "tracepoints.hpp"
#include "work_private.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


// The kernel's insert_work(): defined here, beside activation, its most frequent caller.
void insert_work(pool_workqueue* pwq, work* w, long data, list_node* head, std::memory_order order, bool activate) {
  worker_pool* pool = pwq->pool;
  if (activate) {
    if (list_empty(&pool->worklist)) watchdog_worklist_starts(pool);
    tp_activate_work(w);
  }
  work_data_ref(w).store(data, order);
  list_add_tail(&w->entry, head);
}

namespace {

// The node slot of an unbound queue's pwq (pwq_tryinc_nr_active()'s slow half).
bool tryinc_node_active(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock) {
  workqueue* wq = pwq->wq;
  node_nr_active& node = wq->node_slot(pwq->node_slot);
  lock_guard g(wq->node_lock);
  if (node.nr < node.max) {
    node.nr++;
    pwq->nr_active++;
    return true;
  }
  if (list_empty(&pwq->pending_node.node)) list_add_tail(&pwq->pending_node.node, &node.pending_pwqs);
  return false;
}

// Inline for the per-CPU case, taken for every item activated from the inactive list.
inline bool tryinc_nr_active(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock) {
  if (pwq->wq->is_unbound()) return tryinc_node_active(pwq);
  if (pwq->nr_active >= pwq->max_active) return false;
  pwq->nr_active++;
  return true;
}

}  // namespace

bool pwq_tryinc_nr_active(pool_workqueue* pwq) { return tryinc_nr_active(pwq); }

// Moves an inactive item (and its linked barriers) to the pool's worklist.
void pwq_activate_work(pool_workqueue* pwq, work* w) {
  list_node* worklist = &pwq->pool->worklist;
  const long d = work_data_ref(w).load(std::memory_order_relaxed);
  list_node* chain = w->entry.next;  // the first LINKED barrier behind `w`, if any
  list_del_init(&w->entry);
  insert_work(pwq, w, d & ~work_data::inactive, worklist, std::memory_order_relaxed, true);
  if (d & work_data::linked) move_linked_works(container_of<work>(chain, offsetof(work, entry)), worklist);
}

namespace {

// Activates the first inactive item, taking a slot with pwq_tryinc_nr_active() or, with
// `have_slot`, using a node slot the caller already counts for it (unbound only). Barriers whose
// item was stolen while inactive are passed through without taking a slot (R13). Returns whether
// anything moved.
bool activate_first_inactive(pool_workqueue* pwq, bool have_slot) CMWQ_REQUIRES(pwq->pool->lock) {
  bool moved = false;
  while (!list_empty(&pwq->inactive_works)) {
    work* w = container_of<work>(pwq->inactive_works.next, offsetof(work, entry));
    if (is_barrier(w)) {
      pwq_activate_work(pwq, w);
      moved = true;
      continue;
    }
    if (have_slot)
      pwq->nr_active++;
    else if (!tryinc_nr_active(pwq))
      break;
    pwq_activate_work(pwq, w);
    // The next inactive item is activated by the next completion, an item's run from now. Past
    // max_active it was queued long ago and has left the caches (W1 queues a million items ahead):
    // fetch its line now instead of missing on it then. Any address may be prefetched, the list
    // head included.
    __builtin_prefetch(pwq->inactive_works.next, 1);
    return true;
  }
  return moved;
}

// The first inactive item of `pwq` that needs a slot (barriers ahead of it pass through without
// one), or nullptr.
work* first_inactive_item(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock) {
  for (list_node* n = pwq->inactive_works.next; n != &pwq->inactive_works; n = n->next) {
    work* w = container_of<work>(n, offsetof(work, entry));
    if (!is_barrier(w)) return w;
  }
  return nullptr;
}

// Whether `pwq`'s inactive list still holds anything once `w`, its first item needing a slot, is
// activated with the LINKED barriers behind it (and the barriers ahead of it, which pass through).
bool inactive_left_after(pool_workqueue* pwq, work* w) CMWQ_REQUIRES(pwq->pool->lock) {
  list_node* n = &w->entry;
  for (;;) {  // move_linked_works()'s walk: up to the first item without LINKED
    const long d = work_data_ref(container_of<work>(n, offsetof(work, entry))).load(std::memory_order_relaxed);
    if (!(d & work_data::linked)) break;
    n = n->next;
  }
  return n->next != &pwq->inactive_works;
}

// Unbound completion with the pool lock held: frees the node slot of an active item, or, when the
// next pwq in the node's round robin is one of this pool (the single-pod case: usually `pwq`
// itself), hands the slot straight to it under the lock already held, as activate_pending_unbound()
// would after dropping it, without the node slot's count going down in between. Returns whether a
// waiting pwq of another pool must still be served (the caller's hand-off).
bool unbound_slot_done(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock) {
  workqueue* wq = pwq->wq;
  node_nr_active& node = wq->node_slot(pwq->node_slot);
  pool_workqueue* next = nullptr;
  {
    lock_guard g(wq->node_lock);
    if (!list_empty(&node.pending_pwqs)) next = owner_of<pool_workqueue>(node.pending_pwqs.next);
    // node.nr <= node.max: the slot would still be free after the decrement (max may have been
    // lowered, or frozen to 0, since it was taken).
    if (!next || next->pool != pwq->pool || node.nr > node.max) {
      node.nr--;
      return next != nullptr;
    }
    next->pool->lock.assert_held();  // the lock of pwq's pool, which the caller holds
    work* w = first_inactive_item(next);
    if (!w) {  // only barriers wait there (their items were cancelled): no taker here
      node.nr--;
      return true;
    }
    // Round robin: a pwq that will still wait goes to the back of the line.
    if (inactive_left_after(next, w))
      list_move_tail(&next->pending_node.node, &node.pending_pwqs);
    else
      list_del_init(&next->pending_node.node);
  }
  next->pool->lock.assert_held();
  activate_first_inactive(next, /*have_slot=*/true);
  next->pool->kick();
  return false;
}

}  // namespace

bool pwq_activate_first_inactive(pool_workqueue* pwq) { return activate_first_inactive(pwq, false); }

int pwq_dec_nr_in_flight(pool_workqueue* pwq, int color, bool was_active) {
  workqueue* wq = pwq->wq;
  bool hand_off = false;
  if (was_active) {
    pwq->nr_active--;
    if (!wq->is_unbound()) {
      if (pwq_activate_first_inactive(pwq)) pwq->pool->kick();
    } else {
      hand_off = unbound_slot_done(pwq);
    }
  }
  // Pairs with the seq_cst increment of nr_flushers in flush_workqueue(): either the flusher
  // sees this zero when it evaluates its condition, or we see it waiting and wake it.
  if (pwq->nr_in_flight[static_cast<std::size_t>(color)].fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      wq->nr_flushers.load(std::memory_order_seq_cst) > 0) {
    lock_guard g(wq->flush_wait_lock);
    wq->flush_wait_cv.notify_all();
  }
  // The hand-off is counted while our pool lock is still held, so a destroy_workqueue() whose
  // busy check comes after this point sees it and waits for it before freeing any pwq (the
  // pending list can still name pwqs whose items were cancelled).
  if (!hand_off) return no_hand_off;
  wq->nr_handoffs.fetch_add(1, std::memory_order_relaxed);
  return pwq->node_slot;
}

// After the caller dropped its pool lock (callers re-evaluate pool state after this). The pwq
// that freed the slot is not used again; pools and queues are never freed.
void pwq_finish_hand_off(workqueue* wq, int node_slot) noexcept {
  activate_pending_unbound(wq, node_slot);
  wq->nr_handoffs.fetch_sub(1, std::memory_order_release);  // pairs with destroy_workqueue()
}

void activate_pending_unbound(workqueue* wq, int node_slot) noexcept {
  node_nr_active& node = wq->node_slot(node_slot);
  for (;;) {
    pool_workqueue* pwq;
    {
      lock_guard g(wq->node_lock);
      if (list_empty(&node.pending_pwqs) || node.nr >= node.max) return;
      pwq = owner_of<pool_workqueue>(node.pending_pwqs.next);
      list_del_init(&pwq->pending_node.node);
    }
    lock_guard g(pwq->pool->lock);
    if (pwq_activate_first_inactive(pwq)) pwq->pool->kick();
    // Round robin: a pwq that still waits goes to the back of the line.
    if (!list_empty(&pwq->inactive_works)) {
      lock_guard n(wq->node_lock);
      if (list_empty(&pwq->pending_node.node)) list_add_tail(&pwq->pending_node.node, &node.pending_pwqs);
    }
  }
}

int pool_node_slot(const worker_pool* pool, const workqueue* wq) noexcept {
  const int spanning = wq->nr_node_slots - 1;
  if (!pool->unbound() || pool->attrs.cpus.empty()) return spanning;
  const topology& topo = topology::get();
  const int node = topo.cpu_to_node(pool->attrs.cpus.front());
  for (int c : pool->attrs.cpus)
    if (topo.cpu_to_node(c) != node) return spanning;
  return node >= 0 && node < spanning ? node : spanning;
}

// Each node's share of max_active, rounded up, within [min_active, max_active]; the spanning slot
// gets max_active. With no online CPU in `cpus` every node gets min_active (the kernel's rule;
// cmwq's effective masks always hold one, so it is kept for fidelity only).
void update_node_max_active(workqueue* wq, const cpu_set& cpus) noexcept CMWQ_NO_TSA {
  const topology& topo = topology::get();
  wq->node_limit_cpus = cpus;
  const int max = wq->max_active;
  const int min = std::min(wq->min_active, max);
  const cpu_set in_use = cpus & topo.online;
  const int total = in_use.count();
  const int spanning = wq->nr_node_slots - 1;
  {
    lock_guard g(wq->node_lock);
    for (int node = 0; node < spanning; ++node) {
      int node_cpus = 0;
      for (int c : in_use) node_cpus += topo.cpu_to_node(c) == node;
      const int share = total == 0 ? min : (max * node_cpus + total - 1) / total;
      wq->node_slot(node).max = std::min(std::max(share, min), max);
    }
    wq->node_slot(spanning).max = max;
  }
  for (int node = 0; node <= spanning; ++node) activate_pending_unbound(wq, node);
}

void send_mayday(pool_workqueue* pwq) noexcept {
  workqueue* wq = pwq->wq;
  if (!wq->rescuer) return;
  lock_guard g(wq->mayday_lock);
  if (pwq->on_mayday) return;
  pwq->on_mayday = true;
  list_add_tail(&pwq->mayday_node.node, &wq->maydays);
  pwq->stat_inc(pwq_stat_mayday);
  wq->rescuer->wake.unpark();
}

}  // namespace cmwq::core
