// Measures what concurrency management costs: the cooperative hooks, the manager thread, and how
// fast an unannotated block or a CPU hog is noticed. Run it once per CMWQ_CM_OBSERVE value
// (perf, proc, off) to compare the mechanisms (docs/concurrency.md).
#include <cmwq/cmwq.hpp>
#include <linux/workqueue.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <memory>
#include <vector>
#include "core/context.hpp"
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;
static double now_us() { return std::chrono::duration<double, std::micro>(clk::now().time_since_epoch()).count(); }
// CPU time of thread `tid` in ms, exact: the scheduler's run time in ns (/proc schedstat), which
// counts only that thread however loaded the machine is (stat's clock ticks have 10 ms steps).
static double thread_cpu_ms(pid_t tid) {
  char p[64]; snprintf(p, sizeof p, "/proc/self/task/%d/schedstat", tid);
  FILE* f = fopen(p, "r"); if (!f) return -1; unsigned long long ns = 0; if (fscanf(f, "%llu", &ns) != 1) ns = 0; fclose(f);
  return ns / 1e6;
}
static pid_t find_thread(const char* name) {
  DIR* d = opendir("/proc/self/task"); pid_t found = 0; while (auto* e = readdir(d)) { if (e->d_name[0] == '.') continue; char p[300], c[32] = {}; snprintf(p, sizeof p, "/proc/self/task/%s/comm", e->d_name); FILE* f = fopen(p, "r"); if (f) { if (fgets(c, sizeof c, f) && !strncmp(c, name, strlen(name))) found = atoi(e->d_name); fclose(f); } } closedir(d); return found;
}
// Voluntary plus involuntary context switches of thread `tid` (/proc status).
static long ctx_switches(pid_t tid) {
  char p[64]; snprintf(p, sizeof p, "/proc/self/task/%d/status", tid); FILE* f = fopen(p, "r"); if (!f) return -1;
  char line[256];
  long total = 0, v;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 || sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
      total += v;
  fclose(f);
  return total;
}
static void burn_ms(double ms) { timespec a, b; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); do clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b); while ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6 < ms); }
static double median(std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; }
static double pct(std::vector<double> v, double p) { std::sort(v.begin(), v.end()); return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))]; }
static void plain_sleep_us(long us) { timespec ts{us / 1000000, (us % 1000000) * 1000}; while (nanosleep(&ts, &ts) != 0) {} }
// Manager CPU over `ms` while a bound worker burns the CPU, with or without an item pending behind it.
static void manager_cpu(const cmwq::queue& wq, bool pending, const char* what) {
  std::atomic<pid_t> busy_tid{0};
  cmwq::work busy([&] { busy_tid = gettid(); burn_ms(2000); });
  cmwq::work after([] {});
  wq.enqueue_on(0, busy); if (pending) wq.enqueue_on(0, after); std::this_thread::sleep_for(50ms);
  // The busy worker's context switches count the preemptions by other processes: on a loaded
  // machine each one writes two records, and while an item is pending behind the worker each
  // record wakes the manager (docs/concurrency.md). On a quiet machine there are none.
  pid_t cm = find_thread("cmwq-cm"); double c0 = thread_cpu_ms(cm); long s0 = ctx_switches(cm), p0 = ctx_switches(busy_tid); double w0 = now_us();
  busy.flush(); double c1 = thread_cpu_ms(cm); long s1 = ctx_switches(cm), p1 = ctx_switches(busy_tid); double w1 = now_us(); after.flush();
  const double secs = (w1 - w0) / 1e6;
  printf("manager thread CPU while one bound worker is busy%s: %.2f%% of one core (%.1f ms over %.0f ms; manager woke %.0f/s, "
         "the worker was switched out %.0f/s)\n", what, 100.0 * (c1 - c0) / ((w1 - w0) / 1000), c1 - c0, (w1 - w0) / 1000,
         (s1 - s0) / secs, (p1 - p0) / secs);
}
// 1. hooks outside a worker
static void hooks_outside_a_worker() {
  const int n = 10'000'000; double t0 = now_us(); for (int i = 0; i < n; i++) { cmwq::core::blocking_begin(); cmwq::core::blocking_end(); } double t1 = now_us();
  printf("hooks outside a worker: %.1f ns per begin+end pair\n", (t1 - t0) * 1000 / n);
}

