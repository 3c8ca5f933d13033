// src/kcompat/current.cpp - `current`: the calling thread as a struct task_struct.
//
// Kernel code reads current->pid, current->comm and current->flags, and workqueue code in
// particular may clear PF_WQ_WORKER to hide its sleeps from concurrency management. Each thread
// gets its task on first use, filled from what the thread is: a worker (or rescuer) starts with
// PF_WQ_WORKER, and it tells the engine where its flags live, so that the manager thread reads
// the live bit (worker::cm_visible()) when the scheduler reports a sleep. The flags are atomic
// for exactly that reader; everything else is the thread's own.
#include <pthread.h>

#include <cstring>

#include <linux/sched.h>

#include "core/worker.hpp"
#include "kcompat/task.hpp"

namespace cmwq::kcompat {
namespace {

static_assert(PF_WQ_WORKER == core::pf_wq_worker, "the engine tests the same bit");

struct thread_task {
  task_struct task{};
  bool ready = false;
};

thread_local thread_task t_task;  // W: this thread; task.flags is X (read by the manager)

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" task_struct* get_current(void) {
  kcompat::thread_task& t = kcompat::t_task;
  if (!t.ready) {
    t.task.pid = kcompat::current_tid();
    if (pthread_getname_np(pthread_self(), t.task.comm, sizeof t.task.comm) != 0) t.task.comm[0] = '\0';
    const bool worker = core::current_worker() != nullptr;
    __atomic_store_n(&t.task.flags, worker ? PF_WQ_WORKER : 0u, __ATOMIC_RELAXED);  // X: see cm_visible()
    if (worker) core::publish_task_flags(&t.task.flags);
    t.ready = true;
  }
  return &t.task;
}
