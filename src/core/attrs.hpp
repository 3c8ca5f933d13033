// src/core/attrs.hpp - the attributes of unbound queues (struct workqueue_attrs) and changing them
// on a live queue (apply_workqueue_attrs), plus the global unbound cpumask.
//
//   cmwq::core::wq_attrs                  nice, requested cpumask, affinity scope, strictness.
//   cmwq::core::apply_workqueue_attrs()   gives a live unbound queue new attributes.
//   cmwq::core::get_workqueue_attrs()     reads them back (as requested, not as effective).
//   cmwq::core::unbound_cpumask()         the global wq_unbound_cpumask.
//   cmwq::core::set_unbound_cpumask()     changes it and re-applies every unbound queue's attrs.
//
// semantics.md 5.9 and docs/attrs.md: the effective cpumask of an unbound queue is the requested
// one intersected with the global unbound cpumask and the online CPUs (the global mask if that is
// empty); each CPU is served by the pwq of its pod of the queue's scope.
#pragma once

#include "topology.hpp"

namespace cmwq::core {

struct workqueue;
using wq_handle = std::uintptr_t;

inline constexpr int min_nice = -20;
inline constexpr int max_nice = 19;

// struct workqueue_attrs. A value type; `cpumask` is as requested (sysfs reads show it as such).
struct wq_attrs {
  int nice = 0;
  cpu_set cpumask;  // empty means "every CPU" (the default: all possible CPUs)
  affinity_scope scope = affinity_scope::dfl;
  bool strict = false;
  bool operator==(const wq_attrs&) const = default;
};

// default_wq_attrs() - what alloc_workqueue_attrs() returns: nice 0, every possible CPU, the
// default scope, not strict.
wq_attrs default_wq_attrs() noexcept;

// apply_workqueue_attrs() - gives the unbound queue `h` the attributes `attrs` (section 5.9).
//
// Items already queued or running finish on the pwq they were queued to; items queued after the
// call returns go to the pwqs of the new attributes. May block (creates pools and workers).
// Returns 0; -EINVAL for a bad handle, a per-CPU queue, an ordered queue (a second pwq would
// break ordering; docs/attrs.md), a nice value outside [-20, 19] or a scope outside the enum;
// -ENODEV while the queue is being destroyed; -ENOMEM if a pool or pwq could not be made. Nothing
// changes on error. Silent: callers that must warn (the C door) do so themselves.
int apply_workqueue_attrs(wq_handle h, const wq_attrs& attrs) noexcept;

// update_workqueue_attrs() - as apply_workqueue_attrs(), with the new attributes made by
// `edit(copy of the current ones, arg)` under the queue's mutex, so that two writers of different
// attributes (sysfs files) cannot undo each other. A non-zero return of `edit` is returned as is
// and nothing changes.
int update_workqueue_attrs(wq_handle h, int (*edit)(wq_attrs*, const void*), const void* arg) noexcept;

// get_workqueue_attrs() - copies the attributes of the unbound queue `h` as last requested.
// Returns false (and leaves *out alone) for a bad handle or a per-CPU queue.
bool get_workqueue_attrs(wq_handle h, wq_attrs* out) noexcept;

// unbound_cpumask() - the global unbound cpumask (wq_unbound_cpumask): every online CPU unless
// set_unbound_cpumask() narrowed it.
cpu_set unbound_cpumask() noexcept;

// set_unbound_cpumask() - sets the global unbound cpumask to `mask` ∩ possible CPUs and re-applies
// the attributes of every unordered unbound queue. Returns 0, or -EINVAL (nothing changed) if the
// intersection is empty. May block.
int set_unbound_cpumask(const cpu_set& mask) noexcept;

// --- internal, shared with workqueue.cpp ------------------------------------------------------

// install_unbound_pwqs() - makes (or reuses) the pwqs serving `attrs` for `wq` and points every
// CPU at its pod's pwq. Used at allocation and by apply_workqueue_attrs(). Returns 0 or -ENOMEM
// (nothing published then). Caller holds wq->mutex or is creating the queue.
int install_unbound_pwqs(workqueue* wq, const wq_attrs& attrs) noexcept;

}  // namespace cmwq::core
