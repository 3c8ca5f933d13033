// src/kmod/kmod_main.cpp - main() for kernel-style modules: load, run, raise interrupts, unload,
// and report what leaked.
//
//   <module> [name=value ...] [--run-ms N] [--irq LINE:COUNT:INTERVAL_US ...] [--report] [--help]
//
// The life of a module here is the life of a module in the kernel, compressed: parameters are
// set, module_init() runs (non-zero fails the load), the module stays loaded while interrupts
// arrive, module_exit() runs, and then the runner checks what the kernel's module loader and
// kmemleak would: workqueues not destroyed, kmalloc memory not freed, devres not released,
// interrupt handlers still installed, and any WARNING printed. Any of those makes the exit status
// non-zero, so a module under ctest fails on a leak as well as on a crash.
//
// Interrupt generators (--irq) are threads that call cmwq_irq_raise() COUNT times, one every
// INTERVAL_US microseconds at most (they do not catch up in bursts when delivery is slower). They
// keep running while module_exit() runs - unloading under interrupt load is the point of the
// devres examples - and are stopped once it returned.
//
// How long the module stays loaded: --run-ms N, or until SIGINT/SIGTERM; without --run-ms, until
// every generator finished (or at once when there are none).
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <dirent.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Optional: a program may define this (C linkage) to give argument defaults used when it is run
// without arguments; the demo uses it so that `cmwq_demo` alone shows something.
extern "C" const char* const cmwq_kmod_default_args __attribute__((weak));

namespace {

using clock_type = std::chrono::steady_clock;

struct irq_spec {
  unsigned int line = 0;
  unsigned long count = 0;
  unsigned long interval_us = 0;
};

struct options {
  long run_ms = -1;  // -1: not given
  std::vector<irq_spec> irqs;
  bool report = false;
  bool help = false;
  std::vector<std::string> params;
};

struct generator {
  irq_spec spec;
  std::thread thread;
  std::atomic<unsigned long> raised{0}, delivered{0}, lost{0}, latched{0};
  std::atomic<bool> done{false};
};

std::atomic<bool> g_stop_generators{false};

void usage(const char* prog) {
  const cmwq_module_info* m = cmwq_module_get();
  std::printf("usage: %s [name=value ...] [--run-ms N] [--irq LINE:COUNT:INTERVAL_US ...] [--report]\n", prog);
  std::printf("  runs the kernel-style module %s%s%s\n", m->name ? m->name : "(none)",
              m->description ? ": " : "", m->description ? m->description : "");
  std::printf("  --run-ms N        keep the module loaded N ms (default: until the --irq generators finish)\n");
  std::printf("  --irq L:C:I       raise interrupt line L, C times, at most one every I microseconds;\n");
  std::printf("                    generators keep running during module_exit() (repeatable)\n");
  std::printf("  --report          print the summary even when nothing went wrong\n");
  std::printf("  exit status: 0 ok; 1 init failed, leak or WARNING; 2 usage\n");
  std::size_t n = cmwq_module_param_count();
  if (n) std::printf("parameters:\n");
  for (std::size_t i = 0; i < n; ++i) {
    char buf[512];
    cmwq_module_param_describe(i, buf, sizeof buf);
    std::printf("  %s\n", buf);
  }
}

bool parse_irq(const char* s, irq_spec* out) {
  char* end;
  errno = 0;
  unsigned long line = std::strtoul(s, &end, 10);
  if (errno || *end != ':' || line >= CMWQ_NR_IRQS) return false;
  unsigned long count = std::strtoul(end + 1, &end, 10);
  if (errno || *end != ':') return false;
  unsigned long interval = std::strtoul(end + 1, &end, 10);
  if (errno || *end) return false;
  *out = {static_cast<unsigned int>(line), count, interval};
  return true;
}

// Returns 0, or 2 on a usage error (after printing it).
int parse_args(const std::vector<std::string>& args, options* o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* opt) -> const char* {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "kmod: %s needs a value\n", opt);
        return nullptr;
      }
      return args[++i].c_str();
    };
    if (a == "--help" || a == "-h") {
      o->help = true;
    } else if (a == "--report") {
      o->report = true;
    } else if (a == "--run-ms") {
      const char* v = value("--run-ms");
      if (!v) return 2;
      char* end;
      o->run_ms = std::strtol(v, &end, 10);
      if (*end || o->run_ms < 0) {
        std::fprintf(stderr, "kmod: bad --run-ms '%s'\n", v);
        return 2;
      }
    } else if (a == "--irq") {
      const char* v = value("--irq");
      if (!v) return 2;
      irq_spec spec;
      if (!parse_irq(v, &spec)) {
        std::fprintf(stderr, "kmod: bad --irq '%s' (want LINE:COUNT:INTERVAL_US)\n", v);
        return 2;
      }
      o->irqs.push_back(spec);
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "kmod: unknown option '%s'\n", a.c_str());
      return 2;
    } else {
      o->params.push_back(a);
    }
  }
  return 0;
}

