// src/kcompat/current.cpp - `current`: the calling thread as a struct task_struct.
//
// Kernel code reads current->pid, current->comm and current->flags, and workqueue code in
// particular may clear PF_WQ_WORKER to hide its sleeps from concurrency management. A kthread's
// task is the one its record embeds (kthread.cpp), so `current` in a kthread is the handle that
// kthread_create() returned. Any other thread gets its task on first use, filled from what the
// thread is: a worker (or rescuer) starts with PF_WQ_WORKER, and it tells the engine where its
// flags live, so that the manager thread reads the live bit (worker::cm_visible()) when the
// scheduler reports a sleep. The flags are atomic for exactly that reader.
//
// The kernel lets any thread wake a task it saw as `current` (wake_up_process()). Such tasks are
// thread-locals here, so each one is registered with its thread's task state while the thread
// lives; a waker looks it up under the registry lock, which the exiting thread also takes to
// leave, so a waker never touches a thread that is gone.
#include <pthread.h>
#include <unistd.h>

#include <cstring>
#include <unordered_map>

// The engine's headers first: the kernel-style ones define function-like macros (container_of).
#include "core/engine.hpp"
#include "core/lock.hpp"

#include <linux/sched.h>

#include "kcompat/kthread.hpp"
#include "kcompat/task.hpp"
#include "kcompat/task_state.hpp"

namespace cmwq::kcompat {
namespace {

static_assert(PF_WQ_WORKER == core::pf_wq_worker, "the engine tests the same bit");

core::mutex g_plain_lock;
// Live non-kthread tasks that took `current`, with their thread's task state.
std::unordered_map<const task_struct*, task_state*> g_plain CMWQ_GUARDED_BY(g_plain_lock);

struct thread_task {
  task_struct task{};
  bool ready = false;
  ~thread_task() {
    if (!ready) return;
    core::lock_guard guard(g_plain_lock);
    g_plain.erase(&task);
  }
};

thread_local thread_task t_task;  // W: this thread; task.flags is X (read by the manager)

task_struct* plain_current() noexcept {
  // The task state first: thread-locals die in the reverse order of their construction, so the
  // state outlives the registry entry that points at it.
  task_state& state = current_task_state();
  thread_task& t = t_task;
  if (t.ready) return &t.task;
  t.task.pid = current_tid();
  if (pthread_getname_np(pthread_self(), t.task.comm, sizeof t.task.comm) != 0) t.task.comm[0] = '\0';
  const bool worker = core::current_is_worker();
  __atomic_store_n(&t.task.flags, worker ? PF_WQ_WORKER : 0u, __ATOMIC_RELAXED);  // X: see cm_visible()
  if (worker) core::publish_task_flags(&t.task.flags);
  {
    core::lock_guard guard(g_plain_lock);
    g_plain.emplace(&t.task, &state);
  }
  t.ready = true;
  return &t.task;
}

}  // namespace

int wake_plain_task(const task_struct* task) noexcept {
  core::lock_guard guard(g_plain_lock);
  const auto it = g_plain.find(task);
  if (it == g_plain.end()) return -1;
  return wake_task(*it->second) ? 1 : 0;
}

}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" task_struct* get_current(void) {
  if (kcompat::kthread* k = kcompat::current_kthread()) return kcompat::kthread_task(k);
  return kcompat::plain_current();
}

extern "C" int cmwq_task_tid(const struct task_struct* task) {
  return task ? __atomic_load_n(&task->pid, __ATOMIC_ACQUIRE) : kcompat::current_tid();
}
