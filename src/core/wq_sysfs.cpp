// src/core/wq_sysfs.cpp - the WQ_SYSFS attribute table.
//
// The kernel's wq_sysfs attributes are one table of show/store pairs; so is this one, and every
// front end (C and C++ calls, the /sys namespace of <linux/fs.h>, the control socket) goes through
// sysfs_show()/sysfs_store(), so a value reads and fails the same way everywhere. Each store
// parses as the kernel's does (sscanf "%d" for max_active and nice, kstrtoint for
// affinity_strict, the scope names, cpumask_parse) and changes nothing on a bad value. Attribute
// edits of unbound queues go through update_workqueue_attrs(), which copies the current
// attributes under the queue's mutex, so concurrent writers of different files do not undo each
// other.
#include "wq_sysfs.hpp"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "attrs.hpp"
#include "runtime.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


namespace {

// The handle of the live WQ_SYSFS queue called `name`, or 0.
wq_handle find_sysfs_queue(std::string_view name) {
  struct ctx_t {
    std::string_view name;
    wq_handle found = 0;
  } ctx{name};
  for_each_workqueue(
      [](workqueue* wq, void* p) {
        auto* c = static_cast<ctx_t*>(p);
        const unsigned f = wq->flags.load(std::memory_order_relaxed);
        if (c->found || !(f & wq_flag::sysfs) || (f & wq_flag::destroying) || c->name != wq->name) return;
        c->found = make_handle(wq->slot, wq->generation.load(std::memory_order_relaxed));
      },
      &ctx);
  return ctx.found;
}

std::string line(const std::string& s) { return s + "\n"; }
std::string int_line(int v) { return std::to_string(v) + "\n"; }

// The kernel's sscanf(buf, "%d", &v) == 1 (leading blanks, trailing text ignored).
bool scan_int(std::string_view text, int* v) {
  const std::string s(text);
  return std::sscanf(s.c_str(), "%d", v) == 1;
}

// kstrtoint(buf, 0, &v): an optional sign, a base prefix (0x, 0), digits only, one trailing
// newline. -EINVAL on anything else, -ERANGE outside int.
int kstrtoint(std::string_view text, int* v) {
  std::string s(text);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return -EINVAL;
  errno = 0;
  char* end = nullptr;
  const long x = std::strtol(s.c_str(), &end, 0);
  if (*end != '\0') return -EINVAL;
  if (errno == ERANGE || x < INT_MIN || x > INT_MAX) return -ERANGE;
  *v = static_cast<int>(x);
  return 0;
}

// cpumask_parse(): -EINVAL when malformed, -EOVERFLOW when a CPU >= nr_cpu_ids is set.
int parse_cpumask(std::string_view text, cpu_set* out) {
  cpu_set m;
  if (!cpu_set::parse_hex(text, &m)) return -EINVAL;
  if (m.last() >= nr_cpu_ids()) return -EOVERFLOW;
  *out = m;
  return 0;
}

struct queue_view {
  wq_handle h;
  bool unbound, ordered;
  wq_attrs attrs;
};

using show_fn = std::string (*)(const queue_view&);
using store_fn = int (*)(const queue_view&, std::string_view);

// Applies one edit of the unbound attributes; `value` is already parsed into `arg`.
template <class T>
int edit_attrs(wq_handle h, void (*set)(wq_attrs*, const T&), const T& value) {
  struct pack {
    void (*set)(wq_attrs*, const T&);
    const T* value;
  } p{set, &value};
  return update_workqueue_attrs(
      h,
      [](wq_attrs* a, const void* arg) {
        const auto* pk = static_cast<const pack*>(arg);
        pk->set(a, *pk->value);
        return 0;
      },
      &p);
}

std::string show_per_cpu(const queue_view& q) { return int_line(q.unbound ? 0 : 1); }

std::string show_max_active(const queue_view& q) {
  wq_stats s{};
  workqueue_stats(q.h, &s);
  return int_line(s.max_active);
}
int store_max_active(const queue_view& q, std::string_view v) {
  int n = 0;
  if (!scan_int(v, &n) || n <= 0) return -EINVAL;
  workqueue_set_max_active(q.h, n);  // clamps to WQ_MAX_ACTIVE, as the kernel does
  return 0;
}

std::string show_nice(const queue_view& q) { return int_line(q.attrs.nice); }
int store_nice(const queue_view& q, std::string_view v) {
  int n = 0;
  if (!scan_int(v, &n) || n < min_nice || n > max_nice) return -EINVAL;
  return edit_attrs<int>(q.h, [](wq_attrs* a, const int& x) { a->nice = x; }, n);
}

std::string show_cpumask(const queue_view& q) {
  const cpu_set m = q.attrs.cpumask.empty() ? topology::get().possible : q.attrs.cpumask;
  return line(m.to_hex(nr_cpu_ids()));
}
int store_cpumask(const queue_view& q, std::string_view v) {
  cpu_set m;
  if (const int err = parse_cpumask(v, &m)) return err;
  return edit_attrs<cpu_set>(q.h, [](wq_attrs* a, const cpu_set& x) { a->cpumask = x; }, m);
}

std::string show_scope(const queue_view& q) {
  if (q.attrs.scope == affinity_scope::dfl)
    return std::string(affinity_scope_name(affinity_scope::dfl)) + " (" +
           affinity_scope_name(default_affinity_scope()) + ")\n";
  return line(affinity_scope_name(q.attrs.scope));
}
int store_scope(const queue_view& q, std::string_view v) {
  affinity_scope s;
  if (!parse_affinity_scope(v, &s)) return -EINVAL;
  return edit_attrs<affinity_scope>(q.h, [](wq_attrs* a, const affinity_scope& x) { a->scope = x; }, s);
}

std::string show_strict(const queue_view& q) { return int_line(q.attrs.strict ? 1 : 0); }
int store_strict(const queue_view& q, std::string_view v) {
  int n = 0;
  if (const int err = kstrtoint(v, &n)) return err;
  return edit_attrs<bool>(q.h, [](wq_attrs* a, const bool& x) { a->strict = x; }, n != 0);
}

struct attr_def {
  const char* name;
  bool unbound_only;
  show_fn show;
  store_fn store;  // nullptr: read-only (0444)
};

// The table (wq_sysfs_groups + wq_sysfs_unbound_attrs in the kernel).
constexpr attr_def attr_table[] = {
    {"per_cpu", false, show_per_cpu, nullptr},
    {"max_active", false, show_max_active, store_max_active},
    {"nice", true, show_nice, store_nice},
    {"cpumask", true, show_cpumask, store_cpumask},
    {"affinity_scope", true, show_scope, store_scope},
    {"affinity_strict", true, show_strict, store_strict},
};

bool writable(const attr_def& a, const queue_view& q) {
  return a.store && !(q.ordered && a.store == store_max_active);
}

// Resolves queue + attribute; returns -ENOENT when either does not exist.
int lookup(std::string_view queue, std::string_view attr, queue_view* q, const attr_def** def) {
  q->h = find_sysfs_queue(queue);
  if (!q->h) return -ENOENT;
  const unsigned f = workqueue_flags(q->h);
  q->unbound = f & wq_flag::unbound;
  q->ordered = f & wq_flag::ordered;
  if (q->unbound) get_workqueue_attrs(q->h, &q->attrs);
  for (const attr_def& a : attr_table) {
    if (attr != a.name || (a.unbound_only && !q->unbound)) continue;
    *def = &a;
    return 0;
  }
  return -ENOENT;
}

// --- the global directory --------------------------------------------------------------------

int global_show(std::string_view attr, std::string* out) {
  const int bits = nr_cpu_ids();
  if (attr == "cpumask" || attr == "cpumask_requested") {
    *out = line(unbound_cpumask().to_hex(bits));
  } else if (attr == "cpumask_isolated") {
    *out = line(cpu_set().to_hex(bits));
  } else {
    return -ENOENT;
  }
  return 0;
}

int global_store(std::string_view attr, std::string_view v) {
  if (attr == "cpumask_requested" || attr == "cpumask_isolated") return -EACCES;
  if (attr != "cpumask") return -ENOENT;
  cpu_set m;
  if (const int err = parse_cpumask(v, &m)) return err;
  return set_unbound_cpumask(m);
}

}  // namespace

