// bench/compare/peers.hpp - the peers cmwq is compared with, behind two small interfaces: an
// executor (a fixed task function, submit(arg) from any thread) for W1-W4, and a timer service
// for W5. Every fixed-size pool runs g_ncpu threads. peers.cpp says how each peer is driven.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace cmwq_bench {

using task_fn = void (*)(void*);

struct executor {
  explicit executor(task_fn f) : fn(f) {}
  virtual ~executor() = default;
  virtual void submit(void* arg) = 0;
  task_fn fn;
};

// The executor named `peer` (cmwq.unbound, cmwq.percpu, tbb, asio, glib, libuv, mutex_pool,
// thread), running `f` for every submitted argument; dies on an unknown name.
std::unique_ptr<executor> make_executor(const std::string& peer, task_fn f);

// A timer service with n timer objects, indexed 0..n-1; a timer that fires calls
// bench_w5_fired(i) (workloads.cpp) from the peer's thread.
struct timer_peer {
  virtual ~timer_peer() = default;
  virtual void prepare(int n) = 0;            // constructs n timer objects (part of the memory)
  virtual bool arm(int i, unsigned ms) = 0;   // true if armed
  virtual bool cancel(int i) = 0;             // true if it was armed and will not fire
  virtual void note_clock() {}                // the arming loop just read the clock
  virtual void in_context(const std::function<void()>& f) { f(); }  // where arm/cancel may run
  virtual double object_bytes() = 0;          // sizeof the per-timer object the caller keeps
};

// The timer service named `peer` (cmwq.cxx, cmwq.c, asio, libuv, glib, mutex_pool); dies on an
// unknown name.
std::unique_ptr<timer_peer> make_timer_peer(const std::string& peer);

}  // namespace cmwq_bench
