// src/core/pool_workqueue.cpp - max_active admission, activation of inactive items, and the
// in-flight accounting that flush_workqueue() waits on.
//
// Per-CPU queues limit each pwq on its own (R11). Unbound queues share one system-wide limit
// across their pwqs (R12, one node): a pwq that finds no free slot registers on the queue's
// pending list, and a completing item hands its slot to the next pending pwq in round-robin
// order. That hand-off may need another pool's lock, so it is done by activate_pending_unbound()
// after the caller has dropped its own pool lock: pool locks never nest.
#include "pool_workqueue.hpp"

#include "barrier.hpp"
#include "runtime.hpp"
#include "timer_wheel.hpp"
#include "work_private.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


bool pwq_tryinc_nr_active(pool_workqueue* pwq) {
  workqueue* wq = pwq->wq;
  if (!wq->is_unbound()) {
    if (pwq->nr_active >= pwq->max_active) return false;
    pwq->nr_active++;
    return true;
  }
  lock_guard g(wq->node_lock);
  if (wq->node_nr_active < wq->node_max_active) {
    wq->node_nr_active++;
    pwq->nr_active++;
    return true;
  }
  if (list_empty(&pwq->pending_node.node)) list_add_tail(&pwq->pending_node.node, &wq->pending_pwqs);
  return false;
}

// Moves an inactive item (and its linked barriers) to the pool's worklist.
void pwq_activate_work(pool_workqueue* pwq, work* w) {
  list_node* worklist = &pwq->pool->worklist;
  const long d = work_data_ref(w).load(std::memory_order_relaxed);
  list_node* chain = w->entry.next;  // the first LINKED barrier behind `w`, if any
  list_del_init(&w->entry);
  insert_work(pwq, w, d & ~work_data::inactive, worklist, std::memory_order_relaxed, true);
  if (d & work_data::linked) move_linked_works(container_of<work>(chain, offsetof(work, entry)), worklist);
}

// Activates the first inactive item if a slot is free. Barriers whose item was stolen while
// inactive are passed through without taking a slot (R13). Returns whether anything moved.
bool pwq_activate_first_inactive(pool_workqueue* pwq) {
  bool moved = false;
  while (!list_empty(&pwq->inactive_works)) {
    work* w = container_of<work>(pwq->inactive_works.next, offsetof(work, entry));
    if (is_barrier(w)) {
      pwq_activate_work(pwq, w);
      moved = true;
      continue;
    }
    if (!pwq_tryinc_nr_active(pwq)) break;
    pwq_activate_work(pwq, w);
    return true;
  }
  return moved;
}

bool pwq_dec_nr_in_flight(pool_workqueue* pwq, int color, bool was_active) {
  workqueue* wq = pwq->wq;
  bool hand_off = false;
  if (was_active) {
    pwq->nr_active--;
    if (!wq->is_unbound()) {
      if (pwq_activate_first_inactive(pwq)) pwq->pool->kick();
    } else {
      lock_guard g(wq->node_lock);
      wq->node_nr_active--;
      hand_off = !list_empty(&wq->pending_pwqs);
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
  if (hand_off) wq->nr_handoffs.fetch_add(1, std::memory_order_relaxed);
  return hand_off;
}

// After the caller dropped its pool lock (callers re-evaluate pool state after this). The pwq
// that freed the slot is not used again; pools and queues are never freed.
void pwq_finish_hand_off(workqueue* wq) noexcept {
  activate_pending_unbound(wq);
  wq->nr_handoffs.fetch_sub(1, std::memory_order_release);  // pairs with destroy_workqueue()
}

void activate_pending_unbound(workqueue* wq) noexcept {
  for (;;) {
    pool_workqueue* pwq;
    {
      lock_guard g(wq->node_lock);
      if (list_empty(&wq->pending_pwqs) || wq->node_nr_active >= wq->node_max_active) return;
      pwq = owner_of<pool_workqueue>(wq->pending_pwqs.next);
      list_del_init(&pwq->pending_node.node);
    }
    lock_guard g(pwq->pool->lock);
    if (pwq_activate_first_inactive(pwq)) pwq->pool->kick();
    // Round robin: a pwq that still waits goes to the back of the line.
    if (!list_empty(&pwq->inactive_works)) {
      lock_guard n(wq->node_lock);
      if (list_empty(&pwq->pending_node.node)) list_add_tail(&pwq->pending_node.node, &wq->pending_pwqs);
    }
  }
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
