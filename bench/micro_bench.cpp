// bench/micro_bench.cpp - Google Benchmark micro-benchmarks of the engine, through both front doors:
// the C++ API (BM_cxx_*) and the kernel-style C API (BM_c_*, via bench/kc_ops.c compiled as gnu11).
//
//   build-bench/bench/cmwq_micro_bench [--benchmark_format=json] [--benchmark_min_time=0.1]
//
// What each one times (one iteration):
//   enqueue_flush_local   queue an empty item on the caller's CPU (per-CPU queue), then flush it
//   enqueue_flush_cross   the same, queued on the other CPU (enqueue_on / queue_work_on)
//   flush_idle            flush of an item that is neither pending nor running (returns false)
//   flush_busy            flush of a running item: from the moment the item finishes to the moment
//                         flush() returns (manual time: the item's own run time is not counted)
//   pending_cancel        queue an item behind a blocked one (it stays pending), then cancel it
//   delayed_arm_cancel    arm a delayed item for 1 s, then cancel it (one timer-wheel add + del)
//   ordered_handoff       1,000 items through an ordered queue, then flush; per item
//   try_spawn_*           1,000 heap closures through try_spawn, then flush; per item
// The benchmark thread is pinned to CPU 0 for the local/cross pairs so that "local" and "other"
// mean the same thing in every iteration. Where other threads do the work, times and items/s are
// wall-clock (UseRealTime). The C ordered hand-off re-queues 1,000 preallocated work_structs; the
// C++ one goes through try_spawn (one allocation per item), so the two differ by that allocation.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cmwq/cmwq.hpp>
#include <thread>

#include "kc_ops.h"

namespace {

int ncpu() { return static_cast<int>(std::thread::hardware_concurrency()); }

// Pins the calling thread to one CPU for the lifetime of the object, then restores its mask.
class pin_guard {
 public:
  explicit pin_guard(int cpu) {
    pthread_getaffinity_np(pthread_self(), sizeof old_, &old_);
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  }
  ~pin_guard() { pthread_setaffinity_np(pthread_self(), sizeof old_, &old_); }

