// src/core/wq_sysfs.hpp - the WQ_SYSFS attribute table: one definition of every attribute the
// kernel shows under /sys/bus/workqueue/devices/<name>/ (semantics.md 6.6), served by the C and
// C++ calls, the in-process /sys namespace of <linux/fs.h> and the control socket.
//
//   cmwq::core::sysfs_queues()      names of the live queues that have WQ_SYSFS.
//   cmwq::core::sysfs_attrs()       the attributes one such queue has, with their modes.
//   cmwq::core::sysfs_show()        reads an attribute in the kernel's format ("4\n").
//   cmwq::core::sysfs_store()       writes one with the kernel's validation and error codes.
//
// A queue is named by its name; `queue` empty means the global directory
// (/sys/devices/virtual/workqueue/), whose only attributes are cpumask (RW), cpumask_requested
// and cpumask_isolated (RO).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cmwq::core {

struct sysfs_attr_info {
  const char* name;
  unsigned mode;  // 0644 or 0444
};

// sysfs_queues() - the names of live WQ_SYSFS queues, in creation order of their slots.
std::vector<std::string> sysfs_queues();

// sysfs_name_taken() - a live WQ_SYSFS queue is called `name` already (names of WQ_SYSFS queues
// are unique, as sysfs directories are: alloc_workqueue() refuses a second one).
bool sysfs_name_taken(std::string_view name);

// sysfs_attrs() - the attributes of `queue` (per_cpu and max_active for every queue; nice,
// cpumask, affinity_scope, affinity_strict too for unbound ones; max_active is 0444 on ordered
// queues). Returns -ENOENT if no live WQ_SYSFS queue has that name, else 0.
int sysfs_attrs(std::string_view queue, std::vector<sysfs_attr_info>* out);

// sysfs_show() - *out = the attribute's text as the kernel prints it (one line, with "\n").
// Returns 0; -ENOENT for an unknown queue or an attribute it does not have.
int sysfs_show(std::string_view queue, std::string_view attr, std::string* out);

// sysfs_store() - writes `value` (a trailing newline is allowed, as echo writes it). Returns 0;
// -ENOENT as above; -EACCES for a read-only attribute; -EINVAL (or -ERANGE, -EOVERFLOW where the
// kernel's parser says so) for a bad value, with nothing changed; -ENOMEM, -ENODEV from
// apply_workqueue_attrs().
int sysfs_store(std::string_view queue, std::string_view attr, std::string_view value);

}  // namespace cmwq::core
