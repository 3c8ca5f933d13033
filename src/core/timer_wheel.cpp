// src/core/timer_wheel.cpp - the cascading timing wheel and the one timer thread.
//
// The problem: delayed work needs timers that are armed and cancelled far more often than they
// fire (a driver re-arms a watchdog on every packet), so arm and cancel must be O(1) and must not
// allocate, yet a timer must fire within about a millisecond of its expiry whether it was armed
// 5 ms or 5 days ahead, and an idle process must not be woken by the timer thread at all.
//
// The approach: a hierarchical timing wheel (Varghese & Lauck, SOSP 1987) in the cascading form
// that the kernel's kernel/time/timer.c used until 4.8 (tv1..tv5), not the kernel's current
// non-cascading wheel, which trades precision for never touching a timer twice: its level-n
// buckets round the expiry up by 8^n jiffies, too coarse for delayed-work tests.
//
//   level   slot width   covers deltas up to        a timer sits here while clk is this far away
//     0       1 ms        64 ms                      exact: one slot = one jiffy
//     1      64 ms        4.1 s
//     2     4.1 s         4.4 min
//     3     4.4 min       4.7 h
//     4     4.7 h         12.4 days
//     5    12.4 days      2.2 years
//     6     2.2 years     139 years
//     7   139 years       8,900 years  (anything further is parked in level 7 and re-filed)
//
// A timer is filed by `delta = expires - clk` into the lowest level whose range covers it, in
// the slot holding its expiry's bits for that level. When `clk` reaches the start of that slot's
// time block the slot is "cascaded": each timer in it is re-filed relative to the new `clk`,
// landing in a lower level, until it reaches level 0, where a slot is exactly one jiffy. A timer
// is thus moved at most 7 times over its life (once per level it passes), never early and
// never rounded: precision is one jiffy at every distance.
//
// The timer thread never walks jiffy by jiffy. A 64-bit bitmap per level marks the non-empty
// slots, so the next event (the earliest level-0 expiry or cascade point) is one rotate and one
// count-trailing-zeros per level. The thread sleeps on a futex with that exact absolute deadline
// (CLOCK_MONOTONIC), or with no deadline at all when nothing is armed; an arm that is due before
// the deadline it sleeps on wakes it. Empty stretches are skipped: `clk` jumps straight to the
// next event (or to now + 1 when nothing is due), which is valid because no non-empty slot and no
// non-empty cascade lies in between.
//
// Callbacks run one at a time on the timer thread with the lock dropped; `running` names the
// timer whose callback runs, so timer_del() can report "not armed" without waiting and
// timer_del_sync() can sleep on a second futex until that callback has returned.
//
// Lifetime: the wheel is allocated once and never freed, and the thread is detached and never
// joined, so exit() with timers armed neither hangs nor touches freed memory.
#include "timer_wheel.hpp"

#include "context.hpp"
#include "delayed_work.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fault.hpp"
#include "futex.hpp"
#include "lock.hpp"
#include "warn.hpp"

namespace cmwq::core {
namespace {

// --- Geometry ---------------------------------------------------------------------------------

constexpr unsigned lvl_bits = 6;                    // 64 slots per level: one uint64 bitmap
constexpr unsigned lvl_size = 1U << lvl_bits;
constexpr unsigned lvl_mask = lvl_size - 1;
constexpr unsigned ulong_bits = sizeof(unsigned long) * CHAR_BIT;
constexpr unsigned lvl_depth = ulong_bits / lvl_bits >= 8 ? 8 : ulong_bits / lvl_bits;
constexpr unsigned wheel_slots = lvl_size * lvl_depth;
// The furthest delta the top level files exactly; anything beyond is parked at this distance.
constexpr unsigned long wheel_max_delta = (1UL << (lvl_bits * lvl_depth)) - 1;

static_assert(lvl_depth >= 5, "the wheel must reach at least 12 days");

constexpr unsigned lvl_shift(unsigned lvl) { return lvl * lvl_bits; }

// Signed jiffy comparisons that survive wrap-around (the kernel's time_after family).
constexpr bool time_before(unsigned long a, unsigned long b) { return static_cast<long>(a - b) < 0; }
constexpr bool time_after(unsigned long a, unsigned long b) { return time_before(b, a); }

// --- The wheel --------------------------------------------------------------------------------

struct wheel {
  wheel() : clk(jiffies_now()) { sync_disarmed.reserve(16); }  // grows (allocates) only past 16

