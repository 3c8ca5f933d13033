// src/core/timer_wheel.hpp - scalable kernel-style timers (the engine of delayed work and timer_list).
//
//   cmwq::core::timer          one timer; layout-compatible with the C `struct timer_list`.
//   cmwq::core::timer_init()   prepares a timer (never armed).
//   cmwq::core::timer_mod()    arms or re-arms (mod_timer semantics).
//   cmwq::core::timer_add()    arms an idle timer (add_timer semantics).
//   cmwq::core::timer_del()    disarms without waiting (del_timer / timer_delete).
//   cmwq::core::timer_del_sync() disarms and waits for a running callback (del_timer_sync).
//   cmwq::core::timer_pending() armed?
//   cmwq::core::jiffies_now()  the clock all expiries are measured in (1 jiffy = 1 ms, HZ = 1000).
//   cmwq::core::timer_expiry_after() the expiry for "fire after this delay" (delayed work).
//
// Algorithm: a hierarchical timing wheel (G. Varghese and T. Lauck, "Hashed and Hierarchical
// Timing Wheels", SOSP 1987), as in the kernel's kernel/time/timer.c: arming and disarming are
// O(1) list operations on the slot that covers the expiry; one timer thread sleeps until the next
// non-empty slot and does not wake at all while nothing is armed.
//
// Callbacks run on the timer thread, one at a time, with no wheel lock held; a callback may
// re-arm its own timer or arm others.
//
// Memory ordering: everything a thread wrote before timer_mod()/timer_add() happens-before the
// callback run that arming causes; everything a callback wrote happens-before the return of a
// timer_del_sync() that waited for it (all of it goes through the wheel lock).
//
// Precision: a timer never fires before jiffies_now() >= expires, and on an idle machine fires
// within about a millisecond after it, at every distance (the wheel cascades, see
// docs/timers.md). Jiffies are whole milliseconds, so "expires = jiffies_now() + d" may fire up
// to 1 ms less than d after the call in real time, as in the kernel. Setting the environment
// variable CMWQ_INITIAL_JIFFIES (read once, at the first jiffies_now()) starts the clock at that
// value, e.g. close to ULONG_MAX to test wrap-around, like the kernel's INITIAL_JIFFIES.
#pragma once

#include <cstdint>

// The C type of kernel timers. Callbacks are typed on it (and only converted back inside), so
// that every call goes through exactly the function type the callback was defined with: calls
// through a mismatched function type are undefined, and UBSan's -fsanitize=function reports them.
struct timer_list;

