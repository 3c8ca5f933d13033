// bench/compare.cpp - cmwq against its peers, the same workloads side by side in one run.
//
//   build-bench/bench/cmwq_compare --out DIR [--reps N] [--quick] [--only W1,W3,floor]
//   build-bench/bench/cmwq_compare --out DIR --report DIR/results.jsonl   (re-render only)
//
// Peers: oneTBB (task_arena::enqueue), Boost.Asio (thread_pool + post; io_context + steady_timer),
// GLib (GThreadPool; g_timeout sources on a GMainLoop thread), libuv (uv_queue_work and uv_timer on
// a loop thread), a plain mutex+condvar pool written here (plus a std::multimap timer thread), and
// thread-per-task (W3, W4). Every fixed-size pool runs one thread per CPU.
//
// Workloads (docs/benchmarks.md explains each and how to read it):
//   W1 fan-out         one producer, 1,000,000 empty tasks; tasks/s
//   W2 multi-producer  one producer per CPU, same total; tasks/s
//   W3 wake latency    idle pool, one task, time until it starts; p50/p99/max of 10,000 samples
//   W4 blocking mix    2,000 tasks of 200 us CPU, every 4th also sleeps 5 ms; makespan, peak threads
//   W5 timers          200,000 delayed tasks, delays uniform in [1 ms, 1 s], 90% cancelled
//   floor              cache-line ping-pong, futex wake, plain call: what the hardware allows
//
// Method. The parent process never creates a thread: it forks one child per (repetition, workload,
// peer), so every measurement starts from a fresh process (clean thread counts, no leftover
// spinning threads of another peer) and repetitions of different peers interleave in time, which
// spreads the noise of a shared machine evenly. A child prints JSON lines to a pipe and leaves with
// _exit(), skipping teardown. The parent writes every line to DIR/results.jsonl, takes the median
// over the repetitions and writes DIR/table.md (markdown), DIR/*.dat and DIR/plots.gp (gnuplot).
#include <fcntl.h>
#include <glib.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cmwq/cmwq.hpp>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#define TBB_PREVIEW_GLOBAL_CONTROL 1
#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/version.h>

#include "kc_ops.h"

namespace {

// ================================================================================================
// configuration and small tools
// ================================================================================================

struct config {
  std::string out_dir = "bench-out";
  int reps = 3;
  long w1_tasks = 1000000;
  int w3_samples = 10000;
  int w3_gap_us = 200;
  int w4_tasks = 2000;
  int w4_cpu_us = 200;
  int w4_sleep_every = 4;
  int w4_sleep_ms = 5;
  int w5_timers = 200000;
  std::set<std::string> only;  // workloads to run; empty = all
  bool quick = false;
} cfg;

int g_ncpu = 1;

[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  _exit(2);
}

inline std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t process_cpu_ns() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (static_cast<std::uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
          static_cast<std::uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)) * 1000ull;
}

// Burns `ns` of this thread's CPU time (preemption does not count).
void spin_cpu(std::uint64_t ns) {
  const std::uint64_t start = thread_cpu_ns();
  while (thread_cpu_ns() - start < ns) {
  }
}