  mutex lock;  // T: everything below except the futex words; the innermost cmwq lock

  timer* slots[wheel_slots] CMWQ_GUARDED_BY(lock) = {};      // T: hlist heads, level-major
  std::uint64_t occupied[lvl_depth] CMWQ_GUARDED_BY(lock) = {};  // T: bit s <=> slot s non-empty
  timer* expired CMWQ_GUARDED_BY(lock) = nullptr;  // T: due, not yet run, in run order
  unsigned long clk CMWQ_GUARDED_BY(lock);         // T: next jiffy to process
  timer* running CMWQ_GUARDED_BY(lock) = nullptr;  // T: whose callback runs now, or null

  bool started CMWQ_GUARDED_BY(lock) = false;        // T: the thread exists
  bool sleeping CMWQ_GUARDED_BY(lock) = false;       // T: the thread is (about to be) asleep
  bool sleep_forever CMWQ_GUARDED_BY(lock) = false;  // T: ... with no deadline
  unsigned long sleep_until CMWQ_GUARDED_BY(lock) = 0;  // T: ... until this jiffy
  // T: threads waiting in timer_del_sync() for the callback that runs now. Restarted at 0 when
  // that callback returns (the waiters never count themselves down), so that a waiter still on
  // its way out never counts as a waiter for the next callback, of another timer.
  unsigned sync_waiters CMWQ_GUARDED_BY(lock) = 0;
  // T: timers whose re-arm the thread undid for their timer_del_sync() waiters; the first waiter
  // to find its timer here takes it out and reports "armed". Almost always empty.
  std::vector<timer*> sync_disarmed CMWQ_GUARDED_BY(lock);

  std::uint64_t armed CMWQ_GUARDED_BY(lock) = 0;    // T: timers in slots or in `expired`
  std::uint64_t fired CMWQ_GUARDED_BY(lock) = 0;    // T: callbacks run
  std::uint64_t wakeups CMWQ_GUARDED_BY(lock) = 0;  // T: returns from the thread's futex wait