namespace cmwq::core {

using timer_fn = void (*)(::timer_list*);

// Kept in the exact layout of `struct timer_list { struct hlist_node entry; unsigned long expires;
// void (*function)(struct timer_list *); u32 flags; }` (kcompat static_asserts it).
struct timer {
  timer* next;              // T: next in the slot's list
  timer** pprev;            // T: nullptr while not armed; read without the lock by timer_pending()
  unsigned long expires;    // T: absolute expiry in jiffies
  // I: set by timer_init (T: cleared by timer_shutdown*). With timer_flag_dwork it is no function
  // but 8 bytes of the owner's, which timer_init() leaves alone (see the flag).
  timer_fn function;
  // I: TIMER_* flags of the kernel (deferrable, irqsafe, ...), informational, and the internal
  // flags below (T: timer_flag_shut set by timer_shutdown*; relaxed atomic, see timer_has_callback())
  unsigned int flags;
};

// Internal flags, outside the kernel's TIMER_INIT_FLAGS (timer_setup() masks them off).
// timer_flag_dwork: the callback is delayed_work_timer_fn() (delayed_work.hpp) and `function` is
//   storage of the owner's: cmwq::delayed_work keeps its closure there, which is what keeps it at
//   96 bytes (issue 14: a separate closure word made it 104). A delayed item's timer function is a
//   constant, so the word it took was redundant.
// timer_flag_shut: a timer_flag_dwork timer was shut down (for other timers `function` is nulled).
inline constexpr unsigned int timer_flag_dwork = 0x00040000;
inline constexpr unsigned int timer_flag_shut = 0x00020000;

// True if `t` has a callback: timer_init() gave it one and no timer_shutdown() took it away. A
// racy snapshot without the wheel's lock, like timer_pending().
inline bool timer_has_callback(const timer* t) noexcept {
  const unsigned int f = __atomic_load_n(&t->flags, __ATOMIC_RELAXED);
  if (f & timer_flag_dwork) return !(f & timer_flag_shut);
  return __atomic_load_n(&t->function, __ATOMIC_RELAXED) != nullptr;
}

// Prepares `t`, which may be uninitialised memory. If `t` is armed on the wheel (a caller bug: the
// kernel's debugobjects report "init active"), it warns and disarms `t` first, as the kernel's
// fixup does, so that the timers linked behind it in its slot are not cut off; a callback that
// runs meanwhile is not waited for. With timer_flag_dwork in `flags`, `fn` is ignored and
// t->function is not written (the owner may have stored its data there already).
void timer_init(timer* t, timer_fn fn, unsigned int flags) noexcept;

// True if `t` is linked on the wheel now. Unlike timer_pending() it never follows t's own links,
// so `t` may be uninitialised memory: it looks for `t` in the lists it would be on if armed.
bool timer_armed_checked(const timer* t) noexcept;

// Conversions between the engine's view of a timer and the C type callbacks receive.
inline ::timer_list* as_timer_list(timer* t) noexcept { return reinterpret_cast<::timer_list*>(t); }
inline timer* timer_of(::timer_list* t) noexcept { return reinterpret_cast<timer*>(t); }

// Arms `t` to fire at absolute jiffy `expires` (an expiry in the past fires as soon as possible).
// Returns true if `t` was armed before (its old expiry is replaced). Never blocks on the callback.
bool timer_mod(timer* t, unsigned long expires) noexcept;

// Arms an idle `t` at t->expires. Returns false (and changes nothing) if it was already armed.
bool timer_add(timer* t) noexcept;

// Disarms `t`. Returns true if it was armed (it will not fire). A callback already running
// continues. Never blocks.
bool timer_del(timer* t) noexcept;

// Disarms `t` and waits until a running callback of `t` has returned. Returns true if it was armed.
// Called from the timer's own callback it warns and does not wait.
bool timer_del_sync(timer* t) noexcept;

// True while `t` is armed (a racy snapshot, like the kernel's timer_pending()).
bool timer_pending(const timer* t) noexcept;

// True if the calling thread is the timer thread running callbacks.
bool in_timer_callback() noexcept;

// Milliseconds of CLOCK_MONOTONIC since an arbitrary origin, wrapping like an unsigned long.
unsigned long jiffies_now() noexcept;

// The expiry that makes a timer armed now fire no less than @delay ms of real time from now: at
// least jiffies_now() + delay + 1 (the current jiffy is partly over), at most 1/16 of @delay more.
// Long delays (at least 16 margins: 128 ms or more on a host with a 4 ms tick) read
// CLOCK_MONOTONIC_COARSE, about 6 ns instead of 20-50 ns, plus a margin for its lag that the
// wheel measures (timer_wheel.cpp); shorter ones read CLOCK_MONOTONIC and keep one-jiffy
// precision. Never blocks.
unsigned long timer_expiry_after(unsigned long delay) noexcept;

// --- additions for the kernel's less common timer calls (kcompat maps them 1:1) ---------------

// Re-arms `t` at `expires` only if it is armed now (mod_timer_pending). Returns true if it was
// armed. Never blocks on the callback.
bool timer_mod_pending(timer* t, unsigned long expires) noexcept;

// Arms an idle `t` at `expires`, or moves an armed `t` to `expires` only if that is earlier
// (timer_reduce). Returns true if it was armed.
bool timer_reduce(timer* t, unsigned long expires) noexcept;

// Disarms `t` unless its callback is running right now (try_to_del_timer_sync). Returns -1 and
// changes nothing while the callback runs; otherwise 1 if it was armed, 0 if not. Never blocks.
int timer_try_del_sync(timer* t) noexcept;

// Disarms `t` and clears t->function, so that later arms are silently ignored until the next
// timer_init() (timer_shutdown / timer_shutdown_sync). The _sync form also waits for a running
// callback, like timer_del_sync(). Return true if it was armed.
bool timer_shutdown(timer* t) noexcept;
bool timer_shutdown_sync(timer* t) noexcept;

// Statistics, for tests and docs: timers armed now, and callbacks run since start.
struct timer_stats {
  std::uint64_t armed;
  std::uint64_t fired;
  std::uint64_t thread_wakeups;
};
timer_stats timer_get_stats() noexcept;

}  // namespace cmwq::core
