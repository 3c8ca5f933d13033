// src/core/late_work.cpp - work that arrives for a queue that no longer exists, warned about once
// per queue.
//
// The problem. A queue destroyed with delayed items still armed (D3) does not wait for their
// timers; each one that fires later finds a dead handle and drops its item with a WARNING. A
// thousand armed items make a thousand identical WARNING lines, which bury everything else in
// the log. The kernel would use WARN_ON_ONCE here.
//
// The approach. The queue object outlives its handle (objects are recycled, never freed), so the
// dead handle still leads to it. The first item refused for a destroyed generation prints the
// WARNING; later ones for the same generation are only counted, in cmwq_warn_count() like any
// warning and in the queue object. When another destroyed generation of the same object takes
// over the count, and at process exit (report_late_work()), one log line says how many followed
// the WARNING unprinted. Handles that never named a queue still WARN every time: they are bugs of
// another kind, and rare.
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "warn.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

namespace {

void print_suppressed(const char* name, long n) {
  log_line("workqueue: %ld more work item(s) could not be queued on destroyed workqueue %s "
           "(counted as warnings, not printed)", n, name);
}

// Prints and forgets what `wq` counted for its current late generation.
void flush_late(workqueue* wq) CMWQ_REQUIRES(wq->late_lock) {
  if (wq->late_suppressed > 0) print_suppressed(wq->late_gen == wq->dead_gen ? wq->dead_name : "(recycled)",
                                                wq->late_suppressed);
  wq->late_suppressed = 0;
  wq->late_gen = 0;
}

void register_exit_report() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit([] { report_late_work(); }); });
}

}  // namespace

void note_destroyed(workqueue* wq, std::uint32_t gen) noexcept {
  lock_guard g(wq->late_lock);
  wq->dead_gen = gen;
  std::memcpy(wq->dead_name, wq->name, sizeof wq->dead_name);
}

void warn_queue_on_dead_handle(wq_handle h, const work* w) noexcept {
  workqueue* wq = workqueue_of_slot(h);
  const std::uint32_t gen = wq_handle_gen(h);
  if (!wq || gen == 0 || gen >= wq->generation.load(std::memory_order_acquire)) {
    CMWQ_WARN("workqueue: cannot queue %p on a destroyed or invalid workqueue", reinterpret_cast<void*>(w->func));
    return;
  }
  register_exit_report();
  lock_guard g(wq->late_lock);
  if (wq->late_gen == gen) {
    wq->late_suppressed++;
    count_warning();
    return;
  }
  flush_late(wq);
  wq->late_gen = gen;
  CMWQ_WARN("workqueue: cannot queue %p on destroyed workqueue %s; later items for it are counted, not printed",
            reinterpret_cast<void*>(w->func), gen == wq->dead_gen ? wq->dead_name : "(recycled)");
}

void report_late_work() noexcept {
  for_each_workqueue_object([](workqueue* wq) {
    lock_guard g(wq->late_lock);
    flush_late(wq);
  });
}

}  // namespace cmwq::core
