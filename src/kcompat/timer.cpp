// src/kcompat/timer.cpp - struct timer_list on the engine's timing wheel (src/core/timer_wheel.hpp).
//
// The calls are thin: struct timer_list and cmwq::core::timer have one layout (checked below), so
// each kernel call maps to one core call. The one thing added is the context: the kernel runs
// timer callbacks in softirq context, where sleeping is a bug, and cmwq must make sleeping there
// warn. The wheel calls t->function(t) directly, so timer_setup() points ->function at a
// trampoline that enters softirq context around the real callback; the real callback is kept in
// a table of distinct callback functions (a program has few), and its index lives in the bits of
// ->flags that the kernel uses for the CPU number (TIMER_CPUMASK), which cmwq has no use for.
// A timer set up statically (DEFINE_TIMER) or whose ->function was assigned by hand is converted
// on its first arm. If the wheel itself enters softirq context, the trampoline does not nest it.
#include <linux/interrupt.h>
#include <linux/timer.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_map>

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

using timer_fn = void (*)(timer_list*);

constexpr unsigned int cpumask_bits = 0x0003ffff;  // the kernel's TIMER_CPUMASK
constexpr std::size_t max_callbacks = cpumask_bits;  // index 0 means "not converted"

core::timer* as_core(timer_list* t) { return reinterpret_cast<core::timer*>(t); }
const core::timer* as_core(const timer_list* t) { return reinterpret_cast<const core::timer*>(t); }

// The table of distinct callbacks: append-only, so a published index stays valid forever.
std::array<std::atomic<timer_fn>, max_callbacks + 1> g_callbacks{};  // X: release on publish
std::mutex g_callbacks_mutex;                                          // guards the two below
std::unordered_map<timer_fn, unsigned int> g_callback_index;
unsigned int g_callback_count = 0;

void trampoline(core::timer* ct) {
  auto* t = reinterpret_cast<timer_list*>(ct);
  // Pairs with the release store in callback_index(); the index itself reached this thread
  // through the wheel lock (arm happens-before fire).
  timer_fn fn = g_callbacks[t->flags & cpumask_bits].load(std::memory_order_acquire);
  if (!fn) return;
  bool enter = !core::in_softirq();
  if (enter) core::softirq_enter();
  fn(t);  // `t` may be freed by its own callback: not touched afterwards
  if (enter) core::softirq_exit();
}

// The index of `fn` in the table, adding it if new; 0 when the table is full (then the callback
// runs without the softirq mark).
unsigned int callback_index(timer_fn fn) {
  std::lock_guard<std::mutex> g(g_callbacks_mutex);
  auto it = g_callback_index.find(fn);
  if (it != g_callback_index.end()) return it->second;
  if (g_callback_count == max_callbacks) {
    CMWQ_WARN_ONCE("timer: more than %zu distinct timer callbacks; the rest run without softirq context",
                   max_callbacks);
    return 0;
  }
  unsigned int idx = ++g_callback_count;
  g_callbacks[idx].store(fn, std::memory_order_release);
  g_callback_index.emplace(fn, idx);
  return idx;
}

void setup(timer_list* t, timer_fn fn, unsigned int flags) {
  flags &= TIMER_INIT_FLAGS;
  unsigned int idx = fn ? callback_index(fn) : 0;
  if (idx)
    core::timer_init(as_core(t), trampoline, flags | idx);
  else
    core::timer_init(as_core(t), reinterpret_cast<void (*)(core::timer*)>(fn), flags);
}

// Before arming: a timer initialised statically or by hand still calls its function directly.
void convert(timer_list* t) {
  void (*cur)(core::timer*) = as_core(t)->function;
  if (cur == trampoline || !cur) return;
  unsigned int idx = callback_index(reinterpret_cast<timer_fn>(cur));
  if (!idx) return;
  // Only for a timer that is not armed (its fields are the arming thread's until it is armed).
  if (core::timer_pending(as_core(t))) return;
  t->flags = (t->flags & ~cpumask_bits) | idx;
  as_core(t)->function = trampoline;
}

}  // namespace

extern "C" {

void cmwq_timer_setup(struct timer_list* timer, void (*func)(struct timer_list*), unsigned int flags) {
  setup(timer, func, flags);
}

int mod_timer(struct timer_list* timer, unsigned long expires) {
  convert(timer);
  return core::timer_mod(as_core(timer), expires) ? 1 : 0;
}

void add_timer(struct timer_list* timer) {
  convert(timer);
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
  convert(timer);
  return core::timer_mod_pending(as_core(timer), expires) ? 1 : 0;
}

int timer_reduce(struct timer_list* timer, unsigned long expires) {
  convert(timer);
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
