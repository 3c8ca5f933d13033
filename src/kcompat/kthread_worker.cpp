// src/kcompat/kthread_worker.cpp - kthread_worker: one kthread running kthread_work items in order.
//
// The problem: drivers that need a dedicated thread (its own priority or CPU) queue work to a
// kthread_worker rather than a workqueue, with the same pending/flush/cancel contract: an item
// is queued at most once, flush waits for what was queued, cancel_sync takes a pending item off
// and waits for a running one. The approach is the kernel's: the worker's spin lock guards its
// two lists (ready, and waiting for a timer) and current_work; the worker thread runs
// kthread_worker_fn(), which sleeps with set_current_state() + schedule() and is woken by
// wake_up_process(); a flush inserts a barrier item right behind the target (or at the head, when
// the target is running) and waits for it to run; cancel raises work->canceling, which
// refuses new queueing and makes a firing timer drop the item.
//
// Misuse checks: workers created by kthread_create_worker() are registered; a worker destroyed by
// kthread_destroy_worker() is remembered by address (until that address is given to a new
// worker), so queueing on it, flushing it or destroying it again WARNs instead of touching freed
// memory.
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <new>
#include <unordered_set>

#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>

#include "core/context.hpp"
#include "core/lock.hpp"
#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/kthread.hpp"

