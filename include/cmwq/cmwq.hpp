// include/cmwq/cmwq.hpp - the C++ API of cmwq, Linux's concurrency-managed workqueues in user
// space.
//
// The model, as in the kernel: a caller queues a `work` on a `queue`; the queue picks a pwq by
// CPU (or pod, for unbound queues); the pwq admits the item to its pool's worklist or parks it
// while max_active items are active; an idle worker of the pool wakes and runs it. Per-CPU pools
// keep one runnable worker per CPU and start another one when the running worker blocks
// (concurrency management), so blocking items do not stall the CPU and CPU-bound items do not
// multiply threads.
//
//   #include <cmwq/cmwq.hpp>
//   using namespace std::chrono_literals;
//   cmwq::owned_queue wq = cmwq::builder::unbound().max_active(4).build("rx");
//   wq->try_spawn([] { refill(); });
//   struct nic { cmwq::work irq_work{[this] { handle_irq(); }}; } dev;
//   wq->enqueue(dev.irq_work);
//
// Headers: work.hpp (work, delayed_work), observe.hpp (statistics, dumps, watchdog),
// queue.hpp (queue, owned_queue, system queues,
// blocking_scope, reclaim_scope), builder.hpp (builder), fault.hpp (fault injection for tests),
// lockdep.hpp (the lock dependency validator and the mutexes it sees), and apart, since it needs
// cmwq::kcompat (liburcu): rcu_work.hpp (rcu_work, rcu_read_guard, synchronize_rcu).
#pragma once

#include <cmwq/attrs.hpp>
#include <cmwq/builder.hpp>
#include <cmwq/control.hpp>
#include <cmwq/fault.hpp>
#include <cmwq/lockdep.hpp>
#include <cmwq/observe.hpp>
#include <cmwq/queue.hpp>
#include <cmwq/work.hpp>