bool sysfs_name_taken(std::string_view name) { return find_sysfs_queue(name) != 0; }

std::vector<std::string> sysfs_queues() {
  std::vector<std::string> names;
  for_each_workqueue(
      [](workqueue* wq, void* p) {
        const unsigned f = wq->flags.load(std::memory_order_relaxed);
        if ((f & wq_flag::sysfs) && !(f & wq_flag::destroying)) static_cast<std::vector<std::string>*>(p)->push_back(wq->name);
      },
      &names);
  return names;
}

int sysfs_attrs(std::string_view queue, std::vector<sysfs_attr_info>* out) {
  out->clear();
  if (queue.empty()) {
    *out = {{"cpumask", 0644}, {"cpumask_requested", 0444}, {"cpumask_isolated", 0444}};
    return 0;
  }
  queue_view q{};
  const attr_def* def = nullptr;
  if (lookup(queue, "per_cpu", &q, &def)) return -ENOENT;
  for (const attr_def& a : attr_table)
    if (!a.unbound_only || q.unbound) out->push_back({a.name, writable(a, q) ? 0644u : 0444u});
  return 0;
}

int sysfs_show(std::string_view queue, std::string_view attr, std::string* out) {
  if (queue.empty()) return global_show(attr, out);
  queue_view q{};
  const attr_def* def = nullptr;
  if (const int err = lookup(queue, attr, &q, &def)) return err;
  *out = def->show(q);
  return 0;
}

int sysfs_store(std::string_view queue, std::string_view attr, std::string_view value) {
  if (queue.empty()) return global_store(attr, value);
  queue_view q{};
  const attr_def* def = nullptr;
  if (const int err = lookup(queue, attr, &q, &def)) return err;
  if (!writable(*def, q)) return -EACCES;
  return def->store(q, value);
}

}  // namespace cmwq::core