namespace cmwq::kcompat {
namespace {

core::mutex g_workers_lock;
std::unordered_set<const kthread_worker*> g_created CMWQ_GUARDED_BY(g_workers_lock);    // live, ours to free
std::unordered_set<const kthread_worker*> g_destroyed CMWQ_GUARDED_BY(g_workers_lock);  // freed addresses

void note_new_worker(const kthread_worker* w, bool created) noexcept {
  core::lock_guard guard(g_workers_lock);
  g_destroyed.erase(w);
  if (created) g_created.insert(w);
}

// True (after a WARNING naming @who) if @w was destroyed.
bool destroyed(const kthread_worker* w, const char* who) noexcept {
  core::lock_guard guard(g_workers_lock);
  if (!g_destroyed.count(w)) return false;
  CMWQ_WARN("%s: kthread_worker %p was destroyed", who, static_cast<const void*>(w));
  return true;
}

// A flush waits for a barrier item on its own stack. Its signal is a futex word that the worker
// stores and then wakes by address only (the wake reads no memory), so the flusher may return
// and reuse its stack the moment it sees the store - a completion would still be read by
// complete() after its waiter saw it done.
struct flush_barrier {
  kthread_work work;
  unsigned int done = 0;  // X: 1 once run (release; partner: the acquire in wait_barrier())
};

void flush_barrier_fn(kthread_work* work) {
  auto* b = container_of(work, flush_barrier, work);
  __atomic_store_n(&b->done, 1u, __ATOMIC_RELEASE);
  futex_wake(&b->done, 1);
}

void init_barrier(flush_barrier* b) noexcept { kthread_init_work(&b->work, flush_barrier_fn); }

void wait_barrier(flush_barrier* b) noexcept {
  core::blocking_section blocking;
  while (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE)) (void)futex_wait(&b->done, 0u, no_deadline);
}

// Puts @work after @pos and wakes the worker. Caller holds worker->lock.
void insert_work(kthread_worker* worker, kthread_work* work, list_head* pos) noexcept {
  list_add_tail(&work->node, pos);
  work->worker = worker;
  if (worker->task) (void)wake_up_process(worker->task);
}

// Whether @work may be queued on @worker now. Caller holds worker->lock.
bool may_queue(kthread_worker* worker, kthread_work* work) noexcept {
  if (work->worker && work->worker != worker) {
    CMWQ_WARN("kthread_queue_work: the item belongs to another kthread_worker");
    return false;
  }
  return !work->canceling && list_empty(&work->node);
}

void delayed_work_timer_fn(timer_list* t) {
  auto* dwork = container_of(t, kthread_delayed_work, timer);
  kthread_work* work = &dwork->work;
  kthread_worker* worker = work->worker;
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  list_del_init(&work->node);
  if (!work->canceling) insert_work(worker, work, &worker->work_list);
  spin_unlock_irqrestore(&worker->lock, flags);
}

bool on_list(const list_head* head, const kthread_work* work) noexcept {
  for (const list_head* p = head->next; p != head; p = p->next)
    if (p == &work->node) return true;
  return false;
}

// Stops @dwork's timer, waiting for a running callback; work->canceling keeps the callback from
// queueing it. Returns true if the timer was armed. Caller holds worker->lock (*@flags).
bool cancel_timer(kthread_worker* worker, kthread_delayed_work* dwork, unsigned long* flags) noexcept {
  ++dwork->work.canceling;
  spin_unlock_irqrestore(&worker->lock, *flags);
  const bool armed = timer_delete_sync(&dwork->timer) != 0;
  *flags = cmwq_spin_lock_irqsave(&worker->lock);
  --dwork->work.canceling;
  return armed;
}

// Destruction with delayed items still armed (the kernel WARNs and would later touch freed
// memory): disarms their timers, so nothing fires into the freed worker.
void disarm_delayed(kthread_worker* worker) noexcept {
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  if (!list_empty(&worker->delayed_work_list))
    CMWQ_WARN("kthread_destroy_worker: delayed items still armed; they are cancelled and never run");
  while (!list_empty(&worker->delayed_work_list)) {
    kthread_work* work = list_first_entry(&worker->delayed_work_list, struct kthread_work, node);
    list_del_init(&work->node);
    (void)cancel_timer(worker, container_of(work, kthread_delayed_work, work), &flags);
    work->worker = nullptr;  // free to be queued on another worker
  }
  spin_unlock_irqrestore(&worker->lock, flags);
}

bool cancel_sync(kthread_work* work, kthread_delayed_work* dwork) noexcept {
  kthread_worker* worker = work->worker;
  if (!worker || destroyed(worker, "kthread_cancel_work_sync")) return false;
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  ++work->canceling;
  bool pending = dwork && cancel_timer(worker, dwork, &flags);
  if (!list_empty(&work->node)) {
    list_del_init(&work->node);
    pending = true;
  }
  const bool running = worker->current_work == work;
  spin_unlock_irqrestore(&worker->lock, flags);
  if (running) kthread_flush_work(work);
  flags = cmwq_spin_lock_irqsave(&worker->lock);
  --work->canceling;
  spin_unlock_irqrestore(&worker->lock, flags);
  return pending;
}

__attribute__((format(printf, 3, 0))) kthread_worker* create_worker(int cpu, unsigned int wflags, const char* namefmt,
                                                                  va_list ap) noexcept {
  auto* worker = new (std::nothrow) kthread_worker;
  if (!worker) return static_cast<kthread_worker*>(ERR_PTR(-ENOMEM));
  kthread_init_worker(worker);
  worker->flags = wflags;
  struct task_struct* task = kthread_create_v(kthread_worker_fn, worker, namefmt, ap);
  if (IS_ERR(task)) {
    delete worker;
    return static_cast<kthread_worker*>(static_cast<void*>(task));
  }
  if (cpu >= 0) kthread_bind(task, static_cast<unsigned int>(cpu));
  worker->task = task;
  note_new_worker(worker, true);
  (void)wake_up_process(task);
  return worker;
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void kthread_init_work(struct kthread_work* work, kthread_work_func_t fn) {
  INIT_LIST_HEAD(&work->node);
  work->func = fn;
  work->worker = nullptr;
  work->canceling = 0;
}

void kthread_init_delayed_work(struct kthread_delayed_work* dwork, kthread_work_func_t fn) {
  kthread_init_work(&dwork->work, fn);
  cmwq_timer_setup(&dwork->timer, kcompat::delayed_work_timer_fn, 0);
}

void kthread_init_worker(struct kthread_worker* worker) {
  worker->flags = 0;
  raw_spin_lock_init(&worker->lock);
  INIT_LIST_HEAD(&worker->work_list);
  INIT_LIST_HEAD(&worker->delayed_work_list);
  worker->task = nullptr;
  worker->current_work = nullptr;
  kcompat::note_new_worker(worker, false);
}

int kthread_worker_fn(void* worker_ptr) {
  auto* worker = static_cast<kthread_worker*>(worker_ptr);
  kcompat::kthread* self = kcompat::current_kthread();
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  if (!worker->task && self) worker->task = reinterpret_cast<struct task_struct*>(self);
  spin_unlock_irqrestore(&worker->lock, flags);
  for (;;) {
    set_current_state(TASK_INTERRUPTIBLE);  // before looking: a queue_work() after this wakes us
    if (kthread_should_stop()) {
      __set_current_state(TASK_RUNNING);
      flags = cmwq_spin_lock_irqsave(&worker->lock);
      worker->task = nullptr;
      worker->current_work = nullptr;
      spin_unlock_irqrestore(&worker->lock, flags);
      return 0;
    }
    kthread_work* work = nullptr;
    flags = cmwq_spin_lock_irqsave(&worker->lock);
    if (!list_empty(&worker->work_list)) {
      work = list_first_entry(&worker->work_list, struct kthread_work, node);
      list_del_init(&work->node);
    }
    worker->current_work = work;
    spin_unlock_irqrestore(&worker->lock, flags);
    if (work) {
      __set_current_state(TASK_RUNNING);
      work->func(work);
    } else {
      schedule();
    }
  }
}

struct kthread_worker* kthread_create_worker(unsigned int flags, const char namefmt[], ...) {
  va_list ap;
  va_start(ap, namefmt);
  kthread_worker* worker = kcompat::create_worker(-1, flags, namefmt, ap);
  va_end(ap);
  return worker;
}

struct kthread_worker* kthread_create_worker_on_cpu(int cpu, unsigned int flags, const char namefmt[], ...) {
  va_list ap;
  va_start(ap, namefmt);
  kthread_worker* worker = kcompat::create_worker(cpu, flags, namefmt, ap);
  va_end(ap);
  return worker;
}

bool kthread_queue_work(struct kthread_worker* worker, struct kthread_work* work) {
  if (kcompat::destroyed(worker, "kthread_queue_work")) return false;
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  const bool ok = kcompat::may_queue(worker, work);
  if (ok) kcompat::insert_work(worker, work, &worker->work_list);
  spin_unlock_irqrestore(&worker->lock, flags);
  return ok;
}

bool kthread_queue_delayed_work(struct kthread_worker* worker, struct kthread_delayed_work* dwork, unsigned long delay) {
  if (kcompat::destroyed(worker, "kthread_queue_delayed_work")) return false;
  kthread_work* work = &dwork->work;
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  const bool ok = kcompat::may_queue(worker, work);
  if (ok && delay == 0) {
    kcompat::insert_work(worker, work, &worker->work_list);
  } else if (ok) {
    work->worker = worker;
    list_add(&work->node, &worker->delayed_work_list);
    mod_timer(&dwork->timer, cmwq_jiffies() + delay);
  }
  spin_unlock_irqrestore(&worker->lock, flags);
  return ok;
}

bool kthread_mod_delayed_work(struct kthread_worker* worker, struct kthread_delayed_work* dwork, unsigned long delay) {
  if (kcompat::destroyed(worker, "kthread_mod_delayed_work")) return false;
  kthread_work* work = &dwork->work;
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  bool was_pending = false;
  if (work->worker && work->worker != worker) {
    CMWQ_WARN("kthread_mod_delayed_work: the item belongs to another kthread_worker");
    spin_unlock_irqrestore(&worker->lock, flags);
    return false;
  }
  if (work->worker && !work->canceling) {
    was_pending = kcompat::cancel_timer(worker, dwork, &flags);
    if (!list_empty(&work->node)) {
      list_del_init(&work->node);
      was_pending = true;
    }
  }
  if (!work->canceling) {  // a cancel in progress wins, as in the kernel
    work->worker = worker;
    if (delay == 0) {
      kcompat::insert_work(worker, work, &worker->work_list);
    } else {
      list_add(&work->node, &worker->delayed_work_list);
      mod_timer(&dwork->timer, cmwq_jiffies() + delay);
    }
  }
  spin_unlock_irqrestore(&worker->lock, flags);
  return was_pending;
}

void kthread_flush_work(struct kthread_work* work) {
  kthread_worker* worker = work->worker;
  if (!worker || kcompat::destroyed(worker, "kthread_flush_work")) return;
  might_sleep();
  kcompat::flush_barrier barrier;
  kcompat::init_barrier(&barrier);
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  bool wait = true;
  if (!list_empty(&work->node) && !kcompat::on_list(&worker->delayed_work_list, work))
    kcompat::insert_work(worker, &barrier.work, work->node.next);  // right behind it
  else if (worker->current_work == work)
    kcompat::insert_work(worker, &barrier.work, worker->work_list.next);  // next to run
  else
    wait = false;  // idle, or still waiting for its timer: nothing to wait for now
  spin_unlock_irqrestore(&worker->lock, flags);
  if (wait) kcompat::wait_barrier(&barrier);
}

void kthread_flush_worker(struct kthread_worker* worker) {
  if (kcompat::destroyed(worker, "kthread_flush_worker")) return;
  might_sleep();
  kcompat::flush_barrier barrier;
  kcompat::init_barrier(&barrier);
  unsigned long flags = cmwq_spin_lock_irqsave(&worker->lock);
  kcompat::insert_work(worker, &barrier.work, &worker->work_list);
  spin_unlock_irqrestore(&worker->lock, flags);
  kcompat::wait_barrier(&barrier);
}

bool kthread_cancel_work_sync(struct kthread_work* work) { return kcompat::cancel_sync(work, nullptr); }

bool kthread_cancel_delayed_work_sync(struct kthread_delayed_work* dwork) {
  return kcompat::cancel_sync(&dwork->work, dwork);
}

void kthread_destroy_worker(struct kthread_worker* worker) {
  if (kcompat::destroyed(worker, "kthread_destroy_worker")) return;
  {
    core::lock_guard guard(kcompat::g_workers_lock);
    if (!kcompat::g_created.erase(worker)) {
      CMWQ_WARN("kthread_destroy_worker: %p is not from kthread_create_worker(); left alone",
                static_cast<void*>(worker));
      return;
    }
  }
  kthread_flush_worker(worker);
  (void)kthread_stop(worker->task);
  if (!list_empty(&worker->work_list))
    CMWQ_WARN("kthread_destroy_worker: items were queued during the destruction; they never run");
  kcompat::disarm_delayed(worker);
  {
    // Before the delete: a worker allocated at this address afterwards takes it off the list.
    core::lock_guard guard(kcompat::g_workers_lock);
    kcompat::g_destroyed.insert(worker);
  }
  delete worker;
}

}  // extern "C"
