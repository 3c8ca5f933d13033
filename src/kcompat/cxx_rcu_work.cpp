// src/kcompat/cxx_rcu_work.cpp - the C++ door's RCU (include/cmwq/rcu_work.hpp): thin wrappers
// over the C API's rcu_work and read side, so that both doors share one set of grace periods.
//
// A cmwq::rcu_work embeds a detail::raw_rcu_work laid out as struct rcu_work (checked below), so
// queue_rcu_work() and flush_rcu_work() take it as they are.

// The C++ headers first: the kernel-style ones define function-like macros (container_of, min).
#include <cmwq/rcu_work.hpp>

#include <cstddef>

#include <linux/rcupdate.h>
#include <linux/workqueue.h>

namespace {

static_assert(sizeof(cmwq::detail::raw_rcu_work) == sizeof(struct rcu_work));
static_assert(offsetof(cmwq::detail::raw_rcu_work, rcu) == offsetof(struct rcu_work, rcu));
static_assert(offsetof(cmwq::detail::raw_rcu_work, wq) == offsetof(struct rcu_work, wq));
static_assert(sizeof(cmwq::detail::raw_rcu_head) == sizeof(struct rcu_head));

struct rcu_work* C(cmwq::detail::raw_rcu_work* w) { return reinterpret_cast<struct rcu_work*>(w); }

}  // namespace

namespace cmwq {

rcu_work::~rcu_work() {
  // A pending item may still be in call_rcu()'s hands, where no cancel can take it back: let the
  // grace period end (the item is on its queue then), then cancel it there.
  if (pending()) rcu_barrier();
  cancel_work_sync(&C(&node_.raw)->work);
}

bool rcu_work::enqueue(queue q) noexcept {
  return queue_rcu_work(reinterpret_cast<struct workqueue_struct*>(q.handle()), C(&node_.raw));
}

bool rcu_work::flush() noexcept { return flush_rcu_work(C(&node_.raw)); }

rcu_read_guard::rcu_read_guard() noexcept { rcu_read_lock(); }
rcu_read_guard::~rcu_read_guard() { rcu_read_unlock(); }

void synchronize_rcu() noexcept { ::synchronize_rcu(); }

}  // namespace cmwq
