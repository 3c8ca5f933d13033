// src/core/guards.hpp - the guard legend and clang thread-safety annotation macros.
//
// Every shared field in src/core ends in a comment naming the rule that guards it:
//
//   I  : set while constructing (or destroying) the object, read-only otherwise.
//   L  : the owning worker_pool's lock (for a pwq: its pool's lock).
//   A  : the pool's attach state, also pool.lock in cmwq (the kernel has a separate attach mutex).
//   PL : the runtime's pools mutex (unbound pool registry).
//   R  : the workqueue registry's lock (slots, the live list, freezing; workqueue.cpp).
//   WQ : the workqueue's mutex (pwq list, max_active, flags that change after creation).
//   WR : written under WQ, read with a relaxed atomic load.
//   FL : the workqueue's flush mutex (flush colours and flushers).
//   FW : the workqueue's flush wait lock: only to sleep and wake flushers.
//   N  : the workqueue's node lock (unbound queues: the shared active count and pending pwqs).
//   M  : the workqueue's mayday lock (the pwqs asking its rescuer for help).
//   LT : the workqueue's late-work lock (late_work.cpp).
//   UM : the lock of the global unbound cpumask (attrs.cpp).
//   CT : the control server's lock (control_server.cpp).
//   T  : the timer wheel's lock.
//   W  : only the worker thread itself (or its creator before it starts).
//   X  : atomic; the comment next to each access names the ordering partner.
//
// Lock order, outermost first (a lock is only taken while holding locks listed before it):
//
//   R -> WQ -> FL -> L -> { N, M } -> FW,   and T, the innermost of all.
//
// Pool locks never nest: a step that needs another pool's lock (the unbound hand-off of a freed
// active slot) runs after the caller dropped its own. UM is taken with at most a pool lock inside
// it; LT, PL and CT nest with none of the above. CMWQ_ACQUIRED_AFTER/BEFORE on the mutexes state
// this order for the analysis: clang checks it under -Wthread-safety-beta (CMakeLists.txt).
//
// CMWQ_GUARDED_BY and friends make the single-lock rules compiler-checked under clang
// -Wthread-safety; mixed rules stay letters. Where the analysis cannot follow a lock (reached
// through a pointer read from an item's state word, or one that a redirect changes), the code
// calls mutex::assert_held() on the name it needs, which also checks it in debug builds.
#pragma once

#if defined(__clang__)
#define CMWQ_TSA(x) __attribute__((x))
#else
#define CMWQ_TSA(x)
#endif

#define CMWQ_CAPABILITY(name) CMWQ_TSA(capability(name))
#define CMWQ_SCOPED_CAPABILITY CMWQ_TSA(scoped_lockable)
#define CMWQ_GUARDED_BY(m) CMWQ_TSA(guarded_by(m))
#define CMWQ_PT_GUARDED_BY(m) CMWQ_TSA(pt_guarded_by(m))
#define CMWQ_REQUIRES(...) CMWQ_TSA(requires_capability(__VA_ARGS__))
#define CMWQ_EXCLUDES(...) CMWQ_TSA(locks_excluded(__VA_ARGS__))
#define CMWQ_ACQUIRE(...) CMWQ_TSA(acquire_capability(__VA_ARGS__))
#define CMWQ_RELEASE(...) CMWQ_TSA(release_capability(__VA_ARGS__))
#define CMWQ_TRY_ACQUIRE(...) CMWQ_TSA(try_acquire_capability(__VA_ARGS__))
#define CMWQ_ACQUIRED_AFTER(...) CMWQ_TSA(acquired_after(__VA_ARGS__))
#define CMWQ_ACQUIRED_BEFORE(...) CMWQ_TSA(acquired_before(__VA_ARGS__))
#define CMWQ_ASSERT_CAPABILITY(x) CMWQ_TSA(assert_capability(x))
#define CMWQ_NO_TSA CMWQ_TSA(no_thread_safety_analysis)

// Thread-locals of the engine are read on hot paths (every blocking hook, every queue): the
// initial-exec model makes each access one instruction instead of a __tls_get_addr call. Safe
// because libcmwq is linked into the program, never dlopen'ed.
#define CMWQ_TLS __attribute__((tls_model("initial-exec")))