  // X: futex words. Both are bumped under `lock` and read under `lock` just before the waiter
  // drops it, so a bump between the read and the futex_wait makes the wait return at once; the
  // data itself is handed over by `lock`, never by these words (relaxed is enough).
  std::atomic<std::uint32_t> wake_seq{0};  // bumped to wake the timer thread early
  std::atomic<std::uint32_t> run_seq{0};   // bumped after a callback, when sync_waiters > 0
};

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex words must be plain 32-bit integers");

thread_local bool tls_timer_thread = false;  // W: set once by the timer thread itself

// The wheel is created on first use and deliberately never destroyed (see the file comment).
wheel& the_wheel() {
  static wheel* const w = new wheel;
  return *w;
}

// --- Clock ------------------------------------------------------------------------------------

// Nanoseconds of clock @id (0 if it cannot be read).
unsigned long mono_ns(clockid_t id) {
  timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0;
  return static_cast<unsigned long>(ts.tv_sec) * 1000000000UL + static_cast<unsigned long>(ts.tv_nsec);
}

unsigned long monotonic_ms() { return mono_ns(CLOCK_MONOTONIC) / 1000000UL; }

// jiffies = CLOCK_MONOTONIC ms + jiffies_offset(); the offset is 0 unless CMWQ_INITIAL_JIFFIES
// asks for a different starting value (wrap-around tests).
unsigned long jiffies_offset() {
  static const unsigned long offset = [] {
    const char* s = std::getenv("CMWQ_INITIAL_JIFFIES");
    if (!s || !*s) return 0UL;
    char* end = nullptr;
    errno = 0;
    unsigned long initial = std::strtoul(s, &end, 0);
    if (errno || *end) {
      CMWQ_WARN("CMWQ_INITIAL_JIFFIES=\"%s\" is not a number; ignored", s);
      return 0UL;
    }
    return initial - monotonic_ms();
  }();
  return offset;
}

// CLOCK_MONOTONIC_COARSE is the kernel's monotonic time as of its last timekeeping update: never
// ahead of CLOCK_MONOTONIC, and a read of the vDSO's data page instead of a clock-source read
// (kvm-clock: 20-50 ns, as much as the rest of an arm). Its lag is not bounded by its resolution:
// on this project's VM (4 ms ticks) it was 3 to 7.3 ms. So "coarse + margin" is used as an upper
// bound of now, with a margin learnt from the lag itself: twice the resolution, or 1 ms more than
// the largest lag measured, at start and on every 256th use in each thread (that use reads both
// clocks). A lag that jumps past everything seen before, by more than 1 ms, would make an item
// early by the excess; the kernel's own jiffies lag the same way.
std::atomic<unsigned long> coarse_margin_ns{0};  // X: relaxed; only grows; 0 = coarse unusable

// Raises the margin to @lag_ns + 1 ms if that is more.
void note_coarse_lag(unsigned long lag_ns) {
  const unsigned long want = lag_ns + 1000000UL;
  unsigned long m = coarse_margin_ns.load(std::memory_order_relaxed);
  while (m < want && !coarse_margin_ns.compare_exchange_weak(m, want, std::memory_order_relaxed)) {
  }
}

// Sets the margin up once; true if the coarse clock can be used at all.
bool coarse_clock_usable() {
  static const bool usable = [] {
    timespec r;
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) != 0 || r.tv_sec != 0 || r.tv_nsec <= 0) return false;
    coarse_margin_ns.store(2 * static_cast<unsigned long>(r.tv_nsec), std::memory_order_relaxed);
    for (int i = 0; i < 64; i++) {
      const unsigned long coarse = mono_ns(CLOCK_MONOTONIC_COARSE);
      const unsigned long precise = mono_ns(CLOCK_MONOTONIC);
      if (precise > coarse) note_coarse_lag(precise - coarse);
    }
    return true;
  }();
  return usable;
}

thread_local unsigned tls_coarse_uses = 0;  // W: the calling thread's timer_expiry_after() count

// The CLOCK_MONOTONIC instant, in nanoseconds, at which jiffy @j begins.
long long jiffy_to_mono_ns(unsigned long j) {
  const unsigned long ms = j - jiffies_offset();  // exact even if j wrapped: unsigned arithmetic
  return static_cast<long long>(ms) * 1000000LL;
}

// --- Lists (hlist: singly linked, pprev points at whoever points at us) -----------------------
//
// pprev is also read without the lock by timer_pending(), so every write of it is an atomic
// store (relaxed: timer_pending() is a racy snapshot and promises no ordering).

void set_pprev(timer* t, timer** pprev) { __atomic_store_n(&t->pprev, pprev, __ATOMIC_RELAXED); }

void hlist_add_head(timer* t, timer** head) {
  t->next = *head;
  if (t->next) set_pprev(t->next, &t->next);
  *head = t;
  set_pprev(t, head);
}

bool slot_head_of(wheel& w, timer** pprev, unsigned* idx) CMWQ_REQUIRES(w.lock) {
  auto p = reinterpret_cast<std::uintptr_t>(pprev);
  auto first = reinterpret_cast<std::uintptr_t>(&w.slots[0]);
  auto last = reinterpret_cast<std::uintptr_t>(&w.slots[wheel_slots - 1]);
  if (p < first || p > last) return false;
  *idx = static_cast<unsigned>((p - first) / sizeof(timer*));
  return true;
}

