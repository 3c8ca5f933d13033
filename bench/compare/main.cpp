// bench/compare/main.cpp - cmwq_compare: cmwq against its peers, the same workloads side by side in
// one run. This file: the options and the parent; compare.hpp names the other parts.
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
//   S scaling          cmwq only: 1, 2, 4, 8 producers (--producers), ns per item, lock wait/hold
//   floor              cache-line ping-pong, futex wake, plain call: what the hardware allows
//
// Method. The parent process never creates a thread: it forks one child per (repetition, workload,
// peer), so every measurement starts from a fresh process (clean thread counts, no leftover
// spinning threads of another peer) and repetitions of different peers interleave in time, which
// spreads the noise of a shared machine evenly. A child prints JSON lines to a pipe and leaves with
// _exit(), skipping teardown. The parent writes every line to DIR/results.jsonl, takes the median
// over the repetitions and writes DIR/table.md (markdown), DIR/*.dat and DIR/plots.gp (gnuplot).
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compare/compare.hpp"
#include "compare/report.hpp"
#include "compare/workloads.hpp"

namespace cmwq_bench {
namespace {

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
        record_line(l);
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

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> v;
  std::size_t p = 0;
  while (p <= s.size()) {
    auto e = s.find(',', p);
    if (e == std::string::npos) e = s.size();
    if (e > p) v.push_back(s.substr(p, e - p));
    p = e + 1;
  }
  return v;
}

void usage() {
  std::fprintf(stderr,
               "usage: cmwq_compare [--out DIR] [--reps N] [--quick] [--only W1,W2,W3,W4,W5,S,floor] [--producers 1,2,4,8]\n"
               "                    [--peers P1,P2]\n"
               "  --quick  smaller workloads (W1 200k tasks, W3 2,000 samples, W5 50k timers), for a smoke test\n"
               "  --peers  only these peers (floors always run), e.g. cmwq.percpu,cmwq.unbound,mutex_pool\n"
               "  --producers  the producer counts of the scaling workload S (default 1,2,4,8)\n"
               "  --job W PEER  run one measurement in this process and print its JSON lines (debugging)\n"
               "  --report FILE re-render table.md and the plot inputs in --out from an existing results.jsonl\n");
}

}  // namespace
}  // namespace cmwq_bench

int main(int argc, char** argv) {
  using namespace cmwq_bench;
  // The CPUs this process may run on (taskset, as scripts/scaling.sh uses), not all online ones.
  cpu_set_t allowed;
  g_ncpu = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed)
                                                                 : static_cast<int>(std::thread::hardware_concurrency());
  g_ncpu = std::max(1, g_ncpu);
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
      for (const std::string& w : split_list(next())) cfg.only.insert(w);
    } else if (a == "--peers") {
      for (const std::string& p : split_list(next())) cfg.peers.insert(p);
    } else if (a == "--producers") {
      cfg.producers.clear();
      for (const std::string& v : split_list(next()))
        if (std::atoi(v.c_str()) > 0) cfg.producers.push_back(std::atoi(v.c_str()));
      if (cfg.producers.empty()) {
        usage();
        return 2;
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