std::vector<std::string> split_words(const char* s) {
  std::vector<std::string> words;
  std::string cur;
  for (; *s; ++s) {
    if (*s == ' ' || *s == '\t') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur += *s;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

// Sets module parameters as the kernel's parse_args() does: unknown names are reported and
// ignored; a value that does not parse fails the load.
bool set_params(const std::vector<std::string>& params, const char* modname) {
  for (const std::string& p : params) {
    std::string name = p, val;
    bool has_value = false;
    if (auto eq = p.find('='); eq != std::string::npos) {
      name = p.substr(0, eq);
      val = p.substr(eq + 1);
      has_value = true;
    }
    int ret = cmwq_module_param_set(name.c_str(), has_value ? val.c_str() : nullptr);
    if (ret == -ENOENT) {
      std::fprintf(stderr, "%s: unknown parameter '%s' ignored\n", modname, name.c_str());
    } else if (ret) {
      std::fprintf(stderr, "%s: '%s' invalid for parameter '%s'\n", modname, has_value ? val.c_str() : "",
                   name.c_str());
      return false;
    }
  }
  return true;
}

void run_generator(generator* g) {
  auto next = clock_type::now();
  const auto interval = std::chrono::microseconds(g->spec.interval_us);
  for (unsigned long i = 0; i < g->spec.count && !g_stop_generators.load(std::memory_order_relaxed); ++i) {
    int ret = cmwq_irq_raise(g->spec.line);
    g->raised.fetch_add(1, std::memory_order_relaxed);
    if (ret == 0)
      g->delivered.fetch_add(1, std::memory_order_relaxed);
    else if (ret == -EAGAIN)
      g->latched.fetch_add(1, std::memory_order_relaxed);
    else
      g->lost.fetch_add(1, std::memory_order_relaxed);
    next += interval;
    auto now = clock_type::now();
    if (next > now)
      std::this_thread::sleep_until(next);
    else
      next = now;  // behind: no burst to catch up, the rate is "at most"
  }
  g->done.store(true, std::memory_order_release);
}

// Watches the worker threads of the engine from outside, through /proc: how many distinct
// kworker threads existed, and the most that existed (and ran) at once. A lower bound (sampled
// every 2 ms), but independent of the engine's own bookkeeping.
struct worker_sampler {
  std::thread thread;
  std::atomic<bool> stop{false};
  std::set<long> seen;  // sampler thread only until joined
  int max_alive = 0;
  int max_running = 0;

  void sample() {
    DIR* d = opendir("/proc/self/task");
    if (!d) return;
    int alive = 0, running = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      char path[320], buf[256];
      std::snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
      FILE* f = std::fopen(path, "r");
      if (!f) continue;
      std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = '\0';
      // "tid (comm) S ...": comm may contain spaces and parentheses; the state follows the last ')'.
      char* open = std::strchr(buf, '(');
      char* close = std::strrchr(buf, ')');
      if (!open || !close || close < open) continue;
      if (std::strncmp(open + 1, "kworker", 7) != 0) continue;
      ++alive;
      if (close[1] == ' ' && close[2] == 'R') ++running;
      seen.insert(std::atol(e->d_name));
    }
    closedir(d);
    max_alive = std::max(max_alive, alive);
    max_running = std::max(max_running, running);
  }

  void start() {
    thread = std::thread([this] {
      while (!stop.load(std::memory_order_relaxed)) {
        sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  void finish() {
    stop.store(true, std::memory_order_relaxed);
    if (thread.joinable()) thread.join();
  }
};

// Waits until the deadline, every generator finished (when wait_generators), or a signal.
// Returns the signal number, or 0.
int wait_loaded(const sigset_t& sigs, long run_ms, bool wait_generators, const std::vector<generator*>& gens) {
  const auto deadline = clock_type::now() + std::chrono::milliseconds(run_ms < 0 ? 0 : run_ms);
  for (;;) {
    long left_ms;
    if (run_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
      if (left <= 0) return 0;
      left_ms = std::min<long>(left, 50);
    } else {
      bool all_done = true;
      for (generator* g : gens) all_done = all_done && g->done.load(std::memory_order_acquire);
      if (!wait_generators || all_done) return 0;
      left_ms = 10;
    }
    timespec ts{left_ms / 1000, (left_ms % 1000) * 1000000L};
    int sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig > 0) return sig;
  }
}

}  // namespace

// The end of a run: what the module left behind (workqueues, memory, devres, interrupt handlers),
// its WARNINGs and its own report lines; printed with --report or when the run failed. Returns
// whether it failed: init failed, something leaked or something warned.
static bool report_run(const cmwq_module_info* mod, const char* modname, const options& opt, bool init_failed,
                       double secs, const std::vector<generator*>& gens, const worker_sampler& sampler) {
  const std::size_t live_wqs = cmwq_live_workqueues();
  const std::size_t kmalloc_bytes = cmwq_kmalloc_outstanding_bytes();
  const std::size_t kmalloc_allocs = cmwq_kmalloc_outstanding_allocs();
  const std::size_t devres = cmwq_devres_outstanding();
  const std::size_t irq_actions = cmwq_irq_actions_installed();
  const unsigned long warnings = cmwq_warn_count();
  const bool leaked = live_wqs || kmalloc_bytes || kmalloc_allocs || devres || irq_actions;
  const bool failed = init_failed || leaked || warnings;

  if (opt.report || failed) {
    std::printf("==== kmod report: %s (%s) ====\n", modname, mod->license ? mod->license : "no license");
    std::printf("loaded for          %.3f s%s\n", secs, init_failed ? " (init failed)" : "");
    for (generator* g : gens) {
      cmwq_irq_stats st{};
      cmwq_irq_get_stats(g->spec.line, &st);
      std::printf("irq %-4u            raised %lu: delivered %lu, lost %lu (no handler), latched %lu (disabled); "
                  "handled %llu, spurious %llu, thread runs %llu\n",
                  g->spec.line, g->raised.load(), g->delivered.load(), g->lost.load(), g->latched.load(),
                  st.handled, st.unhandled, st.threaded);
    }
    for (std::size_t i = 0, n = cmwq_module_report_count(); i < n; ++i) {
      const char* name;
      long value;
      if (cmwq_module_report_get(i, &name, &value) == 0) std::printf("%-19s %ld\n", name, value);
    }
    std::printf("kworkers            %zu seen, at most %d alive and %d running at once (sampled)\n",
                sampler.seen.size(), sampler.max_alive, sampler.max_running);
    std::printf("warnings            %lu\n", warnings);
    std::printf("leaks               workqueues %zu, kmalloc %zu bytes in %zu blocks, devres %zu, irq handlers %zu\n",
                live_wqs, kmalloc_bytes, kmalloc_allocs, devres, irq_actions);
    std::printf("result              %s\n", failed ? (init_failed ? "FAIL (init)" : leaked ? "FAIL (leak)" : "FAIL (WARNING)")
                                                   : "ok");
    std::fflush(stdout);
  }
  return failed;
}

int main(int argc, char** argv) {
  const cmwq_module_info* mod = cmwq_module_get();
  const char* modname = mod->name ? mod->name : "module";

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() && &cmwq_kmod_default_args && cmwq_kmod_default_args) args = split_words(cmwq_kmod_default_args);
  options opt;
  if (int rc = parse_args(args, &opt)) return rc;
  if (opt.help) {
    usage(argv[0]);
    return 0;
  }
  if (!mod->init) {
    std::fprintf(stderr, "kmod: this program has no module_init()\n");
    return 2;
  }
  if (!set_params(opt.params, modname)) return 1;

  // SIGINT/SIGTERM end the loaded phase; block them before any thread exists so that every
  // thread inherits the mask and the signal stays pending for sigtimedwait() below.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::fprintf(stderr, "kmod: loading %s%s%s\n", modname, mod->description ? " - " : "",
               mod->description ? mod->description : "");
  worker_sampler sampler;
  sampler.start();
  const auto t0 = clock_type::now();
  int init_ret = mod->init();
  bool init_failed = init_ret != 0;
  if (init_failed) std::fprintf(stderr, "kmod: %s: init failed with error %d\n", modname, init_ret);

  std::vector<generator*> gens;
  int sig = 0;
  if (!init_failed) {
    for (const irq_spec& s : opt.irqs) {
      auto* g = new generator;
      g->spec = s;
      g->thread = std::thread(run_generator, g);
      gens.push_back(g);
    }
    sig = wait_loaded(sigs, opt.run_ms, !gens.empty(), gens);
    if (sig) std::fprintf(stderr, "kmod: %s received, unloading\n", strsignal(sig));
    std::fprintf(stderr, "kmod: unloading %s\n", modname);
    if (mod->exit) mod->exit();  // interrupts may still be arriving: that is intended
  }
  g_stop_generators.store(true, std::memory_order_relaxed);
  for (generator* g : gens) g->thread.join();
  const auto t1 = clock_type::now();
  sampler.finish();

  const bool failed = report_run(mod, modname, opt, init_failed, std::chrono::duration<double>(t1 - t0).count(), gens,
                                 sampler);
  for (generator* g : gens) delete g;
  return failed ? 1 : 0;
}
