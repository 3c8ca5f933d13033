// tools/cmwq-torture/main.cpp - cmwq-torture: random concurrent workqueue operations with online
// invariant checks, in the manner of the kernel's rcutorture (issue 5, part 1). This file: the
// options, the run and the report; torture.hpp names the other parts.
//
//   cmwq-torture [--threads N] [--duration-s S] [--seed N] [--quiesce-every-ms MS] [--queues N]
//                [--items N] [--op-timeout-s S] [--exclude OP,OP...] [--faults SPEC]
//                [--allow-warnings] [--verbose]
//
// N torture threads perform random operations of the kernel-style C API (<linux/workqueue.h>) on
// a shared population of work items, for a set time. The population is split into per-queue item
// pools ("slots"): the items of a slot are only ever queued on that slot's queue, so a queue can
// be destroyed and allocated again (with a new random flavour) once its own items are settled,
// and no item is ever freed or re-initialised while it could be queued.
//
// Invariants checked online (semantics.md section 4) - each failure is printed as a VIOLATION
// line with the seed, and makes the exit status non-zero:
//   R2/R26   accounting: every queue call that returned true is matched by exactly one execution
//            or one cancel/disable that returned true. Checked exactly whenever a slot is settled
//            (drain, destroy, periodic quiesce, end): succ - cancels == executions; in between as
//            a lower bound after every flush.
//   R4/R39   a queue call on an item the torture disabled returns false.
//   R5       no item runs concurrently with itself (per-item running flag, checked on entry).
//   R8       ordered queues run one item at a time, in queueing order (sequence numbers given
//            under a per-queue lock that also covers the queue call).
//   R11/R12  max_active is never exceeded: per pwq (worker's CPU) and in total for per-CPU queues,
//            system-wide for unbound ones. A lowered limit does not preempt running items (R14),
//            so the limit checked is the largest one set since the slot was last settled.
//   R15-R19  after flush_work / flush_delayed_work / flush_workqueue returns, everything queued
//            before the call has finished (executions + cancels >= successes recorded before),
//            allowing the two races the kernel has too (see flush_work_op in operations.cpp).
//   R27      after cancel_*_sync / disable_*_sync returns, work_busy() == 0 (the item is private
//            to the cancelling thread meanwhile, so nobody else can queue it again).
//   R38/R40  disable/enable return values against the tracked disable count.
//   5.13     once freeze_workqueues_busy() said false, no item of a freezable queue starts until
//            thaw_workqueues().
//   D4       no WARNING is printed (the torture uses the API correctly), unless --allow-warnings.
//   R33      no workqueue is leaked at the end (cmwq_live_workqueues() == 0).
//
// Every blocking operation runs under a deadline (--op-timeout-s): if one passes, the tool prints
// the operation, the seed and show_all_workqueues(), and exits with status 3. The seed decides
// every random choice of each thread; thread interleavings are not reproducible, so a failing
// seed reproduces the mix of operations, not the exact schedule.
//
// Faults (--faults SPEC, or CMWQ_FAULT_INJECT; docs/faults.md): the same invariants must hold
// while worker creation, queue allocation and wake-ups misbehave, the timer thread stalls and
// signals interrupt the torture threads' waits. A queue allocation that fails with an injected
// fault is retried; one that fails without is a violation. The injected counts are printed.
//
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "torture.hpp"

