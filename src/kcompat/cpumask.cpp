// src/kcompat/cpumask.cpp - cpu_online_mask, cpu_possible_mask, nr_cpu_ids (semantics.md U2).
//
// The CPUs come from the engine's topology (cmwq::core::topology::get(): the process's allowed
// CPUs at start-up, with their real ids), so the C masks and the engine's pools describe the same
// machine. The C masks are built once, on first use, in a function-local static (thread-safe
// initialisation), and never change afterwards: readers need no lock.
#include "core/topology.hpp"

#include <linux/cpumask.h>


namespace cmwq::kcompat {
namespace {

struct cpu_masks {
  struct cpumask online;
  struct cpumask possible;
  unsigned int nr_ids;
  unsigned int nr_online;
  unsigned int nr_possible;
};

void fill(struct cpumask* out, const core::cpu_set& cpus) {
  cpumask_clear(out);
  for (int cpu : cpus)
    if (cpu < NR_CPUS) __set_bit(cpu, out->bits);
}

const cpu_masks& masks() {
  static const cpu_masks m = [] {
    const core::topology& topo = core::topology::get();
    cpu_masks r{};
    fill(&r.online, topo.online);
    fill(&r.possible, topo.possible);
    r.nr_ids = static_cast<unsigned int>(topo.nr_cpu_ids);
    r.nr_online = cpumask_weight(&r.online);
    r.nr_possible = cpumask_weight(&r.possible);
    return r;
  }();
  return m;
}

}  // namespace
}  // namespace cmwq::kcompat

extern "C" {

const struct cpumask* cmwq_cpu_online_mask(void) { return &cmwq::kcompat::masks().online; }
const struct cpumask* cmwq_cpu_possible_mask(void) { return &cmwq::kcompat::masks().possible; }
unsigned int cmwq_nr_cpu_ids(void) { return cmwq::kcompat::masks().nr_ids; }
unsigned int num_online_cpus(void) { return cmwq::kcompat::masks().nr_online; }
unsigned int num_possible_cpus(void) { return cmwq::kcompat::masks().nr_possible; }

}  // extern "C"