// --- Filing and unfiling (called with the wheel lock held) ------------------------------------

// detach - unlink armed @t from its slot or from the expired list, keeping the bitmaps exact.
// Context: w.lock held. @t must be armed (t->pprev != nullptr).
void detach(wheel& w, timer* t) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  timer** pprev = t->pprev;
  *pprev = t->next;
  if (t->next) set_pprev(t->next, pprev);
  unsigned idx;
  // Only the first timer of a slot has pprev pointing into slots[]; if the slot is now empty
  // its bit goes.
  if (!*pprev && slot_head_of(w, pprev, &idx)) w.occupied[idx / lvl_size] &= ~(1ULL << (idx & lvl_mask));
  t->next = nullptr;
  set_pprev(t, nullptr);
  --w.armed;
}

// file_timer - put @t, whose expires is not before w.clk - 1, into the slot covering it.
// Context: w.lock held. Does not touch w.armed (cascades re-file armed timers).
void file_timer(wheel& w, timer* t) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  long signed_delta = static_cast<long>(t->expires - w.clk);
  if (signed_delta < 0) {
    // Already due (armed in the past, or in a jiffy the thread has just processed).
    hlist_add_head(t, &w.expired);
    return;
  }
  unsigned long delta = static_cast<unsigned long>(signed_delta);
  unsigned long e = t->expires;
  unsigned lvl = 0;
  if (delta >= lvl_size) {
    lvl = (std::bit_width(delta) - 1) / lvl_bits;
    if (lvl >= lvl_depth) {  // beyond the wheel: park at its far edge, re-filed on cascade
      lvl = lvl_depth - 1;
      e = w.clk + wheel_max_delta;
    }
  }
  unsigned slot = static_cast<unsigned>((e >> lvl_shift(lvl)) & lvl_mask);
  hlist_add_head(t, &w.slots[lvl * lvl_size + slot]);
  w.occupied[lvl] |= 1ULL << slot;
}

bool armed(const timer* t) { return t->pprev != nullptr; }  // under the lock: a plain read

// The function a due @t calls, or null after timer_shutdown*(). Context: w.lock held.
timer_fn callback_of(const timer* t) {
  if (!timer_has_callback(t)) return nullptr;
  return (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & timer_flag_dwork) ? delayed_work_timer_fn : t->function;
}

// What timer_shutdown*() does to the callback: later arms are ignored until timer_init().
// Context: w.lock held.
void drop_callback(timer* t) {
  if (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & timer_flag_dwork)
    __atomic_fetch_or(&t->flags, timer_flag_shut, __ATOMIC_RELAXED);  // `function` is the owner's
  else
    __atomic_store_n(&t->function, nullptr, __ATOMIC_RELAXED);
}

// linked - true if @t is in the expired list or in the slot its expiry files it into at some
// level. Only the links of timers found on the wheel are followed, never @t's own, so @t may be
// garbage. A timer parked beyond the wheel's reach (8,900 years) is not found.
// Context: w.lock held.
bool linked(const wheel& w, const timer* t) CMWQ_REQUIRES(w.lock) {
  auto on = [t](const timer* p) {
    for (; p; p = p->next)
      if (p == t) return true;
    return false;
  };
  if (on(w.expired)) return true;
  for (unsigned lvl = 0; lvl < lvl_depth; ++lvl)
    if (on(w.slots[lvl * lvl_size + ((t->expires >> lvl_shift(lvl)) & lvl_mask)])) return true;
  return false;
}

bool wheel_empty(const wheel& w) CMWQ_REQUIRES(w.lock) {
  std::uint64_t any = 0;
  for (unsigned lvl = 0; lvl < lvl_depth; ++lvl) any |= w.occupied[lvl];
  return any == 0;
}

