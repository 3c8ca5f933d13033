// src/kcompat/kthread.cpp - kthread_create(), kthread_stop(), parking, binding, wake_up_process().
//
// The problem: kernel code starts threads with a life the kernel manages - created asleep, run
// once woken, told to stop by kthread_stop(), which returns the function's result - and sleeps
// in them with set_current_state() + schedule(), relying on kthread_stop()'s wake-up. The
// approach: a kthread is a std::thread plus a heap record (its struct task_struct handle is the
// record's address). The record holds the thread's task state (task_state.hpp), which the thread
// installs as its own, so wake_up_process(handle) reaches exactly the word that the thread's
// schedule() sleeps on. Flags (should_stop, should_park, parked) are futex words too.
//
// Handles are checked: every record is in a registry until kthread_stop() removes it, so a second
// kthread_stop() or a call on a stale handle is a WARNING with an error, never a use after free.
// The registry lookup costs one uncontended mutex; kthread calls are not fast paths.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>
#include <unordered_set>

#include <linux/err.h>
#include <linux/kthread.h>

#include "core/context.hpp"
#include "core/lock.hpp"
#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/kthread.hpp"
#include "kcompat/task.hpp"
#include "kcompat/task_state.hpp"

namespace cmwq::kcompat {

struct kthread {
  task_state task;                    // its task state: created TASK_UNINTERRUPTIBLE (not woken)
  int (*fn)(void*) = nullptr;         // I
  void* data = nullptr;               // I
  char comm[16] = {};                 // I: the name, cut as the kernel's TASK_COMM_LEN does
  std::thread thread;                 // I (joined by kthread_stop())
  unsigned int should_stop = 0;       // X: set once by kthread_stop(); partner: the thread's reads
  unsigned int should_park = 0;       // X: futex word; set by kthread_park(), cleared by unpark
  unsigned int parked = 0;            // X: futex word; the thread is in kthread_parkme()
  unsigned int finished = 0;          // X: fn returned (release; partner: acquire in park/stop)
  unsigned int started = 0;           // X: woken at least once (kthread_bind() checks it)
  int result = 0;                     // written by the thread before finished, read after join
};

namespace {

core::mutex g_registry_lock;
std::unordered_set<kthread*> g_live CMWQ_GUARDED_BY(g_registry_lock);  // every record not yet stopped

thread_local kthread* t_self = nullptr;  // W: the caller's record (kthreads only)

bool is_set(const unsigned int* flag) noexcept { return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0; }

// The thread: wait for the first wake-up, run fn unless stopped first, publish the result.
void kthread_body(kthread* k) noexcept {
  t_self = k;
  install_task_state(&k->task);
  pthread_setname_np(pthread_self(), k->comm);
  // Pairs with the exchange in wake_task(); the handle's first wake_up_process() ends this.
  for (;;) {
    const unsigned int s = __atomic_load_n(&k->task.state, __ATOMIC_SEQ_CST);
    if (s == TASK_RUNNING) break;
    (void)futex_wait(&k->task.state, s, no_deadline);
  }
  k->result = is_set(&k->should_stop) ? -EINTR : k->fn(k->data);
  __atomic_store_n(&k->finished, 1u, __ATOMIC_RELEASE);  // partner: the acquire in kthread_park()
  futex_wake(&k->parked, INT_MAX);                       // a parker waiting for us gives up
  install_task_state(nullptr);
}

// The live record of @handle, or nullptr after a WARNING naming @who.
kthread* checked(struct task_struct* handle, const char* who) noexcept {
  kthread* k = kthread_lookup(handle);
  if (!k) CMWQ_WARN("%s: %p is not a live kthread (stopped already, or never created)", who, static_cast<void*>(handle));
  return k;
}

struct task_struct* handle_of(kthread* k) noexcept { return reinterpret_cast<struct task_struct*>(k); }

struct task_struct* create(int (*fn)(void*), void* data, const char* name) noexcept {
  auto* k = new (std::nothrow) kthread;
  if (!k) return static_cast<struct task_struct*>(ERR_PTR(-ENOMEM));
  k->fn = fn;
  k->data = data;
  const size_t len = std::min(std::strlen(name), sizeof k->comm - 1);  // cut, as TASK_COMM_LEN does
  std::memcpy(k->comm, name, len);
  k->task.state = TASK_UNINTERRUPTIBLE;
  try {
    k->thread = std::thread(kthread_body, k);
  } catch (...) {
    delete k;
    return static_cast<struct task_struct*>(ERR_PTR(-EAGAIN));
  }
  core::lock_guard guard(g_registry_lock);
  g_live.insert(k);
  return handle_of(k);
}

}  // namespace

kthread* kthread_lookup(struct task_struct* handle) noexcept {
  auto* k = reinterpret_cast<kthread*>(handle);
  core::lock_guard guard(g_registry_lock);
  return g_live.count(k) ? k : nullptr;
}

kthread* current_kthread() noexcept { return t_self; }

struct task_struct* kthread_create_v(int (*fn)(void*), void* data, const char* namefmt, va_list ap) noexcept {
  (void)sleep_check("kthread_create");
  char name[64];
  std::vsnprintf(name, sizeof name, namefmt, ap);
  return create(fn, data, name);
}

}  // namespace cmwq::kcompat

using namespace cmwq;
using kcompat::kthread;

