// src/core/control_handlers.cpp - the commands of the control protocol (docs/control.md).
//
// Each handler turns one request into one reply from racy snapshots of the engine: statistics
// and attributes go through the same calls the C and C++ doors use (workqueue_stats(), the
// WQ_SYSFS attribute table), dumps are show_all_workqueues() captured on this thread only, so the
// process's own log hook is never touched. No handler holds an engine lock while building JSON.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "control_server.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"
#include "wq_sysfs.hpp"

namespace cmwq::core {


namespace {

json ok_reply() {
  json r = json::object();
  r.set("version", control_protocol_version).set("ok", true);
  return r;
}

json error_reply(int err, const std::string& msg) {
  json r = json::object();
  r.set("version", control_protocol_version).set("ok", false).set("errno", err).set("error", msg);
  return r;
}

std::string flag_names(unsigned f) {
  static constexpr struct {
    unsigned bit;
    const char* name;
  } names[] = {{wq_flag::unbound, "unbound"},       {wq_flag::percpu, "percpu"},
               {wq_flag::ordered, "ordered"},       {wq_flag::highpri, "highpri"},
               {wq_flag::cpu_intensive, "cpu_intensive"}, {wq_flag::freezable, "freezable"},
               {wq_flag::mem_reclaim, "mem_reclaim"}, {wq_flag::sysfs, "sysfs"},
               {wq_flag::power_efficient, "power_efficient"}};
  std::string s;
  for (const auto& n : names)
    if (f & n.bit) s += (s.empty() ? "" : ",") + std::string(n.name);
  return s;
}

struct queue_id {
  wq_handle h;
  std::string name;
};

std::vector<queue_id> live_queues() {
  std::vector<queue_id> v;
  for_each_workqueue(
      [](workqueue* wq, void* p) {
        if (wq->flags.load(std::memory_order_relaxed) & wq_flag::destroying) return;
        static_cast<std::vector<queue_id>*>(p)->push_back(
            {make_handle(wq->slot, wq->generation.load(std::memory_order_relaxed)), wq->name});
      },
      &v);
  return v;
}

json cmd_hello() {
  json r = ok_reply();
  char comm[32] = {};
  if (FILE* f = std::fopen("/proc/self/comm", "r")) {
    if (std::fgets(comm, sizeof comm, f)) comm[std::strcspn(comm, "\n")] = '\0';
    std::fclose(f);
  }
  r.set("pid", static_cast<long>(getpid())).set("comm", comm);
  return r;
}

// The wq_monitor.py columns per queue, plus flags and limits.
json cmd_list() {
  json queues = json::array();
  for (const queue_id& q : live_queues()) {
    wq_stats s{};
    if (!workqueue_stats(q.h, &s)) continue;  // destroyed meanwhile
    const unsigned f = workqueue_flags(q.h);
    json j = json::object();
    j.set("name", q.name).set("flags", flag_names(f)).set("sysfs", (f & wq_flag::sysfs) != 0);
    j.set("max_active", s.max_active).set("nr_active", s.nr_active).set("nr_inactive", s.nr_inactive);
    j.set("total", s.v[pwq_stat_started]).set("completed", s.v[pwq_stat_completed]);
    // The counters are read one after the other: never show a negative count in flight.
    const auto started = s.v[pwq_stat_started], completed = s.v[pwq_stat_completed];
    j.set("in_flight", started > completed ? started - completed : 0ul);
    j.set("cpu_time_us", s.v[pwq_stat_cpu_time]).set("cpu_hog", s.v[pwq_stat_cpu_intensive]);
    j.set("cm_wakeup", s.v[pwq_stat_cm_wakeup]).set("repatriated", s.v[pwq_stat_repatriated]);
    j.set("mayday", s.v[pwq_stat_mayday]).set("rescued", s.v[pwq_stat_rescued]);
    queues.push(std::move(j));
  }
  json r = ok_reply();
  r.set("queues", std::move(queues));
  return r;
}

json cmd_workers() CMWQ_NO_TSA {
  json pools = json::array();
  for (int id = 0;; ++id) {
    worker_pool* p = pool_by_id(id);
    if (!p) break;
    int workers, idle, running;
    {
      lock_guard g(p->lock);
      workers = p->nr_workers;
      idle = p->nr_idle;
      running = p->nr_running;
    }
    std::string cpus;
    for (int c : p->attrs.cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    json j = json::object();
    j.set("id", id).set("cpu", p->cpu).set("nice", p->attrs.nice).set("cpus", cpus);
    j.set("workers", workers).set("idle", idle).set("running", running);
    pools.push(std::move(j));
  }
  const worker_counts wc = get_worker_counts();
  json r = ok_reply();
  r.set("created", wc.created).set("exited", wc.exited).set("pools", std::move(pools));
  return r;
}

json cmd_dump() {
  std::string text;
  {
    thread_log_capture capture(&text);
    show_all_workqueues();
  }
  json r = ok_reply();
  r.set("text", std::move(text));
  return r;
}

// Why a queue has no attribute files: it does not exist, or it lacks WQ_SYSFS.
json missing_queue(const std::string& name) {
  for (const queue_id& q : live_queues())
    if (q.name == name) return error_reply(ENOENT, "workqueue " + name + " is not a WQ_SYSFS workqueue");
  return error_reply(ENOENT, "no workqueue named " + name);
}

std::string chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

json cmd_get(const json& req) {
  const std::string wq = req.get("wq").as_string();
  const std::string attr = req.get("attr").as_string();
  std::vector<sysfs_attr_info> attrs;
  if (!wq.empty() && sysfs_attrs(wq, &attrs) != 0) return missing_queue(wq);
  if (wq.empty()) sysfs_attrs("", &attrs);
  json values = json::object();
  for (const sysfs_attr_info& a : attrs) {
    if (!attr.empty() && attr != a.name) continue;
    std::string text;
    if (sysfs_show(wq, a.name, &text) == 0) values.set(a.name, chomp(text));
  }
  if (!attr.empty() && values.members().empty())
    return error_reply(ENOENT, "workqueue " + (wq.empty() ? std::string("(global)") : wq) + " has no attribute " + attr);
  json r = ok_reply();
  r.set("attrs", std::move(values));
  return r;
}

json cmd_set(const json& req) {
  const std::string wq = req.get("wq").as_string();
  const std::string attr = req.get("attr").as_string();
  const json& value = req.get("value");
  if (attr.empty() || !value.is_string()) return error_reply(EINVAL, "set needs \"attr\" and a string \"value\"");
  std::vector<sysfs_attr_info> attrs;
  if (!wq.empty() && sysfs_attrs(wq, &attrs) != 0) return missing_queue(wq);
  const int err = sysfs_store(wq, attr, value.as_string());
  if (err == -ENOENT) return error_reply(ENOENT, "workqueue " + wq + " has no attribute " + attr);
  if (err == -EACCES) return error_reply(EACCES, attr + " of " + wq + " is read-only");
  if (err) return error_reply(-err, "invalid value '" + value.as_string() + "' for " + attr + ": " + std::strerror(-err));
  return ok_reply();
}

}  // namespace

json control_handle(const json& req) noexcept {
  try {
    if (!req.is_object()) return error_reply(EINVAL, "a request is one JSON object");
    if (req.get("version").as_number(-1) != control_protocol_version)
      return error_reply(EPROTO, "unsupported protocol version (this process speaks version 1)");
    const std::string cmd = req.get("cmd").as_string();
    if (cmd == "hello") return cmd_hello();
    if (cmd == "list") return cmd_list();
    if (cmd == "workers") return cmd_workers();
    if (cmd == "dump") return cmd_dump();
    if (cmd == "get") return cmd_get(req);
    if (cmd == "set") return cmd_set(req);
    return error_reply(EINVAL, "unknown command '" + cmd + "'");
  } catch (...) {  // std::bad_alloc while building a reply
    return error_reply(ENOMEM, "out of memory");
  }
}

}  // namespace cmwq::core