namespace cmwq_torture {

options opt;

namespace {

// ---- options --------------------------------------------------------------------------------------

void usage(FILE* f) {
  std::fprintf(f,
               "usage: cmwq-torture [options]\n"
               "  --threads N            torture threads (default 4)\n"
               "  --duration-s S         run time in seconds (default 10; env CMWQ_TORTURE_SECONDS overrides)\n"
               "  --seed N               random seed (default: random, printed)\n"
               "  --quiesce-every-ms MS  stop all threads, settle every queue and check the exact\n"
               "                         accounting every MS ms (default 1000; 0: only at the end)\n"
               "  --queues N             queues (slots), each with its own items (default 6)\n"
               "  --items N              items per queue, half of them delayed_work (default 16)\n"
               "  --max-active N         largest max_active set (default 8)\n"
               "  --op-timeout-s S       deadline of one blocking operation (default 60)\n"
               "  --exclude A,B,...      leave out operations: ");
  for (const auto& d : op_table) std::fprintf(f, "%s ", d.name);
  std::fprintf(f,
               "%s %s\n"
               "  --kinds A,B,...        queue kinds to allocate: percpu,unbound,ordered (default all)\n"
               "  --flags A,B,...        extra flags drawn at random: highpri,mem_reclaim,freezable,\n"
               "                         cpu_intensive (default all; 'none' for none)\n"
               "  --faults SPEC          inject faults meanwhile (docs/faults.md), e.g.\n"
               "                         worker_create:probability=20,spurious_wakeup:probability=20,signal\n"
               "  --allow-warnings       do not count library WARNINGs as violations\n"
               "  --verbose              print every queue allocation\n",
               k_self_requeue, k_sleep);
}

bool g_duration_from_env = false;

// --kinds (queue kinds, a bit each) or --flags (WQ_* drawn at random): a comma-separated list.
bool parse_mask(const std::string& option, const std::string& list) {
  const bool kinds = option == "--kinds";
  unsigned mask = 0;
  std::size_t pos = 0;
  while (pos < list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, comma - pos);
    if (kinds && name == "percpu") mask |= 1;
    else if (kinds && name == "unbound") mask |= 2;
    else if (kinds && name == "ordered") mask |= 4;
    else if (!kinds && name == "highpri") mask |= WQ_HIGHPRI;
    else if (!kinds && name == "mem_reclaim") mask |= WQ_MEM_RECLAIM;
    else if (!kinds && name == "freezable") mask |= WQ_FREEZABLE;
    else if (!kinds && name == "cpu_intensive") mask |= WQ_CPU_INTENSIVE;
    else if (!kinds && name == "none") {
    } else {
      std::fprintf(stderr, "cmwq-torture: unknown %s entry '%s'\n", option.c_str(), name.c_str());
      return false;
    }
    pos = comma + 1;
  }
  (kinds ? opt.kinds : opt.extra_flags) = mask;
  return !(kinds && !mask);
}

// --exclude: operations (op_table) and pseudo-operations to leave out.
bool parse_exclude(const std::string& list) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, comma - pos);
    bool known = name == k_self_requeue || name == k_sleep;
    for (const auto& d : op_table) known |= name == d.name;
    if (!known) {
      std::fprintf(stderr, "cmwq-torture: unknown operation '%s'\n", name.c_str());
      return false;
    }
    opt.exclude.insert(name);
    pos = comma + 1;
  }
  return true;
}

// After the arguments: the environment's duration, a random seed unless one was given, and the
// range of every value.
bool finish_options(bool seeded) {
  if (const char* env = std::getenv("CMWQ_TORTURE_SECONDS"); env && *env) {
    opt.duration_s = std::atof(env);
    g_duration_from_env = true;
  }
  if (!seeded) opt.seed = (static_cast<u64>(std::random_device{}()) << 32) ^ std::random_device{}();
  if (opt.threads < 1 || opt.queues < 1 || opt.items < 1 || opt.max_limit < 1 || opt.op_timeout_s < 1 ||
      opt.duration_s < 0 || opt.quiesce_ms < 0) {
    std::fprintf(stderr, "cmwq-torture: invalid option value\n");
    return false;
  }
  return true;
}

bool parse(int argc, char** argv) {
  bool seeded = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cmwq-torture: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") opt.threads = std::atoi(value("--threads"));
    else if (a == "--duration-s") opt.duration_s = std::atof(value("--duration-s"));
    else if (a == "--seed") { opt.seed = std::strtoull(value("--seed"), nullptr, 0); seeded = true; }
    else if (a == "--quiesce-every-ms") opt.quiesce_ms = std::atoi(value("--quiesce-every-ms"));
    else if (a == "--queues") opt.queues = std::atoi(value("--queues"));
    else if (a == "--items") opt.items = std::atoi(value("--items"));
    else if (a == "--max-active") opt.max_limit = std::atoi(value("--max-active"));
    else if (a == "--op-timeout-s") opt.op_timeout_s = std::atoi(value("--op-timeout-s"));
    else if (a == "--kinds" || a == "--flags") {
      if (!parse_mask(a, value(a.c_str()))) return false;
    } else if (a == "--faults") opt.faults = value("--faults");
    else if (a == "--allow-warnings") opt.allow_warnings = true;
    else if (a == "--verbose") opt.verbose = true;
    else if (a == "--exclude") {
      if (!parse_exclude(value("--exclude"))) return false;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "cmwq-torture: unknown argument '%s'\n", a.c_str());
      return false;
    }
  }
  return finish_options(seeded);
}

// ---- the library's log and faults ----------------------------------------------------------------

