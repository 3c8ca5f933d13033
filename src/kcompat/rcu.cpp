// src/kcompat/rcu.cpp - <linux/rcupdate.h> on liburcu's membarrier flavour (semantics.md U9).
//
// The problem. RCU's guarantee is a grace period: synchronize_rcu() returns, and call_rcu()
// callbacks run, only after every read-side critical section that was running when they were
// called has ended. Writing that correctly is a research topic; liburcu has done it (U9 forbids
// a home-made one). What remains is the glue: liburcu wants each reader thread registered, and
// its names collide with the kernel's.
//
// The approach. Flavour: liburcu-memb. Its readers are as cheap as the kernel's (a thread-local
// nesting count and a compiler barrier: the writer pays, with the membarrier() system call), it
// needs no signals (urcu-signal would steal one from the application) and no quiescent-state
// reports (urcu-qsbr would need every thread to announce them, which kernel code never does);
// urcu-bp registers threads itself but makes every reader pay a check and a fence. Registration
// is done here instead, lazily: every entry point registers the calling thread the first time it
// comes by (kworkers, softirq and interrupt threads and application threads alike) and a
// thread_local guard unregisters it at thread exit. A read-side section also counts as atomic
// context for might_sleep() (the kernel warns about sleeping inside one too) and for the
// workqueue's "leaked atomic, lock or RCU" check. The kernel's struct rcu_head has liburcu's size
// and layout (next, func: static_asserts below), so call_rcu() hands the caller's head to liburcu
// as it is; this is the only file that sees liburcu's names.
#include <urcu/urcu-memb.h>

#include <atomic>
#include <cstddef>

// liburcu's generic names (call_rcu, rcu_barrier, rcu_read_lock, ...) are macros for the memb
// functions; the kernel's functions below have those names.
#undef call_rcu
#undef rcu_barrier
#undef rcu_read_lock
#undef rcu_read_unlock
#undef synchronize_rcu
#undef rcu_dereference
#undef rcu_assign_pointer
using urcu_head = struct rcu_head;
using urcu_callback = void (*)(urcu_head*);

#include "core/context.hpp"
#include "core/warn.hpp"

// The kernel-side declarations, without <linux/rcupdate.h> (its rcu_head macro would rename
// liburcu's struct): the layout is checked against it in tests/rcu_test.cpp.
struct callback_head {
  callback_head* next;
  void (*func)(callback_head* head);
};
static_assert(sizeof(callback_head) == sizeof(urcu_head));
static_assert(offsetof(callback_head, func) == offsetof(urcu_head, func));

namespace {

// ThreadSanitizer cannot see liburcu's grace periods (membarrier and an uninstrumented library),
// so under TSan every reader's unlock releases, and every grace period's end acquires, one
// counter: what a reader did happens-before what the updater does after the grace period.
#if defined(__SANITIZE_THREAD__)
#define CMWQ_RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CMWQ_RCU_TSAN 1
#endif
#endif
#ifdef CMWQ_RCU_TSAN
// liburcu's own memory (the completions rcu_barrier() allocates and its callback thread frees)
// is handed between its threads through uninstrumented atomics: TSan is told to trust the
// library's allocations rather than report them. Programs that never call RCU do not link this.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:liburcu-memb.so\ncalled_from_lib:liburcu-common.so\n";
}
std::atomic<unsigned long> g_tsan_grace{0};
void tsan_reader_done() { g_tsan_grace.fetch_add(1, std::memory_order_release); }  // pairs with below
void tsan_grace_over() { (void)g_tsan_grace.load(std::memory_order_acquire); }
#else
void tsan_reader_done() {}
void tsan_grace_over() {}
#endif

struct registration {
  bool registered = false;
  int nesting = 0;  // read-side sections entered and not left
  ~registration() {
    if (registered) urcu_memb_unregister_thread();
  }
};
thread_local registration t_rcu;

void ensure_registered() {
  if (t_rcu.registered) return;
  urcu_memb_register_thread();
  t_rcu.registered = true;
}

// Waiting for a grace period from inside a read-side section would wait for itself.
bool refuse_inside_reader(const char* what) {
  if (t_rcu.nesting == 0) return false;
  CMWQ_WARN("%s: called inside an RCU read-side critical section, which would wait for itself; ignored", what);
  return true;
}

}  // namespace

extern "C" {

void rcu_read_lock(void) {
  ensure_registered();
  urcu_memb_read_lock();
  t_rcu.nesting++;
  cmwq::core::preempt_count_add();
}

void rcu_read_unlock(void) {
  if (t_rcu.nesting == 0) {
    CMWQ_WARN("rcu_read_unlock: not inside an RCU read-side critical section; ignored");
    return;
  }
  cmwq::core::preempt_count_sub();
  t_rcu.nesting--;
  tsan_reader_done();
  urcu_memb_read_unlock();
}

bool rcu_read_lock_held(void) { return t_rcu.nesting > 0; }

void synchronize_rcu(void) {
  if (refuse_inside_reader("synchronize_rcu") || !cmwq::core::might_sleep("synchronize_rcu")) return;
  ensure_registered();
  cmwq::core::blocking_section b;
  urcu_memb_synchronize_rcu();
  tsan_grace_over();
}

void call_rcu(callback_head* head, void (*func)(callback_head*)) {
  ensure_registered();  // liburcu's call_rcu() wants a registered caller
  tsan_reader_done();   // what the caller wrote before call_rcu() happens-before the callback
  // Same layout (see the static_asserts): liburcu calls func with the address it was given.
  urcu_memb_call_rcu(reinterpret_cast<urcu_head*>(head), reinterpret_cast<urcu_callback>(func));
}

void rcu_barrier(void) {
  if (refuse_inside_reader("rcu_barrier") || !cmwq::core::might_sleep("rcu_barrier")) return;
  ensure_registered();
  cmwq::core::blocking_section b;
  urcu_memb_barrier();
  tsan_grace_over();
}

// For the rcu_work callback (src/kcompat/rcu_work.cpp): it runs after a grace period.
void cmwq_rcu_grace_over(void) { tsan_grace_over(); }

}  // extern "C"