// Sleeps at least `ns` (absolute deadline, restarted after signals).
void sleep_for_ns(std::uint64_t ns) {
  const std::uint64_t d = now_ns() + ns;
  timespec ts{static_cast<time_t>(d / 1000000000ull), static_cast<long>(d % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void pin_to(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

// Threads of this process: procfs gives /proc/self/task a link count of 2 + the number of tasks,
// so one stat() counts the directory's entries without reading it.
int count_threads() {
  struct stat st;
  if (stat("/proc/self/task", &st) != 0) return -1;
  return static_cast<int>(st.st_nlink) - 2;
}

long rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

long futex(std::atomic<int>* w, int op, int val) {
  return syscall(SYS_futex, reinterpret_cast<int*>(w), op, val, nullptr, nullptr, 0);
}
void futex_wait(std::atomic<int>* w, int val) { futex(w, FUTEX_WAIT_PRIVATE, val); }
void futex_wake(std::atomic<int>* w) { futex(w, FUTEX_WAKE_PRIVATE, 1); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double idx = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(idx));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

// ================================================================================================
// child-side output: one JSON line per measurement
// ================================================================================================

struct job {
  std::string workload;
  std::string peer;
};

FILE* g_out = nullptr;
job g_job;
int g_rep = 0;

void emit(const char* metric, double value, const char* unit) {
  std::fprintf(g_out, "{\"workload\":\"%s\",\"peer\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"rep\":%d}\n",
               g_job.workload.c_str(), g_job.peer.c_str(), metric, value, unit, g_rep);
}

// ================================================================================================
// the peers as executors: a fixed task function, submit(arg) from any thread
// ================================================================================================

using task_fn = void (*)(void*);

struct executor {
  explicit executor(task_fn f) : fn(f) {}
  virtual ~executor() = default;
  virtual void submit(void* arg) = 0;
  task_fn fn;
};

// cmwq: a heap closure per task through try_spawn (the C++ API's fire-and-forget door).
struct cmwq_exec final : executor {
  cmwq_exec(task_fn f, bool percpu)
      : executor(f),
        q((percpu ? cmwq::builder::percpu() : cmwq::builder::unbound()).build(percpu ? "bench_percpu" : "bench_unbound")) {
    if (!q) die("cmwq: cannot build the queue");
  }
  void submit(void* a) override {
    const task_fn f = fn;
    if (q->try_spawn([f, a] { f(a); })) die("cmwq: try_spawn failed");
  }
  cmwq::owned_queue q;
};

// oneTBB: an arena of g_ncpu slots, all of them for workers (the submitting thread never joins);
// global_control lifts TBB's default limit of ncpu - 1 workers so the arena really gets g_ncpu.
struct tbb_exec final : executor {
  explicit tbb_exec(task_fn f) : executor(f) { arena.initialize(); }
  void submit(void* a) override {
    const task_fn f = fn;
    arena.enqueue([f, a] { f(a); });
  }
  tbb::global_control gc{tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(g_ncpu + 1)};
  tbb::task_arena arena{g_ncpu, 0};
};

struct asio_exec final : executor {
  explicit asio_exec(task_fn f) : executor(f) {}
  void submit(void* a) override {
    const task_fn f = fn;
    boost::asio::post(pool, [f, a] { f(a); });
  }
  boost::asio::thread_pool pool{static_cast<std::size_t>(g_ncpu)};
};

// GLib: an exclusive GThreadPool; its function is fixed per pool, so the task's argument is pushed
// as the data pointer (no allocation on our side).
struct glib_exec final : executor {
  explicit glib_exec(task_fn f) : executor(f) {
    pool = g_thread_pool_new(&tramp, this, g_ncpu, TRUE, nullptr);
    if (!pool) die("glib: g_thread_pool_new failed");
  }
  static void tramp(gpointer data, gpointer self) { static_cast<glib_exec*>(self)->fn(data); }
  void submit(void* a) override { g_thread_pool_push(pool, a, nullptr); }
  GThreadPool* pool;
};

// libuv: uv_queue_work may only be called on the loop's thread, so producers hand tasks to the loop
// thread through a locked vector and uv_async_send (the documented cross-thread door); the loop
// thread queues them on libuv's thread pool (UV_THREADPOOL_SIZE = ncpu).
struct uv_exec final : executor {
  struct req {
    uv_work_t w;
    task_fn fn;
    void* arg;
  };
  explicit uv_exec(task_fn f) : executor(f) {
    char n[16];
    std::snprintf(n, sizeof n, "%d", g_ncpu);
    setenv("UV_THREADPOOL_SIZE", n, 1);
    uv_loop_init(&loop);
    async.data = this;
    uv_async_init(&loop, &async, &on_async);
    th = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
  }
  static void on_async(uv_async_t* h) {
    auto* self = static_cast<uv_exec*>(h->data);
    std::vector<void*> batch;
    {
      std::lock_guard<std::mutex> g(self->m);
      batch.swap(self->pending);
    }
    for (void* a : batch) {
      auto* r = new req{{}, self->fn, a};
      uv_queue_work(&self->loop, &r->w, &work_cb, &after_cb);
    }
  }
  static void work_cb(uv_work_t* w) {
    auto* r = reinterpret_cast<req*>(w);
    r->fn(r->arg);
  }
  static void after_cb(uv_work_t* w, int) { delete reinterpret_cast<req*>(w); }
  void submit(void* a) override {
    {
      std::lock_guard<std::mutex> g(m);
      pending.push_back(a);
    }
    uv_async_send(&async);
  }
  uv_loop_t loop;
  uv_async_t async;
  std::mutex m;
  std::vector<void*> pending;
  std::thread th;
};

// The plain pool anyone would write: one mutex, one condition variable, a deque, ncpu threads.
struct mutex_pool final : executor {
  explicit mutex_pool(task_fn f, int nthreads = g_ncpu) : executor(f) {
    for (int i = 0; i < nthreads; i++) threads.emplace_back([this] { run(); });
  }
  void run() {
    std::unique_lock<std::mutex> l(m);
    for (;;) {
      cv.wait(l, [this] { return !q.empty(); });
      void* a = q.front();
      q.pop_front();
      l.unlock();
      fn(a);
      l.lock();
    }
  }
  void submit(void* a) override {
    {
      std::lock_guard<std::mutex> g(m);
      q.push_back(a);
    }
    cv.notify_one();
  }
  std::mutex m;
  std::condition_variable cv;
  std::deque<void*> q;
  std::vector<std::thread> threads;
};

struct thread_exec final : executor {
  explicit thread_exec(task_fn f) : executor(f) {}
  void submit(void* a) override {
    const task_fn f = fn;
    std::thread([f, a] { f(a); }).detach();
  }
};

std::unique_ptr<executor> make_executor(const std::string& peer, task_fn f) {
  if (peer == "cmwq.unbound") return std::make_unique<cmwq_exec>(f, false);
  if (peer == "cmwq.percpu") return std::make_unique<cmwq_exec>(f, true);
  if (peer == "tbb") return std::make_unique<tbb_exec>(f);
  if (peer == "asio") return std::make_unique<asio_exec>(f);
  if (peer == "glib") return std::make_unique<glib_exec>(f);
  if (peer == "libuv") return std::make_unique<uv_exec>(f);
  if (peer == "mutex_pool") return std::make_unique<mutex_pool>(f);
  if (peer == "thread") return std::make_unique<thread_exec>(f);
  die("unknown peer %s", peer.c_str());
}

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

// Called by the C (msleep) variant too, hence C linkage.
extern "C" void bench_w4_cpu_part(int) { spin_cpu(static_cast<std::uint64_t>(cfg.w4_cpu_us) * 1000); }
extern "C" void bench_w4_sleep_enter(void) {
  const int s = g_w4.sleeping.fetch_add(1) + 1;
  int m = g_w4.max_sleeping.load();
  while (s > m && !g_w4.max_sleeping.compare_exchange_weak(m, s)) {
  }
}
extern "C" void bench_w4_sleep_exit(void) { g_w4.sleeping.fetch_sub(1); }
extern "C" void bench_w4_done(void) {
  if (g_w4.done.fetch_add(1) + 1 == g_w4.n) {
    g_w4.end_ns.store(now_ns());
    g_w4.finished.store(1, std::memory_order_release);
    g_w4.finished.notify_all();
  }
}

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

bool is_cmwq_peer(const std::string& p) { return p.rfind("cmwq", 0) == 0; }

// Samples the process's thread count every millisecond until stopped.
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
  if (is_cmwq_peer(peer)) emit("peak_cmwq_workers", static_cast<double>(sampler.peak_workers.load()), "threads");
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

extern "C" void bench_w5_fired(int idx) {
  const std::uint64_t d = g_w5.deadline[static_cast<std::size_t>(idx)];
  if (d) g_w5.late[static_cast<std::size_t>(idx)] = static_cast<std::int64_t>(now_ns() - d);
  g_w5.fired.fetch_add(1, std::memory_order_release);
}

namespace {

struct timer_peer {
  virtual ~timer_peer() = default;
  virtual void prepare(int n) = 0;            // constructs n timer objects (part of the memory)
  virtual bool arm(int i, unsigned ms) = 0;   // true if armed
  virtual bool cancel(int i) = 0;             // true if it was armed and will not fire
  virtual void note_clock() {}                // the arming loop just read the clock
  virtual void in_context(const std::function<void()>& f) { f(); }  // where arm/cancel may run
  virtual double object_bytes() = 0;          // sizeof the per-timer object the caller keeps
};

struct cmwq_cxx_timers final : timer_peer {
  struct item {
    explicit item(int i) : dw([i] { bench_w5_fired(i); }) {}
    cmwq::delayed_work dw;
  };
  void prepare(int n) override {
    items = static_cast<item*>(::operator new(sizeof(item) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&items[i]) item(i);
  }
  bool arm(int i, unsigned ms) override { return q->enqueue_delayed(items[i].dw, std::chrono::milliseconds(ms)); }
  bool cancel(int i) override { return items[i].dw.cancel(); }
  double object_bytes() override { return sizeof(item); }
  cmwq::owned_queue q = cmwq::builder::percpu().build("w5");
  item* items = nullptr;
};

struct cmwq_c_timers final : timer_peer {
  cmwq_c_timers() {
    if (!kc_w5_init()) die("kc_w5_init failed");
  }
  void prepare(int n) override {
    if (!kc_w5_prepare(n)) die("kc_w5_prepare failed");
  }
  bool arm(int i, unsigned ms) override { return kc_w5_arm(i, ms); }
  bool cancel(int i) override { return kc_w5_cancel(i); }
  double object_bytes() override { return static_cast<double>(kc_sizeof_delayed_work()); }
};

// Boost.Asio: steady_timers on one io_context whose run() has its own thread. The producer arms
// and cancels from its thread: the timer queue is under the reactor's mutex, and no timer object
// is used by two threads at once (the io thread only runs the handler).
struct asio_timers final : timer_peer {
  asio_timers() : guard(boost::asio::make_work_guard(ioc)) {
    th = std::thread([this] { ioc.run(); });
  }
  void prepare(int n) override {
    t = static_cast<boost::asio::steady_timer*>(::operator new(sizeof(boost::asio::steady_timer) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&t[i]) boost::asio::steady_timer(ioc);
  }
  bool arm(int i, unsigned ms) override {
    t[i].expires_after(std::chrono::milliseconds(ms));
    t[i].async_wait([i](const boost::system::error_code& ec) {
      if (!ec) bench_w5_fired(i);
    });
    return true;
  }
  bool cancel(int i) override { return t[i].cancel() > 0; }
  double object_bytes() override { return sizeof(boost::asio::steady_timer); }
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  boost::asio::steady_timer* t = nullptr;
  std::thread th;
};

// libuv: uv_timer_* are loop-thread-only, so arming and cancelling run inside the loop thread
// (in_context). The loop caches its clock; note_clock() refreshes it wherever the harness reads
// the clock for a deadline (uv_update_time), so lateness is measured against the same instant.
struct uv_timers final : timer_peer {
  uv_timers() {
    uv_loop_init(&loop);
    async.data = this;
    uv_async_init(&loop, &async, [](uv_async_t* h) {
      auto* self = static_cast<uv_timers*>(h->data);
      (*self->job)();
      self->job_done.store(1, std::memory_order_release);
      self->job_done.notify_all();
    });
    th = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
  }
  void in_context(const std::function<void()>& f) override {
    job = &f;
    job_done.store(0);
    uv_async_send(&async);
    while (job_done.load(std::memory_order_acquire) == 0) job_done.wait(0);
  }
  void prepare(int n) override {
    t = static_cast<uv_timer_t*>(::operator new(sizeof(uv_timer_t) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) {
      uv_timer_init(&loop, &t[i]);
      t[i].data = reinterpret_cast<void*>(static_cast<std::intptr_t>(i));
    }
  }
  bool arm(int i, unsigned ms) override {
    return uv_timer_start(&t[i], [](uv_timer_t* h) { bench_w5_fired(static_cast<int>(reinterpret_cast<std::intptr_t>(h->data))); },
                          ms, 0) == 0;
  }
  bool cancel(int i) override {
    const bool active = uv_is_active(reinterpret_cast<uv_handle_t*>(&t[i])) != 0;
    uv_timer_stop(&t[i]);
    return active;
  }
  void note_clock() override { uv_update_time(&loop); }
  double object_bytes() override { return sizeof(uv_timer_t); }
  uv_loop_t loop;
  uv_async_t async;
  const std::function<void()>* job = nullptr;
  std::atomic<int> job_done{0};
  uv_timer_t* t = nullptr;
  std::thread th;
};

// GLib: the parts of g_timeout_add() (g_timeout_source_new + g_source_attach on the default
// context, run by a GMainLoop thread), keeping the GSource so that cancel is g_source_destroy
// (g_source_remove by id warns when the source has already fired).
struct glib_timers final : timer_peer {
  glib_timers() {
    ctx = g_main_context_default();
    loop = g_main_loop_new(ctx, FALSE);
    th = std::thread([this] { g_main_loop_run(loop); });
  }
  static gboolean on_fire(gpointer data) {
    bench_w5_fired(GPOINTER_TO_INT(data));
    return G_SOURCE_REMOVE;
  }
  void prepare(int n) override { src.assign(static_cast<std::size_t>(n), nullptr); }
  bool arm(int i, unsigned ms) override {
    GSource* s = g_timeout_source_new(ms);
    g_source_set_callback(s, &on_fire, GINT_TO_POINTER(i), nullptr);
    g_source_attach(s, ctx);
    src[static_cast<std::size_t>(i)] = s;
    return true;
  }
  bool cancel(int i) override {
    GSource* s = src[static_cast<std::size_t>(i)];
    if (g_source_is_destroyed(s)) return false;
    g_source_destroy(s);
    return true;
  }
  double object_bytes() override { return sizeof(GSource) + sizeof(GSource*); }  // + GTimeoutSource's own fields
  GMainContext* ctx;
  GMainLoop* loop;
  std::vector<GSource*> src;
  std::thread th;
};

// The plain way: a std::multimap of deadlines under a mutex, a timer thread that sleeps on a
// condition variable until the first deadline and hands due timers to the mutex pool.
struct mutex_timers final : timer_peer {
  using map_t = std::multimap<std::uint64_t, int>;
  struct entry {
    map_t::iterator it;
    bool armed = false;
  };
  static void fire_task(void* p) { bench_w5_fired(static_cast<int>(reinterpret_cast<std::intptr_t>(p)) - 1); }
  mutex_timers() : pool(&fire_task) {
    th = std::thread([this] { run(); });
  }
  void run() {
    std::unique_lock<std::mutex> l(m);
    for (;;) {
      if (map.empty()) {
        cv.wait(l);
        continue;
      }
      const std::uint64_t first = map.begin()->first;
      const std::uint64_t now = now_ns();
      if (first > now) {
        cv.wait_for(l, std::chrono::nanoseconds(first - now));
        continue;
      }
      const int i = map.begin()->second;
      map.erase(map.begin());
      e[i].armed = false;
      pool.submit(reinterpret_cast<void*>(static_cast<std::intptr_t>(i) + 1));
    }
  }
  void prepare(int n) override {
    e = static_cast<entry*>(::operator new(sizeof(entry) * static_cast<std::size_t>(n)));
    for (int i = 0; i < n; i++) new (&e[i]) entry();
  }
  bool arm(int i, unsigned ms) override {
    const std::uint64_t d = now_ns() + ms * 1000000ull;
    bool first;
    {
      std::lock_guard<std::mutex> g(m);
      e[i].it = map.emplace(d, i);
      e[i].armed = true;
      first = e[i].it == map.begin();
    }
    if (first) cv.notify_one();
    return true;
  }
  bool cancel(int i) override {
    std::lock_guard<std::mutex> g(m);
    if (!e[i].armed) return false;
    map.erase(e[i].it);
    e[i].armed = false;
    return true;
  }
  double object_bytes() override { return sizeof(entry) + sizeof(std::_Rb_tree_node<map_t::value_type>); }
  mutex_pool pool;
  std::mutex m;
  std::condition_variable cv;
  map_t map;
  entry* e = nullptr;
  std::thread th;
};

// Two passes over the same timer objects:
//  1. memory: arm all n back to back (all pending at once), read the RSS growth, cancel all, and
//     let the few that expired meanwhile run; bulk_arm_ns is the arming cost with n pending.
//  2. timing: arm in chunks of 1,000 and cancel 900 of each chunk right after it (each cancel
//     follows its arm by at most one chunk, as when timeouts are armed and cancelled by the code
//     that set them), so cancels hit pending timers even for peers whose arming is slow; the kept
//     10% fire and give the lateness.
void run_w5() {
  const std::string& peer = g_job.peer;
  std::unique_ptr<timer_peer> tp;
  if (peer == "cmwq.cxx") tp = std::make_unique<cmwq_cxx_timers>();
  else if (peer == "cmwq.c") tp = std::make_unique<cmwq_c_timers>();
  else if (peer == "asio") tp = std::make_unique<asio_timers>();
  else if (peer == "libuv") tp = std::make_unique<uv_timers>();
  else if (peer == "glib") tp = std::make_unique<glib_timers>();
  else if (peer == "mutex_pool") tp = std::make_unique<mutex_timers>();
  else die("W5: unknown peer %s", peer.c_str());

  const int n = cfg.w5_timers;
  constexpr int chunk = 1000;
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
  std::uint64_t give_up = now_ns() + 5000000000ull;
  while (g_w5.fired.load(std::memory_order_acquire) < n - cancelled && now_ns() < give_up) sleep_for_ns(2000000);
  sleep_for_ns(20000000);

  // ---- pass 2: arm / cancel / lateness
  g_w5.fired.store(0);
  std::uint64_t arm_ns = 0, cancel_ns = 0;
  int cancels = 0;
  cancelled = 0;
  tp->in_context([&] {
    for (int c0 = 0; c0 < n; c0 += chunk) {
      const int c1 = std::min(n, c0 + chunk);
      std::uint64_t t0 = now_ns();
      for (int i = c0; i < c1; i++) {
        const unsigned ms = delay[static_cast<std::size_t>(i)];
        if (i % 10 == 0) {  // kept: remember the deadline (10% of the arms read the clock)
          g_w5.deadline[static_cast<std::size_t>(i)] = now_ns() + ms * 1000000ull;
          tp->note_clock();
        }
        if (!tp->arm(i, ms)) die("W5: arm failed");
      }
      std::uint64_t t1 = now_ns();
      arm_ns += t1 - t0;
      for (int i = c0; i < c1; i++) {
        if (i % 10 == 0) continue;
        cancels++;
        cancelled += tp->cancel(i) ? 1 : 0;
      }
      cancel_ns += now_ns() - t1;
    }
  });
  const int expected = n - cancelled;
  give_up = now_ns() + 5000000000ull;
  while (g_w5.fired.load(std::memory_order_acquire) < expected && now_ns() < give_up) sleep_for_ns(5000000);
  sleep_for_ns(20000000);

  std::vector<double> late_us;
  for (int i = 0; i < n; i += 10)
    if (g_w5.late[static_cast<std::size_t>(i)] != INT64_MIN)
      late_us.push_back(static_cast<double>(g_w5.late[static_cast<std::size_t>(i)]) / 1000.0);
  emit("arm_ns", static_cast<double>(arm_ns) / n, "ns");
  emit("cancel_ns", static_cast<double>(cancel_ns) / cancels, "ns");
  emit("bulk_arm_ns", static_cast<double>(bulk_arm_ns) / n, "ns");
  emit("late_p50_us", percentile(late_us, 50), "us");
  emit("late_p99_us", percentile(late_us, 99), "us");
  emit("late_min_us", late_us.empty() ? NAN : *std::min_element(late_us.begin(), late_us.end()), "us");
  emit("bytes_per_timer", static_cast<double>(rss1 - rss0) / n, "B");
  emit("sizeof", tp->object_bytes(), "B");
  emit("kept_fired", static_cast<double>(late_us.size()), "timers");
  emit("kept", static_cast<double>((n + 9) / 10), "timers");
  emit("cancel_ok_pct", 100.0 * cancelled / cancels, "%");
  (void)tp.release();
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

const std::vector<std::string> k_pool_peers = {"cmwq.unbound", "cmwq.percpu", "tbb", "asio", "glib", "libuv", "mutex_pool"};
const std::vector<std::string> k_w4_peers = {"cmwq.percpu+blocking_scope", "cmwq.percpu+msleep", "cmwq.percpu(unannotated)",
                                             "cmwq.unbound(unannotated)", "tbb", "asio", "glib", "libuv", "mutex_pool", "thread"};
const std::vector<std::string> k_w5_peers = {"cmwq.cxx", "cmwq.c", "asio", "libuv", "glib", "mutex_pool"};

std::vector<job> all_jobs() {
  std::vector<job> j;
  auto want = [](const std::string& w) { return cfg.only.empty() || cfg.only.count(w); };
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

// ================================================================================================
// the parent: run, collect, aggregate, write the table and the plot data
// ================================================================================================

struct record {
  std::string workload, peer, metric, unit;
  double value;
  int rep;
};

std::string field(const std::string& line, const char* key) {
  const std::string k = std::string("\"") + key + "\":";
  auto p = line.find(k);
  if (p == std::string::npos) return {};
  p += k.size();
  if (line[p] == '"') {
    const auto e = line.find('"', p + 1);
    return line.substr(p + 1, e - p - 1);
  }
  const auto e = line.find_first_of(",}", p);
  return line.substr(p, e - p);
}

// Forks a child for `jb`; returns its output lines. A child that runs past `limit_s` is killed.
std::vector<std::string> run_child(const job& jb, int limit_s, bool* ok) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe: %s", std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) die("fork: %s", std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    g_out = fdopen(fds[1], "w");
    run_job_in_child(jb);
    std::fflush(g_out);
    _exit(0);
  }
  close(fds[1]);
  std::string buf;
  char tmp[4096];
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(limit_s) * 1000000000ull;
  bool killed = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const std::uint64_t now = now_ns();
    if (now >= deadline && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    const int r = poll(&p, 1, 1000);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    const ssize_t n = read(fds[0], tmp, sizeof tmp);
    if (n <= 0) break;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  *ok = !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::vector<std::string> lines;
  std::size_t s = 0;
  while (s < buf.size()) {
    auto e = buf.find('\n', s);
    if (e == std::string::npos) e = buf.size();
    if (e > s) lines.push_back(buf.substr(s, e - s));
    s = e + 1;
  }
  return lines;
}

using key = std::tuple<std::string, std::string, std::string>;  // workload, peer, metric
std::map<key, std::vector<double>> g_values;

std::optional<double> med(const std::string& w, const std::string& p, const std::string& m) {
  auto it = g_values.find({w, p, m});
  if (it == g_values.end() || it->second.empty()) return std::nullopt;
  std::vector<double> v;
  for (double x : it->second)
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return std::nullopt;
  return median(v);
}

bool is_cmwq(const std::string& p) { return p.rfind("cmwq", 0) == 0; }

// Best non-cmwq value of a metric; higher_better picks max, else min.
std::optional<std::pair<double, std::string>> best_peer(const std::string& w, const std::vector<std::string>& peers,
                                                        const std::string& m, bool higher_better) {
  std::optional<std::pair<double, std::string>> best;
  for (auto& p : peers) {
    if (is_cmwq(p)) continue;
    auto v = med(w, p, m);
    if (!v) continue;
    if (!best || (higher_better ? *v > best->first : *v < best->first)) best = {{*v, p}};
  }
  return best;
}

std::optional<std::pair<double, std::string>> best_cmwq(const std::string& w, const std::vector<std::string>& peers,
                                                        const std::string& m, bool higher_better) {
  std::optional<std::pair<double, std::string>> best;
  for (auto& p : peers) {
    if (!is_cmwq(p)) continue;
    auto v = med(w, p, m);
    if (!v) continue;
    if (!best || (higher_better ? *v > best->first : *v < best->first)) best = {{*v, p}};
  }
  return best;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string fmt_opt(const char* f, std::optional<double> v) { return v ? fmt(f, *v) : "n/a"; }
std::string ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return "n/a";
  return fmt("%.2fx", *a / *b);
}
std::string si(double v) {  // 1234567 -> "1.23 M"
  if (v >= 1e9) return fmt("%.2f G", v / 1e9);
  if (v >= 1e6) return fmt("%.2f M", v / 1e6);
  if (v >= 1e3) return fmt("%.1f k", v / 1e3);
  return fmt("%.0f", v);
}
std::string us(std::optional<double> ns) { return ns ? fmt(*ns >= 100000 ? "%.0f" : "%.1f", *ns / 1000.0) : "n/a"; }

void write_outputs(const std::string& dir) {
  FILE* md = std::fopen((dir + "/table.md").c_str(), "w");
  if (!md) die("cannot write %s/table.md", dir.c_str());

  const auto call = med("floor", "call", "ns");
  const auto line = med("floor", "cacheline", "rtt_ns");
  const auto fpp = med("floor", "futex_pingpong", "one_way_ns");
  const auto fw = med("floor", "futex_wake", "p50_ns");

  // ---- floors
  std::fprintf(md, "### Floors (measured in the same run)\n\n");
  std::fprintf(md, "| floor | median | what |\n|---|---|---|\n");
  std::fprintf(md, "| plain call | %s ns | a non-inlined function call |\n", fmt_opt("%.2f", call).c_str());
  std::fprintf(md, "| cache-line round trip | %s ns | two threads pinned to CPUs 0 and 1 bouncing one atomic |\n",
               fmt_opt("%.0f", line).c_str());
  std::fprintf(md, "| futex ping-pong, one way | %s us | two unpinned threads waking each other (FUTEX_WAIT/WAKE) |\n",
               us(fpp).c_str());
  std::fprintf(md, "| futex wake of an idle thread, p50 / p99 | %s / %s us | the W3 protocol on one bare futex waiter, unpinned |\n",
               us(fw).c_str(), us(med("floor", "futex_wake", "p99_ns")).c_str());
  std::fprintf(md, "| the same, waiter on the waker's CPU | %s / %s us | both pinned to CPU 0 |\n",
               us(med("floor", "futex_wake_same_cpu", "p50_ns")).c_str(), us(med("floor", "futex_wake_same_cpu", "p99_ns")).c_str());
  std::fprintf(md, "| the same, waiter on the other CPU | %s / %s us | waker on CPU 0, waiter on CPU 1 |\n\n",
               us(med("floor", "futex_wake_cross_cpu", "p50_ns")).c_str(), us(med("floor", "futex_wake_cross_cpu", "p99_ns")).c_str());

  // ---- W1, W2
  const auto b1 = best_peer("W1", k_pool_peers, "tasks_per_s", true);
  const auto b2 = best_peer("W2", k_pool_peers, "tasks_per_s", true);
  std::fprintf(md, "### W1 fan-out and W2 multi-producer (%s empty tasks)\n\n", si(static_cast<double>(cfg.w1_tasks)).c_str());
  std::fprintf(md, "Ratios: tasks/s over the best peer's (higher is better); ns per task over the cache-line round trip.\n\n");
  std::fprintf(md, "| peer | W1 tasks/s | W1 vs best peer | W1 ns/task | vs cache line | W2 tasks/s | W2 vs best peer | W2 ns/task | vs cache line |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|\n");
  FILE* dat = std::fopen((dir + "/throughput.dat").c_str(), "w");
  std::fprintf(dat, "# peer W1_Mtasks_per_s W2_Mtasks_per_s\n");
  for (auto& p : k_pool_peers) {
    auto t1 = med("W1", p, "tasks_per_s"), t2 = med("W2", p, "tasks_per_s");
    auto n1 = med("W1", p, "ns_per_task"), n2 = med("W2", p, "ns_per_task");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), t1 ? si(*t1).c_str() : "n/a",
                 ratio(t1, b1 ? std::optional<double>(b1->first) : std::nullopt).c_str(), fmt_opt("%.0f", n1).c_str(),
                 ratio(n1, line).c_str(), t2 ? si(*t2).c_str() : "n/a",
                 ratio(t2, b2 ? std::optional<double>(b2->first) : std::nullopt).c_str(), fmt_opt("%.0f", n2).c_str(),
                 ratio(n2, line).c_str());
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), t1 ? *t1 / 1e6 : 0.0, t2 ? *t2 / 1e6 : 0.0);
  }
  std::fclose(dat);
  std::fprintf(md, "\n");

  // ---- W3
  const auto b3 = best_peer("W3", k_pool_peers, "p50_ns", false);
  std::vector<std::string> w3_peers = k_pool_peers;
  w3_peers.push_back("thread");
  std::fprintf(md, "### W3 wake latency (idle pool, %d samples, %d us apart)\n\n", cfg.w3_samples, cfg.w3_gap_us);
  std::fprintf(md, "From just before submit to the first instruction of the task. CPU/sample is the whole process's\n"
                   "CPU time per sample: it shows pools that buy latency by spinning.\n\n");
  std::fprintf(md, "| peer | p50 us | p99 us | max us | CPU/sample us | p50 vs best peer | p50 vs futex wake floor |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|\n");
  dat = std::fopen((dir + "/latency.dat").c_str(), "w");
  std::fprintf(dat, "# peer p50_us p99_us\n");
  for (auto& p : w3_peers) {
    auto p50 = med("W3", p, "p50_ns");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), us(p50).c_str(), us(med("W3", p, "p99_ns")).c_str(),
                 us(med("W3", p, "max_ns")).c_str(), fmt_opt("%.1f", med("W3", p, "cpu_us_per_sample")).c_str(),
                 ratio(p50, b3 ? std::optional<double>(b3->first) : std::nullopt).c_str(), ratio(p50, fw).c_str());
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), p50 ? *p50 / 1000 : 0.0, med("W3", p, "p99_ns").value_or(0) / 1000);
  }
  std::fprintf(dat, "\"futex floor\" %g %g\n", fw.value_or(0) / 1000, med("floor", "futex_wake", "p99_ns").value_or(0) / 1000);
  std::fclose(dat);
  std::fprintf(md, "\n");

  // ---- W4
  std::fprintf(md, "### W4 blocking mix (%d tasks of %d us CPU, every %dth also sleeps %d ms)\n\n", cfg.w4_tasks, cfg.w4_cpu_us,
               cfg.w4_sleep_every, cfg.w4_sleep_ms);
  std::fprintf(md, "Ideal bound = max(total CPU / %d cores, one task's CPU + sleep) = %s ms. Peak threads = the most\n"
                   "threads the peer added to the process (sampled every ms; for cmwq: its workers plus its timer\n"
                   "and sampler threads); the bound is cores + most tasks asleep at once + 2. CPU obtained = process\n"
                   "CPU time / (makespan x cores): a pool that idles CPUs, or a machine busy with other work, shows\n"
                   "well below 1.\n\n",
               g_ncpu, fmt_opt("%.1f", med("W4", k_w4_peers[0], "ideal_ms")).c_str());
  std::fprintf(md, "| peer | makespan ms | vs ideal | CPU obtained | peak threads | (cmwq workers) | most asleep at once | thread bound | within bound |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|\n");
  dat = std::fopen((dir + "/blocking.dat").c_str(), "w");
  std::fprintf(dat, "# peer makespan_over_ideal peak_threads\n");
  for (auto& p : k_w4_peers) {
    auto ms = med("W4", p, "makespan_ms"), r = med("W4", p, "makespan_over_ideal");
    auto pk = med("W4", p, "peak_threads"), sl = med("W4", p, "max_sleeping"), bd = med("W4", p, "thread_bound");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), fmt_opt("%.0f", ms).c_str(),
                 fmt_opt("%.2fx", r).c_str(), fmt_opt("%.2f", med("W4", p, "cpu_utilisation")).c_str(), fmt_opt("%.0f", pk).c_str(),
                 is_cmwq(p) ? fmt_opt("%.0f", med("W4", p, "peak_cmwq_workers")).c_str() : "", fmt_opt("%.0f", sl).c_str(),
                 fmt_opt("%.0f", bd).c_str(),
                 (pk && bd) ? (*pk <= *bd ? "yes" : "no") : "n/a");
    std::fprintf(dat, "\"%s\" %g %g\n", p.c_str(), r.value_or(0), pk.value_or(0));
  }
  std::fclose(dat);
  std::fprintf(md, "\n");

  // ---- W5
  std::vector<std::string> w5_rows = k_w5_peers;
  w5_rows.push_back("tbb");
  const auto ba = best_peer("W5", k_w5_peers, "arm_ns", false);
  const auto bc = best_peer("W5", k_w5_peers, "cancel_ns", false);
  std::fprintf(md, "### W5 timers (%s delayed tasks, delays uniform in [1 ms, 1 s], 90%% cancelled)\n\n",
               si(cfg.w5_timers).c_str());
  std::fprintf(md, "Arm and cancel: timers armed in chunks of 1,000, 900 of each chunk cancelled right after\n"
                   "(\"cancels that hit\": the share that found the timer still pending); \"in calls\" = the cost over\n"
                   "the plain-call floor. Bulk arm: all timers armed back to back. Lateness = when the task starts\n"
                   "minus (arm time + delay); negative = early. Bytes/timer = RSS growth from constructing and arming\n"
                   "all timers (all pending at once), divided by their number; sizeof = the object the caller keeps.\n\n");
  std::fprintf(md, "| peer | arm ns | vs best peer | in calls | cancel ns | vs best peer | in calls | cancels that hit | bulk arm ns | late p50 ms | late p99 ms | bytes/timer | sizeof |\n");
  std::fprintf(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  dat = std::fopen((dir + "/timers.dat").c_str(), "w");
  std::fprintf(dat, "# peer arm_ns cancel_ns bytes_per_timer\n");
  for (auto& p : w5_rows) {
    if (p == "tbb") {
      std::fprintf(md, "| tbb | n/a (oneTBB has no timers) | | | | | | | | | | | |\n");
      continue;
    }
    auto a = med("W5", p, "arm_ns"), c = med("W5", p, "cancel_ns");
    auto l50 = med("W5", p, "late_p50_us"), l99 = med("W5", p, "late_p99_us");
    std::fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.c_str(), fmt_opt("%.0f", a).c_str(),
                 ratio(a, ba ? std::optional<double>(ba->first) : std::nullopt).c_str(), ratio(a, call).c_str(),
                 fmt_opt("%.0f", c).c_str(), ratio(c, bc ? std::optional<double>(bc->first) : std::nullopt).c_str(),
                 ratio(c, call).c_str(),
                 fmt_opt("%.0f%%", med("W5", p, "cancel_ok_pct")).c_str(), fmt_opt("%.0f", med("W5", p, "bulk_arm_ns")).c_str(),
                 l50 ? fmt("%.2f", *l50 / 1000).c_str() : "n/a", l99 ? fmt("%.2f", *l99 / 1000).c_str() : "n/a",
                 fmt_opt("%.0f", med("W5", p, "bytes_per_timer")).c_str(), fmt_opt("%.0f", med("W5", p, "sizeof")).c_str());
    std::fprintf(dat, "\"%s\" %g %g %g\n", p.c_str(), a.value_or(0), c.value_or(0), med("W5", p, "bytes_per_timer").value_or(0));
  }
  std::fclose(dat);
  std::fprintf(md, "\n");

  // ---- targets
  std::fprintf(md, "### Targets\n\n| target | cmwq | reference | ratio | met |\n|---|---|---|---|---|\n");
  auto target_row = [&](const char* what, std::optional<std::pair<double, std::string>> cm,
                        std::optional<std::pair<double, std::string>> ref, const char* unit_fmt, bool met_if_ratio_ge,
                        double threshold) {
    if (!cm || !ref) {
      std::fprintf(md, "| %s | n/a | n/a | n/a | n/a |\n", what);
      return;
    }
    const double r = cm->first / ref->first;
    const bool met = met_if_ratio_ge ? r >= threshold : r <= threshold;
    std::fprintf(md, "| %s | %s (%s) | %s (%s) | %.2fx | %s |\n", what, fmt(unit_fmt, cm->first).c_str(), cm->second.c_str(),
                 fmt(unit_fmt, ref->first).c_str(), ref->second.c_str(), r, met ? "yes" : "**no**");
  };
  auto scale = [](std::optional<std::pair<double, std::string>> v, double k) {
    if (v) v->first *= k;
    return v;
  };
  target_row("W1 >= 1.5x best peer (Mtasks/s)", scale(best_cmwq("W1", k_pool_peers, "tasks_per_s", true), 1e-6), scale(b1, 1e-6),
             "%.2f", true, 1.5);
  target_row("W2 >= 1.5x best peer (Mtasks/s)", scale(best_cmwq("W2", k_pool_peers, "tasks_per_s", true), 1e-6), scale(b2, 1e-6),
             "%.2f", true, 1.5);
  target_row("W3 p50 <= 1.5x futex wake floor (us)", scale(best_cmwq("W3", k_pool_peers, "p50_ns", false), 1e-3),
             fw ? std::optional<std::pair<double, std::string>>({*fw / 1000, "floor"}) : std::nullopt, "%.1f", false, 1.5);
  for (auto& p : k_w4_peers) {
    if (!is_cmwq(p)) continue;
    auto r = med("W4", p, "makespan_over_ideal");
    auto pk = med("W4", p, "peak_threads"), bd = med("W4", p, "thread_bound");
    if (!r || !pk || !bd) continue;
    std::fprintf(md, "| W4 makespan <= 1.2x ideal, threads <= bound | %s: %.2fx, %.0f threads | bound %.0f threads | %.2fx | %s |\n",
                 p.c_str(), *r, *pk, *bd, *r, (*r <= 1.2 && *pk <= *bd) ? "yes" : "**no**");
  }
  for (const char* p : {"cmwq.c", "cmwq.cxx"}) {
    auto a = med("W5", p, "arm_ns"), c = med("W5", p, "cancel_ns"), b = med("W5", p, "bytes_per_timer");
    auto pa = std::optional<std::pair<double, std::string>>(a ? std::optional<std::pair<double, std::string>>({*a, p}) : std::nullopt);
    auto pc = std::optional<std::pair<double, std::string>>(c ? std::optional<std::pair<double, std::string>>({*c, p}) : std::nullopt);
    target_row((std::string("W5 arm <= best peer (ns), ") + p).c_str(), pa, ba, "%.0f", false, 1.0);
    target_row((std::string("W5 cancel <= best peer (ns), ") + p).c_str(), pc, bc, "%.0f", false, 1.0);
    if (b)
      std::fprintf(md, "| W5 <= 100 bytes per pending delayed work, %s | %.0f B (RSS), %s B (sizeof) | 100 B | %.2fx | %s |\n", p, *b,
                   fmt_opt("%.0f", med("W5", p, "sizeof")).c_str(), *b / 100, *b <= 100 ? "yes" : "**no**");
  }
  std::fprintf(md, "\n");
  std::fclose(md);

  // ---- gnuplot script (bench.sh runs it; PNGs go to $IMG)
  FILE* gp = std::fopen((dir + "/plots.gp").c_str(), "w");
  std::fprintf(gp, "img = system('echo $IMG')\n"
                   "set terminal pngcairo size 900,480 font 'sans,10' noenhanced\n"
                   "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                   "set boxwidth 0.9\nset xtics rotate by -30 nomirror\nset grid ytics\nset key top left opaque box\n"
                   "set yrange [0:*]\n"
                   "set output img.'/bench-throughput.png'\n"
                   "set title 'W1 fan-out and W2 multi-producer: million empty tasks per second (higher is better)'\n"
                   "set ylabel 'Mtasks/s'\n"
                   "plot '%1$s/throughput.dat' using 2:xtic(1) title 'W1 one producer', '' using 3 title 'W2 one producer per core'\n"
                   "set output img.'/bench-latency.png'\n"
                   "set title 'W3 wake latency of an idle pool (lower is better; log scale)'\n"
                   "set ylabel 'microseconds'\nset yrange [*:*]\nset logscale y\n"
                   "plot '%1$s/latency.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n"
                   "unset logscale y\nset yrange [0:*]\n"
                   "set output img.'/bench-blocking.png'\n"
                   "set multiplot layout 1,2 title 'W4 blocking mix'\n"
                   "set title 'makespan / ideal bound (lower is better; dashed: 1.2x)'\nset ylabel 'x ideal'\n"
                   "set arrow 1 from graph 0, first 1.2 to graph 1, first 1.2 nohead dt 2 lw 1.5\nunset key\n"
                   "plot '%1$s/blocking.dat' using 2:xtic(1) notitle lc rgb '#4477aa'\n"
                   "unset arrow 1\n"
                   "set title 'peak threads added (log scale)'\nset ylabel 'threads'\nset yrange [1:*]\nset logscale y\n"
                   "plot '%1$s/blocking.dat' using 3:xtic(1) notitle lc rgb '#cc6677'\n"
                   "unset logscale y\nset yrange [0:*]\nunset multiplot\n"
                   "set output img.'/bench-timers.png'\nset key top left opaque box\n"
                   "set multiplot layout 1,2 title 'W5 timers: %2$d armed, 90%% cancelled'\n"
                   "set title 'ns per arm / cancel (lower is better; log scale)'\nset ylabel 'ns'\n"
                   "set yrange [10:*]\nset logscale y\n"
                   "plot '%1$s/timers.dat' using 2:xtic(1) title 'arm', '' using 3 title 'cancel'\n"
                   "unset logscale y\nset yrange [0:*]\n"
                   "set title 'bytes per pending timer (RSS; dashed: 100 B)'\nset ylabel 'bytes'\n"
                   "set arrow 2 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 1.5\nunset key\n"
                   "plot '%1$s/timers.dat' using 4:xtic(1) notitle lc rgb '#228833'\n"
                   "unset multiplot\n",
               dir.c_str(), cfg.w5_timers);
  std::fclose(gp);
}