 private:
  cpu_set_t old_;
};

cmwq::queue percpu_q() {
  static cmwq::owned_queue q = cmwq::builder::percpu().build("mb_percpu");
  return q.ref();
}
cmwq::queue unbound_q() {
  static cmwq::owned_queue q = cmwq::builder::unbound().build("mb_unbound");
  return q.ref();
}
cmwq::queue ordered_q() {
  static cmwq::owned_queue q = cmwq::builder::ordered().build("mb_ordered");
  return q.ref();
}

kc_micro* kc() {
  static kc_micro* m = kc_micro_new();
  return m;
}

// ---- queue + execute ------------------------------------------------------------------------------

void BM_cxx_enqueue_flush_local(benchmark::State& st) {
  pin_guard pin(0);
  cmwq::work w([] {});
  auto q = percpu_q();
  for (auto _ : st) {
    q.enqueue_on(0, w);
    w.flush();
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cxx_enqueue_flush_local)->UseRealTime();

void BM_c_queue_flush_local(benchmark::State& st) {
  pin_guard pin(0);
  for (auto _ : st) kc_queue_flush(kc(), -1);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_c_queue_flush_local)->UseRealTime();

void BM_cxx_enqueue_flush_cross(benchmark::State& st) {
  if (ncpu() < 2) return st.SkipWithError("needs 2 CPUs");
  pin_guard pin(0);
  cmwq::work w([] {});
  auto q = percpu_q();
  for (auto _ : st) {
    q.enqueue_on(1, w);
    w.flush();
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cxx_enqueue_flush_cross)->UseRealTime();

void BM_c_queue_flush_cross(benchmark::State& st) {
  if (ncpu() < 2) return st.SkipWithError("needs 2 CPUs");
  pin_guard pin(0);
  for (auto _ : st) kc_queue_flush(kc(), 1);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_c_queue_flush_cross)->UseRealTime();

// ---- flush ----------------------------------------------------------------------------------------

void BM_cxx_flush_idle(benchmark::State& st) {
  cmwq::work w([] {});
  for (auto _ : st) benchmark::DoNotOptimize(w.flush());
}
BENCHMARK(BM_cxx_flush_idle);

void BM_c_flush_idle(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(kc_flush_idle(kc()));
}
BENCHMARK(BM_c_flush_idle);

void BM_cxx_flush_busy(benchmark::State& st) {
  std::atomic<int> phase{0};  // 0 idle, 1 running (spins), 2 released
  std::atomic<long long> end_ns{0};
  cmwq::work w([&] {
    phase.store(1, std::memory_order_release);
    while (phase.load(std::memory_order_acquire) != 2) {
    }
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    end_ns.store(ts.tv_sec * 1000000000LL + ts.tv_nsec, std::memory_order_release);
  });
  auto q = unbound_q();
  for (auto _ : st) {
    phase.store(0);
    q.enqueue(w);
    while (phase.load(std::memory_order_acquire) != 1) std::this_thread::yield();
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // flush() is waiting by then
      phase.store(2, std::memory_order_release);
    });
    w.flush();
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const long long now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
    releaser.join();
    st.SetIterationTime(static_cast<double>(now - end_ns.load()) * 1e-9);
  }
}
BENCHMARK(BM_cxx_flush_busy)->UseManualTime();

// ---- cancel of a pending item ------------------------------------------------------------------------

void BM_cxx_pending_cancel(benchmark::State& st) {
  // max_active 1 and a gate item that blocks: everything queued behind it stays pending.
  cmwq::owned_queue q = cmwq::builder::unbound().max_active(1).build("mb_gated");
  std::atomic<int> open{0};
  cmwq::work gate([&] {
    cmwq::blocking_scope b;
    open.wait(0);
  });
  q->enqueue(gate);
  cmwq::work w([] {});
  for (auto _ : st) {
    q->enqueue(w);
    w.cancel();
  }
  open.store(1);
  open.notify_all();
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cxx_pending_cancel);

void BM_c_pending_cancel(benchmark::State& st) {
  for (auto _ : st) kc_pending_cancel(kc());
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_c_pending_cancel);

// ---- delayed arm / cancel ------------------------------------------------------------------------------

void BM_cxx_delayed_arm_cancel(benchmark::State& st) {
  cmwq::delayed_work dw([] {});
  auto q = percpu_q();
  for (auto _ : st) {
    q.enqueue_delayed(dw, std::chrono::seconds(1));
    dw.cancel();
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cxx_delayed_arm_cancel);

void BM_c_delayed_arm_cancel(benchmark::State& st) {
  for (auto _ : st) kc_delayed_arm_cancel(kc());
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_c_delayed_arm_cancel);

// ---- ordered hand-off ---------------------------------------------------------------------------------

constexpr int batch = 1000;

void BM_cxx_ordered_handoff(benchmark::State& st) {
  auto q = ordered_q();
  for (auto _ : st) {
    for (int i = 0; i < batch; i++) (void)q.try_spawn([] {});
    q.flush();
  }
  st.SetItemsProcessed(st.iterations() * batch);
}
BENCHMARK(BM_cxx_ordered_handoff)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_c_ordered_handoff(benchmark::State& st) {
  for (auto _ : st) kc_ordered_batch(kc(), batch);
  st.SetItemsProcessed(st.iterations() * batch);
}
BENCHMARK(BM_c_ordered_handoff)->Unit(benchmark::kMicrosecond)->UseRealTime();

// ---- try_spawn -------------------------------------------------------------------------------------------

void BM_cxx_try_spawn_unbound(benchmark::State& st) {
  auto q = unbound_q();
  for (auto _ : st) {
    for (int i = 0; i < batch; i++) (void)q.try_spawn([] {});
    q.flush();
  }
  st.SetItemsProcessed(st.iterations() * batch);
}
BENCHMARK(BM_cxx_try_spawn_unbound)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_cxx_try_spawn_percpu(benchmark::State& st) {
  auto q = percpu_q();
  for (auto _ : st) {
    for (int i = 0; i < batch; i++) (void)q.try_spawn([] {});
    q.flush();
  }
  st.SetItemsProcessed(st.iterations() * batch);
}
BENCHMARK(BM_cxx_try_spawn_percpu)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