// 2. hooks inside a worker (one pair per item, nothing else pending)
static void hooks_inside_a_worker(const cmwq::queue& wq) {
  std::atomic<double> per{0};
  cmwq::work w([&] { const int m = 1'000'000; double a = now_us(); for (int i = 0; i < m; i++) { cmwq::blocking_scope b; } per = (now_us() - a) * 1000 / m; });
  wq.enqueue_on(0, w); w.flush();
  printf("hooks inside a bound worker: %.1f ns per begin+end pair\n", per.load());
}

// 3. manager cost while a bound worker is busy for 2 s, without blocking
static void manager_cost(const cmwq::queue& wq) {
  printf("observer: %s\n", cmwq_cm_observe());
  cmwq_set_cpu_intensive_thresh_us(0);
  manager_cpu(wq, false, "");
  manager_cpu(wq, true, " with an item pending behind it");
}

// 3b. the cheapest exact thread CPU clock of another thread: clock_gettime vs /proc schedstat
static void thread_cpu_clock_cost(const cmwq::queue& wq) {
  {
    cmwq::work probe([&] {
      clockid_t c; pthread_getcpuclockid(pthread_self(), &c); timespec ts; const int m = 200000;
      double a = now_us(); for (int i = 0; i < m; i++) clock_gettime(c, &ts); double ns_clock = (now_us() - a) * 1000 / m;
      char p[64]; snprintf(p, sizeof p, "/proc/self/task/%ld/schedstat", (long)gettid()); int fd = open(p, O_RDONLY); char b[128];
      a = now_us(); for (int i = 0; i < m; i++) (void)!pread(fd, b, sizeof b, 0); double ns_stat = (now_us() - a) * 1000 / m; close(fd);
      printf("thread CPU time read: clock_gettime(thread clock) %.0f ns, pread(schedstat) %.0f ns\n", ns_clock, ns_stat);
    });
    wq.enqueue_on(0, probe); probe.flush();
  }
}

// 4. unannotated blocking: from the nanosleep() call to the start of the item queued behind it.
// CMWQ_CM_COST_REPS repetitions of 201 runs (default 5); the medians of their p50 and p99 are the
// figures to quote: one run's p99 is two samples, at the mercy of one preemption.
static void unannotated_sleep_latency(const cmwq::queue& wq) {
  const char* e = getenv("CMWQ_CM_COST_REPS");
  const int reps = e && atoi(e) > 0 ? atoi(e) : 5;
  std::vector<double> p50s, p90s, p99s, maxs;
  for (int rep = 0; rep < reps; rep++) {
    std::vector<double> lat;
    for (int r = 0; r < 201; r++) {
      std::atomic<double> slept{0}, second{0};
      cmwq::work a([&] { burn_ms(0.2); slept = now_us(); plain_sleep_us(5000); });
      cmwq::work b([&] { second = now_us(); });
      wq.enqueue_on(0, a); wq.enqueue_on(0, b); b.flush(); a.flush();
      lat.push_back(second - slept);
    }
    p50s.push_back(pct(lat, 0.5)); p90s.push_back(pct(lat, 0.9)); p99s.push_back(pct(lat, 0.99)); maxs.push_back(pct(lat, 1.0));
    printf("  run %d: p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n", rep + 1, p50s.back(), p90s.back(), p99s.back(), maxs.back());
  }
  printf("unannotated sleep -> next item start: p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us (medians of %d runs of 201)\n",
         median(p50s), median(p90s), median(p99s), median(maxs), reps);
}

// 4b. kernel-style items: 16 items on one CPU's queue, each sleeping 1 ms in usleep()
static void usleep_items_on_one_cpu(const cmwq::queue& wq) {
  std::vector<double> lat;
  for (int r = 0; r < 21; r++) {
    std::vector<std::unique_ptr<cmwq::work>> ks;
    for (int i = 0; i < 16; i++) ks.push_back(std::make_unique<cmwq::work>([] { usleep(1000); }));
    const double a = now_us();
    for (auto& k : ks) wq.enqueue_on(0, *k);
    for (auto& k : ks) k->flush();
    lat.push_back((now_us() - a) / 1000);
  }
  printf("16 items sleeping 1 ms in usleep on one CPU: makespan %.2f ms median of 21 (serial: 16 ms)\n", median(lat));
}

