// include/cmwq/attrs.hpp - attributes of unbound queues, changed while they run, and the
// WQ_SYSFS attribute files.
//
//   cmwq::queue_attrs     nice, CPUs, affinity scope, strictness (struct workqueue_attrs).
//   cmwq::get_attrs()     an unbound queue's attributes as last requested.
//   cmwq::apply_attrs()   gives a live unbound queue new attributes.
//   cmwq::sysfs::*        the /sys/bus/workqueue/devices/<name>/<attr> files of queues built with
//                         builder::sysfs(): list, read and write them with the kernel's formats.
//
// Rules (docs/attrs.md): only unbound, unordered queues take attributes. Items queued before
// apply_attrs() returns finish where they were queued; later ones run on pools of the new
// attributes. The same attribute files are served to kernel-style code by <linux/fs.h> and to
// other processes by wqctl (docs/control.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <cmwq/builder.hpp>
#include <cmwq/queue.hpp>

namespace cmwq {

struct queue_attrs {
  int nice = 0;           // [-20, 19]
  std::vector<int> cpus;  // CPUs the queue may use; empty: every CPU (∩ the global unbound mask)
  affinity scope = affinity::dfl;
  bool strict = false;    // confine workers to their pod
};

// cmwq::get_attrs() - `q`'s attributes; nullopt for a per-CPU or destroyed queue. Never blocks
// for long (takes the queue's mutex).
std::optional<queue_attrs> get_attrs(const queue& q);

// cmwq::apply_attrs() - gives the unbound queue `q` the attributes `a`. May block (creates pools
// and workers). Returns {} or: errc::invalid_argument for a per-CPU, ordered or destroyed queue,
// a nice outside [-20, 19] or a CPU id out of range; errc::no_such_device while it is being
// destroyed; errc::not_enough_memory. Nothing changes on error; never warns.
std::error_code apply_attrs(const queue& q, const queue_attrs& a) noexcept;

namespace sysfs {

// sysfs::queues() - names of live queues built with sysfs() (WQ_SYSFS).
std::vector<std::string> queues();

// sysfs::attributes() - the attribute names `queue` has ("" = the global directory: cpumask,
// cpumask_requested, cpumask_isolated); empty if there is no such WQ_SYSFS queue.
std::vector<std::string> attributes(std::string_view queue);

// sysfs::read() - the attribute's text as the kernel prints it ("4\n", "default (cache_shard)\n").
// Errors: errc::no_such_file_or_directory for an unknown queue or attribute.
std::error_code read(std::string_view queue, std::string_view attr, std::string& out);

// sysfs::write() - writes `value` (a trailing newline is allowed) with the kernel's validation.
// Errors: no_such_file_or_directory as above; permission_denied for a read-only attribute
// (per_cpu; max_active of an ordered queue); invalid_argument (result_out_of_range,
// value_too_large) for a bad value, with nothing changed.
std::error_code write(std::string_view queue, std::string_view attr, std::string_view value);

}  // namespace sysfs
}  // namespace cmwq
