// src/core/runtime.cpp - tunables from the environment, scaled timeouts, the online CPU set.
#include "runtime.hpp"

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "control_server.hpp"
#include "engine.hpp"
#include "topology.hpp"
#include "warn.hpp"

namespace cmwq::core {
namespace {

unsigned long env_ulong(const char* name, unsigned long dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  const unsigned long x = std::strtoul(v, &end, 0);
  if (*end) {
    CMWQ_WARN("%s=%s is not a number, using %lu", name, v, dflt);
    return dflt;
  }
  return x;
}

tunables_t* make_tunables() {
  auto* t = new tunables_t;  // never freed: workers may read it during process exit
  t->cpu_intensive_thresh_us = env_ulong("CMWQ_CPU_INTENSIVE_THRESH_US", 10000);
  t->power_efficient = env_ulong("CMWQ_POWER_EFFICIENT", 0) != 0;
  t->timeout_scale_permille = static_cast<unsigned>(env_ulong("CMWQ_TIMEOUT_SCALE_PERMILLE", 1000));
  control_autostart_from_env();  // CMWQ_CONTROL=1: serve wqctl from the engine's first use
  return t;
}

unsigned long scaled(unsigned long kernel_jiffies) {
  const unsigned long s = tunables().timeout_scale_permille.load(std::memory_order_relaxed);
  return std::max(1ul, kernel_jiffies * s / 1000);
}

struct cpu_facts {
  std::vector<int> online;
  std::vector<char> is_online;
  int nr_ids = 1;
};

// A vector view of topology::get().online, for the loops of the engine.
const cpu_facts& facts() {
  static const cpu_facts* f = [] {
    auto* cf = new cpu_facts;  // never freed
    const topology& topo = topology::get();
    for (int c = topo.online.first(); c >= 0; c = topo.online.next(c)) cf->online.push_back(c);
    if (cf->online.empty()) cf->online.push_back(0);
    cf->nr_ids = cf->online.back() + 1;
    cf->is_online.assign(static_cast<std::size_t>(cf->nr_ids), 0);
    for (int c : cf->online) cf->is_online[static_cast<std::size_t>(c)] = 1;
    return cf;
  }();
  return *f;
}

}  // namespace

tunables_t& tunables() noexcept {
  static tunables_t* t = make_tunables();
  return *t;
}

// The engine's tunable setters (engine.hpp): the doors set parameters through these.
void set_power_efficient(bool on) noexcept { tunables().power_efficient = on; }
void set_cpu_intensive_thresh_us(unsigned long usecs) noexcept { tunables().cpu_intensive_thresh_us = usecs; }
void set_timeout_scale_permille(unsigned permille) noexcept { tunables().timeout_scale_permille = permille; }

unsigned long idle_worker_timeout() noexcept { return scaled(300 * 1000); }
unsigned long mayday_initial_timeout() noexcept { return scaled(10); }
unsigned long mayday_interval() noexcept { return scaled(100); }
unsigned long create_cooldown() noexcept { return scaled(1000); }

unsigned long coarse_jiffies() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<unsigned long>(ts.tv_sec) * 1000ul + static_cast<unsigned long>(ts.tv_nsec) / 1000000ul;
}

const std::vector<int>& online_cpus() noexcept { return facts().online; }
int nr_cpu_ids() noexcept { return facts().nr_ids; }
bool cpu_online(int cpu) noexcept {
  const auto& f = facts();
  return cpu >= 0 && cpu < f.nr_ids && f.is_online[static_cast<std::size_t>(cpu)];
}

}  // namespace cmwq::core