// 5. CPU hog noticed after (threshold 10 ms)
static void cpu_hog_latency(const cmwq::queue& wq) {
  cmwq_set_cpu_intensive_thresh_us(10000);
  std::vector<double> lat;
  for (int r = 0; r < 11; r++) {
    std::atomic<double> start{0}, second{0};
    cmwq::work a([&] { start = now_us(); burn_ms(40); });
    cmwq::work b([&] { second = now_us(); });
    wq.enqueue_on(0, a); wq.enqueue_on(0, b); b.flush(); a.flush();
    lat.push_back((second - start) / 1000);
  }
  printf("CPU hog (10 ms threshold): next item started after %.2f ms (median of 11)\n", median(lat));
}

// 6. cooperative block: next item starts after
static void annotated_block_latency(const cmwq::queue& wq) {
  std::vector<double> lat;
  for (int r = 0; r < 21; r++) {
    std::atomic<double> start{0}, second{0};
    cmwq::work a([&] { start = now_us(); cmwq::blocking_scope bs; std::this_thread::sleep_for(20ms); });
    cmwq::work b([&] { second = now_us(); });
    wq.enqueue_on(0, a); wq.enqueue_on(0, b); b.flush(); a.flush();
    lat.push_back((second - start) / 1000);
  }
  printf("annotated block: next item started after %.3f ms (median of 21)\n", median(lat));
}

// 7. item 5 of issue 10 (the idle spare): what replacing a blocked worker costs when an idle
static void replacement_worker_cost() {
  //    worker is woken (the kernel's rule keeps one) against creating a thread then, as a pool
  //    without the spare would have to: call to first instruction of the replacement, alternating.
  {
    std::vector<double> wake, create;
    std::atomic<int> go{0};
    std::atomic<double> woke_at{0};
    std::thread parked([&] {
      for (int i = 1; i <= 201; i++) {
        while (go.load() < i) go.wait(i - 1);
        woke_at = now_us();
        woke_at.notify_all();
      }
    });
    for (int i = 1; i <= 201; i++) {
      std::this_thread::sleep_for(1ms);  // the idle thread is asleep in its futex
      woke_at = 0; double a = now_us(); go.store(i); go.notify_one();
      while (woke_at.load() == 0) woke_at.wait(0);
      wake.push_back(woke_at - a);
      std::atomic<double> ran{0}; a = now_us();
      std::thread t([&] { ran = now_us(); }); t.join();
      create.push_back(ran - a);
    }
    parked.join();
    printf("replacement worker runs after: woken idle thread p50 %.1f us p99 %.1f us; new thread p50 %.1f us p99 %.1f us\n",
           pct(wake, 0.5), pct(wake, 0.99), pct(create, 0.5), pct(create, 0.99));
  }
}

// 8. an idle process wakes nothing: the manager's context switches over 1 s, after its linger
static void idle_process_wakeups() {
  std::this_thread::sleep_for(300ms);
  pid_t cm = find_thread("cmwq-cm");
  const long s0 = ctx_switches(cm);
  std::this_thread::sleep_for(1s);
  printf("idle process: manager thread woke %ld times in 1 s\n", ctx_switches(cm) - s0);
}

int main() {
  cpu_set_t s; CPU_ZERO(&s); CPU_SET(0, &s); sched_setaffinity(0, sizeof s, &s);
  hooks_outside_a_worker();
  auto wq = cmwq::builder::percpu().build("cm-cost");
  hooks_inside_a_worker(wq.ref());
  manager_cost(wq.ref());
  thread_cpu_clock_cost(wq.ref());
  unannotated_sleep_latency(wq.ref());
  usleep_items_on_one_cpu(wq.ref());
  cpu_hog_latency(wq.ref());
  annotated_block_latency(wq.ref());
  replacement_worker_cost();
  idle_process_wakeups();
}