extern "C" {

struct task_struct* kthread_create_on_node(int (*threadfn)(void* data), void* data, int node, const char namefmt[], ...) {
  (void)node;
  va_list ap;
  va_start(ap, namefmt);
  struct task_struct* k = kcompat::kthread_create_v(threadfn, data, namefmt, ap);
  va_end(ap);
  return k;
}

struct task_struct* kthread_create_on_cpu(int (*threadfn)(void* data), void* data, unsigned int cpu,
                                          const char* namefmt) {
  char name[64];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  std::snprintf(name, sizeof name, namefmt, cpu);  // the kernel formats the name with the CPU
#pragma GCC diagnostic pop
  struct task_struct* k = kthread_create_on_node(threadfn, data, -1, "%s", name);
  if (!IS_ERR(k)) kthread_bind(k, cpu);
  return k;
}

int wake_up_process(struct task_struct* p) {
  if (!p) return 0;
  kthread* k = kcompat::checked(p, "wake_up_process");
  if (!k) return 0;
  __atomic_store_n(&k->started, 1u, __ATOMIC_RELAXED);
  return kcompat::wake_task(k->task) ? 1 : 0;
}

int kthread_stop(struct task_struct* k_handle) {
  kthread* k = kcompat::checked(k_handle, "kthread_stop");
  if (!k) return -EINVAL;
  if (k == kcompat::t_self) {
    CMWQ_WARN("kthread_stop: a kthread cannot stop itself; it is left running");
    return -EDEADLK;
  }
  {
    core::lock_guard guard(kcompat::g_registry_lock);  // a second kthread_stop() now finds nothing
    kcompat::g_live.erase(k);
  }
  (void)kcompat::sleep_check("kthread_stop");
  __atomic_store_n(&k->should_stop, 1u, __ATOMIC_RELEASE);  // partner: kthread_should_stop()
  __atomic_store_n(&k->should_park, 0u, __ATOMIC_RELEASE);  // unpark, as the kernel does
  kcompat::futex_wake(&k->should_park, INT_MAX);
  (void)kcompat::wake_task(k->task);
  {
    core::blocking_section blocking;
    k->thread.join();
  }
  const int result = k->result;
  delete k;
  return result;
}

int kthread_stop_put(struct task_struct* k) { return kthread_stop(k); }

bool kthread_should_stop(void) {
  kthread* k = kcompat::t_self;
  return k && kcompat::is_set(&k->should_stop);
}

bool kthread_should_park(void) {
  kthread* k = kcompat::t_self;
  return k && kcompat::is_set(&k->should_park);
}

int kthread_park(struct task_struct* k_handle) {
  kthread* k = kcompat::checked(k_handle, "kthread_park");
  if (!k) return -EINVAL;
  if (kcompat::is_set(&k->finished)) return -ENOSYS;
  __atomic_store_n(&k->should_park, 1u, __ATOMIC_RELEASE);  // partner: kthread_should_park()
  (void)wake_up_process(k_handle);
  if (k == kcompat::t_self) return 0;  // parking itself: it parks in its own kthread_parkme()
  (void)kcompat::sleep_check("kthread_park");
  core::blocking_section blocking;
  // Waits until parked, or until fn returned without parking (then the kernel's -ENOSYS case).
  while (!kcompat::is_set(&k->parked)) {
    if (kcompat::is_set(&k->finished)) return -ENOSYS;
    (void)kcompat::futex_wait(&k->parked, 0u, kcompat::mono_ns() + 10'000'000);  // re-checks finished
  }
  return 0;
}

void kthread_unpark(struct task_struct* k_handle) {
  kthread* k = kcompat::checked(k_handle, "kthread_unpark");
  if (!k) return;
  __atomic_store_n(&k->should_park, 0u, __ATOMIC_RELEASE);  // partner: the loop in kthread_parkme()
  kcompat::futex_wake(&k->should_park, INT_MAX);
}

void kthread_parkme(void) {
  kthread* k = kcompat::t_self;
  if (!k) {
    CMWQ_WARN("kthread_parkme: called outside a kthread");
    return;
  }
  __atomic_store_n(&k->parked, 1u, __ATOMIC_RELEASE);  // partner: the acquire in kthread_park()
  kcompat::futex_wake(&k->parked, INT_MAX);
  {
    core::blocking_section blocking;
    while (kcompat::is_set(&k->should_park)) (void)kcompat::futex_wait(&k->should_park, 1u, kcompat::no_deadline);
  }
  __atomic_store_n(&k->parked, 0u, __ATOMIC_RELEASE);
  cmwq_set_current_state(TASK_RUNNING);
}

void kthread_bind(struct task_struct* k_handle, unsigned int cpu) {
  kthread* k = kcompat::checked(k_handle, "kthread_bind");
  if (!k) return;
  if (__atomic_load_n(&k->started, __ATOMIC_RELAXED)) {
    CMWQ_WARN("kthread_bind: %s was woken already; bind it before wake_up_process()", k->comm);
    return;
  }
  const unsigned int hw = std::thread::hardware_concurrency();
  if (hw == 0 || cpu >= hw) return;  // a simulated CPU the machine lacks: nothing to pin to
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(k->thread.native_handle(), sizeof set, &set);
}

void* kthread_data(struct task_struct* k_handle) {
  kthread* k = kcompat::checked(k_handle, "kthread_data");
  return k ? k->data : nullptr;
}

void* kthread_func(struct task_struct* k_handle) {
  kthread* k = kcompat::checked(k_handle, "kthread_func");
  return k ? reinterpret_cast<void*>(k->fn) : nullptr;
}

}  // extern "C"
