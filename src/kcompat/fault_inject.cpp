// src/kcompat/fault_inject.cpp - the C face of fault injection (linux/fault-inject.h) and the two
// older single-purpose switches (cmwq_fault_fail_worker_creation, cmwq_fault_fail_devres).
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/fault-inject.h>
#include <linux/workqueue.h>

#include "core/fault.hpp"
#include "core/warn.hpp"

namespace {

void switch_point(cmwq::core::fault_point p, bool fail) {
  cmwq::core::fault_set(p, fail ? cmwq::core::fault_settings{} : cmwq::core::fault_settings::off());
}

}  // namespace

extern "C" {

int cmwq_fault_inject(const char* spec) {
  if (!spec) {
    cmwq::core::log_line("fault injection: NULL spec");
    return -EINVAL;
  }
  return cmwq::core::fault_inject(spec) ? 0 : -EINVAL;
}

unsigned long cmwq_fault_injected(const char* point) {
  cmwq::core::fault_point p;
  if (!point || !cmwq::core::fault_point_by_name(point, &p)) return 0;
  return static_cast<unsigned long>(cmwq::core::fault_injected(p));
}

void cmwq_fault_reset(void) { cmwq::core::fault_reset(); }

void cmwq_fault_fail_worker_creation(bool fail) { switch_point(cmwq::core::fault_point::worker_create, fail); }

void cmwq_fault_fail_devres(bool fail) { switch_point(cmwq::core::fault_point::devres, fail); }

}  // extern "C"
