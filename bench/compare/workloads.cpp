// bench/compare/workloads.cpp - the workloads of cmwq_compare (workloads.hpp lists them), the
// floors, the job list and the child's dispatch.
//
// Problem: each workload must measure the peer, not the harness: no allocation, locking or
// printing on the measured path, warm-up before timing, and figures that hold on a shared
// machine. Approach: per-workload state in globals that the tasks reach through one pointer;
// a warm-up round before every timed one; CPU time next to wall time (less sensitive to other
// processes); medians over batches for the floors. A child measures one (workload, peer) and
// prints JSON lines through emit(); nothing is torn down (the child _exit()s).
#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cmwq/cmwq.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "compare/compare.hpp"
#include "compare/lockstat.hpp"
#include "compare/peers.hpp"
#include "compare/workloads.hpp"
#include "kc_ops.h"

namespace cmwq_bench {

namespace {

// ================================================================================================
// W1, W2: throughput of empty tasks
// ================================================================================================

struct alignas(64) count_ctx {
  std::atomic<long> done{0};
  alignas(64) long target = 0;
  std::atomic<std::uint64_t> end_ns{0};
  std::atomic<int> finished{0};
};

void count_task(void* p) {
  auto* c = static_cast<count_ctx*>(p);
  if (c->done.fetch_add(1, std::memory_order_relaxed) + 1 == c->target) {
    c->end_ns.store(now_ns(), std::memory_order_relaxed);
    c->finished.store(1, std::memory_order_release);
    c->finished.notify_all();
  }
}

void wait_finished(count_ctx& c) {
  while (c.finished.load(std::memory_order_acquire) == 0) c.finished.wait(0, std::memory_order_acquire);
}

// Submits `n` tasks from `producers` threads; returns the seconds from the start signal to the
// end of the last task.
double run_batch(executor& ex, long n, int producers) {
  auto c = std::make_unique<count_ctx>();
  const long per = n / producers;
  c->target = per * producers;
  if (producers == 1) {
    const std::uint64_t t0 = now_ns();
    for (long i = 0; i < per; i++) ex.submit(c.get());
    wait_finished(*c);
    return static_cast<double>(c->end_ns.load() - t0) * 1e-9;
  }
  std::atomic<int> go{0};
  std::vector<std::thread> th;
  for (int p = 0; p < producers; p++)
    th.emplace_back([&] {
      while (go.load(std::memory_order_acquire) == 0) go.wait(0);
      for (long i = 0; i < per; i++) ex.submit(c.get());
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::uint64_t t0 = now_ns();
  go.store(1, std::memory_order_release);
  go.notify_all();
  wait_finished(*c);
  for (auto& t : th) t.join();
  return static_cast<double>(c->end_ns.load() - t0) * 1e-9;
}

void run_w1w2(int producers) {
  auto ex = make_executor(g_job.peer, &count_task);
  run_batch(*ex, std::max(20000L, cfg.w1_tasks / 50), producers);  // warm-up: threads, allocator
  const std::uint64_t cpu0 = process_cpu_ns();
  const double s = run_batch(*ex, cfg.w1_tasks, producers);
  const std::uint64_t cpu = process_cpu_ns() - cpu0;
  emit("tasks_per_s", static_cast<double>(cfg.w1_tasks) / s, "1/s");
  emit("ns_per_task", s * 1e9 / static_cast<double>(cfg.w1_tasks), "ns");
  // CPU time of the whole process per task (producers + workers + idle spinning): less
  // sensitive than wall time to other processes competing for the CPUs.
  emit("cpu_ns_per_task", static_cast<double>(cpu) / static_cast<double>(cfg.w1_tasks), "ns");
  ex.release();  // the child _exit()s; no peer teardown is timed or needed
}

// ================================================================================================
// W3: wake latency of an idle pool
// ================================================================================================

struct lat_ctx {
  std::atomic<std::uint64_t> t1{0};
};

void lat_task(void* p) {
  auto* c = static_cast<lat_ctx*>(p);
  c->t1.store(now_ns(), std::memory_order_release);
  c->t1.notify_all();
}

// Runs `samples` rounds of: submit -> sleep gap -> collect; returns latencies in ns.
template <class Submit>
std::vector<double> latency_rounds(int samples, int warm, Submit&& submit, lat_ctx& c, std::uint64_t* cpu_ns,
                                   std::vector<double>* submit_ns = nullptr) {
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(samples));
  std::uint64_t cpu0 = 0;
  for (int s = 0; s < warm + samples; s++) {
    if (s == warm) cpu0 = process_cpu_ns();
    c.t1.store(0, std::memory_order_relaxed);
    const std::uint64_t t0 = now_ns();
    submit();
    const std::uint64_t ts = now_ns();
    sleep_for_ns(static_cast<std::uint64_t>(cfg.w3_gap_us) * 1000);  // the pool goes idle meanwhile
    std::uint64_t t1;
    while ((t1 = c.t1.load(std::memory_order_acquire)) == 0) c.t1.wait(0, std::memory_order_acquire);
    if (s >= warm) lat.push_back(static_cast<double>(t1 - t0));
    if (s >= warm && submit_ns) submit_ns->push_back(static_cast<double>(ts - t0));
  }
  if (cpu_ns) *cpu_ns = process_cpu_ns() - cpu0;
  return lat;
}

void emit_latency(const std::vector<double>& lat, std::uint64_t cpu_ns) {
  emit("p50_ns", percentile(lat, 50), "ns");
  emit("p99_ns", percentile(lat, 99), "ns");
  emit("max_ns", *std::max_element(lat.begin(), lat.end()), "ns");
  if (cpu_ns) emit("cpu_us_per_sample", static_cast<double>(cpu_ns) / 1000.0 / static_cast<double>(lat.size()), "us");
}

void run_w3() {
  auto ex = make_executor(g_job.peer, &lat_task);
  lat_ctx c;
  std::uint64_t cpu = 0;
  std::vector<double> sub;
  auto lat = latency_rounds(cfg.w3_samples, 200, [&] { ex->submit(&c); }, c, &cpu, &sub);
  emit_latency(lat, cpu);
  // How long the submitting call itself took (the task may start before it returns).
  emit("submit_p50_ns", percentile(sub, 50), "ns");
  ex.release();
}

// ================================================================================================
// W4: blocking mix
// ================================================================================================

enum class sleep_mode { plain, scope };

struct w4_state {
  std::atomic<int> done{0};
  int n = 0;
  std::atomic<std::uint64_t> end_ns{0};
  std::atomic<int> finished{0};
  std::atomic<int> sleeping{0};
  std::atomic<int> max_sleeping{0};
  sleep_mode mode = sleep_mode::plain;
} g_w4;

}  // namespace
}  // namespace cmwq_bench

using cmwq_bench::cfg;
using cmwq_bench::g_w4;

// Called by the C (msleep) variant too, hence C linkage.
extern "C" void bench_w4_cpu_part(int) { cmwq_bench::spin_cpu(static_cast<std::uint64_t>(cfg.w4_cpu_us) * 1000); }
extern "C" void bench_w4_sleep_enter(void) {
  const int s = g_w4.sleeping.fetch_add(1) + 1;
  int m = g_w4.max_sleeping.load();
  while (s > m && !g_w4.max_sleeping.compare_exchange_weak(m, s)) {
  }
}
extern "C" void bench_w4_sleep_exit(void) { g_w4.sleeping.fetch_sub(1); }
extern "C" void bench_w4_done(void) {
  if (g_w4.done.fetch_add(1) + 1 == g_w4.n) {
    g_w4.end_ns.store(cmwq_bench::now_ns());
    g_w4.finished.store(1, std::memory_order_release);
    g_w4.finished.notify_all();
  }
}

namespace cmwq_bench {
namespace {

void w4_body(int idx) {
  bench_w4_cpu_part(idx);
  if (cfg.w4_sleep_every && idx % cfg.w4_sleep_every == 0) {
    bench_w4_sleep_enter();
    const std::uint64_t ns = static_cast<std::uint64_t>(cfg.w4_sleep_ms) * 1000000ull;
    if (g_w4.mode == sleep_mode::scope) {
      cmwq::blocking_scope b;
      sleep_for_ns(ns);
    } else {
      sleep_for_ns(ns);
    }
    bench_w4_sleep_exit();
  }
  bench_w4_done();
}

void w4_task(void* p) { w4_body(static_cast<int>(reinterpret_cast<std::intptr_t>(p)) - 1); }

struct thread_sampler {
  thread_sampler() {
    th = std::thread([this] {
      while (!stop.load(std::memory_order_relaxed)) {
        const int n = count_threads();
        if (n > peak.load(std::memory_order_relaxed)) peak.store(n, std::memory_order_relaxed);
        const long w = kc_live_workers();
        if (w > peak_workers.load(std::memory_order_relaxed)) peak_workers.store(w, std::memory_order_relaxed);
        sleep_for_ns(1000000);
      }
    });
    sleep_for_ns(2000000);
  }
  int finish() {
    stop.store(true);
    th.join();
    return peak.load();
  }
  std::atomic<bool> stop{false};
  std::atomic<int> peak{0};
  std::atomic<long> peak_workers{0};  // cmwq workers alive (created - exited), for the breakdown
  std::thread th;
};

void run_w4() {
  const std::string& peer = g_job.peer;
  g_w4.n = cfg.w4_tasks;
  thread_sampler sampler;
  const int baseline = count_threads();  // this thread + the sampler

  std::unique_ptr<executor> ex;
  std::vector<std::unique_ptr<cmwq::work>> works;
  cmwq::owned_queue wq;
  enum { via_executor, via_cmwq_percpu, via_kc_msleep } how = via_executor;

  if (peer == "cmwq.percpu+blocking_scope" || peer == "cmwq.percpu(unannotated)") {
    how = via_cmwq_percpu;
    g_w4.mode = peer == "cmwq.percpu+blocking_scope" ? sleep_mode::scope : sleep_mode::plain;
    wq = cmwq::builder::percpu().build("w4");
    for (int i = 0; i < g_w4.n; i++) works.push_back(std::make_unique<cmwq::work>([i] { w4_body(i); }));
  } else if (peer == "cmwq.percpu+msleep") {
    how = via_kc_msleep;
    if (!kc_w4_prepare(g_w4.n)) die("kc_w4_prepare failed");
  } else if (peer == "cmwq.unbound(unannotated)") {
    ex = make_executor("cmwq.unbound", &w4_task);
  } else {
    ex = make_executor(peer, &w4_task);
  }
  sleep_for_ns(20000000);  // let pools settle (thread start-up is not part of the makespan)

  const std::uint64_t cpu0 = process_cpu_ns();
  const std::uint64_t t0 = now_ns();
  switch (how) {
    case via_executor:
      for (int i = 0; i < g_w4.n; i++) ex->submit(reinterpret_cast<void*>(static_cast<std::intptr_t>(i) + 1));
      break;
    case via_cmwq_percpu:
      // Per-CPU queues run an item on the CPU it was queued on; a producer that wants both CPUs
      // busy spreads its items, as kernel code does with queue_work_on().
      for (int i = 0; i < g_w4.n; i++) wq->enqueue_on(i % g_ncpu, *works[static_cast<std::size_t>(i)]);
      break;
    case via_kc_msleep:
      kc_w4_start(g_ncpu, cfg.w4_sleep_every, static_cast<unsigned>(cfg.w4_sleep_ms));
      break;
  }
  while (g_w4.finished.load(std::memory_order_acquire) == 0) g_w4.finished.wait(0);
  const double makespan_ms = static_cast<double>(g_w4.end_ns.load() - t0) * 1e-6;
  const double cpu_ms = static_cast<double>(process_cpu_ns() - cpu0) * 1e-6;
  const int peak = sampler.finish() - baseline;

  const double total_cpu_ms = static_cast<double>(g_w4.n) * cfg.w4_cpu_us / 1000.0;
  const double chain_ms = cfg.w4_cpu_us / 1000.0 + (cfg.w4_sleep_every ? cfg.w4_sleep_ms : 0);
  const double ideal_ms = std::max(total_cpu_ms / g_ncpu, chain_ms);
  emit("makespan_ms", makespan_ms, "ms");
  emit("ideal_ms", ideal_ms, "ms");
  emit("makespan_over_ideal", makespan_ms / ideal_ms, "x");
  emit("peak_threads", peak, "threads");
  if (is_cmwq(peer)) emit("peak_cmwq_workers", static_cast<double>(sampler.peak_workers.load()), "threads");
  emit("max_sleeping", g_w4.max_sleeping.load(), "tasks");
  // CPU the process got during the run over what `ncpu` free CPUs would give: well below 1 for
  // a pool that leaves CPUs idle, or when other processes compete for them.
  emit("cpu_utilisation", cpu_ms / (makespan_ms * g_ncpu), "x");
  emit("thread_bound", g_ncpu + g_w4.max_sleeping.load() + 2, "threads");
  ex.release();
  for (auto& w : works) (void)w.release();
  (void)wq;
}

// ================================================================================================
// W5: timers
// ================================================================================================

struct w5_state {
  std::vector<std::uint64_t> deadline;  // ns; set for the kept timers only
  std::vector<std::int64_t> late;       // ns
  std::atomic<int> fired{0};
} g_w5;

}  // namespace
}  // namespace cmwq_bench

extern "C" void bench_w5_fired(int idx) {
  using cmwq_bench::g_w5;
  const std::uint64_t d = g_w5.deadline[static_cast<std::size_t>(idx)];
  if (d) g_w5.late[static_cast<std::size_t>(idx)] = static_cast<std::int64_t>(cmwq_bench::now_ns() - d);
  g_w5.fired.fetch_add(1, std::memory_order_release);
}

namespace cmwq_bench {
namespace {

// What pass 2 of W5 measured.
struct w5_timing {
  std::uint64_t arm_ns = 0, cancel_ns = 0;
  int cancels = 0;    // cancel calls
  int cancelled = 0;  // ... that found their timer still pending
};

// Pass 2 of W5: arms in chunks of 1,000 and cancels 900 of each chunk right after it, recording
// the deadline of each kept timer; then waits (at most 5 s) for the kept ones to fire.
w5_timing w5_timing_pass(timer_peer& tp, const std::vector<unsigned>& delay) {
  const int n = cfg.w5_timers;
  constexpr int chunk = 1000;
  g_w5.fired.store(0);
  w5_timing t;
  tp.in_context([&] {
    for (int c0 = 0; c0 < n; c0 += chunk) {
      const int c1 = std::min(n, c0 + chunk);
      std::uint64_t t0 = now_ns();
      for (int i = c0; i < c1; i++) {
        const unsigned ms = delay[static_cast<std::size_t>(i)];
        if (i % 10 == 0) {  // kept: remember the deadline (10% of the arms read the clock)
          g_w5.deadline[static_cast<std::size_t>(i)] = now_ns() + ms * 1000000ull;
          tp.note_clock();
        }
        if (!tp.arm(i, ms)) die("W5: arm failed");
      }
      std::uint64_t t1 = now_ns();
      t.arm_ns += t1 - t0;
      for (int i = c0; i < c1; i++) {
        if (i % 10 == 0) continue;
        t.cancels++;
        t.cancelled += tp.cancel(i) ? 1 : 0;
      }
      t.cancel_ns += now_ns() - t1;
    }
  });
  const int expected = n - t.cancelled;
  const std::uint64_t give_up = now_ns() + 5000000000ull;
  while (g_w5.fired.load(std::memory_order_acquire) < expected && now_ns() < give_up) sleep_for_ns(5000000);
  sleep_for_ns(20000000);
  return t;
}

// Two passes over the same timer objects:
//  1. memory: arm all n back to back (all pending at once), read the RSS growth, cancel all, and
//     let the few that expired meanwhile run; bulk_arm_ns is the arming cost with n pending.
//  2. timing: arm in chunks of 1,000 and cancel 900 of each chunk right after it (each cancel
//     follows its arm by at most one chunk, as when timeouts are armed and cancelled by the code
//     that set them), so cancels hit pending timers even for peers whose arming is slow; the kept
//     10% fire and give the lateness.
void run_w5() {
  const std::string& peer = g_job.peer;
  std::unique_ptr<timer_peer> tp = make_timer_peer(peer);

  const int n = cfg.w5_timers;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<unsigned> dist(1, 1000);
  std::vector<unsigned> delay(static_cast<std::size_t>(n));
  for (auto& d : delay) d = dist(rng);
  g_w5.deadline.assign(static_cast<std::size_t>(n), 0);
  g_w5.late.assign(static_cast<std::size_t>(n), INT64_MIN);
  sleep_for_ns(20000000);  // threads started, allocator settled

  // ---- pass 1: memory
  const long rss0 = rss_bytes();
  std::uint64_t bulk_arm_ns = 0;
  int cancelled = 0;
  tp->in_context([&] { tp->prepare(n); });
  tp->in_context([&] {
    const std::uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
      if (!tp->arm(i, delay[static_cast<std::size_t>(i)])) die("W5: arm failed");
    bulk_arm_ns = now_ns() - t0;
  });
  const long rss1 = rss_bytes();
  tp->in_context([&] {
    for (int i = 0; i < n; i++) cancelled += tp->cancel(i) ? 1 : 0;
  });
  const std::uint64_t give_up = now_ns() + 5000000000ull;
  while (g_w5.fired.load(std::memory_order_acquire) < n - cancelled && now_ns() < give_up) sleep_for_ns(2000000);
  sleep_for_ns(20000000);

  // ---- pass 2: arm / cancel / lateness
  const w5_timing t = w5_timing_pass(*tp, delay);

  std::vector<double> late_us;
  for (int i = 0; i < n; i += 10)
    if (g_w5.late[static_cast<std::size_t>(i)] != INT64_MIN)
      late_us.push_back(static_cast<double>(g_w5.late[static_cast<std::size_t>(i)]) / 1000.0);
  emit("arm_ns", static_cast<double>(t.arm_ns) / n, "ns");
  emit("cancel_ns", static_cast<double>(t.cancel_ns) / t.cancels, "ns");
  emit("bulk_arm_ns", static_cast<double>(bulk_arm_ns) / n, "ns");
  emit("late_p50_us", percentile(late_us, 50), "us");
  emit("late_p99_us", percentile(late_us, 99), "us");
  emit("late_min_us", late_us.empty() ? NAN : *std::min_element(late_us.begin(), late_us.end()), "us");
  emit("bytes_per_timer", static_cast<double>(rss1 - rss0) / n, "B");
  emit("sizeof", tp->object_bytes(), "B");
  emit("kept_fired", static_cast<double>(late_us.size()), "timers");
  emit("kept", static_cast<double>((n + 9) / 10), "timers");
  emit("cancel_ok_pct", 100.0 * t.cancelled / t.cancels, "%");
  (void)tp.release();
}

// ================================================================================================
// S: scaling with producers (1, 2, 4, 8 on purpose more than the CPUs), and the locks behind it
// ================================================================================================

// Timer flavour of S: each producer arms and cancels its own delayed works (C++ API; delays of
// 1..2 s, so none fires), one item = one arm + one cancel.
struct timer_producers {
  explicit timer_producers(int producers, long items)
      : per(items / producers), q(cmwq::builder::percpu().build("s_timers")) {
    for (int p = 0; p < producers; p++) {
      dw.emplace_back(static_cast<std::size_t>(per));
      for (auto& d : dw.back()) d = std::make_unique<cmwq::delayed_work>([] {});
    }
  }
  void run(int p) {
    for (long i = 0; i < per; i++) q->enqueue_delayed(*dw[static_cast<std::size_t>(p)][static_cast<std::size_t>(i)],
                                                     std::chrono::milliseconds(1000 + i % 1000));
    for (long i = 0; i < per; i++) dw[static_cast<std::size_t>(p)][static_cast<std::size_t>(i)]->cancel();
  }
  long per;
  cmwq::owned_queue q;
  std::vector<std::vector<std::unique_ptr<cmwq::delayed_work>>> dw;
};

// Seconds for `producers` threads to arm and cancel their items, from one start signal.
double run_timer_batch(timer_producers& tp, int producers) {
  std::atomic<int> go{0};
  std::vector<std::thread> th;
  for (int p = 0; p < producers; p++)
    th.emplace_back([&, p] {
      while (go.load(std::memory_order_acquire) == 0) go.wait(0);
      tp.run(p);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::uint64_t t0 = now_ns();
  go.store(1, std::memory_order_release);
  go.notify_all();
  for (auto& t : th) t.join();
  return static_cast<double>(now_ns() - t0) * 1e-9;
}

// The three mutexes waited for most in the last lockstat batch, per item; the unit of each
// lockK_acq_per_item line names the function that first locked it.
void emit_locks(long items) {
  const auto top = lockstat_top(3);
  double total_wait = 0;
  for (auto& l : lockstat_top(1000)) total_wait += static_cast<double>(l.wait_ns);
  emit("lock_wait_ns_per_item", total_wait / static_cast<double>(items), "ns");
  for (std::size_t k = 0; k < top.size(); k++) {
    const auto& l = top[k];
    const std::string pre = "lock" + std::to_string(k + 1) + "_";
    std::string name = l.name;
    std::replace(name.begin(), name.end(), '"', '\'');
    emit((pre + "acq_per_item").c_str(), static_cast<double>(l.acquisitions) / static_cast<double>(items), name.c_str());
    emit((pre + "contended_pct").c_str(), l.acquisitions ? 100.0 * static_cast<double>(l.contended) / static_cast<double>(l.acquisitions) : 0, "%");
    emit((pre + "wait_ns_per_item").c_str(), static_cast<double>(l.wait_ns) / static_cast<double>(items), "ns");
    emit((pre + "hold_ns").c_str(), l.hold_samples ? static_cast<double>(l.hold_ns) / static_cast<double>(l.hold_samples) : NAN, "ns");
  }
}

// One S job: peer "<flavour>/<producers>", flavour cmwq.percpu, cmwq.unbound or cmwq.timers.
// A timed batch (no lock counting), then a batch with lockstat on for the lock lines.
void run_scaling() {
  const auto slash = g_job.peer.find('/');
  const std::string flavour = g_job.peer.substr(0, slash);
  const int producers = std::max(1, std::atoi(g_job.peer.c_str() + slash + 1));
  const long n = cfg.w1_tasks;
  double s;
  std::uint64_t cpu;
  if (flavour == "cmwq.timers") {
    auto& tp = *new timer_producers(producers, n / 5);  // never torn down: the child _exit()s
    run_timer_batch(tp, producers);  // warm-up
    const std::uint64_t cpu0 = process_cpu_ns();
    s = run_timer_batch(tp, producers);
    cpu = process_cpu_ns() - cpu0;
    emit("ns_per_item", s * 1e9 / static_cast<double>(n / 5), "ns");
    emit("cpu_ns_per_item", static_cast<double>(cpu) / static_cast<double>(n / 5), "ns");
    lockstat_reset();
    lockstat_enable(true);
    run_timer_batch(tp, producers);
    lockstat_enable(false);
    emit_locks(tp.per * producers);
    return;
  }
  auto ex = make_executor(flavour, &count_task);
  run_batch(*ex, std::max(20000L, n / 50), producers);  // warm-up: threads, allocator
  const std::uint64_t cpu0 = process_cpu_ns();
  s = run_batch(*ex, n, producers);
  cpu = process_cpu_ns() - cpu0;
  emit("ns_per_item", s * 1e9 / static_cast<double>(n), "ns");
  emit("cpu_ns_per_item", static_cast<double>(cpu) / static_cast<double>(n), "ns");
  lockstat_reset();
  lockstat_enable(true);
  run_batch(*ex, n / 4, producers);
  lockstat_enable(false);
  emit_locks(n / 4 / producers * producers);
  ex.release();
}

// ================================================================================================
// floors: what the machine itself costs
// ================================================================================================

__attribute__((noinline)) int plain_call(int x) {
  asm volatile("" : "+r"(x));
  return x + 1;
}

void floor_call() {
  constexpr int iters = 100000000;
  int x = 0;
  const std::uint64_t t0 = now_ns();
  for (int i = 0; i < iters; i++) x = plain_call(x);
  const std::uint64_t t1 = now_ns();
  asm volatile("" ::"r"(x));
  emit("ns", static_cast<double>(t1 - t0) / iters, "ns");
}

// Batches of round trips; the median batch is reported, so that a batch in which another
// process preempted one of the two threads (a shared 2-CPU machine) does not count.
constexpr int floor_batches = 300;

void floor_cacheline() {
  if (g_ncpu < 2) return emit("rtt_ns", NAN, "ns");
  constexpr int per = 1000;
  alignas(64) std::atomic<int> x{0};
  std::atomic<int> ready{0};
  std::thread b([&] {
    pin_to(1);
    ready.store(1);
    for (int k = 0; k < floor_batches * per; k++) {
      while (x.load(std::memory_order_acquire) != 1) {
      }
      x.store(0, std::memory_order_release);
    }
  });
  pin_to(0);
  while (!ready.load()) {
  }
  std::vector<double> batch;
  for (int j = 0; j < floor_batches; j++) {
    const std::uint64_t t0 = now_ns();
    for (int k = 0; k < per; k++) {
      x.store(1, std::memory_order_release);
      while (x.load(std::memory_order_acquire) != 0) {
      }
    }
    batch.push_back(static_cast<double>(now_ns() - t0) / per);
  }
  b.join();
  emit("rtt_ns", median(batch), "ns");
}

void floor_futex_pingpong() {
  constexpr int per = 100;
  std::atomic<int> a{0}, bw{0};
  std::thread b([&] {
    for (int k = 0; k < floor_batches * per; k++) {
      while (a.load(std::memory_order_acquire) == 0) futex_wait(&a, 0);
      a.store(0, std::memory_order_relaxed);
      bw.store(1, std::memory_order_release);
      futex_wake(&bw);
    }
  });
  std::vector<double> batch;
  for (int j = 0; j < floor_batches; j++) {
    const std::uint64_t t0 = now_ns();
    for (int k = 0; k < per; k++) {
      a.store(1, std::memory_order_release);
      futex_wake(&a);
      while (bw.load(std::memory_order_acquire) == 0) futex_wait(&bw, 0);
      bw.store(0, std::memory_order_relaxed);
    }
    batch.push_back(static_cast<double>(now_ns() - t0) / (2.0 * per));
  }
  b.join();
  emit("one_way_ns", median(batch), "ns");
}

// The W3 protocol with the thinnest possible "pool": one thread blocked in futex_wait.
// waker_cpu / waiter_cpu < 0: unpinned.
void floor_futex_wake(int waker_cpu, int waiter_cpu) {
  std::atomic<int> word{0};
  lat_ctx c;
  std::atomic<bool> stop{false};
  std::thread w([&] {
    if (waiter_cpu >= 0) pin_to(waiter_cpu);
    for (;;) {
      while (word.load(std::memory_order_acquire) == 0) futex_wait(&word, 0);
      if (stop.load()) return;
      word.store(0, std::memory_order_relaxed);
      lat_task(&c);
    }
  });
  if (waker_cpu >= 0) pin_to(waker_cpu);
  std::uint64_t cpu = 0;
  auto lat = latency_rounds(cfg.w3_samples, 200, [&] {
    word.store(1, std::memory_order_release);
    futex_wake(&word);
  }, c, &cpu);
  stop.store(true);
  word.store(1);
  futex_wake(&word);
  w.join();
  emit_latency(lat, cpu);
}

// ================================================================================================
// the job list and the child runner
// ================================================================================================

}  // namespace

const std::vector<std::string> k_pool_peers = {"cmwq.unbound", "cmwq.percpu", "tbb", "asio", "glib", "libuv", "mutex_pool"};
const std::vector<std::string> k_w4_peers = {"cmwq.percpu+blocking_scope", "cmwq.percpu+msleep", "cmwq.percpu(unannotated)",
                                             "cmwq.unbound(unannotated)", "tbb", "asio", "glib", "libuv", "mutex_pool", "thread"};
const std::vector<std::string> k_w5_peers = {"cmwq.cxx", "cmwq.c", "asio", "libuv", "glib", "mutex_pool"};
const std::vector<std::string> k_scaling_flavours = {"cmwq.percpu", "cmwq.unbound", "cmwq.timers"};

std::vector<job> all_jobs() {
  std::vector<job> j;
  auto want = [](const std::string& w) { return cfg.only.empty() || cfg.only.count(w); };
  auto keep = [](const job& jb) { return cfg.peers.empty() || jb.workload == "floor" || cfg.peers.count(jb.peer) ||
                                         cfg.peers.count(jb.peer.substr(0, jb.peer.find('/'))); };
  if (want("floor"))
    for (const char* f : {"call", "cacheline", "futex_pingpong", "futex_wake", "futex_wake_same_cpu", "futex_wake_cross_cpu"})
      j.push_back({"floor", f});
  if (want("W1"))
    for (auto& p : k_pool_peers) j.push_back({"W1", p});
  if (want("W2"))
    for (auto& p : k_pool_peers) j.push_back({"W2", p});
  if (want("W3")) {
    for (auto& p : k_pool_peers) j.push_back({"W3", p});
    j.push_back({"W3", "thread"});
  }
  if (want("W4"))
    for (auto& p : k_w4_peers) j.push_back({"W4", p});
  if (want("W5"))
    for (auto& p : k_w5_peers) j.push_back({"W5", p});
  if (want("S"))
    for (auto& f : k_scaling_flavours)
      for (int p : cfg.producers) j.push_back({"S", f + "/" + std::to_string(p)});
  j.erase(std::remove_if(j.begin(), j.end(), [&](const job& jb) { return !keep(jb); }), j.end());
  return j;
}

void run_job_in_child(const job& jb) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // 200 us sleeps mean 200 us
  g_job = jb;
  const std::string& w = jb.workload;
  if (w == "W1") run_w1w2(1);
  else if (w == "W2") run_w1w2(g_ncpu);
  else if (w == "W3") run_w3();
  else if (w == "W4") run_w4();
  else if (w == "W5") run_w5();
  else if (w == "S") run_scaling();
  else if (w == "floor") {
    const std::string& p = jb.peer;
    if (p == "call") floor_call();
    else if (p == "cacheline") floor_cacheline();
    else if (p == "futex_pingpong") floor_futex_pingpong();
    else if (p == "futex_wake") floor_futex_wake(-1, -1);
    else if (p == "futex_wake_same_cpu") floor_futex_wake(0, 0);
    else if (p == "futex_wake_cross_cpu") floor_futex_wake(0, g_ncpu > 1 ? 1 : 0);
  }
}

}  // namespace cmwq_bench