// Log lines the library prints for an injected failure (a rescuer that could not be made), counted
// instead of printed: a fault run makes thousands. Everything else goes to standard error.
std::atomic<u64> g_fault_log_lines{0};
void log_sink(const char* line, void*) {
  if (std::strstr(line, "workqueue: Failed to allocate a rescuer") ||
      std::strstr(line, "workqueue: Failed to create a rescuer kthread")) {
    g_fault_log_lines.fetch_add(1);
    return;
  }
  std::lock_guard g(g_print_mu);
  std::fprintf(stderr, "%s\n", line);
}

// The faults injected during the run (--faults or CMWQ_FAULT_INJECT), if any.
void print_faults() {
  static const char* const points[] = {"worker_create", "wq_alloc", "timer_stall", "spurious_wakeup", "signal"};
  std::string line;
  for (const char* p : points)
    if (const unsigned long n = cmwq_fault_injected(p)) line += " " + std::string(p) + "=" + std::to_string(n);
  if (line.empty()) return;
  say("cmwq-torture: faults injected:%s; queue allocations failed: %llu (log lines about them: %llu)\n",
      line.c_str(), static_cast<unsigned long long>(g_alloc_failures.load()),
      static_cast<unsigned long long>(g_fault_log_lines.load()));
}

// ---- the run --------------------------------------------------------------------------------------

double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

// The online CPUs, the pseudo-operations and the banner with the seed.
void announce() {
  {
    int cpu;
    for_each_online_cpu(cpu) g_cpus.push_back(cpu);
    g_nr_cpu_ids = static_cast<int>(nr_cpu_ids);
  }
  if (g_cpus.empty()) g_cpus.push_back(0);
  g_self_requeue = !excluded(k_self_requeue);
  g_sleep = !excluded(k_sleep);

  std::string excl;
  for (const auto& e : opt.exclude) excl += (excl.empty() ? "" : ",") + e;
  say("cmwq-torture: seed %llu (rerun with --seed %llu)\n", static_cast<unsigned long long>(opt.seed),
      static_cast<unsigned long long>(opt.seed));
  say("cmwq-torture: %d threads, %.1f s%s, %d queues x %d items, quiesce every %d ms, %zu online CPUs%s%s\n",
      opt.threads, opt.duration_s, g_duration_from_env ? " (CMWQ_TORTURE_SECONDS)" : "", opt.queues, opt.items,
      opt.quiesce_ms, g_cpus.size(),
      excl.empty() ? "" : ", excluded: ", excl.c_str());
}

// The slots with their items, each with a first queue of a random flavour.
void make_slots() {
  std::mt19937_64 main_rng(opt.seed ^ 0x5deece66dULL);
  for (int q = 0; q < opt.queues; q++) {
    auto s = std::make_unique<slot>();
    s->id = q;
    s->cpu_active = std::make_unique<std::atomic<int>[]>(static_cast<std::size_t>(g_nr_cpu_ids));
    for (int i = 0; i < opt.items; i++) {
      auto it = std::make_unique<titem>();
      it->id = q * 1000 + i;
      it->delayed = i % 2 == 1;
      it->s = s.get();
      it->h.self = it.get();
      init_item(*it);
      s->items.push_back(std::move(it));
    }
    alloc_slot(*s, main_rng);
    g_slots.push_back(std::move(s));
  }
}

// What the run leaves for the report.
struct run_result {
  std::vector<op_stats> stats;  // per torture thread
  double ran = 0;               // seconds the torture threads ran
  unsigned quiesces = 0;        // periodic ones and the final drain
};

// Until the end of the run: periodic quiesces, and a progress line every 5 s. Returns the
// number of quiesces.
unsigned drive(clk::time_point start, op_clock& main_clock) {
  unsigned quiesces = 0;
  auto next_quiesce = start + std::chrono::milliseconds(opt.quiesce_ms);
  auto next_report = start + std::chrono::seconds(5);
  const auto end = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(opt.duration_s));
  while (clk::now() < end) {
    auto wake = std::min(end, next_report);
    if (opt.quiesce_ms) wake = std::min(wake, next_quiesce);
    std::this_thread::sleep_until(wake);
    const auto now = clk::now();
    if (opt.quiesce_ms && now >= next_quiesce && now < end) {
      quiesce_all("periodic quiesce", main_clock);
      quiesces++;
      next_quiesce = clk::now() + std::chrono::milliseconds(opt.quiesce_ms);
    }
    if (now >= next_report) {
      u64 execs = 0;
      for (auto& s : g_slots)
        for (auto& it : s->items) execs += it->exec.load();
      say("cmwq-torture: %5.1f s: %llu executions, %u quiesces, %lu violations\n", seconds_since(start),
          static_cast<unsigned long long>(execs), quiesces, g_violations.load());
      next_report += std::chrono::seconds(5);
    }
  }
  return quiesces;
}

