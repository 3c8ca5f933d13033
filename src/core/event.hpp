// src/core/event.hpp - a one-shot event on a futex, safe to destroy as soon as wait() returns.
//
// std::binary_semaphore and condition variables may touch their own memory after waking the
// waiter; a flush barrier lives on the waiter's stack and is gone the moment the waiter returns.
// signal() here stores the flag and then only passes the address to the futex system call, which
// tolerates an address that is no longer in use (the worst case is a spurious wake-up of an
// unrelated futex waiter, which every futex user must tolerate anyway).
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>

#include "futex.hpp"

namespace cmwq::core {

class event {
 public:
  // Release: everything the signaller wrote before signal() is visible after wait() returns.
  void signal() noexcept {
    word_.store(1, std::memory_order_release);
    futex_wake(&word_, INT_MAX);
  }
  // Blocks until signal(). Pairs with the release store in signal().
  void wait() noexcept {
    while (word_.load(std::memory_order_acquire) == 0) futex_wait(&word_, 0);
  }
  bool signalled() const noexcept { return word_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> word_{0};
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
};

// A worker's wake-up token: unpark() leaves at most one token, park() consumes it or sleeps until
// one arrives. Unlike std::binary_semaphore it never spins or yields before sleeping, and it
// makes the futex system call only when the other side really sleeps.
//
// state: 1 = a token is waiting, 0 = nothing, -1 = the owner sleeps (or is about to).
class parker {
 public:
  // Release: what the waker wrote before unpark() is visible after park() returns.
  void unpark() noexcept {
    if (give_token()) futex_wake(&state_, 1);
  }
  // unpark() in two halves, so that the system call can wait until the waker has dropped its
  // lock: give_token() leaves the token and returns whether the owner sleeps; if so the caller
  // owes futex_wake(word(), 1). The parker may be gone by then; futex_wake() tolerates that.
  bool give_token() noexcept { return state_.exchange(1, std::memory_order_release) == -1; }
  const void* word() const noexcept { return &state_; }
  // Only the owning thread parks. Acquire pairs with the exchange in unpark().
  void park() noexcept {
    if (state_.fetch_sub(1, std::memory_order_acquire) == 1) return;  // consumed a token
    for (;;) {
      futex_wait(&state_, static_cast<std::uint32_t>(-1));
      int expected = 1;
      if (state_.compare_exchange_strong(expected, 0, std::memory_order_acquire)) return;
    }
  }

 private:
  std::atomic<int> state_{0};
};

}  // namespace cmwq::core
