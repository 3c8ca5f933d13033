// src/core/event.hpp - a one-shot event on a futex, safe to destroy as soon as wait() returns.
//
// std::binary_semaphore and condition variables may touch their own memory after waking the
// waiter; a flush barrier lives on the waiter's stack and is gone the moment the waiter returns.
// signal() here stores the flag and then only passes the address to the futex system call, which
// tolerates an address that is no longer in use (the worst case is a spurious wake-up of an
// unrelated futex waiter, which every futex user must tolerate anyway).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>

namespace cmwq::core {

class event {
 public:
  // Release: everything the signaller wrote before signal() is visible after wait() returns.
  void signal() noexcept {
    word_.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<int*>(&word_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }
  // Blocks until signal(). Pairs with the release store in signal().
  void wait() noexcept {
    while (word_.load(std::memory_order_acquire) == 0)
      syscall(SYS_futex, reinterpret_cast<int*>(&word_), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
  bool signalled() const noexcept { return word_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<int> word_{0};
  static_assert(sizeof(std::atomic<int>) == sizeof(int));
};

}  // namespace cmwq::core
