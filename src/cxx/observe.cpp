// src/cxx/observe.cpp - the C++ door to statistics, dumps and the watchdog (include/cmwq/observe.hpp):
// thin conversions of src/core/observe.hpp's snapshots into value types.
#include <cmwq/observe.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "core/observe.hpp"
#include "core/timeline.hpp"

namespace cmwq {

std::vector<pool_stats> pools() {
  std::vector<pool_stats> out;
  core::pool_stats s;
  for (int id = 0; core::pool_stats_of(id, &s); id++)
    out.push_back({s.id, s.cpu, s.nice, s.nr_workers, s.nr_idle, s.nr_busy, s.nr_running, s.nr_pending,
                   std::chrono::milliseconds(s.hung_ms)});
  return out;
}

std::vector<queue> queues() {
  std::vector<core::wq_handle> h(64);
  for (;;) {
    const std::size_t n = core::list_workqueues(h.data(), h.size());
    if (n <= h.size()) {
      h.resize(n);
      break;
    }
    h.resize(n + 16);  // queues were created meanwhile: try again with room
  }
  return std::vector<queue>(h.begin(), h.end());
}

namespace {
void append_line(const char* line, void* ctx) {
  auto* s = static_cast<std::string*>(ctx);
  *s += line;
  *s += '\n';
}
}  // namespace

std::string dump() {
  std::string s;
  core::show_all_workqueues_to(append_line, &s);
  return s;
}

std::string dump(const queue& q) {
  std::string s;
  core::show_one_workqueue_to(q.handle(), append_line, &s);
  return s;
}

std::string worker_comm(pid_t tid) {
  char buf[96];
  return core::worker_comm_of(tid, buf, sizeof buf) ? buf : "";
}

namespace watchdog {
std::chrono::seconds thresh() noexcept { return std::chrono::seconds(core::watchdog_thresh()); }
void set_thresh(std::chrono::seconds s) noexcept {
  core::watchdog_set_thresh(s.count() < 0 ? 0u : static_cast<unsigned>(std::min<long long>(s.count(), UINT32_MAX)));
}
std::uint64_t stalls() noexcept { return core::watchdog_stall_count(); }
void touch(int cpu) noexcept { core::watchdog_touch(cpu); }
}  // namespace watchdog

namespace timeline {
bool start(const std::string& path, std::size_t capacity) noexcept { return core::timeline_start(path.c_str(), capacity); }
void stop() noexcept { core::timeline_stop(); }
int write(const std::string& path) noexcept { return core::timeline_write(path.empty() ? nullptr : path.c_str()); }
}  // namespace timeline

}  // namespace cmwq
