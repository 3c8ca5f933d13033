// src/core/fault_signals.cpp - the `signal` fault point: a thread that interrupts the others.
//
// The problem: a blocking system call that a signal interrupts returns EINTR (or a short count)
// unless the handler was installed with SA_RESTART, and code that forgets to retry then returns
// early, loses output or reports a timeout that never happened. Applications install handlers
// without SA_RESTART all the time (timers, profilers, job control), so every wait a caller can be
// in - flush_work(), cancel_work_sync(), wait_for_completion(), msleep(), mutex_lock(), ... -
// must survive them.
//
// The approach: while the point is armed, one detached thread wakes every period_us and sends
// SIGURG (default action: ignore, so a stray one is harmless) to each thread of the process, each
// with the point's probability, after installing a do-nothing handler without SA_RESTART. Worker
// threads and the timer thread run with every signal blocked (as kworkers do, R43), so what gets
// interrupted is exactly what a real signal would interrupt: the caller's threads.
//
// Lifetime: the thread starts at the first arming and is never joined (it sleeps on a futex while
// the point is off), so process exit neither waits for it nor races with it.
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "fault_signals.hpp"
#include "fault.hpp"
#include "futex.hpp"
#include "warn.hpp"

namespace cmwq::core {
namespace {

constexpr int injected_signal = SIGURG;

struct injector {
  std::atomic<std::uint32_t> on{0};         // X: futex word, 1 while armed; release/acquire
  std::atomic<std::uint32_t> period_us{1};  // X: relaxed
  std::once_flag started;
};

injector& the_injector() {
  static auto* i = new injector;  // never freed: the thread is detached
  return *i;
}

// Present only so that the signal interrupts system calls: no SA_RESTART, nothing to do.
void on_signal(int) {}

// One round: every other thread of the process, each with the point's probability.
void signal_round(pid_t self) {
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return;
  const pid_t pid = getpid();
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid == self || !should_fail(fault_point::signal)) continue;
    syscall(SYS_tgkill, pid, tid, injected_signal);  // ESRCH if it has just exited: fine
  }
  closedir(dir);
}

void* injector_main(void* arg) {
  pthread_setname_np(pthread_self(), "cmwq-faultsig");
  auto& in = *static_cast<injector*>(arg);
  const pid_t self = static_cast<pid_t>(gettid());
  for (;;) {
    // Pairs with the release store in signal_injector_update().
    if (in.on.load(std::memory_order_acquire) == 0) {
      futex_wait(&in.on, 0);
      continue;
    }
    detail::sleep_us(in.period_us.load(std::memory_order_relaxed));
    if (in.on.load(std::memory_order_acquire)) signal_round(self);
  }
}

void start_thread(injector& in) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: interrupted calls return EINTR, which is the point
  sigaction(injected_signal, &sa, nullptr);

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the injector itself is never interrupted
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  const int err = pthread_create(&th, &attr, injector_main, &in);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (err) CMWQ_WARN("fault injection: cannot start the signal thread: %s", std::strerror(err));
}

}  // namespace

namespace detail {

// Called under the configuration lock by fault_set() for the signal point.
void signal_injector_update(bool on, std::uint32_t period_us) noexcept {
  injector& in = the_injector();
  in.period_us.store(period_us, std::memory_order_relaxed);
  if (!on) {
    in.on.store(0, std::memory_order_release);
    return;
  }
  std::call_once(in.started, [&in] { start_thread(in); });
  in.on.store(1, std::memory_order_release);
  futex_wake(&in.on, 1);
}

}  // namespace detail
}  // namespace cmwq::core
