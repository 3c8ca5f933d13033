// src/kcompat/rcu_work.cpp - queue_rcu_work() and flush_rcu_work(): a work item queued only after
// an RCU grace period.
//
// queue_rcu_work() takes the item's PENDING bit itself (so a second call before the item runs
// returns false, as R2 says for every queueing call) and hands the embedded rcu_head to
// call_rcu(); the callback, after the grace period, queues the item with the PENDING it already
// owns. flush_rcu_work() of a pending item first waits for the callbacks queued so far
// (rcu_barrier(): ours among them has queued the item by then), then for the item.
#include "core/engine.hpp"
#include "core/warn.hpp"

#include <linux/workqueue.h>

namespace core = cmwq::core;

extern "C" void cmwq_rcu_grace_over(void);  // rcu.cpp: what readers did is visible (TSan)

namespace {

core::work* W(work_struct* w) { return reinterpret_cast<core::work*>(w); }

void rcu_work_rcufn(struct rcu_head* head) {
  auto* rwork = reinterpret_cast<struct rcu_work*>(reinterpret_cast<char*>(head) - offsetof(struct rcu_work, rcu));
  cmwq_rcu_grace_over();
  core::queue_work_owned(core::cpu_unbound, reinterpret_cast<core::wq_handle>(rwork->wq), W(&rwork->work));
}

}  // namespace

extern "C" {

bool queue_rcu_work(struct workqueue_struct* wq, struct rcu_work* rwork) {
  if (!rwork) {
    CMWQ_WARN("queue_rcu_work: NULL work");
    return false;
  }
  if (!core::work_initialised(W(&rwork->work), "queue_rcu_work")) return false;
  if (core::work_is_disabled(W(&rwork->work))) {  // R41: rcu_work cannot be disabled
    CMWQ_WARN("queue_rcu_work: work item %p is disabled; not queued", static_cast<void*>(rwork));
    return false;
  }
  if (!core::work_claim_pending(W(&rwork->work))) return false;
  rwork->wq = wq;
  call_rcu(&rwork->rcu, rcu_work_rcufn);
  return true;
}

bool flush_rcu_work(struct rcu_work* rwork) {
  if (!rwork) {
    CMWQ_WARN("flush_rcu_work: NULL work");
    return false;
  }
  if (core::work_is_pending(W(&rwork->work))) {
    rcu_barrier();
    flush_work(&rwork->work);
    return true;
  }
  return flush_work(&rwork->work);
}

}  // extern "C"
