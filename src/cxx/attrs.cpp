// src/cxx/attrs.cpp - cmwq::get_attrs(), apply_attrs() and cmwq::sysfs: the C++ door of
// core/attrs.hpp and core/wq_sysfs.hpp. Errors come back as std::error_code in the generic
// category, the negative errno of the engine turned around.
#include <cmwq/attrs.hpp>

#include "core/attrs.hpp"
#include "core/wq_sysfs.hpp"

namespace cmwq {

namespace {
std::error_code from_errno(int err) { return err ? std::error_code(-err, std::generic_category()) : std::error_code(); }
}  // namespace

std::optional<queue_attrs> get_attrs(const queue& q) {
  core::wq_attrs a;
  if (!core::get_workqueue_attrs(q.handle(), &a)) return std::nullopt;
  queue_attrs out;
  out.nice = a.nice;
  for (int c : a.cpumask) out.cpus.push_back(c);
  out.scope = static_cast<affinity>(a.scope);
  out.strict = a.strict;
  return out;
}

std::error_code apply_attrs(const queue& q, const queue_attrs& a) noexcept {
  core::wq_attrs w;
  w.nice = a.nice;
  for (int c : a.cpus) {
    if (c < 0 || c >= core::nr_cpus) return std::make_error_code(std::errc::invalid_argument);
    w.cpumask.set(c);
  }
  w.scope = static_cast<core::affinity_scope>(a.scope);
  w.strict = a.strict;
  return from_errno(core::apply_workqueue_attrs(q.handle(), w));
}

namespace sysfs {

std::vector<std::string> queues() { return core::sysfs_queues(); }

std::vector<std::string> attributes(std::string_view queue) {
  std::vector<core::sysfs_attr_info> info;
  std::vector<std::string> names;
  if (core::sysfs_attrs(queue, &info) == 0)
    for (const auto& a : info) names.emplace_back(a.name);
  return names;
}

std::error_code read(std::string_view queue, std::string_view attr, std::string& out) {
  return from_errno(core::sysfs_show(queue, attr, &out));
}

std::error_code write(std::string_view queue, std::string_view attr, std::string_view value) {
  return from_errno(core::sysfs_store(queue, attr, value));
}

}  // namespace sysfs
}  // namespace cmwq