// next_event - the first jiffy >= w.clk at which a level-0 slot is due or a slot cascades.
// Context: w.lock held, the wheel not empty.
//
// A level-n slot s cascades at the first multiple of 64^n that is >= clk and has s in bits
// [6n, 6n+6). Filing guarantees no timer of that slot needs an earlier cascade, and none
// belongs to a later round (its delta was < 64^(n+1) when filed and clk only grows).
unsigned long next_event(const wheel& w) CMWQ_REQUIRES(w.lock) {
  unsigned long best = ULONG_MAX;  // offset from clk
  for (unsigned lvl = 0; lvl < lvl_depth; ++lvl) {
    std::uint64_t bits = w.occupied[lvl];
    if (!bits) continue;
    unsigned shift = lvl_shift(lvl);
    unsigned long block = (w.clk + ((1UL << shift) - 1)) >> shift;  // first boundary >= clk
    unsigned pos = static_cast<unsigned>(block & lvl_mask);
    unsigned k = static_cast<unsigned>(std::countr_zero(std::rotr(bits, static_cast<int>(pos))));
    unsigned long at = (block + k) << shift;
    best = std::min(best, at - w.clk);
  }
  return w.clk + best;
}

// cascade - re-file every timer of the level-@lvl slot that is due at @j (== w.clk).
// Context: w.lock held. The slot's list is newest-first; it is reversed so that re-filing
// (which pushes at the head) keeps the target lists newest-first as well, which is what makes
// timers with one expiry armed in one jiffy run in arming order.
void cascade(wheel& w, unsigned lvl, unsigned long j) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  unsigned slot = static_cast<unsigned>((j >> lvl_shift(lvl)) & lvl_mask);
  timer*& head = w.slots[lvl * lvl_size + slot];
  timer* list = head;
  head = nullptr;
  w.occupied[lvl] &= ~(1ULL << slot);
  timer* oldest_first = nullptr;
  while (list) {
    timer* n = list->next;
    list->next = oldest_first;
    oldest_first = list;
    list = n;
  }
  while (oldest_first) {
    timer* n = oldest_first->next;
    file_timer(w, oldest_first);  // still armed throughout: pprev never becomes null
    oldest_first = n;
  }
}

// collect_due - advance w.clk towards @now, cascading on the way, until one level-0 slot has
// been moved to w.expired (oldest first) or nothing more is due by @now.
// Context: w.lock held, w.expired empty.
void collect_due(wheel& w, unsigned long now) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  while (!time_after(w.clk, now)) {
    if (wheel_empty(w)) {
      w.clk = now + 1;
      return;
    }
    unsigned long j = next_event(w);
    if (time_after(j, now)) {
      w.clk = now + 1;  // nothing filed between clk and j: skip the empty stretch
      return;
    }
    w.clk = j;
    // Higher levels first: a level-2 cascade at j may file into the level-1 slot due at j.
    for (unsigned lvl = lvl_depth - 1; lvl >= 1; --lvl) {
      unsigned long mask = (1UL << lvl_shift(lvl)) - 1;
      if ((j & mask) == 0 && ((w.occupied[lvl] >> ((j >> lvl_shift(lvl)) & lvl_mask)) & 1))
        cascade(w, lvl, j);
    }
    w.clk = j + 1;
    unsigned slot = static_cast<unsigned>(j & lvl_mask);
    timer*& head = w.slots[slot];
    if (!head) continue;
    while (timer* t = head) {  // newest-first in, oldest-first out
      head = t->next;
      hlist_add_head(t, &w.expired);
    }
    w.occupied[0] &= ~(1ULL << slot);
    return;
  }
}

// --- The timer thread -------------------------------------------------------------------------