// Loads an existing results.jsonl (--report): re-renders the table and plots without measuring.
int report_main(const std::string& path) {
  FILE* in = std::fopen(path.c_str(), "r");
  if (!in) die("cannot read %s", path.c_str());
  char buf[1024];
  while (std::fgets(buf, sizeof buf, in)) {
    const std::string l(buf);
    if (l.find("\"metric\"") == std::string::npos) continue;
    g_values[{field(l, "workload"), field(l, "peer"), field(l, "metric")}].push_back(std::strtod(field(l, "value").c_str(), nullptr));
  }
  std::fclose(in);
  write_outputs(cfg.out_dir);
  return 0;
}

int parent_main() {
  const auto jobs = all_jobs();
  const std::string results = cfg.out_dir + "/results.jsonl";
  FILE* out = std::fopen(results.c_str(), "w");
  if (!out) die("cannot write %s", results.c_str());
  const std::uint64_t start = now_ns();
  for (int rep = 0; rep < cfg.reps; rep++) {
    g_rep = rep;
    for (const auto& jb : jobs) {
      const std::uint64_t t0 = now_ns();
      bool ok = false;
      auto lines = run_child(jb, 120, &ok);
      for (auto& l : lines) {
        std::fprintf(out, "%s\n", l.c_str());
        const double v = std::strtod(field(l, "value").c_str(), nullptr);
        g_values[{field(l, "workload"), field(l, "peer"), field(l, "metric")}].push_back(v);
      }
      std::fflush(out);
      std::fprintf(stderr, "rep %d %-5s %-28s %6.2fs %s\n", rep + 1, jb.workload.c_str(), jb.peer.c_str(),
                   static_cast<double>(now_ns() - t0) * 1e-9, ok ? "" : "FAILED (no or partial result)");
    }
  }
  std::fclose(out);
  write_outputs(cfg.out_dir);
  std::fprintf(stderr, "done in %.0f s: %s, %s/table.md, %s/plots.gp\n", static_cast<double>(now_ns() - start) * 1e-9,
               results.c_str(), cfg.out_dir.c_str(), cfg.out_dir.c_str());
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: cmwq_compare [--out DIR] [--reps N] [--quick] [--only W1,W2,W3,W4,W5,floor]\n"
               "  --quick  smaller workloads (W1 200k tasks, W3 2,000 samples, W5 50k timers), for a smoke test\n"
               "  --job W PEER  run one measurement in this process and print its JSON lines (debugging)\n"
               "  --report FILE re-render table.md and the plot inputs in --out from an existing results.jsonl\n");
}

}  // namespace

int main(int argc, char** argv) {
  g_ncpu = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::optional<job> single;
  std::string report;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") cfg.out_dir = next();
    else if (a == "--reps") cfg.reps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--quick") {
      cfg.quick = true;
      cfg.w1_tasks = 200000;
      cfg.w3_samples = 2000;
      cfg.w5_timers = 50000;
    } else if (a == "--only") {
      std::string s = next();
      std::size_t p = 0;
      while (p <= s.size()) {
        auto e = s.find(',', p);
        if (e == std::string::npos) e = s.size();
        if (e > p) cfg.only.insert(s.substr(p, e - p));
        p = e + 1;
      }
    } else if (a == "--report") {
      report = next();
    } else if (a == "--job") {
      std::string w = next();
      single = job{w, next()};
    } else {
      usage();
      return 2;
    }
  }
  if (single) {
    g_out = stdout;
    run_job_in_child(*single);
    std::fflush(stdout);
    _exit(0);
  }
  mkdir(cfg.out_dir.c_str(), 0755);
  if (!report.empty()) return report_main(report);
  return parent_main();
}
