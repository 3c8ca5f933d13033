// src/kcompat/timer.cpp - struct timer_list on the engine's timing wheel (src/core/timer_wheel.hpp).
//
// The calls are thin: struct timer_list and cmwq::core::timer have one layout (checked below), so
// each kernel call maps to one core call. The wheel runs every callback in softirq context
// (softirq_enter/exit around the call), where sleeping warns, as the kernel's timer softirq does;
// nothing here needs to add to that. What this file adds is the kernel's argument checks: the
// flags timer_setup() accepts, add_timer() on an armed timer, and synchronous deletion from hard
// interrupt context.
#include <linux/interrupt.h>
#include <linux/timer.h>

#include <cstddef>

#include "core/context.hpp"
#include "core/timer_wheel.hpp"
#include "core/warn.hpp"

using namespace cmwq;

// The C and C++ views of a timer must agree field by field (timer_wheel.hpp promises the layout).
static_assert(sizeof(timer_list) == sizeof(core::timer), "struct timer_list and core::timer differ in size");
static_assert(alignof(timer_list) == alignof(core::timer), "struct timer_list and core::timer differ in alignment");
static_assert(offsetof(timer_list, entry) == offsetof(core::timer, next), "entry.next");
static_assert(offsetof(timer_list, entry) + offsetof(hlist_node, pprev) == offsetof(core::timer, pprev), "entry.pprev");
static_assert(offsetof(timer_list, expires) == offsetof(core::timer, expires), "expires");
static_assert(offsetof(timer_list, function) == offsetof(core::timer, function), "function");
static_assert(offsetof(timer_list, flags) == offsetof(core::timer, flags), "flags");
static_assert(sizeof(static_cast<timer_list*>(nullptr)->flags) == sizeof(static_cast<core::timer*>(nullptr)->flags),
              "flags width");

namespace {

core::timer* as_core(timer_list* t) { return reinterpret_cast<core::timer*>(t); }
const core::timer* as_core(const timer_list* t) { return reinterpret_cast<const core::timer*>(t); }

}  // namespace

extern "C" {

void cmwq_timer_setup(struct timer_list* timer, void (*func)(struct timer_list*), unsigned int flags) {
  // The layouts match (see the static_asserts), so the callback is called with the same pointer.
  core::timer_init(as_core(timer), func, flags & TIMER_INIT_FLAGS);
}

int mod_timer(struct timer_list* timer, unsigned long expires) {
  return core::timer_mod(as_core(timer), expires) ? 1 : 0;
}

void add_timer(struct timer_list* timer) {
  if (!core::timer_add(as_core(timer))) CMWQ_WARN("add_timer: timer %p is already pending", static_cast<void*>(timer));
}

void add_timer_on(struct timer_list* timer, int cpu) {
  (void)cpu;
  add_timer(timer);
}

void add_timer_global(struct timer_list* timer) { add_timer(timer); }

int cmwq_timer_delete(struct timer_list* timer) { return core::timer_del(as_core(timer)) ? 1 : 0; }

int timer_delete_sync(struct timer_list* timer) {
  // The kernel warns when a non-IRQSAFE timer is deleted synchronously from hard-IRQ context
  // (the callback could be waiting for this very CPU); waiting is sleeping there.
  if (core::in_hardirq() && !(timer->flags & TIMER_IRQSAFE))
    CMWQ_WARN("timer_delete_sync() of a non-IRQSAFE timer from hard interrupt context");
  return core::timer_del_sync(as_core(timer)) ? 1 : 0;
}

int timer_pending(const struct timer_list* timer) { return core::timer_pending(as_core(timer)) ? 1 : 0; }

int mod_timer_pending(struct timer_list* timer, unsigned long expires) {
  return core::timer_mod_pending(as_core(timer), expires) ? 1 : 0;
}

int timer_reduce(struct timer_list* timer, unsigned long expires) {
  return core::timer_reduce(as_core(timer), expires) ? 1 : 0;
}

int try_to_del_timer_sync(struct timer_list* timer) { return core::timer_try_del_sync(as_core(timer)); }

int timer_shutdown(struct timer_list* timer) { return core::timer_shutdown(as_core(timer)) ? 1 : 0; }

int timer_shutdown_sync(struct timer_list* timer) {
  if (core::in_hardirq() && !(timer->flags & TIMER_IRQSAFE))
    CMWQ_WARN("timer_shutdown_sync() of a non-IRQSAFE timer from hard interrupt context");
  return core::timer_shutdown_sync(as_core(timer)) ? 1 : 0;
}

}  // extern "C"