// run_expired - run every callback on w.expired, one at a time, with the lock dropped.
// Context: the timer thread; w.lock held on entry and on return, dropped around each callback.
void run_expired(wheel& w) CMWQ_REQUIRES(w.lock) {
  while (timer* t = w.expired) {
    detach(w, t);
    timer_fn fn = callback_of(t);
    w.running = t;
    w.lock.unlock();
    // Injected: a stall just before the callback, while timer_del_sync(t) must wait for it.
    fault_stall(fault_point::timer_stall);
    // From here on `t` may be freed by its own callback: only the pointer value is used.
    // Callbacks run in softirq context, as in the kernel: sleeping there warns (might_sleep).
    softirq_enter();
    if (fn) fn(as_timer_list(t));
    softirq_exit();
    w.lock.lock();
    w.running = nullptr;
    ++w.fired;
    if (w.sync_waiters) {
      // Everyone counted waits in timer_del_sync(t), so `t` is still alive. If it was re-armed
      // meanwhile (by its own callback, typically), disarm it here for them and mark it, so that
      // one of them reports it as armed (and owns what the arm owned, a delayed work's PENDING):
      // otherwise this loop, which re-takes the lock first, could run it again and again before
      // a waiter gets in (a self re-arming timer at "now").
      if (armed(t)) {
        detach(w, t);
        w.sync_disarmed.push_back(t);
      }
      w.sync_waiters = 0;
      // Pairs with the run_seq read in wait_for_callback(): the bump is under the lock, so a
      // waiter either reads the new value or is already asleep on the old one and gets woken.
      w.run_seq.fetch_add(1, std::memory_order_relaxed);
      w.lock.unlock();
      futex_wake(&w.run_seq, INT_MAX);
      w.lock.lock();
    }
  }
}

[[noreturn]] void timer_thread_loop(wheel& w) CMWQ_EXCLUDES(w.lock) {
  tls_timer_thread = true;
  unique_lock g(w.lock);
  for (;;) {
    // Past-due arms go straight to `expired`, so it may be non-empty after a sleep: run those
    // first, then look for more (collect_due() needs `expired` empty to keep run order).
    if (w.expired) {
      run_expired(w);
      continue;
    }
    collect_due(w, jiffies_now());
    if (w.expired) continue;
    // Nothing due now: sleep until the next event, or for good when nothing is armed.
    bool forever = wheel_empty(w);
    unsigned long until = forever ? 0 : next_event(w);
    w.sleeping = true;
    w.sleep_forever = forever;
    w.sleep_until = until;
    // Pairs with the bump in wake_thread_locked(): read under the lock, so a later arm either
    // sees `sleeping` and bumps (the futex then returns at once) or runs before this read and
    // was already collected above.
    std::uint32_t seq = w.wake_seq.load(std::memory_order_relaxed);
    g.unlock();
    futex_wait(&w.wake_seq, seq, forever ? no_deadline : jiffy_to_mono_ns(until));
    // Injected: the thread is descheduled on its way back (timers fire late, none is lost).
    fault_stall(fault_point::timer_stall);
    g.lock();
    w.sleeping = false;
    ++w.wakeups;
  }
}

void* timer_thread_main(void* arg) {
  pthread_setname_np(pthread_self(), "cmwq-timer");
  timer_thread_loop(*static_cast<wheel*>(arg));
}

// start_thread_locked - create the detached timer thread with every signal blocked.
// Context: w.lock held (the thread's first lock waits for the caller). On failure it warns and
// leaves w.started false, so the next arm tries again.
void start_thread_locked(wheel& w) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // inherited by the new thread, restored below
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  int err = pthread_create(&tid, &attr, timer_thread_main, &w);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (err) {
    CMWQ_WARN("cannot create the timer thread: %s; timers will not fire", std::strerror(err));
    return;
  }
  w.started = true;
}