// Starts the torture threads, drives the run, stops and joins them, then settles every queue
// and destroys them all with the final checks (R33: as many queues alive as `live0` before).
run_result run(op_clock& main_clock, std::size_t live0) {
  run_result res;
  res.stats.resize(static_cast<std::size_t>(opt.threads));
  std::vector<std::thread> threads;
  const auto start = clk::now();
  for (int t = 0; t < opt.threads; t++)
    threads.emplace_back([&res, t] {
      const auto i = static_cast<std::size_t>(t);
      run_torturer(t, *g_clocks[i], res.stats[i]);
    });
  res.quiesces = drive(start, main_clock);

  stop_torturers();
  {
    op_scope o(main_clock, "joining the torture threads");
    for (auto& t : threads) t.join();
  }
  res.ran = seconds_since(start);

  for (auto& s : g_slots) settle_slot(*s, "final drain", false, main_clock);
  res.quiesces++;
  for (auto& s : g_slots) settle_slot(*s, "final destroy_workqueue", true, main_clock);
  if (cmwq_live_workqueues() != live0)
    violation("R33: %zu workqueues still alive after destroying them all (expected %zu)", cmwq_live_workqueues(), live0);
  return res;
}

// The operation counts and totals, the faults, the warnings and the verdict. Returns the exit
// status: 1 if any invariant was violated.
int report(const run_result& res, unsigned long warn0) {
  op_stats total;
  for (const auto& st : res.stats)
    for (int o = 0; o < op_count; o++) {
      total.calls[o] += st.calls[o];
      total.trues[o] += st.trues[o];
      total.skips[o] += st.skips[o];
    }
  u64 execs = 0, succ = 0, canc = 0;
  for (auto& s : g_slots)
    for (auto& it : s->items) {
      execs += it->exec.load();
      succ += it->succ.load();
      canc += it->canc.load();
    }
  say("cmwq-torture: operations (calls / returned true or done / skipped):\n");
  for (int o = 0; o < op_count; o++)
    if (!excluded(op_table[o].name))
      say("  %-16s %10llu %10llu %10llu\n", op_table[o].name, static_cast<unsigned long long>(total.calls[o]),
          static_cast<unsigned long long>(total.trues[o]), static_cast<unsigned long long>(total.skips[o]));
  say("cmwq-torture: %.1f s, %llu successful queueings, %llu cancels, %llu executions, %u quiesces\n", res.ran,
      static_cast<unsigned long long>(succ), static_cast<unsigned long long>(canc),
      static_cast<unsigned long long>(execs), res.quiesces);

  print_faults();
  const unsigned long warns = cmwq_warn_count() - warn0;
  if (warns && !opt.allow_warnings) violation("D4: the library printed %lu WARNING(s) (see above)", warns);
  const unsigned long v = g_violations.load();
  say("cmwq-torture: %s: %lu violations, %lu warnings (seed %llu)\n", v ? "FAILED" : "PASSED", v, warns,
      static_cast<unsigned long long>(opt.seed));
  return v ? 1 : 0;
}

}  // namespace
}  // namespace cmwq_torture

int main(int argc, char** argv) {
  using namespace cmwq_torture;
  if (!parse(argc, argv)) {
    usage(stderr);
    return 2;
  }
  announce();

  cmwq_set_log_hook(log_sink, nullptr);
  if (!opt.faults.empty() && cmwq_fault_inject(opt.faults.c_str()) != 0) {
    std::fprintf(stderr, "cmwq-torture: --faults: bad spec (see above)\n");
    return 2;
  }
  const unsigned long warn0 = cmwq_warn_count();
  const std::size_t live0 = cmwq_live_workqueues();

  for (int i = 0; i <= opt.threads; i++) g_clocks.push_back(std::make_unique<op_clock>());
  op_clock& main_clock = *g_clocks.back();

  make_slots();
  std::thread mon(monitor);
  const run_result res = run(main_clock, live0);
  g_monitor_stop.store(true);
  mon.join();
  return report(res, warn0);
}
