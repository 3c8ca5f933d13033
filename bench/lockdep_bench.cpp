// bench/lockdep_bench.cpp - what lockdep costs: lock/unlock and queue+execute with it off and on.
//
//   build-bench/bench/cmwq_lockdep_bench [--benchmark_format=json]
//
// Each benchmark takes one argument, lockdep off (0) or on (1); docs/lockdep.md quotes the
// results. What one iteration times:
//   kc_mutex            mutex_lock() + mutex_unlock() of an uncontended kcompat mutex
//   kc_spin             spin_lock() + spin_unlock()
//   kc_mutex_nested     two nested mutexes (on: one known edge, found in the thread's edge cache)
//   cxx_mutex           cmwq::mutex lock + unlock (std_mutex: the bare std::mutex, for reference)
//   c_queue_execute     queue_work() of an empty item on an unbound queue, then flush_work()
//   cxx_enqueue_execute the same through the C++ API
// The file also builds against a tree without lockdep (the kcompat and queue benchmarks, off
// only), which is how "off costs nothing measurable" is checked against the previous version.
#include <benchmark/benchmark.h>

#include <mutex>

#include <cmwq/cmwq.hpp>

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#if __has_include(<cmwq/lockdep.hpp>)
#define CMWQ_BENCH_LOCKDEP 1
#define LOCKDEP_ARGS ->Arg(0)->Arg(1)
#else
#define CMWQ_BENCH_LOCKDEP 0
#define LOCKDEP_ARGS ->Arg(0)
#endif

namespace {

// Sets lockdep for one benchmark run and restores "off" afterwards.
class lockdep_mode {
 public:
  explicit lockdep_mode(const benchmark::State& st) {
#if CMWQ_BENCH_LOCKDEP
    cmwq::lockdep::reset();
    cmwq::lockdep::enable(st.range(0) != 0);
#else
    (void)st;
#endif
  }
  ~lockdep_mode() {
#if CMWQ_BENCH_LOCKDEP
    cmwq::lockdep::enable(false);
#endif
  }
};

void BM_kc_mutex(benchmark::State& st) {
  lockdep_mode mode(st);
  static struct mutex m;
  mutex_init(&m);
  for (auto _ : st) {
    mutex_lock(&m);
    mutex_unlock(&m);
  }
}
BENCHMARK(BM_kc_mutex) LOCKDEP_ARGS;

void BM_kc_spin(benchmark::State& st) {
  lockdep_mode mode(st);
  static spinlock_t s;
  spin_lock_init(&s);
  for (auto _ : st) {
    spin_lock(&s);
    spin_unlock(&s);
  }
}
BENCHMARK(BM_kc_spin) LOCKDEP_ARGS;

void BM_kc_mutex_nested(benchmark::State& st) {
  lockdep_mode mode(st);
  static struct mutex outer, inner;
  mutex_init(&outer);
  mutex_init(&inner);
  for (auto _ : st) {
    mutex_lock(&outer);
    mutex_lock(&inner);
    mutex_unlock(&inner);
    mutex_unlock(&outer);
  }
}
BENCHMARK(BM_kc_mutex_nested) LOCKDEP_ARGS;

void BM_std_mutex(benchmark::State& st) {
  std::mutex m;
  for (auto _ : st) {
    m.lock();
    m.unlock();
  }
}
BENCHMARK(BM_std_mutex);

#if CMWQ_BENCH_LOCKDEP
void BM_cxx_mutex(benchmark::State& st) {
  lockdep_mode mode(st);
  cmwq::mutex m("bench");
  for (auto _ : st) {
    m.lock();
    m.unlock();
  }
}
BENCHMARK(BM_cxx_mutex) LOCKDEP_ARGS;
#endif

void empty_fn(struct work_struct*) {}

void BM_c_queue_execute(benchmark::State& st) {
  lockdep_mode mode(st);
  struct workqueue_struct* wq = alloc_workqueue("bench_ld", WQ_UNBOUND, 0);
  struct work_struct w;
  INIT_WORK(&w, empty_fn);
  for (auto _ : st) {
    queue_work(wq, &w);
    flush_work(&w);
  }
  destroy_workqueue(wq);
}
BENCHMARK(BM_c_queue_execute) LOCKDEP_ARGS->UseRealTime();

void BM_cxx_enqueue_execute(benchmark::State& st) {
  lockdep_mode mode(st);
  cmwq::owned_queue q = cmwq::builder::unbound().build("bench_ld_cxx");
  cmwq::work w([] {});
  for (auto _ : st) {
    q->enqueue(w);
    w.flush();
  }
}
BENCHMARK(BM_cxx_enqueue_execute) LOCKDEP_ARGS->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