// wake_thread_locked - make the sleeping timer thread re-plan if @t is due before it would wake.
// Context: w.lock held. Returns true if the caller must futex_wake(w.wake_seq) after unlocking.
bool wake_thread_locked(wheel& w, const timer* t) CMWQ_REQUIRES(w.lock) {
  if (!w.sleeping) return false;  // awake: it computes its next deadline before sleeping again
  if (!w.sleep_forever && !time_before(t->expires, w.sleep_until)) return false;
  w.sleeping = false;  // one wake is enough until it sleeps again
  // Pairs with the wake_seq read in timer_thread_loop().
  w.wake_seq.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// arm_locked - file idle @t at @expires and wake the thread if it must re-plan.
// Context: w.lock held, t not armed. Returns true if the caller must wake the thread.
bool arm_locked(wheel& w, timer* t, unsigned long expires) CMWQ_REQUIRES(w.lock) {
  w.lock.assert_held();
  if (!w.started) start_thread_locked(w);
  if (w.armed == 0) {
    // An empty wheel's clk may be hours stale; bring it to now so the timer is filed at its
    // real distance (fewer cascades). Valid: nothing lies between clk and now.
    unsigned long now = jiffies_now();
    if (time_after(now, w.clk)) w.clk = now;
  }
  t->expires = expires;
  file_timer(w, t);
  ++w.armed;
  return wake_thread_locked(w, t);
}

void wake_thread(wheel& w) { futex_wake(&w.wake_seq, 1); }

// take_sync_disarmed - whether the thread undid a re-arm of @t for its waiters (and forget it).
// Context: w.lock held.
bool take_sync_disarmed(wheel& w, timer* t) CMWQ_REQUIRES(w.lock) {
  auto it = std::find(w.sync_disarmed.begin(), w.sync_disarmed.end(), t);
  if (it == w.sync_disarmed.end()) return false;
  w.sync_disarmed.erase(it);
  return true;
}

// del_sync_common - timer_del_sync() and timer_shutdown_sync(): disarm, then wait until no
// callback of @t runs. A re-arm made meanwhile (by the callback itself, typically) is undone by
// the timer thread as the callback returns (see run_expired()), so the callback cannot run again
// while we wait and the wait always ends: at most one callback is waited for per re-arm race.
bool del_sync_common(timer* t, bool shutdown) {
  wheel& w = the_wheel();
  bool was_armed = false, self = false;
  unique_lock g(w.lock);
  for (;;) {
    if (armed(t)) {
      detach(w, t);
      was_armed = true;
    }
    if (take_sync_disarmed(w, t)) was_armed = true;  // the thread disarmed a re-arm for us
    if (shutdown) drop_callback(t);
    if (w.running != t) break;
    if (tls_timer_thread) {  // the timer thread runs one callback at a time: this is t's own
      self = true;
      break;
    }
    ++w.sync_waiters;
    std::uint32_t seq = w.run_seq.load(std::memory_order_relaxed);  // pairs with run_expired()
    g.unlock();
    blocking_begin();  // a worker waiting here lets its pool run other items
    futex_wait(&w.run_seq, seq);
    blocking_end();
    g.lock();
  }
  g.unlock();
  if (self)
    CMWQ_WARN("%s(%p) called from that timer's own callback would wait for itself; not waiting",
              shutdown ? "timer_shutdown_sync" : "timer_del_sync", static_cast<void*>(t));
  return was_armed;
}

}  // namespace

// --- Public calls -----------------------------------------------------------------------------

void timer_init(timer* t, timer_fn fn, unsigned int flags) noexcept {
  // Zero-filled memory and disarmed timers have no pprev: no lock, no search.
  if (__atomic_load_n(&t->pprev, __ATOMIC_RELAXED)) {
    wheel& w = the_wheel();
    lock_guard g(w.lock);
    if (linked(w, t)) {
      CMWQ_WARN("timer %p initialised while armed: it is disarmed first", static_cast<void*>(t));
      detach(w, t);
    }
  }
  t->next = nullptr;
  set_pprev(t, nullptr);
  if (!(flags & timer_flag_dwork)) __atomic_store_n(&t->function, fn, __ATOMIC_RELAXED);
  __atomic_store_n(&t->flags, flags, __ATOMIC_RELAXED);
}

bool timer_armed_checked(const timer* t) noexcept {
  if (!__atomic_load_n(&t->pprev, __ATOMIC_RELAXED)) return false;
  wheel& w = the_wheel();
  lock_guard g(w.lock);
  return linked(w, t);
}

