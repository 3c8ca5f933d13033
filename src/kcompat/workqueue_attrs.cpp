// src/kcompat/workqueue_attrs.cpp - struct workqueue_attrs, apply_workqueue_attrs() and the
// WQ_SYSFS attributes through the C door, and the switch of the control socket that serves them.
//
// The C struct holds a cpumask of NR_CPUS bits; the engine's wq_attrs a cpu_set. The conversion
// keeps one rule: a mask equal to every possible CPU is stored as given (reads show it), and an
// empty mask means "no preference", as the kernel's fallback to the global mask makes it.
// Warnings are given here, not in the engine, because only the C door's misuse is the kernel's
// WARN_ON (a sysfs write of a bad value is an error code, never a warning).
#include "core/attrs.hpp"
#include "core/control_server.hpp"
#include "core/engine.hpp"
#include "core/warn.hpp"
#include "core/wq_sysfs.hpp"

#include <linux/workqueue.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace core = cmwq::core;

static_assert(WQ_AFFN_SYSTEM == static_cast<int>(core::affinity_scope::system));
static_assert(WQ_AFFN_CACHE_SHARD == static_cast<int>(core::affinity_scope::cache_shard));
static_assert(NR_CPUS == core::nr_cpus);

namespace {

core::wq_handle H(workqueue_struct* wq) { return reinterpret_cast<core::wq_handle>(wq); }

core::cpu_set from_cpumask(const cpumask* m) {
  core::cpu_set s;
  for (int cpu = 0; cpu < NR_CPUS; ++cpu)
    if (cpumask_test_cpu(cpu, m)) s.set(cpu);
  return s;
}

}  // namespace

extern "C" {

struct workqueue_attrs* alloc_workqueue_attrs(void) {
  auto* a = new (std::nothrow) workqueue_attrs{};
  if (!a) return nullptr;
  cpumask_copy(a->cpumask, cpu_possible_mask);
  cpumask_copy(a->__pod_cpumask, cpu_possible_mask);
  a->affn_scope = WQ_AFFN_DFL;
  return a;
}

void free_workqueue_attrs(struct workqueue_attrs* attrs) { delete attrs; }

int apply_workqueue_attrs(struct workqueue_struct* wq, const struct workqueue_attrs* attrs) {
  if (!attrs) {
    CMWQ_WARN("apply_workqueue_attrs: NULL attrs");
    return -EINVAL;
  }
  const unsigned flags = core::workqueue_flags(H(wq));
  if (!core::workqueue_valid(H(wq)) || !(flags & core::wq_flag::unbound)) {
    CMWQ_WARN("apply_workqueue_attrs: only unbound workqueues can change attributes");
    return -EINVAL;
  }
  if (flags & core::wq_flag::ordered) {
    CMWQ_WARN("apply_workqueue_attrs: a second pwq would break the ordering of an ordered workqueue");
    return -EINVAL;
  }
  core::wq_attrs a;
  a.nice = attrs->nice;
  a.cpumask = from_cpumask(attrs->cpumask);
  a.scope = static_cast<core::affinity_scope>(attrs->affn_scope);
  a.strict = attrs->affn_strict;
  return core::apply_workqueue_attrs(H(wq), a);
}

int cmwq_wq_sysfs_read(const char* wq, const char* attr, char* buf, size_t size) {
  std::string text;
  const int err = core::sysfs_show(wq ? wq : "", attr ? attr : "", &text);
  if (err) return err;
  if (buf && size) {
    const std::size_t n = std::min(size - 1, text.size());
    std::memcpy(buf, text.data(), n);
    buf[n] = '\0';
  }
  return static_cast<int>(text.size());
}

int cmwq_wq_sysfs_write(const char* wq, const char* attr, const char* value) {
  return core::sysfs_store(wq ? wq : "", attr ? attr : "", value ? value : "");
}

int cmwq_control_start(void) { return core::control_start(); }
void cmwq_control_stop(void) { core::control_stop(); }

int cmwq_control_socket_path(char* buf, size_t size) {
  const std::string path = core::control_socket_path();
  if (buf && size) {
    const std::size_t n = std::min(size - 1, path.size());
    std::memcpy(buf, path.data(), n);
    buf[n] = '\0';
  }
  return static_cast<int>(path.size());
}

}  // extern "C"
