// src/core/guards.hpp - the guard legend and clang thread-safety annotation macros.
//
// Every shared field in src/core ends in a comment naming the rule that guards it:
//
//   I  : set while constructing (or destroying) the object, read-only otherwise.
//   L  : the owning worker_pool's lock.
//   A  : the pool's attach state, also pool.lock in cmwq (the kernel has a separate attach mutex).
//   PL : the runtime's pools mutex (unbound pool registry).
//   WQ : the workqueue's mutex (pwq list, max_active, flags that change after creation).
//   WR : written under WQ, read with a relaxed atomic load.
//   FL : the workqueue's flush mutex (flush colours and flushers).
//   T  : the timer wheel's lock.
//   W  : only the worker thread itself (or its creator before it starts).
//   X  : atomic; the comment next to each access names the ordering partner.
//
// CMWQ_GUARDED_BY and friends make the single-lock rules compiler-checked under clang
// -Wthread-safety; mixed rules stay letters.
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
#define CMWQ_ASSERT_CAPABILITY(x) CMWQ_TSA(assert_capability(x))
#define CMWQ_NO_TSA CMWQ_TSA(no_thread_safety_analysis)

// Thread-locals of the engine are read on hot paths (every blocking hook, every queue): the
// initial-exec model makes each access one instruction instead of a __tls_get_addr call. Safe
// because libcmwq is linked into the program, never dlopen'ed.
#define CMWQ_TLS __attribute__((tls_model("initial-exec")))