bool timer_mod(timer* t, unsigned long expires) noexcept {
  wheel& w = the_wheel();
  bool was_armed, wake = false;
  {
    lock_guard g(w.lock);
    was_armed = armed(t);
    // Same expiry: nothing to do (mod_timer's shortcut, which also keeps its place in line).
    if (was_armed && t->expires == expires) return true;
    if (was_armed) detach(w, t);
    if (timer_has_callback(t)) wake = arm_locked(w, t, expires);
  }
  if (wake) wake_thread(w);
  return was_armed;
}

bool timer_add(timer* t) noexcept {
  wheel& w = the_wheel();
  bool wake = false;
  {
    lock_guard g(w.lock);
    if (armed(t)) return false;
    if (timer_has_callback(t)) wake = arm_locked(w, t, t->expires);
  }
  if (wake) wake_thread(w);
  return true;
}

bool timer_mod_pending(timer* t, unsigned long expires) noexcept {
  wheel& w = the_wheel();
  bool wake = false;
  {
    lock_guard g(w.lock);
    if (!armed(t)) return false;
    if (t->expires == expires) return true;
    detach(w, t);
    wake = arm_locked(w, t, expires);
  }
  if (wake) wake_thread(w);
  return true;
}

bool timer_reduce(timer* t, unsigned long expires) noexcept {
  wheel& w = the_wheel();
  bool was_armed, wake = false;
  {
    lock_guard g(w.lock);
    was_armed = armed(t);
    if (was_armed && !time_before(expires, t->expires)) return true;
    if (was_armed) detach(w, t);
    if (timer_has_callback(t)) wake = arm_locked(w, t, expires);
  }
  if (wake) wake_thread(w);
  return was_armed;
}

bool timer_del(timer* t) noexcept {
  wheel& w = the_wheel();
  lock_guard g(w.lock);
  if (!armed(t)) return false;
  detach(w, t);
  return true;
}

int timer_try_del_sync(timer* t) noexcept {
  wheel& w = the_wheel();
  lock_guard g(w.lock);
  if (w.running == t) return -1;
  if (!armed(t)) return 0;
  detach(w, t);
  return 1;
}

bool timer_del_sync(timer* t) noexcept { return del_sync_common(t, false); }

bool timer_shutdown(timer* t) noexcept {
  wheel& w = the_wheel();
  lock_guard g(w.lock);
  bool was_armed = armed(t);
  if (was_armed) detach(w, t);
  drop_callback(t);
  return was_armed;
}

bool timer_shutdown_sync(timer* t) noexcept { return del_sync_common(t, true); }

bool timer_pending(const timer* t) noexcept {
  return __atomic_load_n(&t->pprev, __ATOMIC_RELAXED) != nullptr;
}

bool in_timer_callback() noexcept { return tls_timer_thread; }

unsigned long jiffies_now() noexcept { return monotonic_ms() + jiffies_offset(); }

unsigned long timer_expiry_after(unsigned long delay) noexcept {
  if (!coarse_clock_usable()) return jiffies_now() + delay + 1;
  const unsigned long margin = coarse_margin_ns.load(std::memory_order_relaxed);
  // The coarse clock only for delays of at least 16 margins: at most 1/16 later than asked.
  if (delay < (16 * margin + 999999) / 1000000) return jiffies_now() + delay + 1;
  const unsigned long coarse = mono_ns(CLOCK_MONOTONIC_COARSE);
  if ((++tls_coarse_uses & 255) == 0) {
    const unsigned long precise = mono_ns(CLOCK_MONOTONIC);
    if (precise > coarse) note_coarse_lag(precise - coarse);
  }
  // now < coarse + margin, so its jiffy is at most this one (monotonic_ms()'s arithmetic).
  return (coarse + margin) / 1000000UL + jiffies_offset() + delay + 1;
}

timer_stats timer_get_stats() noexcept {
  wheel& w = the_wheel();
  lock_guard g(w.lock);
  return timer_stats{w.armed, w.fired, w.wakeups};
}

}  // namespace cmwq::core
